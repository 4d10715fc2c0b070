//! Unix-domain stream sockets behind `:unix` hosts: `net/listen`,
//! `net/server`, `net/connect` and `net/accept` hand them here. The path is
//! the kernel's bytes (`net_addr` has already turned a leading `@` into the
//! NUL of an abstract socket).
//!
//! Invariant: as for TCP, every wait is one op owning an `Arc` of the socket.

use super::net::{io_err, start};
use crate::ev::ops::{Done, OpFuture};
use crate::ev::stream::{self, Kind};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::net::{UnixListener, UnixStream};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// Binds and listens at `path` (which must not exist yet).
pub fn listen(iso: &mut Isolate, path: Vec<u8>) -> Result<Value, Flow> {
    match UnixListener::bind(path_of(&path)) {
        Ok(l) => Ok(stream::make(iso, Kind::UnixListener(Arc::new(l)))),
        Err(e) => Err(iso.err(format!("net/listen: {e}"))),
    }
}

/// Parks until a connection arrives on `l` (the stream `listener`).
pub fn accept(
    iso: &mut Isolate,
    listener: Value,
    l: Arc<UnixListener>,
    timeout: Option<Duration>,
) -> Result<Value, Flow> {
    let fut: OpFuture = Box::pin(async move {
        let r = l.accept().await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(stream::make(iso, Kind::Unix(Arc::new(s)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, Some((listener, false)), timeout, fut)
}

/// Parks until connected to the socket at `path`.
pub fn connect(iso: &mut Isolate, path: Vec<u8>) -> Result<Value, Flow> {
    let fut: OpFuture = Box::pin(async move {
        let r = UnixStream::connect(path_of(&path)).await;
        Box::new(move |iso: &mut Isolate| match r {
            Ok(s) => Resume::Value(stream::make(iso, Kind::Unix(Arc::new(s)))),
            Err(e) => io_err(iso, e),
        }) as Done
    });
    start(iso, None, None, fut)
}
