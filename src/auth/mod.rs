//! Credentials: API tokens and password hashing.

pub mod link_token;
pub mod password;
pub mod sealed;
pub mod token;
