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

/// How many bcrypt computations may run at once: one fewer than the cores (at least
/// one), so that a flood of sign-ins is bounded by bcrypt and still leaves a core for
/// every other route. Process-wide on purpose: it budgets the machine's CPUs, which are
/// process-wide too.
fn bcrypt_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// Runs `work` (a bcrypt call) on the blocking pool once a bcrypt permit is free.
pub async fn run_limited<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let _permit = bcrypt_permits()
        .acquire()
        .await
        .map_err(|e| e.to_string())?;
    actix_web::web::block(work).await.map_err(|e| e.to_string())
}
