//! Running one file operation (api.md §4 "they park the calling fiber"):
//! inside the event loop its future becomes an op and the task parks; with
//! no loop (the synchronous suite runner, an embedding that calls
//! `run_source` directly) the same future runs on blocking calls and
//! finishes in its first poll.
//!
//! Calls with no ring op run on the blocking pool the same way
//! (`run_blocking`).
//!
//! Invariant: the future is polled once at once, so an operation that needs
//! no I/O (a line already in the read-ahead, a write that only buffers)
//! returns without parking; only a `Pending` future is handed to the loop,
//! which polls it from then on with its own waker.

use super::net::start;
use crate::ev::disk_file::Io;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// The result a finished operation hands its caller.
pub type Finish<T> = Box<dyn FnOnce(&mut Isolate, T) -> Resume + Send>;

/// How file operations do I/O here: on the ring when a task of a loop on a
/// spindle-rt worker is running, blocking otherwise.
pub fn io_mode(iso: &Isolate) -> Io {
    if iso.ev.current.is_some() && spindle_rt::Handle::try_current().is_some() {
        Io::Ring
    } else {
        Io::Blocking
    }
}

fn settle<T>(iso: &mut Isolate, r: Result<T, String>, finish: Finish<T>) -> Resume {
    match r {
        Ok(v) => finish(iso, v),
        Err(m) => Resume::Error(iso.str(&m)),
    }
}

/// Runs `fut` (built for `io_mode`) to its end: returns at once when it
/// needs no wait, parks the task otherwise; `finish` builds the value.
pub fn run_io<T, F>(iso: &mut Isolate, fut: F, finish: Finish<T>) -> Result<Value, Flow>
where
    T: Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    let mut fut = Box::pin(fut);
    let first = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    let r = match first {
        Poll::Ready(r) => settle(iso, r, finish),
        Poll::Pending if io_mode(iso) == Io::Blocking => {
            return Err(iso.err("file operation would wait outside the event loop"))
        }
        Poll::Pending => {
            let op: OpFuture = Box::pin(async move {
                let r = fut.await;
                Box::new(move |iso: &mut Isolate| settle(iso, r, finish)) as Done
            });
            return start(iso, None, None, op);
        }
    };
    match r {
        Resume::Value(v) => Ok(v),
        Resume::Error(e) => Err(Flow::Error(e)),
    }
}

/// Runs the blocking call `work` on the runtime's blocking pool, the task
/// parked meanwhile (with no loop, on this thread); `finish` builds the
/// value. For calls the ring has no op for (a directory listing, a path
/// resolution) or that want std's exact results (`os/stat`).
pub fn run_blocking<T, W>(iso: &mut Isolate, work: W, finish: Finish<T>) -> Result<Value, Flow>
where
    T: Send + 'static,
    W: FnOnce() -> Result<T, String> + Send + 'static,
{
    if io_mode(iso) == Io::Blocking {
        return match settle(iso, work(), finish) {
            Resume::Value(v) => Ok(v),
            Resume::Error(e) => Err(Flow::Error(e)),
        };
    }
    // Always parks, even when the job is quick: the call is a suspension
    // point whatever the timing.
    let job = spindle_rt::spawn_blocking(work);
    let op: OpFuture = Box::pin(async move {
        let r = job.await.map_err(|e| e.to_string()).and_then(|r| r);
        Box::new(move |iso: &mut Isolate| settle(iso, r, finish)) as Done
    });
    start(iso, None, None, op)
}

/// A finish that returns `v` whatever the operation produced.
pub fn returning<T: 'static>(v: Value) -> Finish<T> {
    Box::new(move |_, _| Resume::Value(v))
}
