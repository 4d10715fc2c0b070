//! `Semaphore`: counted permits with FIFO hand-off to waiting threads and tasks.
//!
//! State: the free permits in one atomic word; waiters queue in the global
//! table under the word's address, each record's token holding how many
//! permits it still lacks.
//!
//! Protocol:
//! 1. Acquire fast path: CAS the word down by `n` if it holds at least `n`.
//! 2. Slow path: wait with token `n`; the compare step (under the bucket lock)
//!    takes all `n` if free; if the waiter would be first in line it instead
//!    takes whatever is free, up to the need. It queues only if permits are
//!    still lacking. Partial grants stay with the queued record. Only the
//!    head of the line ever holds a partial grant: were several waiters
//!    allowed to, they could split the permits between them and all wait
//!    forever for the rest.
//! 3. Release `k`: add `k` to the word (Release), then `wake_filter` the key:
//!    from the oldest waiter on, take free permits for it; a waiter whose need
//!    reaches zero is woken, the first one still lacking stops the walk (FIFO:
//!    it keeps what it got and nobody behind it is served first).
//! 4. A waiter woken with need zero owns its `n` permits. A timed-out thread or
//!    a dropped future withdraws its record and releases what it was handed
//!    (`n - need`, all `n` if it had been woken), which runs step 3 and so
//!    lets the next waiter through.
//!
//! Invariant: permits are conserved — every permit is in the word, held by a
//! `Permit`, or counted in a queued/woken record's `n - need`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, Filter, WaitResult};
use crate::loom::{AtomicUsize, Ordering};
use crate::task_wait::{AsyncWait, Cancel};

/// A counting semaphore for threads and tasks.
#[derive(Debug)]
pub struct Semaphore {
    permits: AtomicUsize,
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Self {
        Semaphore {
            permits: AtomicUsize::new(permits),
        }
    }

    fn key(&self) -> usize {
        &self.permits as *const AtomicUsize as usize
    }

    /// Free permits right now (a snapshot).
    pub fn available_permits(&self) -> usize {
        self.permits.load(Ordering::Relaxed)
    }

    /// Takes up to `need` free permits; returns how many it took.
    fn take_up_to(&self, need: usize) -> usize {
        let mut avail = self.permits.load(Ordering::Relaxed);
        loop {
            if avail == 0 {
                return 0;
            }
            let take = avail.min(need);
            match self.permits.compare_exchange_weak(
                avail,
                avail - take,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(now) => avail = now,
            }
        }
    }

    /// The compare step of step 2: takes what this waiter may take now;
    /// true if it must still wait.
    fn grab(&self, need: &mut usize, first: bool) -> bool {
        if first {
            *need -= self.take_up_to(*need);
        } else if self.try_take_all(*need) {
            *need = 0;
        }
        *need > 0
    }

    fn try_take_all(&self, n: usize) -> bool {
        let mut avail = self.permits.load(Ordering::Relaxed);
        while avail >= n {
            match self.permits.compare_exchange_weak(
                avail,
                avail - n,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => avail = now,
            }
        }
        false
    }

    /// Takes `n` permits if that many are free.
    pub fn try_acquire_many(&self, n: usize) -> Option<Permit<'_>> {
        self.try_take_all(n).then(|| Permit { sem: self, n })
    }

    /// Takes one permit if one is free.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        self.try_acquire_many(1)
    }

    /// Blocks the thread until it holds one permit.
    pub fn acquire(&self) -> Permit<'_> {
        self.acquire_many(1)
    }

    /// Blocks the thread until it holds `n` permits.
    pub fn acquire_many(&self, n: usize) -> Permit<'_> {
        match self.try_acquire_many(n) {
            Some(p) => p,
            None => self.acquire_slow(n, None).expect("no deadline"),
        }
    }

    /// Blocks until it holds `n` permits, or `deadline` passes (`None`; any
    /// permits handed over meanwhile are given back).
    pub fn acquire_many_deadline(&self, n: usize, deadline: Instant) -> Option<Permit<'_>> {
        self.try_acquire_many(n)
            .or_else(|| self.acquire_slow(n, Some(deadline)))
    }

    fn acquire_slow(&self, n: usize, deadline: Option<Instant>) -> Option<Permit<'_>> {
        let mut need = n;
        loop {
            let grab = |need: &mut usize, first: bool| self.grab(need, first);
            let (result, left) = global().wait_ordered(self.key(), need, grab, deadline);
            need = left;
            if need == 0 {
                return Some(Permit { sem: self, n });
            }
            if result == WaitResult::TimedOut {
                self.release(n - need);
                return None;
            }
        }
    }

    /// Waits as a task for one permit.
    pub fn acquire_async(&self) -> Acquire<'_> {
        self.acquire_many_async(1)
    }

    /// Waits as a task for `n` permits. Dropping the future gives back any
    /// permits it was handed and lets the next waiter through. For a
    /// deadline, race it with a timer.
    pub fn acquire_many_async(&self, n: usize) -> Acquire<'_> {
        Acquire {
            sem: self,
            n,
            need: n,
            done: false,
            wait: AsyncWait::new(global(), self.key()),
        }
    }

    /// Adds `n` permits, handing them to waiters oldest first.
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.permits.fetch_add(n, Ordering::Release);
        global().wake_filter(self.key(), |need| {
            *need -= self.take_up_to(*need);
            if *need == 0 {
                Filter::Wake
            } else {
                Filter::Stop
            }
        });
    }
}

/// `n` permits of a [`Semaphore`], released on drop.
#[derive(Debug)]
#[must_use = "dropping a permit releases it at once"]
pub struct Permit<'a> {
    sem: &'a Semaphore,
    n: usize,
}

impl Permit<'_> {
    /// How many permits this holds.
    pub fn count(&self) -> usize {
        self.n
    }

    /// Keeps the permits taken (they are not released on drop); returns
    /// how many.
    pub fn forget(mut self) -> usize {
        std::mem::replace(&mut self.n, 0)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.n);
    }
}

/// Future returned by [`Semaphore::acquire_many_async`].
pub struct Acquire<'a> {
    sem: &'a Semaphore,
    n: usize,
    /// Permits still lacking while not queued.
    need: usize,
    done: bool,
    wait: AsyncWait<'static>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let this = self.get_mut();
        let sem = this.sem;
        assert!(!this.done, "Acquire polled after completion");
        if this.need == this.n && !this.wait.is_waiting() {
            if let Some(permit) = sem.try_acquire_many(this.n) {
                this.done = true;
                return Poll::Ready(permit);
            }
        }
        loop {
            let grab = |need: &mut usize, first: bool| sem.grab(need, first);
            match this.wait.poll_wait_ordered(cx, this.need, grab) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready((_, left)) => {
                    this.need = left;
                    if left == 0 {
                        this.done = true;
                        return Poll::Ready(Permit { sem, n: this.n });
                    }
                }
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let need = match self.wait.cancel() {
            Cancel::Idle => self.need,
            Cancel::Removed(need) | Cancel::Woken(need) => need,
        };
        self.sem.release(self.n - need);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;
    use std::time::Duration;

    #[test]
    fn counts_and_deadline() {
        let s = Semaphore::new(3);
        let a = s.acquire_many(2);
        assert!(s.try_acquire_many(2).is_none());
        assert!(s
            .acquire_many_deadline(2, Instant::now() + Duration::from_millis(2))
            .is_none());
        assert_eq!(s.available_permits(), 1);
        drop(a);
        assert_eq!(s.available_permits(), 3);
        assert_eq!(s.acquire().forget(), 1);
        assert_eq!(s.available_permits(), 2);
    }

    #[test]
    fn dropped_acquire_returns_partial_grant() {
        let s = Semaphore::new(1);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut big = Box::pin(s.acquire_many_async(3));
        assert!(big.as_mut().poll(&mut cx).is_pending());
        // The free permit went to the queued record.
        assert_eq!(s.available_permits(), 0);
        s.release(1);
        assert_eq!(s.available_permits(), 0);
        drop(big);
        assert_eq!(s.available_permits(), 2);
    }

    #[test]
    fn release_hands_off_in_fifo_order() {
        let s = Semaphore::new(0);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut two = Box::pin(s.acquire_many_async(2));
        let mut one = Box::pin(s.acquire_async());
        assert!(two.as_mut().poll(&mut cx).is_pending());
        assert!(one.as_mut().poll(&mut cx).is_pending());
        s.release(1);
        // The head lacks one more; the single waiter behind it is not served first.
        assert!(one.as_mut().poll(&mut cx).is_pending());
        s.release(2);
        let p2 = match two.as_mut().poll(&mut cx) {
            Poll::Ready(p) => p,
            Poll::Pending => panic!("head should be served"),
        };
        assert_eq!(p2.count(), 2);
        assert!(one.as_mut().poll(&mut cx).is_ready());
    }
}
