//! Socket controls: `net/setsockopt` (Janet's options plus `:tcp-nodelay
//! :so-sndbuf :so-rcvbuf :so-reuseport`), `net/shutdown` and `net/flush`.
//! `apply` is also how `tcp/accept` and `tcp/connect` set their options.
//!
//! Invariant: option names are checked before any syscall, so a bad name
//! or value raises an error naming the function and the option, and a
//! socket that refuses an option raises the kernel's reason.

use super::args;
use super::net::{io_err, kind_of, start};
use super::net_addr::is_keyword;
use super::registry::Env;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::sock::Conn;
use crate::ev::stream::Kind;
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::net::{set_option, SocketOption};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown};

/// Sets `opt` on whatever socket `kind` wraps.
pub fn apply(kind: &Kind, opt: SocketOption) -> io::Result<()> {
    match kind {
        Kind::Tcp(s) => set_option(&**s, opt),
        Kind::Listener(s) => set_option(&**s, opt),
        Kind::Udp(u) => set_option(&u.sock, opt),
        Kind::Unix(s) => set_option(&**s, opt),
        Kind::UnixListener(s) => set_option(&**s, opt),
        Kind::Fd(_) => Err(io::Error::other("not a socket")),
    }
}

/// The option named `name` with the language value `v`, for `who`.
pub fn option(iso: &mut Isolate, who: &str, name: &str, v: Value) -> Result<SocketOption, Flow> {
    use SocketOption::*;
    let on = v.truthy();
    let int = |iso: &mut Isolate| match v.as_int() {
        Some(n) if (0..=i32::MAX as i64).contains(&n) => Ok(n as i32),
        _ => Err(iso.err(format!(
            "{who}: option :{name} expects a non-negative integer"
        ))),
    };
    let text = |iso: &mut Isolate| match iso.heap.bytes(v) {
        Some(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        None => Err(iso.err(format!("{who}: option :{name} expects an address string"))),
    };
    let v4 = |iso: &mut Isolate, join: bool| {
        let s = text(iso)?;
        match s.parse::<Ipv4Addr>() {
            Ok(group) => Ok(Ipv4Membership {
                join,
                group,
                interface: Ipv4Addr::UNSPECIFIED,
            }),
            Err(_) => Err(iso.err(format!("{who}: option :{name}: bad IPv4 address {s:?}"))),
        }
    };
    let v6 = |iso: &mut Isolate, join: bool| {
        let s = text(iso)?;
        match s.parse::<Ipv6Addr>() {
            Ok(group) => Ok(Ipv6Membership {
                join,
                group,
                interface: 0,
            }),
            Err(_) => Err(iso.err(format!("{who}: option :{name}: bad IPv6 address {s:?}"))),
        }
    };
    Ok(match name {
        "so-broadcast" => Broadcast(on),
        "so-reuseaddr" => ReuseAddr(on),
        "so-reuseport" => ReusePort(on),
        "so-keepalive" => KeepAlive(on),
        "tcp-nodelay" => NoDelay(on),
        "so-sndbuf" => SendBuffer(int(iso)?),
        "so-rcvbuf" => RecvBuffer(int(iso)?),
        "ip-multicast-ttl" => MulticastTtl(int(iso)?),
        "ipv6-multicast-hops" => Ipv6MulticastHops(int(iso)?),
        "ipv6-unicast-hops" => Ipv6UnicastHops(int(iso)?),
        "ip-add-membership" => v4(iso, true)?,
        "ip-drop-membership" => v4(iso, false)?,
        "ipv6-join-group" => v6(iso, true)?,
        "ipv6-leave-group" => v6(iso, false)?,
        _ => return Err(iso.err(format!("{who}: unsupported option :{name}"))),
    })
}

fn setsockopt(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 3, Some(3))?;
    let kind = kind_of(iso, a[0])?;
    let name = match a[1] {
        k @ Value::Keyword(_) => {
            String::from_utf8_lossy(iso.heap.bytes(k).unwrap_or_default()).into_owned()
        }
        _ => return Err(iso.err("net/setsockopt: expected an option keyword")),
    };
    let opt = option(iso, "net/setsockopt", &name, a[2])?;
    match apply(&kind, opt) {
        Ok(()) => Ok(Value::Nil),
        Err(e) => Err(iso.err(format!("net/setsockopt: {e}"))),
    }
}

fn shutdown(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let how = match a.get(1) {
        None | Some(Value::Nil) => Shutdown::Both,
        Some(v) if is_keyword(iso, *v, "wr") || is_keyword(iso, *v, "rw") => Shutdown::Both,
        Some(v) if is_keyword(iso, *v, "w") => Shutdown::Write,
        Some(v) if is_keyword(iso, *v, "r") => Shutdown::Read,
        Some(_) => return Err(iso.err("net/shutdown: mode must be :r, :w or :wr")),
    };
    let conn = match Conn::of(&kind_of(iso, a[0])?) {
        Some(Conn::Udp(_)) | None => {
            return Err(iso.err("net/shutdown: expected a connected stream socket"))
        }
        Some(c) => c,
    };
    let stream = a[0];
    let fut: OpFuture = Box::pin(async move {
        let r = match &conn {
            Conn::Tcp(s) => s.shutdown(how).await,
            Conn::Unix(s) => s.shutdown(how).await,
            Conn::Udp(_) => Ok(()),
        };
        Box::new(move |iso: &mut Isolate| match r {
            Ok(()) => Resume::Value(stream),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

fn flush(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    // Setting TCP_NODELAY pushes out what Nagle holds back; then the
    // socket's own setting comes back.
    if let Kind::Tcp(s) = kind_of(iso, a[0])? {
        let r = s
            .nodelay()
            .and_then(|was| s.set_nodelay(true).and_then(|_| s.set_nodelay(was)));
        if let Err(e) = r {
            return Err(iso.err(format!("net/flush: {e}")));
        }
    }
    Ok(a[0])
}

pub fn register(env: &mut Env) {
    env.native("net/setsockopt", "(net/setsockopt stream option value)\n\nSets a socket option. Booleans: :so-broadcast :so-reuseaddr :so-reuseport :so-keepalive :tcp-nodelay. Integers: :so-sndbuf :so-rcvbuf :ip-multicast-ttl :ipv6-multicast-hops :ipv6-unicast-hops. Group address strings: :ip-add-membership :ip-drop-membership (IPv4, any interface), :ipv6-join-group :ipv6-leave-group (IPv6, default interface). Returns nil.", setsockopt);
    env.native("net/shutdown", "(net/shutdown stream &opt mode)\n\nHalf-closes a connected stream socket: :r stops reading, :w sends EOF to the peer, :wr (the default) both. Returns the stream.", shutdown);
    env.native("net/flush", "(net/flush stream)\n\nPushes out any data Nagle's algorithm is holding back on a TCP stream (a no-op on other streams). Returns the stream.", flush);
}
