//! Runtime statistics: per-worker counters written by their worker (and,
//! for unparks, by whoever rings its doorbell), readable from Rust at any
//! time; plus process-wide gauges of live ops and pending timers that tests
//! use to prove cancellation leaks nothing.
//!
//! These counters take part in no protocol, so they are plain std atomics
//! with Relaxed ordering (and std statics: loom's atomics cannot be static).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::driver::{IoDriver, RingFlags};

/// Ops whose buffers are still owned by the runtime (in flight or parked
/// after a cancel), across all runtimes of the process.
pub(crate) static LIVE_OPS: AtomicUsize = AtomicUsize::new(0);
/// Pending timer entries across all runtimes of the process.
pub(crate) static LIVE_TIMERS: AtomicUsize = AtomicUsize::new(0);

/// Number of I/O operations whose buffers the runtime still holds.
pub fn live_ops() -> usize {
    LIVE_OPS.load(Ordering::Relaxed)
}

/// Number of pending timers.
pub fn live_timers() -> usize {
    LIVE_TIMERS.load(Ordering::Relaxed)
}

#[derive(Default)]
pub(crate) struct WorkerCounters {
    pub(crate) polled: AtomicU64,
    pub(crate) steal_attempts: AtomicU64,
    pub(crate) steal_successes: AtomicU64,
    pub(crate) stolen_tasks: AtomicU64,
    pub(crate) injector_pulls: AtomicU64,
    pub(crate) parks: AtomicU64,
    pub(crate) unparks: AtomicU64,
    pub(crate) msg_ring_doorbells: AtomicU64,
    pub(crate) ops_submitted: AtomicU64,
    pub(crate) ops_completed: AtomicU64,
    pub(crate) ring_closes: AtomicU64,
    pub(crate) driver: OnceLock<DriverInfo>,
}

/// What a worker's driver setup produced (recorded once, at start).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DriverInfo {
    pub(crate) kind: IoDriver,
    pub(crate) ring_flags: Option<RingFlags>,
    /// errno of the io_uring setup that failed, when the worker fell back.
    pub(crate) uring_setup_errno: Option<i32>,
}

/// Adds one to a counter only its worker writes.
pub(crate) fn bump(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// A snapshot of one worker's counters.
#[derive(Debug, Clone)]
pub struct WorkerStats {
    /// Task polls run.
    pub polled: u64,
    /// Times this worker looked at another worker's queue.
    pub steal_attempts: u64,
    /// Steals that brought back at least one task.
    pub steal_successes: u64,
    /// Tasks moved here by those steals.
    pub stolen_tasks: u64,
    /// Tasks taken from the global injector.
    pub injector_pulls: u64,
    /// Times the worker parked in its driver.
    pub parks: u64,
    /// Doorbells rung for this worker by others.
    pub unparks: u64,
    /// Of those, the ones delivered by another worker's ring through
    /// IORING_OP_MSG_RING (the rest went through the worker's eventfd).
    pub msg_ring_doorbells: u64,
    /// I/O ops started: SQEs submitted to the ring under io_uring; under
    /// epoll, ops whose first syscall attempt ran on this worker.
    pub ops_submitted: u64,
    /// I/O ops finished: final CQEs reaped under io_uring (a cancelled op
    /// counts when its last CQE arrives); under epoll, ops that returned a
    /// result or were dropped while waiting for readiness on this worker.
    pub ops_completed: u64,
    /// Descriptors closed through the ring (IORING_OP_CLOSE) rather than
    /// by a close syscall.
    pub ring_closes: u64,
    /// The driver this worker runs.
    pub driver: Option<IoDriver>,
    /// io_uring setup flags that took (None under epoll).
    pub ring_flags: Option<RingFlags>,
    /// The errno with which io_uring setup failed when it was asked for and
    /// this worker fell back to epoll (EPERM under a seccomp filter such as
    /// Docker's default, ENOSYS, ENOMEM); None when no fallback happened.
    pub uring_setup_errno: Option<i32>,
}

impl WorkerCounters {
    pub(crate) fn snapshot(&self) -> WorkerStats {
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let d = self.driver.get();
        WorkerStats {
            polled: l(&self.polled),
            steal_attempts: l(&self.steal_attempts),
            steal_successes: l(&self.steal_successes),
            stolen_tasks: l(&self.stolen_tasks),
            injector_pulls: l(&self.injector_pulls),
            parks: l(&self.parks),
            unparks: l(&self.unparks),
            msg_ring_doorbells: l(&self.msg_ring_doorbells),
            ops_submitted: l(&self.ops_submitted),
            ops_completed: l(&self.ops_completed),
            ring_closes: l(&self.ring_closes),
            driver: d.map(|d| d.kind),
            ring_flags: d.and_then(|d| d.ring_flags),
            uring_setup_errno: d.and_then(|d| d.uring_setup_errno),
        }
    }
}

/// A snapshot of a runtime's counters.
#[derive(Debug, Clone)]
pub struct RuntimeStats {
    /// One entry per worker, by index.
    pub workers: Vec<WorkerStats>,
    /// Tasks alive (spawned and not complete).
    pub live_tasks: usize,
}

impl RuntimeStats {
    /// Sum of `f` over all workers.
    pub fn total(&self, f: impl Fn(&WorkerStats) -> u64) -> u64 {
        self.workers.iter().map(f).sum()
    }

    /// The driver the workers run.
    pub fn driver(&self) -> Option<IoDriver> {
        self.workers.first().and_then(|w| w.driver)
    }
}
