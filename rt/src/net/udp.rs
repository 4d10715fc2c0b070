//! UDP: `UdpSocket` with send_to / recv_from (sendmsg/recvmsg ops) and
//! connected send / recv.
//!
//! Invariant: each datagram op owns its buffer and address until completion.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::resolve::resolve;
use crate::driver::op::Op;
use crate::io::buf_ops::{RecvFrom, SendTo};
use crate::io::fd::{on_epoll, FdKind, IoFd};
use crate::io::sock_ops::Connect;
use crate::io::sys::{self, RawAddr};

/// A UDP socket.
pub struct UdpSocket {
    io: IoFd,
}

impl UdpSocket {
    /// Binds to the first address that works.
    pub async fn bind(addr: impl ToSocketAddrs + Send + 'static) -> io::Result<UdpSocket> {
        Self::bind_with(addr, false).await
    }

    /// As `bind`; with `reuse`, SO_REUSEADDR and SO_REUSEPORT are set
    /// before binding, so several sockets can share the port.
    pub async fn bind_with(
        addr: impl ToSocketAddrs + Send + 'static,
        reuse: bool,
    ) -> io::Result<UdpSocket> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "bind: no addresses to bind");
        for a in resolve(addr).await? {
            let domain = if a.is_ipv4() {
                libc::AF_INET
            } else {
                libc::AF_INET6
            };
            let fd = sys::socket(domain, libc::SOCK_DGRAM, on_epoll())?;
            if reuse {
                for (name, what) in [
                    (libc::SO_REUSEADDR, "setsockopt(SO_REUSEADDR)"),
                    (libc::SO_REUSEPORT, "setsockopt(SO_REUSEPORT)"),
                ] {
                    sys::set_opt(fd.as_raw_fd(), libc::SOL_SOCKET, name, 1, what)?;
                }
            }
            match sys::bind(fd.as_raw_fd(), &RawAddr::from_inet(&a)) {
                Ok(()) => {
                    return Ok(UdpSocket {
                        io: IoFd::new(fd, FdKind::Socket),
                    })
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::local_addr(self.io.raw())?.socket_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        sys::peer_addr(self.io.raw())?.socket_addr()
    }

    /// Sends one datagram to `target`.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let (res, _) = Op::new(SendTo::new(
            self.io.raw(),
            buf.to_vec(),
            RawAddr::from_inet(&target),
        ))
        .await;
        res
    }

    /// Receives one datagram; returns its length and sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (res, data) =
            Op::new(RecvFrom::new(self.io.raw(), Vec::with_capacity(buf.len()))).await;
        let (n, addr) = res?;
        buf[..n].copy_from_slice(&data[..n]);
        Ok((n, addr.socket_addr()?))
    }

    /// Sets the default peer for `send` / `recv`.
    pub async fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        Op::new(Connect {
            fd: self.io.raw(),
            addr: RawAddr::from_inet(&addr),
            started: false,
        })
        .await
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_at(buf, u64::MAX).await
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_at(buf, u64::MAX).await
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.io.raw())
            .finish()
    }
}
