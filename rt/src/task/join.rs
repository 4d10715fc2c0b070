//! `JoinHandle` and `JoinError`: the awaiting side of a spawned task.
//!
//! Invariant: a `JoinHandle` owns the join slot's reference and its
//! JOIN_INTEREST bit until dropped; it yields the output exactly once. A
//! panic inside the task becomes `JoinError::Panic`, never a dead worker.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::raw::{JoinSlot, PanicPayload};
use super::state::COMPLETE;

/// Why a task produced no output.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(PanicPayload),
}

impl JoinError {
    pub(crate) fn cancelled() -> Self {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: PanicPayload) -> Self {
        JoinError {
            repr: Repr::Panic(payload),
        }
    }

    /// True when the task was aborted or the runtime shut down.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True when the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload; panics if the task was cancelled instead.
    pub fn into_panic(self) -> PanicPayload {
        match self.repr {
            Repr::Panic(p) => p,
            Repr::Cancelled => panic!("JoinError::into_panic on a cancelled task"),
        }
    }

    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(p) => p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "task was cancelled"),
            (Repr::Panic(_), Some(m)) => write!(f, "task panicked: {m}"),
            (Repr::Panic(_), None) => write!(f, "task panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError({self})")
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> Self {
        std::io::Error::other(e.to_string())
    }
}

/// An owned permission to await a spawned task's output.
pub struct JoinHandle<T> {
    slot: JoinSlot<T>,
    done: bool,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(slot: JoinSlot<T>) -> Self {
        JoinHandle { slot, done: false }
    }

    /// Asks the task to stop; awaiting it then yields a cancelled error
    /// (unless it already finished).
    pub fn abort(&self) {
        self.slot.abort();
    }

    /// True once the task has completed (output ready, panicked or cancelled).
    pub fn is_finished(&self) -> bool {
        self.slot.header().state.load() & COMPLETE != 0
    }

    /// The task's runtime-unique id.
    pub fn id(&self) -> u64 {
        self.slot.header().id
    }
}

impl<T> Unpin for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.done, "JoinHandle polled after it returned Ready");
        let coop = std::task::ready!(crate::sched::coop::poll_proceed(cx));
        match self.slot.poll_output(cx.waker()) {
            Some(out) => {
                coop.made_progress();
                self.done = true;
                Poll::Ready(out)
            }
            None => Poll::Pending,
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}
