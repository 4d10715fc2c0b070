//! `IoFd`: an owned descriptor with completion-based read and write, the
//! shared engine behind TcpStream, UnixStream, pipes, stdio and File.
//!
//! Every read/write runs as an `Op` that owns a heap buffer; data is copied
//! between that buffer and the caller's slice, so a caller's future can be
//! dropped at any point without the kernel ever touching freed memory. A
//! small per-direction buffer cache makes the steady state allocation-free.
//!
//! Socket reads carry a `ReadHint` from the previous read on the same fd
//! (full buffer: try a direct recv first; short: poll-first recv), kept with
//! the cached read buffer.
//!
//! Invariants: a cached buffer is only ever one the op handed back, i.e. no
//! longer known to the kernel; a read asks for at most the caller's slice
//! length, even when the cached buffer is larger.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use parking_lot::Mutex;

use super::buf_ops::{ReadBuf, ReadHint, WriteBuf};
use super::vec_ops::{ReadVec, WriteVec};
use crate::driver::op::Op;
use crate::sched::context;
use crate::stats::bump;

/// How reads and writes on an fd are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FdKind {
    /// recv/send; readiness-driven under epoll.
    Socket,
    /// read/write at the current position; readiness-driven under epoll.
    Pipe,
    /// read/write at explicit offsets; never waits for readiness.
    File,
}

const MAX_IO: usize = 1 << 20;

/// An fd plus its I/O engine.
pub(crate) struct IoFd {
    /// Always `Some` until `drop` hands it to the ring or closes it.
    fd: Option<OwnedFd>,
    raw: RawFd,
    /// Whether dropping closes through the ring (connected streams only).
    ring_close: bool,
    kind: FdKind,
    /// The cached read buffer and what the last `read_at` left as a hint.
    rbuf: Mutex<(Option<Vec<u8>>, ReadHint)>,
    wbuf: Mutex<Option<Vec<u8>>>,
}

/// True when the current worker runs the epoll driver.
pub(crate) fn on_epoll() -> bool {
    context::with_worker(|w| w.is_some_and(|w| !w.driver_is_uring()))
}

impl IoFd {
    pub(crate) fn new(fd: OwnedFd, kind: FdKind) -> IoFd {
        IoFd {
            raw: fd.as_raw_fd(),
            fd: Some(fd),
            ring_close: false,
            kind,
            rbuf: Mutex::new((None, ReadHint::Unknown)),
            wbuf: Mutex::new(None),
        }
    }

    /// A connected stream: closed through the ring when dropped on a uring
    /// worker. Not for listeners or files, whose close other code may
    /// observe at once (a rebind of the port, a reopen of the path).
    pub(crate) fn stream(fd: OwnedFd) -> IoFd {
        let mut io = IoFd::new(fd, FdKind::Socket);
        io.ring_close = true;
        io
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.raw
    }

    /// The descriptor, borrowed (for duplicating it, e.g. as a child's stdio).
    pub(crate) fn borrow_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_ref().expect("fd is open until drop").as_fd()
    }

    fn take_buf(slot: &mut Option<Vec<u8>>, cap: usize) -> Vec<u8> {
        match slot.take() {
            Some(mut b) if b.capacity() >= cap => {
                b.clear();
                b
            }
            _ => Vec::with_capacity(cap),
        }
    }

    /// A read into `buf`'s spare capacity, at most `max` bytes.
    fn read_op(&self, buf: Vec<u8>, offset: u64, hint: ReadHint, max: usize) -> Op<ReadBuf> {
        Op::new(ReadBuf {
            max,
            fd: self.raw(),
            buf,
            socket: self.kind == FdKind::Socket,
            offset,
            pollable: self.kind != FdKind::File,
            hint,
        })
    }

    fn write_op(&self, buf: Vec<u8>, offset: u64) -> Op<WriteBuf> {
        Op::new(WriteBuf {
            fd: self.raw(),
            buf,
            pos: 0,
            socket: self.kind == FdKind::Socket,
            offset,
            pollable: self.kind != FdKind::File,
        })
    }

    /// Reads into `dst` at `offset` (`u64::MAX`: current position).
    pub(crate) async fn read_at(&self, dst: &mut [u8], offset: u64) -> io::Result<usize> {
        if dst.is_empty() {
            return Ok(0);
        }
        let cap = dst.len().min(MAX_IO);
        let (buf, hint) = {
            let mut slot = self.rbuf.lock();
            (Self::take_buf(&mut slot.0, cap), slot.1)
        };
        let (res, mut buf) = self.read_op(buf, offset, hint, cap).await;
        if let Ok(n) = res {
            dst[..n].copy_from_slice(&buf[..n]);
        }
        buf.clear();
        *self.rbuf.lock() = (Some(buf), ReadHint::after(&res, cap));
        res
    }

    /// Reads into the spare capacity of an owned buffer.
    pub(crate) async fn read_owned_at(
        &self,
        buf: Vec<u8>,
        offset: u64,
    ) -> (io::Result<usize>, Vec<u8>) {
        self.read_op(buf, offset, ReadHint::Unknown, usize::MAX)
            .await
    }

    /// Writes from `src` at `offset` (`u64::MAX`: current position).
    pub(crate) async fn write_at(&self, src: &[u8], offset: u64) -> io::Result<usize> {
        if src.is_empty() {
            return Ok(0);
        }
        let n = src.len().min(MAX_IO);
        let mut buf = Self::take_buf(&mut self.wbuf.lock(), n);
        buf.extend_from_slice(&src[..n]);
        let (res, buf) = self.write_op(buf, offset).await;
        *self.wbuf.lock() = Some(buf);
        res
    }

    /// Writes all of an owned buffer, giving it back.
    pub(crate) async fn write_all_owned(&self, mut buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        let mut pos = 0;
        while pos < buf.len() {
            let op = Op::new(WriteBuf {
                fd: self.raw(),
                buf,
                pos,
                socket: self.kind == FdKind::Socket,
                offset: u64::MAX,
                pollable: self.kind != FdKind::File,
            });
            let (res, b) = op.await;
            buf = b;
            match res {
                Ok(0) => {
                    return (
                        Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            "write_all: wrote zero bytes",
                        )),
                        buf,
                    )
                }
                Ok(n) => pos += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Writes all of a list of owned buffers with vectored calls (writev,
    /// sendmsg on sockets), no copy, and gives them back.
    pub(crate) async fn write_all_vectored_owned(
        &self,
        mut bufs: Vec<Vec<u8>>,
    ) -> (io::Result<()>, Vec<Vec<u8>>) {
        let total: usize = bufs.iter().map(Vec::len).sum();
        let mut done = 0;
        while done < total {
            let op = Op::new(WriteVec::new(
                self.raw(),
                bufs,
                done,
                self.kind == FdKind::Socket,
                self.kind != FdKind::File,
            ));
            let (res, b) = op.await;
            bufs = b;
            match res {
                Ok(0) => {
                    return (
                        Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            "writev: wrote zero bytes",
                        )),
                        bufs,
                    )
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), bufs),
            }
        }
        (Ok(()), bufs)
    }

    /// Writes all of `srcs`: gathered into one owned buffer (the cached
    /// write buffer), so a message made of parts goes out in one call.
    pub(crate) async fn write_all_vectored(&self, srcs: &[io::IoSlice<'_>]) -> io::Result<()> {
        let total: usize = srcs.iter().map(|s| s.len()).sum();
        let mut buf = Self::take_buf(&mut self.wbuf.lock(), total);
        for s in srcs {
            buf.extend_from_slice(s);
        }
        let (res, buf) = self.write_all_owned(buf).await;
        *self.wbuf.lock() = Some(buf);
        res
    }

    /// Reads once into the spare capacity of `bufs`, in order (readv,
    /// recvmsg on sockets); `Ok(0)` at end of stream.
    pub(crate) async fn read_vectored_owned(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> (io::Result<usize>, Vec<Vec<u8>>) {
        Op::new(ReadVec::new(
            self.raw(),
            bufs,
            self.kind == FdKind::Socket,
            self.kind != FdKind::File,
        ))
        .await
    }

    pub(crate) async fn write_all(&self, mut src: &[u8]) -> io::Result<()> {
        while !src.is_empty() {
            match self.write_at(src, u64::MAX).await {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "write_all: wrote zero bytes",
                    ))
                }
                Ok(n) => src = &src[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(crate) async fn read_exact(&self, mut dst: &mut [u8]) -> io::Result<()> {
        while !dst.is_empty() {
            match self.read_at(dst, u64::MAX).await {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "read_exact: early end of stream",
                    ))
                }
                Ok(n) => dst = &mut dst[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads until end of stream, appending to `out`.
    pub(crate) async fn read_to_end(
        &self,
        out: &mut Vec<u8>,
        mut offset: u64,
    ) -> io::Result<usize> {
        let start = out.len();
        loop {
            out.reserve(if out.capacity() - out.len() < 4096 {
                16 * 1024
            } else {
                0
            });
            let buf = std::mem::take(out);
            let (res, buf) = self
                .read_op(buf, offset, ReadHint::Unknown, usize::MAX)
                .await;
            *out = buf;
            match res {
                Ok(0) => return Ok(out.len() - start),
                Ok(n) => {
                    if offset != u64::MAX {
                        offset += n as u64;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// A stream dropped on a uring worker is closed through the ring (one SQE
/// batched with the next submit instead of a close syscall; the peer sees
/// the close at the worker's next reap or park); everything else, or a
/// close the ring refuses, is closed here.
impl Drop for IoFd {
    fn drop(&mut self) {
        let raw = self.raw();
        let ring_close = self.ring_close;
        let Some(mut fd) = self.fd.take() else {
            return;
        };
        context::with_worker(|w| {
            if let Some(w) = w {
                if let Ok(mut d) = w.driver.try_borrow_mut() {
                    d.deregister(raw);
                    if ring_close {
                        match d.close(fd) {
                            Ok(()) => {
                                // Counted here, not at the next reap: the
                                // peer may see the close before then.
                                bump(&w.remote.counters.ring_closes);
                                return;
                            }
                            Err(back) => fd = back,
                        }
                    }
                }
            }
            drop(fd);
        });
    }
}
