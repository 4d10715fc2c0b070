//! UDP sockets: `(net/listen host port :datagram)` binds one,
//! `(net/connect host port :datagram)` binds an ephemeral one and sets its
//! peer, `net/socket` makes one for sending (or, as `:stream`, an
//! unconnected TCP socket); `net/send-to` and
//! `net/recv-from` move single datagrams with explicit addresses.
//!
//! Invariant: concurrent receivers on one socket (`net/recv-from`, and
//! `net/read` on a connected one) are served FIFO, one datagram each,
//! through the socket's `recv_turn` (`ev::sock::UdpSock`).

use super::args;
use super::net::{append, io_err, kind_of, opt_timeout, start};
use super::net_addr::{self, Addr};
use super::registry::Env;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::sock::{UdpSock, MAX_DATAGRAM};
use crate::ev::stream::{self, Kind};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::net::{lookup_host, UdpSocket};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

fn udp_value(iso: &mut Isolate, s: UdpSocket) -> Value {
    stream::make(iso, Kind::Udp(Arc::new(UdpSock::new(s))))
}

/// Binds a UDP socket at `addr` (`host:port`), with SO_REUSEADDR and
/// SO_REUSEPORT when `reuse`.
pub fn listen(iso: &mut Isolate, addr: String, reuse: bool) -> Result<Value, Flow> {
    let fut: OpFuture = Box::pin(async move {
        let r = UdpSocket::bind_with(addr, reuse).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(udp_value(iso, s)),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

/// A UDP socket bound to `bind` (an ephemeral port by default) whose peer
/// is `addr`; `a` holds net/connect's arguments (bindhost, bindport at 3, 4).
pub fn connect(iso: &mut Isolate, addr: String, a: &[Value]) -> Result<Value, Flow> {
    let bind = match a.get(3) {
        None | Some(Value::Nil) => None,
        Some(_) => match net_addr::target(iso, a, 3, "net/connect")? {
            net_addr::Target::Inet(b) => Some(b),
            net_addr::Target::Unix(_) => {
                return Err(iso.err("net/connect: cannot bind a UDP socket to :unix"))
            }
        },
    };
    let fut: OpFuture = Box::pin(async move {
        let r = async {
            let peer = lookup_host(addr)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| io::Error::other("net/connect: no addresses"))?;
            let local = match bind {
                Some(b) => b,
                None if peer.is_ipv4() => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)).to_string(),
                None => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)).to_string(),
            };
            let s = UdpSocket::bind(local).await?;
            s.connect(peer).await?;
            Ok::<_, io::Error>(s)
        }
        .await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(udp_value(iso, s)),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}

fn udp_of(iso: &mut Isolate, v: Value, who: &str) -> Result<Arc<UdpSock>, Flow> {
    match kind_of(iso, v) {
        Ok(Kind::Udp(u)) => Ok(u),
        Ok(_) => Err(iso.err(format!("{who}: expected a datagram socket"))),
        Err(_) => Err(iso.err("stream closed")),
    }
}

fn send_to(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 3, Some(4))?;
    let u = udp_of(iso, a[0], "net/send-to")?;
    let dest = match net_addr::get(iso, a[1]) {
        Some(Addr::Inet(sa)) => sa,
        Some(Addr::Unix(_)) => {
            return Err(iso.err("net/send-to: cannot send a datagram to a Unix address"))
        }
        None => return Err(iso.err("net/send-to: expected a core/socket-address as dest")),
    };
    let data = args::bytes(iso, a, 2)?;
    let timeout = opt_timeout(iso, a, 3)?;
    let fut: OpFuture = Box::pin(async move {
        let r = u.sock.send_to(&data, dest).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(_) => Resume::Value(Value::Nil),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, Some((a[0], true)), timeout, fut)
}

fn recv_from(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 3, Some(4))?;
    let u = match kind_of(iso, a[0]) {
        Ok(Kind::Udp(u)) => u,
        Ok(_) => return Err(iso.err("net/recv-from: expected a datagram socket")),
        Err(e) => return Err(e),
    };
    let n = args::int(iso, a, 1)?.clamp(0, MAX_DATAGRAM as i64) as usize;
    let buf = match a[2] {
        b @ Value::Buffer(_) => b,
        _ => return Err(iso.err("net/recv-from: bad slot #2, expected buffer")),
    };
    let timeout = opt_timeout(iso, a, 3)?;
    let fut: OpFuture = Box::pin(async move {
        let _turn = u.recv_turn.acquire_async().await;
        let mut data = vec![0; n];
        let r = u.sock.recv_from(&mut data).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok((len, from)) => {
                append(iso, buf, &data[..len]);
                Resume::Value(net_addr::make(iso, Addr::Inet(from)))
            }
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, Some((a[0], false)), timeout, fut)
}

fn socket(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    if !super::net::is_datagram(iso, a, 0, "net/socket")? {
        let s = spindle_rt::net::TcpStream::unconnected()
            .map_err(|e| iso.err(format!("net/socket: {e}")))?;
        return Ok(crate::ev::stream::make(
            iso,
            crate::ev::stream::Kind::Tcp(std::sync::Arc::new(s)),
        ));
    }
    listen(
        iso,
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)).to_string(),
        false,
    )
}

pub fn register(env: &mut Env) {
    env.native("net/send-to", "(net/send-to stream dest data &opt timeout)\n\nSends data as one datagram to the core/socket-address dest. Returns nil.", send_to);
    env.native("net/recv-from", "(net/recv-from stream n buf &opt timeout)\n\nReceives one datagram (at most n bytes) into buf and returns the sender's core/socket-address. Concurrent receivers are served FIFO, one datagram each.", recv_from);
    env.native("net/socket", "(net/socket &opt type)\n\nA new socket stream: :stream (the default) is an unbound, unconnected IPv4 TCP socket (options can be set and it can be closed; reads and writes raise \"not connected\"); :datagram is a UDP socket for net/send-to and net/recv-from, which Spindle binds to an ephemeral IPv4 port at once, as the kernel would on the first send.", socket);
}
