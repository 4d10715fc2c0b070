//! Vectored ops that own their buffers: writev (sendmsg on sockets) of a
//! list of owned buffers, and readv (recvmsg on sockets) into the spare
//! capacity of a list of owned buffers. Like `buf_ops`, each op keeps its
//! buffers, its iovec array and (for sockets) its msghdr inside itself, so
//! the `Op` protocol (driver::op) keeps all of them alive until the kernel
//! is done, and hands the buffers back with the result.
//!
//! Invariants:
//! - The iovecs are rebuilt from the buffers right before every submission
//!   or syscall (`fill`), so they never point at memory the op gave back.
//! - A read commits exactly the completed byte count, buffer by buffer in
//!   order, never beyond a buffer's capacity.

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types};

use super::buf_ops::TRY_WRITE_FIRST;
use super::sys::cvt;
use crate::driver::op::{Interest, OpKind};

/// At most this many iovecs per call (Linux's `UIO_MAXIOV`).
const MAX_IOVS: usize = 1024;

/// A zeroed msghdr (plain old data; zeroed is a valid empty header).
fn empty_msghdr() -> libc::msghdr {
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

/// Writes `bufs` (skipping the first `skip` bytes) in one vectored call.
pub(crate) struct WriteVec {
    pub(crate) fd: RawFd,
    pub(crate) bufs: Vec<Vec<u8>>,
    /// Bytes of `bufs` already written by earlier calls.
    pub(crate) skip: usize,
    pub(crate) socket: bool,
    /// File offset; `u64::MAX` means the current position.
    pub(crate) offset: u64,
    pub(crate) pollable: bool,
    iovs: Vec<libc::iovec>,
    msg: libc::msghdr,
}

// SAFETY: the raw pointers inside (iovecs, msghdr) point only into this
// same value's owned buffers and iovec array.
unsafe impl Send for WriteVec {}

impl WriteVec {
    pub(crate) fn new(
        fd: RawFd,
        bufs: Vec<Vec<u8>>,
        skip: usize,
        socket: bool,
        pollable: bool,
    ) -> Self {
        WriteVec {
            fd,
            bufs,
            skip,
            socket,
            offset: u64::MAX,
            pollable,
            iovs: Vec::new(),
            msg: empty_msghdr(),
        }
    }

    fn fill(&mut self) {
        self.iovs.clear();
        let mut skip = self.skip;
        for b in &self.bufs {
            if skip >= b.len() {
                skip -= b.len();
                continue;
            }
            let rest = &b[skip..];
            skip = 0;
            self.iovs.push(libc::iovec {
                iov_base: rest.as_ptr() as *mut libc::c_void,
                iov_len: rest.len(),
            });
            if self.iovs.len() == MAX_IOVS {
                break;
            }
        }
        self.msg.msg_iov = self.iovs.as_mut_ptr();
        self.msg.msg_iovlen = self.iovs.len() as _;
    }
}

impl OpKind for WriteVec {
    type Output = (io::Result<usize>, Vec<Vec<u8>>);
    const NAME: &'static str = "writev";

    fn try_first(&self) -> bool {
        self.socket && TRY_WRITE_FIRST
    }

    fn offload(&self) -> bool {
        self.socket
    }

    fn uring_entry(&mut self) -> squeue::Entry {
        self.fill();
        if self.socket {
            opcode::SendMsg::new(types::Fd(self.fd), &self.msg)
                .flags(libc::MSG_NOSIGNAL as u32)
                .build()
        } else {
            opcode::Writev::new(
                types::Fd(self.fd),
                self.iovs.as_ptr(),
                self.iovs.len() as u32,
            )
            .offset(self.offset)
            .build()
        }
    }

    fn syscall(&mut self) -> io::Result<i32> {
        self.fill();
        let (iov, n) = (self.iovs.as_ptr(), self.iovs.len() as libc::c_int);
        // SAFETY: the iovecs and msghdr point into buffers owned by this op.
        let r = unsafe {
            if self.socket {
                libc::sendmsg(self.fd, &self.msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
            } else if self.offset == u64::MAX {
                libc::writev(self.fd, iov, n)
            } else {
                libc::pwritev(self.fd, iov, n, self.offset as libc::off_t)
            }
        };
        cvt(r)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        self.pollable.then_some((self.fd, Interest::Write))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        (res.map(|n| n as usize), self.bufs)
    }
}

/// Reads into the spare capacity of `bufs`, in order, in one vectored call.
pub(crate) struct ReadVec {
    pub(crate) fd: RawFd,
    pub(crate) bufs: Vec<Vec<u8>>,
    pub(crate) socket: bool,
    /// File offset; `u64::MAX` means the current position.
    pub(crate) offset: u64,
    pub(crate) pollable: bool,
    iovs: Vec<libc::iovec>,
    msg: libc::msghdr,
}

// SAFETY: the raw pointers inside (iovecs, msghdr) point only into this
// same value's owned buffers and iovec array.
unsafe impl Send for ReadVec {}

impl ReadVec {
    pub(crate) fn new(fd: RawFd, bufs: Vec<Vec<u8>>, socket: bool, pollable: bool) -> Self {
        ReadVec {
            fd,
            bufs,
            socket,
            offset: u64::MAX,
            pollable,
            iovs: Vec::new(),
            msg: empty_msghdr(),
        }
    }

    fn fill(&mut self) {
        self.iovs.clear();
        for b in &mut self.bufs {
            let (len, cap) = (b.len(), b.capacity());
            if cap == len {
                continue;
            }
            // SAFETY: pointer arithmetic within the allocation (len <= capacity).
            let ptr = unsafe { b.as_mut_ptr().add(len) };
            self.iovs.push(libc::iovec {
                iov_base: ptr.cast(),
                iov_len: cap - len,
            });
            if self.iovs.len() == MAX_IOVS {
                break;
            }
        }
        self.msg.msg_iov = self.iovs.as_mut_ptr();
        self.msg.msg_iovlen = self.iovs.len() as _;
    }
}

impl OpKind for ReadVec {
    type Output = (io::Result<usize>, Vec<Vec<u8>>);
    const NAME: &'static str = "readv";

    fn uring_entry(&mut self) -> squeue::Entry {
        self.fill();
        if self.socket {
            opcode::RecvMsg::new(types::Fd(self.fd), &mut self.msg).build()
        } else {
            opcode::Readv::new(
                types::Fd(self.fd),
                self.iovs.as_ptr(),
                self.iovs.len() as u32,
            )
            .offset(self.offset)
            .build()
        }
    }

    fn syscall(&mut self) -> io::Result<i32> {
        self.fill();
        let (iov, n) = (self.iovs.as_ptr(), self.iovs.len() as libc::c_int);
        // SAFETY: the iovecs and msghdr point into spare capacity owned by this op.
        let r = unsafe {
            if self.socket {
                libc::recvmsg(self.fd, &mut self.msg, libc::MSG_DONTWAIT)
            } else if self.offset == u64::MAX {
                libc::readv(self.fd, iov, n)
            } else {
                libc::preadv(self.fd, iov, n, self.offset as libc::off_t)
            }
        };
        cvt(r)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        self.pollable.then_some((self.fd, Interest::Read))
    }

    fn complete(mut self, res: io::Result<i32>) -> Self::Output {
        if let Ok(n) = res {
            let mut left = n as usize;
            for b in &mut self.bufs {
                let take = left.min(b.capacity() - b.len());
                // SAFETY: the kernel wrote `take` bytes into this buffer's
                // spare capacity (iovecs are filled in buffer order).
                unsafe { b.set_len(b.len() + take) };
                left -= take;
            }
        }
        (res.map(|n| n as usize), self.bufs)
    }
}
