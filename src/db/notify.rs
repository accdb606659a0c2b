//! PostgreSQL notifications sent right after the transaction that asked for them
//! commits, instead of from inside it.
//!
//! A `NOTIFY` inside a transaction takes, at commit, a lock that every notifying
//! transaction of the server shares (PostgreSQL keeps its notification queue in commit
//! order that way) and holds it through the commit's WAL flush. With every write
//! notifying (cache invalidations, job wake-ups), PostgreSQL committed the writes one
//! at a time: sampled under 64 connections posting comments, waiting on that lock was
//! the commonest state of a busy backend.
//!
//! So a write queues its notifications here ([`after_commit`]) and
//! [`super::write_transaction`] commits with [`commit`]: its `COMMIT` and, behind it in
//! the same round trip, a transaction of their own with `synchronous_commit = off`,
//! which holds that lock for microseconds (a notification is not kept across a server
//! crash anyway). A rolled-back write sends nothing. What this gives up: when the
//! commit succeeds and its notifications then fail (or the connection is lost between
//! the two), other processes keep that write's stale entries until their TTL.
//!
//! The writes of the application ([`super::Db::write`]) go one step further: their
//! commit sends nothing ([`deferred`]), and the pool's [`super::notifier`] sends the
//! notifications of the writes that committed meanwhile in one such transaction. Other
//! callers of [`super::write_transaction`] (job workers, the command line) send their
//! own as above.

use std::cell::{Cell, RefCell};

use diesel::QueryResult;
use diesel::connection::SimpleConnection;
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConnection;

thread_local! {
    /// The notifications of the transaction running on this thread: (channel, payload).
    static QUEUED: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// How deep in [`super::write_transaction`] this thread is: only the outermost sends.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Set while a [`super::Db`] write runs on this thread ([`deferred`]): its commit
    /// leaves the notifications queued, for the pool's [`super::notifier`].
    static DEFERRING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` (a [`super::Db`] write) so that the commit of its outermost write
/// transaction sends nothing, and returns what it returned with the notifications that
/// commit would have sent: the caller hands them to the pool's notifier, which sends
/// those of many writes in one transaction. Meaningless when `work` failed.
pub(super) fn deferred<T>(work: impl FnOnce() -> T) -> (T, Vec<(String, String)>) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            DEFERRING.with(|deferring| deferring.set(false));
        }
    }
    DEFERRING.with(|deferring| deferring.set(true));
    let _reset = Reset;
    let value = work();
    let queued = QUEUED.with(|queued| std::mem::take(&mut *queued.borrow_mut()));
    (value, queued)
}

/// Queues `payload` on `channel`, to be sent once the write transaction running on this
/// thread commits.
pub fn after_commit(channel: &str, payload: String) {
    QUEUED.with(|queued| queued.borrow_mut().push((channel.to_owned(), payload)));
}

/// Counts this thread into a write transaction for as long as it lives (so a panic
/// inside one still counts it out).
pub(super) struct Scope {
    outermost: bool,
}

impl Scope {
    /// Entering a write transaction; the outermost one drops what an earlier,
    /// failed one on this thread may have left queued.
    pub(super) fn enter() -> Self {
        let outermost = DEPTH.with(|depth| {
            let was = depth.get();
            depth.set(was + 1);
            was == 0
        });
        if outermost {
            QUEUED.with(|queued| queued.borrow_mut().clear());
        }
        Self { outermost }
    }

    /// Whether this is the outermost write transaction on its thread (the one that
    /// commits).
    pub(super) fn is_outermost(&self) -> bool {
        self.outermost
    }
}

/// Whether this thread is inside a [`super::write_transaction`].
pub(super) fn in_write_transaction() -> bool {
    DEPTH.with(|depth| depth.get() > 0)
}

impl Drop for Scope {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Commits the write transaction open on `conn` and sends what it queued, in one round
/// trip. `Ok` once the write has committed: a failure of the notifications alone is
/// logged and counted, since only other processes' caches and idle workers miss the
/// news (their entries expire, their workers poll).
pub(super) fn commit(conn: &mut DbConnection) -> QueryResult<()> {
    if DEFERRING.with(Cell::get) {
        // [`deferred`] takes what is queued once the commit went through.
        return conn.batch_execute("COMMIT");
    }
    let queued = QUEUED.with(|queued| std::mem::take(&mut *queued.borrow_mut()));
    if queued.is_empty() {
        return conn.batch_execute("COMMIT");
    }
    let mut sql = String::from("COMMIT; BEGIN; SET LOCAL synchronous_commit = off;");
    for (channel, payload) in &queued {
        sql.push_str(&format!(
            " SELECT pg_notify({}, {});",
            literal(channel),
            literal(payload)
        ));
    }
    sql.push_str(" COMMIT");
    let failed = match conn.batch_execute(&sql) {
        Ok(()) => return Ok(()),
        // Whether the commit went through is unknown, as with any commit on a lost
        // connection.
        Err(e @ Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => return Err(e),
        Err(e) => e,
    };
    // The server stops at the first failed statement and answers with its error only.
    // Inside the notifications' transaction (the write committed) every statement now
    // fails; after a failed `COMMIT` there is no transaction, and one succeeds.
    let committed = conn.batch_execute("SELECT 1").is_err();
    // Never leave the pooled connection inside either.
    let _ = conn.batch_execute("ROLLBACK");
    if committed {
        log::warn!("notifications after a commit could not be sent: {failed}");
        metrics::counter!("db_notifications_failed_total").increment(1);
        Ok(())
    } else {
        Err(failed)
    }
}

/// `text` as a dollar-quoted literal, under a tag found neither in `text` nor across its
/// end and the closing tag: nothing in it is read as an escape, whatever the server's
/// string settings.
pub(super) fn literal(text: &str) -> String {
    let ends_at_close = |tag: &str| format!("{text}{tag}").find(tag) == Some(text.len());
    let mut tag = String::from("$n$");
    let mut n = 0u32;
    while !ends_at_close(&tag) {
        n += 1;
        tag = format!("$n{n}$");
    }
    format!("{tag}{text}{tag}")
}

#[cfg(test)]
mod tests {
    use super::literal;

    #[test]
    fn literals_use_a_tag_their_text_does_not_contain() {
        assert_eq!(
            literal(r#"{"s":"it's \"x\""}"#),
            r#"$n${"s":"it's \"x\""}$n$"#
        );
        assert_eq!(literal("a $n$ b"), "$n1$a $n$ b$n1$");
        assert_eq!(literal("$n$$n1$"), "$n2$$n$$n1$$n2$");
        // Its end and the closing tag must not make a tag sooner.
        assert_eq!(literal("x$n"), "$n1$x$n$n1$");
    }
}
