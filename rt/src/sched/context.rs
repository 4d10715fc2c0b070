//! The current worker: thread-local access to the state a worker thread owns
//! (its local queue, LIFO slot, driver and timers), so spawn, wakes, ops and
//! timers issued by a task reach the worker that runs it.
//!
//! Invariant: the slot is set for exactly the lifetime of a worker's loop
//! and shutdown; the driver is borrowed only briefly and never across a
//! call into task code (wakers are collected, then woken after release).

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use crossbeam_deque::Worker;
use io_uring::squeue;

use super::shared::{Remote, Shared};
use crate::driver::op::{Interest, OpShared};
use crate::driver::timer::TimerStore;
use crate::driver::{Driver, RingFlags};
use crate::task::raw::Task;

/// What one worker thread owns.
pub(crate) struct WorkerCtx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) index: usize,
    pub(crate) remote: Arc<Remote>,
    pub(crate) local: Worker<Task>,
    pub(crate) lifo: Cell<Option<Task>>,
    pub(crate) driver: RefCell<Driver>,
    pub(crate) timers: Arc<TimerStore>,
}

/// How an op starts on a ring (`WorkerCtx::ring_path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RingPath {
    /// A direct non-blocking syscall first.
    TryFirst,
    /// An SQE in this turn's batch.
    Submit,
    /// An SQE with IOSQE_ASYNC: run by the ring's io-wq thread.
    Offload,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<WorkerCtx>>> = const { RefCell::new(None) };
}

pub(crate) fn set(cx: Option<Rc<WorkerCtx>>) {
    CURRENT.with(|c| *c.borrow_mut() = cx);
}

/// Runs `f` with the current worker, if this thread is one.
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerCtx>) -> R) -> R {
    CURRENT.with(|c| f(c.borrow().as_deref()))
}

impl WorkerCtx {
    pub(crate) fn driver_is_uring(&self) -> bool {
        matches!(*self.driver.borrow(), Driver::Uring(_))
    }

    /// The ring features of this worker's driver (None under epoll).
    pub(crate) fn ring_flags(&self) -> Option<RingFlags> {
        self.driver.borrow().ring_flags()
    }

    pub(crate) fn submit(&self, entry: squeue::Entry, shared: &Arc<OpShared>) {
        self.driver.borrow_mut().submit_op(entry, shared);
    }

    pub(crate) fn register_readiness(&self, fd: RawFd, interest: Interest, waker: &Waker) {
        self.driver.borrow_mut().register(fd, interest, waker);
    }

    /// How an op starts on this worker's ring, given whether it may try a
    /// direct syscall first and whether its kernel work may be offloaded
    /// (`OpKind::try_first`, `OpKind::offload`):
    /// - `Offload` when nothing else is queued here (so a sleeping worker
    ///   has no task to steal), the ring may offload (`Uring::may_offload`:
    ///   its last reap brought back a batch, and the kernel offloads safely)
    ///   and some worker sleeps: the op goes to the ring's io-wq threads,
    ///   and its kernel work runs on an idle core instead of in this thread. A lone busy task (an isolate serving many
    ///   sockets) cannot be spread over the cores; its sends can.
    /// - `TryFirst` when nothing else is queued: a direct syscall saves a
    ///   ring round trip; only `WouldBlock` then goes to the ring.
    /// - `Submit` otherwise: batched with this turn's other SQEs.
    pub(crate) fn ring_path(&self, try_first: bool, offload: bool) -> RingPath {
        let nothing_queued = self.has_no_queued_work();
        if offload
            && nothing_queued
            && self.driver.borrow().may_offload()
            && self.shared.idle.num_unparked() < self.shared.remotes.len()
        {
            RingPath::Offload
        } else if try_first && nothing_queued {
            RingPath::TryFirst
        } else {
            RingPath::Submit
        }
    }

    /// True when neither the LIFO slot nor the local queue holds a task.
    pub(crate) fn has_no_queued_work(&self) -> bool {
        let lifo = self.lifo.take();
        let empty = lifo.is_none();
        self.lifo.set(lifo);
        empty && self.local.is_empty()
    }

    /// Pushes `task` on the local queue and lets an idle worker know.
    pub(crate) fn push_local(&self, task: Task) {
        self.local.push(task);
        self.shared.notify_parked();
    }

    /// A wake on this worker: the task takes the LIFO slot; the one it
    /// displaces goes to the local queue where thieves can see it.
    pub(crate) fn schedule_lifo(&self, task: Task) {
        if let Some(prev) = self.lifo.replace(Some(task)) {
            self.push_local(prev);
        }
    }
}
