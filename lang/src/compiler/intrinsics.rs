//! Intrinsics: calls of core natives the compiler may turn into dedicated
//! instructions (arithmetic, comparison, `get`, `%`, `put`...) when the call
//! has a shape the instruction covers; any other shape stays a plain call.
//!
//! Invariant: an intrinsic instruction behaves exactly as the native call
//! it replaces, for every operand (the `...OrCall` forms call the native
//! from their callee slot when their fast case does not apply).

use super::{CResult, Compiler, MAX_CALL_ARGS};
use crate::bytecode::Op;
use crate::isolate::Intrinsic;
use crate::value::Value;

impl Compiler<'_> {
    /// Compiles an intrinsic call; false if the shape does not fit (then it is a plain call).
    pub(super) fn intrinsic(
        &mut self,
        ins: Intrinsic,
        native: u32,
        args: &[Value],
        dst: u16,
    ) -> CResult<bool> {
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
                let regs = args
                    .iter()
                    .map(|a| self.expr_any(*a))
                    .collect::<CResult<Vec<u16>>>()?;
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
                let a = self.expr_any(args[0])?;
                let b = self.expr_any(args[1])?;
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
                let a = self.expr_any(args[0])?;
                let b = self.expr_any(args[1])?;
                self.f().emit(Op::Get(dst, a, b));
            }
            (Intrinsic::Rem, 2) => self.call_layout(args, dst, |b| Op::RemOrCall(b, native))?,
            (Intrinsic::Put, 3) => self.call_layout(args, dst, |b| Op::PutOrCall(b, native))?,
            _ => return Ok(false),
        }
        self.reset(mark);
        Ok(true)
    }

    /// Compiles `args` where a call would put them (after a callee slot that
    /// stays empty) and emits `op(callee slot)`: an instruction that does the
    /// common case itself and otherwise calls its native from that slot.
    fn call_layout(&mut self, args: &[Value], dst: u16, op: impl Fn(u16) -> Op) -> CResult<()> {
        if args.len() > MAX_CALL_ARGS {
            return self.err("too many arguments in one call (splice an array instead)");
        }
        let argc = args.len() as u16;
        let base = if self.f().free == dst + 1 && dst >= self.scope_floor() {
            self.f().alloc_n(argc);
            dst
        } else {
            self.f().alloc_n(1 + argc)
        };
        for (i, v) in args.iter().enumerate() {
            self.compile(*v, base + 1 + i as u16, false)?;
        }
        self.f().emit(op(base));
        if base != dst {
            self.f().emit(Op::Move(dst, base));
        }
        Ok(())
    }
}
