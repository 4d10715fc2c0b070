//! TCP: `TcpListener` (multishot accept on io_uring where the kernel has it,
//! one accept op per call otherwise) and `TcpStream` (connect, read, write,
//! read_exact, write_all, shutdown, nodelay, addresses).
//!
//! Invariant: sockets are blocking-mode under io_uring (the ring waits for
//! readiness itself) and O_NONBLOCK under epoll (readiness + retry).

use std::io;
use std::net::{Shutdown as HowShutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::Poll;

use io_uring::{opcode, types};
use parking_lot::Mutex;

use super::resolve::resolve;
use crate::driver::op::{Multishot, Op};
use crate::io::fd::{on_epoll, FdKind, IoFd};
use crate::io::sock_ops::{Accept, Connect, Shutdown};
use crate::io::sys::{self, RawAddr};

fn new_socket(addr: &SocketAddr, ty: libc::c_int) -> io::Result<OwnedFd> {
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    sys::socket(domain, ty, on_epoll())
}

/// A TCP socket listening for connections.
pub struct TcpListener {
    io: IoFd,
    multi: Mutex<Option<Multishot>>,
}

impl TcpListener {
    /// Binds to the first address that works (SO_REUSEADDR, backlog 1024).
    pub async fn bind(addr: impl ToSocketAddrs + Send + 'static) -> io::Result<TcpListener> {
        Self::bind_with(addr, true, false).await
    }

    /// As `bind`, choosing SO_REUSEADDR and SO_REUSEPORT (set before the
    /// bind, so several listeners can share a port).
    pub async fn bind_with(
        addr: impl ToSocketAddrs + Send + 'static,
        reuse_addr: bool,
        reuse_port: bool,
    ) -> io::Result<TcpListener> {
        let addrs = resolve(addr).await?;
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "bind: no addresses to bind");
        for a in addrs {
            match Self::bind_one(&a, reuse_addr, reuse_port) {
                Ok(l) => return Ok(l),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn bind_one(addr: &SocketAddr, reuse_addr: bool, reuse_port: bool) -> io::Result<TcpListener> {
        let fd = new_socket(addr, libc::SOCK_STREAM)?;
        if reuse_addr {
            sys::set_opt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_REUSEADDR,
                1,
                "setsockopt(SO_REUSEADDR)",
            )?;
        }
        if reuse_port {
            sys::set_opt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_REUSEPORT,
                1,
                "setsockopt(SO_REUSEPORT)",
            )?;
        }
        sys::bind(fd.as_raw_fd(), &RawAddr::from_inet(addr))?;
        sys::listen(fd.as_raw_fd(), 1024)?;
        Ok(TcpListener {
            io: IoFd::new(fd, FdKind::Socket),
            multi: Mutex::new(None),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::local_addr(self.io.raw())?.socket_addr()
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        if let Some(fd) = self.accept_multishot().await {
            let fd = sys::owned(fd.map_err(|e| crate::driver::op::op_error("accept", e))?);
            let peer = sys::peer_addr(fd.as_raw_fd())?.socket_addr()?;
            return Ok((TcpStream::from_fd(fd), peer));
        }
        let flags = if on_epoll() { libc::SOCK_NONBLOCK } else { 0 };
        let (fd, addr) = Op::new(Accept {
            fd: self.io.raw(),
            addr: RawAddr::empty(),
            flags,
        })
        .await?;
        Ok((TcpStream::from_fd(fd), addr.socket_addr()?))
    }

    /// One result from the multishot accept, arming it as needed; `None`
    /// when multishot is not available here.
    async fn accept_multishot(&self) -> Option<io::Result<i32>> {
        let supported = crate::sched::context::with_worker(|w| {
            w.is_some_and(|w| {
                w.driver
                    .borrow()
                    .ring_flags()
                    .is_some_and(|f| f.multishot_accept)
            })
        });
        if !supported {
            return None;
        }
        std::future::poll_fn(|cx| {
            let coop = std::task::ready!(crate::sched::coop::poll_proceed(cx));
            let mut multi = self.multi.lock();
            loop {
                if multi.is_none() {
                    let e = opcode::AcceptMulti::new(types::Fd(self.io.raw()))
                        .flags(libc::SOCK_CLOEXEC)
                        .build();
                    match Multishot::start(e, true) {
                        Some(m) => *multi = Some(m),
                        None => return Poll::Ready(None),
                    }
                }
                match multi.as_ref().expect("armed above").poll_next(cx) {
                    Poll::Ready(Some(res)) => {
                        coop.made_progress();
                        let r = if res < 0 {
                            Err(io::Error::from_raw_os_error(-res))
                        } else {
                            Ok(res)
                        };
                        return Poll::Ready(Some(r));
                    }
                    // The kernel ended the multishot: re-arm.
                    Poll::Ready(None) => *multi = None,
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

/// A connected TCP socket.
pub struct TcpStream {
    io: IoFd,
}

impl TcpStream {
    pub(crate) fn from_fd(fd: OwnedFd) -> TcpStream {
        TcpStream {
            io: IoFd::stream(fd),
        }
    }

    /// An unbound, unconnected IPv4 stream socket (Janet's `net/socket`):
    /// options can be set on it and it can be closed; reads and writes
    /// fail with the kernel's "not connected".
    pub fn unconnected() -> io::Result<TcpStream> {
        let any = SocketAddr::from(([0, 0, 0, 0], 0));
        Ok(TcpStream::from_fd(new_socket(&any, libc::SOCK_STREAM)?))
    }

    /// Connects to the first address that accepts.
    pub async fn connect(addr: impl ToSocketAddrs + Send + 'static) -> io::Result<TcpStream> {
        let addrs = resolve(addr).await?;
        let mut last = io::Error::new(
            io::ErrorKind::InvalidInput,
            "connect: no addresses to connect to",
        );
        for a in addrs {
            let fd = new_socket(&a, libc::SOCK_STREAM)?;
            match Op::new(Connect {
                fd: fd.as_raw_fd(),
                addr: RawAddr::from_inet(&a),
                started: false,
            })
            .await
            {
                Ok(()) => return Ok(TcpStream::from_fd(fd)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Reads some bytes; `Ok(0)` at end of stream.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_at(buf, u64::MAX).await
    }

    /// Reads into an owned buffer's spare capacity and gives it back.
    pub async fn read_owned(&self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        self.io.read_owned_at(buf, u64::MAX).await
    }

    /// Fills `buf` completely or fails with `UnexpectedEof`.
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Reads until the peer closes.
    pub async fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.io.read_to_end(out, u64::MAX).await
    }

    /// Writes some bytes.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_at(buf, u64::MAX).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Writes all of an owned buffer and gives it back (no copy).
    pub async fn write_all_owned(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        self.io.write_all_owned(buf).await
    }

    /// Writes all of several slices as one message: they are gathered into
    /// one buffer and sent with as few calls as `write_all` would need.
    pub async fn write_all_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<()> {
        self.io.write_all_vectored(bufs).await
    }

    /// Writes all of several owned buffers with vectored sends (no copy)
    /// and gives them back.
    pub async fn write_all_vectored_owned(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> (io::Result<()>, Vec<Vec<u8>>) {
        self.io.write_all_vectored_owned(bufs).await
    }

    /// Reads once into the spare capacity of several owned buffers, filling
    /// them in order, and gives them back; `Ok(0)` when the peer closed.
    pub async fn read_vectored_owned(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> (io::Result<usize>, Vec<Vec<u8>>) {
        self.io.read_vectored_owned(bufs).await
    }

    /// Shuts down reading, writing or both.
    pub async fn shutdown(&self, how: HowShutdown) -> io::Result<()> {
        let how = match how {
            HowShutdown::Read => libc::SHUT_RD,
            HowShutdown::Write => libc::SHUT_WR,
            HowShutdown::Both => libc::SHUT_RDWR,
        };
        Op::new(Shutdown {
            fd: self.io.raw(),
            how,
        })
        .await
    }

    /// Sets TCP_NODELAY.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        sys::set_opt(
            self.io.raw(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            on as i32,
            "setsockopt(TCP_NODELAY)",
        )
    }

    /// Reads TCP_NODELAY.
    pub fn nodelay(&self) -> io::Result<bool> {
        sys::get_opt(
            self.io.raw(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            "getsockopt(TCP_NODELAY)",
        )
        .map(|v| v != 0)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::local_addr(self.io.raw())?.socket_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        sys::peer_addr(self.io.raw())?.socket_addr()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl std::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.io.raw())
            .finish()
    }
}

impl std::fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.io.raw())
            .finish()
    }
}
