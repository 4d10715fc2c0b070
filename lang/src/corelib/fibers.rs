//! Fibers and signals: `fiber/new`, `resume`, `yield`, `signal`, `error`,
//! `cancel`, `propagate`, status and environment queries, stack traces.
//!
//! Invariant: natives here never switch fibers themselves; they return a
//! `Flow` and the VM performs the switch (see `vm::switch`), so no Rust stack
//! is held across a suspension.

use super::args;
use super::registry::Env;
use crate::fiber::{FiberStatus, FLAG_INHERIT_ENV, FLAG_PROTO_ENV};
use crate::isolate::{Flow, Isolate};
use crate::table::TableObj;
use crate::value::{Signal, Value};

/// Parses a signal-mask keyword such as `:tp` into (mask, env flags).
pub fn parse_mask(flags: &[u8]) -> Result<(u32, u32), String> {
    let mut mask = 0u32;
    let mut envf = 0u32;
    let user = |n: u32| 1u32 << (4 + n);
    for &c in flags {
        match c {
            b'a' => mask |= 0x3ffe,
            b'd' => mask |= Signal::Debug.bit(),
            b'e' => mask |= Signal::Error.bit(),
            b't' => mask |= Signal::Error.bit() | (0..5).map(user).sum::<u32>(),
            b'u' => mask |= (0..10).map(user).sum::<u32>(),
            b'y' => mask |= Signal::Yield.bit(),
            b'w' => mask |= user(9),
            b'r' => mask |= user(8),
            b'0'..=b'9' => mask |= user((c - b'0') as u32),
            b'f' => mask |= crate::value::FUEL.bit(),
            b'i' => envf |= FLAG_INHERIT_ENV,
            b'p' => envf |= FLAG_PROTO_ENV,
            _ => return Err(format!("invalid flag {}", c as char)),
        }
    }
    Ok((mask, envf))
}

fn fiber_new(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    if !matches!(a[0], Value::Closure(_)) {
        return Err(iso.err("bad slot #0, expected function"));
    }
    let (mask, envf) = match a.get(1) {
        None | Some(Value::Nil) => (Signal::Yield.bit(), 0),
        Some(Value::Keyword(_)) => {
            let k = args::keyword(iso, a, 1)?;
            parse_mask(&k).map_err(|m| iso.err(m))?
        }
        Some(Value::Num(n)) => (*n as u32, 0),
        Some(_) => return Err(iso.err("bad slot #1, expected keyword")),
    };
    let f = iso.new_fiber(a[0], mask);
    let cur_env = iso.cur.and_then(|c| iso.heap.fibers.get(c).env);
    let env = match a.get(2) {
        Some(Value::Table(t)) => Some(*t),
        _ if envf & FLAG_PROTO_ENV != 0 => {
            let mut t = TableObj::default();
            t.proto = cur_env;
            match iso.heap.table(t) {
                Value::Table(r) => Some(r),
                _ => None,
            }
        }
        _ => cur_env,
    };
    let fib = iso.heap.fibers.get_mut(f);
    fib.env = env;
    fib.flags = envf;
    Ok(Value::Fiber(f))
}

fn resume(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let fiber = args::fiber(iso, a, 0)?;
    Err(Flow::Resume {
        fiber,
        value: args::opt(a, 1),
    })
}

fn cancel(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let fiber = args::fiber(iso, a, 0)?;
    Err(Flow::Cancel { fiber, value: a[1] })
}

fn yield_(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    Err(Flow::Signal(Signal::Yield, args::opt(a, 0)))
}

fn signal_of(iso: &mut Isolate, v: Value) -> Result<Signal, Flow> {
    let sig = match v {
        Value::Num(n) if (0.0..=14.0).contains(&n) => Signal::from_code(n as u32),
        Value::Keyword(k) => match iso.heap.syms.name(k) {
            b"ok" => Some(Signal::Ok),
            b"error" => Some(Signal::Error),
            b"debug" => Some(Signal::Debug),
            b"yield" => Some(Signal::Yield),
            b"interrupt" => Some(Signal::User(8)),
            b"await" => Some(Signal::User(9)),
            b"fuel" => Some(crate::value::FUEL),
            n if n.starts_with(b"user") && n.len() == 5 && n[4].is_ascii_digit() => {
                Some(Signal::User(n[4] - b'0'))
            }
            _ => None,
        },
        _ => None,
    };
    sig.ok_or_else(|| iso.err("bad signal"))
}

fn signal(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let sig = signal_of(iso, a[0])?;
    Err(Flow::Signal(sig, args::opt(a, 1)))
}

fn debug(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    Err(Flow::Signal(Signal::Debug, args::opt(a, 0)))
}

fn error(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    Err(Flow::Error(args::opt(a, 0)))
}

fn propagate(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let fiber = args::fiber(iso, a, 1)?;
    let sig = match iso.heap.fibers.get(fiber).status {
        FiberStatus::Error => Signal::Error,
        FiberStatus::Debug => Signal::Debug,
        FiberStatus::Pending => Signal::Yield,
        FiberStatus::User(n) => Signal::User(n),
        FiberStatus::Dead => Signal::Ok,
        _ => Signal::Error,
    };
    if sig == Signal::Ok {
        return Ok(a[0]);
    }
    Err(Flow::Propagate {
        sig,
        value: a[0],
        fiber,
    })
}

fn status(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    let name = iso.heap.fibers.get(f).status.name();
    Ok(iso.heap.keyword(name))
}

fn can_resume(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    Ok(Value::Bool(iso.heap.fibers.get(f).status.resumable()))
}

fn current(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    Ok(iso.cur.map_or(Value::Nil, Value::Fiber))
}

fn root(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    let mut f = match iso.cur {
        Some(f) => f,
        None => return Ok(Value::Nil),
    };
    while let Some(p) = iso.heap.fibers.get(f).parent {
        f = p;
    }
    Ok(Value::Fiber(f))
}

fn last_value(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    Ok(iso.heap.fibers.get(f).last)
}

fn getenv(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    Ok(iso.heap.fibers.get(f).env.map_or(Value::Nil, Value::Table))
}

fn setenv(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let f = args::fiber(iso, a, 0)?;
    let env = match a[1] {
        Value::Table(t) => Some(t),
        Value::Nil => None,
        _ => return Err(iso.err("bad slot #1, expected table")),
    };
    iso.heap.fibers.get_mut(f).env = env;
    Ok(a[0])
}

fn maxstack(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    Ok(Value::Num(iso.heap.fibers.get(f).maxstack as f64))
}

fn setmaxstack(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let f = args::fiber(iso, a, 0)?;
    let n = args::int(iso, a, 1)?.clamp(1, u32::MAX as i64) as u32;
    iso.heap.fibers.get_mut(f).maxstack = n;
    Ok(a[0])
}

fn kill(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let f = args::fiber(iso, a, 0)?;
    let reason = match a.get(1) {
        Some(v) => *v,
        None => iso.heap.string(b"killed"),
    };
    let mut chain = vec![f];
    while let Some(c) = iso.heap.fibers.get(*chain.last().expect("chain")).child {
        if chain.contains(&c) {
            break;
        }
        chain.push(c);
    }
    for fib in &chain {
        if Some(*fib) == iso.cur || iso.heap.fibers.get(*fib).status == FiberStatus::Alive {
            return Err(iso.err("cannot kill a running fiber"));
        }
    }
    for fib in chain {
        let status = iso.heap.fibers.get(fib).status;
        if matches!(status, FiberStatus::Dead | FiberStatus::Error) {
            continue;
        }
        // Close upvalues into its stack first: the stack is about to go.
        let (mut open, stack) = {
            let x = iso.heap.fibers.get_mut(fib);
            (
                std::mem::take(&mut x.open_upvals),
                std::mem::take(&mut x.stack),
            )
        };
        crate::vm::upvals::close(&mut iso.heap, &mut open, &stack, 0);
        let x = iso.heap.fibers.get_mut(fib);
        x.frames.clear();
        x.child = None;
        x.status = FiberStatus::Error;
        x.last = reason;
    }
    let name = iso.heap.fibers.get(f).status.name();
    Ok(iso.heap.keyword(name))
}

fn set_fuel(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let f = args::fiber(iso, a, 0)?;
    let n = args::int(iso, a, 1)?.max(0);
    iso.heap.fibers.get_mut(f).fuel = Some(n);
    Ok(a[0])
}

fn get_fuel(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    Ok(iso
        .heap
        .fibers
        .get(f)
        .fuel
        .map_or(Value::Nil, |n| Value::Num(n.max(0) as f64)))
}

fn clear_fuel(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let f = args::fiber(iso, a, 0)?;
    iso.heap.fibers.get_mut(f).fuel = None;
    Ok(a[0])
}

fn stacktrace(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let f = args::fiber(iso, a, 0)?;
    let mut out = String::new();
    if let Some(e) = a.get(1) {
        let prefix = match a.get(2).and_then(|p| iso.heap.bytes(*p)) {
            Some(p) => String::from_utf8_lossy(p).into_owned(),
            None => "error: ".into(),
        };
        out.push_str(&format!("{}{}\n", prefix, iso.error_text(*e)));
    }
    out.push_str(&iso.stacktrace(f));
    super::output::emit(iso, true, out.as_bytes())?;
    Ok(a[0])
}

fn dyn_(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let env = iso
        .cur
        .and_then(|c| iso.heap.fibers.get(c).env)
        .unwrap_or(iso.env);
    let v = iso.table_get(env, a[0]);
    Ok(if v == Value::Nil { args::opt(a, 1) } else { v })
}

fn setdyn(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let env = iso
        .cur
        .and_then(|c| iso.heap.fibers.get(c).env)
        .unwrap_or(iso.env);
    iso.table_put(env, a[0], a[1]);
    Ok(a[1])
}

fn curenv(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    let env = iso
        .cur
        .and_then(|c| iso.heap.fibers.get(c).env)
        .unwrap_or(iso.env);
    Ok(Value::Table(env))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native(
        "fiber/new",
        "(fiber/new fn &opt sigmask env)\n\nA new fiber around fn.",
        fiber_new,
    );
    env.native(
        "resume",
        "(resume fiber &opt x)\n\nRuns fiber until it signals.",
        resume,
    );
    env.native(
        "cancel",
        "(cancel fiber err)\n\nResumes fiber raising err at its suspension point.",
        cancel,
    );
    env.native(
        "yield",
        "(yield &opt x)\n\nSuspends the current fiber with x.",
        yield_,
    );
    env.native("signal", "(signal what &opt x)\n\nRaises a signal.", signal);
    env.native(
        "debug",
        "(debug &opt x)\n\nRaises a debug signal carrying x, for a parent fiber (mask :d) to \
         catch; the fiber resumes with the value the parent passes to resume.",
        debug,
    );
    env.native(
        "error",
        "(error x)\n\nRaises an error with payload x.",
        error,
    );
    env.native(
        "propagate",
        "(propagate x fiber)\n\nRe-raises fiber's signal with x.",
        propagate,
    );
    env.native(
        "fiber/status",
        "(fiber/status fiber)\n\nStatus keyword.",
        status,
    );
    env.native(
        "fiber/can-resume?",
        "(fiber/can-resume? fiber)\n\nTrue if resumable.",
        can_resume,
    );
    env.native(
        "fiber/current",
        "(fiber/current)\n\nThe running fiber.",
        current,
    );
    env.native(
        "fiber/root",
        "(fiber/root)\n\nThe outermost fiber of the running chain.",
        root,
    );
    env.native(
        "fiber/last-value",
        "(fiber/last-value fiber)\n\nLast signal payload or result.",
        last_value,
    );
    env.native(
        "fiber/getenv",
        "(fiber/getenv fiber)\n\nThe fiber's environment table.",
        getenv,
    );
    env.native(
        "fiber/setenv",
        "(fiber/setenv fiber env)\n\nSets the fiber's environment.",
        setenv,
    );
    env.native(
        "fiber/maxstack",
        "(fiber/maxstack fiber)\n\nFrame limit.",
        maxstack,
    );
    env.native_outside_lane(
        "fiber/setmaxstack",
        "(fiber/setmaxstack fiber n)\n\nSets the frame limit.",
        setmaxstack,
    );
    env.native(
        "debug/stacktrace",
        "(debug/stacktrace fiber &opt err prefix)\n\nPrints a trace.",
        stacktrace,
    );
    env.native_outside_lane(
        "fiber/set-fuel",
        "(fiber/set-fuel fiber n)\n\nGives fiber a budget of n reductions (calls and backward jumps). At 0 it pauses with signal :fuel.",
        set_fuel,
    );
    env.native(
        "fiber/kill",
        "(fiber/kill fiber)\n\nHard stop: status :error, no unwinding (defers do not run).",
        kill,
    );
    env.native_outside_lane(
        "fiber/fuel",
        "(fiber/fuel fiber)\n\nRemaining budget, or nil.",
        get_fuel,
    );
    env.native_outside_lane(
        "fiber/clear-fuel",
        "(fiber/clear-fuel fiber)\n\nRemoves the budget.",
        clear_fuel,
    );
    env.native("dyn", "(dyn key &opt default)\n\nA dynamic binding.", dyn_);
    env.native(
        "setdyn",
        "(setdyn key value)\n\nSets a dynamic binding.",
        setdyn,
    );
    env.native("curenv", "(curenv)\n\nThe current environment.", curenv);
}
