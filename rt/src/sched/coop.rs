//! Cooperative budget and `yield_now`. A task that keeps finding ready work
//! (a socket that always has data, a channel that is never empty) would
//! never return to its worker; each ready operation spends one unit of a
//! per-poll budget, and at zero the operation returns `Pending` after waking
//! its task, which sends it to the back of the local queue.
//!
//! Invariant: the budget is set only around a task poll on a worker; code
//! running elsewhere (block_on's caller, blocking threads) is unconstrained.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::COOP_BUDGET;

thread_local! {
    static BUDGET: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (one task poll) with a fresh budget.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    let prev = BUDGET.with(|b| b.replace(Some(COOP_BUDGET)));
    let out = f();
    BUDGET.with(|b| b.set(prev));
    out
}

/// Proof that the budget allowed an operation to proceed.
pub(crate) struct Coop(());

impl Coop {
    /// The operation completed: spend one unit.
    pub(crate) fn made_progress(self) {
        BUDGET.with(|b| {
            if let Some(n) = b.get() {
                b.set(Some(n.saturating_sub(1)));
            }
        });
    }
}

/// `Ready` if the current task may complete one more operation; otherwise
/// wakes the task and returns `Pending` so it yields.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Coop> {
    if BUDGET.with(|b| b.get() == Some(0)) {
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(Coop(()))
}

/// Yields once: the task goes to the back of its worker's queue.
pub async fn yield_now() {
    YieldNow(false).await
}

struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
