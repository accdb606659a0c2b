//! The durable job queue: jobs are rows, enqueued in the same transaction as the change
//! that causes them (a transactional outbox), claimed by workers under a lease, retried
//! with exponential backoff and jitter, and kept as `dead` after their last attempt.

pub mod command;
pub mod handlers;
pub mod kinds;
pub mod mail;
pub mod queue;
pub mod staff;
pub mod wake;
pub mod webhook_client;
pub mod worker;

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::jobs;
use crate::db::{Db, DbConnection};
use crate::domain::time;

pub use worker::WorkerPool;

/// How far ahead of its run time a job may be queued and still run on time: a worker
/// woken by a write that finds nothing due looks again after this long, not after a full
/// poll (notification emails wait [`crate::domain::notifications::EMAIL_GATHER`]).
pub const WAKE_HORIZON: Duration = Duration::from_millis(250);

/// Attempts a job gets unless its kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// A job row as a worker sees it.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    /// Primary key.
    pub id: i32,
    /// What to do (see [`kinds`]).
    pub kind: String,
    /// JSON arguments.
    pub payload: String,
    /// `queued`, `running`, `done` or `dead`.
    pub state: String,
    /// Attempts started so far (counting the current one).
    pub attempts: i32,
    /// Attempts before the job is dead.
    pub max_attempts: i32,
    /// Not before.
    pub run_at: NaiveDateTime,
    /// The worker holding it.
    pub lease_owner: Option<String>,
    /// When the holder's claim lapses.
    pub lease_expires_at: Option<NaiveDateTime>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Enqueue time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl Job {
    /// The payload parsed as `T`; a payload that does not parse can never succeed.
    pub fn args<T: serde::de::DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_str(&self.payload)
            .map_err(|e| JobError::Permanent(format!("bad payload for {}: {e}", self.kind)))
    }
}

/// Why a job attempt failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (network, database busy, a 5xx answer).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (bad payload, refused target): dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<diesel::result::Error> for JobError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Retry(format!("database: {err}"))
    }
}

impl From<crate::db::DbError> for JobError {
    fn from(err: crate::db::DbError) -> Self {
        Self::Retry(err.to_string())
    }
}

/// Runs jobs of some kinds; the worker calls it outside any transaction.
pub trait JobHandler: Send + Sync + 'static {
    /// The kinds this handler runs; workers claim only these.
    fn kinds(&self) -> Vec<&'static str>;
    /// Of [`JobHandler::kinds`], those that mostly wait on the outside world (an HTTP
    /// receiver): workers of their own run them, so that a slow receiver never holds
    /// back the others.
    fn waiting_kinds(&self) -> Vec<&'static str> {
        Vec::new()
    }
    /// Does the job's work. Must be idempotent: a job can run again after a crash.
    fn run(&self, db: &Db, job: &Job) -> Result<(), JobError>;
    /// Whether the jobs of `kind` in one claimed batch run together, through
    /// [`JobHandler::run_together`] (small writes that cost little beside their commit).
    fn runs_together(&self, _kind: &str) -> bool {
        false
    }
    /// Runs `jobs` (all of kinds that [`JobHandler::runs_together`]), one outcome per
    /// job in their order. Each job's work must stand or fall alone.
    fn run_together(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        jobs.iter().map(|job| self.run(db, job)).collect()
    }
}

/// How workers behave (from `Config`; tests shorten the intervals).
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Worker threads in this process.
    pub workers: u32,
    /// Pause between polls of an empty queue.
    pub poll: Duration,
    /// How long a claim holds before another worker may take the job.
    pub lease: Duration,
    /// First retry delay; doubles per attempt.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl JobSettings {
    /// Delay before attempt `attempts + 1`: `base * 2^(attempts-1)`, capped, then scaled by
    /// a random factor in [0.5, 1.0] so that jobs failing together do not retry together.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
        let raw = self.backoff_base.saturating_mul(1u32 << exponent);
        let capped = raw.min(self.backoff_max);
        capped.mul_f64(rand::random_range(0.5..=1.0))
    }
}

/// Starts `workers` threads of the application's own handler on a pool of their own
/// (so jobs never take the connections that requests need).
pub fn start_workers(
    config: &crate::config::Config,
    workers: u32,
) -> Result<std::sync::Arc<WorkerPool>, String> {
    // A connection for each thread (the pool runs as many again for webhook
    // deliveries, see `WorkerPool::start`), and one spare, as before.
    let db = Db::connect(&config.database_url, workers * 2 + 1)?;
    let mailer = mail::Mailer::new(
        config.jobs.smtp_url.as_ref(),
        config.jobs.mail_dir.clone(),
        &config.jobs.mail_from,
    )?;
    let broadcast = crate::cache::broadcast::Broadcast::for_db(&db)?;
    let handler = handlers::AppHandlers::new(
        broadcast,
        mailer,
        config.jobs.webhook_allow_private,
        &config.jobs.public_url,
        config.secret_key.clone(),
    );
    WorkerPool::start(
        db,
        config.jobs.settings(workers),
        std::sync::Arc::new(handler),
    )
    .map_err(|e| format!("cannot start job workers: {e}"))
}

/// Adds a job to the queue on `conn`, inside the caller's transaction: it exists exactly
/// when the caller's change commits.
pub fn enqueue<P: Serialize>(conn: &mut DbConnection, kind: &str, payload: &P) -> QueryResult<i32> {
    enqueue_at(conn, kind, payload, time::now())
}

/// [`enqueue`] for a job that may not run before `run_at`.
pub fn enqueue_at<P: Serialize>(
    conn: &mut DbConnection,
    kind: &str,
    payload: &P,
    run_at: NaiveDateTime,
) -> QueryResult<i32> {
    let payload = serde_json::to_string(payload)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    wake::note_enqueued();
    let now = time::now();
    let row = (
        jobs::kind.eq(kind),
        jobs::payload.eq(&payload),
        jobs::state.eq(queue::QUEUED),
        jobs::attempts.eq(0),
        jobs::max_attempts.eq(DEFAULT_MAX_ATTEMPTS),
        jobs::run_at.eq(run_at),
        jobs::created_at.eq(now),
        jobs::updated_at.eq(now),
    );
    // The new id, per backend: RETURNING on PostgreSQL, the connection's last rowid on
    // SQLite (both exact even with concurrent writers).
    match conn {
        DbConnection::Pg(pg) => diesel::insert_into(jobs::table)
            .values(row)
            .returning(jobs::id)
            .get_result(pg),
        DbConnection::Sqlite(sqlite) => {
            diesel::insert_into(jobs::table)
                .values(row)
                .execute(sqlite)?;
            crate::db::last_insert_id(sqlite)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let settings = JobSettings {
            workers: 1,
            poll: Duration::from_millis(10),
            lease: Duration::from_secs(1),
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let first = settings.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = settings.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(settings.backoff(20) <= Duration::from_millis(1000));
        }
    }
}
