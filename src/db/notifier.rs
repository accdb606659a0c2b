//! One PostgreSQL connection per pool that sends the notifications of many writes in
//! one transaction.
//!
//! Each write used to send its own after its commit, in the commit's round trip (see
//! [`super::notify`]): a transaction of its own for every write, with its WAL record
//! and its turn at the lock that orders the server's notification queue. Measured with
//! `pgbench` on the comment insert alone (8 clients), that second transaction cost
//! PostgreSQL an eighth of the comments it could take a second. Here the writes that
//! committed while the previous batch was being sent go out together, in one
//! transaction with `synchronous_commit = off`, on a connection that does nothing
//! else; each write's caller waits until its batch has been sent, so its answer still
//! leaves after its notifications, as before. (PostgreSQL delivers identical payloads
//! on one channel in one transaction once: two writes that say the same thing at the
//! same millisecond are one message, which means the same.)

use std::sync::mpsc::{self, Receiver, Sender};

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;

use super::{ConnectionManager, Db, DbConnection};

/// Notifications to send: (channel, payload).
pub type Queued = Vec<(String, String)>;

/// The most notifications one batch sends: one statement each, and a batch is one
/// round trip.
const MAX_BATCH: usize = 256;

struct Request {
    queued: Queued,
    sent: tokio::sync::oneshot::Sender<()>,
}

/// The sending end of one pool's notifier thread.
pub(super) struct Notifier {
    requests: Sender<Request>,
}

impl Notifier {
    /// Starts the thread, which opens its connection from `manager` when it first has
    /// something to send (and again after a failure).
    pub(super) fn start(manager: ConnectionManager) -> std::io::Result<Self> {
        let (requests, pending) = mpsc::channel();
        std::thread::Builder::new()
            .name("conduit-notifier".into())
            .spawn(move || run(&manager, &pending))?;
        Ok(Self { requests })
    }

    /// Sends `queued` in the next batch and returns once that batch was sent (or
    /// failed: only other processes' caches and idle workers miss the news then, and
    /// the failure is logged and counted, as [`super::notify`] does).
    pub(super) async fn send(&self, queued: Queued) {
        if queued.is_empty() {
            return;
        }
        let (sent, done) = tokio::sync::oneshot::channel();
        if self.requests.send(Request { queued, sent }).is_err() {
            failed("the notifier thread has stopped");
            return;
        }
        let _ = done.await;
    }
}

impl Db {
    /// Sends `queued` notifications (channel, payload) after a write that committed
    /// outside [`Db::write`] (a batch), with those of other writes, and returns once
    /// they have been sent.
    pub async fn send_notifications(&self, queued: Vec<(String, String)>) {
        if let Some(notifier) = &self.notifier {
            notifier.send(queued).await;
        }
    }
}

fn run(manager: &ConnectionManager, pending: &Receiver<Request>) {
    let mut conn: Option<DbConnection> = None;
    while let Ok(first) = pending.recv() {
        let mut batch = vec![first];
        let mut count = batch[0].queued.len();
        while count < MAX_BATCH {
            let Ok(next) = pending.try_recv() else { break };
            count += next.queued.len();
            batch.push(next);
        }
        metrics::histogram!("db_notify_batch_size").record(count as f64);
        let sql = statement(batch.iter().flat_map(|r| &r.queued));
        if conn.is_none() {
            match manager.connect() {
                Ok(opened) => conn = Some(opened),
                Err(e) => failed(&format!("no connection: {e}")),
            }
        }
        if let Some(open) = &mut conn
            && let Err(e) = open.batch_execute(&sql)
        {
            failed(&e.to_string());
            // Never keep a connection that may be inside the transaction; the next
            // batch opens a fresh one.
            conn = None;
        }
        for request in batch {
            let _ = request.sent.send(());
        }
    }
}

fn failed(why: &str) {
    log::warn!("notifications after a commit could not be sent: {why}");
    metrics::counter!("db_notifications_failed_total").increment(1);
}

/// One transaction that sends `queued`, without waiting for its WAL flush (a
/// notification is not kept across a server crash anyway).
fn statement<'a>(queued: impl Iterator<Item = &'a (String, String)>) -> String {
    let mut sql = String::from("BEGIN; SET LOCAL synchronous_commit = off;");
    for (channel, payload) in queued {
        sql.push_str(&format!(
            " SELECT pg_notify({}, {});",
            super::notify::literal(channel),
            super::notify::literal(payload)
        ));
    }
    sql.push_str(" COMMIT");
    sql
}
