//! Streams over plain descriptors: pipe ends (`os/pipe`, a subprocess's
//! stdio), files opened with `os/open`, and the process's standard streams
//! used with `ev/read`/`ev/write`. Sockets live in `corelib/net.rs`.
//!
//! Invariants:
//! - Each direction is a `Turnstile`: one read and one write in flight at
//!   most, served in arrival order, each completing whole before the next
//!   starts (api.md §4), also across isolates sharing the `Arc`.
//! - Files read and write at the kernel's file position, so the offset
//!   advances like a plain `read`/`write` and a `ev/to-file` duplicate sees
//!   the same position.

use super::turnstile::Turnstile;
use spindle_rt::fs::File;
use spindle_rt::pipe::{PipeReader, PipeWriter, StdStream, Stdin};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock};

/// The descriptor a stream owns.
pub enum End {
    Reader(PipeReader),
    Writer(PipeWriter),
    File(File),
    Stdin(Stdin),
    /// Standard output or error.
    /// stdout or stderr (`true`); writes go through the print family's
    /// sink (`corelib/stdout.rs`), so they keep its order.
    StdOut(StdStream, bool),
}

/// How much one read asks for.
#[derive(Debug, Clone, Copy)]
pub enum Want {
    /// At most n bytes from one successful read (`ev/read`).
    Some(usize),
    /// Exactly n bytes unless EOF comes first (`ev/chunk`).
    Exactly(usize),
    /// Everything up to EOF (`:all`).
    All,
}

/// What a read produced: the bytes, and the error that stopped it (if any).
pub type ReadOutcome = (Vec<u8>, Option<io::Error>);

/// The bytes a read has received so far, shared with whoever must keep
/// them if the read is cancelled before it completes (api.md §4: "bytes it
/// had already read stay in its buffer").
pub type Partial = Arc<Mutex<Vec<u8>>>;

/// Appends `bytes` to a partial read.
pub fn keep(p: &Partial, bytes: &[u8]) {
    p.lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend_from_slice(bytes);
}

/// Takes the bytes out of a partial read.
pub fn take(p: &Partial) -> Vec<u8> {
    std::mem::take(&mut *p.lock().unwrap_or_else(|e| e.into_inner()))
}

/// A descriptor stream with one FIFO per direction.
pub struct FdStream {
    end: End,
    reads: Turnstile,
    writes: Turnstile,
}

impl std::fmt::Debug for FdStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.end {
            End::Reader(_) => "pipe reader",
            End::Writer(_) => "pipe writer",
            End::File(_) => "file",
            End::Stdin(_) => "stdin",
            End::StdOut(..) => "stdout",
        };
        write!(f, "FdStream({what})")
    }
}

const READ_ALL_STEP: usize = 64 * 1024;

impl FdStream {
    /// A stream around `end`.
    pub fn new(end: End) -> Arc<FdStream> {
        Arc::new(FdStream {
            end,
            reads: Turnstile::default(),
            writes: Turnstile::default(),
        })
    }

    /// True if reads make sense on this end.
    pub fn readable(&self) -> bool {
        matches!(self.end, End::Reader(_) | End::File(_) | End::Stdin(_))
    }

    /// True if writes make sense on this end.
    pub fn writable(&self) -> bool {
        matches!(self.end, End::Writer(_) | End::File(_) | End::StdOut(..))
    }

    /// One read of at most `buf.len()` bytes; `Ok(0)` at EOF.
    async fn read_some(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.end {
            End::Reader(p) => p.read(buf).await,
            End::File(f) => f.read(buf).await,
            End::Stdin(s) => s.read(buf).await,
            End::Writer(_) | End::StdOut(..) => Err(io::Error::other("stream is not readable")),
        }
    }

    /// Reads as `want` says, after the reads queued before it.
    pub async fn read(&self, want: Want) -> ReadOutcome {
        let sink = Partial::default();
        let err = self.read_into(want, &sink).await;
        (take(&sink), err)
    }

    /// Like `read`, but each piece goes into `sink` as it arrives, so a
    /// cancelled read leaves what it got there. Returns the error that
    /// stopped it, if any.
    pub async fn read_into(&self, want: Want, sink: &Partial) -> Option<io::Error> {
        let _turn = self.reads.turn().await;
        let (limit, exact) = match want {
            Want::Some(n) => (n, false),
            Want::Exactly(n) => (n, true),
            Want::All => (usize::MAX, true),
        };
        let mut got = 0;
        let mut room = Vec::new();
        while got < limit {
            let step = (limit - got).min(READ_ALL_STEP);
            room.resize(step, 0);
            match self.read_some(&mut room).await {
                Ok(0) => break,
                Ok(n) => {
                    keep(sink, &room[..n]);
                    got += n;
                }
                Err(e) => return Some(e),
            }
            if !exact {
                break;
            }
        }
        None
    }

    /// Writes all of `data`, after the writes queued before it.
    pub async fn write_all(&self, data: Vec<u8>) -> io::Result<()> {
        let _turn = self.writes.turn().await;
        match &self.end {
            End::Writer(p) => p.write_all(&data).await,
            End::File(f) => f.write_all(&data).await,
            End::StdOut(_, err) => crate::corelib::stdout::write_in_order(*err, data).await,
            End::Reader(_) | End::Stdin(_) => Err(io::Error::other("stream is not writable")),
        }
    }

    /// A duplicate of the descriptor (close-on-exec), e.g. for a child's
    /// stdio or `ev/to-file`.
    pub fn dup(&self) -> io::Result<OwnedFd> {
        self.borrow().try_clone_to_owned()
    }

    /// A descriptor for a child process's stdio: like `dup`, but a pipe end
    /// that is non-blocking on our side (epoll) comes out blocking.
    pub fn child_fd(&self) -> io::Result<OwnedFd> {
        match &self.end {
            End::Reader(p) => p.blocking_copy(),
            End::Writer(p) => p.blocking_copy(),
            _ => self.dup(),
        }
    }

    fn borrow(&self) -> BorrowedFd<'_> {
        match &self.end {
            End::Reader(p) => p.as_fd(),
            End::Writer(p) => p.as_fd(),
            End::File(f) => f.as_fd(),
            End::Stdin(s) => s.as_fd(),
            End::StdOut(s, _) => s.as_fd(),
        }
    }
}

/// Which standard stream.
#[derive(Debug, Clone, Copy)]
pub enum Std {
    In,
    Out,
    Err,
}

/// The process-wide stream for a standard descriptor, made on first use and
/// shared by every isolate, so their operations share one FIFO.
pub fn standard(which: Std) -> io::Result<Arc<FdStream>> {
    static STREAMS: [OnceLock<Arc<FdStream>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (slot, make): (usize, fn() -> io::Result<End>) = match which {
        Std::In => (0, || Ok(End::Stdin(spindle_rt::pipe::stdin()?))),
        Std::Out => (1, || Ok(End::StdOut(spindle_rt::pipe::stdout()?, false))),
        Std::Err => (2, || Ok(End::StdOut(spindle_rt::pipe::stderr()?, true))),
    };
    if let Some(s) = STREAMS[slot].get() {
        return Ok(s.clone());
    }
    let s = FdStream::new(make()?);
    Ok(STREAMS[slot].get_or_init(|| s).clone())
}
