//! Socket kinds beyond TCP that a `core/stream` can wrap (UDP sockets,
//! Unix-domain streams and listeners), and `Conn`, the byte-stream view of
//! any connected socket that `ev/read`, `ev/chunk` and `ev/write` use.
//!
//! Invariant: receives on one UDP socket take turns through `recv_turn`, a
//! one-permit FIFO semaphore, so concurrent receivers are served in the
//! order they asked, one datagram each; a cancelled receiver's future drops
//! its place in line (or its permit) and lets the next one through.

use spindle_rt::net::{TcpStream, UdpSocket, UnixStream};
use spindle_sync::{Permit, Semaphore};
use std::io;
use std::sync::Arc;

use super::stream::Kind;

/// The largest datagram a UDP socket can carry.
pub const MAX_DATAGRAM: usize = 65536;

/// A UDP socket with its receive line.
#[derive(Debug)]
pub struct UdpSock {
    pub sock: UdpSocket,
    pub recv_turn: Semaphore,
}

impl UdpSock {
    pub fn new(sock: UdpSocket) -> UdpSock {
        UdpSock {
            sock,
            recv_turn: Semaphore::new(1),
        }
    }
}

/// A connected socket seen as a byte stream.
#[derive(Debug, Clone)]
pub enum Conn {
    Tcp(Arc<TcpStream>),
    Unix(Arc<UnixStream>),
    Udp(Arc<UdpSock>),
}

impl Conn {
    /// The byte-stream view of `kind`, if it is a connected socket.
    pub fn of(kind: &Kind) -> Option<Conn> {
        match kind {
            Kind::Tcp(s) => Some(Conn::Tcp(s.clone())),
            Kind::Unix(s) => Some(Conn::Unix(s.clone())),
            Kind::Udp(s) => Some(Conn::Udp(s.clone())),
            _ => None,
        }
    }

    /// Waits for this reader's turn where the socket needs one (UDP).
    pub async fn read_turn(&self) -> Option<Permit<'_>> {
        match self {
            Conn::Udp(u) => Some(u.recv_turn.acquire_async().await),
            _ => None,
        }
    }

    /// One read into the spare capacity of `buf` (one datagram for UDP).
    pub async fn read_owned(&self, mut buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        match self {
            Conn::Tcp(s) => s.read_owned(buf).await,
            Conn::Unix(s) => s.read_owned(buf).await,
            Conn::Udp(u) => {
                let mut room = vec![0; buf.capacity() - buf.len()];
                let r = u.sock.recv(&mut room).await;
                if let Ok(n) = r {
                    buf.extend_from_slice(&room[..n]);
                }
                (r, buf)
            }
        }
    }

    /// Reads to end of stream (one datagram for UDP, which has no end).
    pub async fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read_to_end(out).await,
            Conn::Unix(s) => s.read_to_end(out).await,
            Conn::Udp(_) => {
                let (r, back) = self.read_owned(Vec::with_capacity(MAX_DATAGRAM)).await;
                out.extend_from_slice(&back);
                r
            }
        }
    }

    /// Writes all of `buf` (as one datagram for UDP).
    pub async fn write_all_owned(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        match self {
            Conn::Tcp(s) => s.write_all_owned(buf).await,
            Conn::Unix(s) => s.write_all_owned(buf).await,
            Conn::Udp(u) => match u.sock.send(&buf).await {
                Ok(n) if n == buf.len() => (Ok(()), buf),
                Ok(_) => (Err(io::Error::other("datagram truncated")), buf),
                Err(e) => (Err(e), buf),
            },
        }
    }
}
