//! The same changes the caches hear, as signals for live connections (server-sent events,
//! GraphQL subscriptions). Every change reaches this process once, as the [`Stale`]
//! entries of a write: this process's own writes after their commit, other processes'
//! through the [`super::listener`] (PostgreSQL `NOTIFY`, or SQLite's `cache_events`), so a
//! comment posted through one instance signals readers connected to any other.
//!
//! A signal carries keys, never content: each connection reloads what its own viewer may
//! see through the application layer, so nothing hidden, deleted or drafted can reach a
//! reader by way of a signal.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::Stale;

/// Signals buffered for a receiver that has not caught up; a receiver further behind
/// misses some and is told so (`RecvError::Lagged`), and then reloads everything.
const CAPACITY: usize = 1024;

/// Where this process's changes are announced to its live connections. Cheap to clone.
#[derive(Clone)]
pub struct Signals {
    sender: broadcast::Sender<Arc<Stale>>,
}

impl Default for Signals {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }
}

impl Signals {
    /// Announces `stale` to every current receiver (none is fine).
    pub fn send(&self, stale: &Stale) {
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(Arc::new(stale.clone()));
        }
    }

    /// A receiver of every signal sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Stale>> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_hear_what_is_sent_after_they_subscribe() {
        let signals = Signals::default();
        signals.send(&Stale::Tags);
        let mut rx = signals.subscribe();
        signals.send(&Stale::Comments { slug: "a".into() });
        let got = rx.try_recv().expect("one signal");
        assert_eq!(*got, Stale::Comments { slug: "a".into() });
        assert!(rx.try_recv().is_err());
    }
}
