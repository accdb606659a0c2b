//! Receiving other processes' invalidations (see [`super::broadcast`]) on a thread of
//! its own, with a connection of its own (outside the pool, so requests never wait for
//! it and its statements are not counted as theirs).
//!
//! - PostgreSQL: `LISTEN` on the site's channel. diesel offers no socket to wait on, so
//!   the thread polls the connection for notifications every [`POLL`] (a non-blocking
//!   read: about a hundred cheap system calls a second) and pings it every [`PING`] to
//!   notice a connection that died silently. When the connection is lost the caches are
//!   suspended (flushed and bypassed: reads go to the database) until the listener has
//!   reconnected, with backoff, and flushed them again; so no entry that could have
//!   missed an invalidation is ever served. Until the first connection, they are
//!   suspended too.
//! - SQLite: one server per file; the thread reads new `cache_events` rows when
//!   `PRAGMA data_version` says that another connection committed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::broadcast::{Broadcast, Message};
use super::{Caches, invalidate};
use crate::db::DatabaseUrl;
use crate::db::schema::cache_events;
use crate::domain::time;

/// How often the connection is checked for new invalidations.
const POLL: Duration = Duration::from_millis(10);
/// How often an idle PostgreSQL connection is pinged.
const PING: Duration = Duration::from_secs(5);
/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long SQLite's `cache_events` rows are kept for the server to read (it reads them
/// within [`POLL`]; the margin covers a stalled server).
const KEEP_EVENTS: chrono::Duration = chrono::Duration::minutes(2);
/// How often the SQLite watcher prunes them.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

/// The listener's state, shared with readiness and shut-down.
#[derive(Debug, Default)]
struct Shared {
    up: AtomicBool,
    stop: AtomicBool,
}

/// A running listener thread.
#[derive(Debug, Clone)]
pub struct Listener {
    shared: Arc<Shared>,
}

/// How the listener reconnects (`CONDUIT_LISTENER_BACKOFF_MS` sets the first pause).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Pause before the first reconnection attempt; doubles up to [`MAX_BACKOFF`].
    pub first: Duration,
}

impl Listener {
    /// Starts listening for `url`'s invalidations from processes other than
    /// `broadcast`'s origin, applying them to `caches`. The thread ends when stopped or
    /// when the caches are gone.
    pub fn start(
        url: &DatabaseUrl,
        broadcast: &Broadcast,
        caches: &Arc<Caches>,
        backoff: Backoff,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let receiver = Receiver {
            origin: broadcast.origin().to_owned(),
            caches: Arc::downgrade(caches),
            shared: Arc::clone(&shared),
        };
        let target = url.connection_target().to_owned();
        match broadcast.channel() {
            Some(channel) => {
                // The first LISTEN is made before the server starts, so it is ready at
                // once; should it fail, nothing is served from the caches until the
                // thread has connected.
                let first = match connect_listening(&target, channel, &receiver.origin) {
                    Ok(conn) => {
                        receiver.set_up(true);
                        Some(conn)
                    }
                    Err(cause) => {
                        log::warn!("cache listener cannot connect yet ({cause})");
                        caches.suspend();
                        None
                    }
                };
                let channel = channel.to_owned();
                spawn("conduit-listener", move || {
                    receiver.listen_postgres(target, channel, backoff, first)
                })?;
            }
            None => {
                shared.up.store(true, Ordering::Release);
                spawn("conduit-watcher", move || {
                    receiver.watch_sqlite(target, backoff)
                })?;
            }
        }
        Ok(Self { shared })
    }

    /// True while invalidations are being received (false during an outage).
    pub fn is_up(&self) -> bool {
        self.shared.up.load(Ordering::Acquire)
    }

    /// Asks the thread to end (it does within one poll).
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }
}

/// Runs `work` as an async task on a thread of its own.
fn spawn<F, Fut>(name: &str, work: F) -> std::io::Result<()>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || actix_web::rt::System::new().block_on(work()))
        .map(drop)
}

struct Receiver {
    origin: String,
    caches: Weak<Caches>,
    shared: Arc<Shared>,
}

impl Receiver {
    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::Acquire) || self.caches.strong_count() == 0
    }

    fn set_up(&self, up: bool) {
        self.shared.up.store(up, Ordering::Release);
        metrics::gauge!("cache_listener_up").set(if up { 1.0 } else { 0.0 });
    }

    /// Applies one payload unless it is this process's own.
    async fn deliver(&self, caches: &Caches, payload: &str) {
        let Some(message) = Message::decode(payload) else {
            log::warn!("unreadable invalidation; dropping every cached entry");
            invalidate::everything(caches);
            return;
        };
        if message.origin == self.origin {
            return;
        }
        if message.jobs_queued {
            crate::jobs::wake::wake_local();
        }
        metrics::counter!("cache_invalidations_received_total").increment(1);
        let delay_ms = (chrono::Utc::now().timestamp_millis() - message.sent_at_ms).max(0);
        metrics::histogram!("cache_invalidation_delay_seconds").record(delay_ms as f64 / 1000.0);
        for stale in &message.stale {
            invalidate::apply(caches, stale).await;
        }
    }

    /// The connection is gone: stop serving from the caches before anything else.
    fn lost(&self, cause: &str) {
        if let Some(caches) = self.caches.upgrade() {
            caches.suspend();
        }
        self.set_up(false);
        metrics::counter!("cache_listener_disconnects_total").increment(1);
        log::warn!("cache listener lost the database ({cause}); caches bypassed until it is back");
    }

    async fn listen_postgres(
        self,
        target: String,
        channel: String,
        backoff: Backoff,
        mut first: Option<PgConnection>,
    ) {
        let mut pause = backoff.first;
        let mut connected_before = false;
        while !self.stopped() {
            let conn = match first.take() {
                // Connected before the server started, with the caches still empty.
                Some(conn) => conn,
                None => match connect_listening(&target, &channel, &self.origin) {
                    Ok(conn) => {
                        // Listening from here on: whatever was cached before may have
                        // missed an invalidation, so it all goes before the caches serve
                        // again.
                        let Some(caches) = self.caches.upgrade() else {
                            return;
                        };
                        caches.resume();
                        drop(caches);
                        self.set_up(true);
                        if connected_before {
                            metrics::counter!("cache_listener_reconnects_total").increment(1);
                            log::info!(
                                "cache listener reconnected; caches flushed and back in use"
                            );
                        }
                        conn
                    }
                    Err(cause) => {
                        log::warn!(
                            "cache listener cannot connect ({cause}); retrying in {pause:?}"
                        );
                        actix_web::rt::time::sleep(pause).await;
                        pause = (pause * 2).min(MAX_BACKOFF);
                        continue;
                    }
                },
            };
            connected_before = true;
            pause = backoff.first;
            match self.receive_postgres(conn).await {
                Ok(()) => return,
                Err(cause) => self.lost(&cause),
            }
            actix_web::rt::time::sleep(pause).await;
        }
    }

    /// Delivers notifications until stopped (`Ok`) or the connection fails (`Err`).
    async fn receive_postgres(&self, mut conn: PgConnection) -> Result<(), String> {
        let mut pinged = Instant::now();
        loop {
            if self.stopped() {
                return Ok(());
            }
            let mut payloads = Vec::new();
            for received in conn.notifications_iter() {
                payloads.push(received.map_err(|e| e.to_string())?.payload);
            }
            if !payloads.is_empty() {
                let Some(caches) = self.caches.upgrade() else {
                    return Ok(());
                };
                for payload in &payloads {
                    self.deliver(&caches, payload).await;
                }
            } else if pinged.elapsed() >= PING {
                conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
                pinged = Instant::now();
            }
            actix_web::rt::time::sleep(POLL).await;
        }
    }

    async fn watch_sqlite(self, path: String, backoff: Backoff) {
        let mut pause = backoff.first;
        while !self.stopped() {
            match self.receive_sqlite(&path).await {
                Ok(()) => return,
                Err(cause) => {
                    self.lost(&cause);
                    actix_web::rt::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    async fn receive_sqlite(&self, path: &str) -> Result<(), String> {
        let mut conn = SqliteConnection::establish(path).map_err(|e| e.to_string())?;
        conn.batch_execute("PRAGMA busy_timeout = 5000;")
            .map_err(|e| e.to_string())?;
        let mut version = data_version(&mut conn)?;
        let mut last_id = latest_event(&mut conn)?;
        if let Some(caches) = self.caches.upgrade()
            && !caches.coherent()
        {
            // Back after an error: anything cached meanwhile may be stale.
            caches.resume();
        }
        self.set_up(true);
        let mut pruned = Instant::now();
        loop {
            if self.stopped() {
                return Ok(());
            }
            let now = data_version(&mut conn)?;
            if now != version {
                version = now;
                let events = events_after(&mut conn, last_id)?;
                let Some(caches) = self.caches.upgrade() else {
                    return Ok(());
                };
                if events.first().is_some_and(|e| e.id > last_id + 1) && last_id > 0 {
                    // Rows were pruned before this watcher read them.
                    invalidate::everything(&caches);
                }
                for event in &events {
                    self.deliver(&caches, &event.payload).await;
                    last_id = event.id;
                }
            }
            if pruned.elapsed() >= PRUNE_EVERY {
                pruned = Instant::now();
                diesel::delete(
                    cache_events::table
                        .filter(cache_events::created_at.lt(time::now() - KEEP_EVENTS)),
                )
                .execute(&mut conn)
                .map_err(|e| e.to_string())?;
            }
            actix_web::rt::time::sleep(POLL).await;
        }
    }
}

/// A new PostgreSQL connection listening on `channel`, named so that operators (and
/// tests) can find it in `pg_stat_activity`.
fn connect_listening(target: &str, channel: &str, origin: &str) -> Result<PgConnection, String> {
    crate::db::init_client_tls();
    let mut conn = PgConnection::establish(target).map_err(|e| e.to_string())?;
    diesel::sql_query("SELECT set_config('application_name', $1, false)")
        .bind::<Text, _>(format!("conduit-listener {origin}"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    // The channel is `conduit_` and hex digits (see `broadcast`): safe to splice.
    conn.batch_execute(&format!("LISTEN {channel}"))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

fn data_version(conn: &mut SqliteConnection) -> Result<i64, String> {
    diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(conn)
        .map(|v| v.data_version)
        .map_err(|e| e.to_string())
}

fn latest_event(conn: &mut SqliteConnection) -> Result<i32, String> {
    cache_events::table
        .select(diesel::dsl::max(cache_events::id))
        .first::<Option<i32>>(conn)
        .map(|id| id.unwrap_or(0))
        .map_err(|e| e.to_string())
}

#[derive(QueryableByName)]
struct Event {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    payload: String,
}

fn events_after(conn: &mut SqliteConnection, last_id: i32) -> Result<Vec<Event>, String> {
    diesel::sql_query("SELECT id, payload FROM cache_events WHERE id > ? ORDER BY id")
        .bind::<Integer, _>(last_id)
        .load(conn)
        .map_err(|e| e.to_string())
}
