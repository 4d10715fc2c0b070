//! `Semaphore`: counted permits with FIFO hand-off to waiting threads and tasks.
//!
//! State: one atomic word, `permits << 1 | QUEUED`. Waiters queue in the
//! global table under the word's address, each record's token holding how
//! many permits it still lacks. QUEUED is set and cleared only under the
//! key's bucket lock, and under that lock it says exactly whether records of
//! this key are queued.
//!
//! Protocol:
//! 1. Acquire fast path: CAS the word down by `n` permits if it holds at
//!    least `n`. No lock.
//! 2. Slow path: wait with token `n`; the compare step (under the bucket
//!    lock) is one CAS: it takes all `n` if free; if nobody is queued
//!    (QUEUED clear: the waiter would be first in line) it instead takes
//!    whatever is free, up to the need. If permits are still lacking, the
//!    same CAS sets QUEUED and the record queues. Partial grants stay with
//!    the queued record. Only the head of the line ever holds a partial
//!    grant: were several waiters allowed to, they could split the permits
//!    between them and all wait forever for the rest.
//! 3. Release `k` with QUEUED clear: CAS the word up by `k` (Release). No
//!    lock. A CAS that finds QUEUED set (a waiter queued meanwhile) goes to
//!    step 4 instead.
//! 4. Release `k` with QUEUED set: the permits never touch the word. Under
//!    the bucket lock, walk the waiters oldest first and hand each what it
//!    lacks; a waiter whose need reaches zero is woken, the first one still
//!    lacking takes the rest and stops the walk (FIFO: nobody behind it is
//!    served first). If the walk left no record queued, one RMW clears
//!    QUEUED and adds the permits nobody took, still under the lock.
//! 5. A waiter woken with need zero owns its `n` permits. A timed-out thread
//!    or a dropped future withdraws its record (clearing QUEUED under the
//!    same lock if it was the last) and releases what it was handed
//!    (`n - need`, all `n` if it had been woken), which runs step 3 or 4 and
//!    so lets the next waiter through.
//!
//! So while waiters queue, the word holds no permits: a release goes
//! straight to the head of the line in one lock round trip, and a newcomer
//! cannot barge past the queue.
//!
//! Invariant: permits are conserved — every permit is in the word, held by a
//! `Permit`, or counted in a queued/woken record's `n - need`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, Filter, WaitResult};
use crate::loom::{AtomicUsize, Ordering};
use crate::task_wait::{AsyncWait, Cancel};

/// Set while records of this semaphore's key are queued.
const QUEUED: usize = 1;
/// The most permits the word can count.
const MAX_PERMITS: usize = usize::MAX >> 1;

/// A counting semaphore for threads and tasks.
#[derive(Debug)]
pub struct Semaphore {
    /// `permits << 1 | QUEUED`.
    state: AtomicUsize,
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    ///
    /// Panics if `permits` is more than `usize::MAX >> 1`.
    pub fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "Semaphore::new: {permits} permits is more than the {MAX_PERMITS} a semaphore can count"
        );
        Semaphore {
            state: AtomicUsize::new(permits << 1),
        }
    }

    fn key(&self) -> usize {
        &self.state as *const AtomicUsize as usize
    }

    /// Free permits right now (a snapshot).
    pub fn available_permits(&self) -> usize {
        self.state.load(Ordering::Relaxed) >> 1
    }

    /// The compare step of step 2, under the bucket lock: takes what this
    /// waiter may take now and sets QUEUED if it must still wait, in one
    /// CAS (a release racing it either lands first and is seen, or fails
    /// its CAS, sees QUEUED and hands off under the lock). True if it waits.
    fn grab(&self, need: &mut usize) -> bool {
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let avail = cur >> 1;
            let take = if avail >= *need {
                *need
            } else if cur & QUEUED == 0 {
                avail
            } else {
                0
            };
            let lacking = *need - take;
            let next = (cur - (take << 1)) | if lacking > 0 { QUEUED } else { 0 };
            if next == cur {
                return lacking > 0;
            }
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => {
                    *need = lacking;
                    return lacking > 0;
                }
                Err(now) => cur = now,
            }
        }
    }

    /// Runs under the bucket lock after a record left the queue: the last
    /// one out clears QUEUED.
    fn left_queue(&self, others_remain: bool) {
        if !others_remain {
            self.state.fetch_and(!QUEUED, Ordering::Relaxed);
        }
    }

    fn try_take_all(&self, n: usize) -> bool {
        let mut cur = self.state.load(Ordering::Relaxed);
        while cur >> 1 >= n {
            match self.state.compare_exchange_weak(
                cur,
                cur - (n << 1),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => cur = now,
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
            let grab = |need: &mut usize| self.grab(need);
            let left = |others: bool| self.left_queue(others);
            let (result, lacking) = global().wait_tracked(self.key(), need, grab, left, deadline);
            need = lacking;
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
    ///
    /// Panics if the free permits would exceed `usize::MAX >> 1`.
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        const TOO_MANY: &str = "Semaphore::release: more permits than a semaphore can count";
        let mut cur = self.state.load(Ordering::Relaxed);
        while cur & QUEUED == 0 {
            let next = (cur >> 1)
                .checked_add(n)
                .filter(|&p| p <= MAX_PERMITS)
                .expect(TOO_MANY);
            match self.state.compare_exchange_weak(
                cur,
                next << 1,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => cur = now,
            }
        }
        // While QUEUED the word holds no permits (unless the QUEUED seen was
        // stale), so `n` itself is what must fit.
        assert!(n <= MAX_PERMITS, "{TOO_MANY}");
        self.hand_off(n);
    }

    /// Step 4: gives `n` permits to the queued waiters, oldest first.
    fn hand_off(&self, n: usize) {
        // Shared by the walk and the closing step, which both run under
        // the bucket lock.
        let left = Cell::new(n);
        let give = |need: &mut usize| {
            let have = left.get();
            if have == 0 {
                return Filter::Stop;
            }
            let given = have.min(*need);
            *need -= given;
            left.set(have - given);
            if *need == 0 {
                Filter::Wake
            } else {
                Filter::Stop
            }
        };
        let close = |remaining: bool| {
            if remaining {
                return;
            }
            // Nobody is queued any more. QUEUED cannot change while we hold
            // the bucket lock (it may already be clear if the QUEUED we saw
            // was stale), so one RMW clears it and returns what is left.
            let queued = self.state.load(Ordering::Relaxed) & QUEUED;
            let delta = (left.get() << 1).wrapping_sub(queued);
            if delta != 0 {
                // Release: pairs with the fast path's Acquire CAS.
                self.state.fetch_add(delta, Ordering::Release);
            }
        };
        global().wake_tracked(self.key(), give, close);
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
            let grab = |need: &mut usize| sem.grab(need);
            match this.wait.poll_wait(cx, this.need, grab) {
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
        let sem = self.sem;
        let need = match self.wait.cancel_tracked(|others| sem.left_queue(others)) {
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

    #[test]
    fn release_goes_to_the_queue_not_to_a_newcomer() {
        let s = Semaphore::new(1);
        let held = s.acquire();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut queued = Box::pin(s.acquire_async());
        assert!(queued.as_mut().poll(&mut cx).is_pending());
        drop(held);
        // The permit was handed to the waiter, never put in the word.
        assert_eq!(s.available_permits(), 0);
        assert!(s.try_acquire().is_none());
        let p = match queued.as_mut().poll(&mut cx) {
            Poll::Ready(p) => p,
            Poll::Pending => panic!("the queued waiter was handed the permit"),
        };
        drop(p);
        // The queue is empty again: the next release takes the lock-free path.
        assert_eq!(s.available_permits(), 1);
        assert!(s.try_acquire().is_some());
    }

    #[test]
    #[should_panic(expected = "more than the")]
    fn too_many_permits_is_a_clear_panic() {
        let _ = Semaphore::new(usize::MAX);
    }

    #[test]
    #[should_panic(expected = "more permits than a semaphore can count")]
    fn release_overflow_is_a_clear_panic() {
        Semaphore::new(MAX_PERMITS).release(1);
    }
}
