//! The rules of Conduit, one module per feature. Routes for pages and for the API
//! both call these functions; nothing here knows about HTTP.

pub mod articles;
pub mod comments;
pub mod input;
pub mod markdown;
pub mod profiles;
pub mod tags;
pub mod time;
pub mod users;
