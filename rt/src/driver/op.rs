//! One in-flight I/O operation and the ownership of its buffers.
//!
//! Protocol (io_uring):
//! 1. `Op::poll` boxes the operation (`OpKind`: its fd, buffers, addresses),
//!    builds the SQE from pointers into that box, and moves the box into an
//!    `OpShared`. The ring's entry carries one `Arc<OpShared>` reference as
//!    its user_data; the future keeps another.
//! 2. The completion is reaped by the ring it was submitted to: the result is
//!    stored, the waker taken (woken after the driver lets go of the ring),
//!    and, unless more CQEs follow (multishot), the ring's reference dropped.
//! 3. The future takes the box back and turns it into its output.
//! 4. Dropped before the completion: the op is marked cancelled, its waker
//!    dropped, and an ASYNC_CANCEL is submitted on the owning ring (directly
//!    when we run on that worker, else through its remote queue and
//!    doorbell). The boxed buffers stay inside `OpShared` until the ring
//!    drops its reference at the final CQE: no use-after-free, no leak. A
//!    cancelled op whose result is a new fd (accept, open) closes that fd.
//!
//! Under the epoll driver step 1-4 collapse into "try the syscall; on
//! EAGAIN register readiness and retry when woken"; nothing is in flight
//! in the kernel, so dropping is free. Such an op counts as submitted on
//! the worker of its first attempt and as completed on the worker where it
//! returns (or is dropped while waiting), so the stats read the same way
//! under both drivers.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use io_uring::squeue;
use parking_lot::Mutex;

use crate::sched::context::{self, RingPath};
use crate::sched::shared::Remote;
use crate::stats::{bump, LIVE_OPS};

/// Readiness an epoll-driven op waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    Read,
    Write,
}

/// An operation: its resources and how to run it on either driver.
pub(crate) trait OpKind: Send + Sized + 'static {
    /// What the op yields (often the result plus the buffers given back).
    type Output;
    /// Names the op in error messages ("read", "accept", ...).
    const NAME: &'static str;
    /// True when a non-negative result is a new fd the op must close if cancelled.
    const RESULT_IS_FD: bool = false;
    /// The SQE; pointers in it point into `self`'s heap data.
    fn uring_entry(&mut self) -> squeue::Entry;
    /// The same work as a direct syscall (non-blocking for sockets).
    fn syscall(&mut self) -> io::Result<i32>;
    /// Readiness to wait for after `WouldBlock`; `None` for ops that never block (files).
    fn interest(&self) -> Option<(RawFd, Interest)>;
    /// True when, on io_uring, a non-blocking attempt may come first if the
    /// worker has nothing else queued (socket send: usually ready, and with
    /// no other work to batch with, a direct syscall saves a ring round
    /// trip); only `WouldBlock` then goes to the ring. With other work
    /// queued the op goes to the ring and is submitted in one batch.
    fn try_first(&self) -> bool {
        false
    }
    /// True for ops whose kernel work runs inline in the submitting thread
    /// and is worth handing to the ring's io-wq thread when another core
    /// sleeps (socket send: on loopback it also runs the receiver's TCP
    /// processing). `WorkerCtx::ring_path` says when that happens.
    fn offload(&self) -> bool {
        false
    }
    /// Names this op in errors (defaults to `NAME`).
    fn name(&self) -> &'static str {
        Self::NAME
    }
    /// Builds the output from the result.
    fn complete(self, res: io::Result<i32>) -> Self::Output;
}

/// Attaches the op name to an OS error, keeping its kind.
pub(crate) fn op_error(name: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{name}: {e}"))
}

/// CQE results not yet taken, oldest first. A one-shot op gets exactly one,
/// kept inline so an op costs no allocation for it; only a multishot op's
/// backlog spills into the deque.
#[derive(Default)]
pub(crate) struct Results {
    first: Option<(i32, u32)>,
    rest: VecDeque<(i32, u32)>,
}

impl Results {
    fn push(&mut self, r: (i32, u32)) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(r);
        } else {
            self.rest.push_back(r);
        }
    }

    fn pop(&mut self) -> Option<(i32, u32)> {
        self.first.take().or_else(|| self.rest.pop_front())
    }

    fn drain(&mut self) -> impl Iterator<Item = (i32, u32)> + '_ {
        self.first.take().into_iter().chain(self.rest.drain(..))
    }
}

pub(crate) struct OpInner {
    pub(crate) results: Results,
    pub(crate) done: bool,
    pub(crate) cancelled: bool,
    pub(crate) waker: Option<Waker>,
    pub(crate) payload: Option<Box<dyn Any + Send>>,
}

/// The state shared by the ring (through user_data) and the future.
pub(crate) struct OpShared {
    pub(crate) inner: Mutex<OpInner>,
    /// The worker whose ring holds the op.
    pub(crate) owner: Arc<Remote>,
    pub(crate) result_is_fd: bool,
}

impl OpShared {
    pub(crate) fn new(
        owner: Arc<Remote>,
        result_is_fd: bool,
        payload: Option<Box<dyn Any + Send>>,
    ) -> Arc<Self> {
        LIVE_OPS.add(1);
        Arc::new(OpShared {
            inner: Mutex::new(OpInner {
                results: Results::default(),
                done: false,
                cancelled: false,
                waker: None,
                payload,
            }),
            owner,
            result_is_fd,
        })
    }

    /// Protocol step 2: a CQE arrived. Returns the waker to wake.
    pub(crate) fn on_cqe(&self, res: i32, flags: u32, more: bool) -> Option<Waker> {
        let mut inner = self.inner.lock();
        if inner.cancelled {
            if self.result_is_fd && res >= 0 {
                close_fd(res);
            }
        } else {
            inner.results.push((res, flags));
        }
        if !more {
            inner.done = true;
        }
        inner.waker.take()
    }

    /// Protocol step 4 (the future side). Returns true when the caller
    /// must ask the owning ring to cancel.
    pub(crate) fn mark_cancelled(&self) -> bool {
        let mut inner = self.inner.lock();
        inner.waker = None;
        inner.cancelled = true;
        if self.result_is_fd {
            for (res, _) in inner.results.drain() {
                if res >= 0 {
                    close_fd(res);
                }
            }
        }
        !inner.done
    }
}

impl Drop for OpShared {
    fn drop(&mut self) {
        LIVE_OPS.sub(1);
        if self.result_is_fd {
            for (res, _) in self.inner.get_mut().results.drain() {
                if res >= 0 {
                    close_fd(res);
                }
            }
        }
    }
}

fn close_fd(fd: i32) {
    // SAFETY: `fd` is a descriptor the kernel just created for an op
    // nobody will consume; we are its only owner.
    unsafe { libc::close(fd) };
}

enum St<K> {
    Idle(K),
    InFlight(Arc<OpShared>),
    Done,
}

/// A future that runs one `OpKind` to completion on the current worker's driver.
pub(crate) struct Op<K: OpKind> {
    st: St<K>,
    /// Epoll path: counted as submitted and not yet as completed.
    counted: bool,
}

impl<K: OpKind> Op<K> {
    pub(crate) fn new(kind: K) -> Self {
        Op {
            st: St::Idle(kind),
            counted: false,
        }
    }
}

/// Counts an epoll-path op on the current worker (the ring counts its own).
fn count_syscall_op(completed: bool) {
    context::with_worker(|w| {
        if let Some(w) = w {
            let c = &w.remote.counters;
            bump(if completed {
                &c.ops_completed
            } else {
                &c.ops_submitted
            });
        }
    });
}

impl<K: OpKind> Unpin for Op<K> {}

impl<K: OpKind> Future for Op<K> {
    type Output = K::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<K::Output> {
        let coop = ready!(crate::sched::coop::poll_proceed(cx));
        let this = &mut *self;
        match std::mem::replace(&mut this.st, St::Done) {
            St::Idle(mut kind) => {
                let uring = context::with_worker(|w| w.map(|w| w.driver_is_uring()));
                match uring {
                    None => {
                        let e = io::Error::other("no spindle runtime on this thread");
                        let name = kind.name();
                        Poll::Ready(kind.complete(Err(op_error(name, e))))
                    }
                    Some(true) => {
                        let path = context::with_worker(|w| {
                            w.expect("checked above")
                                .ring_path(kind.try_first(), kind.offload())
                        });
                        if path == RingPath::TryFirst {
                            match kind.syscall() {
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                                res => {
                                    coop.made_progress();
                                    let name = kind.name();
                                    return Poll::Ready(
                                        kind.complete(res.map_err(|e| op_error(name, e))),
                                    );
                                }
                            }
                        }
                        let mut boxed = Box::new(kind);
                        let mut entry = boxed.uring_entry();
                        let shared = context::with_worker(|w| {
                            let w = w.expect("checked above");
                            if path == RingPath::Offload {
                                entry = entry.flags(squeue::Flags::ASYNC);
                                bump(&w.remote.counters.ops_offloaded);
                            }
                            let shared =
                                OpShared::new(w.remote.clone(), K::RESULT_IS_FD, Some(boxed));
                            w.submit(entry, &shared);
                            shared
                        });
                        let mut inner = shared.inner.lock();
                        inner.waker = Some(cx.waker().clone());
                        drop(inner);
                        this.st = St::InFlight(shared);
                        Poll::Pending
                    }
                    Some(false) => {
                        if !this.counted {
                            this.counted = true;
                            count_syscall_op(false);
                        }
                        match kind.syscall() {
                            Err(e)
                                if e.kind() == io::ErrorKind::WouldBlock
                                    || e.raw_os_error() == Some(libc::EINPROGRESS) =>
                            {
                                match kind.interest() {
                                    Some((fd, interest)) => {
                                        context::with_worker(|w| {
                                            w.expect("checked above").register_readiness(
                                                fd,
                                                interest,
                                                cx.waker(),
                                            )
                                        });
                                        this.st = St::Idle(kind);
                                        Poll::Pending
                                    }
                                    None => {
                                        this.counted = false;
                                        count_syscall_op(true);
                                        let name = kind.name();
                                        Poll::Ready(kind.complete(Err(op_error(name, e))))
                                    }
                                }
                            }
                            res => {
                                coop.made_progress();
                                this.counted = false;
                                count_syscall_op(true);
                                let name = kind.name();
                                let res = res.map_err(|e| op_error(name, e));
                                Poll::Ready(kind.complete(res))
                            }
                        }
                    }
                }
            }
            St::InFlight(shared) => {
                let mut inner = shared.inner.lock();
                if !inner.done {
                    if !inner
                        .waker
                        .as_ref()
                        .is_some_and(|w| w.will_wake(cx.waker()))
                    {
                        inner.waker = Some(cx.waker().clone());
                    }
                    drop(inner);
                    this.st = St::InFlight(shared);
                    return Poll::Pending;
                }
                let (res, _flags) = inner.results.pop().unwrap_or((-libc::ECANCELED, 0));
                let payload = inner
                    .payload
                    .take()
                    .expect("op payload present until completion");
                drop(inner);
                let kind = *payload
                    .downcast::<K>()
                    .expect("op payload has the op's type");
                coop.made_progress();
                let res = if res < 0 {
                    Err(op_error(kind.name(), io::Error::from_raw_os_error(-res)))
                } else {
                    Ok(res)
                };
                Poll::Ready(kind.complete(res))
            }
            St::Done => panic!("{} op polled after completion", K::NAME),
        }
    }
}

impl<K: OpKind> Drop for Op<K> {
    fn drop(&mut self) {
        if self.counted {
            count_syscall_op(true);
        }
        if let St::InFlight(shared) = &self.st {
            if shared.mark_cancelled() {
                crate::sched::shared::request_cancel(shared);
            }
        }
    }
}

/// A multishot op (accept): one submission, a stream of completions.
/// Dropping it cancels the op; results not yet taken are released (fds closed).
pub(crate) struct Multishot {
    shared: Arc<OpShared>,
}

impl Multishot {
    /// Submits `entry` on the current worker's ring; `None` off a uring worker.
    pub(crate) fn start(entry: squeue::Entry, result_is_fd: bool) -> Option<Multishot> {
        context::with_worker(|w| {
            let w = w?;
            if !w.driver_is_uring() {
                return None;
            }
            let shared = OpShared::new(w.remote.clone(), result_is_fd, None);
            w.submit(entry, &shared);
            Some(Multishot { shared })
        })
    }

    /// The next result; `None` once the kernel ended the op and all
    /// results were taken (the caller re-arms).
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<i32>> {
        let mut inner = self.shared.inner.lock();
        if let Some((res, _)) = inner.results.pop() {
            return Poll::Ready(Some(res));
        }
        if inner.done {
            return Poll::Ready(None);
        }
        if !inner
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            inner.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Multishot {
    fn drop(&mut self) {
        if self.shared.mark_cancelled() {
            crate::sched::shared::request_cancel(&self.shared);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Results;

    #[test]
    fn results_come_out_oldest_first_across_the_inline_slot() {
        let mut r = Results::default();
        r.push((1, 0));
        assert_eq!(r.pop(), Some((1, 0)));
        r.push((2, 0));
        r.push((3, 0));
        assert_eq!(r.pop(), Some((2, 0)));
        // The inline slot is free but 3 is still queued: 4 must go behind it.
        r.push((4, 0));
        assert_eq!(r.pop(), Some((3, 0)));
        r.push((5, 0));
        let rest: Vec<_> = r.drain().map(|(res, _)| res).collect();
        assert_eq!(rest, vec![4, 5]);
        assert_eq!(r.pop(), None);
    }
}
