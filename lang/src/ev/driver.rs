//! `EvRun`: a whole program as one spindle-rt task — the isolate's event
//! loop (step 3 of the protocol in `ev`).
//!
//! Each poll, in order:
//! 1. continue the task that ran out of fuel last time, if any;
//! 2. if no main-line task is live, compile the next top-level form (or,
//!    after the last form, the program's `main`) and start it as a task at
//!    the front of the queue — so, as in Janet, other tasks run only when
//!    the main line parks or ends;
//! 3. fire due timers, pop one ready task and resume it;
//! 4. when nothing is ready: sleep until the earliest timer (the rt timer
//!    wakes this task from whichever worker fires it), or finish when no
//!    timer is left — tasks still parked then can never wake.
//!
//! A task that uses its fuel quantum (`Outcome::Fuel`) or a poll that ran
//! `RESUMES_PER_POLL` tasks yields to the worker (`wake_by_ref` + Pending),
//! so one isolate never starves the others on its worker. The main line
//! failing ends the program with its report; other tasks that fail with
//! nobody observing them are reported at once (`finish_task`).

use super::chan;
use super::sched::{JoinKind, Resume, TaskInfo, TaskState, FLAG_TASK};
use crate::compiler::compile_thunk;
use crate::fiber::FiberStatus;
use crate::isolate::Isolate;
use crate::reader::Reader;
use crate::value::{Ref, Signal, Value};
use crate::vm::Outcome;
use spindle_rt::time::Sleep;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// Task resumptions before a poll yields to the worker.
const RESUMES_PER_POLL: u32 = 2048;
/// Most tasks one run switches to in place (`next_task`) before it returns
/// to `EvRun::step`.
const SWITCHES_PER_RUN: u32 = 64;

/// What a finished program hands back.
pub struct Finished {
    pub iso: Isolate,
    /// The last value, or the report of the error that stopped the program.
    pub result: Result<Value, String>,
    /// Some task failed unobserved and nobody consumed its error later.
    pub unobserved: bool,
}

/// A program (its source, then its `main`) running on the event loop.
pub struct EvRun {
    iso: Option<Isolate>,
    src: Vec<u8>,
    path: Arc<str>,
    pos: (usize, u32, u32),
    /// Script arguments for `main`; taken when `main` starts.
    args: Option<Vec<String>>,
    /// The main-line task: the running top-level form, or `main`.
    main: Option<Ref>,
    main_done: bool,
    main_id: Option<u64>,
    last: Value,
    fuel_task: Option<Ref>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl EvRun {
    /// A program that runs `src` (named `path`) in `iso`, then calls its
    /// `main` with `args` if it defines one.
    pub fn new(mut iso: Isolate, src: Vec<u8>, path: &str, args: Vec<String>) -> EvRun {
        iso.preempt = true;
        iso.next_task = Some(next_task);
        EvRun {
            iso: Some(iso),
            src,
            path: path.into(),
            pos: (0, 1, 1),
            args: Some(args),
            main: None,
            main_done: false,
            main_id: None,
            last: Value::Nil,
            fuel_task: None,
            sleep: None,
        }
    }

    /// Starts the next main-line task. Err carries a parse/compile report;
    /// Ok(false) means the main line is over.
    fn start_next(&mut self, iso: &mut Isolate) -> Result<bool, String> {
        let mut reader = Reader::at(&self.src, self.pos);
        let form = match reader.next_form(&mut iso.heap) {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(self.start_main(iso)),
            Err(e) => {
                return Err(format!(
                    "{}:{}:{}: parse error: {}",
                    self.path, e.line, e.col, e.msg
                ))
            }
        };
        self.pos = reader.position();
        let env = iso.env;
        let thunk = compile_thunk(iso, form, env, self.path.clone()).map_err(|e| {
            format!(
                "{}:{}:{}: compile error: {}",
                self.path, e.line, e.col, e.msg
            )
        })?;
        let fiber = iso.new_fiber(thunk, 0);
        let f = iso.heap.fibers.get_mut(fiber);
        f.env = Some(env);
        f.flags |= FLAG_TASK;
        let id = iso.ev.spawn(fiber, Value::Nil, Value::Nil, true);
        self.adopt_main_id(iso, fiber, id);
        self.main = Some(fiber);
        Ok(true)
    }

    /// Starts `main` (if defined) through the prelude's `ev/-run-main`.
    fn start_main(&mut self, iso: &mut Isolate) -> bool {
        let Some(args) = self.args.take() else {
            return false;
        };
        let sym = iso.heap.symbol("main");
        let kv = iso.heap.keyword("value");
        let entry = iso.table_get(iso.env, sym);
        let main = iso.get_plain(entry, kv);
        let run_sym = iso.heap.symbol("ev/-run-main");
        let run_entry = iso.table_get(iso.env, run_sym);
        let runner = iso.get_plain(run_entry, kv);
        if !matches!(main, Value::Closure(_)) || !matches!(runner, Value::Closure(_)) {
            return false;
        }
        let args: Vec<Value> = args.iter().map(|a| iso.str(a)).collect();
        let args = iso.heap.tuple(args);
        let pair = iso.heap.tuple(vec![main, args]);
        let fiber = iso.new_fiber(runner, 0);
        iso.heap.fibers.get_mut(fiber).flags |= FLAG_TASK;
        let id = iso.ev.spawn(fiber, pair, Value::Nil, true);
        self.adopt_main_id(iso, fiber, id);
        self.main = Some(fiber);
        true
    }

    /// Every main-line task (each top-level form, then `main`) carries the
    /// first one's id, so the main line is one task to lock ownership and
    /// supervisors, as Janet's single main fiber is.
    fn adopt_main_id(&mut self, iso: &mut Isolate, fiber: Ref, id: u64) {
        let main_id = *self.main_id.get_or_insert(id);
        if let Some(info) = iso.ev.tasks.get_mut(&fiber) {
            info.id = main_id;
        }
    }

    /// Handles how a task's run ended. Err stops the program.
    fn settle(&mut self, iso: &mut Isolate, t: Ref, out: Outcome) -> Result<(), String> {
        iso.ev.current = None;
        match out {
            Outcome::Fuel => {
                iso.ev.current = Some(t);
                self.fuel_task = Some(t);
            }
            Outcome::Signal(Signal::User(9), _) => settle_await(iso, t),
            Outcome::Signal(sig, v) => {
                let is_main = self.main == Some(t);
                finish_task(iso, t, sig, v, is_main);
                if is_main {
                    self.main = None;
                    if sig == Signal::Error {
                        return Err(iso.error_report(v, t));
                    }
                    self.last = v;
                }
            }
        }
        Ok(())
    }

    fn done(&mut self, result: Result<Value, String>) -> Finished {
        let mut iso = self.iso.take().expect("EvRun polled after completion");
        iso.preempt = false;
        iso.next_task = None;
        iso.ev.current = None;
        let unobserved = !iso.ev.unconsumed.is_empty();
        Finished {
            iso,
            result,
            unobserved,
        }
    }
}

/// Resumes task `t` as its state says; None if it was not ready.
fn run_task(iso: &mut Isolate, t: Ref) -> Option<Outcome> {
    if iso.ev.ops.dirty {
        // A wait ended without its op (cancel, timeout, close): drop those
        // ops before anyone runs, so e.g. a futex record is gone at once
        // and a cancelled read's bytes are in its buffer.
        for salvage in iso.ev.sweep_ops() {
            salvage(iso);
        }
    }
    let info = iso.ev.tasks.get_mut(&t)?;
    let TaskState::Ready(r) = info.state else {
        return None;
    };
    mark_running(info);
    iso.ev.current = Some(t);
    Some(match r {
        Resume::Value(v) => {
            take_spare_buffers(iso, t);
            iso.resume(t, v)
        }
        Resume::Error(e) if iso.heap.fibers.get(t).status == FiberStatus::New => {
            let f = iso.heap.fibers.get_mut(t);
            f.status = FiberStatus::Error;
            f.last = e;
            Outcome::Signal(Signal::Error, e)
        }
        Resume::Error(e) => resume_raising(iso, t, e),
    })
}

/// A ready task about to resume (`run_task`, `next_task`): it is running
/// now, and keeps what its finished wait granted it. The caller makes it
/// the loop's current task.
fn mark_running(info: &mut TaskInfo) {
    info.state = TaskState::Running;
    if let Some(g) = info.grant.take() {
        g.keep();
    }
}

/// Task `t`'s run ended in `:await` (`EvRun::settle`, `next_task`): if it
/// registered no wait it is still marked running, and is parked for good.
fn settle_await(iso: &mut Isolate, t: Ref) {
    if let Some(info) = iso.ev.tasks.get_mut(&t) {
        if matches!(info.state, TaskState::Running) {
            info.state = TaskState::Parked { seq: 0 };
        }
    }
}

/// `Isolate::next_task`: when the task that ran parks and nothing else
/// needs the loop first, enters the next ready task as `run_task` would
/// start it, after settling the parked one as `EvRun::settle` does. The
/// loop is needed first when an op completed or a sweep is due, a timer is
/// pending (only the loop reads the clock), the switch budget is spent, or
/// the next task resumes with an error, is not ready (stale) or cannot be
/// entered (the loop then reports that as its failure).
fn next_task(iso: &mut Isolate, parked: Ref) -> Option<Ref> {
    let ev = &iso.ev;
    if ev.switches_left == 0 || ev.ops.dirty || ev.ops.has_ready() || !ev.timers.is_empty() {
        return None;
    }
    let &t = ev.ready.front()?;
    let Some(TaskState::Ready(Resume::Value(value))) = ev.tasks.get(&t).map(|i| i.state) else {
        return None;
    };
    take_spare_buffers(iso, t);
    // On error nothing has changed, and the loop starts `t` the usual way.
    iso.enter(t, value, None).ok()?;
    settle_await(iso, parked);
    let ev = &mut iso.ev;
    ev.ready.pop_front();
    ev.switches_left -= 1;
    ev.switched_in_place += 1;
    mark_running(ev.tasks.get_mut(&t).expect("checked above"));
    ev.current = Some(t);
    prefetch_upcoming(iso);
    Some(t)
}

/// How far ahead in the ready queue `prefetch_upcoming` fetches a task's
/// slot and fiber, and then its top frame and stack. Distances (1, 0) to
/// (8, 4) measured within 3% of each other on skynet; (4, 2) was best once
/// tasks switch in place (resumes got shorter).
const FETCH_RECORDS: usize = 4;
const FETCH_STACKS: usize = 2;

/// Starts the cache misses of upcoming resumes while this one runs: a
/// program with a million parked tasks keeps their records out of cache,
/// and each resume would otherwise wait on its task slot, its fiber and
/// that fiber's frames and stack in turn. The stacks are fetched only once
/// the fiber (fetched a few resumes earlier) is likely in cache.
fn prefetch_upcoming(iso: &Isolate) {
    use spindle_rt::hint::prefetch;
    let ready = &iso.ev.ready;
    if let Some(&t) = ready.get(FETCH_RECORDS) {
        if let Some(slot) = iso.ev.tasks.slot(&t) {
            prefetch(slot);
        }
        prefetch(iso.heap.fibers.get(t));
    }
    if let Some(&t) = ready.get(FETCH_STACKS) {
        let fib = iso.heap.fibers.get(t);
        if let Some(frame) = fib.frames.last() {
            prefetch(frame);
        }
        if let Some(v) = fib.stack.first() {
            prefetch(v);
        }
    }
}

/// Gives task `t`, about to run for the first time, the buffers a finished
/// task left, if it has none yet. Done here rather than at spawn: a million
/// queued tasks then hold no stacks, and a task cancelled before it ran
/// never takes any.
fn take_spare_buffers(iso: &mut Isolate, t: Ref) {
    let fib = iso.heap.fibers.get_mut(t);
    if fib.status == FiberStatus::New && fib.stack.capacity() == 0 {
        if let Some((stack, frames)) = iso.ev.reuse() {
            (fib.stack, fib.frames) = (stack, frames);
        }
    }
}

/// Resumes suspended task `t` by raising `err` at its innermost suspension
/// point (what `cancel` does from inside the VM).
fn resume_raising(iso: &mut Isolate, t: Ref, err: Value) -> Outcome {
    if let Err(o) = iso.begin_run(t, Value::Nil) {
        return o;
    }
    match iso.signal(Signal::Error, err, t) {
        Some(o) => {
            // The error reached the task root at once: leave the run as
            // `continue_run` would.
            let prev = iso.run_stack.pop().flatten();
            iso.cur = prev;
            if let Some(p) = prev {
                iso.load_state(p);
            }
            o
        }
        None => iso.continue_run(t),
    }
}

/// A finished task: wake its waiters, tell its supervisor, and report an
/// error nobody observes.
pub fn finish_task(iso: &mut Isolate, t: Ref, sig: Signal, v: Value, is_main: bool) {
    let Some(info) = iso.ev.tasks.remove(&t) else {
        return;
    };
    let failed = sig == Signal::Error;
    if sig == Signal::Ok {
        let fib = iso.heap.fibers.get_mut(t);
        let stack = std::mem::take(&mut fib.stack);
        let frames = std::mem::take(&mut fib.frames);
        iso.ev.recycle(stack, frames);
    }
    let observed = info.observed || !info.waiters().is_empty() || info.supervisor != Value::Nil;
    for w in info.waiters() {
        let r = match w.kind {
            JoinKind::Join if failed => Resume::Error(v),
            JoinKind::Join => Resume::Value(v),
            JoinKind::Protected => Resume::Value(iso.heap.tuple(vec![Value::Bool(!failed), v])),
            JoinKind::Any => Resume::Value(Value::Fiber(t)),
            JoinKind::Select => {
                let k = iso.heap.keyword("done");
                Resume::Value(iso.heap.tuple(vec![k, Value::Fiber(t)]))
            }
            JoinKind::Unwound => Resume::Value(Value::Nil),
        };
        iso.ev.wake(w.task, w.seq, r);
    }
    if let Value::Abstract(_) = info.supervisor {
        let name = match sig {
            Signal::Ok => "ok".to_string(),
            Signal::Error => "error".to_string(),
            Signal::Debug => "debug".to_string(),
            Signal::Yield => "yield".to_string(),
            Signal::User(n) => format!("user{}", n),
        };
        let k = iso.heap.keyword(&name);
        let msg = iso
            .heap
            .tuple(vec![k, Value::Fiber(t), Value::Num(info.id as f64)]);
        chan::give_nowait(iso, info.supervisor, msg);
    }
    if failed && !observed && !is_main {
        let report = iso.error_report(v, t);
        let text = format!("{}\n", report.trim_end());
        match &mut iso.capture {
            Some(buf) => buf.extend_from_slice(text.as_bytes()),
            None => crate::corelib::stdout::write_detached(true, text.as_bytes()),
        }
        iso.ev.unconsumed.push(t);
    }
}

impl Future for EvRun {
    type Output = Finished;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished> {
        let this = self.get_mut();
        let mut iso = this.iso.take().expect("EvRun polled after completion");
        let r = this.step(&mut iso, cx);
        this.iso = Some(iso);
        match r {
            Poll::Pending => Poll::Pending,
            Poll::Ready(res) => Poll::Ready(this.done(res)),
        }
    }
}

impl EvRun {
    fn step(&mut self, iso: &mut Isolate, cx: &mut Context<'_>) -> Poll<Result<Value, String>> {
        let mut budget = RESUMES_PER_POLL;
        let mut since_clock = 0u32;
        iso.ev.ops.set_waker(cx.waker());
        // rt ops answer Pending (and wake themselves) once this rt task's
        // coop budget is spent; then only yielding to the worker helps.
        let mut ops_stalled = false;
        loop {
            if !ops_stalled && iso.ev.ops.has_ready() {
                let finished = iso.ev.ops.poll_ready();
                if finished.is_empty() && iso.ev.ops.has_ready() {
                    ops_stalled = true;
                }
                for (t, seq, done, salvage) in finished {
                    if iso.ev.is_parked(t, seq) {
                        let r = done(iso);
                        iso.ev.wake(t, seq, r);
                    } else if let Some(salvage) = salvage {
                        // It finished after its wait ended (a timeout won).
                        salvage(iso);
                    }
                }
            }
            if let Some(t) = self.fuel_task.take() {
                let out = iso.continue_run(t);
                self.settle(iso, t, out)?;
                if self.fuel_task.is_some() {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                continue;
            }
            if self.main.is_none() && !self.main_done {
                if !self.start_next(iso)? {
                    self.main_done = true;
                }
                continue;
            }
            since_clock += 1;
            if since_clock >= 64 && !iso.ev.timers.is_empty() {
                since_clock = 0;
                iso.ev.fire_timers(Instant::now());
            }
            if let Some(t) = iso.ev.ready.pop_front() {
                prefetch_upcoming(iso);
                // Tasks the run switches to in place count against the budget.
                let allowed = (budget - 1).min(SWITCHES_PER_RUN);
                iso.ev.switches_left = allowed;
                if let Some(out) = run_task(iso, t) {
                    // The task the run ended in (not `t` if it switched).
                    let last = iso.ev.current.unwrap_or(t);
                    self.settle(iso, last, out)?;
                }
                budget -= 1 + (allowed - iso.ev.switches_left);
                iso.ev.switches_left = 0;
                if budget == 0 {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                continue;
            }
            // Nothing ready: ops and timers decide.
            if ops_stalled {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if iso.ev.ops.dirty {
                for salvage in iso.ev.sweep_ops() {
                    salvage(iso);
                }
            }
            iso.ev.prune_timers();
            let Some(next) = iso.ev.fire_timers(Instant::now()) else {
                if !iso.ev.ready.is_empty() || iso.ev.ops.has_ready() {
                    continue;
                }
                self.sleep = None;
                if iso.ev.ops.live() > 0 {
                    return Poll::Pending;
                }
                return Poll::Ready(Ok(self.last));
            };
            if !iso.ev.ready.is_empty() || iso.ev.ops.has_ready() {
                continue;
            }
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(spindle_rt::time::sleep_until(next)));
            if sleep.deadline() != next {
                sleep.as_mut().get_mut().reset(next);
            }
            match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.sleep = None;
                    iso.ev.fire_timers(Instant::now());
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
