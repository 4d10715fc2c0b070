//! Socket addresses as language values: the abstract type
//! `core/socket-address` made by `net/address` (and returned by
//! `net/recv-from`), `net/address-unpack`, and the `[host port]` / `[path]`
//! tuples of `net/localname` and `net/peername`. Also parses the
//! `host port` argument pair every `net/` function takes, where host
//! `:unix` means a Unix-domain socket at path `port`.
//!
//! Invariant: a Unix path is kept as the kernel's bytes, with a leading NUL
//! for an abstract socket; the language spells that NUL `@` both ways.

use super::args;
use super::net::{io_err, start};
use super::registry::Env;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::stream::Kind;
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::objects::AbstractType;
use crate::value::Value;
use spindle_rt::net::lookup_host;
use std::any::Any;
use std::io;
use std::net::SocketAddr;

/// A resolved address.
#[derive(Debug, Clone, PartialEq)]
pub enum Addr {
    Inet(SocketAddr),
    Unix(Vec<u8>),
}

/// The `core/socket-address` object.
#[derive(Debug)]
pub struct NetAddress {
    pub addr: Addr,
}

impl AbstractType for NetAddress {
    fn type_name(&self) -> &'static str {
        "core/socket-address"
    }
}

/// What a `host port` argument pair names, before resolution.
#[derive(Debug, Clone)]
pub enum Target {
    /// `host:port` (IPv6 literals bracketed), ready for `lookup_host`.
    Inet(String),
    Unix(Vec<u8>),
}

/// True if `v` is the keyword `name`.
pub fn is_keyword(iso: &Isolate, v: Value, name: &str) -> bool {
    matches!(v, Value::Keyword(_)) && iso.heap.bytes(v) == Some(name.as_bytes())
}

/// Parses the `host port` pair at `a[i]`, `a[i + 1]` for function `who`.
pub fn target(iso: &mut Isolate, a: &[Value], i: usize, who: &str) -> Result<Target, Flow> {
    let host = a.get(i).copied().unwrap_or(Value::Nil);
    let port = a.get(i + 1).copied().unwrap_or(Value::Nil);
    if is_keyword(iso, host, "unix") {
        let Some(path) = iso.heap.bytes(port).map(<[u8]>::to_vec) else {
            return Err(iso.err(format!("{who}: expected a socket path after :unix")));
        };
        return Ok(Target::Unix(unix_path(path)));
    }
    let host = match iso.heap.bytes(host) {
        Some(h) if !matches!(host, Value::Keyword(_)) => String::from_utf8_lossy(h).into_owned(),
        _ if host == Value::Nil => "127.0.0.1".to_string(),
        _ => return Err(iso.err(format!("{who}: expected a host string or :unix"))),
    };
    let port = match port {
        Value::Num(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(&n) => n as u16,
        Value::Nil => 0,
        v => match iso
            .heap
            .bytes(v)
            .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok())
        {
            Some(p) => p,
            None => return Err(iso.err(format!("{who}: expected a port number 0-65535"))),
        },
    };
    Ok(Target::Inet(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }))
}

/// The kernel's bytes for a language path (`@name` is abstract).
fn unix_path(mut path: Vec<u8>) -> Vec<u8> {
    if path.first() == Some(&b'@') {
        path[0] = 0;
    }
    path
}

/// Resolves a target (DNS runs on the helper pool).
pub async fn resolve(t: Target) -> io::Result<Vec<Addr>> {
    match t {
        Target::Unix(p) => Ok(vec![Addr::Unix(p)]),
        Target::Inet(s) => Ok(lookup_host(s).await?.into_iter().map(Addr::Inet).collect()),
    }
}

/// A new address object.
pub fn make(iso: &mut Isolate, addr: Addr) -> Value {
    let r = iso
        .heap
        .abstracts
        .alloc(Some(Box::new(NetAddress { addr })));
    Value::Abstract(r)
}

/// The address behind `v`, if it is an address object.
pub fn get(iso: &Isolate, v: Value) -> Option<Addr> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get(r).as_ref()?;
    (b.as_ref() as &dyn Any)
        .downcast_ref::<NetAddress>()
        .map(|a| a.addr.clone())
}

/// `[host port]` or `[path]`.
pub fn unpack(iso: &mut Isolate, addr: &Addr) -> Value {
    match addr {
        Addr::Inet(sa) => {
            let host = iso.str(&sa.ip().to_string());
            iso.heap.tuple(vec![host, Value::Num(sa.port() as f64)])
        }
        Addr::Unix(p) => {
            let mut p = p.clone();
            if p.first() == Some(&0) {
                p[0] = b'@';
            }
            let path = iso.heap.string(&p);
            iso.heap.tuple(vec![path])
        }
    }
}

/// The local (or, with `peer`, remote) address of a stream.
pub fn stream_name(kind: &Kind, peer: bool) -> Result<io::Result<Addr>, &'static str> {
    let inet = |r: io::Result<SocketAddr>| r.map(Addr::Inet);
    let unix = |r: io::Result<Vec<u8>>| r.map(Addr::Unix);
    Ok(match (kind, peer) {
        (Kind::Tcp(s), true) => inet(s.peer_addr()),
        (Kind::Tcp(s), false) => inet(s.local_addr()),
        (Kind::Listener(l), false) => inet(l.local_addr()),
        (Kind::Udp(u), true) => inet(u.sock.peer_addr()),
        (Kind::Udp(u), false) => inet(u.sock.local_addr()),
        (Kind::Unix(s), true) => unix(s.peer_path()),
        (Kind::Unix(s), false) => unix(s.local_path()),
        (Kind::UnixListener(l), false) => unix(l.local_path()),
        (Kind::Listener(_) | Kind::UnixListener(_), true) => return Err("a listener has no peer"),
        (Kind::Fd(_), _) => return Err("not a socket"),
    })
}

fn address(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(4))?;
    let t = target(iso, a, 0, "net/address")?;
    match a.get(2) {
        None | Some(Value::Nil) => {}
        Some(v) if is_keyword(iso, *v, "stream") || is_keyword(iso, *v, "datagram") => {}
        Some(_) => return Err(iso.err("net/address: type must be :stream or :datagram")),
    }
    let multi = a.get(3).is_some_and(|v| v.truthy());
    let fut: OpFuture = Box::pin(async move {
        let r = resolve(t).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(addrs) if addrs.is_empty() => Resume::Error(iso.str("net/address: no addresses")),
            Ok(addrs) if multi => {
                let items = addrs.into_iter().map(|x| make(iso, x)).collect();
                Resume::Value(iso.heap.array(items))
            }
            Ok(mut addrs) => Resume::Value(make(iso, addrs.swap_remove(0))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

fn address_unpack(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    match get(iso, a[0]) {
        Some(addr) => Ok(unpack(iso, &addr)),
        None => Err(iso.err("net/address-unpack: expected core/socket-address")),
    }
}

pub fn register(env: &mut Env) {
    env.native("net/address", "(net/address host port &opt type multi)\n\nResolves host and port to a core/socket-address (an array of them when multi is truthy). type is :stream (default) or :datagram; host :unix makes a Unix-domain address with port as its path (a leading @ is abstract). Parks while resolving.", address);
    env.native(
        "net/address-unpack",
        "(net/address-unpack addr)\n\n[host port] of an address, or [path] for a Unix-domain one.",
        address_unpack,
    );
}
