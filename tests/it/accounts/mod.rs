//! Accounts people can trust: usernames unique regardless of case, and the current
//! password asked before the email or the password change, password recovery, email
//! verification, two-factor sign-in and the session list.

pub mod reauth;
pub mod recovery;
pub mod sessions;
pub mod two_factor;
pub mod usernames;
pub mod verification;
