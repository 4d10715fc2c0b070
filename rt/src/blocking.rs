//! The blocking pool: a bounded set of reused threads for work the rings
//! cannot do asynchronously (getaddrinfo, user CPU-heavy or blocking calls).
//!
//! A blocking job is an ordinary task (same cell, same `JoinHandle`) whose
//! future runs the closure in one poll; it is queued here instead of on a
//! worker. Threads are started on demand up to the bound and exit after
//! sitting idle for a while. Invariant: at shutdown, queued jobs are
//! cancelled (their handles see `JoinError::Cancelled`); running ones finish.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::task::raw::Task;

struct State {
    queue: VecDeque<Task>,
    threads: usize,
    idle: usize,
    shutdown: bool,
}

struct Inner {
    state: Mutex<State>,
    cv: Condvar,
    max: usize,
}

/// The pool owned by one runtime.
pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

/// A future that runs a closure once, on the thread that polls it.
pub(crate) struct BlockingFn<F>(Option<F>);

impl<F> BlockingFn<F> {
    pub(crate) fn new(f: F) -> Self {
        BlockingFn(Some(f))
    }
}

impl<F> Unpin for BlockingFn<F> {}

impl<R, F: FnOnce() -> R> Future for BlockingFn<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("blocking job polled twice");
        Poll::Ready(f())
    }
}

impl BlockingPool {
    pub(crate) fn new(max: usize) -> Self {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    shutdown: false,
                }),
                cv: Condvar::new(),
                max: max.max(1),
            }),
        }
    }

    /// Queues `task` and makes sure a thread will run it.
    pub(crate) fn push(&self, task: Task) {
        let mut st = self.inner.state.lock();
        if st.shutdown {
            drop(st);
            task.shutdown();
            return;
        }
        st.queue.push_back(task);
        if st.idle > 0 {
            self.inner.cv.notify_one();
        } else if st.threads < self.inner.max {
            st.threads += 1;
            let inner = self.inner.clone();
            let spawned = std::thread::Builder::new()
                .name("spindle-blocking".into())
                .spawn(move || run(inner));
            if spawned.is_err() {
                st.threads -= 1;
            }
        }
    }

    /// Cancels queued jobs and lets idle threads exit.
    pub(crate) fn shutdown(&self) {
        let queued: Vec<Task> = {
            let mut st = self.inner.state.lock();
            st.shutdown = true;
            st.queue.drain(..).collect()
        };
        self.inner.cv.notify_all();
        for t in queued {
            t.shutdown();
        }
    }
}

fn run(inner: Arc<Inner>) {
    let mut st = inner.state.lock();
    loop {
        if let Some(task) = st.queue.pop_front() {
            drop(st);
            task.run();
            st = inner.state.lock();
            continue;
        }
        if st.shutdown {
            break;
        }
        st.idle += 1;
        let timed_out = inner
            .cv
            .wait_for(&mut st, Duration::from_secs(10))
            .timed_out();
        st.idle -= 1;
        if timed_out && st.queue.is_empty() {
            break;
        }
    }
    st.threads -= 1;
}
