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
//! An entry is the waker itself, kept in its wheel node: registering a
//! timer allocates nothing beyond the slab node, and "has it fired?" is
//! "is its key still in the wheel?", asked under the wheel lock.
//!
//! Invariant: an entry is in the wheel iff it is pending; it leaves exactly
//! once, under the wheel lock: fired (its waker goes to the worker) or
//! removed by its `Sleep`.

use std::task::Waker;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::wheel::{Wheel, WheelKey};
use crate::stats::LIVE_TIMERS;

/// Names an entry in its store.
pub(crate) type TimerKey = WheelKey;

/// Deadlines this close to the store's clock are checked against the real
/// clock before they register (see `TimerStore::insert`).
const NEAR: Duration = Duration::from_millis(1);

/// One worker's timers.
pub(crate) struct TimerStore {
    wheel: Mutex<Clocked>,
}

/// The wheel and the store's own clock.
struct Clocked {
    wheel: Wheel<Waker>,
    /// The latest `now` given to `fire_expired`: every deadline up to it
    /// has passed, and reading it costs no clock call.
    seen: Instant,
}

impl Default for TimerStore {
    fn default() -> Self {
        let now = Instant::now();
        TimerStore {
            wheel: Mutex::new(Clocked {
                wheel: Wheel::new(now),
                seen: now,
            }),
        }
    }
}

impl TimerStore {
    /// Registers `deadline`, or returns None when it has already passed.
    /// Only a deadline within `NEAR` of the store's clock costs a read of
    /// the real clock (so a zero or tiny sleep completes at once); a later
    /// one registers without it (a server's many timeouts), and should it
    /// have passed all the same it fires at the worker's next timer check.
    pub(crate) fn insert(&self, deadline: Instant, waker: &Waker) -> Option<TimerKey> {
        let mut c = self.wheel.lock();
        if deadline <= c.seen || (deadline <= c.seen + NEAR && deadline <= Instant::now()) {
            return None;
        }
        let key = c.wheel.insert(deadline, waker.clone());
        drop(c);
        LIVE_TIMERS.add(1);
        Some(key)
    }

    /// True once `key` has fired; while it is pending, makes `waker` the
    /// one it will wake.
    pub(crate) fn poll_fired(&self, key: &TimerKey, waker: &Waker) -> bool {
        let mut c = self.wheel.lock();
        match c.wheel.get_mut(*key) {
            Some(w) => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                false
            }
            None => true,
        }
    }

    pub(crate) fn remove(&self, key: &TimerKey) {
        let removed = self.wheel.lock().wheel.remove(*key);
        if removed.is_some() {
            LIVE_TIMERS.sub(1);
        }
        // The waker is dropped here, after the lock is released.
        drop(removed);
    }

    /// Never later than the earliest pending deadline; later than the `now`
    /// of the last `fire_expired` (so parking with it cannot spin).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.wheel.lock().wheel.next_deadline()
    }

    /// Fires every entry due at `now`, in deadline order; returns how many.
    pub(crate) fn fire_expired(&self, now: Instant, wakers: &mut Vec<Waker>) -> usize {
        let mut c = self.wheel.lock();
        c.seen = c.seen.max(now);
        let n = c.wheel.fire_expired(now, |w| wakers.push(w));
        LIVE_TIMERS.sub(n);
        n
    }

    /// Drops every entry (shutdown).
    pub(crate) fn clear(&self) {
        let n = self.wheel.lock().wheel.clear();
        LIVE_TIMERS.sub(n);
    }
}
