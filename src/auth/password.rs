//! bcrypt hashing. Both calls are CPU-heavy on purpose: callers run them on the
//! blocking pool, never on an async worker.

use std::sync::OnceLock;

/// Hashes `password` with `cost`.
pub fn hash(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, cost)
}

/// Checks `password` against `stored`; when the account does not exist (`stored` is
/// `None`) a dummy hash is checked instead, so the answer takes as long either way and
/// timing does not reveal which emails are registered.
pub fn verify(password: &str, stored: Option<&str>, cost: u32) -> bool {
    match stored {
        Some(hash) => bcrypt::verify(password, hash).unwrap_or(false),
        None => {
            let _ = bcrypt::verify(password, dummy_hash(cost));
            false
        }
    }
}

fn dummy_hash(cost: u32) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| bcrypt::hash("conduit-timing-equaliser", cost).unwrap_or_default())
}
