//! The fast lane of the dispatch loop: register arithmetic, comparisons,
//! jumps, and calls/returns between closures, over the running fiber's stack.
//!
//! Invariant: `run` executes only instructions whose every case it knows:
//! register and constant moves, numeric arithmetic, jumps, and closure
//! calls with exact arity (no varargs) and returns from frames that have no
//! open upvalues and are not the fiber's bottom frame. At the first other
//! instruction, at a non-number operand, or when fuel runs out, it returns
//! with `pc` at the instruction still to execute, the top frame current, and
//! every frame below holding its saved `pc` — so the general loop in
//! `interp` simply continues. A small loop keeps its state in registers.

use crate::bytecode::{Op, Proto};
use crate::fiber::Frame;
use crate::heap::arena::Arena;
use crate::objects::Closure;
use crate::value::Value;

/// Runs from `pc` in the top frame; returns the `pc` to continue at (in the
/// then-top frame) and the remaining fuel.
#[inline(never)]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail every comparison, as in Janet
pub fn run(
    protos: &[Proto],
    closures: &Arena<Closure>,
    stack: &mut [Value],
    frames: &mut Vec<Frame>,
    maxstack: usize,
    mut pc: usize,
    mut fuel: i64,
) -> (usize, i64) {
    let mut fr = *frames.last().expect("frame");
    let mut proto = &protos[fr.proto as usize];
    let mut code: &[Op] = &proto.code;
    let mut base = fr.base as usize;
    let st: &mut [Value] = &mut stack[..];
    macro_rules! reg {
        ($r:expr) => {
            st[base + $r as usize]
        };
    }
    macro_rules! num {
        ($r:expr) => {
            match &st[base + $r as usize] {
                Value::Num(x) => *x,
                _ => return (pc, fuel),
            }
        };
    }
    macro_rules! jump {
        ($off:expr) => {{
            let off = $off as isize;
            let target = (pc as isize + 1 + off) as usize;
            if off < 0 {
                fuel -= 1;
                if fuel <= 0 {
                    return (target, fuel);
                }
            }
            pc = target;
            continue;
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
            Op::SelfFn(d) => reg!(d) = Value::Closure(fr.closure),
            Op::Capture(d, i) => reg!(d) = closures.get(fr.closure).captures[i as usize],
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
            Op::Lt(d, a, b) => {
                let r = num!(a) < num!(b);
                reg!(d) = Value::Bool(r);
            }
            Op::Le(d, a, b) => {
                let r = num!(a) <= num!(b);
                reg!(d) = Value::Bool(r);
            }
            Op::Not(d, a) => reg!(d) = Value::Bool(!reg!(a).truthy()),
            Op::Jmp(off) => jump!(off),
            Op::IncJmpLt(i, e, off) => {
                let x = num!(i) + 1.0;
                let lim = num!(e);
                reg!(i) = Value::Num(x);
                if x < lim {
                    jump!(off)
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
            Op::Call(b, argc) => {
                let ab = base + b as usize;
                let Value::Closure(c) = st[ab] else {
                    return (pc, fuel);
                };
                let pid = closures.get(c).proto;
                let p = &protos[pid as usize];
                let argc = argc as usize;
                if p.vararg || argc != p.nparams as usize || frames.len() >= maxstack || fuel <= 1 {
                    return (pc, fuel);
                }
                let nb = ab + 1;
                let top = nb + p.nregs as usize;
                if st.len() < top {
                    // Growing the stack is the general loop's job.
                    return (pc, fuel);
                }
                fuel -= 1;
                for v in st[nb + argc..top].iter_mut() {
                    *v = Value::Nil;
                }
                if let Some(caller) = frames.last_mut() {
                    caller.pc = (pc + 1) as u32;
                }
                fr = Frame {
                    closure: c,
                    proto: pid,
                    pc: 0,
                    base: nb as u32,
                    top: (top as u32).max(fr.top),
                };
                frames.push(fr);
                proto = p;
                code = &p.code;
                base = nb;
                pc = 0;
                continue;
            }
            Op::Ret(r) => {
                if proto.has_upvals || frames.len() < 2 {
                    return (pc, fuel);
                }
                let v = reg!(r);
                frames.pop();
                st[base - 1] = v;
                fr = *frames.last().expect("caller frame");
                proto = &protos[fr.proto as usize];
                code = &proto.code;
                base = fr.base as usize;
                pc = fr.pc as usize;
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
            _ => return (pc, fuel),
        }
        pc += 1;
    }
}
