//! Register bytecode: the instruction set and function prototypes.
//!
//! Invariant: an `Op` is 8 bytes. Registers are frame-relative `u16`s; a
//! call's callee sits in register `base` with its arguments in the registers
//! after it, and the result comes back in `base`. Jump offsets are relative
//! to the instruction after the jump. Prototypes are immutable once built.

use crate::value::Value;
use std::sync::Arc;

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Nil(u16),
    Bool(u16, bool),
    /// Small integer immediate.
    Int(u16, i32),
    Const(u16, u32),
    Move(u16, u16),
    /// dst <- captured value idx of the running closure.
    Capture(u16, u16),
    /// dst <- value of the upvalue in capture idx.
    UpGet(u16, u16),
    /// upvalue in capture idx <- src.
    UpSet(u16, u16),
    /// dst <- the running closure.
    SelfFn(u16),
    /// dst <- new closure over prototype (index into the isolate's table).
    Closure(u16, u32),
    /// dst <- element 0 of the array constant k (a global `var`).
    RefGet(u16, u32),
    /// element 0 of the array constant k <- src.
    RefSet(u16, u32),
    /// Entry table constant k gets `:value` src (a global `def`).
    DefGlobal(u16, u32),
    Jmp(i32),
    JmpIf(u16, i32),
    JmpIfNot(u16, i32),
    /// Fused compare-and-jump (jump when the comparison holds / fails).
    JmpLt(u16, u16, i16),
    JmpLe(u16, u16, i16),
    JmpEq(u16, u16, i16),
    JmpNotLt(u16, u16, i16),
    JmpNotLe(u16, u16, i16),
    JmpNotEq(u16, u16, i16),
    /// Compare a register with a small integer and jump (K = immediate).
    JmpLtK(u16, i16, i16),
    JmpNotLtK(u16, i16, i16),
    JmpLeK(u16, i16, i16),
    JmpNotLeK(u16, i16, i16),
    JmpGtK(u16, i16, i16),
    JmpNotGtK(u16, i16, i16),
    JmpGeK(u16, i16, i16),
    JmpNotGeK(u16, i16, i16),
    JmpEqK(u16, i16, i16),
    JmpNotEqK(u16, i16, i16),
    /// `i = i + 1`, then jump while `i < limit` (the end of a counted loop:
    /// the compiler emits it only as a back edge, so the jump is backward).
    IncJmpLt(u16, u16, i16),
    /// `IncJmpLt` of a loop whose body is straight-line number arithmetic
    /// (`vm::numloop::in_body`), which the fast lane may run unboxed.
    NumLoop(u16, u16, i16),
    Add(u16, u16, u16),
    AddK(u16, u16, i16),
    Sub(u16, u16, u16),
    Mul(u16, u16, u16),
    /// dst <- a * small integer immediate (the constant written second).
    MulK(u16, u16, i16),
    Div(u16, u16, u16),
    Lt(u16, u16, u16),
    Le(u16, u16, u16),
    Eq(u16, u16, u16),
    Neq(u16, u16, u16),
    Not(u16, u16),
    /// dst <- (get obj key)
    Get(u16, u16, u16),
    /// dst <- (get obj i) for a small constant index
    GetIdx(u16, u16, u16),
    /// dst <- tuple of elements of obj from index i on
    SliceFrom(u16, u16, u16),
    /// (put R[obj] R[key] R[val]), as the native `put` does it (the same
    /// `vm::ops::put`, so the same errors).
    Put(u16, u16, u16),
    /// dst <- (% a b): C's fmod for numbers, otherwise the `:%`/`:r%`
    /// operator method or its error, as the native `%` does it.
    Rem(u16, u16, u16),
    /// Call R[base] with argc arguments in R[base+1..]; result in R[base].
    Call(u16, u16),
    TailCall(u16, u16),
    /// `SelfFn(base)` then `Call(base, argc)`, where the compiler knows argc
    /// is exactly the running function's fixed arity (no optional or rest
    /// parameters), so the call needs no callee or arity checks.
    CallSelf(u16, u16),
    /// Call R[base] with the elements of the array in R[base+1] as arguments.
    CallSplat(u16),
    TailCallSplat(u16),
    Ret(u16),
    RetNil,
    /// Close open upvalues at or above register r.
    Close(u16),
    /// dst <- (tuple R[start] .. R[start+n])
    MkTuple(u16, u16, u16),
    MkBracket(u16, u16, u16),
    MkArray(u16, u16, u16),
    MkStruct(u16, u16, u16),
    MkTable(u16, u16, u16),
    /// Append R[src] to the array in R[arr].
    Push(u16, u16),
    /// Append every element of indexed R[src] to the array in R[arr].
    PushAll(u16, u16),
    /// dst <- array R[src] converted to kind: 0 tuple, 1 bracket tuple, 2 struct, 3 table.
    Convert(u16, u16, u16),
    /// dst <- struct from the keys/values in tuple R[src] (for &keys / &named).
    KeysStruct(u16, u16),
    /// Raise an error with message constant k.
    Error(u32),
}

/// Where a closure gets one captured value from, relative to its creator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CaptureSrc {
    /// Copy the creator's register (an immutable binding).
    Reg(u16),
    /// Share the creator's register through an upvalue (a `var`).
    RegUpval(u16),
    /// Copy the creator's own capture.
    Capture(u16),
    /// The creator closure itself.
    SelfFn,
}

/// A compiled function.
#[derive(Debug, Default)]
pub struct Proto {
    pub code: Vec<Op>,
    pub consts: Vec<Value>,
    /// (line, column) of each instruction.
    pub positions: Vec<(u32, u32)>,
    /// Required parameters.
    pub nparams: u16,
    /// Optional parameters after the required ones.
    pub nopt: u16,
    /// Extra arguments are collected into a tuple in register nparams+nopt.
    pub vararg: bool,
    /// Registers the frame needs.
    pub nregs: u16,
    pub captures: Vec<CaptureSrc>,
    pub name: Option<String>,
    pub source: Arc<str>,
    /// Some local was captured as an upvalue: returns must close upvalues.
    pub has_upvals: bool,
}

impl Proto {
    /// Largest argument count this function accepts, if bounded.
    pub fn max_args(&self) -> Option<usize> {
        (!self.vararg).then_some((self.nparams + self.nopt) as usize)
    }
}
