//! Pending Rust operations (I/O on spindle-rt, later futex waits) owned by
//! the loop, each on behalf of one parked task.
//!
//! Protocol:
//! 1. A native builds a `'static` future (it owns its buffers and an `Arc`
//!    of the socket) whose output is a `Done` closure, parks its task and
//!    calls `Ops::add(task, seq, fut)`. The op is queued as ready so the
//!    driver polls it once.
//! 2. Each op has its own waker. Waking it — from any worker, e.g. when a
//!    completion is reaped — pushes its slot onto `Shared::ready`, raises
//!    `Shared::flag` and wakes the isolate's rt task (the last waker the
//!    driver stored).
//! 3. The driver sees the flag, polls exactly the ready ops, and for each
//!    finished one runs `Done` on the isolate (building language values)
//!    and wakes the task — if it is still parked on that wait.
//! 4. An op whose task stopped waiting (cancelled, timed out, stream
//!    closed) is dropped by `sweep`; dropping an rt op in flight cancels it
//!    (rt keeps its buffers alive until the kernel lets go). An op may carry
//!    a `Salvage` closure: `sweep` hands it back and the driver runs it on
//!    the isolate before any task resumes (a cancelled read appends the
//!    bytes it already had to its caller's buffer).

use crate::isolate::Isolate;
use crate::value::Ref;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::sched::Resume;

/// Turns an op's Rust result into the value (or error) its task receives.
pub type Done = Box<dyn FnOnce(&mut Isolate) -> Resume + Send>;
/// An op: a future owned by the loop.
pub type OpFuture = Pin<Box<dyn Future<Output = Done> + Send>>;
/// What an abandoned op leaves behind, run on the isolate (step 4).
pub type Salvage = Box<dyn FnOnce(&mut Isolate) + Send>;

struct Op {
    fut: OpFuture,
    salvage: Option<Salvage>,
    task: Ref,
    seq: u64,
    waker: Waker,
}

#[derive(Default)]
struct Shared {
    ready: Mutex<Vec<usize>>,
    flag: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

struct OpWaker {
    shared: Arc<Shared>,
    slot: usize,
}

impl Wake for OpWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.shared
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.slot);
        // Release: the driver's Acquire load of the flag sees the push.
        self.shared.flag.store(true, Ordering::Release);
        let w = self.shared.waker.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = w.as_ref() {
            w.wake_by_ref();
        }
    }
}

/// The loop's pending operations.
#[derive(Default)]
pub struct Ops {
    slots: Vec<Option<Op>>,
    free: Vec<usize>,
    shared: Arc<Shared>,
    live: usize,
    /// Some task may have stopped waiting on its op: `sweep` is due.
    pub dirty: bool,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ops").field("live", &self.live).finish()
    }
}

impl Ops {
    /// Step 1: registers `fut` for wait `seq` of `task`.
    pub fn add(&mut self, task: Ref, seq: u64, fut: OpFuture) {
        self.add_salvaging(task, seq, fut, None);
    }

    /// Like `add`, with a closure to run if the op is abandoned.
    pub fn add_salvaging(&mut self, task: Ref, seq: u64, fut: OpFuture, salvage: Option<Salvage>) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let waker = Waker::from(Arc::new(OpWaker {
            shared: self.shared.clone(),
            slot,
        }));
        // Queued as ready without waking the isolate: the driver is running.
        self.shared
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot);
        self.shared.flag.store(true, Ordering::Release);
        self.slots[slot] = Some(Op {
            fut,
            salvage,
            task,
            seq,
            waker,
        });
        self.live += 1;
    }

    /// Number of ops in flight.
    pub fn live(&self) -> usize {
        self.live
    }

    /// True if some op was woken since the last `poll_ready`.
    #[inline]
    pub fn has_ready(&self) -> bool {
        self.shared.flag.load(Ordering::Acquire)
    }

    /// Stores the isolate task's waker for step 2.
    pub fn set_waker(&self, w: &Waker) {
        let mut g = self.shared.waker.lock().unwrap_or_else(|e| e.into_inner());
        if !g.as_ref().is_some_and(|o| o.will_wake(w)) {
            *g = Some(w.clone());
        }
    }

    /// Step 3: polls the woken ops; returns the finished ones, each with
    /// its salvage for when its task no longer waits.
    pub fn poll_ready(&mut self) -> Vec<(Ref, u64, Done, Option<Salvage>)> {
        self.shared.flag.store(false, Ordering::Release);
        let slots =
            std::mem::take(&mut *self.shared.ready.lock().unwrap_or_else(|e| e.into_inner()));
        let mut out = Vec::new();
        for i in slots {
            let Some(op) = self.slots.get_mut(i).and_then(|s| s.as_mut()) else {
                continue;
            };
            let mut cx = Context::from_waker(&op.waker);
            if let Poll::Ready(done) = op.fut.as_mut().poll(&mut cx) {
                let op = self.slots[i].take().expect("op");
                self.free.push(i);
                self.live -= 1;
                out.push((op.task, op.seq, done, op.salvage));
            }
        }
        out
    }

    /// Step 4: drops ops whose wait is over; returns their salvage
    /// closures for the caller to run on the isolate.
    #[must_use]
    pub fn sweep(&mut self, still_waiting: impl Fn(Ref, u64) -> bool) -> Vec<Salvage> {
        self.dirty = false;
        let mut left = Vec::new();
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.as_ref().is_some_and(|op| !still_waiting(op.task, op.seq)) {
                // Drop the future first: a read stops adding bytes.
                let op = s.take().expect("checked");
                drop(op.fut);
                left.extend(op.salvage);
                self.free.push(i);
                self.live -= 1;
            }
        }
        left
    }

    /// The tasks ops are waiting for (GC roots).
    pub fn tasks(&self) -> impl Iterator<Item = Ref> + '_ {
        self.slots.iter().flatten().map(|op| op.task)
    }
}
