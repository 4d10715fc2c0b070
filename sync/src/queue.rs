//! `Queue<T>`: a bounded, closeable FIFO between threads and tasks.
//!
//! State: the items in a `VecDeque` under a [`Lock`], and a mirror word
//! `len << 1 | CLOSED` updated under that lock, which the compare steps read
//! without taking it (a compare step runs under a bucket lock and must not
//! block). Takers wait under the mirror's address, putters under `cap`'s.
//!
//! Protocol:
//! 1. put: lock; closed -> error with the item; full -> unlock and wait on
//!    the putter key while the mirror says open and full; else push, update
//!    the mirror, unlock, wake one taker.
//! 2. take: lock; an item -> pop, update the mirror, unlock, wake one putter;
//!    empty and closed -> `Closed`; empty -> unlock and wait on the taker key
//!    while the mirror says open and empty.
//! 3. close: set CLOSED under the lock, then wake all takers and putters.
//!    Takers drain what remains, then get `Closed`; putters get their item
//!    back.
//! 4. A task woken and then dropped passes the wake to the next waiter of
//!    its side (the table's baton rule), so no item or slot is left unclaimed.
//!
//! Invariant: the mirror equals (buffer length, closed) whenever the lock is
//! free; every change that could let a waiter proceed is followed by a wake
//! of that waiter's key. FIFO holds per queue, hence per producer.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::lock::Lock;
use crate::loom::{AtomicUsize, Ordering};
use crate::task_wait::AsyncWait;

const CLOSED: usize = 1;
const ONE: usize = 2;

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
    m == 0
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

    fn take_key(&self) -> usize {
        &self.mirror as *const AtomicUsize as usize
    }

    fn put_key(&self) -> usize {
        &self.cap as *const usize as usize
    }

    fn open_and_full(&self, m: usize) -> bool {
        m & CLOSED == 0 && m >> 1 >= self.cap
    }

    /// Items queued now (a snapshot).
    pub fn len(&self) -> usize {
        self.mirror.load(Ordering::Relaxed) >> 1
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

    /// Closes the queue; returns false if it already was. Parked takers
    /// drain and then see `Closed`; parked putters get their item back.
    pub fn close(&self) -> bool {
        let was = {
            let _items = self.items.lock();
            self.mirror.fetch_or(CLOSED, Ordering::Release)
        };
        global().wake_all(self.take_key());
        global().wake_all(self.put_key());
        was & CLOSED == 0
    }

    /// Puts without waiting.
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        let mut items = self.items.lock();
        let m = self.mirror.load(Ordering::Relaxed);
        if m & CLOSED != 0 {
            return Err(PutError::Closed(item));
        }
        if items.len() >= self.cap {
            return Err(PutError::Full(item));
        }
        items.push_back(item);
        self.mirror.fetch_add(ONE, Ordering::Release);
        drop(items);
        global().wake(self.take_key(), 1);
        Ok(())
    }

    /// Takes without waiting.
    pub fn try_take(&self) -> Result<T, TakeError> {
        let mut items = self.items.lock();
        match items.pop_front() {
            Some(item) => {
                self.mirror.fetch_sub(ONE, Ordering::Release);
                drop(items);
                global().wake(self.put_key(), 1);
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
        let mut items = self.items.lock();
        items.push_front(item);
        self.mirror.fetch_add(ONE, Ordering::Release);
        drop(items);
        global().wake(self.take_key(), 1);
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
            let full = || self.open_and_full(self.mirror.load(Ordering::Relaxed));
            if global().wait(self.put_key(), full, deadline) == WaitResult::TimedOut {
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
            let empty = || open_and_empty(self.mirror.load(Ordering::Relaxed));
            if global().wait(self.take_key(), empty, deadline) == WaitResult::TimedOut {
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
            let full = |_: &mut usize| q.open_and_full(q.mirror.load(Ordering::Relaxed));
            if this.wait.poll_wait(cx, 0, full).is_pending() {
                return Poll::Pending;
            }
        }
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
            let empty = |_: &mut usize| open_and_empty(q.mirror.load(Ordering::Relaxed));
            if this.wait.poll_wait(cx, 0, empty).is_pending() {
                return Poll::Pending;
            }
        }
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
}
