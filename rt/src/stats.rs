//! Runtime statistics: per-worker counters written by their worker (and,
//! for unparks, by whoever rings its doorbell), readable from Rust at any
//! time; plus process-wide gauges of live ops and pending timers that tests
//! use to prove cancellation leaks nothing.
//!
//! These counters take part in no protocol, so they are plain std atomics
//! with Relaxed ordering (and std statics: loom's atomics cannot be static).
//! The gauges change on every op and timer of every worker, so each is
//! split into per-thread shards on their own cache lines (`Gauge`): one
//! shared counter would bounce its line between the cores on every op.

use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crossbeam_utils::CachePadded;

use crate::driver::{IoDriver, RingFlags};

/// Shards of a `Gauge`; threads beyond this share shards (still exact).
const GAUGE_SHARDS: usize = 16;

/// A process-wide count that many threads move: each thread adds to its
/// own shard, and a read sums them. Exact once the threads that moved it
/// are quiet (a shard may go negative when a value leaves on a thread
/// other than the one it came in on; only the sum means anything).
pub(crate) struct Gauge {
    shards: [CachePadded<AtomicIsize>; GAUGE_SHARDS],
}

impl Gauge {
    const fn new() -> Gauge {
        Gauge {
            shards: [const { CachePadded::new(AtomicIsize::new(0)) }; GAUGE_SHARDS],
        }
    }

    fn shard(&self) -> &AtomicIsize {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
        }
        let i = SHARD.with(|s| {
            if s.get() == usize::MAX {
                s.set(NEXT.fetch_add(1, Ordering::Relaxed) % GAUGE_SHARDS);
            }
            s.get()
        });
        &self.shards[i]
    }

    pub(crate) fn add(&self, n: usize) {
        self.shard().fetch_add(n as isize, Ordering::Relaxed);
    }

    pub(crate) fn sub(&self, n: usize) {
        self.shard().fetch_sub(n as isize, Ordering::Relaxed);
    }

    fn get(&self) -> usize {
        let sum: isize = self.shards.iter().map(|s| s.load(Ordering::Relaxed)).sum();
        sum.max(0) as usize
    }
}

/// Ops whose buffers are still owned by the runtime (in flight or parked
/// after a cancel), across all runtimes of the process.
pub(crate) static LIVE_OPS: Gauge = Gauge::new();
/// Pending timer entries across all runtimes of the process.
pub(crate) static LIVE_TIMERS: Gauge = Gauge::new();

/// Number of I/O operations whose buffers the runtime still holds.
pub fn live_ops() -> usize {
    LIVE_OPS.get()
}

/// Number of pending timers.
pub fn live_timers() -> usize {
    LIVE_TIMERS.get()
}

#[derive(Default)]
pub(crate) struct WorkerCounters {
    pub(crate) polled: AtomicU64,
    pub(crate) steal_attempts: AtomicU64,
    pub(crate) steal_successes: AtomicU64,
    pub(crate) stolen_tasks: AtomicU64,
    pub(crate) injector_pulls: AtomicU64,
    pub(crate) parks: AtomicU64,
    /// The one counter other threads write: on its own cache line, away
    /// from the ones the worker bumps on every poll.
    pub(crate) unparks: CachePadded<AtomicU64>,
    pub(crate) msg_ring_doorbells: AtomicU64,
    pub(crate) ops_submitted: AtomicU64,
    pub(crate) ops_completed: AtomicU64,
    pub(crate) ring_closes: AtomicU64,
    pub(crate) ops_offloaded: AtomicU64,
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
    /// Socket sends this worker handed to its ring's io-wq thread
    /// (IOSQE_ASYNC) so their kernel work ran on a sleeping worker's core:
    /// done when the ring is busy, no other task is queued here and another
    /// worker sleeps (see `OpKind::offload`).
    pub ops_offloaded: u64,
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
            ops_offloaded: l(&self.ops_offloaded),
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

#[cfg(test)]
mod gauge_tests {
    use super::Gauge;

    #[test]
    fn a_gauge_sums_its_shards_even_when_values_leave_on_other_threads() {
        static G: Gauge = Gauge::new();
        let threads: Vec<_> = (0..20)
            .map(|_| std::thread::spawn(|| (0..1000).for_each(|_| G.add(2))))
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(G.get(), 40_000);
        // Taken away on threads that never added: their shards go negative.
        let threads: Vec<_> = (0..7)
            .map(|_| std::thread::spawn(|| (0..1000).for_each(|_| G.sub(5))))
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(G.get(), 5_000);
        G.sub(5_000);
        assert_eq!(G.get(), 0);
    }
}
