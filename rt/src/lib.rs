//! spindle-rt: the runtime. Placeholder until the workers land: `block_on`
//! runs its future on a dedicated worker thread so callers already see the
//! final shape of the API (`Runtime::builder()...build()?.block_on(fut)`).

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Configures and builds a [`Runtime`].
#[derive(Debug, Clone, Default)]
pub struct Builder {
    workers: Option<usize>,
}

impl Builder {
    /// Number of worker threads (default: available parallelism).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n.max(1));
        self
    }

    /// Builds the runtime.
    pub fn build(self) -> io::Result<Runtime> {
        let workers = self
            .workers
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
        Ok(Runtime { workers })
    }
}

/// A running Spindle runtime.
#[derive(Debug)]
pub struct Runtime {
    workers: usize,
}

impl Runtime {
    /// A builder with default settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `fut` to completion on a worker thread and returns its output.
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        thread::Builder::new()
            .name("spindle-worker-0".into())
            .spawn(move || run_to_completion(fut))
            .expect("spawn worker thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn run_to_completion<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
