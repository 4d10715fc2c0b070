//! Elle's `tcp/` names over the `net/` TCP functions: `tcp/listen`,
//! `tcp/accept` and `tcp/connect`. The last two take Elle's option pairs
//! `:nodelay :keepalive :sndbuf :rcvbuf` (set as `net/setsockopt` would)
//! and `:timeout` in seconds, which raises "timeout" when it expires.
//!
//! Invariant: options are parsed before anything parks and applied to the
//! new socket before the language sees it.

use super::args;
use super::ev_task::seconds;
use super::net::{io_err, kind_of, listen_stream, start};
use super::net_addr::{self, Target};
use super::net_opts::option;
use super::registry::Env;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::stream::{self, Kind};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::net::{set_option, SocketOption, TcpStream};
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Parsed option pairs.
struct TcpOpts {
    socket: Vec<SocketOption>,
    timeout: Option<Duration>,
}

fn parse(iso: &mut Isolate, pairs: &[Value], who: &str) -> Result<TcpOpts, Flow> {
    if !pairs.len().is_multiple_of(2) {
        return Err(iso.err(format!("{who}: options come in pairs (:name value)")));
    }
    let mut out = TcpOpts {
        socket: Vec::new(),
        timeout: None,
    };
    for (i, kv) in pairs.chunks(2).enumerate() {
        let key = match kv[0] {
            k @ Value::Keyword(_) => iso.heap.bytes(k).unwrap_or_default().to_vec(),
            _ => return Err(iso.err(format!("{who}: expected an option keyword"))),
        };
        let name = match key.as_slice() {
            b"nodelay" => "tcp-nodelay",
            b"keepalive" => "so-keepalive",
            b"sndbuf" => "so-sndbuf",
            b"rcvbuf" => "so-rcvbuf",
            b"timeout" => {
                out.timeout = match kv[1] {
                    Value::Nil => None,
                    _ => Some(seconds(iso, pairs, 2 * i + 1)?),
                };
                continue;
            }
            other => {
                let other = String::from_utf8_lossy(other).into_owned();
                return Err(iso.err(format!("{who}: unsupported option :{other}")));
            }
        };
        out.socket.push(option(iso, who, name, kv[1])?);
    }
    Ok(out)
}

fn configured(s: TcpStream, opts: &[SocketOption]) -> io::Result<TcpStream> {
    for o in opts {
        set_option(&s, *o)?;
    }
    Ok(s)
}

fn tcp_listen(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    listen_stream(iso, a, "tcp/listen")
}

fn tcp_accept(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let opts = parse(iso, &a[1..], "tcp/accept")?;
    let Kind::Listener(l) = kind_of(iso, a[0])? else {
        return Err(iso.err("tcp/accept: expected a TCP listener"));
    };
    let socket = opts.socket;
    let fut: OpFuture = Box::pin(async move {
        let r = match l.accept().await {
            Ok((s, _)) => configured(s, &socket),
            Err(e) => Err(e),
        };
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(stream::make(iso, Kind::Tcp(Arc::new(s)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, Some((a[0], false)), opts.timeout, fut)
}

fn tcp_connect(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, None)?;
    let Target::Inet(addr) = net_addr::target(iso, a, 0, "tcp/connect")? else {
        return Err(iso.err("tcp/connect: use net/connect for :unix sockets"));
    };
    let opts = parse(iso, &a[2..], "tcp/connect")?;
    let socket = opts.socket;
    let fut: OpFuture = Box::pin(async move {
        let r = match TcpStream::connect(addr).await {
            Ok(s) => configured(s, &socket),
            Err(e) => Err(e),
        };
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(stream::make(iso, Kind::Tcp(Arc::new(s)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, opts.timeout, fut)
}

pub fn register(env: &mut Env) {
    env.native(
        "tcp/listen",
        "(tcp/listen host port)\n\nA TCP listener on host:port; (net/listen host port :stream).",
        tcp_listen,
    );
    env.native("tcp/accept", "(tcp/accept listener & opts)\n\nnet/accept with Elle's option pairs :nodelay :keepalive :sndbuf :rcvbuf (set on the new stream) and :timeout seconds (raises \"timeout\"). Returns the stream.", tcp_accept);
    env.native("tcp/connect", "(tcp/connect host port & opts)\n\nnet/connect with the option pairs of tcp/accept; :timeout bounds the connect. Returns the stream.", tcp_connect);
}
