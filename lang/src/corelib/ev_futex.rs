//! Fiber futexes on spindle-sync's process-wide wait table (api.md §8):
//! `ev/atomic`, `ev/futex-wait`, `ev/futex-wake`, and the task tokens that
//! locks record as their owners. `ev/lock` is `ev_lock.rs`.
//!
//! Invariants:
//! - A wait is an op (`ev::ops`) around `WaitTable::wait_async`, so the
//!   compare-and-enqueue happens under the bucket lock, and dropping the
//!   op (cancel, timeout) withdraws the record and passes on a wake it had
//!   already received (the table's baton rule). A wake that reached the
//!   task but was never resumed with (cancelled while ready) is passed on
//!   too, through the wait's grant (`ev::grant`).
//! - Atomics are `Arc`-shared handles: their key is the address of their
//!   cell, the same in every isolate and thread.
//! - A task's owner token is unique per task in the process (isolate uid
//!   << 32 | task id).

use super::args;
use super::ev_sync::{park_op, Answer};
use super::ev_task::seconds;
use super::registry::Env;
use crate::ev::grant::Grant;
use crate::isolate::{Flow, Isolate};
use crate::objects::{hash_bytes, AbstractType};
use crate::table::TableObj;
use crate::value::Value;
use spindle_sync::WaitResult;
use std::any::Any;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// A shared 64-bit cell: `ev/atomic` (kind "core/atomic").
#[derive(Debug)]
pub struct Cell {
    pub cell: Arc<AtomicI64>,
    pub methods: Value,
}

impl AbstractType for Cell {
    fn type_name(&self) -> &'static str {
        "core/atomic"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.methods);
    }
    fn methods(&self) -> Value {
        self.methods
    }
}

fn cell_of(iso: &mut Isolate, v: Value) -> Option<Arc<AtomicI64>> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get(r).as_ref()?;
    let c = (b.as_ref() as &dyn Any).downcast_ref::<Cell>()?;
    Some(c.cell.clone())
}

fn key_of_cell(c: &Arc<AtomicI64>) -> usize {
    Arc::as_ptr(c) as usize
}

/// The futex key of a language value.
fn key_of(iso: &mut Isolate, v: Value) -> Result<usize, Flow> {
    if let Some(c) = cell_of(iso, v) {
        return Ok(key_of_cell(&c));
    }
    if let Some(l) = super::ev_lock::lock_of(iso, v) {
        return Ok(super::ev_lock::key_of_lock(&l));
    }
    match v {
        Value::Num(_) => match v.as_int() {
            Some(i) => Ok(i as usize),
            None => Err(iso.err("futex key must be an integer")),
        },
        Value::Keyword(_) | Value::Str(_) => {
            let b = iso.heap.bytes(v).unwrap_or_default();
            Ok(hash_bytes(b) as usize | 1)
        }
        _ => Err(iso.err("futex key must be an integer, keyword, string or handle")),
    }
}

static LOOP_UIDS: AtomicU64 = AtomicU64::new(1);

/// The running task's process-unique token.
pub(super) fn owner_token(iso: &mut Isolate) -> Result<i64, Flow> {
    let Some(t) = iso.ev.current else {
        return Err(iso.err("no current task"));
    };
    let id = iso.ev.tasks.get(&t).map_or(0, |i| i.id);
    if iso.ev.uid == 0 {
        iso.ev.uid = LOOP_UIDS.fetch_add(1, Ordering::Relaxed);
    }
    Ok(((iso.ev.uid as i64) << 32) | (id as i64 & 0xffff_ffff))
}

fn make_cell(iso: &mut Isolate, init: i64) -> Value {
    let methods = iso.ev.atomic_methods;
    let r = iso.heap.abstracts.alloc(Some(Box::new(Cell {
        cell: Arc::new(AtomicI64::new(init)),
        methods,
    })));
    Value::Abstract(r)
}

fn atomic(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    let init = if a.is_empty() {
        0
    } else {
        args::int(iso, a, 0)?
    };
    Ok(make_cell(iso, init))
}

fn atomic_arg(iso: &mut Isolate, a: &[Value]) -> Result<Arc<AtomicI64>, Flow> {
    match a.first().and_then(|v| cell_of(iso, *v)) {
        Some(c) => Ok(c),
        None => Err(iso.err("bad slot #0, expected core/atomic")),
    }
}

fn num(i: i64) -> Value {
    Value::Num(i as f64)
}

fn a_get(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(num(atomic_arg(iso, a)?.load(Ordering::SeqCst)))
}
fn a_set(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let c = atomic_arg(iso, a)?;
    c.store(args::int(iso, a, 1)?, Ordering::SeqCst);
    Ok(a[1])
}
fn a_add(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let c = atomic_arg(iso, a)?;
    Ok(num(c.fetch_add(args::int(iso, a, 1)?, Ordering::SeqCst)))
}
fn a_swap(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let c = atomic_arg(iso, a)?;
    Ok(num(c.swap(args::int(iso, a, 1)?, Ordering::SeqCst)))
}
fn a_cas(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 3, Some(3))?;
    let c = atomic_arg(iso, a)?;
    let (old, new) = (args::int(iso, a, 1)?, args::int(iso, a, 2)?);
    Ok(Value::Bool(
        c.compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok(),
    ))
}

/// An `ev/atomic` holding `init` (the cell of a `sync/make-futex`).
pub(super) fn make_atomic(iso: &mut Isolate, init: i64) -> Value {
    make_cell(iso, init)
}

/// Parks on `key` while `validate` holds; resumes with :ok / :mismatch,
/// or :timeout after `timeout`. A wake the task got but never resumed
/// with (cancelled meanwhile) is passed to the next waiter.
fn wait_op(
    iso: &mut Isolate,
    key: usize,
    validate: impl FnOnce() -> bool + Unpin + Send + 'static,
    timeout: Option<std::time::Duration>,
) -> Result<Value, Flow> {
    let on_timeout = iso.heap.keyword("timeout");
    park_op(iso, timeout, on_timeout, async move {
        match spindle_sync::global().wait_async(key, validate).await {
            WaitResult::Woken => (baton(key), Answer::Keyword("ok")),
            WaitResult::Invalid => (Grant::none(), Answer::Keyword("mismatch")),
            WaitResult::TimedOut => (Grant::none(), Answer::Keyword("timeout")),
        }
    })
}

/// The grant of a plain wake: given back, it wakes the next waiter on `key`.
pub(super) fn baton(key: usize) -> Grant {
    Grant::new(move || {
        spindle_sync::global().wake(key, 1);
    })
}

fn futex_wait(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(4))?;
    // (ev/futex-wait atomic expected &opt timeout): the second argument is
    // a number, where the keyed form has a cell there.
    let atomic_form = matches!(a[1], Value::Num(_));
    if let Some(c) = cell_of(iso, a[0]).filter(|_| atomic_form) {
        let expected = args::int(iso, a, 1)?;
        let timeout = match a.get(2) {
            None | Some(Value::Nil) => None,
            Some(_) => Some(seconds(iso, a, 2)?),
        };
        let key = key_of_cell(&c);
        return wait_op(
            iso,
            key,
            move || c.load(Ordering::SeqCst) == expected,
            timeout,
        );
    }
    // (ev/futex-wait key cell expected &opt timeout)
    args::arity(iso, a, 3, Some(4))?;
    let key = key_of(iso, a[0])?;
    let timeout = match a.get(3) {
        None | Some(Value::Nil) => None,
        Some(_) => Some(seconds(iso, a, 3)?),
    };
    if let Some(c) = cell_of(iso, a[1]) {
        let expected = args::int(iso, a, 2)?;
        return wait_op(
            iso,
            key,
            move || c.load(Ordering::SeqCst) == expected,
            timeout,
        );
    }
    // An array cell is isolate-local: only this isolate's tasks change it,
    // and none runs before the op is enqueued, so compare here.
    let now = crate::vm::ops::get(&iso.heap, a[1], Value::Num(0.0));
    if !iso.heap.equals(now, a[2]) {
        return Ok(iso.heap.keyword("mismatch"));
    }
    wait_op(iso, key, || true, timeout)
}

fn futex_wake(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let key = key_of(iso, a[0])?;
    let table = spindle_sync::global();
    let n = match a.get(1) {
        None | Some(Value::Nil) => table.wake(key, 1),
        Some(v @ Value::Keyword(_)) if iso.heap.bytes(*v) == Some(b"all") => table.wake_all(key),
        Some(_) => table.wake(key, args::int(iso, a, 1)?.max(0) as usize),
    };
    Ok(num(n as i64))
}

pub(super) fn method_table(env: &mut Env, methods: &[(&str, &str)]) -> Value {
    let mut t = TableObj::default();
    for (k, name) in methods {
        let idx = env.iso.natives.iter().position(|n| n.name == *name);
        let v = idx.map_or(Value::Nil, |i| Value::Native(i as u32));
        let key = env.iso.heap.keyword(k);
        let h = env.iso.heap.hash(key);
        t.put(key, h, v, |x| x == key);
    }
    env.iso.heap.table(t)
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("ev/atomic", "(ev/atomic &opt init)\n\nA shared, sequentially consistent 64-bit integer cell. Methods :get :set :add :swap :cas.", atomic);
    env.native("ev/atomic-get", "(ev/atomic-get a)\n\nThe value.", a_get);
    env.native("ev/atomic-set", "(ev/atomic-set a v)\n\nStores v.", a_set);
    env.native(
        "ev/atomic-add",
        "(ev/atomic-add a n)\n\nAdds n; returns the previous value.",
        a_add,
    );
    env.native(
        "ev/atomic-swap",
        "(ev/atomic-swap a v)\n\nStores v; returns the previous value.",
        a_swap,
    );
    env.native(
        "ev/atomic-cas",
        "(ev/atomic-cas a old new)\n\nCompare-and-set; returns a boolean.",
        a_cas,
    );
    env.native("ev/futex-wait", "(ev/futex-wait key cell expected &opt timeout) or (ev/futex-wait atomic expected &opt timeout)\n\nParks only if the cell still holds expected when enqueued. Returns :ok (woken), :mismatch or :timeout.", futex_wait);
    env.native("ev/futex-wake", "(ev/futex-wake key &opt count)\n\nWakes up to count waiters (default 1, :all for all), FIFO; returns exactly how many woke.", futex_wake);
    let m = method_table(
        env,
        &[
            ("get", "ev/atomic-get"),
            ("set", "ev/atomic-set"),
            ("add", "ev/atomic-add"),
            ("swap", "ev/atomic-swap"),
            ("cas", "ev/atomic-cas"),
        ],
    );
    env.iso.ev.atomic_methods = m;
}
