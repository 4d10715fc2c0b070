//! Per-function compile state: code being emitted, constants, registers and
//! lexical scopes.
//!
//! Invariant: registers are allocated as a stack. `free` is the first unused
//! register; locals of a scope occupy `[scope.base, ...)` and are released
//! when the scope ends; temporaries above the locals are released by resetting
//! `free` to a mark. `nregs` is the high-water mark the frame must reserve.

use crate::bytecode::{CaptureSrc, Op, Proto};
use crate::value::{Sym, Value};

/// How a local binding may be used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LocalKind {
    /// `def`, parameters: immutable, captured by value.
    Def,
    /// `var`: mutable, captured through an upvalue.
    Var,
}

/// A named register.
#[derive(Clone, Copy, Debug)]
pub struct Local {
    pub sym: Sym,
    pub reg: u16,
    pub kind: LocalKind,
}

/// A lexical scope inside one function.
#[derive(Debug, Default)]
pub struct Scope {
    pub locals: Vec<Local>,
    pub base: u16,
    /// Some `var` of this scope was captured as an upvalue.
    pub captured: bool,
}

/// An enclosing `while` loop.
#[derive(Debug, Default)]
pub struct LoopCtx {
    pub breaks: Vec<usize>,
    pub scope_depth: usize,
}

/// A captured name and where the capture came from.
#[derive(Clone, Copy, Debug)]
pub struct CaptureName {
    pub sym: Sym,
    pub upval: bool,
}

/// One function being compiled.
#[derive(Debug, Default)]
pub struct FnState {
    pub proto: Proto,
    pub scopes: Vec<Scope>,
    pub free: u16,
    pub capture_names: Vec<CaptureName>,
    pub self_sym: Option<Sym>,
    pub loops: Vec<LoopCtx>,
    pub pos: (u32, u32),
    /// Scopes at this depth or below define globals (the top-level thunk).
    pub top_level: bool,
    /// Highest instruction index any jump has been pointed at.
    pub label_max: usize,
    /// Set when the function asked for more than `MAX_REGISTERS`; the
    /// compiler reports it when the function ends (`alloc` cannot fail).
    pub too_many_registers: bool,
}

/// Registers one function may use. Kept well below `u16::MAX` so register
/// arithmetic on a capped allocation (a call's arguments after its base)
/// cannot overflow before the error is reported.
pub const MAX_REGISTERS: u16 = 32_768;

impl FnState {
    /// Allocates one register.
    pub fn alloc(&mut self) -> u16 {
        let r = self.free;
        if r >= MAX_REGISTERS {
            self.too_many_registers = true;
            return r;
        }
        self.free += 1;
        if self.free > self.proto.nregs {
            self.proto.nregs = self.free;
        }
        r
    }

    /// Allocates `n` consecutive registers, returning the first.
    pub fn alloc_n(&mut self, n: u16) -> u16 {
        let r = self.free;
        for _ in 0..n {
            self.alloc();
        }
        r
    }

    /// Emits an instruction at the current source position; returns its index.
    pub fn emit(&mut self, op: Op) -> usize {
        self.proto.code.push(op);
        self.proto.positions.push(self.pos);
        self.proto.code.len() - 1
    }

    /// Index the next instruction will get.
    pub fn here(&self) -> usize {
        self.proto.code.len()
    }

    /// Points the jump at `at` to the next instruction.
    pub fn patch_to_here(&mut self, at: usize) {
        let target = self.here();
        self.patch(at, target);
    }

    /// Points the jump at `at` to `target`.
    pub fn patch(&mut self, at: usize, target: usize) {
        self.label_max = self.label_max.max(target);
        let off = target as i64 - (at as i64 + 1);
        let op = &mut self.proto.code[at];
        *op = match *op {
            Op::Jmp(_) => Op::Jmp(off as i32),
            Op::JmpIf(r, _) => Op::JmpIf(r, off as i32),
            Op::JmpIfNot(r, _) => Op::JmpIfNot(r, off as i32),
            Op::JmpLt(a, b, _) => Op::JmpLt(a, b, off as i16),
            Op::JmpLe(a, b, _) => Op::JmpLe(a, b, off as i16),
            Op::JmpEq(a, b, _) => Op::JmpEq(a, b, off as i16),
            Op::JmpNotLt(a, b, _) => Op::JmpNotLt(a, b, off as i16),
            Op::JmpNotLe(a, b, _) => Op::JmpNotLe(a, b, off as i16),
            Op::JmpNotEq(a, b, _) => Op::JmpNotEq(a, b, off as i16),
            Op::JmpLtK(a, k, _) => Op::JmpLtK(a, k, off as i16),
            Op::JmpNotLtK(a, k, _) => Op::JmpNotLtK(a, k, off as i16),
            Op::JmpLeK(a, k, _) => Op::JmpLeK(a, k, off as i16),
            Op::JmpNotLeK(a, k, _) => Op::JmpNotLeK(a, k, off as i16),
            Op::JmpGtK(a, k, _) => Op::JmpGtK(a, k, off as i16),
            Op::JmpNotGtK(a, k, _) => Op::JmpNotGtK(a, k, off as i16),
            Op::JmpGeK(a, k, _) => Op::JmpGeK(a, k, off as i16),
            Op::JmpNotGeK(a, k, _) => Op::JmpNotGeK(a, k, off as i16),
            Op::JmpEqK(a, k, _) => Op::JmpEqK(a, k, off as i16),
            Op::JmpNotEqK(a, k, _) => Op::JmpNotEqK(a, k, off as i16),
            Op::IncJmpLt(a, b, _) => Op::IncJmpLt(a, b, off as i16),
            Op::NumLoop(a, b, _) => Op::NumLoop(a, b, off as i16),
            other => other,
        };
    }

    /// Drops a trailing `Move` into `t` (a discarded statement value) when
    /// no jump lands after it.
    pub fn drop_dead_move(&mut self, t: u16) {
        let n = self.proto.code.len();
        if n > 0 && self.label_max < n {
            if let Op::Move(d, _) = self.proto.code[n - 1] {
                if d == t {
                    self.proto.code.pop();
                    self.proto.positions.pop();
                }
            }
        }
    }

    /// Interns a constant.
    pub fn constant(&mut self, v: Value) -> u32 {
        if let Some(i) = self.proto.consts.iter().position(|c| same_const(*c, v)) {
            return i as u32;
        }
        self.proto.consts.push(v);
        (self.proto.consts.len() - 1) as u32
    }

    /// Opens a scope.
    pub fn push_scope(&mut self) {
        let base = self.free;
        self.scopes.push(Scope {
            base,
            ..Scope::default()
        });
    }

    /// Closes a scope, releasing its registers (and closing its upvalues).
    pub fn pop_scope(&mut self) {
        let s = self.scopes.pop().expect("scope underflow");
        if s.captured {
            self.emit(Op::Close(s.base));
        }
        self.free = s.base;
    }

    /// Binds `sym` to `reg` in the innermost scope.
    pub fn bind(&mut self, sym: Sym, reg: u16, kind: LocalKind) {
        self.scopes
            .last_mut()
            .expect("no scope")
            .locals
            .push(Local { sym, reg, kind });
    }

    /// Finds a local by name: (scope index, local).
    pub fn find_local(&self, sym: Sym) -> Option<(usize, Local)> {
        for (si, s) in self.scopes.iter().enumerate().rev() {
            if let Some(l) = s.locals.iter().rev().find(|l| l.sym == sym) {
                return Some((si, *l));
            }
        }
        None
    }

    /// Adds (or finds) a capture; returns its index.
    pub fn add_capture(&mut self, sym: Sym, src: CaptureSrc, upval: bool) -> u16 {
        if let Some(i) = self.capture_names.iter().position(|c| c.sym == sym) {
            return i as u16;
        }
        self.capture_names.push(CaptureName { sym, upval });
        self.proto.captures.push(src);
        (self.proto.captures.len() - 1) as u16
    }
}

fn same_const(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}
