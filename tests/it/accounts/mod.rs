//! Accounts people can trust: usernames unique regardless of case, and the current
//! password asked before the email or the password change, password recovery, email
//! verification, personal access tokens.

pub mod reauth;
pub mod recovery;
pub mod tokens;
pub mod usernames;
pub mod verification;
