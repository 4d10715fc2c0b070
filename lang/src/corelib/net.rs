//! Networking natives on spindle-rt's TCP types (api.md §5) and the stream
//! functions shared with `ev/` (§4): `net/listen`, `net/accept`,
//! `net/connect`, `net/read`, `net/chunk`, `net/write`, `net/close`,
//! `net/localname`, `net/peername`, and `ev/read`, `ev/chunk`, `ev/write`,
//! `ev/close`. `net/server` and `net/accept-loop` are in the prelude.
//!
//! Invariant: every wait is an op (`ev::ops`): a `'static` future owning an
//! `Arc` of the socket and its buffer, registered for the parked task; its
//! `Done` closure turns the result into language values on the isolate.

use super::args;
use super::ev_task::{await_flow, park, seconds};
use super::registry::Env;
use crate::ev::fd_stream::{ReadOutcome, Want};
use crate::ev::ops::{Done, OpFuture};
use crate::ev::stream::{self, Kind, StreamWait};
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
    let (task, seq) = park(iso)?;
    if let Some((s, write)) = on {
        stream::note_wait(iso, s, StreamWait { task, seq, write });
    }
    if let Some(d) = timeout {
        let e = iso.str("timeout");
        iso.ev
            .add_timer(task, seq, Instant::now() + d, Resume::Error(e));
    }
    iso.ev.ops.add(task, seq, fut);
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

fn kind_of(iso: &mut Isolate, v: Value) -> Result<Kind, Flow> {
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

fn addr_of(iso: &mut Isolate, a: &[Value]) -> Result<String, Flow> {
    let host = args::bytes(iso, a, 0)?;
    let port = match a.get(1) {
        Some(Value::Num(n)) => format!("{}", *n as i64),
        Some(v) => match iso.heap.bytes(*v) {
            Some(b) => String::from_utf8_lossy(b).into_owned(),
            None => return Err(iso.err("bad slot #1, expected port")),
        },
        None => return Err(iso.err("expected a port")),
    };
    Ok(format!("{}:{}", String::from_utf8_lossy(&host), port))
}

fn listen(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(3))?;
    let addr = addr_of(iso, a)?;
    let fut: OpFuture = Box::pin(async move {
        let r = TcpListener::bind(addr).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(l) => Resume::Value(stream::make(iso, Kind::Listener(Arc::new(l)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

fn accept(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let Kind::Listener(l) = kind_of(iso, a[0])? else {
        return Err(iso.err("expected a listener"));
    };
    let timeout = opt_timeout(iso, a, 1)?;
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
    args::arity(iso, a, 2, Some(4))?;
    let addr = addr_of(iso, a)?;
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
fn append(iso: &mut Isolate, buf: Value, data: &[u8]) -> Value {
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
    let reading = reader(kind, want).map_err(|m| iso.err(m))?;
    let fut: OpFuture = Box::pin(async move {
        let (data, err) = reading.await;
        Box::new(move |iso: &mut Isolate| match err {
            Some(e) if data.is_empty() => io_err(iso, e),
            _ if data.is_empty() && (n > 0 || all) => Resume::Value(Value::Nil),
            _ => Resume::Value(append(iso, buf, &data)),
        }) as Done
    });
    start(iso, Some((a[0], false)), timeout, fut)
}

type Reading = Pin<Box<dyn Future<Output = ReadOutcome> + Send>>;
type Writing = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// The read of each kind of stream.
fn reader(kind: Kind, want: Want) -> Result<Reading, &'static str> {
    match kind {
        Kind::Tcp(s) => Ok(Box::pin(tcp_read(s, want))),
        Kind::Fd(f) if f.readable() => Ok(Box::pin(async move { f.read(want).await })),
        Kind::Fd(_) => Err("stream is not readable"),
        Kind::Listener(_) => Err("expected a connected stream, got a listener"),
    }
}

/// The write of each kind of stream.
fn writer(kind: Kind, data: Vec<u8>) -> Result<Writing, &'static str> {
    match kind {
        Kind::Tcp(s) => Ok(Box::pin(async move { s.write_all_owned(data).await.0 })),
        Kind::Fd(f) if f.writable() => Ok(Box::pin(async move { f.write_all(data).await })),
        Kind::Fd(_) => Err("stream is not writable"),
        Kind::Listener(_) => Err("cannot write to a listener"),
    }
}

async fn tcp_read(s: Arc<TcpStream>, want: Want) -> ReadOutcome {
    let (n, exact) = match want {
        Want::All => {
            let mut data = Vec::new();
            let err = s.read_to_end(&mut data).await.err();
            return (data, err);
        }
        Want::Some(n) => (n, false),
        Want::Exactly(n) => (n, true),
    };
    let mut data = Vec::new();
    let mut err = None;
    // rt reads into the spare capacity and extends the length.
    data.reserve_exact(n);
    while data.len() < n {
        let want = n - data.len();
        let mut room = std::mem::take(&mut data);
        if room.capacity() - room.len() > want {
            room.shrink_to(room.len() + want);
        }
        let (r, back) = s.read_owned(room).await;
        data = back;
        match r {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
        if !exact {
            break;
        }
    }
    data.truncate(n);
    (data, err)
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
    let writing = writer(kind, data).map_err(|m| iso.err(m))?;
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
    let addr = match kind_of(iso, a[0])? {
        Kind::Tcp(s) if peer => s.peer_addr(),
        Kind::Tcp(s) => s.local_addr(),
        Kind::Listener(l) if !peer => l.local_addr(),
        Kind::Listener(_) => return Err(iso.err("a listener has no peer")),
        Kind::Fd(_) => return Err(iso.err("expected a socket")),
    };
    match addr {
        Ok(sa) => {
            let host = iso.str(&sa.ip().to_string());
            Ok(iso.heap.tuple(vec![host, Value::Num(sa.port() as f64)]))
        }
        Err(e) => Err(iso.err(e.to_string())),
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
    env.native("net/listen", "(net/listen host port &opt type)\n\nA TCP listening stream on host:port (port 0 picks a free one).", listen);
    env.native("net/accept", "(net/accept listener &opt timeout)\n\nParks until a connection arrives; returns its stream.", accept);
    env.native(
        "net/connect",
        "(net/connect host port)\n\nParks until connected; returns the stream.",
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
        "(net/localname stream)\n\n[host port] of the local end.",
        localname,
    );
    env.native(
        "net/peername",
        "(net/peername stream)\n\n[host port] of the remote end.",
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
}
