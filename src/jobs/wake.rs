//! Waking idle workers when jobs arrive, instead of leaving them to their next poll
//! (`CONDUIT_JOB_POLL_MS`, which stays as the fallback).
//!
//! - In this process: [`super::enqueue`] notes on its thread that it added a job; the
//!   write path asks [`pending`] before its commit (to tell other processes, below) and
//!   calls [`after_commit`] after it, which wakes this process's worker pools. A rolled
//!   back write wakes nobody.
//! - In other processes: the write's broadcast carries a "jobs queued" mark, and their
//!   cache listeners call [`wake_local`] when a message has it. `conduit worker`
//!   processes run no listener and find the jobs at their next poll.

use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex, Weak};

thread_local! {
    /// Whether the transaction running on this thread enqueued a job.
    static ENQUEUED: Cell<bool> = const { Cell::new(false) };
}

/// This process's worker pools, as the signals they sleep on.
static POOLS: Mutex<Vec<Weak<Signal>>> = Mutex::new(Vec::new());

/// What a worker pool sleeps on: stopped (for good) or woken. Every wake-up counts one
/// up, and a worker sleeps only while the count is what it saw before its last claim: a
/// wake-up wakes every thread of the pool (each claims only some kinds, so any of them
/// may be the one the new jobs are for), and one that came during a claim is not lost.
#[derive(Default)]
pub(super) struct Signal {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    stopped: bool,
    wakes: u64,
}

impl Signal {
    /// A new signal, woken by [`wake_local`] for as long as it lives.
    pub(super) fn registered() -> Arc<Self> {
        let signal = Arc::new(Self::default());
        if let Ok(mut pools) = POOLS.lock() {
            pools.retain(|pool| pool.strong_count() > 0);
            pools.push(Arc::downgrade(&signal));
        }
        signal
    }

    pub(super) fn is_stopped(&self) -> bool {
        self.state.lock().map(|s| s.stopped).unwrap_or(true)
    }

    /// The wake-ups so far, to pass to [`Signal::sleep`].
    pub(super) fn wakes(&self) -> u64 {
        self.state.lock().map(|s| s.wakes).unwrap_or_default()
    }

    /// Sleeps up to `pause`; returns early when stopped, or at once when woken since
    /// [`Signal::wakes`] gave `seen`.
    pub(super) fn sleep(&self, seen: u64, pause: std::time::Duration) {
        if let Ok(guard) = self.state.lock() {
            let _ = self
                .changed
                .wait_timeout_while(guard, pause, |s| !s.stopped && s.wakes == seen);
        }
    }

    pub(super) fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stopped = true;
        }
        self.changed.notify_all();
    }

    fn wake(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.wakes = state.wakes.wrapping_add(1);
        }
        self.changed.notify_all();
    }
}

/// Notes that the transaction on this thread enqueued a job ([`super::enqueue`] does;
/// so must a statement that inserts jobs itself).
pub fn note_enqueued() {
    ENQUEUED.with(|e| e.set(true));
}

/// Whether the transaction on this thread has enqueued a job so far.
pub fn pending() -> bool {
    ENQUEUED.with(Cell::get)
}

/// Whether the transaction on this thread has enqueued a job, clearing the mark: for a
/// write whose caller wakes the workers itself once it knows the write committed.
pub fn take_pending() -> bool {
    ENQUEUED.with(|e| e.replace(false))
}

/// Ends a write on this thread: when it `committed` jobs, this process's workers wake.
pub fn after_commit(committed: bool) {
    if ENQUEUED.with(|e| e.replace(false)) && committed {
        wake_local();
    }
}

/// Wakes every worker pool of this process.
pub fn wake_local() {
    let pools: Vec<Arc<Signal>> = POOLS
        .lock()
        .map(|pools| pools.iter().filter_map(Weak::upgrade).collect())
        .unwrap_or_default();
    for pool in pools {
        pool.wake();
    }
}
