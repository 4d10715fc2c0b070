//! Reading the process's standard input as a `core/file`: `file/read` on
//! `stdin` and `getline` (api.md §4). Inside the loop the bytes come from
//! the shared stdin stream on the ring (a tty is polled, then read), so a
//! task waiting for a line parks and the others keep running.
//!
//! Invariant: stdin is read in steps larger than a line, so the bytes past
//! the line being asked for wait in one process-wide read-ahead (`AHEAD`);
//! line readers take turns (`TURN`), each served whole, in arrival order.
//! `ev/read` on `stdin` reads the stream itself and does not see `AHEAD`.
//! Without a loop, reads go through Rust's own buffered `std::io::stdin`.

use super::args;
use super::file_run::{io_mode, run_io};
use super::files::append_to;
use super::io::write_out;
use crate::ev::disk_file::{Io, ReadWant};
use crate::ev::fd_stream::{standard, Std, Want};
use crate::ev::turnstile::Turnstile;
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use std::io::{BufRead, Read};
use std::sync::{Mutex, OnceLock};

static AHEAD: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static TURN: OnceLock<Turnstile> = OnceLock::new();
const STEP: usize = 16 * 1024;

fn take_ahead(n: Option<usize>) -> Vec<u8> {
    let mut a = AHEAD.lock().unwrap_or_else(|e| e.into_inner());
    match n {
        Some(n) => a.drain(..n).collect(),
        None => std::mem::take(&mut *a),
    }
}

async fn read_ring(want: ReadWant) -> Result<Vec<u8>, String> {
    let _turn = TURN.get_or_init(Turnstile::default).turn().await;
    let s = standard(Std::In).map_err(|e| format!("stdin: {e}"))?;
    loop {
        let ready = {
            let a = AHEAD.lock().unwrap_or_else(|e| e.into_inner());
            want.satisfied_by(&a)
        };
        if let Some(n) = ready {
            return Ok(take_ahead(Some(n)));
        }
        let (data, err) = s.read(Want::Some(STEP)).await;
        if let Some(e) = err {
            return Err(format!("stdin: {e}"));
        }
        if data.is_empty() {
            return Ok(take_ahead(None));
        }
        AHEAD
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(&data);
    }
}

fn read_blocking(want: ReadWant) -> Result<Vec<u8>, String> {
    let mut out = take_ahead(None);
    let mut lock = std::io::stdin().lock();
    let r = match want {
        ReadWant::All => lock.read_to_end(&mut out).map(drop),
        ReadWant::Line if out.contains(&b'\n') => {
            let n = out.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
            AHEAD
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(out.drain(n..));
            Ok(())
        }
        ReadWant::Line => lock.read_until(b'\n', &mut out).map(drop),
        ReadWant::Bytes(n) => {
            let have = out.len().min(n);
            let rest: Vec<u8> = out.drain(have..).collect();
            AHEAD
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .splice(0..0, rest);
            let more = (n - have) as u64;
            lock.by_ref().take(more).read_to_end(&mut out).map(drop)
        }
    };
    r.map(|()| out).map_err(|e| format!("stdin: {e}"))
}

/// Reads stdin as `want` says; `finish` gets the bytes.
pub fn read(
    iso: &mut Isolate,
    want: ReadWant,
    finish: super::file_run::Finish<Vec<u8>>,
) -> Result<Value, Flow> {
    let io = io_mode(iso);
    run_io(
        iso,
        async move {
            match io {
                Io::Ring => read_ring(want).await,
                Io::Blocking => read_blocking(want),
            }
        },
        finish,
    )
}

/// `(getline &opt prompt buf env)`.
pub fn getline(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(3))?;
    let buf = match args::opt(a, 1) {
        Value::Nil => Value::Nil,
        v @ Value::Buffer(_) => v,
        _ => return Err(iso.err("getline: bad slot #1, expected buffer")),
    };
    if let Some(p) = iso.heap.bytes(args::opt(a, 0)) {
        let p = p.to_vec();
        write_out(iso, &p);
        super::stdout::flush_detached();
    }
    read(
        iso,
        ReadWant::Line,
        Box::new(move |iso, line| Resume::Value(append_to(iso, buf, &line))),
    )
}
