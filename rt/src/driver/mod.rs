//! The per-worker I/O driver: io_uring when the kernel lets us, epoll
//! otherwise, behind one small enum so the worker loop and the ops do not
//! care which runs. Also the per-worker timer store.
//!
//! Invariant: a worker blocks only inside `Driver::park`.

pub(crate) mod epoll;
pub(crate) mod op;
pub(crate) mod timer;
pub(crate) mod uring;
pub(crate) mod wheel;

use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use io_uring::squeue;

use self::op::{Interest, OpShared};
pub use self::uring::RingFlags;

/// Which I/O driver a runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoDriver {
    /// Completion-based, one io_uring per worker.
    Uring,
    /// Readiness-based fallback, one epoll instance per worker.
    Epoll,
}

impl IoDriver {
    /// The driver named by `SPINDLE_IO` ("uring" or "epoll"), if set.
    pub fn from_env() -> Option<IoDriver> {
        match std::env::var("SPINDLE_IO").ok()?.as_str() {
            "epoll" => Some(IoDriver::Epoll),
            "uring" | "io_uring" => Some(IoDriver::Uring),
            _ => None,
        }
    }
}

pub(crate) enum Driver {
    Uring(Box<uring::Uring>),
    Epoll(epoll::Epoll),
}

impl Driver {
    /// Builds the driver on the worker thread. When io_uring was asked for
    /// but cannot be set up (EPERM under seccomp, ENOSYS, ENOMEM), falls
    /// back to epoll and returns the setup error alongside. Ring features
    /// in `unsupported` are treated as missing from the kernel; `workers`
    /// is the runtime's worker count.
    pub(crate) fn new(
        kind: IoDriver,
        eventfd: RawFd,
        unsupported: RingFlags,
        workers: usize,
    ) -> io::Result<(Driver, Option<io::Error>)> {
        match kind {
            IoDriver::Uring => match uring::Uring::new(eventfd, unsupported, workers) {
                Ok(u) => Ok((Driver::Uring(Box::new(u)), None)),
                Err(e) => Ok((Driver::Epoll(epoll::Epoll::new(eventfd)?), Some(e))),
            },
            IoDriver::Epoll => Ok((Driver::Epoll(epoll::Epoll::new(eventfd)?), None)),
        }
    }

    pub(crate) fn kind(&self) -> IoDriver {
        match self {
            Driver::Uring(_) => IoDriver::Uring,
            Driver::Epoll(_) => IoDriver::Epoll,
        }
    }

    pub(crate) fn ring_fd(&self) -> Option<RawFd> {
        match self {
            Driver::Uring(u) => Some(u.ring_fd()),
            Driver::Epoll(_) => None,
        }
    }

    pub(crate) fn ring_flags(&self) -> Option<RingFlags> {
        match self {
            Driver::Uring(u) => Some(u.flags),
            Driver::Epoll(_) => None,
        }
    }

    pub(crate) fn submit_op(&mut self, entry: squeue::Entry, shared: &Arc<OpShared>) {
        match self {
            Driver::Uring(u) => u.submit_op(entry, shared),
            Driver::Epoll(_) => unreachable!("epoll driver has no submission queue"),
        }
    }

    /// True when a socket send may be offloaded now (`Uring::may_offload`;
    /// never under epoll).
    pub(crate) fn may_offload(&self) -> bool {
        match self {
            Driver::Uring(u) => u.may_offload(),
            Driver::Epoll(_) => false,
        }
    }

    pub(crate) fn cancel(&mut self, ud: u64) {
        if let Driver::Uring(u) = self {
            u.cancel(ud);
        }
    }

    pub(crate) fn register(&mut self, fd: RawFd, interest: Interest, waker: &Waker) {
        if let Driver::Epoll(e) = self {
            e.register(fd, interest, waker);
        }
    }

    pub(crate) fn deregister(&mut self, fd: RawFd) {
        if let Driver::Epoll(e) = self {
            e.deregister(fd);
        }
    }

    /// MSG_RING doorbell to `target`; false when this driver cannot.
    pub(crate) fn msg_ring(&mut self, target: RawFd) -> bool {
        match self {
            Driver::Uring(u) if u.flags.msg_ring => {
                u.msg_ring(target);
                true
            }
            _ => false,
        }
    }

    /// True when a non-blocking poll may find completions (see `Uring::has_ready`).
    pub(crate) fn has_ready(&mut self) -> bool {
        match self {
            Driver::Uring(u) => u.has_ready(),
            Driver::Epoll(_) => true,
        }
    }

    /// Submits and reaps without blocking.
    pub(crate) fn poll(&mut self, wakers: &mut Vec<Waker>) -> usize {
        match self {
            Driver::Uring(u) => u.poll(wakers),
            Driver::Epoll(e) => e.park(Some(Duration::ZERO), wakers),
        }
    }

    /// Blocks until I/O, a doorbell, or `timeout`.
    pub(crate) fn park(&mut self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) -> usize {
        match self {
            Driver::Uring(u) => u.park(timeout, wakers),
            Driver::Epoll(e) => e.park(timeout, wakers),
        }
    }

    /// (submitted, completed) ring op counts; None under epoll, whose
    /// syscall ops are counted straight into the stats by `Op`.
    pub(crate) fn op_counts(&self) -> Option<(u64, u64)> {
        match self {
            Driver::Uring(u) => Some((u.submitted, u.completed)),
            Driver::Epoll(_) => None,
        }
    }

    /// Closes `fd` through the ring (queued; it goes out with the next
    /// submit), or gives it back when this driver cannot (epoll, or a ring
    /// that is shutting down) so the caller closes it directly.
    pub(crate) fn close(&mut self, fd: OwnedFd) -> Result<(), OwnedFd> {
        match self {
            Driver::Uring(u) => u.close(fd),
            Driver::Epoll(_) => Err(fd),
        }
    }

    /// Shutdown: cancel and drain everything in flight.
    pub(crate) fn drain(&mut self, wakers: &mut Vec<Waker>) {
        match self {
            Driver::Uring(u) => u.drain(wakers),
            Driver::Epoll(e) => e.clear(),
        }
    }
}
