//! Byte-moving ops that own their buffers: recv/send on sockets,
//! read/write at an offset on files and pipes, sendmsg/recvmsg for
//! datagrams. Each op keeps its `Vec<u8>` (and any address or msghdr) inside
//! itself, so the `Op` protocol (driver::op) keeps them alive until the
//! kernel is done with them, and hands them back with the result.
//!
//! Socket reads on io_uring follow a `ReadHint` from the previous read:
//! after a full buffer a direct `recv(MSG_DONTWAIT)` comes first (data is
//! probably waiting; no ring round trip); after a short read the ring recv
//! carries `IORING_RECVSEND_POLL_FIRST` (the socket is probably drained, so
//! the kernel skips its doomed first attempt and arms the poll at once).
//!
//! Invariant: the length a buffer reports is set only from a completed
//! op's byte count, and never beyond its capacity.

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types};

use super::sys::{cvt, RawAddr};
use crate::driver::op::{Interest, OpKind};

/// Whether socket writes try `send(MSG_DONTWAIT)` before going to the ring.
pub(crate) const TRY_WRITE_FIRST: bool = true;

/// Marks `n` freshly written bytes of `buf`'s spare capacity as initialised.
fn commit(buf: &mut Vec<u8>, n: usize) {
    let n = n.min(buf.capacity() - buf.len());
    // SAFETY: the kernel (or the syscall) wrote `n` bytes starting at the
    // buffer's current length, within its capacity.
    unsafe { buf.set_len(buf.len() + n) };
}

fn spare(buf: &mut Vec<u8>) -> (*mut u8, usize) {
    let len = buf.len();
    // SAFETY: pointer arithmetic within the allocation (len <= capacity).
    (unsafe { buf.as_mut_ptr().add(len) }, buf.capacity() - len)
}

/// Reads into `buf`'s spare capacity (socket: recv; otherwise read at offset).
pub(crate) struct ReadBuf {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    /// Socket (recv with MSG_DONTWAIT under epoll) or file/pipe (read).
    pub(crate) socket: bool,
    /// File offset; `u64::MAX` means the current position.
    pub(crate) offset: u64,
    /// Whether readiness applies (sockets, pipes) or the call never blocks (files).
    pub(crate) pollable: bool,
    /// What the previous read on this fd suggests (socket recv on io_uring).
    pub(crate) hint: ReadHint,
    /// At most this many bytes are read, however large the spare capacity
    /// (a cached buffer may be larger than the caller's slice).
    pub(crate) max: usize,
}

/// What the previous read on an fd says about the next one. Request and
/// response traffic (echo, RPC) mostly reads a drained socket; bulk
/// transfers mostly find more data waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadHint {
    /// No history: plain ring recv.
    Unknown,
    /// The last read filled a whole buffer of at least `FULL_READ_MIN`
    /// bytes, so more data is likely queued: try `recv(MSG_DONTWAIT)`
    /// directly first (when the worker has nothing else queued), saving a
    /// ring round trip. (A small read that came back exact, such as a
    /// fixed-size message, says nothing about what follows.)
    Full,
    /// The last read came back short, so the socket is likely drained:
    /// submit with `IORING_RECVSEND_POLL_FIRST`, so the kernel arms its
    /// poll at once instead of first trying a recv that would fail.
    Drained,
}

impl ReadHint {
    /// The hint left by a read of `res` into a buffer of `cap` bytes.
    pub(crate) fn after(res: &io::Result<usize>, cap: usize) -> ReadHint {
        match res {
            Ok(n) if *n >= cap && cap >= FULL_READ_MIN => ReadHint::Full,
            Ok(n) if *n >= cap => ReadHint::Unknown,
            Ok(_) => ReadHint::Drained,
            Err(_) => ReadHint::Unknown,
        }
    }
}

/// Smallest buffer whose filling suggests more data is waiting.
const FULL_READ_MIN: usize = 2048;

/// `IORING_RECVSEND_POLL_FIRST` (kernel >= 5.19; only set where probed).
const RECV_POLL_FIRST: u16 = 1;

impl OpKind for ReadBuf {
    type Output = (io::Result<usize>, Vec<u8>);
    const NAME: &'static str = "read";

    fn try_first(&self) -> bool {
        self.socket && self.hint == ReadHint::Full
    }

    fn uring_entry(&mut self) -> squeue::Entry {
        let (ptr, cap) = spare(&mut self.buf);
        let cap = cap.min(self.max);
        if self.socket {
            let prio = if self.hint == ReadHint::Drained
                && crate::driver::uring::recv_poll_first_supported()
            {
                RECV_POLL_FIRST
            } else {
                0
            };
            opcode::Recv::new(types::Fd(self.fd), ptr, cap as u32)
                .ioprio(prio)
                .build()
        } else {
            opcode::Read::new(types::Fd(self.fd), ptr, cap as u32)
                .offset(self.offset)
                .build()
        }
    }

    fn syscall(&mut self) -> io::Result<i32> {
        let (ptr, cap) = spare(&mut self.buf);
        let cap = cap.min(self.max);
        // SAFETY: `ptr` points to `cap` writable bytes owned by this op.
        let r = unsafe {
            if self.socket {
                libc::recv(self.fd, ptr.cast(), cap, libc::MSG_DONTWAIT)
            } else if self.offset == u64::MAX {
                libc::read(self.fd, ptr.cast(), cap)
            } else {
                libc::pread(self.fd, ptr.cast(), cap, self.offset as libc::off_t)
            }
        };
        cvt(r)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        self.pollable.then_some((self.fd, Interest::Read))
    }

    fn complete(mut self, res: io::Result<i32>) -> Self::Output {
        match res {
            Ok(n) => {
                commit(&mut self.buf, n as usize);
                (Ok(n as usize), self.buf)
            }
            Err(e) => (Err(e), self.buf),
        }
    }
}

/// Writes `buf[pos..]` (socket: send; otherwise write at offset).
pub(crate) struct WriteBuf {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    pub(crate) pos: usize,
    pub(crate) socket: bool,
    pub(crate) offset: u64,
    pub(crate) pollable: bool,
}

impl OpKind for WriteBuf {
    type Output = (io::Result<usize>, Vec<u8>);
    const NAME: &'static str = "write";

    fn try_first(&self) -> bool {
        self.socket && TRY_WRITE_FIRST
    }

    fn offload(&self) -> bool {
        self.socket
    }

    fn uring_entry(&mut self) -> squeue::Entry {
        let data = &self.buf[self.pos..];
        if self.socket {
            opcode::Send::new(types::Fd(self.fd), data.as_ptr(), data.len() as u32)
                .flags(libc::MSG_NOSIGNAL)
                .build()
        } else {
            opcode::Write::new(types::Fd(self.fd), data.as_ptr(), data.len() as u32)
                .offset(self.offset)
                .build()
        }
    }

    fn syscall(&mut self) -> io::Result<i32> {
        let data = &self.buf[self.pos..];
        // SAFETY: `data` is a live slice owned by this op.
        let r = unsafe {
            if self.socket {
                libc::send(
                    self.fd,
                    data.as_ptr().cast(),
                    data.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            } else if self.offset == u64::MAX {
                libc::write(self.fd, data.as_ptr().cast(), data.len())
            } else {
                libc::pwrite(
                    self.fd,
                    data.as_ptr().cast(),
                    data.len(),
                    self.offset as libc::off_t,
                )
            }
        };
        cvt(r)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        self.pollable.then_some((self.fd, Interest::Write))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// sendmsg of one buffer to one address (datagrams).
pub(crate) struct SendTo {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    pub(crate) addr: RawAddr,
    iov: libc::iovec,
    msg: libc::msghdr,
}

impl SendTo {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>, addr: RawAddr) -> Self {
        // SAFETY: msghdr is plain old data; zeroed is a valid empty header.
        let msg = unsafe { std::mem::zeroed() };
        SendTo {
            fd,
            buf,
            addr,
            iov: libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            },
            msg,
        }
    }

    fn fill(&mut self) {
        self.iov = libc::iovec {
            iov_base: self.buf.as_mut_ptr().cast(),
            iov_len: self.buf.len(),
        };
        self.msg.msg_name = self.addr.as_mut_ptr().cast();
        self.msg.msg_namelen = self.addr.len;
        self.msg.msg_iov = &mut self.iov;
        self.msg.msg_iovlen = 1;
    }
}

// SAFETY: the raw pointers inside point into this same value's owned data.
unsafe impl Send for SendTo {}

impl OpKind for SendTo {
    type Output = (io::Result<usize>, Vec<u8>);
    const NAME: &'static str = "send_to";

    fn uring_entry(&mut self) -> squeue::Entry {
        self.fill();
        opcode::SendMsg::new(types::Fd(self.fd), &self.msg).build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        self.fill();
        // SAFETY: the msghdr points into buffers owned by this op.
        cvt(unsafe { libc::sendmsg(self.fd, &self.msg, libc::MSG_DONTWAIT) })
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.fd, Interest::Write))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// recvmsg of one datagram into a buffer, with the sender's address.
pub(crate) struct RecvFrom {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    pub(crate) addr: RawAddr,
    iov: libc::iovec,
    msg: libc::msghdr,
}

// SAFETY: the raw pointers inside point into this same value's owned data.
unsafe impl Send for RecvFrom {}

impl RecvFrom {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>) -> Self {
        // SAFETY: msghdr is plain old data; zeroed is a valid empty header.
        let msg = unsafe { std::mem::zeroed() };
        RecvFrom {
            fd,
            buf,
            addr: RawAddr::empty(),
            iov: libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            },
            msg,
        }
    }

    fn fill(&mut self) {
        let (ptr, cap) = spare(&mut self.buf);
        self.iov = libc::iovec {
            iov_base: ptr.cast(),
            iov_len: cap,
        };
        self.msg.msg_name = self.addr.as_mut_ptr().cast();
        self.msg.msg_namelen = self.addr.len;
        self.msg.msg_iov = &mut self.iov;
        self.msg.msg_iovlen = 1;
    }
}

impl OpKind for RecvFrom {
    type Output = (io::Result<(usize, RawAddr)>, Vec<u8>);
    const NAME: &'static str = "recv_from";

    fn uring_entry(&mut self) -> squeue::Entry {
        self.fill();
        opcode::RecvMsg::new(types::Fd(self.fd), &mut self.msg).build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        self.fill();
        // SAFETY: the msghdr points into buffers owned by this op.
        cvt(unsafe { libc::recvmsg(self.fd, &mut self.msg, libc::MSG_DONTWAIT) })
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.fd, Interest::Read))
    }

    fn complete(mut self, res: io::Result<i32>) -> Self::Output {
        match res {
            Ok(n) => {
                commit(&mut self.buf, n as usize);
                self.addr.len = self.msg.msg_namelen;
                (Ok((n as usize, self.addr)), self.buf)
            }
            Err(e) => (Err(e), self.buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_hint_follows_the_last_read() {
        assert_eq!(ReadHint::after(&Ok(4096), 4096), ReadHint::Full);
        assert_eq!(ReadHint::after(&Ok(100), 4096), ReadHint::Drained);
        assert_eq!(ReadHint::after(&Ok(0), 4096), ReadHint::Drained);
        // An exact small read says nothing about what follows.
        assert_eq!(ReadHint::after(&Ok(100), 100), ReadHint::Unknown);
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(ReadHint::after(&Err(e), 4096), ReadHint::Unknown);
    }
}
