//! Networking: TCP, UDP and Unix-domain sockets on the completion-based
//! ops, socket options, plus name resolution on the blocking pool.

mod resolve;
mod sockopt;
mod tcp;
mod udp;
mod unix;

pub use resolve::lookup_host;
pub use sockopt::{set_option, SocketOption};
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
