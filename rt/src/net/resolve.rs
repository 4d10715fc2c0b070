//! Address resolution. Literal socket addresses are parsed in place; names
//! go to `getaddrinfo` on the blocking pool (the ring has no DNS op), so a
//! slow resolver never stalls a worker.

use std::any::Any;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr` to socket addresses (blocking pool for names).
pub async fn lookup_host(addr: impl ToSocketAddrs + Send + 'static) -> io::Result<Vec<SocketAddr>> {
    let any: &dyn Any = &addr;
    if let Some(a) = any.downcast_ref::<SocketAddr>() {
        return Ok(vec![*a]);
    }
    let literal = any
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| any.downcast_ref::<String>().map(String::as_str))
        .and_then(|s| s.parse::<SocketAddr>().ok());
    if let Some(a) = literal {
        return Ok(vec![a]);
    }
    crate::runtime::spawn_blocking(move || addr.to_socket_addrs().map(Iterator::collect))
        .await?
        .map_err(|e| io::Error::new(e.kind(), format!("lookup_host: {e}")))
}

pub(crate) async fn resolve(
    addr: impl ToSocketAddrs + Send + 'static,
) -> io::Result<Vec<SocketAddr>> {
    lookup_host(addr).await
}
