//! Channel natives (api.md §3): `ev/chan`, `ev/give`, `ev/take`,
//! `ev/select`'s channel form, `ev/chan-close`, `ev/count`, `ev/capacity`,
//! `ev/full`, the dropping/sliding buffer specs, and the channel method
//! table.
//!
//! Invariant: a select first tries its clauses in order without parking;
//! only if none is ready does it park once with one waiter record per
//! clause, all carrying the same `seq`, so exactly one can commit.

use super::args;
use super::ev_task::{await_flow, park, seconds};
use super::registry::Env;
use crate::ev::chan::{self, Cap, TryGive, TryTake, Waiter};
use crate::ev::sched::{JoinKind, TaskWaiter};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::table::TableObj;
use crate::value::Value;
use std::time::Instant;

fn chan_arg(iso: &mut Isolate, a: &[Value], i: usize) -> Result<Value, Flow> {
    match a.get(i) {
        Some(v) if chan::get_mut(iso, *v).is_some() => Ok(*v),
        _ => Err(iso.err(format!("bad slot #{}, expected core/channel", i))),
    }
}

fn make(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    let cap = match args::opt(a, 0) {
        Value::Nil => Cap::Bounded(0),
        Value::Num(n) if n.is_infinite() && n > 0.0 => Cap::Unbounded,
        Value::Num(n) if n >= 0.0 && n.fract() == 0.0 => Cap::Bounded(n as usize),
        v @ Value::Keyword(_) if iso.heap.bytes(v) == Some(b"unbounded") => Cap::Unbounded,
        Value::Tuple(r) => {
            let items = &iso.heap.tuples.get(r).items;
            let kind = items.first().and_then(|k| iso.heap.bytes(*k));
            let n = items.get(1).and_then(|n| n.as_int()).unwrap_or(-1);
            match (kind, n) {
                (Some(b"dropping"), n) if n >= 0 => Cap::Dropping(n as usize),
                (Some(b"sliding"), n) if n >= 0 => Cap::Sliding(n as usize),
                _ => return Err(iso.err("bad buffer spec")),
            }
        }
        _ => return Err(iso.err("bad slot #0, expected capacity")),
    };
    Ok(chan::make(iso, cap))
}

fn buffer_spec(iso: &mut Isolate, a: &[Value], kind: &str) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let n = args::int(iso, a, 0)?;
    if n < 0 {
        return Err(iso.err("buffer size must be >= 0"));
    }
    let k = iso.heap.keyword(kind);
    Ok(iso.heap.tuple(vec![k, Value::Num(n as f64)]))
}

fn dropping(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    buffer_spec(iso, a, "dropping")
}

fn sliding(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    buffer_spec(iso, a, "sliding")
}

// `give` and `take` look the channel up once, in `try_give`/`try_take`;
// a non-channel argument is told apart from a closed channel only on that
// (rare) path.
fn give(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let ch = a[0];
    match chan::try_give(iso, ch, a[1]) {
        TryGive::Done => Ok(ch),
        TryGive::Closed => {
            chan_arg(iso, a, 0)?;
            Err(iso.err("cannot write to closed channel"))
        }
        TryGive::Full => {
            let (task, seq) = park(iso)?;
            let w = Waiter {
                task,
                seq,
                select: false,
                value: a[1],
            };
            chan::push_waiter(iso, ch, w, true);
            Err(await_flow())
        }
    }
}

fn take(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let ch = a[0];
    match chan::try_take(iso, ch) {
        // As in Janet, a take that finds an item still goes through the
        // scheduler once (api.md: "for fairness"), so a consumer of a busy
        // channel cannot starve its siblings; outside a task it returns.
        TryTake::Got(x) if iso.ev.current.is_some() => {
            let (task, seq) = park(iso)?;
            iso.ev.wake(task, seq, Resume::Value(x));
            Err(await_flow())
        }
        TryTake::Got(x) => Ok(x),
        TryTake::Closed => {
            chan_arg(iso, a, 0)?;
            Ok(Value::Nil)
        }
        TryTake::Empty => {
            let timeout = match a.get(1) {
                Some(Value::Nil) | None => None,
                Some(_) => Some(seconds(iso, a, 1)?),
            };
            let (task, seq) = park(iso)?;
            let w = Waiter {
                task,
                seq,
                select: false,
                value: Value::Nil,
            };
            chan::push_waiter(iso, ch, w, false);
            if let Some(d) = timeout {
                let dflt = args::opt(a, 2);
                iso.ev
                    .add_timer(task, seq, Instant::now() + d, Resume::Value(dflt));
            }
            Err(await_flow())
        }
    }
}

fn tag(iso: &mut Isolate, t: &str, ch: Value, x: Option<Value>) -> Value {
    let k = iso.heap.keyword(t);
    let mut items = vec![k, ch];
    items.extend(x);
    iso.heap.tuple(items)
}

/// The channel form of `ev/select` over `clauses` (already ordered).
fn select_clauses(iso: &mut Isolate, clauses: &[Value]) -> Result<Value, Flow> {
    enum Clause {
        Take(Value),
        Give(Value, Value),
        Task(crate::value::Ref),
    }
    let mut parsed = Vec::with_capacity(clauses.len());
    for (i, c) in clauses.iter().enumerate() {
        let clause = match *c {
            Value::Fiber(f) => Clause::Task(f),
            Value::Tuple(_) | Value::Array(_) => {
                let items = iso.heap.items(*c).unwrap_or_default().to_vec();
                match items.as_slice() {
                    [ch, v] if chan::get_mut(iso, *ch).is_some() => Clause::Give(*ch, *v),
                    _ => return Err(iso.err(format!("bad select clause #{}", i))),
                }
            }
            v if chan::get_mut(iso, v).is_some() => Clause::Take(v),
            _ => return Err(iso.err(format!("bad select clause #{}", i))),
        };
        // Try it now.
        match clause {
            Clause::Take(ch) => match chan::try_take(iso, ch) {
                TryTake::Got(x) => return Ok(tag(iso, "take", ch, Some(x))),
                TryTake::Closed => return Ok(tag(iso, "close", ch, None)),
                TryTake::Empty => {}
            },
            Clause::Give(ch, v) => match chan::try_give(iso, ch, v) {
                TryGive::Done => return Ok(tag(iso, "give", ch, None)),
                TryGive::Closed => return Ok(tag(iso, "close", ch, None)),
                TryGive::Full => {}
            },
            Clause::Task(f) => {
                if !iso.ev.tasks.contains_key(&f) {
                    iso.ev.unconsumed.retain(|u| *u != f);
                    return Ok(tag(iso, "done", *c, None));
                }
            }
        }
        parsed.push(clause);
    }
    let (task, seq) = park(iso)?;
    for c in parsed {
        let mut w = Waiter {
            task,
            seq,
            select: true,
            value: Value::Nil,
        };
        match c {
            Clause::Take(ch) => chan::push_waiter(iso, ch, w, false),
            Clause::Give(ch, v) => {
                w.value = v;
                chan::push_waiter(iso, ch, w, true)
            }
            Clause::Task(f) => {
                if let Some(info) = iso.ev.tasks.get_mut(&f) {
                    info.add_waiter(TaskWaiter {
                        task,
                        seq,
                        kind: JoinKind::Select,
                    });
                }
            }
        }
    }
    Err(await_flow())
}

fn select(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    select_clauses(iso, a)
}

fn rselect(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let mut v = a.to_vec();
    // A small xorshift seeded from the clock: order only, not security.
    let mut s = Instant::now().elapsed().as_nanos() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    s ^= std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    for i in (1..v.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
    select_clauses(iso, &v)
}

fn close(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ch = chan_arg(iso, a, 0)?;
    chan::close(iso, ch);
    Ok(Value::Nil)
}

fn count(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ch = chan_arg(iso, a, 0)?;
    let n = chan::get_mut(iso, ch).map_or(0, |c| c.items.len());
    Ok(Value::Num(n as f64))
}

fn capacity(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ch = chan_arg(iso, a, 0)?;
    let lim = chan::get_mut(iso, ch).and_then(|c| c.limit());
    Ok(Value::Num(lim.map_or(f64::INFINITY, |n| n as f64)))
}

fn full(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ch = chan_arg(iso, a, 0)?;
    Ok(Value::Bool(
        chan::get_mut(iso, ch).is_some_and(|c| c.full()),
    ))
}

fn closed(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ch = chan_arg(iso, a, 0)?;
    Ok(Value::Bool(
        chan::get_mut(iso, ch).is_some_and(|c| c.closed),
    ))
}

/// Registers the module and builds the channel method table.
pub fn register(env: &mut Env) {
    env.native("ev/chan", "(ev/chan &opt capacity)\n\nA new channel. capacity: an integer >= 0 (default 0, a rendezvous), :unbounded or math/inf, or a buffer from ev/dropping-buffer / ev/sliding-buffer.", make);
    env.native("ev/dropping-buffer", "(ev/dropping-buffer n)\n\nBuffer spec of size n: gives to a full channel succeed and drop the new value.", dropping);
    env.native("ev/sliding-buffer", "(ev/sliding-buffer n)\n\nBuffer spec of size n: gives to a full channel succeed and drop the oldest value.", sliding);
    env.native("ev/give", "(ev/give ch v)\n\nHands v to a parked taker or queues it; parks while a bounded channel is full (capacity 0: until taken). Returns ch, or nil if the channel closes meanwhile.", give);
    env.native("ev/take", "(ev/take ch &opt timeout default)\n\nThe next item, FIFO, parking if none; a ready item is still returned through the scheduler once (fairness), as in Janet. A closed channel yields its remaining items, then nil. Returns default when timeout expires.", take);
    env.native(
        "ev/-select",
        "(ev/-select & clauses)\n\nThe channel form of ev/select.",
        select,
    );
    env.native(
        "ev/rselect",
        "(ev/rselect & clauses)\n\nev/select with the clauses shuffled first.",
        rselect,
    );
    env.native("ev/chan-close", "(ev/chan-close ch)\n\nCloses ch (idempotent). Parked takers and givers get nil; queued items can still be taken.", close);
    env.native(
        "ev/count",
        "(ev/count ch)\n\nNumber of queued items.",
        count,
    );
    env.native(
        "ev/capacity",
        "(ev/capacity ch)\n\nThe capacity (math/inf when unbounded).",
        capacity,
    );
    env.native(
        "ev/full",
        "(ev/full ch)\n\nTrue if count >= capacity.",
        full,
    );
    env.native(
        "ev/closed?",
        "(ev/closed? ch)\n\nTrue once ch is closed.",
        closed,
    );
    let methods = [
        ("give", "ev/give"),
        ("take", "ev/take"),
        ("select", "ev/-select"),
        ("rselect", "ev/rselect"),
        ("count", "ev/count"),
        ("capacity", "ev/capacity"),
        ("full", "ev/full"),
        ("close", "ev/chan-close"),
    ];
    let mut t = TableObj::default();
    for (k, name) in methods {
        let f = env
            .iso
            .natives
            .iter()
            .position(|n| n.name == name)
            .map_or(Value::Nil, |i| Value::Native(i as u32));
        let key = env.iso.heap.keyword(k);
        let h = env.iso.heap.hash(key);
        t.put(key, h, f, |x| x == key);
    }
    env.iso.ev.chan_methods = env.iso.heap.table(t);
}
