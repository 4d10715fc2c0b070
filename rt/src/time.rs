//! Timers for tasks: `sleep`, `sleep_until`, `timeout`, `interval`, built on
//! the per-worker timer store (see `driver::timer`).
//!
//! Invariant: a `Sleep` is registered at most once, in the store of the
//! worker that first polled it, and is removed from that store when dropped
//! unfired — a cancelled timer leaves nothing behind.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use crate::driver::timer::{TimerKey, TimerStore};
use crate::sched::context;

/// A future that completes at a deadline.
pub struct Sleep {
    deadline: Instant,
    reg: Option<(Arc<TimerStore>, TimerKey)>,
}

/// Completes after `dur`.
pub fn sleep(dur: Duration) -> Sleep {
    sleep_until(Instant::now() + dur)
}

/// Completes at `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        reg: None,
    }
}

impl Sleep {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline (re-registers on next poll).
    pub fn reset(&mut self, deadline: Instant) {
        self.unregister();
        self.deadline = deadline;
    }

    fn unregister(&mut self) {
        if let Some((store, key)) = self.reg.take() {
            store.remove(&key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(crate::sched::coop::poll_proceed(cx));
        if let Some((store, key)) = &self.reg {
            if store.poll_fired(key, cx.waker()) {
                self.reg = None;
                coop.made_progress();
                return Poll::Ready(());
            }
            return Poll::Pending;
        }
        let store = context::with_worker(|w| w.map(|w| w.timers.clone()))
            .expect("sleep polled outside a spindle runtime worker");
        match store.insert(self.deadline, cx.waker()) {
            None => {
                coop.made_progress();
                Poll::Ready(())
            }
            Some(key) => {
                self.reg = Some((store, key));
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// The error of a [`timeout`] whose deadline passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> Self {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timeout: deadline has elapsed",
        )
    }
}

/// Runs `fut` for at most `dur`; the inner future is dropped (cancelled) on expiry.
pub fn timeout<F: Future>(dur: Duration, fut: F) -> Timeout<F> {
    Timeout {
        fut: Box::pin(fut),
        sleep: sleep(dur),
    }
}

/// Future returned by [`timeout`].
pub struct Timeout<F> {
    fut: Pin<Box<F>>,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(v) = self.fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A stream of ticks every `period`, the first one immediately.
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "interval period must be non-zero");
    Interval {
        next: Instant::now(),
        period,
        sleep: None,
    }
}

/// Ticks at a fixed period; missed ticks are skipped, not bunched.
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
    sleep: Option<Sleep>,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    pub async fn tick(&mut self) -> Instant {
        let at = self.next;
        let sleep = self.sleep.get_or_insert_with(|| sleep_until(at));
        if sleep.deadline() != at {
            sleep.reset(at);
        }
        sleep.await;
        let now = Instant::now();
        self.next = at + self.period;
        if self.next <= now {
            // Behind schedule: skip to the next period boundary after now.
            let behind = (now - at).as_nanos() / self.period.as_nanos();
            self.next = at + self.period * (behind as u32 + 1);
        }
        at
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}
