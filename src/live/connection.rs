//! One live connection: a task on the worker that accepted it, listening to the change
//! signals and the heartbeat, reloading what is due and handing the changes to the
//! response through a bounded channel. When the channel is full the client is not
//! reading: the connection is dropped (and counted) instead of buffering more.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::watch::{Change, Due, Topic, Watch};
use super::{Hub, Slot};
use crate::app::{App, sessions, viewer};
use crate::cache::Stale;
use crate::error::AppResult;

/// A signed-in viewer as the stream was opened: the session it must stay within.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The member's id.
    pub id: i32,
    /// The hash of the browser session's key (ending that session ends the stream).
    pub session_hash: String,
    /// The account's token generation at sign-in (a password reset ends the stream).
    pub generation: i32,
}

/// The receiving end of a connection, for the response body.
pub struct Opened {
    /// Changes in the order they are to be sent; closed when the connection ends.
    pub changes: mpsc::Receiver<Change>,
    /// Set when the client was dropped for not reading: the response then ends at once
    /// with an error, which closes the TCP connection.
    pub dropped: Arc<AtomicBool>,
}

/// Starts the connection of `viewer` following `topic`, holding `slot` until it ends.
/// Must run on an actix worker (the task is local to it).
pub fn open(
    hub: &Hub,
    app: App,
    slot: Slot,
    viewer: Option<Viewer>,
    topic: Option<Topic>,
) -> Opened {
    let (tx, changes) = mpsc::channel(hub.config().buffer);
    let dropped = Arc::new(AtomicBool::new(false));
    let connection = Connection {
        // Subscribed before the first load, so no change falls between the two.
        signals: app.caches().signals.subscribe(),
        watch: Watch::new(viewer.as_ref().map(|v| v.id), topic),
        app,
        viewer,
        tx,
        dropped: Arc::clone(&dropped),
        closing: hub.closing(),
        heartbeat: hub.config().heartbeat,
        _slot: slot,
    };
    tokio::task::spawn_local(connection.run());
    Opened { changes, dropped }
}

struct Connection {
    app: App,
    viewer: Option<Viewer>,
    watch: Watch,
    signals: tokio::sync::broadcast::Receiver<Arc<Stale>>,
    tx: mpsc::Sender<Change>,
    dropped: Arc<AtomicBool>,
    closing: tokio::sync::watch::Receiver<bool>,
    heartbeat: std::time::Duration,
    _slot: Slot,
}

impl Connection {
    async fn run(mut self) {
        // Closed between admission and now: `changed` below would not see it.
        if *self.closing.borrow_and_update() || !self.step(Due::ALL).await {
            return;
        }
        let start = tokio::time::Instant::now() + self.heartbeat;
        let mut beat = tokio::time::interval_at(start, self.heartbeat);
        loop {
            let due = tokio::select! {
                _ = self.closing.changed() => return,
                () = self.tx.closed() => return,
                _ = beat.tick() => {
                    if !self.push(Change::Heartbeat) {
                        return;
                    }
                    continue;
                }
                signal = self.signals.recv() => match signal {
                    Ok(stale) => self.watch.due(&stale),
                    // Missed some: reload everything this connection shows.
                    Err(RecvError::Lagged(_)) => Due::ALL,
                    Err(RecvError::Closed) => return,
                },
            };
            if due != Due::default() && !self.step(due).await {
                return;
            }
        }
    }

    /// Reloads what is due and sends the changes; `false` when the connection must end.
    async fn step(&mut self, due: Due) -> bool {
        if due.viewer && !self.still_signed_in().await.unwrap_or(false) {
            return false;
        }
        match self.watch.reload(&self.app, due).await {
            Ok(changes) => changes.into_iter().all(|change| self.push(change)),
            Err(e) => {
                // The next signal tries again; a reconnecting client resumes anyway.
                log::warn!("live reload failed: {e}");
                true
            }
        }
    }

    /// Whether the viewer's session still stands (signed out, suspended or reset
    /// elsewhere ends the stream; the client reconnects as whoever it is now).
    async fn still_signed_in(&self) -> AppResult<bool> {
        let Some(v) = &self.viewer else {
            return Ok(true);
        };
        let Some(user) = viewer::account(&self.app, v.id).await? else {
            return Ok(false);
        };
        if user.token_generation != v.generation
            || user.suspension(crate::domain::time::now()).is_some()
        {
            return Ok(false);
        }
        for fresh in [false, true] {
            if sessions::live_keys(&self.app, v.id, fresh)
                .await?
                .contains(&v.session_hash)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Queues `change`; `false` when the connection must end (client gone, or so far
    /// behind that its buffer is full).
    fn push(&self, change: Change) -> bool {
        match self.tx.try_send(change) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.store(true, Ordering::Release);
                metrics::counter!("conduit_live_dropped_total", "reason" => "slow").increment(1);
                log::info!("live: dropped a client that stopped reading");
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}
