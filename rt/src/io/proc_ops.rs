//! The child-process op: waitid for one child, as IORING_OP_WAITID on the
//! ring (kernel >= 6.7) or, under epoll, a pidfd that becomes readable at
//! exit followed by waitid(P_PIDFD, WNOHANG). The siginfo buffer lives in
//! the op until the completion.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use io_uring::{opcode, squeue};

use super::sys;
use crate::driver::op::{Interest, OpKind};

/// waitid for one child: WAITID op on the ring, pidfd readiness otherwise.
pub(crate) struct WaitId {
    pid: u32,
    pidfd: OwnedFd,
    info: Box<libc::siginfo_t>,
}

// SAFETY: the siginfo holds no live pointers we follow; it is plain data
// written by the kernel and read by whoever owns the op.
unsafe impl Send for WaitId {}

impl WaitId {
    pub(crate) fn new(pid: u32, pidfd: OwnedFd) -> Self {
        // SAFETY: siginfo_t is plain old data; zeroed is a valid value.
        let zero: libc::siginfo_t = unsafe { std::mem::zeroed() };
        WaitId {
            pid,
            pidfd,
            info: Box::new(zero),
        }
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
        // SAFETY: waitid filled (or zeroed) the siginfo.
        if unsafe { self.info.si_pid() } == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(0)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.pidfd.as_raw_fd(), Interest::Read))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(|_| self.status())
    }
}
