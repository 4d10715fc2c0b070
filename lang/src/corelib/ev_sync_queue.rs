//! `sync/make-queue` (api.md §8): a bounded, closeable FIFO on
//! spindle-sync's `Queue`.
//!
//! Items are stored as marshalled bytes (`marshal::to_bytes`), never as
//! heap values: the queue's state is outside every isolate's heap, so a
//! taker in another isolate will get a copy as §7 says, and a taker here
//! gets a copy too (later mutation on either side is not seen by the
//! other — the same rule in every isolate). The restriction this brings
//! today: an item must be marshallable (nil, booleans, numbers, strings,
//! buffers, keywords, symbols, tuples, arrays, structs, tables); `:put` of
//! a function, fiber or handle raises "queue :put: cannot copy ...". The
//! cross-isolate copier (§7, not built yet) will widen what crosses, with
//! no change to the queue.
//!
//! Invariants:
//! - An item leaves the queue only into a task that resumes with it: a
//!   take that finished while its task was being cancelled puts the item
//!   back at the front (`Queue::give_back`, through the grant), so no item
//!   is lost and order is kept.
//! - After close, takers drain what is queued, then get `sync/closed`;
//!   puts return false and enqueue nothing.
//! - A put that committed stays committed: if its task is cancelled before
//!   resuming, the item is already visible to takers and the putter just
//!   raises the cancel (a put hands nothing to its own task to give back).

use super::args;
use super::ev_sync::{arg, closed, new_obj, opt_timeout, park_op, Answer, Handle, Kind};
use super::registry::Env;
use crate::ev::grant::Grant;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_sync::{PutError, Queue, TakeError};
use std::sync::Arc;

type Items = Arc<Queue<Vec<u8>>>;

fn make_queue(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let cap = args::int(iso, a, 0)?;
    if cap < 1 {
        return Err(iso.err("sync/make-queue: capacity must be a positive integer"));
    }
    let q = Arc::new(Queue::new(cap as usize));
    Ok(new_obj(iso, Handle::Queue(q), Vec::new()))
}

fn queue(iso: &mut Isolate, a: &[Value]) -> Result<Items, Flow> {
    arg(iso, a, 0, Kind::Queue, |o| match &o.handle {
        Handle::Queue(q) => Some(q.clone()),
        _ => None,
    })
}

/// The item's copy form, or an error naming the queue operation.
fn pack(iso: &mut Isolate, op: &str, v: Value) -> Result<Vec<u8>, Flow> {
    super::marshal::to_bytes(iso, v).map_err(|e| {
        let why = match e {
            Flow::Error(m) => iso
                .heap
                .bytes(m)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let why = why.strip_prefix("marshal: ").unwrap_or(&why).to_string();
        iso.err(format!(
            "queue {}: cannot copy the item into the queue ({})",
            op, why
        ))
    })
}

fn put(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(3))?;
    let q = queue(iso, a)?;
    let timeout = opt_timeout(iso, a, 2)?;
    let item = pack(iso, ":put", a[1])?;
    let item = match q.try_put(item) {
        Ok(()) => return Ok(Value::Bool(true)),
        Err(PutError::Closed(_)) => return Ok(Value::Bool(false)),
        Err(PutError::Full(item)) => item,
    };
    let on_timeout = iso.heap.keyword("timeout");
    park_op(iso, timeout, on_timeout, async move {
        let put = q.put_async(item).await;
        (Grant::none(), Answer::Bool(put.is_ok()))
    })
}

fn try_put(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let q = queue(iso, a)?;
    let item = pack(iso, ":try-put", a[1])?;
    Ok(Value::Bool(q.try_put(item).is_ok()))
}

fn take(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let q = queue(iso, a)?;
    let timeout = opt_timeout(iso, a, 1)?;
    match q.try_take() {
        Ok(item) => return super::marshal::from_bytes(iso, &item),
        Err(TakeError::Closed) => return Ok(closed(iso)),
        Err(TakeError::Empty) => {}
    }
    park_op(iso, timeout, args::opt(a, 2), async move {
        match q.take_async().await {
            Ok(item) => {
                let back = item.clone();
                (Grant::new(move || q.give_back(back)), Answer::Item(item))
            }
            Err(_) => (Grant::none(), Answer::Closed),
        }
    })
}

fn try_take(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let q = queue(iso, a)?;
    match q.try_take() {
        Ok(item) => super::marshal::from_bytes(iso, &item),
        Err(TakeError::Closed) => Ok(closed(iso)),
        Err(TakeError::Empty) => Ok(args::opt(a, 1)),
    }
}

fn close(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    queue(iso, a)?.close();
    Ok(Value::Nil)
}

fn is_closed(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Bool(queue(iso, a)?.is_closed()))
}

fn size(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Num(queue(iso, a)?.len() as f64))
}

fn capacity(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Num(queue(iso, a)?.capacity() as f64))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("sync/make-queue", "(sync/make-queue capacity)\n\nA bounded, closeable FIFO. Items are copied in (marshalled) and out, so they must be marshallable data. Methods: (:put q v &opt timeout) parks while full: true once enqueued, false if closed, :timeout; (:take q &opt timeout default) parks while empty; after close drains, then returns sync/closed; default on timeout; (:try-put q v) boolean; (:try-take q &opt default) item, sync/closed once closed and drained, or default; (:close q) idempotent, wakes every waiter, returns nil; (:closed? q); (:size q); (:capacity q).", make_queue);
    env.native(
        "sync/-queue-put",
        "(sync/-queue-put q v &opt timeout)\n\nThe queue's :put.",
        put,
    );
    env.native(
        "sync/-queue-take",
        "(sync/-queue-take q &opt timeout default)\n\nThe queue's :take.",
        take,
    );
    env.native(
        "sync/-queue-try-put",
        "(sync/-queue-try-put q v)\n\nThe queue's :try-put.",
        try_put,
    );
    env.native(
        "sync/-queue-try-take",
        "(sync/-queue-try-take q &opt default)\n\nThe queue's :try-take.",
        try_take,
    );
    env.native(
        "sync/-queue-close",
        "(sync/-queue-close q)\n\nThe queue's :close. Returns nil.",
        close,
    );
    env.native(
        "sync/-queue-closed?",
        "(sync/-queue-closed? q)\n\nThe queue's :closed?.",
        is_closed,
    );
    env.native(
        "sync/-queue-size",
        "(sync/-queue-size q)\n\nThe queue's :size: items queued now.",
        size,
    );
    env.native(
        "sync/-queue-capacity",
        "(sync/-queue-capacity q)\n\nThe queue's :capacity.",
        capacity,
    );
}
