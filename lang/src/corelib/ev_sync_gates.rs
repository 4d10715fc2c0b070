//! Barriers, latches and once-cells (api.md §8): waits that many tasks
//! pass together.
//!
//! - Barrier: spindle-sync's reusable `Barrier` (a generation word). The
//!   leader is the arrival that completes a generation, exactly one per
//!   generation; a party whose wait times out (its future dropped)
//!   withdraws its arrival if the generation is still open. Its timer
//!   runs inside the wait's own future, which looks at the barrier once
//!   more when the timer fires: a party released in the same loop turn as
//!   its timeout passes (a withdrawal could no longer undo its arrival,
//!   which the others already counted).
//! - Latch: spindle-sync's `Latch`; once open it stays open.
//! - Once: the state machine of spindle-sync's `Once` (INCOMPLETE ->
//!   RUNNING -> COMPLETE, back to INCOMPLETE when the initializer fails),
//!   written over the wait table here because the initializer is language
//!   code, run by the winning task itself between two parks (the prelude's
//!   `:get` loop), not a Rust future. The word also records the running
//!   task, so a re-entrant `:get` raises instead of waiting on itself.
//!
//! Invariant (once): only the RUNNING winner moves the state out of
//! RUNNING, and every move wakes all waiters, who then race the claim
//! again; the value is written before COMPLETE. The value is a heap value
//! of the isolate that ran the thunk (in `refs[1]`): sharing a once across
//! isolates will need its copy hook to carry that value (not built yet).

use super::args;
use super::ev_futex::owner_token;
use super::ev_sync::{arg, new_obj, opt_timeout, park_op, set_ref, Answer, Handle, Kind};
use super::registry::Env;
use crate::ev::grant::Grant;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_sync::{Barrier, Latch};
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

fn count_arg(iso: &mut Isolate, a: &[Value], i: usize, what: &str) -> Result<usize, Flow> {
    let n = args::int(iso, a, i)?;
    usize::try_from(n).map_err(|_| iso.err(format!("{}: count must be non-negative", what)))
}

fn make_barrier(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let n = count_arg(iso, a, 0, "sync/make-barrier")?;
    if n == 0 {
        return Err(iso.err("sync/make-barrier: parties must be positive"));
    }
    let b = Arc::new(Barrier::new(n));
    Ok(new_obj(iso, Handle::Barrier(b), Vec::new()))
}

fn barrier_wait(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let b = arg(iso, a, 0, Kind::Barrier, |o| match &o.handle {
        Handle::Barrier(b) => Some(b.clone()),
        _ => None,
    })?;
    let deadline = opt_timeout(iso, a, 1)?.map(|d| Instant::now() + d);
    park_op(iso, None, Value::Nil, async move {
        let mut wait = Box::pin(b.wait_async());
        let mut timer = deadline.map(|at| Box::pin(spindle_rt::time::sleep_until(at)));
        let passed = poll_fn(|cx| {
            // The barrier first: at the deadline this is the last look.
            if let Poll::Ready(r) = wait.as_mut().poll(cx) {
                return Poll::Ready(Some(r));
            }
            match timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(None),
                _ => Poll::Pending,
            }
        })
        .await;
        // On a timeout, dropping the wait withdraws the arrival.
        drop(wait);
        let answer = match passed {
            Some(r) => Answer::Bool(r.is_leader()),
            None => Answer::Keyword("timeout"),
        };
        (Grant::none(), answer)
    })
}

fn make_latch(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    let n = match a.first() {
        None | Some(Value::Nil) => 1,
        Some(_) => count_arg(iso, a, 0, "sync/make-latch")?,
    };
    let l = Arc::new(Latch::new(n));
    Ok(new_obj(iso, Handle::Latch(l), Vec::new()))
}

fn latch(iso: &mut Isolate, a: &[Value]) -> Result<Arc<Latch>, Flow> {
    arg(iso, a, 0, Kind::Latch, |o| match &o.handle {
        Handle::Latch(l) => Some(l.clone()),
        _ => None,
    })
}

fn latch_wait(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let l = latch(iso, a)?;
    let timeout = opt_timeout(iso, a, 1)?;
    if l.is_open() {
        return Ok(Value::Bool(true));
    }
    park_op(iso, timeout, Value::Bool(false), async move {
        l.wait_async().await;
        (Grant::none(), Answer::Bool(true))
    })
}

fn latch_open(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    latch(iso, a)?.open();
    Ok(Value::Nil)
}

fn latch_count_down(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    latch(iso, a)?.count_down();
    Ok(Value::Nil)
}

fn latch_is_open(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Bool(latch(iso, a)?.is_open()))
}

const INCOMPLETE: u32 = 0;
const RUNNING: u32 = 1;
const COMPLETE: u32 = 2;

/// A once-cell's shared word and the task running its initializer.
#[derive(Debug, Default)]
pub struct OnceWord {
    state: AtomicU32,
    runner: AtomicI64,
}

impl OnceWord {
    fn key(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }
}

fn make_once(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    if !matches!(a[0], Value::Closure(_) | Value::Native(_)) {
        return Err(iso.err("sync/make-once: expected a function of no arguments"));
    }
    let word = Arc::new(OnceWord::default());
    Ok(new_obj(iso, Handle::Once(word), vec![a[0], Value::Nil]))
}

fn once(iso: &mut Isolate, a: &[Value]) -> Result<Arc<OnceWord>, Flow> {
    arg(iso, a, 0, Kind::Once, |o| match &o.handle {
        Handle::Once(w) => Some(w.clone()),
        _ => None,
    })
}

fn once_claim(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let w = once(iso, a)?;
    let me = owner_token(iso)?;
    let verdict =
        match w
            .state
            .compare_exchange(INCOMPLETE, RUNNING, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {
                w.runner.store(me, Ordering::SeqCst);
                "run"
            }
            Err(COMPLETE) => "done",
            Err(_) if w.runner.load(Ordering::SeqCst) == me => {
                return Err(
                    iso.err("deadlock: once :get re-entered by the task running its initializer")
                )
            }
            Err(_) => "wait",
        };
    Ok(iso.heap.keyword(verdict))
}

fn once_park(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let w = once(iso, a)?;
    let key = w.key();
    park_op(iso, None, Value::Nil, async move {
        let running = move || w.state.load(Ordering::SeqCst) == RUNNING;
        spindle_sync::global().wait_async(key, running).await;
        // Every state change wakes everyone: no wake to pass on.
        (Grant::none(), Answer::Keyword("ok"))
    })
}

fn once_finish(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 3, Some(3))?;
    let w = once(iso, a)?;
    let me = owner_token(iso)?;
    if w.state.load(Ordering::SeqCst) != RUNNING || w.runner.load(Ordering::SeqCst) != me {
        return Err(iso.err("sync/-once-finish: this task is not running the initializer"));
    }
    w.runner.store(0, Ordering::SeqCst);
    if a[1].truthy() {
        set_ref(iso, a[0], 1, a[2]);
        w.state.store(COMPLETE, Ordering::SeqCst);
    } else {
        w.state.store(INCOMPLETE, Ordering::SeqCst);
    }
    spindle_sync::global().wake_all(w.key());
    Ok(Value::Nil)
}

fn once_done(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let w = once(iso, a)?;
    Ok(Value::Bool(w.state.load(Ordering::SeqCst) == COMPLETE))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("sync/make-barrier", "(sync/make-barrier n)\n\nA reusable barrier for n parties; it waits on a generation number. (:wait b &opt timeout) parks until the nth arrival of the current generation: true for exactly one party (the leader), false for the others; a party that times out withdraws its arrival (if the generation is still open) and returns :timeout.", make_barrier);
    env.native(
        "sync/-barrier-wait",
        "(sync/-barrier-wait b &opt timeout)\n\nThe barrier's :wait.",
        barrier_wait,
    );
    env.native("sync/make-latch", "(sync/make-latch &opt count)\n\nA one-shot gate, closed at first; count (default 1) :count-down calls open it. Methods: (:wait l &opt timeout) parks while closed (true, or false on timeout); (:open l) opens it now; (:count-down l); (:open? l). Once open it stays open.", make_latch);
    env.native(
        "sync/-latch-wait",
        "(sync/-latch-wait l &opt timeout)\n\nThe latch's :wait: true once open, false on timeout.",
        latch_wait,
    );
    env.native(
        "sync/-latch-open",
        "(sync/-latch-open l)\n\nThe latch's :open. Returns nil.",
        latch_open,
    );
    env.native(
        "sync/-latch-count-down",
        "(sync/-latch-count-down l)\n\nThe latch's :count-down. Returns nil.",
        latch_count_down,
    );
    env.native(
        "sync/-latch-open?",
        "(sync/-latch-open? l)\n\nThe latch's :open?.",
        latch_is_open,
    );
    env.native("sync/make-once", "(sync/make-once thunk)\n\nLazy initialization that runs thunk at most once successfully. (:get o): the first caller runs thunk while the others park; success is cached for all. If thunk errors or is aborted, that caller raises, the once goes back to \"not run\" and a waiter retries. A re-entrant :get from the running task raises. (:done? o).", make_once);
    env.native("sync/-once-claim", "(sync/-once-claim o)\n\n:done, :run (this task now runs the thunk) or :wait; raises on a re-entrant claim.", once_claim);
    env.native(
        "sync/-once-park",
        "(sync/-once-park o)\n\nParks while another task runs the thunk.",
        once_park,
    );
    env.native("sync/-once-finish", "(sync/-once-finish o ok value)\n\nEnds this task's run of the thunk: caches value if ok, else resets; wakes every waiter.", once_finish);
    env.native(
        "sync/-once-done?",
        "(sync/-once-done? o)\n\nThe once's :done?: true once the thunk succeeded.",
        once_done,
    );
}
