//! Accounts people can trust: usernames unique regardless of case, and the current
//! password asked before the email or the password change.

pub mod reauth;
pub mod usernames;
