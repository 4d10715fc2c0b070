//! The task state word: lifecycle bits and a reference count packed in one
//! atomic, with every transition as a single compare-and-swap loop.
//!
//! Bits: RUNNING (a worker owns the future right now), NOTIFIED (a wake is
//! pending: either a queue holds a `Task` for it or the running worker will
//! reschedule it), COMPLETE (the future is gone and the output, if any, is in
//! the stage), CANCELLED (abort or shutdown asked the task to stop),
//! JOIN_INTEREST (a `JoinHandle` still wants the output). The rest counts
//! references: queue entries, the owned-task list, the `JoinHandle`, wakers.
//!
//! Invariants:
//! 1. At most one thread holds RUNNING; only it touches the future.
//! 2. NOTIFIED with !RUNNING means exactly one `Task` handle sits in a queue.
//! 3. Once COMPLETE is set it never clears; whoever sees JOIN_INTEREST in the
//!    completing CAS leaves the output to the `JoinHandle`.
//! 4. The task is freed by whoever drops the last reference.
//!
//! Public (re-exported as `spindle_rt::task_state` under `cfg(loom)` only)
//! so loom-tests can model these transitions with racing wakes, aborts and
//! shutdown; the rest of the crate reaches it as `crate::task::state`.

use crate::loom::{AtomicUsize, Ordering};

/// A worker owns the future right now.
pub const RUNNING: usize = 1 << 0;
/// A wake is pending (queued, or the running worker reschedules).
pub const NOTIFIED: usize = 1 << 1;
/// The future is gone; the output, if any, is in the stage.
pub const COMPLETE: usize = 1 << 2;
/// Abort or shutdown asked the task to stop.
pub const CANCELLED: usize = 1 << 3;
/// A `JoinHandle` still wants the output.
pub const JOIN_INTEREST: usize = 1 << 4;
/// Bits below this hold the flags; the reference count sits above.
pub const REF_SHIFT: usize = 6;
/// One reference in the count.
pub const REF_ONE: usize = 1 << REF_SHIFT;

/// The packed state word of one task.
pub struct State(AtomicUsize);

/// What `transition_to_running` decided.
#[derive(Debug, PartialEq, Eq)]
pub enum ToRunning {
    /// The caller now holds RUNNING and should poll.
    Poll,
    /// The caller holds RUNNING but must cancel the future instead.
    Cancel,
    /// Someone else runs it or it is done; drop the handle.
    Skip,
}

/// What `transition_to_idle` decided after a `Pending` poll.
#[derive(Debug, PartialEq, Eq)]
pub enum ToIdle {
    /// No wake arrived while running: drop the queue reference.
    Idle,
    /// A wake arrived while running: reschedule with the same reference.
    Notified,
    /// Abort arrived while running: cancel now (RUNNING still held).
    Cancel,
}

impl State {
    /// A fresh task: NOTIFIED (it is about to be queued), JOIN_INTEREST, and
    /// `refs` references.
    pub fn new(refs: usize) -> Self {
        State(AtomicUsize::new(
            NOTIFIED | JOIN_INTEREST | (refs * REF_ONE),
        ))
    }

    /// The current word (Acquire).
    pub fn load(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    fn update<R>(&self, mut f: impl FnMut(usize) -> (Option<usize>, R)) -> R {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let (next, out) = f(cur);
            let Some(next) = next else { return out };
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return out,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A queued `Task` is about to run: NOTIFIED -> RUNNING.
    pub fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            if s & (RUNNING | COMPLETE) != 0 || s & NOTIFIED == 0 {
                return (None, ToRunning::Skip);
            }
            let next = (s & !NOTIFIED) | RUNNING;
            let out = if s & CANCELLED != 0 {
                ToRunning::Cancel
            } else {
                ToRunning::Poll
            };
            (Some(next), out)
        })
    }

    /// The poll returned `Pending`: release RUNNING.
    pub fn transition_to_idle(&self) -> ToIdle {
        self.update(|s| {
            if s & CANCELLED != 0 {
                return (None, ToIdle::Cancel);
            }
            if s & NOTIFIED != 0 {
                // Keep NOTIFIED set: the caller re-queues its own handle, so
                // invariant 2 holds once it is in the queue.
                return (Some(s & !RUNNING), ToIdle::Notified);
            }
            (Some(s & !RUNNING), ToIdle::Idle)
        })
    }

    /// A wake by reference. Returns true when the caller must queue a new
    /// `Task` (a reference has been added for it).
    pub fn transition_to_notified(&self) -> bool {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, false)
            } else if s & NOTIFIED != 0 {
                // Already queued: nothing changes, but write the word back
                // anyway. As a read-modify-write (release) this is ordered
                // with the worker's NOTIFIED -> RUNNING exchange, so what
                // the waker published before waking is visible to that
                // poll. A plain load here could read the word from before
                // that exchange while the poll misses the waker's write
                // (store buffering; found by loom-tests/tests/rt_task_state.rs).
                (Some(s), false)
            } else if s & RUNNING != 0 {
                (Some(s | NOTIFIED), false)
            } else {
                (Some((s | NOTIFIED) + REF_ONE), true)
            }
        })
    }

    /// `JoinHandle::abort`. Returns true when the caller must queue a new
    /// `Task` (a reference has been added for it).
    pub fn transition_to_aborted(&self) -> bool {
        self.update(|s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                (None, false)
            } else if s & (RUNNING | NOTIFIED) != 0 {
                (Some(s | CANCELLED | NOTIFIED), false)
            } else {
                (Some((s | CANCELLED | NOTIFIED) + REF_ONE), true)
            }
        })
    }

    /// Shutdown takes the future of an idle task. Returns true when the
    /// caller now holds RUNNING and must cancel it.
    pub fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            if s & (COMPLETE | RUNNING) != 0 {
                (Some(s | CANCELLED), false)
            } else {
                (Some(s | CANCELLED | RUNNING), true)
            }
        })
    }

    /// RUNNING -> COMPLETE. Returns the previous word so the caller can see
    /// JOIN_INTEREST (invariant 3).
    pub fn transition_to_complete(&self) -> usize {
        self.update(|s| {
            debug_assert!(s & RUNNING != 0 && s & COMPLETE == 0);
            (Some((s & !RUNNING) | COMPLETE), s)
        })
    }

    /// The `JoinHandle` goes away. Returns false when the task is already
    /// complete, in which case the handle must drop the output itself.
    pub fn unset_join_interest(&self) -> bool {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, false)
            } else {
                (Some(s & !JOIN_INTEREST), true)
            }
        })
    }

    /// Adds a reference (a clone of a handle or waker).
    pub fn ref_inc(&self) {
        // Relaxed is enough: a new reference is made from an existing one,
        // which already keeps the task alive (as with `Arc::clone`).
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        assert!(prev < usize::MAX / 2, "task reference count overflow");
    }

    /// Drops one reference; true when it was the last (caller frees).
    pub fn ref_dec(&self) -> bool {
        let prev = self.0.fetch_sub(REF_ONE, Ordering::AcqRel);
        debug_assert!(prev >= REF_ONE);
        prev >> REF_SHIFT == 1
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_while_running_reschedules_once() {
        let s = State::new(1);
        assert_eq!(s.transition_to_running(), ToRunning::Poll);
        assert!(!s.transition_to_notified(), "running task is not re-queued");
        assert!(!s.transition_to_notified(), "second wake is absorbed");
        assert_eq!(s.transition_to_idle(), ToIdle::Notified);
        assert_eq!(s.transition_to_running(), ToRunning::Poll);
        assert_eq!(s.transition_to_idle(), ToIdle::Idle);
        assert!(s.transition_to_notified(), "idle task must be queued");
    }

    #[test]
    fn abort_idle_task_queues_cancel() {
        let s = State::new(1);
        assert_eq!(s.transition_to_running(), ToRunning::Poll);
        assert_eq!(s.transition_to_idle(), ToIdle::Idle);
        assert!(s.transition_to_aborted());
        assert_eq!(s.transition_to_running(), ToRunning::Cancel);
        let prev = s.transition_to_complete();
        assert!(prev & JOIN_INTEREST != 0);
        assert!(!s.unset_join_interest(), "complete: handle drops output");
        assert!(!s.transition_to_notified(), "complete task ignores wakes");
    }

    #[test]
    fn last_ref_reports_free() {
        let s = State::new(2);
        assert!(!s.ref_dec());
        s.ref_inc();
        assert!(!s.ref_dec());
        assert!(s.ref_dec());
    }
}
