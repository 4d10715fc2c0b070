//! `DiskFile`: what a `core/file` on a descriptor holds (a file from
//! `file/open` or `file/temp`, an `ev/to-file` duplicate): a tracked
//! offset, read-ahead and a write buffer. Each operation runs either on the
//! ring (`Io::Ring`, inside the event loop: the caller's task parks; under
//! the epoll driver the syscalls go to the blocking pool instead) or as
//! plain blocking calls (`Io::Blocking`: no loop, e.g. the synchronous suite
//! runner). Both run the same async code; blocking primitives simply never
//! return `Pending`.
//!
//! Invariants:
//! - `pos` is the logical position: where the next read starts and where
//!   the next written byte goes. `ahead` holds the file's bytes at
//!   `[pos, pos + ahead.len())`; `wbuf` holds bytes for
//!   `[pos - wbuf.len(), pos)`. At most one of the two is non-empty.
//! - Operations that do I/O (reads, drains, `:end` seeks) take the file's
//!   turn, so they run one at a time in arrival order (api.md §4); the state
//!   mutex is never held across an await. Buffering a write and seeking
//!   need no turn: they bump `epoch`, and a read that sees the epoch move
//!   under it throws its bytes away and starts over.
//! - Seeking does no I/O: it drops the read-ahead and moves a non-empty
//!   write buffer to `pending` with its offset; the next drain writes it
//!   first. A positional drain cancelled mid-write puts its chunk back in
//!   `pending` (rewriting at the same offset is harmless); an append or
//!   pipe write cancelled mid-way is lost, since part of it may be out. A file dropped with bytes still buffered writes them then, with
//!   blocking calls (the garbage collector's finalizer has no task to park).
//! - Non-seekable descriptors (pipes, terminals) read and write at the
//!   kernel's position through rt pipe ends (readiness-driven under epoll,
//!   so a cancelled read consumes nothing); `pos` only counts bytes. In append mode the kernel
//!   puts every write at the end, and a drain re-reads the length for `pos`.

use super::turnstile::Turnstile;
use spindle_rt::fs::File as RingFile;
use spindle_rt::pipe::{PipeReader, PipeWriter};
use std::fs::File as StdFile;
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Buffered writes drain once this many bytes are waiting.
pub const WRITE_BUFFER: usize = 64 * 1024;
const READ_STEP: usize = 64 * 1024;
const READ_ALL_STEP: usize = 256 * 1024;

/// How an operation does its I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Io {
    /// Plain blocking system calls (no event loop).
    Blocking,
    /// Ops on the worker's ring; the future parks.
    Ring,
}

/// How one primitive runs: `Io::Ring` means the ring under io_uring and
/// the blocking pool under epoll.
enum Via {
    Inline,
    Pool,
    Ring,
}

fn via(io: Io) -> Via {
    match io {
        Io::Blocking => Via::Inline,
        Io::Ring if spindle_rt::current_driver() == Some(spindle_rt::IoDriver::Epoll) => Via::Pool,
        Io::Ring => Via::Ring,
    }
}

/// Runs an operation as `io` says: `blocking` inline or on the blocking
/// pool (epoll), else the `ring` future. Used by whole-file operations
/// (`slurp`, `spit`, opening) that have both forms.
pub async fn either<T: Send + 'static>(
    io: Io,
    blocking: impl FnOnce() -> io::Result<T> + Send + 'static,
    ring: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match via(io) {
        Via::Inline => blocking(),
        Via::Pool => match spindle_rt::spawn_blocking(blocking).await {
            Ok(r) => r,
            Err(e) => Err(io::Error::other(format!("{e:?}"))),
        },
        Via::Ring => ring.await,
    }
}

/// What a read asks for.
#[derive(Debug, Clone, Copy)]
pub enum ReadWant {
    /// Up to end of file.
    All,
    /// Up to and including the next newline (or end of file).
    Line,
    /// Exactly n bytes, fewer only at end of file.
    Bytes(usize),
}

impl ReadWant {
    /// How many leading bytes of `ahead` answer this read, if enough are there.
    pub fn satisfied_by(self, ahead: &[u8]) -> Option<usize> {
        match self {
            ReadWant::All => None,
            ReadWant::Line => ahead.iter().position(|&b| b == b'\n').map(|i| i + 1),
            ReadWant::Bytes(n) => (ahead.len() >= n).then_some(n),
        }
    }

    /// How much the next read of the descriptor should ask for.
    pub fn step(self, have: usize) -> usize {
        match self {
            ReadWant::All => READ_ALL_STEP,
            ReadWant::Line => READ_STEP,
            ReadWant::Bytes(n) => n.saturating_sub(have).max(READ_STEP),
        }
    }
}

/// Where a seek counts from.
#[derive(Debug, Clone, Copy)]
pub enum Whence {
    Set,
    Cur,
    End,
}

#[derive(Default)]
struct State {
    pos: u64,
    ahead: Vec<u8>,
    wbuf: Vec<u8>,
    pending: Vec<(u64, Vec<u8>)>,
    epoch: u64,
}

/// A file's descriptor and its buffers.
pub struct DiskFile {
    /// The descriptor for blocking calls; for the ring, a duplicate of it
    /// (either may come first, the other is made on demand).
    blocking: OnceLock<StdFile>,
    ring: OnceLock<RingFile>,
    /// Non-seekable descriptors (pipes, terminals) read and write through
    /// readiness-driven pipe ends, which cancel cleanly under epoll too.
    pipe_in: OnceLock<PipeReader>,
    pipe_out: OnceLock<PipeWriter>,
    seekable: bool,
    append: bool,
    state: Mutex<State>,
    turn: Turnstile,
}

impl std::fmt::Debug for DiskFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DiskFile(pos {})", self.lock().pos)
    }
}

impl DiskFile {
    /// A file opened with blocking calls; the position starts at the
    /// descriptor's own (a duplicate may have moved it).
    pub fn from_std(mut f: StdFile, append: bool) -> Arc<DiskFile> {
        let seekable = f.metadata().is_ok_and(|m| m.is_file());
        let pos = if seekable {
            f.stream_position().unwrap_or(0)
        } else {
            0
        };
        let file = DiskFile::new(seekable, append, pos);
        let _ = file.blocking.set(f);
        Arc::new(file)
    }

    /// A file opened on the ring (`seekable`: it is a regular file).
    pub fn from_ring(f: RingFile, seekable: bool, append: bool) -> Arc<DiskFile> {
        let file = DiskFile::new(seekable, append, 0);
        let _ = file.ring.set(f);
        Arc::new(file)
    }

    fn new(seekable: bool, append: bool, pos: u64) -> DiskFile {
        DiskFile {
            blocking: OnceLock::new(),
            ring: OnceLock::new(),
            pipe_in: OnceLock::new(),
            pipe_out: OnceLock::new(),
            seekable,
            append,
            state: Mutex::new(State {
                pos,
                ..State::default()
            }),
            turn: Turnstile::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The descriptor as a `std::fs::File` (made from the ring's if needed).
    pub fn std_file(&self) -> io::Result<&StdFile> {
        if let Some(f) = self.blocking.get() {
            return Ok(f);
        }
        let fd = match self.ring.get() {
            Some(r) => r.as_fd().try_clone_to_owned()?,
            None => return Err(io::Error::other("file has no descriptor")),
        };
        Ok(self.blocking.get_or_init(|| StdFile::from(fd)))
    }

    fn ring_file(&self) -> io::Result<&RingFile> {
        if let Some(f) = self.ring.get() {
            return Ok(f);
        }
        let fd = self.dup()?;
        Ok(self.ring.get_or_init(|| RingFile::from(fd)))
    }

    fn dup(&self) -> io::Result<std::os::fd::OwnedFd> {
        self.std_file()?.as_fd().try_clone_to_owned()
    }

    fn pipe_in(&self) -> io::Result<&PipeReader> {
        if let Some(p) = self.pipe_in.get() {
            return Ok(p);
        }
        let p = PipeReader::from_fd(self.dup()?);
        Ok(self.pipe_in.get_or_init(|| p))
    }

    fn pipe_out(&self) -> io::Result<&PipeWriter> {
        if let Some(p) = self.pipe_out.get() {
            return Ok(p);
        }
        let p = PipeWriter::from_fd(self.dup()?);
        Ok(self.pipe_out.get_or_init(|| p))
    }

    fn read_now(&self, step: usize, off: u64) -> io::Result<Vec<u8>> {
        let f = self.std_file()?;
        let mut buf = vec![0; step];
        let n = if self.seekable {
            f.read_at(&mut buf, off)?
        } else {
            (&mut &*f).read(&mut buf)?
        };
        buf.truncate(n);
        Ok(buf)
    }

    fn write_now(&self, data: &[u8], off: u64) -> io::Result<()> {
        let f = self.std_file()?;
        if self.seekable && !self.append {
            f.write_all_at(data, off)
        } else {
            (&mut &*f).write_all(data)
        }
    }

    fn len_now(&self) -> io::Result<u64> {
        Ok(self.std_file()?.metadata()?.len())
    }

    /// Runs `f` on the runtime's blocking pool: the epoll driver would run
    /// a file's syscalls inline on the worker (regular files are never
    /// "not ready"), which would block the loop.
    async fn on_pool<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&DiskFile) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let me = self.clone();
        match spindle_rt::spawn_blocking(move || f(&me)).await {
            Ok(r) => r,
            Err(e) => Err(io::Error::other(format!("{e:?}"))),
        }
    }

    /// Reads at most `step` bytes at `off` (seekable) or at the kernel's
    /// position.
    async fn read_chunk(self: &Arc<Self>, io: Io, step: usize, off: u64) -> io::Result<Vec<u8>> {
        if io == Io::Ring && !self.seekable {
            let mut buf = vec![0; step];
            let n = self.pipe_in()?.read(&mut buf).await?;
            buf.truncate(n);
            return Ok(buf);
        }
        match via(io) {
            Via::Inline => self.read_now(step, off),
            Via::Pool => self.on_pool(move |d| d.read_now(step, off)).await,
            Via::Ring => {
                let f = self.ring_file()?;
                let mut buf = vec![0; step];
                let n = f.read_at(&mut buf, off).await?;
                buf.truncate(n);
                Ok(buf)
            }
        }
    }

    async fn write_chunk(self: &Arc<Self>, io: Io, data: Vec<u8>, off: u64) -> io::Result<()> {
        if io == Io::Ring && !self.seekable {
            return self.pipe_out()?.write_all(&data).await;
        }
        match via(io) {
            Via::Inline => self.write_now(&data, off),
            Via::Pool => self.on_pool(move |d| d.write_now(&data, off)).await,
            Via::Ring if self.append => self.ring_file()?.write_all(&data).await,
            Via::Ring => {
                let f = self.ring_file()?;
                let mut done = 0;
                while done < data.len() {
                    let n = f.write_at(&data[done..], off + done as u64).await?;
                    if n == 0 {
                        return Err(io::ErrorKind::WriteZero.into());
                    }
                    done += n;
                }
                Ok(())
            }
        }
    }

    async fn len(self: &Arc<Self>, io: Io) -> io::Result<u64> {
        match via(io) {
            Via::Inline => self.len_now(),
            Via::Pool => self.on_pool(|d| d.len_now()).await,
            Via::Ring => Ok(self.ring_file()?.metadata().await?.len()),
        }
    }

    /// Writes every buffered byte (the caller holds the turn).
    async fn drain(self: &Arc<Self>, io: Io) -> io::Result<()> {
        let mut wrote = false;
        loop {
            let next = {
                let mut st = self.lock();
                if !st.pending.is_empty() {
                    Some(st.pending.remove(0))
                } else if !st.wbuf.is_empty() {
                    let bytes = std::mem::take(&mut st.wbuf);
                    Some((st.pos - bytes.len() as u64, bytes))
                } else {
                    None
                }
            };
            let Some((off, bytes)) = next else { break };
            wrote = true;
            let positional = self.seekable && !self.append;
            if !positional {
                self.write_chunk(io, bytes, off).await?;
                continue;
            }
            // If this drain is cancelled mid-write, the chunk goes back to
            // the front of `pending`: rewriting it at the same offset is
            // harmless, and a later drain (or the drop) finishes it.
            let mut undone = Requeue {
                file: self,
                chunk: Some((off, bytes.clone())),
            };
            let r = self.write_chunk(io, bytes, off).await;
            undone.chunk = None;
            r?;
        }
        if wrote && self.append && self.seekable {
            let end = self.len(io).await?;
            let mut st = self.lock();
            st.pos = end + st.wbuf.len() as u64;
        }
        Ok(())
    }

    /// Reads as `want` says, after the operations queued before it.
    pub async fn read(self: Arc<Self>, io: Io, want: ReadWant) -> io::Result<Vec<u8>> {
        let _turn = self.turn.turn().await;
        loop {
            self.drain(io).await?;
            let (off, epoch, step) = {
                let mut st = self.lock();
                if let Some(n) = want.satisfied_by(&st.ahead) {
                    let out: Vec<u8> = st.ahead.drain(..n).collect();
                    st.pos += n as u64;
                    return Ok(out);
                }
                let off = st.pos + st.ahead.len() as u64;
                (off, st.epoch, want.step(st.ahead.len()))
            };
            let got = self.read_chunk(io, step, off).await?;
            let mut st = self.lock();
            if st.epoch != epoch {
                continue;
            }
            if got.is_empty() {
                let out = std::mem::take(&mut st.ahead);
                st.pos += out.len() as u64;
                return Ok(out);
            }
            st.ahead.extend_from_slice(&got);
        }
    }

    /// Buffers `data` at the position; true when the buffer should drain.
    pub fn buffer_write(&self, data: &[u8]) -> bool {
        let mut st = self.lock();
        st.ahead.clear();
        st.epoch += 1;
        st.wbuf.extend_from_slice(data);
        st.pos += data.len() as u64;
        st.wbuf.len() >= WRITE_BUFFER
    }

    /// Drains the write buffer, after the operations queued before it.
    pub async fn flush(self: Arc<Self>, io: Io) -> io::Result<()> {
        let _turn = self.turn.turn().await;
        self.drain(io).await
    }

    /// Moves the position; only `:end` does I/O (it drains, then asks for
    /// the length). Returns the new position.
    pub async fn seek(self: Arc<Self>, io: Io, whence: Whence, n: i64) -> io::Result<u64> {
        let base = match whence {
            Whence::Set => 0,
            Whence::Cur => self.lock().pos,
            Whence::End => {
                let _turn = self.turn.turn().await;
                self.drain(io).await?;
                self.len(io).await?
            }
        };
        let to = base
            .checked_add_signed(n)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid seek"))?;
        let mut st = self.lock();
        if !st.wbuf.is_empty() {
            let bytes = std::mem::take(&mut st.wbuf);
            let at = st.pos - bytes.len() as u64;
            st.pending.push((at, bytes));
        }
        st.ahead.clear();
        st.epoch += 1;
        st.pos = to;
        Ok(to)
    }

    /// The logical position.
    pub fn tell(&self) -> u64 {
        self.lock().pos
    }
}

/// A chunk being written; dropped before the write finished, it returns
/// to the front of the pending writes.
struct Requeue<'a> {
    file: &'a DiskFile,
    chunk: Option<(u64, Vec<u8>)>,
}

impl Drop for Requeue<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.chunk.take() {
            self.file.lock().pending.insert(0, c);
        }
    }
}

impl Drop for DiskFile {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut left = std::mem::take(&mut st.pending);
        if !st.wbuf.is_empty() {
            let bytes = std::mem::take(&mut st.wbuf);
            left.push((st.pos - bytes.len() as u64, bytes));
        }
        if left.is_empty() {
            return;
        }
        for (off, bytes) in left {
            let _ = self.write_now(&bytes, off);
        }
    }
}
