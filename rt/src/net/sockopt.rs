//! Socket options for any socket type (`set_option`), typed so callers need
//! no libc: the integer-valued SOL_SOCKET, TCP and IP options plus IPv4 and
//! IPv6 multicast group membership.
//!
//! Invariant: every option maps to exactly one `setsockopt` call, and a
//! failure names the option.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use crate::io::sys;

/// One socket option and the value to set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SocketOption {
    Broadcast(bool),
    ReuseAddr(bool),
    ReusePort(bool),
    KeepAlive(bool),
    NoDelay(bool),
    SendBuffer(i32),
    RecvBuffer(i32),
    MulticastTtl(i32),
    Ipv6MulticastHops(i32),
    Ipv6UnicastHops(i32),
    /// Joins (true) or leaves an IPv4 group on the interface address.
    Ipv4Membership {
        join: bool,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    },
    /// Joins (true) or leaves an IPv6 group on the interface index.
    Ipv6Membership {
        join: bool,
        group: Ipv6Addr,
        interface: u32,
    },
}

/// Sets `opt` on `sock`.
pub fn set_option(sock: &impl AsRawFd, opt: SocketOption) -> io::Result<()> {
    use SocketOption::*;
    let fd = sock.as_raw_fd();
    let int = |level, name, v: i32, what| sys::set_opt(fd, level, name, v, what);
    match opt {
        Broadcast(on) => int(
            libc::SOL_SOCKET,
            libc::SO_BROADCAST,
            on as i32,
            "setsockopt(SO_BROADCAST)",
        ),
        ReuseAddr(on) => int(
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            on as i32,
            "setsockopt(SO_REUSEADDR)",
        ),
        ReusePort(on) => int(
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            on as i32,
            "setsockopt(SO_REUSEPORT)",
        ),
        KeepAlive(on) => int(
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            on as i32,
            "setsockopt(SO_KEEPALIVE)",
        ),
        NoDelay(on) => int(
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            on as i32,
            "setsockopt(TCP_NODELAY)",
        ),
        SendBuffer(n) => int(
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            n,
            "setsockopt(SO_SNDBUF)",
        ),
        RecvBuffer(n) => int(
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            n,
            "setsockopt(SO_RCVBUF)",
        ),
        MulticastTtl(n) => int(
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_TTL,
            n,
            "setsockopt(IP_MULTICAST_TTL)",
        ),
        Ipv6MulticastHops(n) => int(
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_HOPS,
            n,
            "setsockopt(IPV6_MULTICAST_HOPS)",
        ),
        Ipv6UnicastHops(n) => int(
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS,
            n,
            "setsockopt(IPV6_UNICAST_HOPS)",
        ),
        Ipv4Membership {
            join,
            group,
            interface,
        } => {
            let mreq = libc::ip_mreq {
                imr_multiaddr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(group.octets()),
                },
                imr_interface: libc::in_addr {
                    s_addr: u32::from_ne_bytes(interface.octets()),
                },
            };
            let (name, what) = if join {
                (libc::IP_ADD_MEMBERSHIP, "setsockopt(IP_ADD_MEMBERSHIP)")
            } else {
                (libc::IP_DROP_MEMBERSHIP, "setsockopt(IP_DROP_MEMBERSHIP)")
            };
            sys::set_opt_struct(fd, libc::IPPROTO_IP, name, &mreq, what)
        }
        Ipv6Membership {
            join,
            group,
            interface,
        } => {
            let mreq = libc::ipv6_mreq {
                ipv6mr_multiaddr: libc::in6_addr {
                    s6_addr: group.octets(),
                },
                ipv6mr_interface: interface,
            };
            let (name, what) = if join {
                (libc::IPV6_ADD_MEMBERSHIP, "setsockopt(IPV6_ADD_MEMBERSHIP)")
            } else {
                (
                    libc::IPV6_DROP_MEMBERSHIP,
                    "setsockopt(IPV6_DROP_MEMBERSHIP)",
                )
            };
            sys::set_opt_struct(fd, libc::IPPROTO_IPV6, name, &mreq, what)
        }
    }
}
