//! `Queue<T>`: a bounded, closeable FIFO between threads and tasks.
//!
//! State: the items in a `VecDeque` under a [`Lock`], and a mirror word
//! `len << 3 | PUTTERS | TAKERS | CLOSED`. The length and CLOSED change
//! under that lock; the compare steps read them without taking it (a
//! compare step runs under a bucket lock and must not block). Takers wait
//! under the mirror's address, putters under `cap`'s. TAKERS (PUTTERS) is
//! set and cleared only under the bucket lock of the taker (putter) key,
//! and under that lock it says exactly whether takers (putters) are queued
//! (the tracked-key scheme of `futex.rs`, as the semaphore uses it).
//!
//! The item lock is taken by `lock_items`: tries with back-off that never
//! reads the lock word between tries, then the lock's own slow path (why:
//! see there). Barging (a woken putter losing its slot to a newcomer) is
//! not what costs: counted on the 4-producer task bench, a put finds the
//! queue full 0.035-0.07 times per item and parks 0.035-0.06 times, so
//! wake/park cycles are a few percent of the ops; handing slots over would
//! not pay for its extra protocol.
//!
//! Protocol:
//! 1. put: lock; closed -> error with the item; full -> unlock and wait
//!    (step 5) on the putter key; else push, add one to the mirror's length
//!    with an RMW, unlock. If the value that RMW replaced had TAKERS set,
//!    wake one taker (step 6); if it was clear, nobody is parked and the
//!    put never touches the wait table.
//! 2. take: lock; an item -> pop, subtract one with an RMW, unlock, and wake
//!    one putter if the replaced value had PUTTERS set; empty and closed ->
//!    `Closed`; empty -> unlock and wait on the taker key.
//! 3. close: set CLOSED under the lock, then wake all takers and all
//!    putters (tracked). Takers drain what remains, then get `Closed`;
//!    putters get their item back.
//! 4. give_back: push at the front, add one, unlock, wake a taker as in 1.
//! 5. Waiting (the compare step, under the bucket lock): while the mirror
//!    says open and empty (taker) or open and full (putter), one CAS sets
//!    the side's bit, and the record queues in the same critical section.
//!    Otherwise the waiter does not sleep and retries from 1 or 2.
//! 6. Waking (`wake_tracked`): under the bucket lock, wake the oldest record
//!    of the key (all of them for close); if the walk leaves none of the key
//!    queued, clear the side's bit in the same critical section.
//! 7. Withdrawing: a thread whose deadline passes, or a future dropped while
//!    queued, removes its record under the bucket lock and clears the bit if
//!    it was the last of its side. A future dropped after a waker chose it
//!    (a wake it will never act on) passes the wake to the next waiter of
//!    its side (the baton rule, step 6), so no item or slot is left
//!    unclaimed.
//!
//! Why no wake is lost: the waiter's CAS and the put's (take's) RMW are
//! both read-modify-writes of the mirror, so one comes first. If the put's
//! does, the CAS sees the new length and the waiter does not sleep. If the
//! CAS does, the put sees the bit; the record was queued under the bucket
//! lock in the CAS's critical section, so the put's wake, which takes that
//! lock afterwards, finds it.
//!
//! Invariant: the mirror's length and CLOSED equal (buffer length, closed)
//! whenever the item lock is free; whenever a bucket lock is free, TAKERS
//! (PUTTERS) is set exactly while records of the taker (putter) key are
//! queued; every change that could let a waiter proceed is followed by a
//! wake of that waiter's key if its side's bit was set. FIFO holds per
//! queue, hence per producer.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, Filter, WaitResult};
use crate::lock::{Lock, LockGuard};
use crate::loom::{AtomicUsize, Ordering};
use crate::task_wait::{AsyncWait, Cancel};

/// The mirror's bits: closed, takers queued, putters queued; then the length.
const CLOSED: usize = 1;
const TAKERS: usize = 2;
const PUTTERS: usize = 4;
const LEN_SHIFT: u32 = 3;
const ONE: usize = 1 << LEN_SHIFT;

/// Tries of the item lock before its own slow path (see `lock_items`).
#[cfg(not(loom))]
const LOCK_TRIES: u32 = 10;

/// The queue is closed. `take` returns `Closed<()>` once it is also
/// drained; `put` returns the rejected item inside.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Closed<T = ()>(pub T);

impl<T> fmt::Debug for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closed(..)")
    }
}

impl<T> fmt::Display for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue closed")
    }
}

impl<T> std::error::Error for Closed<T> {}

/// Why a non-blocking or deadline put failed; the item comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutError<T> {
    /// Full (and, for a deadline put, still full at the deadline).
    Full(T),
    /// Closed.
    Closed(T),
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "Full(..)",
            PutError::Closed(_) => "Closed(..)",
        })
    }
}

/// Why a non-blocking or deadline take failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakeError {
    /// Empty (and, for a deadline take, still empty at the deadline).
    Empty,
    /// Closed and drained.
    Closed,
}

/// A bounded multi-producer multi-consumer FIFO.
pub struct Queue<T> {
    items: Lock<VecDeque<T>>,
    mirror: AtomicUsize,
    cap: usize,
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("cap", &self.cap)
            .finish()
    }
}

fn open_and_empty(m: usize) -> bool {
    m & !(TAKERS | PUTTERS) == 0
}

impl<T> Queue<T> {
    /// An empty open queue holding at most `cap` items (at least 1).
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Queue {
            items: Lock::new(VecDeque::with_capacity(cap.min(1024))),
            mirror: AtomicUsize::new(0),
            cap,
        }
    }

    /// Takes the item lock. A failed try backs off for 1, 2, 4 .. 512
    /// pauses (10 tries, about 1000 pauses in all) *without reading the
    /// lock word* before the next try; only then does it fall back to the
    /// lock's own spin-then-park path. Every op holds this lock for a
    /// handful of writes to one cache line (lock word, buffer header,
    /// mirror); a waiter that reads the word while spinning, as the lock's
    /// own spin does 22 times, pulls that line away from the holder in the
    /// middle of those writes. When the two cores really run producer and
    /// consumer at once, that made each op several line transfers. Measured
    /// with the 4-producer task bench on the loaded 2-core machine (old and
    /// new binaries alternated, medians of 200 runs): 2.75-3.23 ms before,
    /// 1.66-1.75 ms with this (tokio's mpsc 1.63-1.71 ms); 6 tries gave
    /// 2.5-2.8 ms, and capping the gap at 64 pauses 2.07-2.18 ms. Under loom
    /// it is the plain lock (the back-off holds no state to model).
    fn lock_items(&self) -> LockGuard<'_, VecDeque<T>> {
        #[cfg(not(loom))]
        {
            let mut gap = 1;
            for _ in 0..LOCK_TRIES {
                if let Some(items) = self.items.try_lock() {
                    return items;
                }
                for _ in 0..gap {
                    crate::loom::spin_hint();
                }
                gap *= 2;
            }
        }
        self.items.lock()
    }

    fn take_key(&self) -> usize {
        &self.mirror as *const AtomicUsize as usize
    }

    fn put_key(&self) -> usize {
        &self.cap as *const usize as usize
    }

    fn open_and_full(&self, m: usize) -> bool {
        m & CLOSED == 0 && m >> LEN_SHIFT >= self.cap
    }

    fn key(&self, side: usize) -> usize {
        if side == TAKERS {
            self.take_key()
        } else {
            self.put_key()
        }
    }

    /// Step 5's compare step, under the bucket lock of `side`'s key: true
    /// (wait) if the mirror still says this side must wait, having set the
    /// side's bit in the same CAS that checked it, so a put or take racing
    /// it either changes the length first (the CAS fails and looks again)
    /// or sees the bit and wakes.
    fn flag_waiting(&self, side: usize) -> bool {
        let mut m = self.mirror.load(Ordering::Relaxed);
        loop {
            let must_wait = if side == TAKERS {
                open_and_empty(m)
            } else {
                self.open_and_full(m)
            };
            if !must_wait {
                return false;
            }
            if m & side != 0 {
                // Already set, and it cannot be cleared while we hold the
                // bucket lock: any later put or take sees it.
                return true;
            }
            // Relaxed: the bit orders nothing by itself; what matters is
            // that this CAS and the puts' and takes' RMWs are totally
            // ordered on the mirror, and that the record queues under the
            // bucket lock the waker then takes.
            match self.mirror.compare_exchange_weak(
                m,
                m | side,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => m = now,
            }
        }
    }

    /// Runs under `side`'s bucket lock after a walk or a withdrawal: the
    /// last record of the side out clears its bit.
    fn left_queue(&self, side: usize, others_remain: bool) {
        if !others_remain {
            self.mirror.fetch_and(!side, Ordering::Relaxed);
        }
    }

    /// Step 6: wakes up to `n` waiters of `side`, oldest first, clearing
    /// the side's bit if none remain queued.
    fn wake_side(&self, side: usize, n: usize) {
        let mut left = n;
        let pick = |_: &mut usize| {
            if left == 0 {
                return Filter::Stop;
            }
            left -= 1;
            Filter::Wake
        };
        global().wake_tracked(self.key(side), pick, |remaining| {
            self.left_queue(side, remaining)
        });
    }

    /// Step 7 for a dropped future: withdraws its record, or passes on a
    /// wake that had already chosen it.
    fn cancel_wait(&self, side: usize, wait: &mut AsyncWait<'_>) {
        let left = |others: bool| self.left_queue(side, others);
        if let Cancel::Woken(_) = wait.cancel_tracked(left) {
            self.wake_side(side, 1);
        }
    }

    /// A thread's wait (step 5) on `side` until woken, invalid or timed out.
    fn wait_side(&self, side: usize, deadline: Option<Instant>) -> WaitResult {
        let must_wait = |_: &mut usize| self.flag_waiting(side);
        let left = |others: bool| self.left_queue(side, others);
        global()
            .wait_tracked(self.key(side), 0, must_wait, left, deadline)
            .0
    }

    /// Items queued now (a snapshot).
    pub fn len(&self) -> usize {
        self.mirror.load(Ordering::Relaxed) >> LEN_SHIFT
    }

    /// True if no items are queued now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bound.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.mirror.load(Ordering::Acquire) & CLOSED != 0
    }

    /// For the loom models: whether the takers' and the putters' bits are
    /// set (once everyone has left, both must be clear).
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn waiting_bits(&self) -> (bool, bool) {
        let m = self.mirror.load(Ordering::Relaxed);
        (m & TAKERS != 0, m & PUTTERS != 0)
    }

    /// Closes the queue; returns false if it already was. Parked takers
    /// drain and then see `Closed`; parked putters get their item back.
    pub fn close(&self) -> bool {
        let was = {
            let _items = self.lock_items();
            self.mirror.fetch_or(CLOSED, Ordering::Release)
        };
        // A waiter that sets its bit after this RMW sees CLOSED and does
        // not wait, so `was` names every side that may have waiters.
        for side in [TAKERS, PUTTERS] {
            if was & side != 0 {
                self.wake_side(side, usize::MAX);
            }
        }
        was & CLOSED == 0
    }

    /// Puts without waiting.
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        let mut items = self.lock_items();
        let m = self.mirror.load(Ordering::Relaxed);
        if m & CLOSED != 0 {
            return Err(PutError::Closed(item));
        }
        if items.len() >= self.cap {
            return Err(PutError::Full(item));
        }
        items.push_back(item);
        let was = self.mirror.fetch_add(ONE, Ordering::Release);
        drop(items);
        if was & TAKERS != 0 {
            self.wake_side(TAKERS, 1);
        }
        Ok(())
    }

    /// Takes without waiting.
    pub fn try_take(&self) -> Result<T, TakeError> {
        let mut items = self.lock_items();
        match items.pop_front() {
            Some(item) => {
                let was = self.mirror.fetch_sub(ONE, Ordering::Release);
                drop(items);
                if was & PUTTERS != 0 {
                    self.wake_side(PUTTERS, 1);
                }
                Ok(item)
            }
            None if self.mirror.load(Ordering::Relaxed) & CLOSED != 0 => Err(TakeError::Closed),
            None => Err(TakeError::Empty),
        }
    }

    /// Puts back at the front an item a taker was handed but could not use
    /// (a task cancelled after its take completed), so the next taker gets
    /// it in its old place; wakes one taker. It ignores the bound and close:
    /// the item was already queued, and takers drain a closed queue.
    pub fn give_back(&self, item: T) {
        let mut items = self.lock_items();
        items.push_front(item);
        let was = self.mirror.fetch_add(ONE, Ordering::Release);
        drop(items);
        if was & TAKERS != 0 {
            self.wake_side(TAKERS, 1);
        }
    }

    /// Blocks the thread until there is room; errors if closed.
    pub fn put(&self, item: T) -> Result<(), Closed<T>> {
        match self.put_inner(item, None) {
            Ok(()) => Ok(()),
            Err(PutError::Closed(item) | PutError::Full(item)) => Err(Closed(item)),
        }
    }

    /// Blocks until there is room or `deadline` passes (`Full`).
    pub fn put_deadline(&self, item: T, deadline: Instant) -> Result<(), PutError<T>> {
        self.put_inner(item, Some(deadline))
    }

    fn put_inner(&self, mut item: T, deadline: Option<Instant>) -> Result<(), PutError<T>> {
        loop {
            item = match self.try_put(item) {
                Err(PutError::Full(item)) => item,
                done => return done,
            };
            if self.wait_side(PUTTERS, deadline) == WaitResult::TimedOut {
                return Err(PutError::Full(item));
            }
        }
    }

    /// Blocks the thread until an item arrives; `Closed` once closed and drained.
    pub fn take(&self) -> Result<T, Closed> {
        self.take_inner(None).map_err(|_| Closed(()))
    }

    /// Blocks until an item arrives or `deadline` passes (`Empty`).
    pub fn take_deadline(&self, deadline: Instant) -> Result<T, TakeError> {
        self.take_inner(Some(deadline))
    }

    fn take_inner(&self, deadline: Option<Instant>) -> Result<T, TakeError> {
        loop {
            match self.try_take() {
                Err(TakeError::Empty) => {}
                done => return done,
            }
            if self.wait_side(TAKERS, deadline) == WaitResult::TimedOut {
                return Err(TakeError::Empty);
            }
        }
    }

    /// Puts as a task. Dropping the future drops the item with it unless it
    /// was already queued. For a deadline, race it with a timer.
    pub fn put_async(&self, item: T) -> PutFuture<'_, T> {
        PutFuture {
            queue: self,
            item: Some(item),
            wait: AsyncWait::new(global(), self.put_key()),
        }
    }

    /// Takes as a task. For a deadline, race it with a timer.
    pub fn take_async(&self) -> TakeFuture<'_, T> {
        TakeFuture {
            queue: self,
            wait: AsyncWait::new(global(), self.take_key()),
        }
    }
}

/// Future returned by [`Queue::put_async`].
pub struct PutFuture<'a, T> {
    queue: &'a Queue<T>,
    item: Option<T>,
    wait: AsyncWait<'static>,
}

impl<T> Unpin for PutFuture<'_, T> {}

impl<T> Future for PutFuture<'_, T> {
    type Output = Result<(), Closed<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed<T>>> {
        let this = self.get_mut();
        let q = this.queue;
        loop {
            if !this.wait.is_waiting() {
                let item = this.item.take().expect("PutFuture polled after completion");
                match q.try_put(item) {
                    Ok(()) => return Poll::Ready(Ok(())),
                    Err(PutError::Closed(item)) => return Poll::Ready(Err(Closed(item))),
                    Err(PutError::Full(item)) => this.item = Some(item),
                }
            }
            let full = |_: &mut usize| q.flag_waiting(PUTTERS);
            if this.wait.poll_wait(cx, 0, full).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<T> Drop for PutFuture<'_, T> {
    fn drop(&mut self) {
        self.queue.cancel_wait(PUTTERS, &mut self.wait);
    }
}

/// Future returned by [`Queue::take_async`].
pub struct TakeFuture<'a, T> {
    queue: &'a Queue<T>,
    wait: AsyncWait<'static>,
}

impl<T> Future for TakeFuture<'_, T> {
    type Output = Result<T, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Closed>> {
        let this = self.get_mut();
        let q = this.queue;
        loop {
            if !this.wait.is_waiting() {
                match q.try_take() {
                    Ok(item) => return Poll::Ready(Ok(item)),
                    Err(TakeError::Closed) => return Poll::Ready(Err(Closed(()))),
                    Err(TakeError::Empty) => {}
                }
            }
            let empty = |_: &mut usize| q.flag_waiting(TAKERS);
            if this.wait.poll_wait(cx, 0, empty).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<T> Drop for TakeFuture<'_, T> {
    fn drop(&mut self) {
        self.queue.cancel_wait(TAKERS, &mut self.wait);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;
    use std::time::Duration;

    #[test]
    fn fifo_bound_and_close() {
        let q = Queue::new(2);
        q.try_put(1).unwrap();
        q.put(2).unwrap();
        assert!(matches!(q.try_put(3), Err(PutError::Full(3))));
        assert!(matches!(
            q.put_deadline(3, Instant::now() + Duration::from_millis(2)),
            Err(PutError::Full(3))
        ));
        assert!(q.close());
        assert!(!q.close());
        assert!(matches!(q.put(4), Err(Closed(4))));
        assert_eq!(q.take(), Ok(1));
        assert_eq!(q.try_take(), Ok(2));
        assert_eq!(q.take(), Err(Closed(())));
        assert_eq!(q.try_take(), Err(TakeError::Closed));
    }

    #[test]
    fn close_wakes_parked_task() {
        let q: Queue<u32> = Queue::new(1);
        let mut cx = Context::from_waker(Waker::noop());
        let mut t = Box::pin(q.take_async());
        assert!(t.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            q.take_deadline(Instant::now() + Duration::from_millis(1)),
            Err(TakeError::Empty)
        );
        q.close();
        assert_eq!(t.as_mut().poll(&mut cx), Poll::Ready(Err(Closed(()))));
    }

    #[test]
    fn given_back_item_goes_first_and_wakes_a_taker() {
        let q = Queue::new(2);
        q.try_put(1).unwrap();
        q.try_put(2).unwrap();
        let first = q.try_take().unwrap();
        q.try_put(3).unwrap();
        // The taker's task was cancelled: the item returns to its place,
        // even though a put refilled the slot and the queue is closed.
        q.close();
        q.give_back(first);
        assert_eq!(q.len(), 3);
        assert_eq!(q.take(), Ok(1));
        assert_eq!(q.take(), Ok(2));
        assert_eq!(q.take(), Ok(3));
        assert_eq!(q.take(), Err(Closed(())));

        let q: Queue<u32> = Queue::new(1);
        let mut cx = Context::from_waker(Waker::noop());
        let mut t = Box::pin(q.take_async());
        assert!(t.as_mut().poll(&mut cx).is_pending());
        q.give_back(7);
        assert_eq!(t.as_mut().poll(&mut cx), Poll::Ready(Ok(7)));
    }

    fn bits<T>(q: &Queue<T>) -> usize {
        q.mirror.load(Ordering::Relaxed) & (TAKERS | PUTTERS)
    }

    #[test]
    fn waiting_bits_track_the_parked_exactly() {
        let mut cx = Context::from_waker(Waker::noop());
        let q: Queue<u32> = Queue::new(1);
        // Nobody parked: a put and a take leave no bit.
        q.try_put(1).unwrap();
        assert_eq!(q.try_take(), Ok(1));
        assert_eq!(bits(&q), 0);
        // Two parked takers: the first wake keeps the bit, the second clears it.
        let mut a = Box::pin(q.take_async());
        let mut b = Box::pin(q.take_async());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        assert_eq!(bits(&q), TAKERS);
        q.try_put(1).unwrap();
        assert_eq!(bits(&q), TAKERS);
        assert_eq!(a.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
        q.try_put(2).unwrap();
        assert_eq!(bits(&q), 0);
        assert_eq!(b.as_mut().poll(&mut cx), Poll::Ready(Ok(2)));
        // A parked putter withdrawn by drop clears its bit.
        q.try_put(3).unwrap();
        let mut p = Box::pin(q.put_async(4));
        assert!(p.as_mut().poll(&mut cx).is_pending());
        assert_eq!(bits(&q), PUTTERS);
        drop(p);
        assert_eq!(bits(&q), 0);
        // A timed-out putter too.
        let late = Instant::now() + Duration::from_millis(1);
        assert_eq!(q.put_deadline(4, late), Err(PutError::Full(4)));
        assert_eq!(bits(&q), 0);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn woken_then_dropped_taker_passes_the_wake() {
        let mut cx = Context::from_waker(Waker::noop());
        let q: Queue<u32> = Queue::new(1);
        let mut a = Box::pin(q.take_async());
        let mut b = Box::pin(q.take_async());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        q.try_put(1).unwrap();
        // `a` was chosen but never polled again: its wake goes to `b`, and
        // with nobody left the bit is clear.
        drop(a);
        assert_eq!(bits(&q), 0);
        assert_eq!(b.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    }
}
