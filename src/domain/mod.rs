//! The rules of Conduit, one module per feature. Routes for pages and for the API
//! both call these functions; nothing here knows about HTTP.

pub mod access_tokens;
pub mod articles;
pub mod audit;
pub mod comments;
pub mod discovery;
pub mod email_settings;
pub mod events;
pub mod idempotency;
pub mod images;
pub mod input;
pub mod markdown;
pub mod moderation;
pub mod notifications;
pub mod profiles;
pub mod recovery;
pub mod revisions;
pub mod roles;
pub mod search;
pub mod sessions;
pub mod sign_in_events;
pub mod site_settings;
pub mod tags;
pub mod time;
pub mod two_factor;
pub mod users;
pub mod verification;
pub mod visibility;
pub mod webhooks;
