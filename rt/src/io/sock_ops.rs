//! Socket lifecycle ops: accept, connect, shutdown. Addresses live inside
//! the op so the kernel can write/read them until completion.
//!
//! Invariant: an accepted fd is owned by exactly one party: the caller on
//! success, or the op protocol (which closes it) when the accept was
//! cancelled.

use std::io;
use std::os::fd::{OwnedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::sys::{cvt, get_opt, owned, RawAddr};
use crate::driver::op::{Interest, OpKind};

/// Accepts one connection.
pub(crate) struct Accept {
    pub(crate) fd: RawFd,
    pub(crate) addr: RawAddr,
    /// Extra flags for the new socket (SOCK_NONBLOCK under epoll).
    pub(crate) flags: libc::c_int,
}

impl OpKind for Accept {
    type Output = io::Result<(OwnedFd, RawAddr)>;
    const NAME: &'static str = "accept";
    const RESULT_IS_FD: bool = true;

    fn uring_entry(&mut self) -> squeue::Entry {
        opcode::Accept::new(
            types::Fd(self.fd),
            self.addr.as_mut_ptr(),
            &mut self.addr.len,
        )
        .flags(libc::SOCK_CLOEXEC | self.flags)
        .build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: the address buffer and its length live in this op.
        cvt(unsafe {
            libc::accept4(
                self.fd,
                self.addr.as_mut_ptr(),
                &mut self.addr.len,
                libc::SOCK_CLOEXEC | self.flags,
            )
        } as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.fd, Interest::Read))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(|fd| (owned(fd), self.addr))
    }
}

/// Connects a socket to an address.
pub(crate) struct Connect {
    pub(crate) fd: RawFd,
    pub(crate) addr: RawAddr,
    pub(crate) started: bool,
}

impl OpKind for Connect {
    type Output = io::Result<()>;
    const NAME: &'static str = "connect";

    fn uring_entry(&mut self) -> squeue::Entry {
        opcode::Connect::new(types::Fd(self.fd), self.addr.as_ptr(), self.addr.len).build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        if self.started {
            // Second round under epoll: writable means the connect finished.
            let err = get_opt(self.fd, libc::SOL_SOCKET, libc::SO_ERROR, "connect")?;
            if err != 0 {
                return Err(io::Error::from_raw_os_error(err));
            }
            return Ok(0);
        }
        self.started = true;
        // SAFETY: the address lives in this op.
        cvt(unsafe { libc::connect(self.fd, self.addr.as_ptr(), self.addr.len) } as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.fd, Interest::Write))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(drop)
    }
}

/// Shuts down one or both directions of a socket.
pub(crate) struct Shutdown {
    pub(crate) fd: RawFd,
    pub(crate) how: libc::c_int,
}

impl OpKind for Shutdown {
    type Output = io::Result<()>;
    const NAME: &'static str = "shutdown";

    fn uring_entry(&mut self) -> squeue::Entry {
        opcode::Shutdown::new(types::Fd(self.fd), self.how).build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: plain syscall.
        cvt(unsafe { libc::shutdown(self.fd, self.how) } as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        None
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(drop)
    }
}
