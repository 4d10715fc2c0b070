//! Descriptor streams in the language (api.md §4): `os/open` (a file as a
//! stream, opened with `openat` on the ring), `os/pipe`, `ev/to-file`, and
//! the standard streams `stdin`/`stdout`/`stderr` accepted by `ev/read` and
//! `ev/write`. Reading and writing them is `corelib/net.rs`'s `ev/read`,
//! `ev/chunk`, `ev/write` and `ev/close`, which dispatch on the stream kind.
//!
//! Invariant: every stream made here is a `Kind::Fd` around an
//! `ev::fd_stream::FdStream`; `ev/to-file` hands out a duplicate descriptor
//! (for a pipe under epoll, a blocking copy: `FdStream::child_fd`; for a
//! socket, a plain `dup`), never the stream's own, so closing either side leaves the other open. The file
//! it makes is an `ev::disk_file::DiskFile`, whose operations park.

use super::args;
use super::files::{file_mut, new_file, Handle};
use super::net::{io_err, start};
use super::registry::Env;
use crate::ev::disk_file::DiskFile;
use crate::ev::fd_stream::{self, End, FdStream, Std};
use crate::ev::ops::{Done, OpFuture};
use crate::ev::stream::{self, Kind};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::fs::OpenOptions;
use std::os::fd::AsFd;

type R = Result<Value, Flow>;

/// The stream kind of a standard-stream `core/file` (`stdin`, `stdout`,
/// `stderr`), or None for any other value.
pub fn standard_kind(iso: &mut Isolate, v: Value) -> Option<Kind> {
    let which = match file_mut(iso, v)?.handle {
        Handle::Stdin => Std::In,
        Handle::Stdout => Std::Out,
        Handle::Stderr => Std::Err,
        _ => return None,
    };
    fd_stream::standard(which).ok().map(Kind::Fd)
}

/// A new stream value around `end`.
pub fn fd_stream_value(iso: &mut Isolate, end: End) -> Value {
    stream::make(iso, Kind::Fd(FdStream::new(end)))
}

/// The open options of Janet's `os/open` flag letters.
fn open_options(iso: &mut Isolate, flags: &[u8], mode: u32) -> Result<OpenOptions, Flow> {
    let mut o = OpenOptions::new();
    let mut extra = 0;
    for &c in flags {
        match c {
            b'r' => o.read(true),
            b'w' => o.write(true),
            b'c' => o.create(true),
            b'e' => o.create_new(true),
            b't' => o.truncate(true),
            b'a' => o.append(true),
            b'x' => {
                extra |= libc::O_SYNC;
                &mut o
            }
            b'C' => {
                extra |= libc::O_NOCTTY;
                &mut o
            }
            _ => {
                let m = format!("os/open: unknown flag {:?}", c as char);
                return Err(iso.err(m));
            }
        };
    }
    o.custom_flags(extra).mode(mode);
    Ok(o)
}

fn os_open(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(3))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let flags = match args::opt(a, 1) {
        Value::Nil => b"r".to_vec(),
        _ => args::keyword(iso, a, 1)?,
    };
    let mode = match args::opt(a, 2) {
        Value::Nil => 0o666,
        _ => args::int(iso, a, 2)?.clamp(0, 0o7777) as u32,
    };
    let opts = open_options(iso, &flags, mode)?;
    let fut: OpFuture = Box::pin(async move {
        let r = opts.open(&path).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(f) => Resume::Value(fd_stream_value(iso, End::File(f))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

fn os_pipe(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    if let Value::Keyword(_) = args::opt(a, 0) {
        let flags = args::keyword(iso, a, 0)?;
        if let Some(c) = flags.iter().find(|c| !b"RW".contains(c)) {
            let m = format!("os/pipe: unknown flag {:?}", *c as char);
            return Err(iso.err(m));
        }
    }
    let (r, w) = spindle_rt::pipe::pipe().map_err(|e| iso.err(format!("os/pipe: {e}")))?;
    let r = fd_stream_value(iso, End::Reader(r));
    let w = fd_stream_value(iso, End::Writer(w));
    Ok(iso.heap.tuple(vec![r, w]))
}

fn to_file(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let kind = match stream::get_mut(iso, a[0]) {
        Some(s) => s.kind.clone(),
        None => return Err(iso.err("ev/to-file: bad slot #0, expected core/stream")),
    };
    // A socket's duplicate shares its blocking mode: blocking under
    // io_uring, non-blocking under epoll, where the file's reads and
    // writes wait for readiness (`DiskFile`'s non-seekable path) instead.
    let fd = match kind {
        Some(Kind::Fd(f)) => f.child_fd(),
        Some(Kind::Tcp(s)) => s.as_fd().try_clone_to_owned(),
        Some(Kind::Unix(s)) => s.as_fd().try_clone_to_owned(),
        Some(Kind::Udp(s)) => s.sock.as_fd().try_clone_to_owned(),
        Some(Kind::Listener(s)) => s.as_fd().try_clone_to_owned(),
        Some(Kind::UnixListener(s)) => s.as_fd().try_clone_to_owned(),
        None => return Err(iso.err("ev/to-file: stream is closed")),
    };
    let fd = fd.map_err(|e| iso.err(format!("ev/to-file: {e}")))?;
    let file = DiskFile::from_std(std::fs::File::from(fd), false);
    Ok(new_file(iso, Handle::Disk(file)))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("os/open", "(os/open path &opt flags mode)\n\nOpens a file as a stream (parks while opening). Flags: :r read, :w write, :c create, :e exclusive, :t truncate, :a append, :x sync, :C no controlling terminal; default :r. mode is the permission for :c (default 8r666). ev/read and ev/write move the file position.", os_open);
    env.native(
        "os/pipe",
        "(os/pipe &opt flags)\n\nA pipe as [read-stream write-stream].",
        os_pipe,
    );
    env.native("ev/to-file", "(ev/to-file stream)\n\nA core/file on a duplicate of the stream's descriptor (pipes, files, standard streams and sockets). File operations on it park; a file starts at the stream's position.", to_file);
}
