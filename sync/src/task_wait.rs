//! A task's side of the wait table: a reusable, cancellable wait record.
//!
//! [`AsyncWait`] is what every async primitive embeds. It follows the
//! waiting protocol of `futex.rs` with a `Waker` in place of a thread:
//! the first `poll_wait` validates and queues (Pending), later polls report
//! `Woken` once a waker has chosen the record, or refresh the stored waker.
//! After reporting a result the record is idle again and can wait anew.
//!
//! Invariant: while `waiter` is `Some`, the record was queued and its wake,
//! if any, has not been reported. Dropping it in that state withdraws the
//! record, and if a wake had already arrived, passes it on with
//! `wake(key, 1)` (the baton rule). A primitive whose wakes carry a resource
//! (permits) calls [`AsyncWait::cancel`] itself first and gives it back.
//!
//! Deadlines: futures take none. The table knows no runtime and no timer;
//! a task that wants a deadline races the future against its runtime's
//! timer and drops it when the timer wins — dropping is the cancellation,
//! and it leaves no trace. Threads get deadlines directly.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::futex::{Unpark, WaitResult, WaitTable, Waiter};
use crate::loom::Arc;

/// How [`AsyncWait::cancel`] found the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// It was not waiting.
    Idle,
    /// It was still queued and has been removed; its token.
    Removed(usize),
    /// A waker had already chosen it and the caller now owns that wake; its token.
    Woken(usize),
}

/// One task's wait on one key, reusable across waits.
pub struct AsyncWait<'a> {
    table: &'a WaitTable,
    key: usize,
    waiter: Option<Arc<Waiter>>,
}

impl<'a> AsyncWait<'a> {
    /// An idle wait on `key` in `table`.
    pub fn new(table: &'a WaitTable, key: usize) -> Self {
        AsyncWait {
            table,
            key,
            waiter: None,
        }
    }

    /// True while queued (or woken but not yet told).
    pub fn is_waiting(&self) -> bool {
        self.waiter.is_some()
    }

    /// Idle: runs `validate` under the bucket lock; false gives
    /// `Ready((Invalid, token))`, true queues the task and gives Pending.
    /// Queued: `Ready((Woken, token))` once woken, else refreshes the waker.
    pub fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        token: usize,
        validate: impl FnOnce(&mut usize) -> bool,
    ) -> Poll<(WaitResult, usize)> {
        let bucket = self.table.bucket(self.key);
        match &self.waiter {
            None => {
                match bucket.enqueue(self.key, token, validate, || {
                    Unpark::Task(cx.waker().clone())
                }) {
                    Ok(waiter) => {
                        self.waiter = Some(waiter);
                        Poll::Pending
                    }
                    Err(token) => Poll::Ready((WaitResult::Invalid, token)),
                }
            }
            Some(waiter) => {
                if !waiter.is_woken() && bucket.rewake(waiter, cx.waker()) {
                    return Poll::Pending;
                }
                // Either WOKEN was seen, or the record left the queue, which
                // only a waker does while we hold it: it is WOKEN.
                let token = waiter.token();
                if let Some(waiter) = self.waiter.take() {
                    Waiter::recycle(waiter);
                }
                Poll::Ready((WaitResult::Woken, token))
            }
        }
    }

    /// Withdraws the record; reports whether a wake had already been
    /// delivered to it (the caller then owns that wake).
    pub fn cancel(&mut self) -> Cancel {
        self.cancel_tracked(|_| {})
    }

    /// [`cancel`](Self::cancel) for a primitive that tracks in its own word
    /// whether anyone is queued: if the record was still queued,
    /// `on_withdraw` runs under the bucket lock after its removal, told
    /// whether other records of the key remain.
    pub(crate) fn cancel_tracked(&mut self, on_withdraw: impl FnOnce(bool)) -> Cancel {
        let Some(waiter) = self.waiter.take() else {
            return Cancel::Idle;
        };
        let cancel = match self.table.bucket(self.key).withdraw(&waiter, on_withdraw) {
            Some(token) => Cancel::Removed(token),
            None => Cancel::Woken(waiter.token()),
        };
        Waiter::recycle(waiter);
        cancel
    }
}

impl Drop for AsyncWait<'_> {
    fn drop(&mut self) {
        if let Cancel::Woken(_) = self.cancel() {
            // The baton: a wake we will never act on goes to the next waiter.
            self.table.wake(self.key, 1);
        }
    }
}

impl WaitTable {
    /// The task form of [`wait`](WaitTable::wait): resolves to `Woken` or
    /// `Invalid`. Drop it to cancel (see the module docs on deadlines).
    pub fn wait_async<'a, V>(&'a self, key: usize, validate: V) -> WaitFuture<'a, V>
    where
        V: FnOnce() -> bool + Unpin,
    {
        WaitFuture {
            wait: AsyncWait::new(self, key),
            validate: Some(validate),
        }
    }
}

/// Future returned by [`WaitTable::wait_async`].
pub struct WaitFuture<'a, V> {
    wait: AsyncWait<'a>,
    validate: Option<V>,
}

impl<V: FnOnce() -> bool + Unpin> Future for WaitFuture<'_, V> {
    type Output = WaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WaitResult> {
        let this = self.get_mut();
        let validate = &mut this.validate;
        match this
            .wait
            .poll_wait(cx, 0, |_| validate.take().is_some_and(|v| v()))
        {
            Poll::Ready((result, _)) => Poll::Ready(result),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (std::sync::Arc<Count>, std::task::Waker) {
        let c = std::sync::Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), c.into())
    }

    #[test]
    fn task_is_woken_once_and_reports_it() {
        let t = WaitTable::new();
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut w = AsyncWait::new(&t, 5);
        assert!(w.poll_wait(&mut cx, 0, |_| true).is_pending());
        assert!(w.poll_wait(&mut cx, 0, |_| true).is_pending());
        assert_eq!(t.wake(5, 3), 1);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            w.poll_wait(&mut cx, 0, |_| true),
            Poll::Ready((WaitResult::Woken, 0))
        );
        assert!(!w.is_waiting());
    }

    #[test]
    fn dropped_woken_future_passes_the_baton() {
        let t = WaitTable::new();
        let (first, w1) = counting_waker();
        let (second, w2) = counting_waker();
        let mut a = AsyncWait::new(&t, 8);
        let mut b = AsyncWait::new(&t, 8);
        assert!(a
            .poll_wait(&mut Context::from_waker(&w1), 0, |_| true)
            .is_pending());
        assert!(b
            .poll_wait(&mut Context::from_waker(&w2), 0, |_| true)
            .is_pending());
        assert_eq!(t.wake(8, 1), 1);
        assert_eq!(first.0.load(Ordering::SeqCst), 1);
        drop(a);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert!(b
            .poll_wait(&mut Context::from_waker(&w2), 0, |_| true)
            .is_ready());
    }

    #[test]
    fn cancelled_unwoken_wait_leaves_no_trace() {
        let t = WaitTable::with_buckets(1);
        let (_, waker) = counting_waker();
        let mut a = AsyncWait::new(&t, 3);
        assert!(a
            .poll_wait(&mut Context::from_waker(&waker), 4, |tok| {
                *tok += 1;
                true
            })
            .is_pending());
        assert_eq!(a.cancel(), Cancel::Removed(5));
        assert_eq!(t.wake_all(3), 0);
    }
}
