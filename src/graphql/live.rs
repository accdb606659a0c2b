//! Caps on live GraphQL connections (WebSocket subscriptions): per client address, taken
//! at the upgrade, and per account, taken when the connection authenticates. A slot is
//! held for as long as its connection lives and given back when it is dropped.
//!
//! The caps are the live pages' (`CONDUIT_LIVE_MAX_PER_USER`,
//! `CONDUIT_LIVE_MAX_PER_ADDRESS`), counted apart from their streams. The counts are
//! this instance's: a connection is held by one process, so each instance bounds what
//! it holds (with N instances behind a balancer, a client may hold up to N times the
//! cap in all, which bounds memory per process, the point of the cap).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Holder {
    User(i32),
    Address(IpAddr),
}

/// The counts of held slots. Cheap to clone (shared).
#[derive(Clone)]
pub struct LiveCaps {
    held: Arc<Mutex<HashMap<Holder, usize>>>,
    per_user: usize,
    per_address: usize,
}

/// One held connection slot; dropping it frees the slot.
pub struct Slot {
    caps: LiveCaps,
    holder: Holder,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.caps.lock();
        if let Some(n) = held.get_mut(&self.holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.holder);
            }
        }
    }
}

impl LiveCaps {
    /// Caps of `per_user` connections per account and `per_address` per client address.
    pub fn new(per_user: usize, per_address: usize) -> Self {
        Self {
            held: Arc::default(),
            per_user,
            per_address,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Holder, usize>> {
        // A panic while holding the map cannot leave a count half-written.
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cap per account.
    pub fn per_user(&self) -> usize {
        self.per_user
    }

    /// The cap per client address.
    pub fn per_address(&self) -> usize {
        self.per_address
    }

    fn take(&self, holder: Holder, cap: usize) -> Option<Slot> {
        let mut held = self.lock();
        let n = held.entry(holder.clone()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            caps: self.clone(),
            holder,
        })
    }

    /// A slot for a connection from `ip`, unless it holds its cap already.
    pub fn for_address(&self, ip: IpAddr) -> Option<Slot> {
        self.take(Holder::Address(ip), self.per_address)
    }

    /// A slot for a connection of account `user_id`, unless it holds its cap already.
    pub fn for_user(&self, user_id: i32) -> Option<Slot> {
        self.take(Holder::User(user_id), self.per_user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_and_given_back() {
        let caps = LiveCaps::new(2, 1);
        let a = caps.for_user(1).expect("first");
        let _b = caps.for_user(1).expect("second");
        assert!(caps.for_user(1).is_none(), "third over the cap");
        assert!(caps.for_user(2).is_some(), "another account");
        drop(a);
        assert!(caps.for_user(1).is_some(), "a slot was given back");
        let ip = IpAddr::from([10, 0, 0, 1]);
        let _c = caps.for_address(ip).expect("first");
        assert!(caps.for_address(ip).is_none());
    }
}
