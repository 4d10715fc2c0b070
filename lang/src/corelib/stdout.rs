//! Writing the process's standard output and error (api.md §4: the print
//! family, `file/write` and `file/flush` on `stdout`/`stderr`) without
//! blocking the worker when the fd is a full pipe.
//!
//! Protocol, one `Sink` per fd, shared by the whole process:
//! 0. stdout is line-buffered, as std's `Stdout` and C's on a terminal:
//!    the bytes after the last newline are held (up to `LINE_HOLD`) until
//!    a newline, a flush, a prompt or exit, so `prin` costs no syscall.
//! 1. A write with nothing queued goes straight to the fd with a
//!    non-blocking write (`StdStream::try_write`); when all of it fits the
//!    call returns at once, so the usual case costs one syscall.
//! 2. What did not fit is queued behind everything accepted before it, and
//!    one drainer (a blocking-pool job, at most one per fd) writes the
//!    queue out in order; while it runs, new writes queue behind it.
//! 3. The writing task goes on while at most `SLACK` bytes of the queue
//!    are its own or older; past that it parks until `written` catches up
//!    (a wait on the process-wide table, keyed by the counter), so a task
//!    printing into a pipe nobody reads waits alone and the others run,
//!    and a fast printer into a slow reader hands the drainer big chunks
//!    instead of parking per line.
//! 4. `flush` parks until everything accepted so far is written; program
//!    exit (`drain_at_exit`) waits for it on the main thread, and a child
//!    spawned onto the fd starts once it is written (`before_child`).
//!
//! Invariant: bytes reach the fd in the order they were accepted, and
//! `written <= accepted`. Test capture (`Isolate::capture`) and calls with
//! no loop (the synchronous suite runner) write synchronously, as before.

use super::file_run::{io_mode, returning, run_io};
use crate::ev::disk_file::Io;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::pipe::StdStream;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

struct Sink {
    fd: i32,
    state: Mutex<State>,
    /// The fd's rt stream (a duplicate), made on first use.
    stream: OnceLock<StdStream>,
    /// Bytes that have reached the fd (or failed to); waiters' key.
    written: AtomicU64,
}

struct State {
    /// stdout only: bytes after the last newline, held for the next one.
    line: Vec<u8>,
    queued: Vec<u8>,
    /// Bytes accepted so far: written, queued or being drained.
    accepted: u64,
    draining: bool,
}

static SINKS: [Sink; 2] = [Sink::new(1), Sink::new(2)];

/// Queued bytes a writer may leave behind it without parking.
const SLACK: u64 = 64 * 1024;
/// stdout holds a partial line up to this size, as std's line writer does.
const LINE_HOLD: usize = 8 * 1024;

fn sink(err: bool) -> &'static Sink {
    &SINKS[err as usize]
}

impl Sink {
    const fn new(fd: i32) -> Sink {
        Sink {
            fd,
            state: Mutex::new(State {
                line: Vec::new(),
                queued: Vec::new(),
                accepted: 0,
                draining: false,
            }),
            stream: OnceLock::new(),
            written: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(&self) -> usize {
        &self.written as *const AtomicU64 as usize
    }

    fn stream(&self) -> std::io::Result<&StdStream> {
        if let Some(s) = self.stream.get() {
            return Ok(s);
        }
        let s = if self.fd == 1 {
            spindle_rt::pipe::stdout()?
        } else {
            spindle_rt::pipe::stderr()?
        };
        // A racing first use may have set it: that one is kept.
        Ok(self.stream.get_or_init(|| s))
    }

    fn advance(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::SeqCst);
    }

    /// Step 0 and on: the position the caller must wait for, or None
    /// when it may go on.
    fn accept(&'static self, data: &[u8]) -> std::io::Result<Option<u64>> {
        let mut st = self.lock();
        if self.fd != 1 {
            return self.push(st, data);
        }
        let joined;
        let out = match data.iter().rposition(|b| *b == b'\n') {
            None if st.line.len() + data.len() < LINE_HOLD => {
                st.line.extend_from_slice(data);
                return Ok(None);
            }
            Some(i) if i + 1 == data.len() && st.line.is_empty() => data,
            Some(i) => {
                let mut v = std::mem::take(&mut st.line);
                v.extend_from_slice(&data[..=i]);
                st.line.extend_from_slice(&data[i + 1..]);
                joined = v;
                &joined[..]
            }
            None => {
                let mut v = std::mem::take(&mut st.line);
                v.extend_from_slice(data);
                joined = v;
                &joined[..]
            }
        };
        self.push(st, out)
    }

    /// Step 0 for `flush`: the held line goes out; the position everything
    /// so far ends at.
    fn push_line(&'static self) -> std::io::Result<u64> {
        let mut st = self.lock();
        let line = std::mem::take(&mut st.line);
        if line.is_empty() {
            return Ok(st.accepted);
        }
        self.push(st, &line)?;
        Ok(self.lock().accepted)
    }

    /// Steps 1 to 3 for bytes that go out now.
    fn push(
        &'static self,
        mut st: MutexGuard<'_, State>,
        mut data: &[u8],
    ) -> std::io::Result<Option<u64>> {
        if data.is_empty() {
            return Ok(None);
        }
        if !st.draining && st.queued.is_empty() {
            let s = self.stream()?;
            while !data.is_empty() {
                match s.try_write(data) {
                    Ok(0) => break,
                    Ok(n) => {
                        st.accepted += n as u64;
                        self.advance(n);
                        data = &data[n..];
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            if data.is_empty() {
                return Ok(None);
            }
        }
        st.queued.extend_from_slice(data);
        st.accepted += data.len() as u64;
        let wait_for = st.accepted.saturating_sub(SLACK);
        if !st.draining {
            st.draining = true;
            let s = self.stream()?;
            drop(st);
            drop(spindle_rt::spawn_blocking(move || self.drain(s)));
        }
        if self.written.load(Ordering::SeqCst) >= wait_for {
            return Ok(None);
        }
        Ok(Some(wait_for))
    }

    /// The drainer: writes the queue out until it is empty.
    fn drain(&self, s: &StdStream) {
        let mut out = match std::os::fd::AsFd::as_fd(s).try_clone_to_owned() {
            Ok(fd) => Some(std::fs::File::from(fd)),
            Err(_) => None,
        };
        loop {
            let chunk = {
                let mut st = self.lock();
                if st.queued.is_empty() {
                    st.draining = false;
                    break;
                }
                std::mem::take(&mut st.queued)
            };
            // A failed write (a closed pipe) drops the bytes, as the print
            // family ignores write errors; waiters go on either way.
            if let Some(f) = out.as_mut() {
                let _ = f.write_all(&chunk);
            }
            self.advance(chunk.len());
            spindle_sync::global().wake_all(self.key());
        }
        spindle_sync::global().wake_all(self.key());
    }

    /// A future that resolves once `written >= end` (step 3).
    async fn written_to(&'static self, end: u64) -> Result<(), String> {
        while self.written.load(Ordering::SeqCst) < end {
            let behind = move || self.written.load(Ordering::SeqCst) < end;
            spindle_sync::global().wait_async(self.key(), behind).await;
        }
        Ok(())
    }

    /// Writes `data` on this thread after whatever is queued (and held).
    fn write_blocking(&self, data: &[u8]) -> std::io::Result<()> {
        self.wait_drained();
        let mut st = self.lock();
        let mut data = std::borrow::Cow::Borrowed(data);
        if !st.line.is_empty() {
            let mut v = std::mem::take(&mut st.line);
            v.extend_from_slice(&data);
            data = std::borrow::Cow::Owned(v);
        }
        st.accepted += data.len() as u64;
        drop(st);
        // Through std's handles (its stdout is line-buffered too), so the
        // output keeps its order with what else writes there (the REPL).
        let r = if self.fd == 1 {
            std::io::stdout().lock().write_all(&data)
        } else {
            std::io::stderr().lock().write_all(&data)
        };
        self.advance(data.len());
        r
    }

    /// Writes everything held or queued, on this thread.
    fn flush_blocking(&self) {
        let _ = self.write_blocking(b"");
        if self.fd == 1 {
            let _ = std::io::stdout().flush();
        }
    }

    /// Blocks this thread until everything accepted is written.
    fn wait_drained(&self) {
        loop {
            let end = self.lock().accepted;
            if self.written.load(Ordering::SeqCst) >= end {
                return;
            }
            let behind = || self.written.load(Ordering::SeqCst) < end;
            spindle_sync::global().wait(self.key(), behind, None);
        }
    }
}

/// Writes `data` to stdout (or stderr when `err`); the call returns `ret`,
/// parking the task while the fd cannot take the bytes. Errors only when
/// the write itself fails at once (a closed fd).
pub fn write(iso: &mut Isolate, err: bool, data: &[u8], ret: Value) -> Result<Value, Flow> {
    if let Some(buf) = iso.capture.as_mut() {
        buf.extend_from_slice(data);
        return Ok(ret);
    }
    let s = sink(err);
    let r = if io_mode(iso) == Io::Blocking {
        s.write_blocking(data).map(|_| None)
    } else {
        s.accept(data)
    };
    match r {
        Ok(None) => Ok(ret),
        Ok(Some(end)) => run_io(iso, s.written_to(end), returning(ret)),
        Err(e) => Err(iso.err(format!("{}: {}", if err { "stderr" } else { "stdout" }, e))),
    }
}

/// Like `write` for the print family, which ignores write errors.
pub fn print(iso: &mut Isolate, err: bool, data: &[u8]) -> Result<(), Flow> {
    match write(iso, err, data, Value::Nil) {
        Err(Flow::Error(_)) | Ok(_) => Ok(()),
        Err(f) => Err(f),
    }
}

/// Parks until everything written to the fd so far has reached it; the
/// call returns `ret`.
pub fn flush(iso: &mut Isolate, err: bool, ret: Value) -> Result<Value, Flow> {
    let s = sink(err);
    if iso.capture.is_some() || io_mode(iso) == Io::Blocking {
        s.flush_blocking();
        return Ok(ret);
    }
    let end = match s.push_line() {
        Ok(end) => end,
        Err(e) => return Err(iso.err(format!("flush: {e}"))),
    };
    run_io(iso, s.written_to(end), returning(ret))
}

/// Writes from Rust outside any task (an error report): queued in order
/// and never waited for; synchronous when no runtime is running.
pub fn write_detached(err: bool, data: &[u8]) {
    let s = sink(err);
    if spindle_rt::Handle::try_current().is_some() && s.accept(data).is_ok() {
        return;
    }
    let _ = s.write_blocking(data);
}

/// `ev/write` on the `stdout`/`stderr` stream: queued in order with the
/// print family's output (after stdout's held line), resolving once it is
/// written. A write the drainer fails is dropped, as for `print`.
pub async fn write_in_order(err: bool, data: Vec<u8>) -> std::io::Result<()> {
    let s = sink(err);
    s.push_line()?;
    s.push(s.lock(), &data)?;
    let end = s.lock().accepted;
    s.written_to(end).await.map_err(std::io::Error::other)
}

/// Sends stdout's held partial line on (a prompt before a read), without
/// waiting for it.
pub fn flush_detached() {
    let s = sink(false);
    if spindle_rt::Handle::try_current().is_some() && s.push_line().is_ok() {
        return;
    }
    s.flush_blocking();
}

/// What a child that writes straight to our stdout (`out`) or stderr
/// (`err`) must wait for before it starts: every byte accepted so far, so
/// its output cannot overtake bytes still queued behind a full pipe (a C
/// program's fflush before fork). stdout's held line is sent on first.
/// `None` when nothing is left to wait for.
pub fn before_child(
    out: bool,
    err: bool,
) -> Option<impl std::future::Future<Output = Result<(), String>> + Send + 'static> {
    let mut behind = Vec::new();
    for (wanted, s) in [(out, sink(false)), (err, sink(true))] {
        if !wanted {
            continue;
        }
        if spindle_rt::Handle::try_current().is_none() {
            s.flush_blocking();
            continue;
        }
        // After a failed write (a closed fd), what was accepted before it.
        let end = s.push_line().unwrap_or_else(|_| s.lock().accepted);
        if s.written.load(Ordering::SeqCst) < end {
            behind.push((s, end));
        }
    }
    if behind.is_empty() {
        return None;
    }
    Some(async move {
        for (s, end) in behind {
            s.written_to(end).await?;
        }
        Ok(())
    })
}

/// Program exit: blocks until both sinks are drained and stdout's held
/// line is written (called on a thread that is not a worker, or by
/// `os/exit`, which never returns).
pub fn drain_at_exit() {
    sink(false).flush_blocking();
    sink(true).wait_drained();
}
