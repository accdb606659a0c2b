//! PostgreSQL's group writes: concurrent writes of one kind (comment posts, article
//! creates) gathered into one statement.
//!
//! On PostgreSQL each write was a statement of its own: a hop to a blocking thread, a
//! round trip, a transaction with its commit record, a backend woken and put to sleep.
//! Measured with `pgbench` on a comment with its notification (16 clients, 10,000
//! articles), PostgreSQL took about 9,800 of them a second one to a statement and about
//! 29,000 eight to a statement; under 64 connections posting comments, the server's own
//! threads spent most of their time in the kernel handing writes from thread to thread.
//!
//! A batcher keeps a few threads ("lanes"), each with a connection of its own. A lane
//! takes every item waiting (up to [`MAX_BATCH`]) and stores them with one statement, a
//! transaction of its own; while it does, the next items gather for the other lane.
//! Under light load a batch is one item, as before. When the statement fails, the lane
//! stores each item of the batch alone, so one item that cannot be stored (its article
//! deleted meanwhile) fails its own request only; the others answer as if nothing
//! happened, since the failed statement stored nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use diesel::PgConnection;
use diesel::QueryResult;
use diesel::r2d2::ManageConnection;
use diesel::result::{DatabaseErrorKind, Error};

use super::{BackendKind, ConnectionManager, Db, DbConnection, DbError};

/// The most items one statement stores: enough to share a round trip and a commit
/// widely, few enough that the first of them does not wait long for the last.
pub const MAX_BATCH: usize = 64;

/// Lanes per batcher: one stores a batch while the next gathers.
const LANES: usize = 2;

/// How a batcher stores its items.
pub struct BatchSql<I, O> {
    /// For the threads' names and the batch size metric.
    pub name: &'static str,
    /// Stores `items` in one statement and answers one output per item, in their order.
    /// An error of the database (`Error::DatabaseError`) must mean that nothing was
    /// stored: the lane then stores each item alone.
    pub many: fn(&mut PgConnection, &[I]) -> QueryResult<Vec<O>>,
    /// Stores one item alone (after the statement of its batch failed).
    pub one: fn(&mut PgConnection, &I) -> QueryResult<O>,
}

impl<I, O> Clone for BatchSql<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for BatchSql<I, O> {}

struct Job<I, O> {
    item: I,
    reply: tokio::sync::oneshot::Sender<Result<O, DbError>>,
}

/// The sending end of one batcher's lanes. The lanes stop once it is dropped.
pub struct Batcher<I, O> {
    jobs: Sender<Job<I, O>>,
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts the lanes, which open their connections from `manager` when they first
    /// have something to store (and again after a lost connection).
    pub(super) fn start(manager: &ConnectionManager, sql: BatchSql<I, O>) -> std::io::Result<Self> {
        let (jobs, waiting) = mpsc::channel();
        let waiting = Arc::new(Mutex::new(waiting));
        for lane in 0..LANES {
            let (manager, waiting) = (manager.clone(), Arc::clone(&waiting));
            std::thread::Builder::new()
                .name(format!("conduit-{}-{lane}", sql.name))
                .spawn(move || run(&manager, &waiting, sql))?;
        }
        Ok(Self { jobs })
    }

    /// Stores `item` with whatever else is waiting and answers its output once the
    /// statement that stored it has committed.
    pub async fn submit(&self, item: I) -> Result<O, DbError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job { item, reply })
            .map_err(|_| DbError::Group("the batch lanes have stopped".into()))?;
        answer
            .await
            .map_err(|_| DbError::Group("a batch lane stopped before it answered".into()))?
    }
}

impl Db {
    /// On PostgreSQL, lanes that store the items of concurrent writes of one kind
    /// together, one statement a batch ([`batcher`]); `None` on SQLite, whose writer
    /// thread groups every write already. Their statements count as the pool's: each
    /// batch is the write of the requests in it.
    pub fn batcher<I: Send + 'static, O: Send + 'static>(
        &self,
        sql: BatchSql<I, O>,
    ) -> Result<Option<Batcher<I, O>>, String> {
        match self.backend {
            BackendKind::Postgres => Batcher::start(&self.counted, sql)
                .map(Some)
                .map_err(|e| format!("cannot start the {} lanes: {e}", sql.name)),
            BackendKind::Sqlite => Ok(None),
        }
    }
}

fn run<I, O>(
    manager: &ConnectionManager,
    waiting: &Mutex<Receiver<Job<I, O>>>,
    sql: BatchSql<I, O>,
) {
    let mut conn: Option<DbConnection> = None;
    loop {
        let batch = {
            let waiting = waiting.lock().unwrap_or_else(PoisonError::into_inner);
            let Ok(first) = waiting.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                let Ok(next) = waiting.try_recv() else { break };
                batch.push(next);
            }
            batch
        };
        metrics::histogram!("db_batch_size", "batch" => sql.name).record(batch.len() as f64);
        if conn.is_none() {
            match manager.connect() {
                Ok(opened) => conn = Some(opened),
                Err(e) => {
                    log::warn!("{}: no connection: {e}", sql.name);
                    for job in batch {
                        let _ = job
                            .reply
                            .send(Err(DbError::Group(format!("no connection: {e}"))));
                    }
                    continue;
                }
            }
        }
        let Some(DbConnection::Pg(pg)) = &mut conn else {
            for job in batch {
                let _ = job
                    .reply
                    .send(Err(DbError::Group("batches are for PostgreSQL".into())));
            }
            continue;
        };
        let (items, replies): (Vec<I>, Vec<_>) =
            batch.into_iter().map(|j| (j.item, j.reply)).unzip();
        // A panic (a bug) fails this batch's requests, not the lane.
        let Ok(stored) = catch_unwind(AssertUnwindSafe(|| (sql.many)(pg, &items))) else {
            log::error!("{}: a batch panicked", sql.name);
            conn = None;
            for reply in replies {
                let _ = reply.send(Err(DbError::Group("the batch failed".into())));
            }
            continue;
        };
        match stored {
            Ok(outputs) if outputs.len() == items.len() => {
                for (reply, output) in replies.into_iter().zip(outputs) {
                    let _ = reply.send(Ok(output));
                }
            }
            Ok(outputs) => {
                // Stored, but not answered item by item: a bug, said as such to each.
                log::error!(
                    "{}: {} items stored, {} answered",
                    sql.name,
                    items.len(),
                    outputs.len()
                );
                for reply in replies {
                    let _ = reply.send(Err(DbError::Group(
                        "the batch answered the wrong number of rows".into(),
                    )));
                }
            }
            Err(e) if is_lost(&e) => {
                log::warn!("{}: connection lost: {e}", sql.name);
                conn = None;
                for reply in replies {
                    let _ = reply.send(Err(DbError::Query(Error::DatabaseError(
                        DatabaseErrorKind::ClosedConnection,
                        Box::new(e.to_string()),
                    ))));
                }
            }
            // PostgreSQL refused the statement, which stored nothing then: each item
            // alone, with its own outcome (a batch of one has had it).
            Err(e @ Error::DatabaseError(..)) if items.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(DbError::Query(e)));
                }
            }
            Err(Error::DatabaseError(..)) => {
                for (item, reply) in items.iter().zip(replies) {
                    let alone = catch_unwind(AssertUnwindSafe(|| (sql.one)(pg, item)))
                        .unwrap_or(Err(Error::BrokenTransactionManager));
                    if alone.as_ref().is_err_and(is_lost) {
                        conn = None;
                        let _ = reply.send(alone.map_err(DbError::Query));
                        break;
                    }
                    let _ = reply.send(alone.map_err(DbError::Query));
                }
            }
            // Failed after PostgreSQL ran it (its answer could not be read): stored,
            // perhaps, so never stored again.
            Err(e) => {
                log::error!("{}: {e}", sql.name);
                for reply in replies {
                    let _ = reply.send(Err(DbError::Group(e.to_string())));
                }
            }
        }
    }
}

/// The connection is gone (or its state unknown, after a panic): the next batch opens
/// another.
fn is_lost(e: &Error) -> bool {
    matches!(
        e,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}
