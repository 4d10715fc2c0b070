//! Anonymous pipes and the standard streams, on the same fd engine as
//! sockets (read/write ops; readiness under epoll).
//!
//! Invariant: pipe ends are O_NONBLOCK exactly when the creating worker
//! runs epoll. The standard streams are duplicated (closing a handle never
//! closes fd 0/1/2); under epoll stdin reads and stdout/stderr writes go
//! to the blocking pool, since making a shared terminal non-blocking would
//! affect other processes. `StdStream::try_write` never blocks the thread.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use parking_lot::Mutex;

use crate::driver::op::op_error;
use crate::io::fd::{on_epoll, FdKind, IoFd};
use crate::io::sys;

/// Creates a pipe: (reader, writer).
pub fn pipe() -> io::Result<(PipeReader, PipeWriter)> {
    let (r, w) = sys::pipe(on_epoll())?;
    Ok((PipeReader::from_fd(r), PipeWriter::from_fd(w)))
}

/// A blocking descriptor of a pipe end, for a child process's stdio.
/// Under epoll our end is non-blocking, and a `dup` would share that flag
/// (it lives in the open file description), so the pipe is reopened
/// through /proc/self/fd instead, which makes a new description.
fn blocking_copy(io: &IoFd, write: bool) -> io::Result<OwnedFd> {
    if !sys::is_nonblocking(io.raw())? {
        return io.borrow_fd().try_clone_to_owned();
    }
    // O_NONBLOCK on the open itself: opening a pipe's read side must not
    // wait for a writer.
    let f = std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(libc::O_NONBLOCK)
        .open(format!("/proc/self/fd/{}", io.raw()))?;
    let fd = OwnedFd::from(f);
    sys::set_nonblocking(fd.as_raw_fd(), false)?;
    Ok(fd)
}

/// The read end of a pipe.
pub struct PipeReader {
    io: IoFd,
}

/// The write end of a pipe. Dropping it signals end of stream.
pub struct PipeWriter {
    io: IoFd,
}

impl PipeReader {
    /// Wraps an owned read end (made non-blocking under epoll).
    pub fn from_fd(fd: OwnedFd) -> PipeReader {
        if on_epoll() {
            let _ = sys::set_nonblocking(fd.as_raw_fd(), true);
        }
        PipeReader {
            io: IoFd::new(fd, FdKind::Pipe),
        }
    }

    /// Reads some bytes; `Ok(0)` at end of stream.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_at(buf, u64::MAX).await
    }

    /// A blocking descriptor of this end for a child process's stdin.
    pub fn blocking_copy(&self) -> io::Result<OwnedFd> {
        blocking_copy(&self.io, false)
    }

    /// Fills `buf` completely.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Reads until end of stream.
    pub async fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.io.read_to_end(out, u64::MAX).await
    }

    /// Reads once into the spare capacity of several owned buffers (readv),
    /// filling them in order, and gives them back; `Ok(0)` at end of stream.
    pub async fn read_vectored_owned(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> (io::Result<usize>, Vec<Vec<u8>>) {
        self.io.read_vectored_owned(bufs).await
    }
}

impl PipeWriter {
    /// Wraps an owned write end (made non-blocking under epoll).
    pub fn from_fd(fd: OwnedFd) -> PipeWriter {
        if on_epoll() {
            let _ = sys::set_nonblocking(fd.as_raw_fd(), true);
        }
        PipeWriter {
            io: IoFd::new(fd, FdKind::Pipe),
        }
    }

    /// Writes some bytes.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_at(buf, u64::MAX).await
    }

    /// A blocking descriptor of this end for a child process's stdout/stderr.
    pub fn blocking_copy(&self) -> io::Result<OwnedFd> {
        blocking_copy(&self.io, true)
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Writes all of several owned buffers with writev (no copy) and gives
    /// them back.
    pub async fn write_all_vectored_owned(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> (io::Result<()>, Vec<Vec<u8>>) {
        self.io.write_all_vectored_owned(bufs).await
    }
}

impl AsRawFd for PipeReader {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

impl AsRawFd for PipeWriter {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

/// The process's standard input.
pub struct Stdin {
    io: IoFd,
}

/// Standard input (a duplicate of fd 0).
pub fn stdin() -> io::Result<Stdin> {
    Ok(Stdin {
        io: IoFd::new(sys::dup(0, "stdin")?, FdKind::Pipe),
    })
}

impl Stdin {
    /// Reads some bytes; `Ok(0)` at end of input.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if !on_epoll() {
            return self.io.read_at(buf, u64::MAX).await;
        }
        let fd = sys::dup(self.io.raw(), "stdin")?;
        let cap = buf.len();
        let data = crate::runtime::spawn_blocking(move || sys::read_blocking(fd.as_raw_fd(), cap))
            .await??;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }
}

/// Standard output or error.
pub struct StdStream {
    io: IoFd,
    /// How `try_write` avoids waiting, learned from the fd's type.
    nowait: Mutex<sys::NoWait>,
}

fn std_stream(fd: RawFd, what: &str) -> io::Result<StdStream> {
    let io = IoFd::new(sys::dup(fd, what)?, FdKind::File);
    let nowait = Mutex::new(sys::nowait_kind(io.raw())?);
    Ok(StdStream { io, nowait })
}

/// Standard output (a duplicate of fd 1).
pub fn stdout() -> io::Result<StdStream> {
    std_stream(1, "stdout")
}

/// Standard error (a duplicate of fd 2).
pub fn stderr() -> io::Result<StdStream> {
    std_stream(2, "stderr")
}

impl StdStream {
    /// Writes all of `buf`. Under epoll the write goes to the blocking pool
    /// (the fd is shared and stays blocking, as stdin's does).
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        if !on_epoll() {
            return self.io.write_all(buf).await;
        }
        let mut f = std::fs::File::from(sys::dup(self.io.raw(), "stdout")?);
        let data = buf.to_vec();
        crate::runtime::spawn_blocking(move || io::Write::write_all(&mut f, &data))
            .await?
            .map_err(|e| op_error("write", e))
    }

    /// Writes what fits now without ever blocking the thread: the count
    /// (maybe short), or an error of kind `WouldBlock` when nothing fits.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut how = self.nowait.lock();
        sys::write_nowait(self.io.raw(), buf, &mut how)
    }
}

impl AsFd for PipeReader {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl AsFd for PipeWriter {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl AsFd for Stdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl AsFd for StdStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}
