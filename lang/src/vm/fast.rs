//! The fast lane of the dispatch loop: register arithmetic, comparisons,
//! jumps, and calls/returns between closures, over the running fiber's stack.
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

use crate::bytecode::{Op, Proto};
use crate::fiber::Frame;
use crate::heap::Heap;
use crate::value::Value;

/// Runs from `pc` in the top frame; returns the `pc` to continue at (in the
/// then-top frame) and the remaining fuel.
#[inline(never)]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail every comparison, as in Janet
pub fn run(
    protos: &[Proto],
    heap: &mut Heap,
    stack: &mut [Value],
    frames: &mut Vec<Frame>,
    maxstack: usize,
    mut pc: usize,
    mut fuel: i64,
) -> (usize, i64) {
    // Only what instructions read is kept live (registers are scarce in
    // this loop); the rest of the running frame stays in `frames`.
    let fr = *frames.last().expect("frame");
    let (mut closure, mut pid) = (fr.closure, fr.proto);
    let mut proto = &protos[pid as usize];
    let mut code: &[Op] = &proto.code;
    let st: &mut [Value] = &mut stack[..];
    // The running frame's registers: `stack[base..]`, re-sliced on calls
    // and returns, so a register access is one bounds check and no add.
    let mut regs: &mut [Value] = &mut st[fr.base as usize..];
    macro_rules! reg {
        ($r:expr) => {
            regs[$r as usize]
        };
    }
    macro_rules! num {
        ($r:expr) => {
            match &regs[$r as usize] {
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
    loop {
        let op = code[pc];
        match op {
            Op::Move(d, s) => {
                // Numbers are copied field by field: a 16-byte copy of a
                // value just written by arithmetic (tag and payload stored
                // separately) defeats store forwarding and stalls the loop.
                reg!(d) = match reg!(s) {
                    Value::Num(x) => Value::Num(x),
                    v => v,
                }
            }
            Op::Int(d, n) => reg!(d) = Value::Num(n as f64),
            Op::Nil(d) => reg!(d) = Value::Nil,
            Op::Bool(d, b) => reg!(d) = Value::Bool(b),
            Op::Const(d, k) => reg!(d) = proto.consts[k as usize],
            Op::SelfFn(d) => reg!(d) = Value::Closure(closure),
            Op::Capture(d, i) => reg!(d) = heap.closures.get(closure).captures[i as usize],
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
                if !super::ops::table_put_num(heap.tables.get_mut(t), key, reg!(v)) {
                    return (pc, fuel);
                }
            }
            Op::Get(d, o, k) => {
                let (Value::Table(t), Value::Num(key)) = (reg!(o), reg!(k)) else {
                    return (pc, fuel);
                };
                let Some(v) = super::ops::table_get_num(heap.tables.get(t), key) else {
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
            Op::Call(..) | Op::CallSelf(..) => {
                let (b, argc, c, cp, p) = match op {
                    Op::CallSelf(b, argc) => {
                        // The compiler checked the arity; the slot gets the
                        // callee as a plain call would leave it.
                        regs[b as usize] = Value::Closure(closure);
                        (b as usize, argc as usize, closure, pid, proto)
                    }
                    Op::Call(b, argc) => {
                        let Value::Closure(c) = regs[b as usize] else {
                            return (pc, fuel);
                        };
                        let cp = heap.closures.get(c).proto;
                        let p = &protos[cp as usize];
                        if p.vararg || argc != p.nparams {
                            return (pc, fuel);
                        }
                        (b as usize, argc as usize, c, cp, p)
                    }
                    _ => unreachable!("matched a call"),
                };
                if frames.len() >= maxstack || fuel <= 1 {
                    return (pc, fuel);
                }
                // The callee's registers, relative to this frame's base.
                let (first, end) = (b + 1, b + 1 + p.nregs as usize);
                if regs.len() < end {
                    // Growing the stack is the general loop's job.
                    return (pc, fuel);
                }
                fuel -= 1;
                for v in regs[first + argc..end].iter_mut() {
                    *v = Value::Nil;
                }
                let caller = frames.last_mut().expect("caller frame");
                caller.pc = (pc + 1) as u32;
                let nb = caller.base as usize + first;
                let top = ((nb + p.nregs as usize) as u32).max(caller.top);
                frames.push(Frame {
                    closure: c,
                    proto: cp,
                    pc: 0,
                    base: nb as u32,
                    top,
                });
                (closure, pid) = (c, cp);
                proto = p;
                code = &p.code;
                regs = &mut st[nb..];
                pc = 0;
                continue;
            }
            Op::Ret(r) => {
                if proto.has_upvals || frames.len() < 2 {
                    return (pc, fuel);
                }
                let v = reg!(r);
                let callee = frames.pop().expect("callee frame");
                let caller = *frames.last().expect("caller frame");
                (closure, pid) = (caller.closure, caller.proto);
                proto = &protos[pid as usize];
                code = &proto.code;
                let base = caller.base as usize;
                regs = &mut st[base..];
                regs[callee.base as usize - 1 - base] = v;
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
            | Op::TailCall(..)
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
