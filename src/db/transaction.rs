//! Transactions on both backends: write transactions that queue on SQLite and commit
//! with their notifications on PostgreSQL, savepoints, and what a failed statement says.

use std::cell::Cell;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{DbConnection, notify};

/// Runs `work` inside a write transaction.
///
/// SQLite's default deferred transactions take the write lock only at their first write;
/// two of them that both read first then deadlock and one fails at once with `SQLITE_BUSY`,
/// busy timeout or not. `BEGIN IMMEDIATE` takes the lock up front so writers queue instead.
/// `work` must not open a transaction itself.
///
/// On PostgreSQL the notifications it queued ([`notify::after_commit`]) leave with its
/// `COMMIT`, in the same round trip ([`notify::commit`]). A write transaction entered
/// inside another one on the same thread is a savepoint of it, and its notifications
/// leave with the outer commit.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Pg(_) => {
            let scope = notify::Scope::enter();
            if !scope.is_outermost() {
                // Nested: a savepoint of the enclosing write, whose failure undoes its
                // own statements only (as diesel's transaction manager did).
                conn.batch_execute("SAVEPOINT nested_write")?;
                return match work(conn) {
                    Ok(value) => {
                        conn.batch_execute("RELEASE SAVEPOINT nested_write")?;
                        Ok(value)
                    }
                    Err(e) => {
                        conn.batch_execute("ROLLBACK TO SAVEPOINT nested_write")?;
                        Err(e)
                    }
                };
            }
            // Statements rather than diesel's transaction manager, whose commit would
            // be a round trip of its own; [`savepoint`] and [`unit_of_work`] nest inside.
            in_transaction(conn, "BEGIN", work, notify::commit)
        }
        DbConnection::Sqlite(_) => in_transaction(conn, "BEGIN IMMEDIATE", work, |conn| {
            conn.batch_execute("COMMIT")
        }),
    }
}

thread_local! {
    /// How many more statements the [`single_statement`] write running on this thread
    /// may start; `None` outside one.
    static BUDGET: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Runs `work`, which starts at most one statement, as a write without a transaction
/// block: on PostgreSQL that statement is a transaction of its own, committed as it
/// ends, so the write costs one round trip where `BEGIN`, the statement and `COMMIT`
/// cost three. Its notifications ([`notify::after_commit`]) stay queued for the caller
/// ([`notify::deferred`]). `work` must not fail once its statement succeeded (it has
/// committed), and must start no second statement: that one would commit on its own. A
/// second one is logged and counted, and fails debug builds ([`count_statement`]), so
/// that the tests catch a write that outgrew this. On SQLite, a [`write_transaction`].
pub(super) fn single_statement<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    struct Spent;
    impl Drop for Spent {
        fn drop(&mut self) {
            BUDGET.with(|budget| budget.set(None));
        }
    }
    match conn {
        DbConnection::Pg(_) => {
            let _scope = notify::Scope::enter();
            BUDGET.with(|budget| budget.set(Some(1)));
            let _spent = Spent;
            work(conn)
        }
        DbConnection::Sqlite(_) => write_transaction(conn, work),
    }
}

/// Tells the [`single_statement`] write running on this thread, if any, that the
/// statement about to start replaces the last one, which changed nothing that the
/// write needs (an insert that found its unique key taken, tried again with another):
/// it may start it. Each attempt is then a transaction of its own.
pub fn next_attempt() {
    BUDGET.with(|budget| {
        if let Some(left) = budget.get() {
            budget.set(Some(left + 1));
        }
    });
}

/// Counts a statement that a connection started on this thread against the budget of
/// the [`single_statement`] write running here, if any.
pub(super) fn count_statement() {
    BUDGET.with(|budget| match budget.get() {
        None => {}
        Some(0) => {
            log::error!("a single-statement write started a second statement");
            metrics::counter!("db_single_statement_overruns_total").increment(1);
            debug_assert!(false, "a single-statement write started a second statement");
        }
        Some(left) => budget.set(Some(left - 1)),
    });
}

/// Runs `work` between `begin` and `commit`, and rolls back when it fails or panics (a
/// pooled connection must never go back to the pool inside a transaction).
fn in_transaction<T, E, F>(
    conn: &mut DbConnection,
    begin: &str,
    work: F,
    commit: fn(&mut DbConnection) -> QueryResult<()>,
) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.batch_execute(begin)?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *conn))) {
        Ok(Ok(value)) => match commit(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                // Nothing may be left to roll back: the error is the commit's.
                let _ = conn.batch_execute("ROLLBACK");
                Err(e.into())
            }
        },
        Ok(Err(e)) => {
            roll_back(conn);
            Err(e)
        }
        Err(panic) => {
            roll_back(conn);
            std::panic::resume_unwind(panic)
        }
    }
}

fn roll_back(conn: &mut DbConnection) {
    if let Err(e) = conn.batch_execute("ROLLBACK") {
        log::error!("rollback failed: {e}");
    }
}

/// Runs `work` so that its failure leaves the caller's transaction usable: inside a
/// SAVEPOINT on PostgreSQL, where any failed statement aborts the whole transaction, and
/// as it is on SQLite, where a failed statement does not (and where `BEGIN IMMEDIATE`
/// already keeps other writers out).
pub fn savepoint<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    match conn {
        DbConnection::Pg(_) if notify::in_write_transaction() => unit_of_work(conn, work),
        DbConnection::Pg(_) => write_transaction(conn, work),
        DbConnection::Sqlite(_) => work(conn),
    }
}

/// Runs `work` inside a SAVEPOINT on both backends: its failure undoes its own writes
/// and nothing else, and the transaction goes on. For independent units of work that
/// share one commit (a batch of jobs); the caller's transaction must be open.
pub fn unit_of_work<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.batch_execute("SAVEPOINT unit_of_work")?;
    match work(conn) {
        Ok(value) => {
            conn.batch_execute("RELEASE SAVEPOINT unit_of_work")?;
            Ok(value)
        }
        Err(e) => {
            conn.batch_execute("ROLLBACK TO SAVEPOINT unit_of_work")?;
            conn.batch_execute("RELEASE SAVEPOINT unit_of_work")?;
            Err(e)
        }
    }
}

diesel::define_sql_function! {
    /// SQLite's id of the row this connection inserted last.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// The id of the row `conn` inserted last (SQLite has no RETURNING through diesel's
/// portable path; the rowid is exact per connection even with other writers).
pub fn last_insert_id(conn: &mut diesel::SqliteConnection) -> QueryResult<i32> {
    let id: i64 = diesel::select(last_insert_rowid()).get_result(conn)?;
    i32::try_from(id).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// True when `err` is a unique-constraint violation (a lost race on a unique column).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// True when `err` is a foreign-key violation: the row it refers to is gone (deleted by
/// a concurrent write after this one checked it).
pub fn is_foreign_key_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _
        )
    )
}
