//! Tasks on the event loop: `ev/go`, `ev/sleep`, `ev/cancel`, joining,
//! aborting and listing tasks (api.md §2). The structured helpers built on
//! these (`ev/spawn`, `ev/gather`, `ev/scope`, `ev/race`...) live in
//! `prelude/ev.janet`.
//!
//! Invariant: a native that waits calls `Loop::park`, registers its waiter
//! records with the returned `seq`, and returns the `:await` signal
//! (`await_flow`); it never blocks and never holds Rust state across the
//! suspension — the value it "returns" is the one its waker delivers.

use super::args;
use super::registry::Env;
use crate::ev::sched::{JoinKind, TaskWaiter, FLAG_TASK};
use crate::ev::Resume;
use crate::fiber::FiberStatus;
use crate::isolate::{Flow, Isolate};
use crate::value::{Ref, Signal, Value};
use std::time::{Duration, Instant};

/// The flow that suspends the running task until its wait completes.
pub fn await_flow() -> Flow {
    Flow::Signal(Signal::User(9), Value::Nil)
}

/// Parks the current task or raises when there is none.
pub fn park(iso: &mut Isolate) -> Result<(Ref, u64), Flow> {
    match (iso.ev.current, iso.ev.park()) {
        (Some(t), Some(seq)) => Ok((t, seq)),
        _ => Err(iso.err("cannot suspend outside the event loop (no current task)")),
    }
}

/// Seconds as a duration (negative and NaN count as zero).
pub fn seconds(iso: &mut Isolate, a: &[Value], i: usize) -> Result<Duration, Flow> {
    let s = args::num(iso, a, i)?;
    Ok(Duration::from_secs_f64(if s.is_finite() && s > 0.0 {
        s
    } else {
        0.0
    }))
}

fn is_task(iso: &Isolate, f: Ref) -> bool {
    iso.heap.fibers.get(f).flags & FLAG_TASK != 0
}

fn go(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let fiber = match a[0] {
        Value::Closure(_) => {
            let (mask, _) = super::fibers::parse_mask(b"tp").map_err(|m| iso.err(m))?;
            iso.new_fiber(a[0], mask)
        }
        Value::Fiber(f) if iso.heap.fibers.get(f).status == FiberStatus::New => f,
        Value::Fiber(_) => return Err(iso.err("ev/go: fiber must be new")),
        _ => return Err(iso.err("bad slot #0, expected function or fiber")),
    };
    let supervisor = match a.get(2) {
        Some(v) => *v,
        None => iso
            .ev
            .current
            .and_then(|t| iso.ev.tasks.get(&t))
            .map_or(Value::Nil, |i| i.supervisor),
    };
    iso.heap.fibers.get_mut(fiber).flags |= FLAG_TASK;
    iso.ev.spawn(fiber, args::opt(a, 1), supervisor, false);
    Ok(Value::Fiber(fiber))
}

fn sleep(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let d = seconds(iso, a, 0)?;
    let (t, seq) = park(iso)?;
    if d.is_zero() {
        iso.ev.wake(t, seq, Resume::Value(Value::Nil));
    } else {
        iso.ev
            .add_timer(t, seq, Instant::now() + d, Resume::Value(Value::Nil));
    }
    Err(await_flow())
}

fn cancel(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let t = args::fiber(iso, a, 0)?;
    if !is_task(iso, t) {
        return Err(iso.err("cannot cancel non-task fiber"));
    }
    iso.ev.cancel(t, a[1]);
    Ok(a[0])
}

/// The finished task's result as a return or a raise; marks it consumed.
fn result_of(iso: &mut Isolate, t: Ref, kind: JoinKind) -> Result<Value, Flow> {
    iso.ev.unconsumed.retain(|u| *u != t);
    let f = iso.heap.fibers.get(t);
    let (failed, v) = (f.status == FiberStatus::Error, f.last);
    match kind {
        JoinKind::Join if failed => Err(Flow::Error(v)),
        JoinKind::Protected => Ok(iso.heap.tuple(vec![Value::Bool(!failed), v])),
        JoinKind::Unwound => Ok(Value::Nil),
        _ => Ok(v),
    }
}

/// Parks the current task until `target` finishes.
fn wait_on(iso: &mut Isolate, target: Ref, kind: JoinKind) -> Result<Value, Flow> {
    if iso.ev.current == Some(target) {
        return Err(iso.err("a task cannot wait for itself"));
    }
    let (task, seq) = park(iso)?;
    if let Some(info) = iso.ev.tasks.get_mut(&target) {
        info.observed = true;
        info.add_waiter(TaskWaiter { task, seq, kind });
    }
    Err(await_flow())
}

fn join_kind(iso: &mut Isolate, a: &[Value], kind: JoinKind) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let t = args::fiber(iso, a, 0)?;
    if !iso.ev.tasks.contains_key(&t) {
        if !is_task(iso, t) && iso.heap.fibers.get(t).status.resumable() {
            return Err(iso.err("cannot join non-task fiber"));
        }
        return result_of(iso, t, kind);
    }
    wait_on(iso, t, kind)
}

fn join1(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    join_kind(iso, a, JoinKind::Join)
}

fn join_protected1(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    join_kind(iso, a, JoinKind::Protected)
}

fn wait_any(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let tasks = args::indexed(iso, a, 0)?;
    let kind = if a.get(1).is_some_and(|v| v.truthy()) {
        JoinKind::Select
    } else {
        JoinKind::Any
    };
    let mut refs = Vec::with_capacity(tasks.len());
    for v in &tasks {
        let Value::Fiber(f) = *v else {
            return Err(iso.err("ev/-wait-any: expected tasks"));
        };
        if !iso.ev.tasks.contains_key(&f) {
            iso.ev.unconsumed.retain(|u| *u != f);
            return Ok(match kind {
                JoinKind::Select => {
                    let k = iso.heap.keyword("done");
                    iso.heap.tuple(vec![k, *v])
                }
                _ => *v,
            });
        }
        refs.push(f);
    }
    if refs.is_empty() {
        return Ok(Value::Nil);
    }
    let (task, seq) = park(iso)?;
    for f in refs {
        if let Some(info) = iso.ev.tasks.get_mut(&f) {
            info.add_waiter(TaskWaiter { task, seq, kind });
        }
    }
    Err(await_flow())
}

fn observe(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let t = args::fiber(iso, a, 0)?;
    match iso.ev.tasks.get_mut(&t) {
        Some(info) => info.observed = true,
        None => iso.ev.unconsumed.retain(|u| *u != t),
    }
    Ok(a[0])
}

fn abort(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let t = args::fiber(iso, a, 0)?;
    if !iso.ev.tasks.contains_key(&t) {
        iso.ev.unconsumed.retain(|u| *u != t);
        return Ok(Value::Nil);
    }
    let reason = match a.get(1) {
        Some(v) => *v,
        None => iso.str("aborted"),
    };
    iso.ev.cancel(t, reason);
    if iso.ev.current == Some(t) {
        return Ok(Value::Nil);
    }
    wait_on(iso, t, JoinKind::Unwound)
}

fn all_tasks(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(0))?;
    let mut ts: Vec<(u64, Ref)> = iso.ev.tasks.iter().map(|(r, i)| (i.id, r)).collect();
    ts.sort();
    let items = ts.into_iter().map(|(_, r)| Value::Fiber(r)).collect();
    Ok(iso.heap.array(items))
}

fn task_id(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    let t = match a.first() {
        Some(_) => Some(args::fiber(iso, a, 0)?),
        None => iso.ev.current,
    };
    Ok(t.and_then(|t| iso.ev.tasks.get(&t))
        .map_or(Value::Nil, |i| Value::Num(i.id as f64)))
}

fn current_task(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    Ok(iso.ev.current.map_or(Value::Nil, Value::Fiber))
}

fn supervisor(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    Ok(iso
        .ev
        .current
        .and_then(|t| iso.ev.tasks.get(&t))
        .map_or(Value::Nil, |i| i.supervisor))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("ev/go", "(ev/go fiber-or-fn &opt value supervisor)\n\nSchedules a new task in this isolate and returns it. A function becomes a fiber with mask :tp; value is the first resume value; supervisor defaults to the current task's.", go);
    env.native("ev/sleep", "(ev/sleep sec)\n\nParks the current task for sec seconds. (ev/sleep 0) yields once to the loop.", sleep);
    env.native("ev/cancel", "(ev/cancel task err)\n\nSchedules task to resume with err raised at its suspension point; returns at once.", cancel);
    env.native(
        "ev/-join",
        "(ev/-join task)\n\nParks until task finishes; its value, or its error re-raised.",
        join1,
    );
    env.native(
        "ev/-join-protected",
        "(ev/-join-protected task)\n\nParks until task finishes; [ok? value].",
        join_protected1,
    );
    env.native("ev/-wait-any", "(ev/-wait-any tasks &opt select)\n\nParks until one of tasks has finished and returns it (or [:done task] with select).", wait_any);
    env.native(
        "ev/-observe",
        "(ev/-observe task)\n\nMarks task as observed: its failure will be looked at.",
        observe,
    );
    env.native("ev/abort", "(ev/abort task &opt reason)\n\nCancels task (reason defaults to \"aborted\") and parks until it has finished unwinding. Returns nil.", abort);
    env.native(
        "ev/all-tasks",
        "(ev/all-tasks)\n\nArray of this isolate's live tasks.",
        all_tasks,
    );
    env.native(
        "ev/task-id",
        "(ev/task-id &opt task)\n\nThe id of task (default: the current task), nil once finished.",
        task_id,
    );
    env.native(
        "ev/current-task",
        "(ev/current-task)\n\nThe running task (root fiber), or nil.",
        current_task,
    );
    env.native(
        "ev/-supervisor",
        "(ev/-supervisor)\n\nThe current task's supervisor channel, or nil.",
        supervisor,
    );
}
