//! SQLite's group commit: one writer thread per pool runs the writes that queued while
//! the previous group held the file's write lock, together, in one transaction, each
//! inside its own savepoint.
//!
//! SQLite lets one transaction write at a time, and each commit appends every page it
//! changed to the WAL, so writes that take turns one transaction each pay for the same
//! pages (the last leaf of `comments`, of `jobs`, of their indexes) again and again,
//! and hand the lock from thread to thread in between. Grouped, a burst of comment posts
//! writes those pages once per group and runs on one warm thread. Each write still
//! succeeds or fails on its own: a failed one is rolled back to its savepoint and the
//! others commit; its caller hears of its result only once the group has committed.
//!
//! The thread keeps a connection of its own, with a bigger page cache than the pool's.
//! In WAL mode a connection drops its whole page cache whenever another connection has
//! written since its last transaction: a writer taking whichever pooled connection was
//! free found its cache dropped at every group (the last group wrote through another
//! one) and read every page it touched from the operating system again (a third of its
//! time under a flood of creates was in the kernel, `pread` copies the most of it). Its
//! own connection's cache survives from one group to the next unless the job workers
//! wrote in between.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use parking_lot::FairMutex;

use super::checkpoint::Checkpointer;
use super::{ConnectionManager, DbConnection, DbError};

/// The most writes one group holds: enough to share a commit widely, few enough that
/// the first of them does not wait long for the last.
const MAX_GROUP: usize = 32;

/// The writer's page cache, in KiB (a pooled connection has 1 MiB): the pages that
/// writes share (the last leaves of `comments`, `jobs`, `notifications`, their indexes,
/// the tables' upper levels) stay in it between groups.
const WRITER_CACHE_KIB: u32 = 8 * 1024;

/// A queued write: given the group's connection, it runs and says how it went; given
/// an error, the group could not run it and it hands that to its caller.
type Pending = Box<dyn FnOnce(Result<&mut DbConnection, DbError>) -> Option<Ran> + Send>;

/// A write that has run inside the open group transaction.
struct Ran {
    /// It succeeded: its savepoint is released, not rolled back.
    kept: bool,
    /// Hands its result to its caller once the group's commit is known.
    finish: Box<dyn FnOnce(Result<(), DbError>) + Send>,
}

/// The sending end of one pool's writer thread.
pub(super) struct Writer {
    queue: Sender<Pending>,
}

impl Writer {
    /// Starts the writer thread, on a connection of its own from `manager`, which takes
    /// `gate` for each group (the gate the job workers take for their own transactions
    /// on the same file), and the thread that checkpoints what it commits, on a
    /// connection from `checkpoints` ([`Checkpointer`]).
    pub(super) fn start(
        manager: ConnectionManager,
        checkpoints: ConnectionManager,
        gate: Arc<FairMutex<()>>,
    ) -> std::io::Result<Self> {
        let (queue, pending) = mpsc::channel();
        let checkpointer = Checkpointer::start(checkpoints)?;
        // Opened here rather than on the thread, so that its set-up statements are
        // over (and counted) before the pool is handed out.
        let conn = open(&manager)
            .inspect_err(|e| log::error!("the writer's connection: {e}"))
            .ok();
        std::thread::Builder::new()
            .name("conduit-writer".into())
            .spawn(move || run(conn, &manager, &gate, &pending, &checkpointer))?;
        Ok(Self { queue })
    }

    /// Runs `work` in the next group and waits for its result, which it has only once
    /// the group committed (or failed).
    pub(super) async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, result) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let pending: Pending = Box::new(move |conn| {
            let conn = match conn {
                Ok(conn) => conn,
                Err(e) => {
                    let _ = reply.send(Err(E::from(e)));
                    return None;
                }
            };
            let outcome = work(conn);
            Some(Ran {
                kept: outcome.is_ok(),
                finish: Box::new(move |committed| {
                    let outcome = match committed {
                        Ok(()) => outcome,
                        Err(e) => outcome.and_then(|_| Err(E::from(e))),
                    };
                    let _ = reply.send(outcome);
                }),
            })
        });
        self.queue
            .send(pending)
            .map_err(|_| E::from(DbError::Blocking("the writer thread has stopped".into())))?;
        // A write that panicked drops its reply unsent.
        result
            .await
            .map_err(|_| E::from(DbError::Blocking("the write panicked".into())))?
    }
}

/// The writer thread: one group per turn at the gate, until every sender is gone, on
/// `conn` (opened again from `manager` at the next group when it could not be).
fn run(
    mut conn: Option<DbConnection>,
    manager: &ConnectionManager,
    gate: &FairMutex<()>,
    pending: &Receiver<Pending>,
    checkpointer: &Checkpointer,
) {
    while let Ok(first) = pending.recv() {
        let _turn = gate.lock();
        let mut group = vec![first];
        // What queued while the gate was busy joins this group.
        group.extend(pending.try_iter().take(MAX_GROUP - 1));
        metrics::histogram!("db_write_group_size").record(group.len() as f64);
        if conn.is_none() {
            match open(manager) {
                Ok(opened) => conn = Some(opened),
                Err(e) => {
                    fail_all(group, Vec::new(), &format!("database connection: {e}"));
                    continue;
                }
            }
        }
        if let Some(conn) = &mut conn {
            commit_group(conn, group);
            checkpointer.committed();
        }
    }
}

fn open(manager: &ConnectionManager) -> Result<DbConnection, String> {
    let mut conn = manager.connect().map_err(|e| e.to_string())?;
    // Each write of a group has its savepoint, and SQLite copies every page a savepoint
    // changes to the transaction's statement journal first; past 64 KiB that journal
    // spills to a temporary file, and a group of creates wrote megabytes to it. Kept
    // in memory, it is freed at each commit. The log's checkpoints are left to the
    // checkpoint thread.
    conn.batch_execute(&format!(
        "PRAGMA cache_size = -{WRITER_CACHE_KIB}; PRAGMA temp_store = MEMORY; \
         PRAGMA wal_autocheckpoint = 0"
    ))
    .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Runs `group` in one transaction, each write in its own savepoint, and commits. A
/// write alone in its group needs no savepoint: the transaction is its own.
fn commit_group(conn: &mut DbConnection, group: Vec<Pending>) {
    if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
        return fail_all(group, Vec::new(), &e.to_string());
    }
    let alone = group.len() == 1;
    let mut ran = Vec::with_capacity(group.len());
    let mut queued = group.into_iter();
    while let Some(write) = queued.next() {
        if !alone && let Err(e) = conn.batch_execute("SAVEPOINT grouped_write") {
            return abort(conn, queued.collect(), ran, &e.to_string());
        }
        // A panicking write is rolled back alone; its caller finds its reply dropped.
        let done = catch_unwind(AssertUnwindSafe(|| write(Ok(&mut *conn))));
        let kept = matches!(&done, Ok(Some(r)) if r.kept);
        if done.is_err() {
            log::error!("a write panicked; rolled back");
        }
        ran.extend(done.ok().flatten());
        let end = match (alone, kept) {
            (false, true) => "RELEASE SAVEPOINT grouped_write",
            (false, false) => {
                "ROLLBACK TO SAVEPOINT grouped_write; RELEASE SAVEPOINT grouped_write"
            }
            (true, true) => continue,
            (true, false) => "ROLLBACK",
        };
        if let Err(e) = conn.batch_execute(end) {
            return abort(conn, queued.collect(), ran, &e.to_string());
        }
        if alone {
            // Rolled back: its own error is its outcome.
            return finish_all(ran, &Ok(()));
        }
    }
    match conn.batch_execute("COMMIT") {
        Ok(()) => finish_all(ran, &Ok(())),
        Err(e) => abort(conn, Vec::new(), ran, &e.to_string()),
    }
}

/// Hands each write that ran its result, given how the group ended.
fn finish_all(ran: Vec<Ran>, ended: &Result<(), String>) {
    for write in ran {
        (write.finish)(ended.clone().map_err(DbError::Group));
    }
}

/// Rolls the whole group back: the writes that ran and those still queued all fail.
fn abort(conn: &mut DbConnection, queued: Vec<Pending>, ran: Vec<Ran>, why: &str) {
    if let Err(e) = conn.batch_execute("ROLLBACK") {
        log::error!("rollback of a write group failed: {e}");
    }
    fail_all(queued, ran, why);
}

fn fail_all(queued: Vec<Pending>, ran: Vec<Ran>, why: &str) {
    log::error!("a group of writes failed: {why}");
    finish_all(ran, &Err(why.to_owned()));
    for write in queued {
        write(Err(DbError::Group(why.to_owned())));
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use crate::db::{DatabaseUrl, Db, DbError};

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn rows(db: &Db, kept: bool) -> i64 {
        let mut conn = db.conn().expect("connection");
        diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM t WHERE kept = {}",
            i32::from(kept)
        ))
        .get_result::<Count>(&mut *conn)
        .expect("count")
        .n
    }

    /// Writes sent together share groups, yet each one commits or rolls back alone: the
    /// failed and the panicking ones leave no row, the others all do, and every caller
    /// hears its own outcome.
    #[tokio::test(flavor = "current_thread")]
    async fn grouped_writes_succeed_and_fail_one_by_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = DatabaseUrl::parse(&dir.path().join("w.db").to_string_lossy()).expect("url");
        let db = Db::connect(&url, 4).expect("db");
        db.conn()
            .expect("connection")
            .batch_execute("CREATE TABLE t (n INTEGER NOT NULL, kept INTEGER NOT NULL)")
            .expect("table");

        // Held while the writes are sent, so that they queue up and go in full groups.
        let turn = db.write_gate();
        let writes: Vec<_> = (0..200)
            .map(|n: i32| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.write(move |conn| {
                        let kept = n % 3 != 0;
                        diesel::sql_query(format!(
                            "INSERT INTO t (n, kept) VALUES ({n}, {})",
                            i32::from(kept)
                        ))
                        .execute(conn)?;
                        if n == 100 {
                            panic!("a write that panics after its insert");
                        }
                        if kept {
                            Ok(n)
                        } else {
                            Err(DbError::Blocking(format!("refused {n}")))
                        }
                    })
                    .await
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(turn);
        let mut outcomes = Vec::new();
        for write in writes {
            outcomes.push(write.await.expect("task"));
        }

        for (n, outcome) in (0..).zip(&outcomes) {
            match outcome {
                Ok(got) => assert!(n % 3 != 0 && n != 100 && *got == n, "write {n} succeeded"),
                Err(DbError::Blocking(why)) if n == 100 => assert!(why.contains("panicked")),
                Err(DbError::Blocking(why)) => assert_eq!(why, &format!("refused {n}")),
                Err(e) => panic!("write {n}: {e}"),
            }
        }
        assert_eq!(rows(&db, false), 0, "rows of failed writes");
        // 200 writes, 67 of them refused (n % 3 == 0, 0 included) and the 100th panicked.
        assert_eq!(rows(&db, true), 132, "rows of successful writes");
    }

    /// What the writer commits reaches the database file soon after, copied by the
    /// checkpoint thread: the writer's connection never checkpoints, and these writes
    /// are far under the 1,000 log pages at which a connection's commit would.
    #[tokio::test(flavor = "current_thread")]
    async fn commits_reach_the_database_file_through_the_checkpoint_thread() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("c.db");
        let url = DatabaseUrl::parse(&file.to_string_lossy()).expect("url");
        let db = Db::connect(&url, 2).expect("db");
        db.write(|conn| {
            conn.batch_execute("CREATE TABLE t (n INTEGER NOT NULL, kept INTEGER NOT NULL)")
                .map_err(DbError::from)
        })
        .await
        .expect("table");
        for n in 0..50 {
            db.write(move |conn| {
                diesel::sql_query(format!("INSERT INTO t (n, kept) VALUES ({n}, 1)"))
                    .execute(conn)
                    .map_err(DbError::from)
            })
            .await
            .expect("insert");
        }
        // `immutable` reads the file alone, without the log.
        let in_file = || {
            let mut conn =
                SqliteConnection::establish(&format!("file:{}?immutable=1", file.display()))
                    .expect("the file, read alone");
            diesel::sql_query("SELECT COUNT(*) AS n FROM t WHERE kept = 1")
                .get_result::<Count>(&mut conn)
                .map_or(0, |count| count.n)
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while in_file() < 50 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(in_file(), 50, "rows in the database file");
        assert_eq!(rows(&db, true), 50, "rows seen through the log");
    }
}
