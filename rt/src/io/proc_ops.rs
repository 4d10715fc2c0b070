//! The child-process op: waitid for one child. On a ring whose kernel has
//! IORING_OP_WAITID (>= 6.7, `RingFlags::waitid`) the ring does the wait;
//! on an older ring an IORING_OP_POLL_ADD waits for the child's pidfd to
//! become readable (it does at exit) and waitid(P_PIDFD, WNOHANG) then
//! reaps it; under epoll the pidfd's readiness is registered instead of
//! the poll. The siginfo buffer lives in the op until the completion.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use io_uring::{opcode, squeue, types};

use super::sys;
use crate::driver::op::{op_error, Interest, OpKind};

/// waitid for one child: WAITID op on the ring, pidfd readiness otherwise.
pub(crate) struct WaitId {
    pid: u32,
    pidfd: OwnedFd,
    /// On io_uring: true = IORING_OP_WAITID, false = poll the pidfd.
    ring_waitid: bool,
    info: Box<libc::siginfo_t>,
}

// SAFETY: the siginfo holds no live pointers we follow; it is plain data
// written by the kernel and read by whoever owns the op.
unsafe impl Send for WaitId {}

impl WaitId {
    /// Waits for `pid` through `pidfd`; `ring_waitid` says whether a ring
    /// may use IORING_OP_WAITID (else it polls the pidfd).
    pub(crate) fn new(pid: u32, pidfd: OwnedFd, ring_waitid: bool) -> Self {
        // SAFETY: siginfo_t is plain old data; zeroed is a valid value.
        let zero: libc::siginfo_t = unsafe { std::mem::zeroed() };
        WaitId {
            pid,
            pidfd,
            ring_waitid,
            info: Box::new(zero),
        }
    }

    /// True once a waitid (the ring's or ours) has filled the siginfo.
    fn reaped(&self) -> bool {
        // SAFETY: the siginfo is zeroed or was filled by waitid; reading
        // si_pid from either is defined (0 until a child is reported).
        unsafe { self.info.si_pid() != 0 }
    }

    fn status(&self) -> ExitStatus {
        // SAFETY: waitid filled a SIGCHLD siginfo, whose status field is valid.
        let code = unsafe { self.info.si_status() };
        match self.info.si_code {
            libc::CLD_EXITED => ExitStatus::from_raw((code & 0xff) << 8),
            _ => ExitStatus::from_raw(code & 0x7f),
        }
    }
}

impl OpKind for WaitId {
    type Output = io::Result<ExitStatus>;
    const NAME: &'static str = "waitid";

    fn uring_entry(&mut self) -> squeue::Entry {
        if !self.ring_waitid {
            let fd = types::Fd(self.pidfd.as_raw_fd());
            return opcode::PollAdd::new(fd, libc::POLLIN as u32).build();
        }
        let info: *mut libc::siginfo_t = &mut *self.info;
        opcode::WaitId::new(libc::P_PID, self.pid as libc::id_t, libc::WEXITED)
            .infop(info.cast_const())
            .build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: the siginfo buffer lives in this op.
        let r = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                self.pidfd.as_raw_fd() as libc::id_t,
                &mut *self.info,
                libc::WEXITED | libc::WNOHANG,
            )
        };
        sys::cvt(r as isize)?;
        if !self.reaped() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(0)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.pidfd.as_raw_fd(), Interest::Read))
    }

    fn name(&self) -> &'static str {
        if self.ring_waitid {
            Self::NAME
        } else {
            "waitid (pidfd poll)"
        }
    }

    /// After a ring pidfd poll the child has exited (a readable pidfd
    /// means that) and is reaped here; `WouldBlock` from that reap, which
    /// a readable pidfd should rule out, tells the caller to wait again.
    fn complete(mut self, res: io::Result<i32>) -> Self::Output {
        res?;
        if !self.reaped() {
            self.syscall().map_err(|e| op_error("waitid", e))?;
        }
        Ok(self.status())
    }
}
