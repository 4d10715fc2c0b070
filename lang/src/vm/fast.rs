//! The fast lane of the dispatch loop: register arithmetic, comparisons,
//! jumps, calls/returns between closures, and calls of natives, over the
//! running fiber's stack.
//!
//! Invariant: `run` executes only instructions whose every case it knows:
//! register and constant moves, numeric arithmetic, jumps, and closure
//! calls with exact arity (no varargs) and returns from frames that have no
//! open upvalues and are not the fiber's bottom frame, `%` of numbers, and
//! `get`/`put` of number keys on tables (which never allocate or collect).
//! At the first other
//! instruction, at a non-number operand, or when fuel runs out, it returns
//! with `pc` at the instruction still to execute, the top frame current, and
//! every frame below holding its saved `pc` — so the general loop in
//! `interp` simply continues. A small loop keeps its state in registers.
//! A `NumLoop` back edge may hand the rest of its loop to `numloop::run`,
//! which leaves the same state the lane would have.
//!
//! A native (`Call` or `TailCall` of at most `NATIVE_ARGS` arguments, and
//! not one of the few that must see the run loop's view of the running
//! fiber: `NativeDef::lane`) is
//! called here, as the run loop would call it: the caller's `pc` and the
//! fuel saved into the isolate first, the arguments copied to a Rust array
//! (they stay in the registers too, so they stay rooted), and every borrow
//! of the isolate taken again afterwards, since the native may re-enter the
//! VM, grow the prototypes or collect. A value goes into the callee slot
//! and the lane goes on; anything else (an error, a signal, a park, a
//! resume, a tail call) is left in `Isolate::pending` with its call slot,
//! and the lane returns past the call so `interp` hands it to the run loop
//! (`Exit::Flow`), which applies it exactly as for a native it called. The
//! lane also returns after a native that left the heap wanting a
//! collection: `interp` checks that at every return of the lane.
//!
//! The lane comes in two builds of one body: `windowed` sees a frame's
//! registers as a fixed window of `WINDOW` slots and indexes it by the
//! register number masked to the window, which needs no bounds check (every
//! register of a frame is below its `nregs`, a compiler invariant, so for a
//! frame of at most `WINDOW` registers the mask changes nothing); `sliced`
//! indexes a slice, checked. The window may reach past the frame's
//! registers, so it needs stack beyond the live top: the stack is grown for
//! it only once the running code is hot (has spent `HOT` fuel in the lane
//! without leaving it), because a fiber keeps its stack's capacity while it
//! is parked, and a million parked fibers must not each keep a window.

use super::numloop;
use crate::bytecode::Op;
use crate::fiber::Frame;
use crate::isolate::Isolate;
use crate::value::Value;

/// Registers a frame may have to run in the windowed lane.
pub const WINDOW: usize = 256;
const MASK: usize = WINDOW - 1;
/// Extra stack past a window when growing for one, so a few calls deeper
/// still fit.
const SLACK: usize = 64;
/// Fuel the checked lane spends before its code counts as hot and gets a
/// window: a fiber that switches on every message never pays for one.
const HOT: i64 = 4096;
/// Most arguments a native called from the lane may get; a call with more
/// goes through the general loop.
const NATIVE_ARGS: usize = 8;

/// The window of the frame at `base` with `nregs` registers, if it has at
/// most `WINDOW` registers and the stack reaches that far.
#[inline(always)]
fn window(st: &mut [Value], base: usize, nregs: u16) -> Option<&mut [Value; WINDOW]> {
    if nregs as usize > WINDOW {
        return None;
    }
    st.get_mut(base..base + WINDOW)?.try_into().ok()
}

/// The registers of the frame at `base` with `nregs` registers, if the
/// stack holds them.
#[inline(always)]
fn slice(st: &mut [Value], base: usize, nregs: u16) -> Option<&mut [Value]> {
    let regs = st.get_mut(base..)?;
    (regs.len() >= nregs as usize).then_some(regs)
}

/// Runs from `pc` in the top frame; returns the `pc` to continue at (in the
/// then-top frame) and the remaining fuel.
pub fn run(iso: &mut Isolate, maxstack: usize, pc: usize, fuel: i64) -> (usize, i64) {
    // The top frame's base if it may have a window, and whether the stack
    // has room for one.
    let fits = |iso: &Isolate| {
        let fr = iso.frames.last().expect("frame");
        let base = fr.base as usize;
        (iso.protos[fr.proto as usize].nregs as usize <= WINDOW)
            .then(|| (base, iso.stack.len() >= base + WINDOW))
    };
    match fits(iso) {
        Some((_, true)) => return windowed(iso, maxstack, pc, fuel),
        None => return sliced(iso, maxstack, pc, fuel),
        Some((_, false)) => {}
    }
    // No room for a window yet: run checked on a budget of `HOT` fuel.
    // Code that spends it all without leaving the lane is hot: it gets a
    // window (the lane returned in a consistent state, so it simply goes on).
    let budget = fuel.min(HOT);
    let (pc, left) = sliced(iso, maxstack, pc, budget);
    let fuel = fuel - (budget - left);
    // A lane stops at a call or jump once `fuel <= 1`; a native that
    // suspended or wants a collection must reach the general loop first.
    if left > 1 || fuel <= 0 || iso.pending.is_some() || iso.heap.wants_collect() {
        return (pc, fuel);
    }
    match fits(iso) {
        Some((base, room)) => {
            if !room {
                iso.stack.resize(base + WINDOW + SLACK, Value::Nil);
            }
            windowed(iso, maxstack, pc, fuel)
        }
        None => sliced(iso, maxstack, pc, fuel),
    }
}

macro_rules! lane {
    ($(#[$doc:meta])* $name:ident, $take:ident, $mask:expr) => {
$(#[$doc])*
#[inline(never)]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail every comparison, as in Janet
fn $name(
    iso: &mut Isolate,
    maxstack: usize,
    mut pc: usize,
    mut fuel: i64,
) -> (usize, i64) {
    // Only what instructions read is kept live (registers are scarce in
    // this loop); the rest of the running frame stays in `frames`.
    let fr = *iso.frames.last().expect("frame");
    let (mut closure, mut pid) = (fr.closure, fr.proto);
    let mut proto = &iso.protos[pid as usize];
    let mut code: &[Op] = &proto.code;
    // The running frame's registers, re-taken on calls and returns.
    let Some(mut regs) = $take(&mut iso.stack, fr.base as usize, proto.nregs) else {
        return (pc, fuel);
    };
    macro_rules! reg {
        ($r:expr) => {
            regs[$r as usize & $mask]
        };
    }
    macro_rules! num {
        ($r:expr) => {
            match &regs[$r as usize & $mask] {
                Value::Num(x) => *x,
                _ => return (pc, fuel),
            }
        };
    }
    // A jump falls through to the `pc += 1` at the bottom of the loop like
    // every other instruction (rather than `continue`), so the taken branch
    // of a loop does not go through the frame-switch path of calls.
    macro_rules! jump {
        ($off:expr) => {{
            let off = $off as isize;
            pc = (pc as isize + off) as usize;
            if off < 0 {
                fuel -= 1;
                if fuel <= 0 {
                    return (pc + 1, fuel);
                }
            }
        }};
    }
    // A call of a native in place: the caller's `pc` and the fuel are
    // saved first (the native may trace, switch or re-enter the VM), and
    // anything but a value goes to the general loop through `pending`.
    macro_rules! native_call {
        ($b:expr, $argc:expr) => {{
            let Value::Native(i) = reg!($b) else {
                return (pc, fuel);
            };
            let argc = $argc as usize;
            let nat = &iso.natives[i as usize];
            if argc > NATIVE_ARGS || !nat.lane {
                return (pc, fuel);
            }
            let nf = nat.f;
            // The arguments are copied out of the window: the native gets
            // the whole isolate, stack included, and they stay rooted there.
            let b = $b as usize & $mask;
            let mut args = [Value::Nil; NATIVE_ARGS];
            for (k, a) in args[..argc].iter_mut().enumerate() {
                *a = reg!(b + 1 + k);
            }
            let fr = iso.frames.last_mut().expect("caller frame");
            fr.pc = (pc + 1) as u32;
            let base = fr.base as usize;
            iso.fuel = fuel;
            let r = nf(iso, &args[..argc]);
            fuel = iso.fuel;
            pc += 1;
            // The native may have grown the prototypes or moved the stack:
            // every borrow is taken again.
            proto = &iso.protos[pid as usize];
            code = &proto.code;
            match r {
                Ok(v) => match $take(&mut iso.stack, base, proto.nregs) {
                    Some(w) => {
                        regs = w;
                        reg!(b) = v;
                    }
                    None => {
                        iso.stack[base + b] = v;
                        return (pc, fuel);
                    }
                },
                Err(flow) => {
                    iso.pending = Some((flow, base + b));
                    return (pc, fuel);
                }
            }
            // After a native is a safe point.
            if iso.heap.wants_collect() {
                return (pc, fuel);
            }
            continue;
        }};
    }
    loop {
        let op = code[pc];
        match op {
            Op::Move(d, s) => {
                // Values are copied field by field, the way they are
                // written: a wide load over a tag byte and a payload stored
                // separately defeats store forwarding and stalls the loop.
                // Numbers (payload at 8) and booleans (payload at 1) get
                // their own arms, so the rest copy the tag and a u32 at 4.
                reg!(d) = match reg!(s) {
                    Value::Num(x) => Value::Num(x),
                    Value::Bool(b) => Value::Bool(b),
                    Value::Nil => Value::Nil,
                    v => v,
                }
            }
            Op::Int(d, n) => reg!(d) = Value::Num(n as f64),
            Op::Nil(d) => reg!(d) = Value::Nil,
            Op::Bool(d, b) => reg!(d) = Value::Bool(b),
            Op::Const(d, k) => reg!(d) = proto.consts[k as usize],
            Op::SelfFn(d) => reg!(d) = Value::Closure(closure),
            Op::Capture(d, i) => reg!(d) = iso.heap.closures.get(closure).captures[i as usize],
            Op::Add(d, a, b) => {
                let r = num!(a) + num!(b);
                reg!(d) = Value::Num(r);
            }
            Op::Sub(d, a, b) => {
                let r = num!(a) - num!(b);
                reg!(d) = Value::Num(r);
            }
            Op::Mul(d, a, b) => {
                let r = num!(a) * num!(b);
                reg!(d) = Value::Num(r);
            }
            Op::Div(d, a, b) => {
                let r = num!(a) / num!(b);
                reg!(d) = Value::Num(r);
            }
            Op::AddK(d, a, k) => {
                let r = num!(a) + k as f64;
                reg!(d) = Value::Num(r);
            }
            Op::MulK(d, a, k) => {
                let r = num!(a) * k as f64;
                reg!(d) = Value::Num(r);
            }
            Op::Lt(d, a, b) => {
                let r = num!(a) < num!(b);
                reg!(d) = Value::Bool(r);
            }
            Op::Le(d, a, b) => {
                let r = num!(a) <= num!(b);
                reg!(d) = Value::Bool(r);
            }
            Op::Rem(d, a, b) => {
                let r = super::ops::remainder(num!(a), num!(b));
                reg!(d) = Value::Num(r);
            }
            Op::Put(o, k, v) => {
                let (Value::Table(t), Value::Num(key)) = (reg!(o), reg!(k)) else {
                    return (pc, fuel);
                };
                let val = reg!(v);
                if !super::ops::table_put_num(iso.heap.tables.get_mut(t), key, val) {
                    return (pc, fuel);
                }
            }
            Op::Get(d, o, k) => {
                let (Value::Table(t), Value::Num(key)) = (reg!(o), reg!(k)) else {
                    return (pc, fuel);
                };
                let Some(v) = super::ops::table_get_num(iso.heap.tables.get(t), key) else {
                    return (pc, fuel);
                };
                reg!(d) = v;
            }
            Op::Not(d, a) => reg!(d) = Value::Bool(!reg!(a).truthy()),
            Op::Jmp(off) => jump!(off),
            Op::IncJmpLt(i, e, off) => {
                // In place: the counter is known to be a number, so only
                // its payload is written (no tag store, one bounds check).
                let lim = num!(e);
                let Value::Num(x) = &mut reg!(i) else {
                    return (pc, fuel);
                };
                *x += 1.0;
                if *x < lim {
                    // Always a loop's back edge (the compiler makes it only
                    // there), so it always pays fuel.
                    pc = (pc as isize + off as isize) as usize;
                    fuel -= 1;
                    if fuel <= 0 {
                        return (pc + 1, fuel);
                    }
                }
            }
            Op::NumLoop(i, e, off) => {
                // As `IncJmpLt`; with many iterations to go, the rest of
                // the loop runs unboxed (see `numloop`).
                let lim = num!(e);
                let Value::Num(x) = &mut reg!(i) else {
                    return (pc, fuel);
                };
                *x += 1.0;
                if *x < lim {
                    let left = lim - *x;
                    let at = pc;
                    pc = (pc as isize + off as isize) as usize;
                    fuel -= 1;
                    if fuel <= 0 {
                        return (pc + 1, fuel);
                    }
                    if left >= numloop::MIN_LEFT {
                        let body = &code[pc + 1..at];
                        let consts = &proto.consts;
                        if let Some((f, done)) =
                            numloop::run(&mut regs[..], $mask, body, consts, (i, e), fuel)
                        {
                            fuel = f;
                            if !done {
                                return (pc + 1, fuel);
                            }
                            pc = at;
                        }
                    }
                }
            }
            Op::JmpIf(r, off) => {
                if reg!(r).truthy() {
                    jump!(off)
                }
            }
            Op::JmpIfNot(r, off) => {
                if !reg!(r).truthy() {
                    jump!(off)
                }
            }
            Op::Call(..) | Op::CallSelf(..) | Op::TailCall(..) => {
                let (b, argc, c, cp, p) = match op {
                    Op::CallSelf(b, argc) => {
                        // The compiler checked the arity; the slot gets the
                        // callee as a plain call would leave it.
                        reg!(b) = Value::Closure(closure);
                        (b as usize & $mask, argc as usize, closure, pid, proto)
                    }
                    // A native in tail position is called as any other:
                    // the compiler follows a tail call with `Ret`.
                    Op::Call(b, argc) | Op::TailCall(b, argc) => {
                        let Value::Closure(c) = reg!(b) else {
                            native_call!(b, argc);
                        };
                        if let Op::TailCall(..) = op {
                            return (pc, fuel);
                        }
                        let cp = iso.heap.closures.get(c).proto;
                        let p = &iso.protos[cp as usize];
                        if p.vararg || argc != p.nparams {
                            return (pc, fuel);
                        }
                        (b as usize & $mask, argc as usize, c, cp, p)
                    }
                    _ => unreachable!("matched a call"),
                };
                if iso.frames.len() >= maxstack || fuel <= 1 {
                    return (pc, fuel);
                }
                let caller = iso.frames.last_mut().expect("caller frame");
                let nb = caller.base as usize + b + 1;
                // Growing the stack is the general loop's job.
                let Some(callee) = $take(&mut iso.stack, nb, p.nregs) else {
                    return (pc, fuel);
                };
                fuel -= 1;
                for v in callee[argc..p.nregs as usize].iter_mut() {
                    *v = Value::Nil;
                }
                caller.pc = (pc + 1) as u32;
                let top = ((nb + p.nregs as usize) as u32).max(caller.top);
                iso.frames.push(Frame {
                    closure: c,
                    proto: cp,
                    pc: 0,
                    base: nb as u32,
                    top,
                });
                (closure, pid) = (c, cp);
                proto = p;
                code = &p.code;
                regs = callee;
                pc = 0;
                continue;
            }
            Op::Ret(r) => {
                if proto.has_upvals || iso.frames.len() < 2 {
                    return (pc, fuel);
                }
                let v = reg!(r);
                let callee = *iso.frames.last().expect("callee frame");
                let caller = iso.frames[iso.frames.len() - 2];
                let cp = &iso.protos[caller.proto as usize];
                let Some(w) = $take(&mut iso.stack, caller.base as usize, cp.nregs) else {
                    return (pc, fuel);
                };
                iso.frames.pop();
                (closure, pid) = (caller.closure, caller.proto);
                proto = cp;
                code = &proto.code;
                regs = w;
                // The callee slot is a register of the caller.
                reg!(callee.base as usize - 1 - caller.base as usize) = v;
                pc = caller.pc as usize;
                continue;
            }
            Op::JmpLt(a, b, off) => {
                if num!(a) < num!(b) {
                    jump!(off)
                }
            }
            Op::JmpNotLt(a, b, off) => {
                if !(num!(a) < num!(b)) {
                    jump!(off)
                }
            }
            Op::JmpLe(a, b, off) => {
                if num!(a) <= num!(b) {
                    jump!(off)
                }
            }
            Op::JmpNotLe(a, b, off) => {
                if !(num!(a) <= num!(b)) {
                    jump!(off)
                }
            }
            Op::JmpLtK(a, k, off) => {
                if num!(a) < k as f64 {
                    jump!(off)
                }
            }
            Op::JmpNotLtK(a, k, off) => {
                if !(num!(a) < k as f64) {
                    jump!(off)
                }
            }
            Op::JmpLeK(a, k, off) => {
                if num!(a) <= k as f64 {
                    jump!(off)
                }
            }
            Op::JmpNotLeK(a, k, off) => {
                if !(num!(a) <= k as f64) {
                    jump!(off)
                }
            }
            Op::JmpGtK(a, k, off) => {
                if num!(a) > k as f64 {
                    jump!(off)
                }
            }
            Op::JmpNotGtK(a, k, off) => {
                if !(num!(a) > k as f64) {
                    jump!(off)
                }
            }
            Op::JmpGeK(a, k, off) => {
                if num!(a) >= k as f64 {
                    jump!(off)
                }
            }
            Op::JmpNotGeK(a, k, off) => {
                if !(num!(a) >= k as f64) {
                    jump!(off)
                }
            }
            Op::JmpEqK(a, k, off) => {
                if num!(a) == k as f64 {
                    jump!(off)
                }
            }
            Op::JmpNotEqK(a, k, off) => {
                if !(num!(a) == k as f64) {
                    jump!(off)
                }
            }
            // Listed rather than `_`, so the dispatch table covers every
            // opcode and needs no range check.
            Op::UpGet(..)
            | Op::UpSet(..)
            | Op::Closure(..)
            | Op::RefGet(..)
            | Op::RefSet(..)
            | Op::DefGlobal(..)
            | Op::JmpEq(..)
            | Op::JmpNotEq(..)
            | Op::Eq(..)
            | Op::Neq(..)
            | Op::GetIdx(..)
            | Op::SliceFrom(..)
            | Op::CallSplat(..)
            | Op::TailCallSplat(..)
            | Op::RetNil
            | Op::Close(..)
            | Op::MkTuple(..)
            | Op::MkBracket(..)
            | Op::MkArray(..)
            | Op::MkStruct(..)
            | Op::MkTable(..)
            | Op::Push(..)
            | Op::PushAll(..)
            | Op::Convert(..)
            | Op::KeysStruct(..)
            | Op::Error(..) => return (pc, fuel),
        }
        pc += 1;
    }
}
    };
}

lane!(
    /// The lane over a fixed register window (see the module comment).
    windowed,
    window,
    MASK
);
lane!(
    /// The lane over a checked register slice.
    sliced,
    slice,
    usize::MAX
);
