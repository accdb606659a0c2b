//! Worker threads: each loops claim → run → complete/fail on its own OS thread (never on
//! actix's async workers), with its own small connection pool so that jobs never starve
//! requests of connections.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::queue::{self, Failed};
use super::wake::Signal;
use super::{Job, JobError, JobHandler, JobSettings};
use crate::db::Db;

/// How long finished jobs are kept before the workers prune them.
const KEEP_DONE: chrono::Duration = chrono::Duration::days(7);
/// How often one worker prunes.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// How often one worker tidies the table (see [`queue::tidy`]) while jobs are being run.
const TIDY_EVERY: Duration = Duration::from_secs(10);
/// Pause after the database failed, so a broken database is not hammered.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// Most jobs one claim takes. Claiming and completing in batches makes two commits per
/// batch instead of two per job, which is most of a short job's cost (on SQLite each
/// also waits its turn at the write gate behind the requests' writes); the lease of the
/// jobs still waiting in a batch is extended as it goes (see [`Worker::execute_batch`]).
const BATCH: i64 = 64;
/// Most jobs one claim takes in the lane of [`JobHandler::waiting_kinds`]: a batch of
/// webhook deliveries is sent side by side, so this bounds the requests in flight. A
/// batch takes three turns at the database besides its sends, each of which waits behind
/// the requests' writes under load: at 16 a batch, two threads fell behind a soak's 250
/// deliveries a second (see docs/benchmarks.md).
pub(crate) const WAITING_BATCH: i64 = 32;

/// How often a worker's claim also looks after expired leases (a worker that died
/// holding jobs) and marks the jobs that ran out of attempts dead; the claims in
/// between take queued jobs only, in one statement.
const RECLAIM_EVERY: Duration = Duration::from_millis(250);

/// The least time between two claims of a thread that is keeping up (its last claim
/// was not full): under a stream of writes, each of which wakes every worker, the jobs
/// of a few writes gather for one claim instead of one claim each, for at most this
/// much more latency.
const GATHER: Duration = Duration::from_millis(10);

/// Most jobs of a batch handed to [`JobHandler::run_together`] in one call: the leases
/// of the batch are looked after between calls (a chunk of emails sent over SMTP takes
/// seconds). The waiting lane hands over its whole batch at once: its sends go side by
/// side, each bounded by the webhook client's timeout.
const TOGETHER: usize = 16;

/// Counts a thread as running for as long as it lives, even if it panics.
struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A set of worker threads sharing one handler.
pub struct WorkerPool {
    signal: Arc<Signal>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    running: Arc<AtomicUsize>,
    size: u32,
}

impl WorkerPool {
    /// Starts `settings.workers` threads running `handler`'s kinds from `db`, and as many
    /// again for its [`JobHandler::waiting_kinds`] when it has any (those threads mostly
    /// wait on receivers, and the others never wait behind them).
    pub fn start(
        db: Db,
        settings: JobSettings,
        handler: Arc<dyn JobHandler>,
    ) -> std::io::Result<Arc<Self>> {
        let signal = Signal::registered();
        let running = Arc::new(AtomicUsize::new(0));
        let instance = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let waiting_kinds = handler.waiting_kinds();
        let (others, waiting): (Vec<_>, Vec<_>) = handler
            .kinds()
            .into_iter()
            .partition(|kind| !waiting_kinds.contains(kind));
        let lanes: Vec<Vec<&'static str>> = [others, waiting]
            .into_iter()
            .filter(|kinds| !kinds.is_empty())
            .collect();
        let size = settings.workers * lanes.len() as u32;
        let mut threads = Vec::new();
        for index in 0..size {
            let lane = &lanes[(index / settings.workers.max(1)) as usize];
            let (batch, together) = if lane.iter().any(|kind| waiting_kinds.contains(kind)) {
                (WAITING_BATCH, WAITING_BATCH as usize)
            } else {
                (BATCH, TOGETHER)
            };
            let kinds = lane.clone();
            let worker = Worker {
                db: db.clone(),
                settings: settings.clone(),
                handler: Arc::clone(&handler),
                kinds,
                batch,
                together,
                signal: Arc::clone(&signal),
                owner: format!("{instance}-{index}"),
                prunes: index == 0,
            };
            running.fetch_add(1, Ordering::SeqCst);
            let alive = Alive(Arc::clone(&running));
            let spawned = std::thread::Builder::new()
                .name(format!("conduit-worker-{index}"))
                .spawn(move || {
                    let _alive = alive;
                    worker.run();
                });
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    signal.stop();
                    return Err(e);
                }
            }
        }
        log::info!("started {size} job worker(s)");
        Ok(Arc::new(Self {
            signal,
            threads: Mutex::new(threads),
            running,
            size,
        }))
    }

    /// Threads configured.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Threads alive now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Every thread is alive and no stop was asked for.
    pub fn healthy(&self) -> bool {
        !self.signal.is_stopped() && self.running() == self.size as usize
    }

    /// Asks every thread to stop after its current job and waits up to `deadline` for
    /// them; true when all finished in time (the others' jobs are re-claimed after their
    /// lease expires).
    pub fn shutdown(&self, deadline: Duration) -> bool {
        self.signal.stop();
        let started = Instant::now();
        while self.running() > 0 && started.elapsed() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let finished = self.running() == 0;
        if finished {
            if let Ok(mut threads) = self.threads.lock() {
                for handle in threads.drain(..) {
                    let _ = handle.join();
                }
            }
        } else {
            log::warn!(
                "{} job worker(s) still busy after {deadline:?}; their jobs will be retried",
                self.running()
            );
        }
        finished
    }
}

struct Worker {
    db: Db,
    settings: JobSettings,
    handler: Arc<dyn JobHandler>,
    /// The kinds this thread claims.
    kinds: Vec<&'static str>,
    /// Most jobs one claim takes.
    batch: i64,
    /// Most jobs of a batch in one call of [`JobHandler::run_together`].
    together: usize,
    signal: Arc<Signal>,
    owner: String,
    prunes: bool,
}

impl Worker {
    fn run(&self) {
        let kinds = &self.kinds;
        let mut last_prune = Instant::now();
        let mut last_tidy = Instant::now();
        let mut ran_since_tidy = false;
        // The last claim found nothing: ask before claiming again.
        let mut idle = false;
        let mut last_reclaim: Option<Instant> = None;
        let mut last_claim: Option<Instant> = None;
        // The wake-ups seen before the last sleep: more since means jobs arrived.
        let mut slept_at: Option<u64> = None;
        // On PostgreSQL a claim that finds nothing costs what asking first does (one
        // statement, no lock), so a woken thread claims without asking; on SQLite a
        // claim waits for the write gate, and asking (a read) spares that to the threads
        // whose kinds did not arrive.
        let ask_when_woken = self.db.backend() == crate::db::BackendKind::Sqlite;
        while !self.signal.is_stopped() {
            if self.prunes && last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                self.prune();
            }
            // Only after work: an idle queue leaves nothing behind to reclaim.
            if self.prunes && ran_since_tidy && last_tidy.elapsed() >= TIDY_EVERY {
                last_tidy = Instant::now();
                ran_since_tidy = false;
                self.tidy();
            }
            let seen = self.signal.wakes();
            let woken = slept_at.is_some_and(|before| before != seen);
            // Woken for jobs that are not due yet (they gather first): look again soon.
            let pause = match woken {
                true => self.settings.poll.min(super::WAKE_HORIZON),
                false => self.settings.poll,
            };
            if idle && (ask_when_woken || !woken) && !self.any_due(kinds) {
                slept_at = Some(seen);
                self.signal.sleep(seen, pause);
                continue;
            }
            if let Some(gap) = last_claim.and_then(|at| GATHER.checked_sub(at.elapsed())) {
                std::thread::sleep(gap);
            }
            let reclaim = last_reclaim.is_none_or(|at| at.elapsed() >= RECLAIM_EVERY);
            if reclaim {
                last_reclaim = Some(Instant::now());
            }
            let (owner, batch, lease) = (&self.owner, self.batch, self.settings.lease);
            let claimed = self.write(|conn| match reclaim {
                true => queue::claim(conn, owner, kinds, batch, lease),
                false => queue::claim_queued(conn, owner, kinds, batch, lease),
            });
            idle = matches!(&claimed, Ok(jobs) if jobs.is_empty());
            // After a claim that was not full the next one waits out `GATHER`; after a
            // full one (more is waiting) it comes at once.
            last_claim = match &claimed {
                Ok(jobs) if jobs.len() < usize::try_from(batch).unwrap_or(0) => {
                    Some(Instant::now())
                }
                _ => None,
            };
            match claimed {
                Ok(jobs) if jobs.is_empty() => {
                    slept_at = Some(seen);
                    self.signal.sleep(seen, pause);
                }
                Ok(jobs) => {
                    ran_since_tidy = true;
                    self.execute_batch(&jobs);
                }
                Err(e) => {
                    log::warn!("job worker {} cannot claim: {e}", self.owner);
                    self.signal.sleep(seen, ERROR_PAUSE.max(self.settings.poll));
                }
            }
        }
    }

    /// Runs a claimed batch in order. Failures are recorded as they happen; successes
    /// together, when the batch ends (a crash before that runs them again, which every
    /// handler allows). Once half the lease has gone, the successes so far are recorded
    /// and the jobs still waiting get a fresh lease, so that no other worker takes them
    /// over while this one is busy; when stopping, the waiting ones are given back.
    /// Jobs of kinds that run together go first, `together` at a time in one call of
    /// the handler (so the leases are looked after between calls, as between the others).
    fn execute_batch(&self, jobs: &[Job]) {
        let (together, alone): (Vec<&Job>, Vec<&Job>) = jobs
            .iter()
            .partition(|job| self.handler.runs_together(&job.kind));
        let chunks = together.chunks(self.together).count();
        let steps: Vec<&[&Job]> = together
            .chunks(self.together)
            .chain(alone.chunks(1))
            .collect();
        let mut leased_at = Instant::now();
        let mut succeeded = Vec::with_capacity(jobs.len());
        for (index, &step) in steps.iter().enumerate() {
            let waiting: Vec<i32> = steps[index..]
                .iter()
                .flat_map(|step| step.iter().map(|job| job.id))
                .collect();
            if self.signal.is_stopped() {
                self.with_retries("releasing jobs", |conn| {
                    queue::release(conn, &waiting, &self.owner)
                });
                break;
            }
            if leased_at.elapsed() >= self.settings.lease / 2 {
                leased_at = Instant::now();
                self.record_successes(&std::mem::take(&mut succeeded));
                self.with_retries("extending leases", |conn| {
                    queue::extend(conn, &waiting, &self.owner, self.settings.lease)
                });
            }
            let outcomes = if index < chunks {
                self.execute_together(step)
            } else {
                step.iter().map(|job| self.execute(job)).collect()
            };
            for (&job, outcome) in step.iter().zip(outcomes) {
                match outcome {
                    Ok(()) => succeeded.push(job),
                    Err(error) => self.record_failure(job, &error),
                }
            }
        }
        self.record_successes(&succeeded);
        // Jobs that queued follow-up jobs (a fan-out's batches, their emails): the other
        // idle workers of this process wake for them.
        super::wake::after_commit(true);
    }

    /// Marks `succeeded` done in one statement.
    fn record_successes(&self, succeeded: &[&Job]) {
        if succeeded.is_empty() {
            return;
        }
        let ids: Vec<i32> = succeeded.iter().map(|job| job.id).collect();
        let Some(marked) = self.with_retries("recording finished jobs", |conn| {
            queue::complete_all(conn, &ids, &self.owner)
        }) else {
            return;
        };
        if marked == succeeded.len() {
            for job in succeeded {
                metrics::counter!("jobs_processed_total", "kind" => job.kind.clone(), "outcome" => "done")
                    .increment(1);
            }
        } else {
            // Some leases ran out meanwhile and other workers took those jobs over (their
            // runs count); which ones is not worth another statement.
            let lost = succeeded.len().saturating_sub(marked);
            log::warn!(
                "{lost} of {} job(s) finished after their lease was lost",
                ids.len()
            );
            metrics::counter!("jobs_processed_total", "kind" => "batch", "outcome" => "done")
                .increment(marked as u64);
            metrics::counter!("jobs_processed_total", "kind" => "batch", "outcome" => "lease_lost")
                .increment(lost as u64);
        }
    }

    /// Runs jobs that go together, timed (each is counted with its share); a panic
    /// counts as a failure of them all, to retry.
    fn execute_together(&self, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let started = Instant::now();
        let outcomes = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.handler.run_together(&self.db, jobs)
        }))
        .unwrap_or_default();
        let share = started.elapsed().as_secs_f64() / jobs.len() as f64;
        let mut outcomes = outcomes.into_iter();
        jobs.iter()
            .map(|job| {
                metrics::histogram!("job_duration_seconds", "kind" => job.kind.clone())
                    .record(share);
                outcomes
                    .next()
                    .unwrap_or_else(|| Err(JobError::Retry("the handler panicked".into())))
            })
            .collect()
    }

    /// Runs one job's handler, timed; a panic counts as a failure to retry.
    fn execute(&self, job: &Job) -> Result<(), JobError> {
        let started = Instant::now();
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.handler.run(&self.db, job)))
                .unwrap_or_else(|_| Err(JobError::Retry("the handler panicked".into())));
        metrics::histogram!("job_duration_seconds", "kind" => job.kind.clone())
            .record(started.elapsed().as_secs_f64());
        outcome
    }

    /// [`queue::any_due`]; true when the database cannot tell (the claim will).
    fn any_due(&self, kinds: &[&str]) -> bool {
        self.db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| queue::any_due(&mut conn, kinds).map_err(|e| e.to_string()))
            .unwrap_or(true)
    }

    /// Runs one write on a connection of the workers' pool, after SQLite's write gate
    /// (taken first, so no connection is held while waiting for it).
    fn write<T>(
        &self,
        write: impl FnOnce(&mut crate::db::DbConnection) -> diesel::QueryResult<T>,
    ) -> Result<T, String> {
        let _turn = self.db.write_gate();
        let mut conn = self.db.conn().map_err(|e| e.to_string())?;
        write(&mut conn).map_err(|e| e.to_string())
    }

    /// [`Worker::write`], tried three times: a job's outcome must be recorded even if
    /// the database hiccups right now. `None` when it never succeeded (the jobs then
    /// run again after their lease).
    fn with_retries<T>(
        &self,
        what: &str,
        write: impl Fn(&mut crate::db::DbConnection) -> diesel::QueryResult<T>,
    ) -> Option<T> {
        for attempt in 0..3 {
            match self.write(&write) {
                Ok(value) => return Some(value),
                Err(e) if attempt < 2 => {
                    log::warn!("{what} failed, retrying: {e}");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => log::error!("{what} failed (the jobs will run again): {e}"),
            }
        }
        None
    }

    fn record_failure(&self, job: &Job, error: &JobError) {
        let permanent = matches!(error, JobError::Permanent(_));
        let failed = self.with_retries("recording a failed job", |conn| {
            queue::fail(
                conn,
                job,
                &self.owner,
                &error.to_string(),
                permanent,
                &self.settings,
            )
        });
        let label = match failed {
            Some(Failed::Retrying) => {
                log::info!("job {} ({}) failed, will retry: {error}", job.id, job.kind);
                "retry"
            }
            Some(Failed::Dead) => {
                log::warn!("job {} ({}) is dead: {error}", job.id, job.kind);
                "dead"
            }
            Some(Failed::LeaseLost) => "lease_lost",
            None => return,
        };
        metrics::counter!("jobs_processed_total", "kind" => job.kind.clone(), "outcome" => label)
            .increment(1);
    }

    fn tidy(&self) {
        let tidied = self
            .db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| queue::tidy(&mut conn).map_err(|e| e.to_string()));
        if let Err(e) = tidied {
            log::warn!("tidying the job table failed: {e}");
        }
    }

    fn prune(&self) {
        match self.db.conn() {
            Ok(mut conn) => match queue::prune_done(&mut conn, KEEP_DONE) {
                Ok(0) => {}
                Ok(n) => log::info!("pruned {n} finished job(s)"),
                Err(e) => log::warn!("pruning jobs failed: {e}"),
            },
            Err(e) => log::warn!("pruning jobs failed: {e}"),
        }
    }
}
