//! The per-worker timer store: pending deadlines in an ordered map, fired
//! by the worker before and after it parks (the earliest deadline is the
//! park timeout).
//!
//! A `Sleep` registers in the store of the worker it is first polled on and
//! stays there even if its task is stolen: the owning worker fires it and the
//! waker finds the task wherever it runs. Dropping a `Sleep` removes its
//! entry at once (from any thread), so cancelled timers cost nothing later.
//! Insert and remove are O(log n); 100k pending timers are a BTreeMap of
//! 100k small entries.
//!
//! Invariant: an entry is in the map iff it is pending; `fired` is set
//! exactly once, under the map lock, as the entry leaves the map.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use parking_lot::Mutex;

use crate::stats::LIVE_TIMERS;

/// One pending deadline.
pub(crate) struct TimerEntry {
    pub(crate) waker: Mutex<Option<Waker>>,
    pub(crate) fired: AtomicBool,
}

/// Key of an entry: deadline plus a sequence number for uniqueness.
pub(crate) type TimerKey = (Instant, u64);

/// One worker's timers.
#[derive(Default)]
pub(crate) struct TimerStore {
    map: Mutex<BTreeMap<TimerKey, Arc<TimerEntry>>>,
    seq: AtomicU64,
}

impl TimerStore {
    pub(crate) fn insert(&self, deadline: Instant, waker: Waker) -> (TimerKey, Arc<TimerEntry>) {
        let key = (deadline, self.seq.fetch_add(1, Ordering::Relaxed));
        let entry = Arc::new(TimerEntry {
            waker: Mutex::new(Some(waker)),
            fired: AtomicBool::new(false),
        });
        self.map.lock().insert(key, entry.clone());
        LIVE_TIMERS.fetch_add(1, Ordering::Relaxed);
        (key, entry)
    }

    pub(crate) fn remove(&self, key: &TimerKey) {
        if self.map.lock().remove(key).is_some() {
            LIVE_TIMERS.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.map.lock().first_key_value().map(|(k, _)| k.0)
    }

    /// Fires every entry due at `now`; returns how many.
    pub(crate) fn fire_expired(&self, now: Instant, wakers: &mut Vec<Waker>) -> usize {
        let mut map = self.map.lock();
        let mut n = 0;
        while let Some(entry) = map.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let e = entry.remove();
            // Release: the Sleep that sees `fired` also sees the deadline passed.
            e.fired.store(true, Ordering::Release);
            wakers.extend(e.waker.lock().take());
            n += 1;
        }
        LIVE_TIMERS.fetch_sub(n, Ordering::Relaxed);
        n
    }

    /// Drops every entry (shutdown).
    pub(crate) fn clear(&self) {
        let mut map = self.map.lock();
        LIVE_TIMERS.fetch_sub(map.len(), Ordering::Relaxed);
        map.clear();
    }
}
