//! Unix-domain stream sockets: `UnixListener` and `UnixStream`, on the same
//! ops as TCP (accept, connect, recv/send, shutdown). A path starting with
//! a NUL byte names an abstract socket. Addresses come back as path bytes.
//!
//! Invariant: as for TCP, blocking-mode under io_uring, O_NONBLOCK under epoll.

use std::io;
use std::net::Shutdown as HowShutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

use crate::driver::op::Op;
use crate::io::fd::{on_epoll, FdKind, IoFd};
use crate::io::sock_ops::{Accept, Connect, Shutdown};
use crate::io::sys::{self, RawAddr};

/// A Unix-domain socket listening for connections.
pub struct UnixListener {
    io: IoFd,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and listens.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM, on_epoll())?;
        sys::bind(fd.as_raw_fd(), &RawAddr::from_path(path.as_ref())?)?;
        sys::listen(fd.as_raw_fd(), 1024)?;
        Ok(UnixListener {
            io: IoFd::new(fd, FdKind::Socket),
        })
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<UnixStream> {
        let flags = if on_epoll() { libc::SOCK_NONBLOCK } else { 0 };
        let (fd, _) = Op::new(Accept {
            fd: self.io.raw(),
            addr: RawAddr::empty(),
            flags,
        })
        .await?;
        Ok(UnixStream::from_fd(fd))
    }

    /// The bound path (leading NUL for an abstract socket).
    pub fn local_path(&self) -> io::Result<Vec<u8>> {
        sys::local_addr(self.io.raw())?.unix_path()
    }
}

/// A connected Unix-domain stream socket.
pub struct UnixStream {
    io: IoFd,
}

impl UnixStream {
    fn from_fd(fd: OwnedFd) -> UnixStream {
        UnixStream {
            io: IoFd::stream(fd),
        }
    }

    /// Connects to the socket at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = RawAddr::from_path(path.as_ref())?;
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM, on_epoll())?;
        Op::new(Connect {
            fd: fd.as_raw_fd(),
            addr,
            started: false,
        })
        .await?;
        Ok(UnixStream::from_fd(fd))
    }

    /// A connected pair.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::socketpair(on_epoll())?;
        Ok((UnixStream::from_fd(a), UnixStream::from_fd(b)))
    }

    /// Reads some bytes; `Ok(0)` at end of stream.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_at(buf, u64::MAX).await
    }

    /// Fills `buf` completely.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Writes some bytes.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_at(buf, u64::MAX).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Shuts down the write side.
    pub async fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(HowShutdown::Write).await
    }

    /// Shuts down reading, writing or both.
    pub async fn shutdown(&self, how: HowShutdown) -> io::Result<()> {
        let how = match how {
            HowShutdown::Read => libc::SHUT_RD,
            HowShutdown::Write => libc::SHUT_WR,
            HowShutdown::Both => libc::SHUT_RDWR,
        };
        Op::new(Shutdown {
            fd: self.io.raw(),
            how,
        })
        .await
    }

    /// Reads into an owned buffer's spare capacity and gives it back.
    pub async fn read_owned(&self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        self.io.read_owned_at(buf, u64::MAX).await
    }

    /// Reads until the peer closes.
    pub async fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.io.read_to_end(out, u64::MAX).await
    }

    /// Writes all of an owned buffer and gives it back (no copy).
    pub async fn write_all_owned(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        self.io.write_all_owned(buf).await
    }

    /// The local path (empty when unnamed, as a connecting end usually is).
    pub fn local_path(&self) -> io::Result<Vec<u8>> {
        sys::local_addr(self.io.raw())?.unix_path()
    }

    /// The peer's path.
    pub fn peer_path(&self) -> io::Result<Vec<u8>> {
        sys::peer_addr(self.io.raw())?.unix_path()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl std::fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.io.raw())
            .finish()
    }
}

impl std::fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.io.raw())
            .finish()
    }
}
