//! Live pages: each open page holds one stream of changes (server-sent events, see
//! `routes::live`) for what it shows: an article's comments, the Global Feed's new
//! articles, and the signed-in reader's unread notifications.
//!
//! A connection listens to this process's change signals ([`crate::cache::signals`]),
//! which carry only keys, and on each one that concerns it reloads what *its* viewer may
//! see through the application layer's reads ([`crate::app::reads`]), then sends the
//! difference. Nothing hidden, deleted, drafted or otherwise out of the viewer's sight can
//! reach them by way of a signal, and since other instances' writes arrive as signals
//! too (PostgreSQL `NOTIFY`), a reader connected here sees a comment posted through any
//! instance.
//!
//! Bounds, per instance: open streams per member and per client address ([`Hub::admit`]),
//! and events waiting for each client ([`LiveConfig::buffer`]): a client that stops
//! reading is dropped rather than buffered for.

mod config;
mod connection;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

pub use config::LiveConfig;
pub use connection::{Opened, Viewer, open};
pub use watch::{Change, Topic};

/// Why a stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The member already holds [`LiveConfig::max_per_user`] streams here.
    PerUser,
    /// The address already holds [`LiveConfig::max_per_address`] streams here.
    PerAddress,
    /// The server is shutting down.
    Closing,
}

#[derive(Default)]
struct Open {
    users: HashMap<i32, u32>,
    addresses: HashMap<String, u32>,
}

/// This instance's live streams: their caps, and the shutdown signal that ends them.
pub struct Hub {
    config: LiveConfig,
    open: Mutex<Open>,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Hub {
    /// A hub with no streams.
    pub fn new(config: LiveConfig) -> Self {
        Self {
            config,
            open: Mutex::default(),
            closing: tokio::sync::watch::Sender::new(false),
        }
    }

    /// The settings.
    pub fn config(&self) -> &LiveConfig {
        &self.config
    }

    /// A place for one more stream of `user` from `address`, held until the [`Slot`] is
    /// dropped; refused when either is at its cap or the server is closing.
    pub fn admit(self: &Arc<Self>, user: Option<i32>, address: String) -> Result<Slot, Refusal> {
        if *self.closing.borrow() {
            return Err(Refusal::Closing);
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(user) = user
            && open.users.get(&user).copied().unwrap_or(0) >= self.config.max_per_user
        {
            metrics::counter!("conduit_live_refused_total", "reason" => "user").increment(1);
            return Err(Refusal::PerUser);
        }
        if open.addresses.get(&address).copied().unwrap_or(0) >= self.config.max_per_address {
            metrics::counter!("conduit_live_refused_total", "reason" => "address").increment(1);
            return Err(Refusal::PerAddress);
        }
        if let Some(user) = user {
            *open.users.entry(user).or_default() += 1;
        }
        *open.addresses.entry(address.clone()).or_default() += 1;
        metrics::gauge!("conduit_live_connections").increment(1.0);
        Ok(Slot {
            hub: Arc::clone(self),
            user,
            address,
        })
    }

    /// Ends every stream (at shutdown, so that graceful stop need not wait for them).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Becomes `true` when the hub closes.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn release(&self, user: Option<i32>, address: &str) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(user) = user
            && let Some(n) = open.users.get_mut(&user)
        {
            *n -= 1;
            if *n == 0 {
                open.users.remove(&user);
            }
        }
        if let Some(n) = open.addresses.get_mut(address) {
            *n -= 1;
            if *n == 0 {
                open.addresses.remove(address);
            }
        }
        metrics::gauge!("conduit_live_connections").decrement(1.0);
    }
}

/// One open stream's place under the caps; dropping it frees the place.
pub struct Slot {
    hub: Arc<Hub>,
    user: Option<i32>,
    address: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.hub.release(self.user, &self.address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(per_user: u32, per_address: u32) -> Arc<Hub> {
        Arc::new(Hub::new(LiveConfig {
            max_per_user: per_user,
            max_per_address: per_address,
            ..LiveConfig::default()
        }))
    }

    #[test]
    fn caps_hold_per_user_and_per_address_and_free_on_drop() {
        let hub = hub(2, 3);
        let a = hub.admit(Some(1), "10.0.0.1".into()).expect("first");
        let _b = hub.admit(Some(1), "10.0.0.2".into()).expect("second");
        assert_eq!(
            hub.admit(Some(1), "10.0.0.3".into()).err(),
            Some(Refusal::PerUser)
        );
        let _c = hub.admit(None, "10.0.0.1".into()).expect("anonymous");
        let _d = hub.admit(Some(2), "10.0.0.1".into()).expect("other member");
        assert_eq!(
            hub.admit(None, "10.0.0.1".into()).err(),
            Some(Refusal::PerAddress)
        );
        drop(a);
        let _e = hub.admit(Some(1), "10.0.0.1".into()).expect("freed");
        hub.close();
        assert_eq!(
            hub.admit(None, "10.0.0.9".into()).err(),
            Some(Refusal::Closing)
        );
    }
}
