//! The compiler: macro expansion and code generation from forms to register
//! bytecode, one top-level form (a "thunk") at a time.
//!
//! Invariants:
//! - Macros are expanded as they are met, by running the macro function in
//!   the VM (the full language is available at expansion time).
//! - The GC does not collect while compiling (`Heap::inhibit`), so the forms
//!   and constants held here in Rust stay valid.
//! - `compile(form, dst, tail)` leaves the value of `form` in register `dst`;
//!   when `tail` is set it instead returns it from the function (tail calls
//!   become `TailCall`). Every temporary it allocates is above `dst`.
//! - Global `def`s are resolved at compile time and inlined as constants, as
//!   Janet does; global `var`s go through a one-element array.

mod destructure;
mod intrinsics;
mod quasi;
pub mod scope;
mod specials;

use crate::bytecode::{CaptureSrc, Op};
use crate::isolate::{Intrinsic, Isolate};
use crate::value::{Ref, Sym, Value};
use scope::{FnState, LocalKind};
use std::sync::Arc;

/// Arguments one call form may pass in registers; with `MAX_REGISTERS` it
/// keeps every register index a call computes inside `u16`.
const MAX_CALL_ARGS: usize = 16_384;

/// Deepest nesting of forms the compiler accepts.
pub const MAX_DEPTH: usize = 200;

/// A compile error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub line: u32,
    pub col: u32,
    pub msg: String,
    /// The error was raised by a macro (payload kept as text).
    pub from_macro: bool,
}

pub type CResult<T> = Result<T, CompileError>;

/// What a symbol names.
#[derive(Clone, Copy, Debug)]
pub enum Resolved {
    Local(u16, LocalKind),
    Capture(u16, bool),
    SelfFn,
    Const(Value),
    Ref(Value),
    Macro(Value),
}

/// Compiles forms for one isolate.
pub struct Compiler<'i> {
    pub iso: &'i mut Isolate,
    pub fns: Vec<FnState>,
    pub source: Arc<str>,
    pub env: Ref,
    depth: usize,
    /// The next `compile` is of a form evaluated for its effects only (set
    /// by `statement` and passed on to the value-giving sub-form by `do`,
    /// `if` and macro expansion), so it need not leave a value in `dst`.
    pending_effect: bool,
    /// The form being compiled is evaluated for its effects only.
    for_effect: bool,
}

/// Compiles `form` into a zero-argument closure that evaluates it in `env`.
pub fn compile_thunk(iso: &mut Isolate, form: Value, env: Ref, source: Arc<str>) -> CResult<Value> {
    iso.heap.inhibit += 1;
    let mut c = Compiler {
        iso,
        fns: Vec::new(),
        source,
        env,
        depth: 0,
        pending_effect: false,
        for_effect: false,
    };
    let r = c.thunk(form);
    c.iso.heap.inhibit -= 1;
    r
}

impl<'i> Compiler<'i> {
    fn thunk(&mut self, form: Value) -> CResult<Value> {
        let mut fs = FnState {
            top_level: true,
            ..FnState::default()
        };
        fs.proto.name = Some("_thunk".into());
        fs.proto.source = self.source.clone();
        if let Value::Tuple(r) = form {
            let t = self.iso.heap.tuples.get(r);
            fs.pos = (t.line, t.col);
        }
        self.fns.push(fs);
        self.f().push_scope();
        let dst = self.f().alloc();
        // No tail call at top level: keeps the thunk's frame in traces.
        self.compile(form, dst, false)?;
        self.f().emit(Op::Ret(dst));
        let fs = self.fns.pop().expect("thunk state");
        if fs.too_many_registers {
            return self.err("function needs too many registers (locals and temporaries)");
        }
        let pid = self.iso.add_proto(fs.proto);
        Ok(self.iso.heap.closure(pid, Box::new([])))
    }

    /// The function being compiled.
    pub fn f(&mut self) -> &mut FnState {
        self.fns.last_mut().expect("no function")
    }

    /// An error at the current position.
    pub fn err<T>(&self, msg: impl Into<String>) -> CResult<T> {
        let (line, col) = self.fns.last().map_or((0, 0), |f| f.pos);
        Err(CompileError {
            line,
            col,
            msg: msg.into(),
            from_macro: false,
        })
    }

    /// Text of a symbol.
    pub fn name(&self, s: Sym) -> String {
        self.iso.heap.syms.text(s).into_owned()
    }

    /// Elements of a tuple (copied out of the heap).
    pub fn tuple_items(&self, r: Ref) -> Vec<Value> {
        self.iso.heap.tuples.get(r).items.to_vec()
    }

    /// Counts one level of Rust recursion (errors past `MAX_DEPTH`).
    pub fn enter_nesting(&mut self) -> CResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return self.err("form nested too deeply (or a macro expands forever)");
        }
        Ok(())
    }

    /// Leaves a level entered with `enter_nesting`.
    pub fn leave_nesting(&mut self) {
        self.depth -= 1;
    }

    /// Compiles `form` into `dst` (or returns it, in tail position).
    pub fn compile(&mut self, form: Value, dst: u16, tail: bool) -> CResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return self.err("form nested too deeply (or a macro expands forever)");
        }
        let effect = std::mem::take(&mut self.pending_effect);
        let outer = std::mem::replace(&mut self.for_effect, effect && !tail);
        let r = self.compile_inner(form, dst, tail);
        self.for_effect = outer;
        self.depth -= 1;
        r
    }

    /// Compiles `form` into `dst`, for its effects only when the form being
    /// compiled now is (for a sub-form whose value is the form's value).
    pub fn compile_result(&mut self, form: Value, dst: u16, tail: bool) -> CResult<()> {
        self.pending_effect = self.for_effect;
        self.compile(form, dst, tail)
    }

    fn compile_inner(&mut self, form: Value, dst: u16, tail: bool) -> CResult<()> {
        match form {
            Value::Symbol(s) => {
                if tail {
                    if let Some(Resolved::Local(r, _)) = self.resolve(s) {
                        self.f().emit(Op::Ret(r));
                        return Ok(());
                    }
                }
                self.symbol(s, dst)?;
            }
            Value::Tuple(r) => {
                let (items, line, col, bracket) = {
                    let t = self.iso.heap.tuples.get(r);
                    (t.items.to_vec(), t.line, t.col, t.bracket)
                };
                let saved = self.f().pos;
                if line > 0 {
                    self.f().pos = (line, col);
                }
                let res = if bracket {
                    self.constructor(&items, dst, 1)
                } else if items.is_empty() {
                    self.load_const(form, dst);
                    Ok(())
                } else {
                    let r = self.call_form(&items, dst, tail);
                    self.f().pos = saved;
                    return r;
                };
                self.f().pos = saved;
                res?;
            }
            Value::Array(r) => {
                let items = self.iso.heap.arrays.get(r).clone();
                self.constructor(&items, dst, 2)?;
            }
            Value::Struct(r) | Value::Table(r) => {
                let table = matches!(form, Value::Table(_));
                let pairs: Vec<Value> = {
                    let t = if table {
                        self.iso.heap.tables.get(r)
                    } else {
                        self.iso.heap.structs.get(r)
                    };
                    t.iter().flat_map(|(k, v)| [k, v]).collect()
                };
                self.constructor(&pairs, dst, if table { 4 } else { 3 })?;
            }
            Value::Buffer(_) => {
                self.load_const(form, dst);
                self.f().emit(Op::Convert(dst, dst, 5));
            }
            _ => self.load_const(form, dst),
        }
        if tail {
            self.f().emit(Op::Ret(dst));
        }
        Ok(())
    }

    /// Loads a constant value into `dst`.
    pub fn load_const(&mut self, v: Value, dst: u16) {
        let op = match v {
            Value::Nil => Op::Nil(dst),
            Value::Bool(b) => Op::Bool(dst, b),
            Value::Num(n)
                if n.fract() == 0.0 && n.abs() < 1e9 && !(n == 0.0 && n.is_sign_negative()) =>
            {
                Op::Int(dst, n as i32)
            }
            _ => {
                let k = self.f().constant(v);
                Op::Const(dst, k)
            }
        };
        self.f().emit(op);
    }

    /// Compiles `form` into some register: a local's own register when it is
    /// one, else a new temporary.
    pub fn expr_any(&mut self, form: Value) -> CResult<u16> {
        if let Value::Symbol(s) = form {
            if let Some(Resolved::Local(r, _)) = self.resolve(s) {
                return Ok(r);
            }
        }
        let t = self.f().alloc();
        self.compile(form, t, false)?;
        Ok(t)
    }

    /// Compiles `form` for its effects only.
    pub fn statement(&mut self, form: Value) -> CResult<()> {
        let mark = self.f().free;
        let t = self.f().alloc();
        self.pending_effect = true;
        self.compile(form, t, false)?;
        let bound = self
            .fns
            .last()
            .is_some_and(|f| f.scopes.iter().any(|s| s.locals.iter().any(|l| l.reg == t)));
        if !bound {
            self.f().drop_dead_move(t);
        }
        self.reset(mark);
        Ok(())
    }

    /// Releases temporaries down to `mark`, keeping every bound local.
    pub fn reset(&mut self, mark: u16) {
        let floor = self.scope_floor();
        self.f().free = mark.max(floor);
    }

    /// Lowest register a temporary reset may go back to (locals stay).
    pub fn scope_floor(&self) -> u16 {
        let f = self.fns.last().expect("fn");
        f.scopes
            .iter()
            .flat_map(|s| s.locals.iter().map(|l| l.reg + 1))
            .max()
            .unwrap_or(0)
            .max(f.scopes.last().map_or(0, |s| s.base))
    }

    fn symbol(&mut self, s: Sym, dst: u16) -> CResult<()> {
        match self.resolve(s) {
            Some(Resolved::Local(r, _)) => {
                if r != dst {
                    self.f().emit(Op::Move(dst, r));
                }
            }
            Some(Resolved::Capture(i, false)) => {
                self.f().emit(Op::Capture(dst, i));
            }
            Some(Resolved::Capture(i, true)) => {
                self.f().emit(Op::UpGet(dst, i));
            }
            Some(Resolved::SelfFn) => {
                self.f().emit(Op::SelfFn(dst));
            }
            Some(Resolved::Const(v)) => self.load_const(v, dst),
            Some(Resolved::Ref(arr)) => {
                let k = self.f().constant(arr);
                self.f().emit(Op::RefGet(dst, k));
            }
            Some(Resolved::Macro(m)) => self.load_const(m, dst),
            None => return self.err(format!("unknown symbol {}", self.name(s))),
        }
        Ok(())
    }

    /// Resolves a symbol in the current function, adding captures as needed.
    pub fn resolve(&mut self, s: Sym) -> Option<Resolved> {
        let fi = self.fns.len() - 1;
        self.resolve_in(fi, s)
    }

    fn resolve_in(&mut self, fi: usize, s: Sym) -> Option<Resolved> {
        if let Some((_, l)) = self.fns[fi].find_local(s) {
            return Some(Resolved::Local(l.reg, l.kind));
        }
        if self.fns[fi].self_sym == Some(s) {
            return Some(Resolved::SelfFn);
        }
        if let Some(i) = self.fns[fi].capture_names.iter().position(|c| c.sym == s) {
            return Some(Resolved::Capture(
                i as u16,
                self.fns[fi].capture_names[i].upval,
            ));
        }
        if fi == 0 {
            return self.resolve_global(s);
        }
        let outer = self.resolve_in(fi - 1, s)?;
        Some(match outer {
            Resolved::Local(r, LocalKind::Def) => Resolved::Capture(
                self.fns[fi].add_capture(s, CaptureSrc::Reg(r), false),
                false,
            ),
            Resolved::Local(r, LocalKind::Var) => {
                let (si, _) = self.fns[fi - 1].find_local(s).expect("local just found");
                self.fns[fi - 1].scopes[si].captured = true;
                self.fns[fi - 1].proto.has_upvals = true;
                Resolved::Capture(
                    self.fns[fi].add_capture(s, CaptureSrc::RegUpval(r), true),
                    true,
                )
            }
            Resolved::Capture(i, up) => {
                Resolved::Capture(self.fns[fi].add_capture(s, CaptureSrc::Capture(i), up), up)
            }
            Resolved::SelfFn => Resolved::Capture(
                self.fns[fi].add_capture(s, CaptureSrc::SelfFn, false),
                false,
            ),
            other => other,
        })
    }

    fn resolve_global(&mut self, s: Sym) -> Option<Resolved> {
        let entry = self.iso.env_lookup(self.env, Value::Symbol(s))?;
        let heap = &mut self.iso.heap;
        let k_macro = heap.keyword("macro");
        let k_ref = heap.keyword("ref");
        let k_value = heap.keyword("value");
        let get = |iso: &Isolate, k: Value| iso.get_plain(entry, k);
        if get(self.iso, k_macro).truthy() {
            return Some(Resolved::Macro(get(self.iso, k_value)));
        }
        let r = get(self.iso, k_ref);
        if matches!(r, Value::Array(_)) {
            return Some(Resolved::Ref(r));
        }
        Some(Resolved::Const(get(self.iso, k_value)))
    }

    /// True if `s` is bound as a local or capture anywhere up the function chain.
    fn is_lexical(&self, s: Sym) -> bool {
        self.fns.iter().any(|f| {
            f.find_local(s).is_some()
                || f.self_sym == Some(s)
                || f.capture_names.iter().any(|c| c.sym == s)
        })
    }

    /// The seed's method sugar: `(obj:m args...)` is `(:m obj args...)`
    /// when the whole symbol `obj:m` is unbound and `obj` is bound (so Janet
    /// symbols that contain `:` keep their meaning). Returns the receiver
    /// symbol and the method keyword.
    fn method_sugar(&mut self, s: Sym) -> Option<(Value, Value)> {
        let name = self.iso.heap.syms.name(s).to_vec();
        let colon = name.iter().position(|&b| b == b':')?;
        if colon == 0 || colon + 1 == name.len() || self.resolve(s).is_some() {
            return None;
        }
        let obj = self.iso.heap.syms.intern(&name[..colon]);
        self.resolve(obj)?;
        let method = std::str::from_utf8(&name[colon + 1..]).ok()?;
        Some((Value::Symbol(obj), self.iso.heap.keyword(method)))
    }

    fn call_form(&mut self, items: &[Value], dst: u16, tail: bool) -> CResult<()> {
        let head = items[0];
        if let Value::Symbol(s) = head {
            if let Some((obj, method)) = self.method_sugar(s) {
                let mut call = vec![method, obj];
                call.extend_from_slice(&items[1..]);
                return self.call(&call, dst, tail);
            }
        }
        if let Value::Symbol(s) = head {
            if !self.is_lexical(s) {
                let name = self.iso.heap.syms.name(s).to_vec();
                if let Some(r) = self.special(&name, items, dst, tail) {
                    return r;
                }
                match self.resolve_global(s) {
                    Some(Resolved::Macro(m)) => {
                        let form = self.expand(m, &items[1..])?;
                        return self.compile_result(form, dst, tail);
                    }
                    Some(Resolved::Const(Value::Native(i))) => {
                        if let Some(ins) = self.iso.natives[i as usize].intrinsic {
                            if self.intrinsic(ins, &items[1..], dst)? {
                                if tail {
                                    self.f().emit(Op::Ret(dst));
                                }
                                return Ok(());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Value::Native(i) = head {
            if let Some(ins) = self.iso.natives[i as usize].intrinsic {
                if self.intrinsic(ins, &items[1..], dst)? {
                    if tail {
                        self.f().emit(Op::Ret(dst));
                    }
                    return Ok(());
                }
            }
        }
        self.call(items, dst, tail)
    }

    /// Runs macro `m` on `args` and returns its expansion.
    pub fn expand(&mut self, m: Value, args: &[Value]) -> CResult<Value> {
        match self.iso.call(m, args) {
            Ok(v) => Ok(v),
            Err(e) => {
                let msg = self.iso.describe_error(e);
                let mut err = self.err::<()>(format!("(macro) {}", msg)).unwrap_err();
                err.from_macro = true;
                Err(err)
            }
        }
    }

    /// True if `v` is `(splice x)`.
    pub fn is_splice(&self, v: Value) -> Option<Value> {
        if let Value::Tuple(r) = v {
            let t = self.iso.heap.tuples.get(r);
            if t.items.len() == 2 && !t.bracket {
                if let Value::Symbol(s) = t.items[0] {
                    if self.iso.heap.syms.name(s) == b"splice" {
                        return Some(t.items[1]);
                    }
                }
            }
        }
        None
    }

    fn call(&mut self, items: &[Value], dst: u16, tail: bool) -> CResult<()> {
        let has_splice = items[1..].iter().any(|v| self.is_splice(*v).is_some());
        let mark = self.f().free;
        if has_splice {
            let base = self.f().alloc_n(2);
            self.compile(items[0], base, false)?;
            self.build_array(&items[1..], base + 1)?;
            self.f().emit(if tail {
                Op::TailCallSplat(base)
            } else {
                Op::CallSplat(base)
            });
            if tail {
                // Reached only when the callee was a native: return its result.
                self.f().emit(Op::Ret(base));
            } else if base != dst {
                self.f().emit(Op::Move(dst, base));
            }
            self.reset(mark);
            return Ok(());
        }
        let argc = items.len() - 1;
        if argc > MAX_CALL_ARGS {
            return self.err("too many arguments in one call (splice an array instead)");
        }
        // A fresh temporary destination can host the call itself, so the
        // result needs no move.
        let base = if !tail && self.f().free == dst + 1 && dst >= self.scope_floor() {
            self.f().alloc_n(argc as u16);
            dst
        } else {
            self.f().alloc_n(1 + argc as u16)
        };
        let self_call = !tail && self.is_exact_self_call(items[0], argc);
        for (i, v) in items.iter().enumerate().skip(self_call as usize) {
            self.compile(*v, base + i as u16, false)?;
        }
        self.f().emit(if tail {
            Op::TailCall(base, argc as u16)
        } else if self_call {
            Op::CallSelf(base, argc as u16)
        } else {
            Op::Call(base, argc as u16)
        });
        if tail {
            // Reached only when the callee was a native: return its result.
            self.f().emit(Op::Ret(base));
        } else if base != dst {
            self.f().emit(Op::Move(dst, base));
        }
        self.reset(mark);
        Ok(())
    }

    /// True if `head` names the function being compiled (its own `fn` name)
    /// and `argc` is exactly its arity with no optional or rest parameters.
    fn is_exact_self_call(&mut self, head: Value, argc: usize) -> bool {
        let Value::Symbol(s) = head else { return false };
        let f = self.fns.last().expect("fn");
        // As `resolve` decides: a local of that name shadows the function.
        if f.self_sym != Some(s) || f.find_local(s).is_some() {
            return false;
        }
        !f.proto.vararg && f.proto.nopt == 0 && f.proto.nparams as usize == argc
    }

    /// Builds a fresh array in `arr` from forms that may contain `(splice x)`.
    pub fn build_array(&mut self, forms: &[Value], arr: u16) -> CResult<()> {
        self.f().emit(Op::MkArray(arr, arr, 0));
        for v in forms {
            let mark = self.f().free;
            if let Some(inner) = self.is_splice(*v) {
                let t = self.expr_any(inner)?;
                self.f().emit(Op::PushAll(arr, t));
            } else {
                let t = self.expr_any(*v)?;
                self.f().emit(Op::Push(arr, t));
            }
            self.reset(mark);
        }
        Ok(())
    }

    /// Builds a data structure: kind 1 bracket tuple, 2 array, 3 struct, 4 table.
    fn constructor(&mut self, items: &[Value], dst: u16, kind: u16) -> CResult<()> {
        if items.iter().any(|v| self.is_splice(*v).is_some()) {
            let mark = self.f().free;
            let arr = self.f().alloc();
            self.build_array(items, arr)?;
            let conv = match kind {
                1 => 1,
                2 => 6,
                3 => 2,
                _ => 3,
            };
            self.f().emit(Op::Convert(dst, arr, conv));
            self.reset(mark);
            return Ok(());
        }
        let mark = self.f().free;
        let n = items.len() as u16;
        let start = self.f().alloc_n(n);
        for (i, v) in items.iter().enumerate() {
            self.compile(*v, start + i as u16, false)?;
        }
        self.f().emit(match kind {
            1 => Op::MkBracket(dst, start, n),
            2 => Op::MkArray(dst, start, n),
            3 => Op::MkStruct(dst, start, n),
            _ => Op::MkTable(dst, start, n),
        });
        self.reset(mark);
        Ok(())
    }

    /// If `cond` is a two-argument comparison intrinsic, compiles its operands
    /// and returns a jump taken when the comparison is `when` (unpatched).
    pub fn fused_jump(&mut self, cond: Value, when: bool) -> CResult<Option<usize>> {
        let Value::Tuple(r) = cond else {
            return Ok(None);
        };
        let items = self.tuple_items(r);
        if items.len() != 3 || self.iso.heap.tuples.get(r).bracket {
            return Ok(None);
        }
        let i = match items[0] {
            Value::Native(i) => i,
            Value::Symbol(s) if !self.is_lexical(s) => match self.resolve_global(s) {
                Some(Resolved::Const(Value::Native(i))) => i,
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let Some(ins) = self.iso.natives[i as usize].intrinsic else {
            return Ok(None);
        };
        if !matches!(
            ins,
            Intrinsic::Lt
                | Intrinsic::Le
                | Intrinsic::Gt
                | Intrinsic::Ge
                | Intrinsic::Eq
                | Intrinsic::Neq
        ) || items[1..].iter().any(|v| self.is_splice(*v).is_some())
        {
            return Ok(None);
        }
        let small = |v: Value| match v {
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 30000.0 => Some(n as i16),
            _ => None,
        };
        // Comparison with a small integer: one instruction, no constant load.
        let kform = match (small(items[1]), small(items[2])) {
            (_, Some(k)) => Some((items[1], k, ins)),
            (Some(k), None) => Some((
                items[2],
                k,
                match ins {
                    Intrinsic::Lt => Intrinsic::Gt,
                    Intrinsic::Le => Intrinsic::Ge,
                    Intrinsic::Gt => Intrinsic::Lt,
                    Intrinsic::Ge => Intrinsic::Le,
                    other => other,
                },
            )),
            _ => None,
        };
        if let Some((x, k, ins)) = kform {
            let a = self.expr_any(x)?;
            let op = match (ins, when) {
                (Intrinsic::Lt, true) => Op::JmpLtK(a, k, 0),
                (Intrinsic::Lt, false) => Op::JmpNotLtK(a, k, 0),
                (Intrinsic::Le, true) => Op::JmpLeK(a, k, 0),
                (Intrinsic::Le, false) => Op::JmpNotLeK(a, k, 0),
                (Intrinsic::Gt, true) => Op::JmpGtK(a, k, 0),
                (Intrinsic::Gt, false) => Op::JmpNotGtK(a, k, 0),
                (Intrinsic::Ge, true) => Op::JmpGeK(a, k, 0),
                (Intrinsic::Ge, false) => Op::JmpNotGeK(a, k, 0),
                (Intrinsic::Eq, true) | (Intrinsic::Neq, false) => Op::JmpEqK(a, k, 0),
                _ => Op::JmpNotEqK(a, k, 0),
            };
            return Ok(Some(self.f().emit(op)));
        }
        let [a, b] = self.operands(&items[1..])?[..] else {
            unreachable!("two operands")
        };
        let (a, b) = if matches!(ins, Intrinsic::Gt | Intrinsic::Ge) {
            (b, a)
        } else {
            (a, b)
        };
        let op = match (ins, when) {
            (Intrinsic::Lt | Intrinsic::Gt, true) => Op::JmpLt(a, b, 0),
            (Intrinsic::Le | Intrinsic::Ge, true) => Op::JmpLe(a, b, 0),
            (Intrinsic::Eq, true) | (Intrinsic::Neq, false) => Op::JmpEq(a, b, 0),
            (Intrinsic::Lt | Intrinsic::Gt, false) => Op::JmpNotLt(a, b, 0),
            (Intrinsic::Le | Intrinsic::Ge, false) => Op::JmpNotLe(a, b, 0),
            _ => Op::JmpNotEq(a, b, 0),
        };
        Ok(Some(self.f().emit(op)))
    }
}
