//! Intrinsics: calls of core natives the compiler may turn into dedicated
//! instructions (arithmetic, comparison, `get`, `%`, `put`...) when the call
//! has a shape the instruction covers; any other shape stays a plain call.
//!
//! Invariant: an intrinsic instruction behaves exactly as the native call
//! it replaces, for every operand: its slow path is the function the native
//! itself uses (`vm::ops::put`, the operator-method dispatch of `+` or `%`),
//! and its operands are the values the call's arguments had when evaluated
//! left to right (see `operands`).

use super::scope::LocalKind;
use super::{CResult, Compiler, Resolved};
use crate::bytecode::Op;
use crate::isolate::Intrinsic;
use crate::value::Value;

impl Compiler<'_> {
    /// Compiles an intrinsic call; false if the shape does not fit (then it is a plain call).
    pub(super) fn intrinsic(&mut self, ins: Intrinsic, args: &[Value], dst: u16) -> CResult<bool> {
        if args.iter().any(|v| self.is_splice(*v).is_some()) {
            return Ok(false);
        }
        let mark = self.f().free;
        let small = |v: Value| match v {
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 30000.0 => Some(n as i16),
            _ => None,
        };
        match (ins, args.len()) {
            (Intrinsic::Add | Intrinsic::Sub | Intrinsic::Mul | Intrinsic::Div, 0) => {
                let unit = if matches!(ins, Intrinsic::Add | Intrinsic::Sub) {
                    0
                } else {
                    1
                };
                self.f().emit(Op::Int(dst, unit));
            }
            (Intrinsic::Add | Intrinsic::Mul, 1) => {
                let a = self.expr_any(args[0])?;
                let unit = self.f().alloc();
                self.f()
                    .emit(Op::Int(unit, if ins == Intrinsic::Add { 0 } else { 1 }));
                self.f().emit(if ins == Intrinsic::Add {
                    Op::Add(dst, unit, a)
                } else {
                    Op::Mul(dst, unit, a)
                });
            }
            (Intrinsic::Sub | Intrinsic::Div, 1) => {
                let a = self.expr_any(args[0])?;
                let unit = self.f().alloc();
                self.f()
                    .emit(Op::Int(unit, if ins == Intrinsic::Sub { 0 } else { 1 }));
                self.f().emit(if ins == Intrinsic::Sub {
                    Op::Sub(dst, unit, a)
                } else {
                    Op::Div(dst, unit, a)
                });
            }
            (Intrinsic::Add, 2) if small(args[1]).is_some() || small(args[0]).is_some() => {
                let (x, k) = match small(args[1]) {
                    Some(k) => (args[0], k),
                    None => (args[1], small(args[0]).unwrap_or(0)),
                };
                let a = self.expr_any(x)?;
                self.f().emit(Op::AddK(dst, a, k));
            }
            (Intrinsic::Mul, 2) if small(args[1]).is_some() => {
                let a = self.expr_any(args[0])?;
                self.f().emit(Op::MulK(dst, a, small(args[1]).unwrap_or(1)));
            }
            (Intrinsic::Sub, 2) if small(args[1]).is_some() => {
                let a = self.expr_any(args[0])?;
                self.f()
                    .emit(Op::AddK(dst, a, -small(args[1]).unwrap_or(0)));
            }
            (Intrinsic::Add | Intrinsic::Sub | Intrinsic::Mul | Intrinsic::Div, _) => {
                let regs = self.operands(args)?;
                let acc = if regs.len() > 2 && regs[2..].contains(&dst) {
                    self.f().alloc()
                } else {
                    dst
                };
                let mk = |d, a, b| match ins {
                    Intrinsic::Add => Op::Add(d, a, b),
                    Intrinsic::Sub => Op::Sub(d, a, b),
                    Intrinsic::Mul => Op::Mul(d, a, b),
                    _ => Op::Div(d, a, b),
                };
                self.f().emit(mk(acc, regs[0], regs[1]));
                for r in &regs[2..] {
                    self.f().emit(mk(acc, acc, *r));
                }
                if acc != dst {
                    self.f().emit(Op::Move(dst, acc));
                }
            }
            (
                Intrinsic::Lt
                | Intrinsic::Le
                | Intrinsic::Gt
                | Intrinsic::Ge
                | Intrinsic::Eq
                | Intrinsic::Neq,
                2,
            ) => {
                let [a, b] = self.operands(args)?[..] else {
                    unreachable!("two operands")
                };
                self.f().emit(match ins {
                    Intrinsic::Lt => Op::Lt(dst, a, b),
                    Intrinsic::Le => Op::Le(dst, a, b),
                    Intrinsic::Gt => Op::Lt(dst, b, a),
                    Intrinsic::Ge => Op::Le(dst, b, a),
                    Intrinsic::Eq => Op::Eq(dst, a, b),
                    _ => Op::Neq(dst, a, b),
                });
            }
            (Intrinsic::Not, 1) => {
                let a = self.expr_any(args[0])?;
                self.f().emit(Op::Not(dst, a));
            }
            (Intrinsic::Get, 2) => {
                let [a, b] = self.operands(args)?[..] else {
                    unreachable!("two operands")
                };
                self.f().emit(Op::Get(dst, a, b));
            }
            (Intrinsic::Rem, 2) => {
                let [a, b] = self.operands(args)?[..] else {
                    unreachable!("two operands")
                };
                self.f().emit(Op::Rem(dst, a, b));
            }
            (Intrinsic::Put, 3) => {
                let [o, k, v] = self.operands(args)?[..] else {
                    unreachable!("three operands")
                };
                self.f().emit(Op::Put(o, k, v));
                // `put` returns the collection; a statement drops this move.
                if o != dst {
                    self.f().emit(Op::Move(dst, o));
                }
            }
            _ => return Ok(false),
        }
        self.reset(mark);
        Ok(true)
    }

    /// Registers holding the values of `args`, evaluated left to right. A
    /// local is read in place, without a copy, unless it is a `var` and a
    /// later argument may run code (a call could `set` it before the
    /// instruction reads it, as `(+ x (do (set x 5) 1))` does): then its
    /// value is copied to a temporary first, as a call's argument would be.
    pub(super) fn operands(&mut self, args: &[Value]) -> CResult<Vec<u16>> {
        let mut regs = Vec::with_capacity(args.len());
        for (i, form) in args.iter().enumerate() {
            let calm = args[i + 1..].iter().all(|v| {
                !matches!(
                    v,
                    Value::Tuple(_) | Value::Array(_) | Value::Struct(_) | Value::Table(_)
                )
            });
            let local = match *form {
                Value::Symbol(s) => match self.resolve(s) {
                    Some(Resolved::Local(r, kind)) if calm || kind == LocalKind::Def => Some(r),
                    _ => None,
                },
                _ => None,
            };
            regs.push(match local {
                Some(r) => r,
                None => {
                    let t = self.f().alloc();
                    self.compile(*form, t, false)?;
                    t
                }
            });
        }
        Ok(regs)
    }
}
