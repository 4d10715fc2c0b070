//! State shared by all workers of one runtime: the global injector, every
//! worker's stealer and doorbell, the idle bookkeeping, the owned-task list
//! and the shutdown flag. Also the scheduling entry points used by wakers,
//! spawn and cancelled ops.
//!
//! Scheduling rule: a task woken on one of this runtime's workers goes to
//! that worker (LIFO slot); woken anywhere else it goes to the injector and
//! a sleeping worker is notified (idle protocol step 1). Doorbells are
//! MSG_RING from a worker's own ring when it can, else an eventfd write.

use std::future::Future;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use super::context;
use super::idle::Idle;
use crate::blocking::BlockingPool;
use crate::driver::op::OpShared;
use crate::driver::{IoDriver, RingFlags};
use crate::stats::WorkerCounters;
use crate::task::join::JoinHandle;
use crate::task::owned::OwnedTasks;
use crate::task::raw::{new_task, Task};

/// What other threads may do to one worker: ring it, hand it cancels.
///
/// Every op holds an `Arc<Remote>` to its worker, so the worker moves this
/// Arc's count on every op. The fields other threads touch are padded to
/// their own cache lines (which also gives the count a line of its own),
/// so a doorbell or a remote cancel does not bounce the line the owning
/// worker writes.
pub(crate) struct Remote {
    pub(crate) eventfd: OwnedFd,
    /// The worker's ring fd for MSG_RING, or -1 (epoll, or ring closed).
    pub(crate) ring_fd: CachePadded<AtomicI32>,
    /// Ops dropped on other threads, to cancel on this worker's ring.
    pub(crate) cancels: CachePadded<Mutex<Vec<Arc<OpShared>>>>,
    pub(crate) counters: WorkerCounters,
}

/// One runtime's shared scheduler state.
pub(crate) struct Shared {
    pub(crate) injector: Injector<Task>,
    pub(crate) stealers: Vec<Stealer<Task>>,
    pub(crate) remotes: Vec<Arc<Remote>>,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(crate) shutdown: AtomicBool,
    pub(crate) barrier: Barrier,
    pub(crate) blocking: BlockingPool,
    pub(crate) io: IoDriver,
    /// Ring features the workers treat as missing (test hook, see
    /// `Builder::unsupported_ring_features`).
    pub(crate) unsupported_ring_features: RingFlags,
    next_id: AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        stealers: Vec<Stealer<Task>>,
        remotes: Vec<Arc<Remote>>,
        io: IoDriver,
        unsupported_ring_features: RingFlags,
        max_blocking: usize,
    ) -> Self {
        let n = stealers.len();
        Shared {
            injector: Injector::new(),
            stealers,
            remotes,
            idle: Idle::new(n),
            owned: OwnedTasks::new(),
            shutdown: AtomicBool::new(false),
            barrier: Barrier::new(n),
            blocking: BlockingPool::new(max_blocking),
            io,
            unsupported_ring_features,
            next_id: AtomicU64::new(1),
        }
    }

    pub(crate) fn workers(&self) -> usize {
        self.remotes.len()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    fn is_current(this: &Arc<Shared>, w: &context::WorkerCtx) -> bool {
        Arc::ptr_eq(this, &w.shared)
    }

    /// Spawns `fut` from any thread.
    pub(crate) fn spawn<F>(this: &Arc<Shared>, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Relaxed: ids only need to be unique.
        let id = this.next_id.fetch_add(1, Ordering::Relaxed);
        let (task, owned_ref, slot) = new_task(fut, this.clone(), id);
        match this.owned.insert(owned_ref) {
            Ok(()) => Shared::schedule_spawned(this, task),
            Err(owned_ref) => {
                // Closed: the runtime is shutting down; cancel at once.
                drop(task);
                owned_ref.shutdown();
            }
        }
        JoinHandle::new(slot)
    }

    /// Queues a notified task (wakes, spawns, aborts).
    pub(crate) fn schedule(this: &Arc<Shared>, task: Task) {
        if this.is_shutdown() {
            // Shutdown cancels every listed task; a queue entry now would
            // never run.
            return;
        }
        let local = context::with_worker(|w| match w {
            Some(w) if Shared::is_current(this, w) => {
                w.schedule_lifo(task);
                None
            }
            _ => Some(task),
        });
        if let Some(task) = local {
            this.injector.push(task);
            this.notify_parked();
        }
    }

    /// A new task: the local queue when spawned on a worker (never the
    /// LIFO slot, so a spawner that keeps running cannot hide it from
    /// thieves), else the injector.
    fn schedule_spawned(this: &Arc<Shared>, task: Task) {
        Shared::yield_task(this, task)
    }

    /// A task woken while it ran: back of the local queue (it yielded).
    pub(crate) fn yield_task(this: &Arc<Shared>, task: Task) {
        if this.is_shutdown() {
            return;
        }
        let rest = context::with_worker(|w| match w {
            Some(w) if Shared::is_current(this, w) => {
                w.push_local(task);
                None
            }
            _ => Some(task),
        });
        if let Some(task) = rest {
            this.injector.push(task);
            this.notify_parked();
        }
    }

    /// Idle protocol step 1: wake a sleeping worker if nobody searches.
    pub(crate) fn notify_parked(&self) {
        if let Some(idx) = self.idle.worker_to_notify() {
            ring_doorbell(&self.remotes[idx]);
        }
    }

    /// True when some queue other than LIFO slots holds work.
    pub(crate) fn has_visible_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }
}

/// Wakes the worker behind `remote` (a token: never lost if it is awake).
pub(crate) fn ring_doorbell(remote: &Remote) {
    remote.counters.unparks.fetch_add(1, Ordering::Relaxed);
    let target = remote.ring_fd.load(Ordering::Acquire);
    let sent = target >= 0
        && context::with_worker(|w| match w {
            Some(w) => match w.driver.try_borrow_mut() {
                Ok(mut d) => d.msg_ring(target),
                Err(_) => false,
            },
            None => false,
        });
    if sent {
        remote
            .counters
            .msg_ring_doorbells
            .fetch_add(1, Ordering::Relaxed);
    } else {
        crate::io::sys::eventfd_ring(remote.eventfd.as_raw_fd());
    }
}

/// Op protocol step 4: cancel `op` on the ring that holds it.
pub(crate) fn request_cancel(op: &Arc<OpShared>) {
    let done_here = context::with_worker(|w| match w {
        Some(w) if Arc::ptr_eq(&w.remote, &op.owner) => match w.driver.try_borrow_mut() {
            Ok(mut d) => {
                d.cancel(Arc::as_ptr(op) as u64);
                true
            }
            Err(_) => false,
        },
        _ => false,
    });
    if !done_here && op.owner.ring_fd.load(Ordering::Acquire) >= 0 {
        op.owner.cancels.lock().push(op.clone());
        ring_doorbell(&op.owner);
    }
}
