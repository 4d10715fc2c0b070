//! The fast lane of the dispatch loop: straight-line register arithmetic,
//! comparisons and jumps over one frame's register window.
//!
//! Invariant: `run` executes only instructions that touch nothing but the
//! frame's registers and constants; at the first other instruction, at a
//! non-number operand, or when fuel runs out on a backward jump, it returns
//! with `pc` at the instruction still to execute (so the general loop in
//! `interp` re-executes it with full semantics). Keeping this loop small
//! keeps `pc`, `fuel` and the window in machine registers.

use crate::bytecode::Op;
use crate::value::{Ref, Value};

/// Runs from `pc` until an instruction needs the general loop; returns the
/// new `pc` and the remaining fuel.
#[inline(never)]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail every comparison, as in Janet
pub fn run(
    code: &[Op],
    consts: &[Value],
    caps: &[Value],
    closure: Ref,
    regs: &mut [Value],
    mut pc: usize,
    mut fuel: i64,
) -> (usize, i64) {
    macro_rules! num {
        ($r:expr) => {
            match &regs[$r as usize] {
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
            Op::Move(d, s) => regs[d as usize] = regs[s as usize],
            Op::Int(d, n) => regs[d as usize] = Value::Num(n as f64),
            Op::Nil(d) => regs[d as usize] = Value::Nil,
            Op::Bool(d, b) => regs[d as usize] = Value::Bool(b),
            Op::Const(d, k) => regs[d as usize] = consts[k as usize],
            Op::SelfFn(d) => regs[d as usize] = Value::Closure(closure),
            Op::Capture(d, i) => regs[d as usize] = caps[i as usize],
            Op::Add(d, a, b) => {
                let r = num!(a) + num!(b);
                regs[d as usize] = Value::Num(r);
            }
            Op::Sub(d, a, b) => {
                let r = num!(a) - num!(b);
                regs[d as usize] = Value::Num(r);
            }
            Op::Mul(d, a, b) => {
                let r = num!(a) * num!(b);
                regs[d as usize] = Value::Num(r);
            }
            Op::Div(d, a, b) => {
                let r = num!(a) / num!(b);
                regs[d as usize] = Value::Num(r);
            }
            Op::AddK(d, a, k) => {
                let r = num!(a) + k as f64;
                regs[d as usize] = Value::Num(r);
            }
            Op::Lt(d, a, b) => {
                let r = num!(a) < num!(b);
                regs[d as usize] = Value::Bool(r);
            }
            Op::Le(d, a, b) => {
                let r = num!(a) <= num!(b);
                regs[d as usize] = Value::Bool(r);
            }
            Op::Not(d, a) => regs[d as usize] = Value::Bool(!regs[a as usize].truthy()),
            Op::Jmp(off) => jump!(off),
            Op::IncJmpLt(i, e, off) => {
                let x = num!(i) + 1.0;
                let lim = num!(e);
                regs[i as usize] = Value::Num(x);
                if x < lim {
                    jump!(off)
                }
            }
            Op::JmpIf(r, off) => {
                if regs[r as usize].truthy() {
                    jump!(off)
                }
            }
            Op::JmpIfNot(r, off) => {
                if !regs[r as usize].truthy() {
                    jump!(off)
                }
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
                if num!(a) != k as f64 {
                    jump!(off)
                }
            }
            _ => return (pc, fuel),
        }
        pc += 1;
    }
}
