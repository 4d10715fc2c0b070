//! Networking natives on spindle-rt's TCP types (api.md §5) and the stream
//! functions shared with `ev/` (§4): `net/listen`, `net/accept`,
//! `net/connect`, `net/read`, `net/chunk`, `net/write`, `net/close`,
//! `net/localname`, `net/peername`, and `ev/read`, `ev/chunk`, `ev/write`,
//! `ev/close`. `net/server` and `net/accept-loop` are in the prelude.
//! `:unix` hosts and `:datagram` sockets are handed to `net_unix` and
//! `net_udp`; reads and writes work on any connected socket (`ev::sock::Conn`).
//!
//! Invariants:
//! - Every wait is an op (`ev::ops`): a `'static` future owning an `Arc` of
//!   the socket and its buffer, registered for the parked task; its `Done`
//!   closure turns the result into language values on the isolate.
//! - Reads and writes on one stream are served FIFO per direction, each
//!   whole (api.md §4): sockets take turns in the stream's `Duplex`,
//!   descriptor streams in their `FdStream`'s.
//! - A read collects its bytes in a shared `Partial` as they arrive. If its
//!   wait ends first (timeout, cancel, close), the op's salvage appends them
//!   to the caller's buffer; with no buffer given there is nobody to hand
//!   them to. Bytes of an rt read still in flight when it is cancelled are
//!   lost with it (the kernel may have taken them from the socket).

use super::args;
use super::ev_task::{await_flow, park, seconds};
use super::net_addr::{self, is_keyword, Target};
use super::registry::Env;
use super::{net_udp, net_unix};
use crate::ev::fd_stream::{self, Partial, Want};
use crate::ev::ops::{Done, OpFuture, Salvage};
use crate::ev::sock::Conn;
use crate::ev::stream::{self, Kind, StreamWait};
use crate::ev::turnstile::Duplex;
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::table::TableObj;
use crate::value::Value;
use spindle_rt::net::{TcpListener, TcpStream};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

pub(super) fn io_err(iso: &mut Isolate, e: io::Error) -> Resume {
    Resume::Error(iso.str(&e.to_string()))
}

/// Parks the current task on `fut` (optionally noted on a stream, with a
/// timeout raising "timeout").
pub(super) fn start(
    iso: &mut Isolate,
    on: Option<(Value, bool)>,
    timeout: Option<std::time::Duration>,
    fut: OpFuture,
) -> Result<Value, Flow> {
    start_salvaging(iso, on, timeout, fut, None)
}

/// `start` with a closure the loop runs if the op is abandoned
/// (`ev::ops::Salvage`).
fn start_salvaging(
    iso: &mut Isolate,
    on: Option<(Value, bool)>,
    timeout: Option<std::time::Duration>,
    fut: OpFuture,
    salvage: Option<Salvage>,
) -> Result<Value, Flow> {
    let (task, seq) = park(iso)?;
    if let Some((s, write)) = on {
        stream::note_wait(iso, s, StreamWait { task, seq, write });
    }
    if let Some(d) = timeout {
        let e = iso.str("timeout");
        iso.ev
            .add_timer(task, seq, Instant::now() + d, Resume::Error(e));
    }
    iso.ev.ops.add_salvaging(task, seq, fut, salvage);
    Err(await_flow())
}

pub(super) fn opt_timeout(
    iso: &mut Isolate,
    a: &[Value],
    i: usize,
) -> Result<Option<std::time::Duration>, Flow> {
    match a.get(i) {
        None | Some(Value::Nil) => Ok(None),
        Some(_) => Ok(Some(seconds(iso, a, i)?)),
    }
}

pub(super) fn kind_of(iso: &mut Isolate, v: Value) -> Result<Kind, Flow> {
    match stream::get_mut(iso, v) {
        Some(s) => match &s.kind {
            Some(k) => Ok(k.clone()),
            None => Err(iso.err("stream is closed")),
        },
        // stdin, stdout and stderr are core/file values that also stream.
        None => match super::ev_files::standard_kind(iso, v) {
            Some(k) => Ok(k),
            None => Err(iso.err("expected core/stream")),
        },
    }
}

/// `:datagram` (true), `:stream` or nil (false) at `a[i]`.
pub(super) fn is_datagram(
    iso: &mut Isolate,
    a: &[Value],
    i: usize,
    who: &str,
) -> Result<bool, Flow> {
    match a.get(i) {
        None | Some(Value::Nil) => Ok(false),
        Some(v) if is_keyword(iso, *v, "stream") => Ok(false),
        Some(v) if is_keyword(iso, *v, "datagram") => Ok(true),
        Some(_) => Err(iso.err(format!("{who}: type must be :stream or :datagram"))),
    }
}

fn listen(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(4))?;
    let datagram = is_datagram(iso, a, 2, "net/listen")?;
    match net_addr::target(iso, a, 0, "net/listen")? {
        Target::Unix(path) if !datagram => net_unix::listen(iso, path),
        Target::Unix(_) => Err(iso.err("net/listen: :unix :datagram sockets are not supported")),
        Target::Inet(addr) if datagram => net_udp::listen(iso, addr, reuse(a)),
        Target::Inet(_) => listen_stream(iso, a, "net/listen"),
    }
}

/// SO_REUSEADDR and SO_REUSEPORT are on unless net/listen's `no-reuse`.
fn reuse(a: &[Value]) -> bool {
    !a.get(3).is_some_and(|v| v.truthy())
}

/// A TCP listener on the `host port` at `a[0]`, `a[1]` (`no-reuse` at 3).
pub(super) fn listen_stream(iso: &mut Isolate, a: &[Value], who: &str) -> Result<Value, Flow> {
    let reuse = reuse(a);
    let Target::Inet(addr) = net_addr::target(iso, a, 0, who)? else {
        return Err(iso.err(format!("{who}: expected a host, not :unix")));
    };
    let fut: OpFuture = Box::pin(async move {
        let r = TcpListener::bind_with(addr, reuse, reuse).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(l) => Resume::Value(stream::make(iso, Kind::Listener(Arc::new(l)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

fn accept(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let timeout = opt_timeout(iso, a, 1)?;
    let l = match kind_of(iso, a[0])? {
        Kind::Listener(l) => l,
        Kind::UnixListener(l) => return net_unix::accept(iso, a[0], l, timeout),
        _ => return Err(iso.err("net/accept: expected a listener")),
    };
    let fut: OpFuture = Box::pin(async move {
        let r = l.accept().await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok((s, _)) => Resume::Value(stream::make(iso, Kind::Tcp(Arc::new(s)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, Some((a[0], false)), timeout, fut)
}

fn connect(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(5))?;
    let datagram = is_datagram(iso, a, 2, "net/connect")?;
    let addr = match net_addr::target(iso, a, 0, "net/connect")? {
        Target::Unix(path) if !datagram => return net_unix::connect(iso, path),
        Target::Unix(_) => {
            return Err(iso.err("net/connect: :unix :datagram sockets are not supported"))
        }
        Target::Inet(addr) if datagram => return net_udp::connect(iso, addr, a),
        Target::Inet(_) if a.get(3).is_some_and(|v| *v != Value::Nil) => {
            return Err(iso.err("net/connect: bindhost is only supported for :datagram sockets"))
        }
        Target::Inet(addr) => addr,
    };
    let fut: OpFuture = Box::pin(async move {
        let r = TcpStream::connect(addr).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(stream::make(iso, Kind::Tcp(Arc::new(s)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

/// Appends `data` to `buf` (a buffer value, or a new one when nil).
pub(super) fn append(iso: &mut Isolate, buf: Value, data: &[u8]) -> Value {
    match buf {
        Value::Buffer(r) => {
            iso.heap.buffers.get_mut(r).extend_from_slice(data);
            buf
        }
        _ => iso.heap.buffer(data.to_vec()),
    }
}

fn buf_arg(iso: &mut Isolate, a: &[Value], i: usize) -> Result<Value, Flow> {
    match a.get(i) {
        None | Some(Value::Nil) => Ok(Value::Nil),
        Some(v @ Value::Buffer(_)) => Ok(*v),
        Some(_) => Err(iso.err(format!("bad slot #{}, expected buffer", i))),
    }
}

/// Reads: at most `n` bytes from one read, or to EOF with `:all`;
/// `exact` keeps reading until `n` bytes or EOF (`ev/chunk`).
fn read_op(iso: &mut Isolate, a: &[Value], exact: bool) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(4))?;
    let kind = kind_of(iso, a[0])?;
    let all = matches!(a[1], Value::Keyword(_)) && iso.heap.bytes(a[1]) == Some(b"all");
    let n = if all {
        0
    } else {
        args::int(iso, a, 1)?.max(0) as usize
    };
    let want = match (all, exact) {
        (true, _) => Want::All,
        (false, true) => Want::Exactly(n),
        (false, false) => Want::Some(n),
    };
    let buf = buf_arg(iso, a, 2)?;
    let timeout = opt_timeout(iso, a, 3)?;
    let turns = stream::get_mut(iso, a[0]).map(|s| s.turns.clone());
    let sink = Partial::default();
    let reading = reader(kind, want, turns, sink.clone()).map_err(|m| iso.err(m))?;
    let kept = sink.clone();
    let fut: OpFuture = Box::pin(async move {
        let err = reading.await;
        // The bytes are taken when the result is delivered, so a read that
        // finishes after its timeout leaves them to the salvage.
        Box::new(move |iso: &mut Isolate| {
            let data = fd_stream::take(&kept);
            match err {
                Some(e) if data.is_empty() => io_err(iso, e),
                _ if data.is_empty() && (n > 0 || all) => Resume::Value(Value::Nil),
                _ => Resume::Value(append(iso, buf, &data)),
            }
        }) as Done
    });
    // Cancelled or timed out: the bytes already read go to the caller's
    // buffer (a read into a fresh buffer has nobody to give them to).
    let salvage: Option<Salvage> = match buf {
        Value::Buffer(_) => Some(Box::new(move |iso: &mut Isolate| {
            let data = fd_stream::take(&sink);
            if !data.is_empty() {
                append(iso, buf, &data);
            }
        })),
        _ => None,
    };
    start_salvaging(iso, Some((a[0], false)), timeout, fut, salvage)
}

type Reading = Pin<Box<dyn Future<Output = Option<io::Error>> + Send>>;
type Writing = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// The read of each kind of stream, into `sink`; sockets take their turn
/// in the stream's read FIFO, descriptor streams in their own.
fn reader(
    kind: Kind,
    want: Want,
    turns: Option<Arc<Duplex>>,
    sink: Partial,
) -> Result<Reading, &'static str> {
    match kind {
        Kind::Fd(f) if f.readable() => Ok(Box::pin(async move { f.read_into(want, &sink).await })),
        Kind::Fd(_) => Err("stream is not readable"),
        Kind::Listener(_) | Kind::UnixListener(_) => {
            Err("expected a connected stream, got a listener")
        }
        k => match Conn::of(&k) {
            Some(c) => Ok(Box::pin(async move {
                let _turn = match &turns {
                    Some(t) => Some(t.reads.turn().await),
                    None => None,
                };
                socket_read(c, want, &sink).await
            })),
            None => Err("expected a connected stream"),
        },
    }
}

/// The write of each kind of stream, after the writes queued before it.
fn writer(kind: Kind, data: Vec<u8>, turns: Option<Arc<Duplex>>) -> Result<Writing, &'static str> {
    match kind {
        Kind::Fd(f) if f.writable() => Ok(Box::pin(async move { f.write_all(data).await })),
        Kind::Fd(_) => Err("stream is not writable"),
        Kind::Listener(_) | Kind::UnixListener(_) => Err("cannot write to a listener"),
        k => match Conn::of(&k) {
            Some(c) => Ok(Box::pin(async move {
                let _turn = match &turns {
                    Some(t) => Some(t.writes.turn().await),
                    None => None,
                };
                c.write_all_owned(data).await.0
            })),
            None => Err("cannot write to this stream"),
        },
    }
}

const SOCKET_READ_STEP: usize = 64 * 1024;

/// A read on a connected socket, each piece into `sink` as it arrives; UDP
/// readers also take turns (one datagram each).
async fn socket_read(s: Conn, want: Want, sink: &Partial) -> Option<io::Error> {
    let _turn = s.read_turn().await;
    let (n, exact) = match want {
        Want::All => (usize::MAX, true),
        Want::Some(n) => (n, false),
        Want::Exactly(n) => (n, true),
    };
    if matches!(s, Conn::Udp(_)) && matches!(want, Want::All) {
        let mut data = Vec::new();
        let err = s.read_to_end(&mut data).await.err();
        fd_stream::keep(sink, &data);
        return err;
    }
    let mut got = 0;
    while got < n {
        // rt reads into the spare capacity and extends the length.
        let room = Vec::with_capacity((n - got).min(SOCKET_READ_STEP));
        let (r, back) = s.read_owned(room).await;
        match r {
            Ok(0) => break,
            Ok(_) => {
                let take = back.len().min(n - got);
                fd_stream::keep(sink, &back[..take]);
                got += take;
            }
            Err(e) => return Some(e),
        }
        if !exact {
            break;
        }
    }
    None
}

fn read(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    read_op(iso, a, false)
}

fn chunk(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    read_op(iso, a, true)
}

fn write(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(3))?;
    let Ok(kind) = kind_of(iso, a[0]) else {
        return Err(iso.err("stream closed"));
    };
    let data = args::bytes(iso, a, 1)?;
    let timeout = opt_timeout(iso, a, 2)?;
    let turns = stream::get_mut(iso, a[0]).map(|s| s.turns.clone());
    let writing = writer(kind, data, turns).map_err(|m| iso.err(m))?;
    let fut: OpFuture = Box::pin(async move {
        let r = writing.await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(()) => Resume::Value(Value::Nil),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, Some((a[0], true)), timeout, fut)
}

fn close(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    if stream::get_mut(iso, a[0]).is_none() {
        return Err(iso.err("expected core/stream"));
    }
    stream::close(iso, a[0]);
    Ok(Value::Nil)
}

fn name_of(iso: &mut Isolate, a: &[Value], peer: bool) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let kind = kind_of(iso, a[0])?;
    match net_addr::stream_name(&kind, peer) {
        Ok(Ok(addr)) => Ok(net_addr::unpack(iso, &addr)),
        Ok(Err(e)) => Err(iso.err(e.to_string())),
        Err(msg) => Err(iso.err(msg)),
    }
}

fn localname(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    name_of(iso, a, false)
}

fn peername(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    name_of(iso, a, true)
}

/// Registers the module and builds the stream method table.
pub fn register(env: &mut Env) {
    env.native("net/listen", "(net/listen host port &opt type no-reuse)\n\nA TCP listening stream on host:port (port 0 picks a free one). SO_REUSEADDR and SO_REUSEPORT are set unless no-reuse is truthy. type :datagram returns a bound UDP socket instead. Host :unix listens on the Unix-domain socket at path port (a leading @ makes it abstract; the path must not exist).", listen);
    env.native("net/accept", "(net/accept listener &opt timeout)\n\nParks until a connection arrives on a TCP or Unix-domain listener; returns its stream. Raises \"timeout\" when timeout seconds pass first.", accept);
    env.native(
        "net/connect",
        "(net/connect host port &opt type bindhost bindport)\n\nParks until connected; returns the stream. type :datagram makes a UDP socket whose peer is host:port (bound to bindhost:bindport, an ephemeral port by default; bindhost is only supported for :datagram). Host :unix connects to the Unix-domain socket at path port.",
        connect,
    );
    env.native("net/read", "(net/read stream n &opt buf timeout)\n\nAppends at most n bytes from one read to buf (n may be :all). Returns buf, or nil at EOF.", read);
    env.native("net/chunk", "(net/chunk stream n &opt buf timeout)\n\nReads until exactly n bytes or EOF. Returns buf, or nil if EOF came first.", chunk);
    env.native(
        "net/write",
        "(net/write stream data &opt timeout)\n\nWrites all of data. Returns nil.",
        write,
    );
    env.native("net/close", "(net/close stream)\n\nCloses the stream (idempotent). Parked reads get nil, writes raise \"stream closed\".", close);
    env.native(
        "net/localname",
        "(net/localname stream)\n\n[host port] of the local end, or [path] for a Unix-domain socket (\"\" when unnamed).",
        localname,
    );
    env.native(
        "net/peername",
        "(net/peername stream)\n\n[host port] of the remote end, or [path] for a Unix-domain socket.",
        peername,
    );
    env.native(
        "ev/read",
        "(ev/read stream n &opt buf timeout)\n\nSee net/read.",
        read,
    );
    env.native(
        "ev/chunk",
        "(ev/chunk stream n &opt buf timeout)\n\nSee net/chunk.",
        chunk,
    );
    env.native(
        "ev/write",
        "(ev/write stream data &opt timeout)\n\nSee net/write.",
        write,
    );
    env.native("ev/close", "(ev/close stream)\n\nSee net/close.", close);
    let methods = [
        ("read", "net/read"),
        ("chunk", "net/chunk"),
        ("write", "net/write"),
        ("close", "net/close"),
        ("accept", "net/accept"),
        ("localname", "net/localname"),
        ("peername", "net/peername"),
        ("send-to", "net/send-to"),
        ("recv-from", "net/recv-from"),
        ("shutdown", "net/shutdown"),
        ("setsockopt", "net/setsockopt"),
        ("flush", "net/flush"),
    ];
    let mut t = TableObj::default();
    for (k, name) in methods {
        let idx = env.iso.natives.iter().position(|n| n.name == name);
        let v = idx.map_or(Value::Nil, |i| Value::Native(i as u32));
        let key = env.iso.heap.keyword(k);
        let h = env.iso.heap.hash(key);
        t.put(key, h, v, |x| x == key);
    }
    env.iso.ev.stream_methods = env.iso.heap.table(t);
    env.native(
        "net/-stream-methods",
        "(net/-stream-methods)\n\nThe stream method table (the prelude adds its methods).",
        stream_methods,
    );
}

fn stream_methods(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(0))?;
    Ok(iso.ev.stream_methods)
}
