//! The dispatch loop: executes bytecode of the running fiber until something
//! needs the run loop (a native's control flow, a call the fast lane does
//! not make, a signal, an error, a collection, fuel exhaustion) and then
//! returns an `Exit` describing it.
//!
//! Invariants:
//! - Closure calls, returns and tail calls stay inside this loop: a language
//!   call never recurses on the Rust stack. Natives are called by the fast
//!   lane, which gets the whole isolate; this loop borrows the isolate's
//!   parts afresh after each return of the lane, and each such return is a
//!   safe point.
//! - Before returning an `Exit`, the top frame's `pc` is saved, so the outer
//!   loop (or a later resume) continues exactly where this stopped.
//! - Fuel is charged on calls and backward jumps only.

use super::upvals;
use crate::bytecode::{CaptureSrc, Op, Proto};
use crate::fiber::Frame;
use crate::heap::Heap;
use crate::isolate::Isolate;
use crate::value::{Ref, Value};

/// Why the loop stopped.
#[derive(Debug)]
pub enum Exit {
    /// The fiber's bottom frame returned this value.
    Done(Value),
    /// Call a non-closure (or set up a splatted call) at absolute slot `ab`.
    Call { ab: usize, argc: usize, tail: bool },
    /// Raise an error with this message.
    Error(String),
    /// Raise an error with a value payload.
    ErrorValue(Value),
    /// A native the fast lane called asked for control flow; the request
    /// and its call slot wait in `Isolate::pending`.
    Flow,
    /// A safe point wants a collection.
    Gc,
    /// The quantum is used up.
    Fuel,
    /// Arithmetic on a non-number found an operator method (Janet's `:+`,
    /// `:r+`...). Boxed so this rare exit does not grow `Exit`.
    Method(Box<MethodCall>),
}

/// An operator-method call: `f` with `args`, its result into absolute slot
/// `dest`.
#[derive(Debug)]
pub struct MethodCall {
    pub dest: usize,
    pub f: Value,
    pub args: [Value; 2],
}

/// Result of setting up a closure frame.
pub enum Setup {
    Ok,
    Err(String),
}

/// Register stacks up to this many values grow exactly, not by doubling.
const EXACT_STACK: usize = 64;

/// Pushes (or, for a tail call, replaces) a frame for closure `c` whose
/// callee slot is `ab` and arguments follow it.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn setup_frame(
    heap: &mut Heap,
    protos: &[Proto],
    stack: &mut Vec<Value>,
    frames: &mut Vec<Frame>,
    c: Ref,
    ab: usize,
    argc: usize,
    replace: bool,
    maxstack: usize,
) -> Setup {
    let pid = heap.closures.get(c).proto;
    let p = &protos[pid as usize];
    let nb = ab + 1;
    let mut argc = argc;
    if argc < p.nparams as usize || (!p.vararg && argc > (p.nparams + p.nopt) as usize) {
        return Setup::Err(arity_msg(p, argc));
    }
    let top = nb + p.nregs as usize;
    let fit = top.max(nb + argc);
    if stack.len() < fit {
        if fit <= EXACT_STACK {
            // A shallow fiber (a task body) grows to just what it uses: it
            // may park holding this capacity, a million times over. (Slack
            // would not outlive its first switch anyway: a switch trims the
            // stack to its live top.)
            if stack.capacity() < fit {
                stack.reserve_exact(fit - stack.len());
            }
            stack.resize(fit, Value::Nil);
        } else {
            // Grow with slack so the fast lane rarely has to hand back a call.
            stack.resize(fit + 8, Value::Nil);
        }
    }
    if p.vararg {
        let fixed = (p.nparams + p.nopt) as usize;
        let rest: Vec<Value> = if argc > fixed {
            stack[nb + fixed..nb + argc].to_vec()
        } else {
            Vec::new()
        };
        for v in stack[nb + argc.min(fixed)..nb + fixed].iter_mut() {
            *v = Value::Nil;
        }
        stack[nb + fixed] = heap.tuple(rest);
        argc = fixed + 1;
    }
    for v in stack[nb + argc..top].iter_mut() {
        *v = Value::Nil;
    }
    let below = if replace {
        frames.len().checked_sub(2).map(|i| frames[i])
    } else {
        frames.last().copied()
    };
    let f = Frame {
        closure: c,
        proto: pid,
        pc: 0,
        base: nb as u32,
        top: (top as u32).max(below.map_or(0, |b| b.top)),
    };
    if replace {
        *frames.last_mut().expect("frame") = f;
    } else {
        if frames.len() >= maxstack {
            return Setup::Err("stack overflow".into());
        }
        frames.push(f);
    }
    Setup::Ok
}

/// Janet-style arity error text.
pub fn arity_msg(p: &Proto, argc: usize) -> String {
    let name = p.name.clone().unwrap_or_else(|| "anonymous".into());
    let expected = match p.max_args() {
        Some(m) if m == p.nparams as usize => format!("{}", m),
        Some(m) => format!("{}-{}", p.nparams, m),
        None => format!("at least {}", p.nparams),
    };
    format!(
        "<function {}> called with {} argument{}, expected {}",
        name,
        argc,
        if argc == 1 { "" } else { "s" },
        expected
    )
}

macro_rules! num2 {
    ($stack:ident, $base:ident, $a:ident, $b:ident) => {
        ($stack[$base + $a as usize], $stack[$base + $b as usize])
    };
}

impl Isolate {
    /// Runs the current fiber until it needs the outer loop.
    pub(crate) fn exec(&mut self) -> Exit {
        let cur = self.cur.expect("no running fiber");
        let maxstack = self.heap.fibers.get(cur).maxstack as usize;
        let mut fuel = self.fuel;
        let mut pc = self.frames.last().expect("no frame").pc as usize;
        loop {
            // The lane runs with the whole isolate (it calls natives); the
            // general loop below borrows its parts for one instruction.
            (pc, fuel) = super::fast::run(self, maxstack, pc, fuel);
            let Isolate {
                heap,
                protos,
                stack,
                frames,
                open_upvals,
                fuel: fuel_slot,
                pending,
                ..
            } = &mut *self;
            let protos: &[Proto] = protos;
            let fr = *frames.last().expect("frame");
            let proto = &protos[fr.proto as usize];
            let code = &proto.code;
            let base = fr.base as usize;
            macro_rules! save {
                () => {{
                    frames.last_mut().expect("frame").pc = pc as u32;
                    *fuel_slot = fuel;
                }};
            }
            macro_rules! fail {
                ($msg:expr) => {{
                    save!();
                    return Exit::Error($msg);
                }};
            }
            // Arithmetic on a non-number: an operator method or an error.
            macro_rules! arith_slow {
                ($op:expr, $rop:expr, $d:ident, $x:expr, $y:expr) => {{
                    save!();
                    return super::ops::arith_slow(heap, $op, $rop, base + $d as usize, $x, $y);
                }};
            }
            // Frame state is re-read at the top of the loop; a frame change
            // only needs the new top frame's pc.
            macro_rules! reload {
                () => {{
                    pc = frames.last().expect("frame").pc as usize;
                }};
            }
            macro_rules! jump {
                ($off:expr) => {{
                    let off = $off as isize;
                    pc = (pc as isize + off) as usize;
                    if off < 0 {
                        fuel -= 1;
                        if fuel <= 0 {
                            save!();
                            return Exit::Fuel;
                        }
                    }
                }};
            }
            macro_rules! safepoint {
                () => {
                    if heap.wants_collect() {
                        save!();
                        return Exit::Gc;
                    }
                };
            }
            macro_rules! jk {
                ($a:ident, $k:ident, $off:ident, $cmp:tt, $when:expr) => {{
                    let r = if let Value::Num(x) = &stack[base + $a as usize] {
                        *x $cmp $k as f64
                    } else {
                        let x = stack[base + $a as usize];
                        let o = heap.compare(x, Value::Num($k as f64));
                        o $cmp std::cmp::Ordering::Equal
                    };
                    if r == $when {
                        jump!($off)
                    }
                }};
            }
            if fuel <= 0 {
                save!();
                return Exit::Fuel;
            }
            if pending.is_some() {
                save!();
                return Exit::Flow;
            }
            safepoint!();
            let op = code[pc];
            pc += 1;
            match op {
                Op::Move(d, s) => stack[base + d as usize] = stack[base + s as usize],
                Op::Int(d, n) => stack[base + d as usize] = Value::Num(n as f64),
                Op::Nil(d) => stack[base + d as usize] = Value::Nil,
                Op::Bool(d, b) => stack[base + d as usize] = Value::Bool(b),
                Op::Const(d, k) => stack[base + d as usize] = proto.consts[k as usize],
                Op::Add(d, a, b) => {
                    if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        let r = *x + *y;
                        stack[base + d as usize] = Value::Num(r);
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        arith_slow!("+", "r+", d, x, y)
                    }
                }
                Op::AddK(d, a, k) => {
                    if let Value::Num(x) = &stack[base + a as usize] {
                        let r = *x + k as f64;
                        stack[base + d as usize] = Value::Num(r);
                    } else {
                        let x = stack[base + a as usize];
                        arith_slow!("+", "r+", d, x, Value::Num(k as f64))
                    }
                }
                Op::MulK(d, a, k) => {
                    if let Value::Num(x) = &stack[base + a as usize] {
                        let r = *x * k as f64;
                        stack[base + d as usize] = Value::Num(r);
                    } else {
                        let x = stack[base + a as usize];
                        arith_slow!("*", "r*", d, x, Value::Num(k as f64))
                    }
                }
                Op::Sub(d, a, b) => {
                    if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        let r = *x - *y;
                        stack[base + d as usize] = Value::Num(r);
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        arith_slow!("-", "r-", d, x, y)
                    }
                }
                Op::Mul(d, a, b) => {
                    if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        let r = *x * *y;
                        stack[base + d as usize] = Value::Num(r);
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        arith_slow!("*", "r*", d, x, y)
                    }
                }
                Op::Div(d, a, b) => {
                    if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        let r = *x / *y;
                        stack[base + d as usize] = Value::Num(r);
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        arith_slow!("/", "r/", d, x, y)
                    }
                }
                Op::Lt(d, a, b) => {
                    let r = if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        *x < *y
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        heap.compare(x, y).is_lt()
                    };
                    stack[base + d as usize] = Value::Bool(r);
                }
                Op::Le(d, a, b) => {
                    let r = if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        *x <= *y
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        heap.compare(x, y).is_le()
                    };
                    stack[base + d as usize] = Value::Bool(r);
                }
                Op::Eq(d, a, b) => {
                    let (x, y) = num2!(stack, base, a, b);
                    stack[base + d as usize] = Value::Bool(heap.equals(x, y));
                }
                Op::Neq(d, a, b) => {
                    let (x, y) = num2!(stack, base, a, b);
                    stack[base + d as usize] = Value::Bool(!heap.equals(x, y));
                }
                Op::Not(d, a) => {
                    stack[base + d as usize] = Value::Bool(!stack[base + a as usize].truthy())
                }
                Op::Jmp(off) => jump!(off),
                Op::IncJmpLt(i, e, off) | Op::NumLoop(i, e, off) => {
                    let x = stack[base + i as usize];
                    let Value::Num(n) = x else {
                        fail!(super::ops::arith_error(heap, "+", x, Value::Num(1.0)))
                    };
                    let v = Value::Num(n + 1.0);
                    stack[base + i as usize] = v;
                    let lim = stack[base + e as usize];
                    let r = match lim {
                        Value::Num(l) => n + 1.0 < l,
                        _ => heap.compare(v, lim).is_lt(),
                    };
                    if r {
                        jump!(off)
                    }
                }
                Op::JmpIf(r, off) => {
                    if stack[base + r as usize].truthy() {
                        jump!(off)
                    }
                }
                Op::JmpIfNot(r, off) => {
                    if !stack[base + r as usize].truthy() {
                        jump!(off)
                    }
                }
                Op::JmpLt(a, b, off) | Op::JmpNotLt(a, b, off) => {
                    let r = if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        *x < *y
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        heap.compare(x, y).is_lt()
                    };
                    if r == matches!(op, Op::JmpLt(..)) {
                        jump!(off)
                    }
                }
                Op::JmpLe(a, b, off) | Op::JmpNotLe(a, b, off) => {
                    let r = if let (Value::Num(x), Value::Num(y)) =
                        (&stack[base + a as usize], &stack[base + b as usize])
                    {
                        *x <= *y
                    } else {
                        let (x, y) = num2!(stack, base, a, b);
                        heap.compare(x, y).is_le()
                    };
                    if r == matches!(op, Op::JmpLe(..)) {
                        jump!(off)
                    }
                }
                Op::JmpEq(a, b, off) | Op::JmpNotEq(a, b, off) => {
                    let (x, y) = num2!(stack, base, a, b);
                    if heap.equals(x, y) == matches!(op, Op::JmpEq(..)) {
                        jump!(off)
                    }
                }
                Op::JmpLtK(a, k, off) => jk!(a, k, off, <, true),
                Op::JmpNotLtK(a, k, off) => jk!(a, k, off, <, false),
                Op::JmpLeK(a, k, off) => jk!(a, k, off, <=, true),
                Op::JmpNotLeK(a, k, off) => jk!(a, k, off, <=, false),
                Op::JmpGtK(a, k, off) => jk!(a, k, off, >, true),
                Op::JmpNotGtK(a, k, off) => jk!(a, k, off, >, false),
                Op::JmpGeK(a, k, off) => jk!(a, k, off, >=, true),
                Op::JmpNotGeK(a, k, off) => jk!(a, k, off, >=, false),
                Op::JmpEqK(a, k, off) => jk!(a, k, off, ==, true),
                Op::JmpNotEqK(a, k, off) => jk!(a, k, off, ==, false),

                Op::Capture(d, i) => {
                    stack[base + d as usize] = heap.closures.get(fr.closure).captures[i as usize];
                }
                Op::UpGet(d, i) => {
                    let u = heap.closures.get(fr.closure).captures[i as usize];
                    stack[base + d as usize] = upvals::read(heap, stack, cur, u);
                }
                Op::UpSet(i, s) => {
                    let u = heap.closures.get(fr.closure).captures[i as usize];
                    let v = stack[base + s as usize];
                    upvals::write(heap, stack, cur, u, v);
                }
                Op::SelfFn(d) => stack[base + d as usize] = Value::Closure(fr.closure),
                Op::Closure(d, pid) => {
                    let p = &protos[pid as usize];
                    let mut caps = Vec::with_capacity(p.captures.len());
                    for c in &p.captures {
                        caps.push(match *c {
                            CaptureSrc::Reg(r) => stack[base + r as usize],
                            CaptureSrc::RegUpval(r) => Value::Upval(upvals::find_or_open(
                                heap,
                                open_upvals,
                                cur,
                                base + r as usize,
                            )),
                            CaptureSrc::Capture(i) => {
                                heap.closures.get(fr.closure).captures[i as usize]
                            }
                            CaptureSrc::SelfFn => Value::Closure(fr.closure),
                        });
                    }
                    stack[base + d as usize] = heap.closure(pid, caps.into_boxed_slice());
                    safepoint!();
                }
                Op::Close(r) => upvals::close(heap, open_upvals, stack, base + r as usize),
                Op::Call(b, argc) | Op::CallSelf(b, argc) => {
                    let ab = base + b as usize;
                    if let Op::CallSelf(..) = op {
                        stack[ab] = Value::Closure(fr.closure);
                    }
                    match stack[ab] {
                        Value::Closure(c) => {
                            fuel -= 1;
                            if fuel <= 0 {
                                pc -= 1;
                                save!();
                                return Exit::Fuel;
                            }
                            save!();
                            let argc = argc as usize;
                            match setup_frame(
                                heap, protos, stack, frames, c, ab, argc, false, maxstack,
                            ) {
                                Setup::Ok => reload!(),
                                Setup::Err(m) => return Exit::Error(m),
                            }
                        }
                        _ => {
                            save!();
                            return Exit::Call {
                                ab,
                                argc: argc as usize,
                                tail: false,
                            };
                        }
                    }
                }
                Op::TailCall(b, argc) => {
                    let ab = base + b as usize;
                    match stack[ab] {
                        Value::Closure(c) => {
                            fuel -= 1;
                            if fuel <= 0 {
                                pc -= 1;
                                save!();
                                return Exit::Fuel;
                            }
                            if proto.has_upvals {
                                upvals::close(heap, open_upvals, stack, base);
                            }
                            let n = argc as usize + 1;
                            stack.copy_within(ab..ab + n, base - 1);
                            save!();
                            match setup_frame(
                                heap,
                                protos,
                                stack,
                                frames,
                                c,
                                base - 1,
                                argc as usize,
                                true,
                                maxstack,
                            ) {
                                Setup::Ok => reload!(),
                                Setup::Err(m) => return Exit::Error(m),
                            }
                        }
                        _ => {
                            save!();
                            return Exit::Call {
                                ab,
                                argc: argc as usize,
                                tail: true,
                            };
                        }
                    }
                }
                Op::CallSplat(b) | Op::TailCallSplat(b) => {
                    let ab = base + b as usize;
                    let args: Vec<Value> = match stack[ab + 1] {
                        Value::Array(r) => heap.arrays.get(r).clone(),
                        _ => Vec::new(),
                    };
                    let need = ab + 1 + args.len() + 1;
                    if stack.len() < need {
                        stack.resize(need, Value::Nil);
                    }
                    stack[ab + 1..ab + 1 + args.len()].copy_from_slice(&args);
                    save!();
                    return Exit::Call {
                        ab,
                        argc: args.len(),
                        tail: matches!(op, Op::TailCallSplat(_)),
                    };
                }
                Op::Ret(r) => {
                    let v = stack[base + r as usize];
                    if proto.has_upvals {
                        upvals::close(heap, open_upvals, stack, base);
                    }
                    frames.pop();
                    if frames.is_empty() {
                        *fuel_slot = fuel;
                        return Exit::Done(v);
                    }
                    stack[base - 1] = v;
                    reload!();
                }
                Op::RetNil => {
                    if proto.has_upvals {
                        upvals::close(heap, open_upvals, stack, base);
                    }
                    frames.pop();
                    if frames.is_empty() {
                        *fuel_slot = fuel;
                        return Exit::Done(Value::Nil);
                    }
                    stack[base - 1] = Value::Nil;
                    reload!();
                }
                Op::RefGet(d, k) => {
                    stack[base + d as usize] = match proto.consts[k as usize] {
                        Value::Array(a) => {
                            heap.arrays.get(a).first().copied().unwrap_or(Value::Nil)
                        }
                        _ => Value::Nil,
                    }
                }
                Op::RefSet(s, k) => {
                    if let Value::Array(a) = proto.consts[k as usize] {
                        let v = stack[base + s as usize];
                        let arr = heap.arrays.get_mut(a);
                        if arr.is_empty() {
                            arr.push(v);
                        } else {
                            arr[0] = v;
                        }
                    }
                }
                Op::Get(d, o, k) => {
                    let (ov, kv) = num2!(stack, base, o, k);
                    stack[base + d as usize] = super::ops::get(heap, ov, kv);
                }
                Op::Rem(d, a, b) => {
                    let (x, y) = num2!(stack, base, a, b);
                    if let (Value::Num(x), Value::Num(y)) = (x, y) {
                        stack[base + d as usize] = Value::Num(super::ops::remainder(x, y));
                    } else {
                        arith_slow!("%", "r%", d, x, y)
                    }
                }
                Op::Put(o, k, v) => {
                    let (ov, kv) = num2!(stack, base, o, k);
                    let val = stack[base + v as usize];
                    let done = match (ov, kv) {
                        (Value::Table(t), Value::Num(key)) => {
                            super::ops::table_put_num(heap.tables.get_mut(t), key, val)
                        }
                        _ => false,
                    };
                    if !done {
                        if let Err(m) = super::ops::put(heap, ov, kv, val) {
                            fail!(m)
                        }
                    }
                }
                Op::GetIdx(d, o, i) => {
                    let ov = stack[base + o as usize];
                    stack[base + d as usize] = match ov {
                        Value::Tuple(r) => heap
                            .tuples
                            .get(r)
                            .items
                            .get(i as usize)
                            .copied()
                            .unwrap_or_default(),
                        Value::Array(r) => heap
                            .arrays
                            .get(r)
                            .get(i as usize)
                            .copied()
                            .unwrap_or_default(),
                        _ => super::ops::get(heap, ov, Value::Num(i as f64)),
                    };
                }
                _ => {
                    save!();
                    if let Err(e) = super::ops::slow_op(heap, protos, stack, base, op, fr.proto) {
                        return e;
                    }
                    safepoint!();
                }
            }
        }
    }
}
