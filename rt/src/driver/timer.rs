//! The per-worker timer store: pending deadlines in a hierarchical timing
//! wheel (`driver::wheel`), fired by the worker before and after it parks
//! (the next deadline is the park timeout).
//!
//! A `Sleep` registers in the store of the worker it is first polled on and
//! stays there even if its task is stolen: the owning worker fires it and the
//! waker finds the task wherever it runs. Dropping a `Sleep` removes its
//! entry at once (from any thread), so cancelled timers cost nothing later.
//! Insert and remove are O(1); 100k pending timers are 100k slab nodes.
//! A wheel, not an ordered map, by measurement: see docs/architecture.md.
//!
//! Invariant: an entry is in the wheel iff it is pending; `fired` is set
//! exactly once, under the wheel lock, as the entry leaves the wheel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use parking_lot::Mutex;

use super::wheel::{Wheel, WheelKey};
use crate::stats::LIVE_TIMERS;

/// One pending deadline.
pub(crate) struct TimerEntry {
    pub(crate) waker: Mutex<Option<Waker>>,
    pub(crate) fired: AtomicBool,
}

/// Names an entry in its store.
pub(crate) type TimerKey = WheelKey;

/// One worker's timers.
pub(crate) struct TimerStore {
    wheel: Mutex<Wheel<Arc<TimerEntry>>>,
}

impl Default for TimerStore {
    fn default() -> Self {
        TimerStore {
            wheel: Mutex::new(Wheel::new(Instant::now())),
        }
    }
}

impl TimerStore {
    pub(crate) fn insert(&self, deadline: Instant, waker: Waker) -> (TimerKey, Arc<TimerEntry>) {
        let entry = Arc::new(TimerEntry {
            waker: Mutex::new(Some(waker)),
            fired: AtomicBool::new(false),
        });
        let key = self.wheel.lock().insert(deadline, entry.clone());
        LIVE_TIMERS.add(1);
        (key, entry)
    }

    pub(crate) fn remove(&self, key: &TimerKey) {
        // The entry is dropped after the lock is released.
        let removed = self.wheel.lock().remove(*key);
        if removed.is_some() {
            LIVE_TIMERS.sub(1);
        }
    }

    /// Never later than the earliest pending deadline; later than the `now`
    /// of the last `fire_expired` (so parking with it cannot spin).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.wheel.lock().next_deadline()
    }

    /// Fires every entry due at `now`, in deadline order; returns how many.
    pub(crate) fn fire_expired(&self, now: Instant, wakers: &mut Vec<Waker>) -> usize {
        let n = self.wheel.lock().fire_expired(now, |e| {
            // Release: the Sleep that sees `fired` also sees the deadline passed.
            e.fired.store(true, Ordering::Release);
            wakers.extend(e.waker.lock().take());
        });
        LIVE_TIMERS.sub(n);
        n
    }

    /// Drops every entry (shutdown).
    pub(crate) fn clear(&self) {
        let n = self.wheel.lock().clear();
        LIVE_TIMERS.sub(n);
    }
}
