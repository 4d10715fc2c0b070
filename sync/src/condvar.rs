//! `Condvar`: wait for a condition guarded by a [`Lock`], threads and tasks alike.
//!
//! State: a sequence counter; key: its address.
//!
//! Protocol:
//! 1. wait: read the sequence while still holding the lock, unlock, then wait
//!    on the key while the sequence is unchanged (the compare step), then
//!    lock again. A notify between the unlock and the compare step changed
//!    the sequence, so the waiter does not sleep: no lost wakeup.
//! 2. notify_one / notify_all: bump the sequence (Release), then wake one /
//!    all waiters.
//! 3. A task whose wait future is dropped after being woken passes the wake
//!    on (the table's baton rule), so a notify_one is never swallowed.
//!
//! As with every condition variable, wakeups may be spurious: callers loop
//! on their condition. The notifier must change the condition under the lock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::lock::{Lock, LockFuture, LockGuard};
use crate::loom::{AtomicU32, Ordering};
use crate::task_wait::AsyncWait;

/// A condition variable over [`Lock`] guards.
#[derive(Debug)]
pub struct Condvar {
    seq: AtomicU32,
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl Condvar {
    /// A condition variable nobody waits on.
    pub fn new() -> Self {
        Condvar {
            seq: AtomicU32::new(0),
        }
    }

    fn key(&self) -> usize {
        &self.seq as *const AtomicU32 as usize
    }

    /// Unlocks, sleeps until notified (or spuriously woken), relocks.
    pub fn wait<'a, T>(&self, guard: LockGuard<'a, T>) -> LockGuard<'a, T> {
        self.wait_inner(guard, None).0
    }

    /// Like [`wait`](Self::wait) but gives up at `deadline`; the flag is
    /// true if it timed out (the lock is held again either way).
    pub fn wait_deadline<'a, T>(
        &self,
        guard: LockGuard<'a, T>,
        deadline: Instant,
    ) -> (LockGuard<'a, T>, bool) {
        self.wait_inner(guard, Some(deadline))
    }

    fn wait_inner<'a, T>(
        &self,
        guard: LockGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> (LockGuard<'a, T>, bool) {
        let lock = LockGuard::lock_ref(&guard);
        let seq = self.seq.load(Ordering::Relaxed);
        drop(guard);
        let result = global().wait(
            self.key(),
            || self.seq.load(Ordering::Relaxed) == seq,
            deadline,
        );
        (lock.lock(), result == WaitResult::TimedOut)
    }

    /// The task form of [`wait`](Self::wait). Dropping the future before it
    /// resolves passes on a notify it received; for a deadline, race it with
    /// a timer.
    pub fn wait_async<'a, 'c, T>(&'c self, guard: LockGuard<'a, T>) -> CondvarWait<'a, 'c, T> {
        let lock = LockGuard::lock_ref(&guard);
        let seq = self.seq.load(Ordering::Relaxed);
        drop(guard);
        CondvarWait {
            cv: self,
            lock,
            seq,
            wait: AsyncWait::new(global(), self.key()),
            relock: None,
        }
    }

    /// Wakes one waiter; returns whether one was waiting.
    pub fn notify_one(&self) -> bool {
        self.seq.fetch_add(1, Ordering::Release);
        global().wake(self.key(), 1) == 1
    }

    /// Wakes every waiter; returns how many.
    pub fn notify_all(&self) -> usize {
        self.seq.fetch_add(1, Ordering::Release);
        global().wake_all(self.key())
    }
}

/// Future returned by [`Condvar::wait_async`]; resolves to the relocked guard.
pub struct CondvarWait<'a, 'c, T> {
    cv: &'c Condvar,
    lock: &'a Lock<T>,
    seq: u32,
    wait: AsyncWait<'static>,
    relock: Option<LockFuture<'a, T>>,
}

impl<'a, T> Future for CondvarWait<'a, '_, T> {
    type Output = LockGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = self.get_mut();
        if this.relock.is_none() {
            let (cv, seq) = (this.cv, this.seq);
            match this
                .wait
                .poll_wait(cx, 0, |_| cv.seq.load(Ordering::Relaxed) == seq)
            {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(_) => this.relock = Some(this.lock.lock_async()),
            }
        }
        let relock = this.relock.as_mut().expect("relocking");
        Pin::new(relock).poll(cx)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn handshake_between_threads() {
        let pair = Arc::new((Lock::new(false), Condvar::new()));
        let p2 = pair.clone();
        let h = std::thread::spawn(move || {
            let (l, cv) = &*p2;
            let mut g = l.lock();
            while !*g {
                g = cv.wait(g);
            }
            true
        });
        std::thread::sleep(Duration::from_millis(5));
        *pair.0.lock() = true;
        pair.1.notify_all();
        assert!(h.join().unwrap());
    }

    #[test]
    fn deadline_times_out_with_lock_held() {
        let l = Lock::new(0);
        let cv = Condvar::new();
        let (g, timed_out) = cv.wait_deadline(l.lock(), Instant::now() + Duration::from_millis(3));
        assert!(timed_out);
        assert!(l.is_locked());
        drop(g);
        assert!(!cv.notify_one());
    }
}
