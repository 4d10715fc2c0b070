//! The worker loop: one OS thread per worker, running tasks from its LIFO
//! slot, local queue, the global injector and other workers' queues, and
//! sleeping only inside its own driver.
//!
//! Loop, step by step:
//! 1. Every `GLOBAL_QUEUE_INTERVAL` (61) ticks: reap I/O and timers without
//!    blocking, then try the injector first (fairness for outside spawns).
//! 2. LIFO slot (at most `MAX_LIFO_POLLS` in a row; then it is pushed to the
//!    local queue so the queue and thieves get a turn) -> local queue ->
//!    a batch from the injector.
//! 3. Out of local work: reap I/O and timers without blocking; if that woke
//!    tasks, go to 2.
//! 4. Search: if fewer than half the workers search, steal half of a random
//!    victim's queue (then the injector). A searcher that finds work leaves
//!    searching and, if it was the last, notifies another (idle step 3).
//! 5. Park (idle step 4): join the sleepers, re-scan the queues, then
//!    wait in the driver with the next timer as timeout. On return: idle
//!    step 5, then fire timers and wake I/O tasks onto the local queue.
//!
//! Shutdown (three phases separated by a barrier across all workers):
//! drop queued handles; cancel this worker's shards of the owned-task list
//! (dropping futures, whose ops queue cancels on their owning rings); cancel
//! and drain everything left in the ring, clear timers, close the ring.

use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use crossbeam_deque::{Steal, Worker};

use super::context::{self, WorkerCtx};
use super::shared::Shared;
use crate::driver::timer::TimerStore;
use crate::driver::{Driver, IoDriver};
use crate::loom::{GLOBAL_QUEUE_INTERVAL, MAX_LIFO_POLLS};
use crate::stats::{bump, DriverInfo};
use crate::task::raw::Task;

struct Looper {
    cx: Rc<WorkerCtx>,
    tick: u32,
    lifo_polls: u32,
    searching: bool,
    rng: u64,
    wakers: Vec<Waker>,
}

/// Body of worker thread `index`. Reports driver setup on `ready`.
pub(crate) fn run(
    shared: Arc<Shared>,
    index: usize,
    local: Worker<Task>,
    io: IoDriver,
    ready: mpsc::Sender<()>,
) {
    let remote = shared.remotes[index].clone();
    let (driver, uring_error) = Driver::new(
        io,
        remote.eventfd.as_raw_fd(),
        shared.unsupported_ring_features,
        shared.remotes.len(),
    )
    .expect("spindle worker: cannot set up any I/O driver");
    let _ = remote.counters.driver.set(DriverInfo {
        kind: driver.kind(),
        ring_flags: driver.ring_flags(),
        uring_setup_errno: uring_error.and_then(|e| e.raw_os_error()),
    });
    remote
        .ring_fd
        .store(driver.ring_fd().unwrap_or(-1), Ordering::Release);
    let cx = Rc::new(WorkerCtx {
        shared,
        index,
        remote,
        local,
        lifo: std::cell::Cell::new(None),
        driver: std::cell::RefCell::new(driver),
        timers: Arc::new(TimerStore::default()),
    });
    context::set(Some(cx.clone()));
    let _ = ready.send(());
    let mut looper = Looper {
        cx,
        tick: 0,
        lifo_polls: 0,
        searching: false,
        rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1),
        wakers: Vec::new(),
    };
    looper.run();
    looper.shutdown();
    drop(looper);
    context::set(None);
}

impl Looper {
    fn shared(&self) -> &Shared {
        &self.cx.shared
    }

    fn run(&mut self) {
        while !self.shared().is_shutdown() {
            self.tick = self.tick.wrapping_add(1);
            let global_turn = self.tick >= GLOBAL_QUEUE_INTERVAL;
            if global_turn {
                self.tick = 0;
                self.maintenance();
            }
            if let Some(t) = self.next_task(global_turn) {
                self.run_task(t);
                continue;
            }
            // Out of local work. Reap now only if something is known to be
            // ready; queued submissions alone go out with the park's own
            // enter (one syscall for submit + wait).
            let io_ready = self.cx.driver.borrow_mut().has_ready();
            let timer_due = self
                .cx
                .timers
                .next_deadline()
                .is_some_and(|d| d <= Instant::now());
            if (io_ready || timer_due || !self.cx.remote.cancels.lock().is_empty())
                && self.maintenance() > 0
            {
                continue;
            }
            if let Some(t) = self.steal() {
                self.run_task(t);
                continue;
            }
            self.park();
        }
    }

    fn run_task(&mut self, task: Task) {
        if self.searching {
            self.searching = false;
            if self.shared().idle.transition_worker_from_searching() {
                self.shared().notify_parked();
            }
        }
        bump(&self.cx.remote.counters.polled);
        task.run();
    }

    fn next_task(&mut self, global_turn: bool) -> Option<Task> {
        let cx = &self.cx;
        if global_turn {
            if let Some(t) = self.pull_injector() {
                return Some(t);
            }
        }
        if let Some(t) = cx.lifo.take() {
            if self.lifo_polls < MAX_LIFO_POLLS {
                self.lifo_polls += 1;
                return Some(t);
            }
            cx.local.push(t);
        }
        self.lifo_polls = 0;
        if let Some(t) = cx.local.pop() {
            return Some(t);
        }
        self.pull_injector()
    }

    fn pull_injector(&self) -> Option<Task> {
        loop {
            match self.shared().injector.steal_batch_and_pop(&self.cx.local) {
                Steal::Success(t) => {
                    bump(&self.cx.remote.counters.injector_pulls);
                    return Some(t);
                }
                Steal::Retry => continue,
                Steal::Empty => return None,
            }
        }
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: victim choice only needs to be spread out.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn steal(&mut self) -> Option<Task> {
        let n = self.shared().workers();
        if !self.searching {
            if n == 1 || !self.shared().idle.transition_worker_to_searching() {
                return self.pull_injector();
            }
            self.searching = true;
        }
        let start = (self.next_rand() % n as u64) as usize;
        let counters = &self.cx.remote.counters;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.cx.index {
                continue;
            }
            bump(&counters.steal_attempts);
            loop {
                match self.shared().stealers[victim].steal_batch_and_pop(&self.cx.local) {
                    Steal::Success(t) => {
                        bump(&counters.steal_successes);
                        let moved = self.cx.local.len() as u64 + 1;
                        counters.stolen_tasks.store(
                            counters.stolen_tasks.load(Ordering::Relaxed) + moved,
                            Ordering::Relaxed,
                        );
                        return Some(t);
                    }
                    Steal::Retry => continue,
                    Steal::Empty => break,
                }
            }
        }
        self.pull_injector()
    }

    /// Remote cancels, non-blocking reap, timers. Returns tasks woken.
    fn maintenance(&mut self) -> usize {
        self.take_remote_cancels();
        let mut wakers = std::mem::take(&mut self.wakers);
        self.cx.driver.borrow_mut().poll(&mut wakers);
        self.cx.timers.fire_expired(Instant::now(), &mut wakers);
        self.wake_all(wakers)
    }

    /// Copies the ring's op counters into the readable stats (epoll-path
    /// ops are counted there directly by `Op`). Done after every reap and
    /// before every park, so a sleeping worker's counts are not stale.
    fn publish_op_counts(&self) {
        let Some((sub, done)) = self.cx.driver.borrow().op_counts() else {
            return;
        };
        let c = &self.cx.remote.counters;
        c.ops_submitted.store(sub, Ordering::Relaxed);
        c.ops_completed.store(done, Ordering::Relaxed);
    }

    fn wake_all(&mut self, mut wakers: Vec<Waker>) -> usize {
        self.publish_op_counts();
        let n = wakers.len();
        for w in wakers.drain(..) {
            w.wake();
        }
        self.wakers = wakers;
        n
    }

    fn take_remote_cancels(&self) {
        let cancels = std::mem::take(&mut *self.cx.remote.cancels.lock());
        if cancels.is_empty() {
            return;
        }
        let mut d = self.cx.driver.borrow_mut();
        for op in &cancels {
            // Cancel only while the ring still holds the op, so the address
            // cannot belong to a newer op (see op protocol step 4).
            if !op.inner.lock().done {
                d.cancel(Arc::as_ptr(op) as u64);
            }
        }
    }

    fn park(&mut self) {
        let idx = self.cx.index;
        // Idle step 4: every parker re-scans, searcher or not (see `idle`).
        self.shared()
            .idle
            .transition_worker_to_parked(idx, self.searching);
        self.searching = false;
        if self.shared().has_visible_work() {
            self.shared().notify_parked();
        }
        self.take_remote_cancels();
        let timeout = self
            .cx
            .timers
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        bump(&self.cx.remote.counters.parks);
        self.publish_op_counts();
        let mut wakers = std::mem::take(&mut self.wakers);
        if !self.shared().is_shutdown() {
            self.cx.driver.borrow_mut().park(timeout, &mut wakers);
        }
        self.searching = self.shared().idle.unpark_self(idx);
        self.take_remote_cancels();
        self.cx.timers.fire_expired(Instant::now(), &mut wakers);
        self.wake_all(wakers);
    }

    fn shutdown(&mut self) {
        let shared = self.cx.shared.clone();
        if self.searching {
            shared.idle.transition_worker_from_searching();
            self.searching = false;
        }
        // Phase 1: drop queued handles (the owned list still holds the tasks).
        drop(self.cx.lifo.take());
        while self.cx.local.pop().is_some() {}
        shared.barrier.wait();
        // Phase 2: cancel this worker's share of the owned tasks.
        let n = shared.workers();
        for shard in (self.cx.index..shared.owned.shard_count()).step_by(n) {
            for task in shared.owned.drain_shard(shard) {
                task.shutdown();
            }
        }
        if self.cx.index == 0 {
            loop {
                match shared.injector.steal() {
                    Steal::Success(t) => drop(t),
                    Steal::Retry => continue,
                    Steal::Empty => break,
                }
            }
        }
        shared.barrier.wait();
        // Phase 3: drain the ring, drop timers; the ring closes with `cx`.
        self.take_remote_cancels();
        self.cx.remote.cancels.lock().clear();
        let mut wakers = Vec::new();
        self.cx.driver.borrow_mut().drain(&mut wakers);
        drop(wakers);
        self.cx.timers.clear();
        self.cx.remote.ring_fd.store(-1, Ordering::Release);
        shared.barrier.wait();
    }
}
