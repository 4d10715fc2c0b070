//! `Builder` and `Runtime`: starting the workers, entering the runtime from
//! outside (`block_on`, `spawn`), the free `spawn`/`spawn_blocking` used
//! inside it, and graceful shutdown.
//!
//! Shutdown, step by step: close the owned-task list (new spawns are
//! cancelled), raise the shutdown flag, ring every worker; workers leave
//! their loops and run the three shutdown phases (see `sched::worker`);
//! join them; drop whatever the injector still holds; cancel queued
//! blocking jobs. Afterwards no ring, eventfd or task future is left.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle as ThreadHandle, Thread};

use crossbeam_deque::Worker;
use crossbeam_utils::CachePadded;

use crate::blocking::BlockingFn;
use crate::driver::{IoDriver, RingFlags};
use crate::sched::context;
use crate::sched::shared::{ring_doorbell, Remote, Shared};
use crate::stats::{RuntimeStats, WorkerCounters};
use crate::task::join::JoinHandle;
use crate::task::raw::new_task;

/// Configures and builds a [`Runtime`].
#[derive(Debug, Clone, Default)]
pub struct Builder {
    workers: Option<usize>,
    thread_name: Option<String>,
    io: Option<IoDriver>,
    max_blocking: Option<usize>,
    unsupported_ring_features: RingFlags,
}

impl Builder {
    /// Number of worker threads (default: `SPINDLE_WORKERS`, else available parallelism).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n.max(1));
        self
    }

    /// Prefix of worker thread names (default "spindle-worker").
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// I/O driver (default: `SPINDLE_IO`, else io_uring with epoll fallback).
    pub fn io(mut self, io: IoDriver) -> Self {
        self.io = Some(io);
        self
    }

    /// Upper bound on blocking-pool threads (default 64).
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        self.max_blocking = Some(n.max(1));
        self
    }

    /// Treats the io_uring features set in `mask` as missing from the
    /// kernel, whatever the probe says: a way to exercise the fallback paths
    /// on a kernel that has them (e.g. `waitid: true` makes `Child::wait`
    /// poll the pidfd through the ring, as on kernels before 6.7). The
    /// flags that took are still reported in `WorkerStats::ring_flags`.
    pub fn unsupported_ring_features(mut self, mask: RingFlags) -> Self {
        self.unsupported_ring_features = mask;
        self
    }

    /// Starts the workers.
    pub fn build(self) -> io::Result<Runtime> {
        let n = self
            .workers
            .or_else(|| std::env::var("SPINDLE_WORKERS").ok()?.parse().ok())
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let io = self
            .io
            .or_else(IoDriver::from_env)
            .unwrap_or(IoDriver::Uring);
        let name = self.thread_name.unwrap_or_else(|| "spindle-worker".into());
        let locals: Vec<Worker<Task>> = (0..n).map(|_| Worker::new_fifo()).collect();
        let stealers = locals.iter().map(Worker::stealer).collect();
        let mut remotes = Vec::with_capacity(n);
        for _ in 0..n {
            let eventfd = crate::io::sys::eventfd()?;
            remotes.push(Arc::new(Remote {
                eventfd,
                ring_fd: CachePadded::new(AtomicI32::new(-1)),
                cancels: Default::default(),
                counters: WorkerCounters::default(),
            }));
        }
        let shared = Arc::new(Shared::new(
            stealers,
            remotes,
            io,
            self.unsupported_ring_features,
            self.max_blocking.unwrap_or(64),
        ));
        let (tx, rx) = mpsc::channel();
        let mut threads = Vec::with_capacity(n);
        for (index, local) in locals.into_iter().enumerate() {
            let (shared, tx) = (shared.clone(), tx.clone());
            let t = thread::Builder::new()
                .name(format!("{name}-{index}"))
                .stack_size(8 << 20)
                .spawn(move || crate::sched::worker::run(shared, index, local, io, tx))?;
            threads.push(t);
        }
        drop(tx);
        for _ in 0..n {
            rx.recv()
                .map_err(|_| io::Error::other("a spindle worker failed to start"))?;
        }
        Ok(Runtime { shared, threads })
    }
}

use crate::task::raw::Task;

/// A running Spindle runtime: worker threads, their rings, and the tasks on them.
pub struct Runtime {
    shared: Arc<Shared>,
    threads: Vec<ThreadHandle<()>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .field("io", &self.io_driver())
            .finish()
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl Runtime {
    /// A builder with default settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A runtime with default settings.
    pub fn new() -> io::Result<Runtime> {
        Builder::default().build()
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.shared.workers()
    }

    /// The driver the workers run (after fallback).
    pub fn io_driver(&self) -> IoDriver {
        self.stats().driver().unwrap_or(self.shared.io)
    }

    /// Spawns `fut` onto the runtime.
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, fut)
    }

    /// Runs `f` on the blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_on(&self.shared, f)
    }

    /// Runs `fut` to completion on the runtime, blocking this thread.
    /// A panic in `fut` is resumed here.
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        assert!(
            context::with_worker(|w| w.is_none()),
            "block_on called from inside a spindle worker (use .await)"
        );
        let mut handle = self.spawn(fut);
        let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = std::pin::Pin::new(&mut handle).poll(&mut cx) {
                return match out {
                    Ok(v) => v,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(e) => panic!("block_on: {e}"),
                };
            }
            thread::park();
        }
    }

    /// A snapshot of every worker's counters.
    pub fn stats(&self) -> RuntimeStats {
        stats_of(&self.shared)
    }

    /// A cloneable handle for spawning from any thread.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// Stops the runtime: cancels all tasks, joins the workers, closes the rings.
    pub fn shutdown(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.shared.owned.close();
        self.shared.shutdown.store(true, Ordering::Release);
        for r in &self.shared.remotes {
            ring_doorbell(r);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        loop {
            match self.shared.injector.steal() {
                crossbeam_deque::Steal::Success(t) => drop(t),
                crossbeam_deque::Steal::Retry => continue,
                crossbeam_deque::Steal::Empty => break,
            }
        }
        self.shared.blocking.shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// A cloneable, `Send` reference to a runtime for spawning from any thread
/// (blocking-pool jobs, foreign threads). After the runtime shuts down,
/// spawned tasks are cancelled at once.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the runtime whose worker runs the caller, if any.
    pub fn try_current() -> Option<Handle> {
        context::with_worker(|w| {
            w.map(|w| Handle {
                shared: w.shared.clone(),
            })
        })
    }

    /// Spawns `fut` onto the runtime.
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, fut)
    }

    /// Runs `f` on the runtime's blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_on(&self.shared, f)
    }

    /// A snapshot of every worker's counters.
    pub fn stats(&self) -> RuntimeStats {
        stats_of(&self.shared)
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.workers())
            .finish()
    }
}

fn stats_of(shared: &Shared) -> RuntimeStats {
    RuntimeStats {
        workers: shared
            .remotes
            .iter()
            .map(|r| r.counters.snapshot())
            .collect(),
        live_tasks: shared.owned.len(),
    }
}

fn current_shared() -> Arc<Shared> {
    context::with_worker(|w| w.map(|w| w.shared.clone()))
        .expect("must be called from a spindle runtime worker")
}

fn spawn_blocking_on<F, R>(shared: &Arc<Shared>, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (task, owned_ref, slot) = new_task(BlockingFn::new(f), shared.clone(), 0);
    drop(owned_ref);
    shared.blocking.push(task);
    JoinHandle::new(slot)
}

/// The index of the worker running the caller (`0..workers`), or `None`
/// off the worker threads. A task may run on another worker after its next
/// suspension, so this says where it runs now, not where it will.
pub fn worker_index() -> Option<usize> {
    context::with_worker(|w| w.map(|w| w.index))
}

/// Spawns `fut` on the runtime of the current worker. Panics outside one.
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Shared::spawn(&current_shared(), fut)
}

/// Runs `f` on the current runtime's blocking pool. Panics outside a worker.
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_blocking_on(&current_shared(), f)
}

/// The io driver of the worker running the caller (None off a worker).
/// Cheap: callers may ask per operation, e.g. to send file syscalls, which
/// the epoll driver would run inline, to the blocking pool instead.
pub fn current_driver() -> Option<IoDriver> {
    context::with_worker(|w| {
        w.map(|w| {
            if w.driver_is_uring() {
                IoDriver::Uring
            } else {
                IoDriver::Epoll
            }
        })
    })
}

/// Counters of the runtime the current worker belongs to.
pub fn current_stats() -> Option<RuntimeStats> {
    context::with_worker(|w| w.map(|w| stats_of(&w.shared)))
}
