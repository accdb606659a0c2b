//! Worker threads: each loops claim → run → complete/fail on its own OS thread (never on
//! actix's async workers), with its own small connection pool so that jobs never starve
//! requests of connections.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::queue::{self, Failed};
use super::{Job, JobError, JobHandler, JobSettings};
use crate::db::Db;

/// How long finished jobs are kept before the workers prune them.
const KEEP_DONE: chrono::Duration = chrono::Duration::days(7);
/// How often one worker prunes.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Pause after the database failed, so a broken database is not hammered.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// A stop flag that sleeping workers wake up for.
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    fn is_set(&self) -> bool {
        self.stopped.lock().map(|s| *s).unwrap_or(true)
    }

    /// Sleeps up to `pause`; returns early when stopped.
    fn sleep(&self, pause: Duration) {
        if let Ok(guard) = self.stopped.lock() {
            let _ = self
                .wake
                .wait_timeout_while(guard, pause, |stopped| !*stopped);
        }
    }

    fn set(&self) {
        if let Ok(mut stopped) = self.stopped.lock() {
            *stopped = true;
        }
        self.wake.notify_all();
    }
}

/// Counts a thread as running for as long as it lives, even if it panics.
struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A set of worker threads sharing one handler.
pub struct WorkerPool {
    stop: Arc<Stop>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    running: Arc<AtomicUsize>,
    size: u32,
}

impl WorkerPool {
    /// Starts `settings.workers` threads running `handler`'s kinds from `db`.
    pub fn start(
        db: Db,
        settings: JobSettings,
        handler: Arc<dyn JobHandler>,
    ) -> std::io::Result<Arc<Self>> {
        let stop = Arc::new(Stop::default());
        let running = Arc::new(AtomicUsize::new(0));
        let instance = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let mut threads = Vec::new();
        for index in 0..settings.workers {
            let worker = Worker {
                db: db.clone(),
                settings: settings.clone(),
                handler: Arc::clone(&handler),
                stop: Arc::clone(&stop),
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
                    stop.set();
                    return Err(e);
                }
            }
        }
        log::info!("started {} job worker(s)", settings.workers);
        Ok(Arc::new(Self {
            stop,
            threads: Mutex::new(threads),
            running,
            size: settings.workers,
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
        !self.stop.is_set() && self.running() == self.size as usize
    }

    /// Asks every thread to stop after its current job and waits up to `deadline` for
    /// them; true when all finished in time (the others' jobs are re-claimed after their
    /// lease expires).
    pub fn shutdown(&self, deadline: Duration) -> bool {
        self.stop.set();
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
    stop: Arc<Stop>,
    owner: String,
    prunes: bool,
}

impl Worker {
    fn run(&self) {
        let kinds = self.handler.kinds();
        let mut last_prune = Instant::now();
        while !self.stop.is_set() {
            if self.prunes && last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                self.prune();
            }
            let claimed = self
                .db
                .conn()
                .map_err(|e| e.to_string())
                .and_then(|mut conn| {
                    queue::claim(&mut conn, &self.owner, &kinds, 1, self.settings.lease)
                        .map_err(|e| e.to_string())
                });
            match claimed {
                Ok(jobs) if jobs.is_empty() => self.stop.sleep(self.settings.poll),
                Ok(jobs) => jobs.into_iter().for_each(|job| self.execute(job)),
                Err(e) => {
                    log::warn!("job worker {} cannot claim: {e}", self.owner);
                    self.stop.sleep(ERROR_PAUSE.max(self.settings.poll));
                }
            }
        }
    }

    fn execute(&self, job: Job) {
        let started = Instant::now();
        let outcome =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.handler.run(&self.db, &job)))
                .unwrap_or_else(|_| Err(JobError::Retry("the handler panicked".into())));
        metrics::histogram!("job_duration_seconds", "kind" => job.kind.clone())
            .record(started.elapsed().as_secs_f64());
        // The outcome must be recorded even if the database hiccups right now.
        for attempt in 0..3 {
            match self.record(&job, &outcome) {
                Ok(label) => {
                    metrics::counter!("jobs_processed_total", "kind" => job.kind.clone(), "outcome" => label)
                        .increment(1);
                    return;
                }
                Err(e) if attempt < 2 => {
                    log::warn!("recording job {} failed, retrying: {e}", job.id);
                    self.stop.sleep(Duration::from_millis(200));
                }
                Err(e) => log::error!("job {} outcome lost (it will run again): {e}", job.id),
            }
        }
    }

    fn record(&self, job: &Job, outcome: &Result<(), JobError>) -> Result<&'static str, String> {
        let mut conn = self.db.conn().map_err(|e| e.to_string())?;
        let label = match outcome {
            Ok(()) => {
                if queue::complete(&mut conn, job, &self.owner).map_err(|e| e.to_string())? {
                    "done"
                } else {
                    log::warn!("job {} finished after its lease was lost", job.id);
                    "lease_lost"
                }
            }
            Err(error) => {
                let permanent = matches!(error, JobError::Permanent(_));
                let failed = queue::fail(
                    &mut conn,
                    job,
                    &self.owner,
                    &error.to_string(),
                    permanent,
                    &self.settings,
                )
                .map_err(|e| e.to_string())?;
                match failed {
                    Failed::Retrying => {
                        log::info!("job {} ({}) failed, will retry: {error}", job.id, job.kind);
                        "retry"
                    }
                    Failed::Dead => {
                        log::warn!("job {} ({}) is dead: {error}", job.id, job.kind);
                        "dead"
                    }
                    Failed::LeaseLost => "lease_lost",
                }
            }
        };
        Ok(label)
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
