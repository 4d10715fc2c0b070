//! Writing the process's standard output and error (api.md §4: the print
//! family, `file/write` and `file/flush` on `stdout`/`stderr`) without
//! blocking the worker when the fd is a full pipe.
//!
//! Protocol, one `Sink` per fd, shared by the whole process:
//! 1. A write with nothing queued goes straight to the fd with a
//!    non-blocking write (`StdStream::try_write`); when all of it fits the
//!    call returns at once, so the usual case costs one syscall.
//! 2. What did not fit is queued behind everything accepted before it, and
//!    one drainer (a blocking-pool job, at most one per fd) writes the
//!    queue out in order; while it runs, new writes queue behind it.
//! 3. The writing task parks until `written` passes the end of its bytes
//!    (a wait on the process-wide table, keyed by the counter), so a task
//!    printing into a pipe nobody reads waits alone and the others run.
//! 4. `flush` parks until everything accepted so far is written; program
//!    exit (`drain_at_exit`) waits for it on the main thread.
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
use std::sync::{Arc, Mutex, MutexGuard};

struct Sink {
    fd: i32,
    state: Mutex<State>,
    /// Bytes that have reached the fd (or failed to); waiters' key.
    written: AtomicU64,
}

struct State {
    queued: Vec<u8>,
    /// Bytes accepted so far: written, queued or being drained.
    accepted: u64,
    draining: bool,
    stream: Option<Arc<StdStream>>,
}

static SINKS: [Sink; 2] = [Sink::new(1), Sink::new(2)];

fn sink(err: bool) -> &'static Sink {
    &SINKS[err as usize]
}

impl Sink {
    const fn new(fd: i32) -> Sink {
        Sink {
            fd,
            state: Mutex::new(State {
                queued: Vec::new(),
                accepted: 0,
                draining: false,
                stream: None,
            }),
            written: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(&self) -> usize {
        &self.written as *const AtomicU64 as usize
    }

    fn stream(&self, st: &mut State) -> std::io::Result<Arc<StdStream>> {
        if let Some(s) = &st.stream {
            return Ok(s.clone());
        }
        let s = Arc::new(if self.fd == 1 {
            spindle_rt::pipe::stdout()?
        } else {
            spindle_rt::pipe::stderr()?
        });
        st.stream = Some(s.clone());
        Ok(s)
    }

    fn advance(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::SeqCst);
    }

    /// Steps 1 and 2: the position the caller must wait for, or None when
    /// `data` is written already.
    fn accept(&'static self, mut data: &[u8]) -> std::io::Result<Option<u64>> {
        let mut st = self.lock();
        if !st.draining && st.queued.is_empty() {
            let s = self.stream(&mut st)?;
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
        let end = st.accepted;
        if !st.draining {
            st.draining = true;
            let s = self.stream(&mut st)?;
            drop(st);
            drop(spindle_rt::spawn_blocking(move || self.drain(&s)));
        }
        Ok(Some(end))
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

    /// Writes `data` on this thread after whatever is queued.
    fn write_blocking(&self, data: &[u8]) -> std::io::Result<()> {
        self.wait_drained();
        self.lock().accepted += data.len() as u64;
        // Through std's handles (flushed), so output keeps its order with
        // anything else that writes there.
        let r = if self.fd == 1 {
            let mut o = std::io::stdout().lock();
            o.write_all(data).and_then(|_| o.flush())
        } else {
            std::io::stderr().lock().write_all(data)
        };
        self.advance(data.len());
        r
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
        s.wait_drained();
        return Ok(ret);
    }
    let end = s.lock().accepted;
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

/// Program exit: blocks until both sinks are drained (called on a thread
/// that is not a worker, or by `os/exit`, which never returns).
pub fn drain_at_exit() {
    sink(false).wait_drained();
    sink(true).wait_drained();
}
