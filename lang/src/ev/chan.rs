//! In-isolate channels (`ev/chan`): a buffer plus FIFOs of parked takers
//! and givers.
//!
//! Invariants:
//! - A parked giver's value lives in its waiter record, never in the
//!   buffer, until the give commits; so a losing `ev/select` give clause
//!   (its record goes stale when another clause wakes the task) never
//!   leaves its value behind, and capacity 0 is a true rendezvous.
//! - A record commits only through `Loop::wake`, which succeeds once per
//!   wait; stale records are skipped and dropped when met.
//! - Buffered items survive `close`: takers drain them, then get nil.

use crate::isolate::Isolate;
use crate::objects::AbstractType;
use crate::value::{Ref, Value};
use std::any::Any;
use std::collections::VecDeque;

use super::sched::{Loop, Resume};

/// The buffer policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cap {
    /// Holds up to n (0 = rendezvous); gives park when full.
    Bounded(usize),
    /// Never full.
    Unbounded,
    /// When full, a give succeeds and the new value is dropped.
    Dropping(usize),
    /// When full, a give succeeds and the oldest value is dropped.
    Sliding(usize),
}

/// A parked taker or giver.
#[derive(Clone, Copy, Debug)]
pub struct Waiter {
    pub task: Ref,
    pub seq: u64,
    /// Waiting inside `ev/select` (the result is a tagged tuple).
    pub select: bool,
    /// The value a giver offers.
    pub value: Value,
}

/// A channel object (abstract type `core/channel`).
#[derive(Debug)]
pub struct Chan {
    pub cap: Cap,
    pub items: VecDeque<Value>,
    pub takers: VecDeque<Waiter>,
    pub givers: VecDeque<Waiter>,
    pub closed: bool,
    pub methods: Value,
    /// Waiter count at which `push_waiter` next drops stale records.
    pub compact_at: usize,
}

impl AbstractType for Chan {
    fn type_name(&self) -> &'static str {
        "core/channel"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.extend(self.items.iter().copied());
        for w in self.takers.iter().chain(self.givers.iter()) {
            out.push(Value::Fiber(w.task));
            out.push(w.value);
        }
        out.push(self.methods);
    }
    fn methods(&self) -> Value {
        self.methods
    }
}

impl Chan {
    /// Number of items the buffer holds before gives park (or drop).
    pub fn limit(&self) -> Option<usize> {
        match self.cap {
            Cap::Bounded(n) | Cap::Dropping(n) | Cap::Sliding(n) => Some(n),
            Cap::Unbounded => None,
        }
    }

    /// True if the buffer is at its limit.
    pub fn full(&self) -> bool {
        self.limit().is_some_and(|n| self.items.len() >= n)
    }
}

/// A new channel value.
pub fn make(iso: &mut Isolate, cap: Cap) -> Value {
    let methods = iso.ev.chan_methods;
    let r = iso.heap.abstracts.alloc(Some(Box::new(Chan {
        cap,
        items: VecDeque::new(),
        takers: VecDeque::new(),
        givers: VecDeque::new(),
        closed: false,
        methods,
        compact_at: 64,
    })));
    Value::Abstract(r)
}

/// The channel behind `v`, if it is one.
pub fn get_mut(iso: &mut Isolate, v: Value) -> Option<&mut Chan> {
    chan_in(&mut iso.heap.abstracts, v)
}

fn chan_in(
    arena: &mut crate::heap::arena::Arena<crate::objects::AbstractBox>,
    v: Value,
) -> Option<&mut Chan> {
    let Value::Abstract(r) = v else { return None };
    let b = arena.get_mut(r).as_mut()?;
    (b.as_mut() as &mut dyn Any).downcast_mut::<Chan>()
}

/// Parks record `w` on `ch` as a giver or a taker. Records of waits that
/// ended elsewhere (select losers, timeouts) are dropped once the queues
/// double past their last live size, so they cannot pile up.
pub fn push_waiter(iso: &mut Isolate, ch: Value, w: Waiter, giver: bool) {
    let Isolate { heap, ev, .. } = iso;
    let Some(c) = chan_in(&mut heap.abstracts, ch) else {
        return;
    };
    if c.takers.len() + c.givers.len() >= c.compact_at {
        c.takers.retain(|x| ev.is_parked(x.task, x.seq));
        c.givers.retain(|x| ev.is_parked(x.task, x.seq));
        c.compact_at = (2 * (c.takers.len() + c.givers.len())).max(64);
    }
    if giver {
        c.givers.push_back(w);
    } else {
        c.takers.push_back(w);
    }
}

/// Outcome of a non-parking give.
pub enum TryGive {
    Done,
    Full,
    Closed,
}

/// Outcome of a non-parking take.
pub enum TryTake {
    Got(Value),
    Empty,
    Closed,
}

/// What a woken waiter's suspended call returns.
fn tagged(iso: &mut Isolate, w: &Waiter, tag: &str, ch: Value, x: Option<Value>) -> Value {
    if !w.select {
        return match tag {
            "take" => x.unwrap_or(Value::Nil),
            "give" => ch,
            _ => Value::Nil,
        };
    }
    let k = iso.heap.keyword(tag);
    let mut items = vec![k, ch];
    items.extend(x);
    iso.heap.tuple(items)
}

/// Pops the first live waiter of `q` (stale records are dropped as met).
fn pop_live(q: &mut VecDeque<Waiter>, ev: &Loop) -> Option<Waiter> {
    while let Some(w) = q.pop_front() {
        if ev.is_parked(w.task, w.seq) {
            return Some(w);
        }
    }
    None
}

/// Wakes giver or taker `w` whose wait `tag` committed; `x` is what a
/// taker receives.
fn commit(iso: &mut Isolate, w: &Waiter, tag: &str, ch: Value, x: Option<Value>) {
    let r = tagged(iso, w, tag, ch, x);
    iso.ev.wake(w.task, w.seq, Resume::Value(r));
}

/// Gives `v` without parking: to a parked taker, else into the buffer.
/// The channel is looked up once; only a select waiter's tagged result
/// needs the heap again.
pub fn try_give(iso: &mut Isolate, ch: Value, v: Value) -> TryGive {
    let Isolate { heap, ev, .. } = iso;
    let Some(c) = chan_in(&mut heap.abstracts, ch) else {
        return TryGive::Closed;
    };
    if c.closed {
        return TryGive::Closed;
    }
    if let Some(w) = pop_live(&mut c.takers, ev) {
        if w.select {
            commit(iso, &w, "take", ch, Some(v));
        } else {
            ev.wake(w.task, w.seq, Resume::Value(v));
        }
        return TryGive::Done;
    }
    match c.cap {
        Cap::Unbounded => c.items.push_back(v),
        Cap::Bounded(n) if c.items.len() < n => c.items.push_back(v),
        Cap::Bounded(_) => return TryGive::Full,
        Cap::Dropping(n) => {
            if c.items.len() < n {
                c.items.push_back(v);
            }
        }
        Cap::Sliding(n) => {
            if c.items.len() >= n {
                c.items.pop_front();
            }
            if n > 0 {
                c.items.push_back(v);
            }
        }
    }
    TryGive::Done
}

/// Gives even past the capacity (supervisor messages never park).
pub fn give_nowait(iso: &mut Isolate, ch: Value, v: Value) {
    if let TryGive::Full = try_give(iso, ch, v) {
        if let Some(c) = get_mut(iso, ch) {
            c.items.push_back(v);
        }
    }
}

/// Takes without parking: from the buffer (refilled from a parked giver),
/// else straight from a parked giver.
pub fn try_take(iso: &mut Isolate, ch: Value) -> TryTake {
    let Isolate { heap, ev, .. } = iso;
    let Some(c) = chan_in(&mut heap.abstracts, ch) else {
        return TryTake::Closed;
    };
    let (got, giver) = match c.items.pop_front() {
        Some(x) => {
            let giver = pop_live(&mut c.givers, ev);
            if let Some(w) = &giver {
                c.items.push_back(w.value);
            }
            (x, giver)
        }
        None => match pop_live(&mut c.givers, ev) {
            Some(w) => (w.value, Some(w)),
            None if c.closed => return TryTake::Closed,
            None => return TryTake::Empty,
        },
    };
    if let Some(w) = giver {
        if w.select {
            commit(iso, &w, "give", ch, None);
        } else {
            ev.wake(w.task, w.seq, Resume::Value(ch));
        }
    }
    TryTake::Got(got)
}

/// Closes `ch`: parked takers and givers wake with nil (`[:close ch]` in
/// a select); buffered items stay takeable.
pub fn close(iso: &mut Isolate, ch: Value) {
    let Some(c) = get_mut(iso, ch) else { return };
    if c.closed {
        return;
    }
    c.closed = true;
    let waiters: Vec<Waiter> = c.takers.drain(..).chain(c.givers.drain(..)).collect();
    for w in waiters {
        if iso.ev.is_parked(w.task, w.seq) {
            let r = tagged(iso, &w, "close", ch, None);
            iso.ev.wake(w.task, w.seq, Resume::Value(r));
        }
    }
}
