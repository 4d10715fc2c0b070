//! The lock word: a three-state futex mutex without data.
//!
//! States: UNLOCKED (0), LOCKED (1, nobody waits), CONTENDED (2, somebody
//! may wait). Key: the word's address in the global table.
//!
//! Protocol:
//! 1. Fast path: CAS 0 -> 1 (Acquire).
//! 2. Spin a little while the word is LOCKED, retrying the CAS (a few
//!    spaced looks, not one per pause: see `loom::spin_while`).
//! 3. Slow path: swap in CONTENDED (Acquire). If the old value was UNLOCKED,
//!    the lock is ours (marked CONTENDED, which at worst costs one needless
//!    wake). Otherwise wait on the key while the word is still CONTENDED
//!    (the compare step, under the bucket lock); on any wake, spin (looking
//!    only) while the word is taken, then repeat step 3.
//! 4. Unlock: swap in UNLOCKED (Release); if the old value was CONTENDED,
//!    wake one waiter.
//!
//! Invariant: while anyone waits on the key, the word is CONTENDED or the
//! unlock that will wake them has already swapped it away from CONTENDED.
//! A waiter that times out does not consume a wake (the table reports a wake
//! that raced its timeout as `Woken`), so it needs no baton.

use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::loom::{spin_while, AtomicU32, Ordering};
use crate::task_wait::AsyncWait;

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// A mutual-exclusion word with thread and task acquisition.
pub struct RawLock {
    state: AtomicU32,
}

impl Default for RawLock {
    fn default() -> Self {
        Self::new()
    }
}

impl RawLock {
    /// An unlocked lock.
    pub fn new() -> Self {
        RawLock {
            state: AtomicU32::new(UNLOCKED),
        }
    }

    fn key(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }

    /// Takes the lock if it is free.
    #[inline]
    pub fn try_lock(&self) -> bool {
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// True while someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != UNLOCKED
    }

    /// Blocks the thread until it holds the lock.
    #[inline]
    pub fn lock(&self) {
        if !self.try_lock() {
            self.lock_slow(None);
        }
    }

    /// Blocks until the lock is held (true) or `deadline` passes (false).
    pub fn lock_deadline(&self, deadline: Instant) -> bool {
        self.try_lock() || self.lock_slow(Some(deadline))
    }

    #[cold]
    fn lock_slow(&self, deadline: Option<Instant>) -> bool {
        if self.spin() {
            return true;
        }
        loop {
            if self.state.swap(CONTENDED, Ordering::Acquire) == UNLOCKED {
                return true;
            }
            let still = || self.state.load(Ordering::Relaxed) == CONTENDED;
            if global().wait(self.key(), still, deadline) == WaitResult::TimedOut {
                return false;
            }
            // Woken: a barging thread may hold the lock briefly; wait for
            // it to look free before marking CONTENDED again. Only look:
            // a woken waiter must take the lock as CONTENDED, never LOCKED,
            // or the waiters still queued behind it would get no wake.
            spin_while(|| self.state.load(Ordering::Relaxed) != UNLOCKED);
        }
    }

    fn spin(&self) -> bool {
        let mut got = false;
        spin_while(|| {
            let s = self.state.load(Ordering::Relaxed);
            if s == UNLOCKED && self.try_lock() {
                got = true;
                return false;
            }
            s == LOCKED
        });
        got
    }

    /// Releases the lock.
    ///
    /// Calling it without holding the lock breaks mutual exclusion for
    /// whoever does hold it (no memory unsafety in this type itself).
    #[inline]
    pub fn unlock(&self) {
        if self.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            self.wake_one();
        }
    }

    #[cold]
    fn wake_one(&self) {
        global().wake(self.key(), 1);
    }

    /// The task side: a wait record to drive with [`poll_lock`](Self::poll_lock).
    pub fn task_wait(&self) -> AsyncWait<'static> {
        AsyncWait::new(global(), self.key())
    }

    /// Polls for the lock: Ready once held. `wait` must come from
    /// [`task_wait`](Self::task_wait) on this lock.
    pub fn poll_lock(&self, cx: &mut Context<'_>, wait: &mut AsyncWait<'_>) -> Poll<()> {
        if !wait.is_waiting() && self.try_lock() {
            return Poll::Ready(());
        }
        loop {
            if !wait.is_waiting() && self.state.swap(CONTENDED, Ordering::Acquire) == UNLOCKED {
                return Poll::Ready(());
            }
            let still = |_: &mut usize| self.state.load(Ordering::Relaxed) == CONTENDED;
            match wait.poll_wait(cx, 0, still) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(_) => continue,
            }
        }
    }
}
