//! Accounts people can trust: usernames unique regardless of case, and the current
//! password asked before the email or the password change, password recovery, email
//! verification, two-factor sign-in, the session list and personal access tokens.

pub mod reauth;
pub mod recovery;
pub mod sessions;
pub mod tokens;
pub mod two_factor;
pub mod usernames;
pub mod verification;
