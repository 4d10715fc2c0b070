//! The per-worker io_uring: setup with the best flags the kernel accepts,
//! submission of ops, reaping of completions, and parking.
//!
//! Invariants:
//! - Only the worker thread that created the ring submits to it
//!   (SINGLE_ISSUER), so ops dropped elsewhere reach it as remote cancels.
//! - Every op SQE carries an `Arc<OpShared>` reference as user_data, released
//!   at its final CQE; `inflight` counts those references, and the ring is
//!   not closed while any is outstanding (shutdown cancels and drains).
//! - A descriptor handed to `close` is closed by the kernel when the queued
//!   IORING_OP_CLOSE is submitted: at the worker's next reap or park, or at
//!   the start of `drain`; once closing starts, `close` refuses, so no close
//!   is ever left unsubmitted when the ring goes away. Until then the fd
//!   stays open, so its number cannot be reused under an in-flight op.
//! - A worker sleeps only here (`park`): one wait covers I/O, the next timer
//!   (as the wait's timeout), MSG_RING doorbells from other workers and the
//!   armed eventfd read that outside threads use as a doorbell.

use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use io_uring::{cqueue, opcode, squeue, types, IoUring, Probe};

use super::op::OpShared;

/// user_data of CQEs to ignore (MSG_RING source side, cancels).
const UD_IGNORE: u64 = 0;
/// user_data of a doorbell delivered by MSG_RING.
const UD_DOORBELL: u64 = 1;
/// user_data of the armed eventfd read.
const UD_EVENTFD: u64 = 2;
/// Completions one reap must bring back for the ring to count as busy.
const BUSY_REAP: usize = 4;
/// `IORING_ENTER_GETEVENTS`: run deferred task work and post completions.
const ENTER_GETEVENTS: u32 = 1;

/// Which setup flags the kernel accepted for a ring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RingFlags {
    /// IORING_SETUP_SINGLE_ISSUER.
    pub single_issuer: bool,
    /// IORING_SETUP_DEFER_TASKRUN.
    pub defer_taskrun: bool,
    /// IORING_SETUP_COOP_TASKRUN.
    pub coop_taskrun: bool,
    /// IORING_SETUP_SUBMIT_ALL.
    pub submit_all: bool,
    /// IORING_SETUP_TASKRUN_FLAG (the kernel flags pending deferred work,
    /// so a non-blocking reap can skip the syscall when nothing is pending).
    pub taskrun_flag: bool,
    /// MSG_RING is available for cross-core doorbells.
    pub msg_ring: bool,
    /// Multishot accept is available.
    pub multishot_accept: bool,
    /// Descriptors are closed through the ring (IORING_OP_CLOSE with
    /// CQE_SKIP_SUCCESS, kernel >= 5.17).
    pub ring_close: bool,
    /// `Child::wait` uses IORING_OP_WAITID (kernel >= 6.7); without it the
    /// ring polls the child's pidfd (IORING_OP_POLL_ADD) and then reaps it
    /// with waitid(P_PIDFD, WNOHANG).
    pub waitid: bool,
    /// Socket sends may go to the ring's io-wq thread (`IOSQE_ASYNC`; see
    /// `WorkerCtx::ring_path`). Only where io-wq tries a pollable file
    /// without blocking and arms a poll when it must wait (kernel >= 5.19,
    /// probed with the SOCKET opcode): on older kernels a send to a peer
    /// that stops reading would block one of the ring's few io-wq threads and
    /// every send queued behind it.
    pub offload_sends: bool,
}

impl RingFlags {
    /// `self` without the features set in `mask`.
    fn without(self, mask: RingFlags) -> RingFlags {
        RingFlags {
            single_issuer: self.single_issuer && !mask.single_issuer,
            defer_taskrun: self.defer_taskrun && !mask.defer_taskrun,
            coop_taskrun: self.coop_taskrun && !mask.coop_taskrun,
            submit_all: self.submit_all && !mask.submit_all,
            taskrun_flag: self.taskrun_flag && !mask.taskrun_flag,
            msg_ring: self.msg_ring && !mask.msg_ring,
            multishot_accept: self.multishot_accept && !mask.multishot_accept,
            ring_close: self.ring_close && !mask.ring_close,
            waitid: self.waitid && !mask.waitid,
            offload_sends: self.offload_sends && !mask.offload_sends,
        }
    }
}

/// Whether the kernel takes `IORING_RECVSEND_POLL_FIRST` on recv (5.19,
/// probed as the SOCKET opcode of the same release). A kernel capability,
/// the same for every ring of the process; no protocol depends on it.
static RECV_POLL_FIRST: AtomicBool = AtomicBool::new(false);

/// True once a ring has found that recv accepts `IORING_RECVSEND_POLL_FIRST`.
pub(crate) fn recv_poll_first_supported() -> bool {
    RECV_POLL_FIRST.load(Ordering::Relaxed)
}

pub(crate) struct Uring {
    ring: IoUring,
    eventfd: RawFd,
    evbuf: Box<u64>,
    eventfd_armed: bool,
    pub(crate) flags: RingFlags,
    inflight: usize,
    last_reap: usize,
    pub(crate) submitted: u64,
    pub(crate) completed: u64,
    closing: bool,
}

fn build(flags: &RingFlags) -> io::Result<IoUring> {
    let mut b = IoUring::builder();
    b.setup_cqsize(4096).setup_clamp();
    if flags.single_issuer {
        b.setup_single_issuer();
    }
    if flags.defer_taskrun {
        b.setup_defer_taskrun();
    }
    if flags.coop_taskrun {
        b.setup_coop_taskrun();
    }
    if flags.submit_all {
        b.setup_submit_all();
    }
    if flags.taskrun_flag {
        b.setup_taskrun_flag();
    }
    b.build(256)
}

impl Uring {
    /// Sets up a ring on the calling (worker) thread, dropping flags the
    /// kernel refuses (EINVAL) one at a time; other errors (EPERM, ENOSYS,
    /// ENOMEM) mean io_uring is unusable here. Features set in `unsupported`
    /// are treated as if the kernel lacked them (a test hook for the
    /// fallback paths). `workers` is the runtime's worker count.
    pub(crate) fn new(eventfd: RawFd, unsupported: RingFlags, workers: usize) -> io::Result<Uring> {
        let mut flags = RingFlags {
            single_issuer: true,
            defer_taskrun: true,
            coop_taskrun: true,
            submit_all: true,
            taskrun_flag: true,
            ..Default::default()
        }
        .without(unsupported);
        let drops: [fn(&mut RingFlags); 5] = [
            |f| f.taskrun_flag = false,
            |f| f.coop_taskrun = false,
            |f| f.defer_taskrun = false,
            |f| f.single_issuer = false,
            |f| f.submit_all = false,
        ];
        let mut next_drop = drops.iter();
        let ring = loop {
            match build(&flags) {
                Ok(r) => break r,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => match next_drop.next() {
                    Some(d) => d(&mut flags),
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            }
        };
        // Offloaded socket sends (`OpKind::offload`) run on the ring's
        // unbounded io-wq workers, and only while other workers sleep: cap
        // them at one per other worker's core, so a burst of sends does not
        // start a kernel thread each. 0 leaves the bounded (file) pool as is.
        let unbound = workers.saturating_sub(1).max(1) as u32;
        let mut max_workers = [0, unbound];
        let _ = ring.submitter().register_iowq_max_workers(&mut max_workers);
        let mut probe = Probe::new();
        if ring.submitter().register_probe(&mut probe).is_ok() {
            flags.msg_ring = probe.is_supported(opcode::MsgRingData::CODE);
            // Multishot accept arrived in 5.19 with ASYNC_CANCEL2 / SOCKET.
            flags.multishot_accept = probe.is_supported(opcode::Socket::CODE);
            flags.ring_close = probe.is_supported(opcode::Close::CODE)
                && ring.params().is_feature_skip_cqe_on_success();
            flags.waitid = probe.is_supported(opcode::WaitId::CODE);
            if flags.multishot_accept {
                RECV_POLL_FIRST.store(true, Ordering::Relaxed);
            }
            flags.offload_sends = flags.multishot_accept;
        }
        let flags = flags.without(unsupported);
        let mut u = Uring {
            ring,
            eventfd,
            evbuf: Box::new(0),
            eventfd_armed: false,
            flags,
            inflight: 0,
            last_reap: 0,
            submitted: 0,
            completed: 0,
            closing: false,
        };
        u.arm_eventfd();
        Ok(u)
    }

    pub(crate) fn ring_fd(&self) -> RawFd {
        self.ring.as_raw_fd()
    }

    fn push(&mut self, entry: &squeue::Entry) {
        loop {
            // SAFETY: every entry pushed here points only at memory that
            // stays valid until its CQE: op buffers live in an `OpShared`
            // whose reference the entry's user_data carries (op protocol
            // step 1), the eventfd buffer lives in `self.evbuf` until the
            // ring is drained, and cancel/MSG_RING entries point at nothing.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return;
            }
            let _ = self.ring.submit();
        }
    }

    fn arm_eventfd(&mut self) {
        let buf: *mut u64 = &mut *self.evbuf;
        let e = opcode::Read::new(types::Fd(self.eventfd), buf.cast(), 8)
            .build()
            .user_data(UD_EVENTFD);
        self.push(&e);
        self.eventfd_armed = true;
    }

    /// Op protocol step 1: queue `entry` carrying one reference to `shared`.
    pub(crate) fn submit_op(&mut self, entry: squeue::Entry, shared: &Arc<OpShared>) {
        let ud = Arc::into_raw(shared.clone()) as u64;
        self.push(&entry.user_data(ud));
        self.inflight += 1;
        self.submitted += 1;
    }

    /// Queues an IORING_OP_CLOSE for `fd`; it goes out with the next submit
    /// (the next reap or park, or `drain`). A successful close posts no CQE
    /// (SKIP_SUCCESS); a failed one is ignored, as `close(2)` errors are.
    /// Refused once the ring is closing, so no close is left unsubmitted.
    pub(crate) fn close(&mut self, fd: OwnedFd) -> Result<(), OwnedFd> {
        if self.closing || !self.flags.ring_close {
            return Err(fd);
        }
        let e = opcode::Close::new(types::Fd(fd.into_raw_fd()))
            .build()
            .flags(squeue::Flags::SKIP_SUCCESS)
            .user_data(UD_IGNORE);
        self.push(&e);
        Ok(())
    }

    /// Asks the kernel to cancel the op whose user_data is `ud`.
    pub(crate) fn cancel(&mut self, ud: u64) {
        let e = opcode::AsyncCancel::new(ud).build().user_data(UD_IGNORE);
        self.push(&e);
    }

    /// Rings another worker's doorbell through MSG_RING and submits at once.
    pub(crate) fn msg_ring(&mut self, target_ring: RawFd) {
        let e = opcode::MsgRingData::new(types::Fd(target_ring), 0, UD_DOORBELL, None)
            .build()
            .flags(squeue::Flags::SKIP_SUCCESS)
            .user_data(UD_IGNORE);
        self.push(&e);
        let _ = self.ring.submit();
    }

    /// True when a non-blocking reap could find something: completions
    /// already posted, or (with TASKRUN_FLAG) deferred work the kernel
    /// flagged. Without the flag we cannot tell, so say yes.
    pub(crate) fn has_ready(&mut self) -> bool {
        if !self.flags.taskrun_flag {
            return true;
        }
        if !self.ring.completion().is_empty() {
            return true;
        }
        let sq = self.ring.submission();
        sq.taskrun() || sq.cq_overflow()
    }

    /// True when a socket send may be offloaded now: the kernel allows it
    /// safely (`RingFlags::offload_sends`) and the ring is busy, its last
    /// reap having brought back at least `BUSY_REAP` completions.
    pub(crate) fn may_offload(&self) -> bool {
        self.flags.offload_sends && self.last_reap >= BUSY_REAP
    }

    /// Submits queued SQEs and reaps completions without blocking.
    pub(crate) fn poll(&mut self, wakers: &mut Vec<Waker>) -> usize {
        let pending_sqes = !self.ring.submission().is_empty();
        if pending_sqes || self.has_ready() {
            self.enter(0, None);
        }
        self.reap(wakers)
    }

    /// Submits and waits for at least one completion or `timeout`.
    pub(crate) fn park(&mut self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) -> usize {
        self.enter(1, timeout);
        self.reap(wakers)
    }

    fn enter(&mut self, want: usize, timeout: Option<Duration>) {
        let res = match (want, timeout) {
            (0, _) => {
                let len = self.ring.submission().len() as u32;
                // SAFETY: a plain io_uring_enter with no extra argument.
                unsafe {
                    self.ring
                        .submitter()
                        .enter::<libc::sigset_t>(len, 0, ENTER_GETEVENTS, None)
                }
            }
            (_, Some(t)) => {
                let ts = types::Timespec::from(t);
                let args = types::SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(want, &args)
            }
            (_, None) => self.ring.submit_and_wait(want),
        };
        if let Err(e) = res {
            match e.raw_os_error() {
                Some(libc::ETIME | libc::EINTR | libc::EBUSY | libc::EAGAIN) => {}
                _ => panic!("io_uring_enter failed: {e}"),
            }
        }
    }

    fn reap(&mut self, wakers: &mut Vec<Waker>) -> usize {
        let mut n = 0;
        let mut rearm = false;
        for cqe in self.ring.completion() {
            n += 1;
            match cqe.user_data() {
                UD_IGNORE | UD_DOORBELL => {}
                UD_EVENTFD => {
                    self.eventfd_armed = false;
                    rearm = true;
                }
                ud => {
                    let more = cqueue::more(cqe.flags());
                    let ptr = ud as *const OpShared;
                    // SAFETY: user_data values other than the reserved ones
                    // are `Arc::into_raw` pointers whose reference the ring
                    // still holds (released below at the final CQE only).
                    let shared = unsafe { &*ptr };
                    if let Some(w) = shared.on_cqe(cqe.result(), cqe.flags(), more) {
                        wakers.push(w);
                    }
                    if !more {
                        self.inflight -= 1;
                        self.completed += 1;
                        // SAFETY: final CQE: take back the ring's reference.
                        drop(unsafe { Arc::from_raw(ptr) });
                    }
                }
            }
        }
        if rearm && !self.closing {
            self.arm_eventfd();
        }
        self.last_reap = n;
        n
    }

    /// Cancels everything in flight and waits until the kernel has returned
    /// every op (and so every buffer); after this the ring can be closed.
    pub(crate) fn drain(&mut self, wakers: &mut Vec<Waker>) {
        self.closing = true;
        // Queued closes (and anything else queued) go out before the ring does.
        let _ = self.ring.submit();
        while self.inflight > 0 || self.eventfd_armed {
            let e = opcode::AsyncCancel2::new(types::CancelBuilder::any())
                .build()
                .user_data(UD_IGNORE);
            self.push(&e);
            self.enter(1, Some(Duration::from_millis(50)));
            self.reap(wakers);
            // Wakers of cancelled tasks do nothing useful at shutdown.
            wakers.clear();
        }
    }
}
