//! Streams and listeners (abstract type `core/stream`): handles on
//! spindle-rt sockets shared by `Arc`, so an op in flight owns its own
//! reference and the isolate can move between workers meanwhile.
//!
//! Invariants:
//! - `kind` is `None` once closed; the fd closes when the last op holding
//!   the `Arc` is dropped (the loop drops ops of closed streams, which
//!   cancels them in the ring).
//! - `waiting` lists the waits of tasks with an op on this stream, so
//!   `close` can wake them (reads get nil, writes raise "stream closed").
//! - `turns` serves a socket's reads and writes FIFO, one at a time in each
//!   direction (api.md §4); descriptor streams carry their own
//!   (`FdStream`), and the socket ops take these.

use crate::isolate::Isolate;
use crate::objects::AbstractType;
use crate::value::{Ref, Value};
use spindle_rt::net::{TcpListener, TcpStream};
use spindle_rt::net::{UnixListener, UnixStream};
use std::any::Any;
use std::sync::Arc;

use super::fd_stream::FdStream;
use super::sched::Resume;
use super::sock::UdpSock;
use super::turnstile::Duplex;

/// What the stream wraps.
#[derive(Debug, Clone)]
pub enum Kind {
    Tcp(Arc<TcpStream>),
    Listener(Arc<TcpListener>),
    // UDP and Unix-domain sockets (`ev::sock`).
    Udp(Arc<UdpSock>),
    Unix(Arc<UnixStream>),
    UnixListener(Arc<UnixListener>),
    /// A pipe end, file or standard stream (`ev/fd_stream.rs`).
    Fd(Arc<FdStream>),
}

/// A wait on this stream: its task, seq, and whether it is a write.
#[derive(Debug, Clone, Copy)]
pub struct StreamWait {
    pub task: Ref,
    pub seq: u64,
    pub write: bool,
}

/// A stream object.
#[derive(Debug)]
pub struct Stream {
    pub kind: Option<Kind>,
    pub turns: Arc<Duplex>,
    pub waiting: Vec<StreamWait>,
    pub methods: Value,
}

impl AbstractType for Stream {
    fn type_name(&self) -> &'static str {
        "core/stream"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.methods);
        out.extend(self.waiting.iter().map(|w| Value::Fiber(w.task)));
    }
    fn methods(&self) -> Value {
        self.methods
    }
}

/// A new stream value around `kind`.
pub fn make(iso: &mut Isolate, kind: Kind) -> Value {
    let methods = iso.ev.stream_methods;
    let r = iso.heap.abstracts.alloc(Some(Box::new(Stream {
        kind: Some(kind),
        turns: Arc::default(),
        waiting: Vec::new(),
        methods,
    })));
    Value::Abstract(r)
}

/// The stream behind `v`, if it is one.
pub fn get_mut(iso: &mut Isolate, v: Value) -> Option<&mut Stream> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get_mut(r).as_mut()?;
    (b.as_mut() as &mut dyn Any).downcast_mut::<Stream>()
}

/// Records a task's wait on the stream (and forgets finished ones).
pub fn note_wait(iso: &mut Isolate, v: Value, w: StreamWait) {
    let Isolate { heap, ev, .. } = iso;
    let Value::Abstract(r) = v else { return };
    let Some(b) = heap.abstracts.get_mut(r).as_mut() else {
        return;
    };
    if let Some(s) = (b.as_mut() as &mut dyn Any).downcast_mut::<Stream>() {
        s.waiting.retain(|x| ev.is_parked(x.task, x.seq));
        s.waiting.push(w);
    }
}

/// Closes the stream (idempotent): parked readers get nil, writers raise
/// "stream closed"; their ops are dropped by the next sweep.
pub fn close(iso: &mut Isolate, v: Value) {
    let Some(s) = get_mut(iso, v) else { return };
    s.kind = None;
    let waits = std::mem::take(&mut s.waiting);
    for w in waits {
        let r = if w.write {
            Resume::Error(iso.str("stream closed"))
        } else {
            Resume::Value(Value::Nil)
        };
        iso.ev.wake(w.task, w.seq, r);
    }
    iso.ev.ops.dirty = true;
}
