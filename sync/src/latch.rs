//! `Latch`: a one-shot gate that opens when its count reaches zero.
//!
//! State: the remaining count; key: its address. `count_down` decrements
//! (never below zero), `open` drops it to zero at once; whoever takes it to
//! zero wakes all waiters. Waiters wait while the count is non-zero.
//! Invariant: once zero, the count never changes again — the gate cannot
//! close, so a waiter that saw it open never needs to look again.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::loom::{AtomicUsize, Ordering};
use crate::task_wait::AsyncWait;

/// A gate that opens once, after `count` count-downs (or one `open`).
#[derive(Debug)]
pub struct Latch {
    count: AtomicUsize,
}

impl Latch {
    /// A latch needing `count` count-downs (0: already open).
    pub fn new(count: usize) -> Self {
        Latch {
            count: AtomicUsize::new(count),
        }
    }

    fn key(&self) -> usize {
        &self.count as *const AtomicUsize as usize
    }

    /// True once open.
    pub fn is_open(&self) -> bool {
        // Acquire: what the openers did before opening is visible.
        self.count.load(Ordering::Acquire) == 0
    }

    /// Counts down by one; the count-down that reaches zero opens the gate.
    /// Returns true if this call opened it.
    pub fn count_down(&self) -> bool {
        let mut c = self.count.load(Ordering::Relaxed);
        while c > 0 {
            match self
                .count
                .compare_exchange_weak(c, c - 1, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if c == 1 => {
                    global().wake_all(self.key());
                    return true;
                }
                Ok(_) => return false,
                Err(now) => c = now,
            }
        }
        false
    }

    /// Opens the gate now, whatever the count. Returns true if this call opened it.
    pub fn open(&self) -> bool {
        if self.count.swap(0, Ordering::AcqRel) == 0 {
            return false;
        }
        global().wake_all(self.key());
        true
    }

    /// Blocks the thread until the gate is open.
    pub fn wait(&self) {
        self.wait_inner(None);
    }

    /// Blocks until open (true) or `deadline` passes (false).
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        self.wait_inner(Some(deadline))
    }

    fn wait_inner(&self, deadline: Option<Instant>) -> bool {
        loop {
            if self.is_open() {
                return true;
            }
            if global().wait(self.key(), || !self.is_open(), deadline) == WaitResult::TimedOut {
                return self.is_open();
            }
        }
    }

    /// Waits as a task (race it with a timer for a deadline).
    pub fn wait_async(&self) -> LatchWait<'_> {
        LatchWait {
            latch: self,
            wait: AsyncWait::new(global(), self.key()),
        }
    }
}

/// Future returned by [`Latch::wait_async`].
pub struct LatchWait<'a> {
    latch: &'a Latch,
    wait: AsyncWait<'static>,
}

impl Future for LatchWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let latch = this.latch;
        loop {
            if !this.wait.is_waiting() && latch.is_open() {
                return Poll::Ready(());
            }
            if this
                .wait
                .poll_wait(cx, 0, |_| !latch.is_open())
                .is_pending()
            {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for LatchWait<'_> {
    fn drop(&mut self) {
        // Openings wake everyone: a wake we got needs no passing on.
        self.wait.cancel();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn opens_after_count_and_stays_open() {
        let l = Latch::new(2);
        assert!(!l.wait_deadline(Instant::now() + Duration::from_millis(2)));
        assert!(!l.count_down());
        assert!(l.count_down());
        assert!(!l.count_down());
        assert!(l.is_open());
        l.wait();
        assert!(!l.open());
    }

    #[test]
    fn open_releases_blocked_threads() {
        let l = Arc::new(Latch::new(5));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || {
                    l.wait();
                    l.is_open()
                })
            })
            .collect();
        assert!(l.open());
        assert!(hs.into_iter().all(|h| h.join().unwrap()));
    }
}
