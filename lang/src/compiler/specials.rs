//! The special forms: `def var fn do upscope if while break set quote
//! quasiquote unquote splice`.
//!
//! Invariant: each special leaves its value in `dst`, or returns it when
//! `tail` is set (so `if`/`do` bodies keep proper tail calls).

use super::scope::{FnState, LocalKind, LoopCtx};
use super::{CResult, Compiler, Resolved};
use crate::bytecode::Op;
use crate::value::Value;

impl<'i> Compiler<'i> {
    /// Compiles a special form if `name` is one.
    pub fn special(
        &mut self,
        name: &[u8],
        items: &[Value],
        dst: u16,
        tail: bool,
    ) -> Option<CResult<()>> {
        let args = &items[1..];
        let r = match name {
            b"def" => self.def_var(args, dst, LocalKind::Def),
            b"var" => self.def_var(args, dst, LocalKind::Var),
            b"fn" => self.fn_form(args, dst),
            b"do" => return Some(self.do_form(args, dst, tail, true)),
            b"upscope" => return Some(self.do_form(args, dst, tail, false)),
            b"if" => return Some(self.if_form(args, dst, tail)),
            b"while" => self.while_form(args, dst),
            b"break" => return Some(self.break_form(args, dst)),
            b"set" => self.set_form(args, dst),
            b"quote" => {
                if args.len() != 1 {
                    return Some(self.err("quote expects 1 argument"));
                }
                self.load_const(args[0], dst);
                Ok(())
            }
            b"quasiquote" => {
                if args.len() != 1 {
                    return Some(self.err("quasiquote expects 1 argument"));
                }
                self.quasi(args[0], dst, 1)
            }
            b"unquote" => Err(self
                .err::<()>("unquote used outside of quasiquote")
                .unwrap_err()),
            b"splice" => Err(self
                .err::<()>("splice can only be used in function parameters and data constructors")
                .unwrap_err()),
            _ => return None,
        };
        Some(r.map(|()| {
            if tail {
                self.f().emit(Op::Ret(dst));
            }
        }))
    }

    /// True when a `def` here defines a global.
    pub fn at_top_level(&self) -> bool {
        self.fns.len() == 1 && self.fns[0].top_level
    }

    fn def_var(&mut self, args: &[Value], dst: u16, kind: LocalKind) -> CResult<()> {
        if args.len() < 2 {
            return self.err(format!(
                "expected at least 2 arguments to {}",
                if kind == LocalKind::Def { "def" } else { "var" }
            ));
        }
        let target = args[0];
        let value = args[args.len() - 1];
        let meta = &args[1..args.len() - 1];
        let reuse = self.f().free == dst + 1 && dst >= self.scope_floor() && !self.at_top_level();
        let r = if reuse { dst } else { self.f().alloc() };
        self.compile(value, r, false)?;
        self.bind_pattern(target, r, kind, meta)?;
        if r != dst {
            self.f().emit(Op::Move(dst, r));
        }
        Ok(())
    }

    /// `(def x v)`, where `v` is a hidden loop counter (a gensym `var` of
    /// this function that nothing captured and that the forms after the def
    /// never mention), binds `x` to v's own register instead of copying it:
    /// v cannot change while x is in scope, so x still reads this
    /// iteration's value — what `for`/`loop` bind each iteration.
    fn alias_counter_def(&mut self, form: Value, rest: &[Value]) -> bool {
        if self.at_top_level() {
            return false;
        }
        let Value::Tuple(r) = form else { return false };
        let t = self.iso.heap.tuples.get(r);
        let (Value::Symbol(head), Value::Symbol(x), Value::Symbol(v)) = (
            t.items.first().copied().unwrap_or_default(),
            t.items.get(1).copied().unwrap_or_default(),
            t.items.get(2).copied().unwrap_or_default(),
        ) else {
            return false;
        };
        if t.bracket || t.items.len() != 3 || self.is_lexical(head) {
            return false;
        }
        let name = self.iso.heap.syms.name(head);
        let counter = self.iso.heap.syms.name(v);
        let is_gensym =
            counter.len() > 1 && counter[0] == b'_' && counter[1..].iter().all(u8::is_ascii_digit);
        if name != b"def" || !is_gensym {
            return false;
        }
        let f = self.fns.last().expect("fn");
        let Some((si, local)) = f.find_local(v) else {
            return false;
        };
        if local.kind != LocalKind::Var || f.scopes[si].captured {
            return false;
        }
        if rest.iter().any(|form| self.mentions(*form, v, 0)) {
            return false;
        }
        self.f().bind(x, local.reg, LocalKind::Def);
        true
    }

    /// True if `form` contains the symbol `s` anywhere (or is too deep to tell).
    fn mentions(&self, form: Value, s: crate::value::Sym, depth: usize) -> bool {
        if depth > super::MAX_DEPTH {
            return true;
        }
        let heap = &self.iso.heap;
        match form {
            Value::Symbol(x) => x == s,
            Value::Tuple(_) | Value::Array(_) => heap
                .items(form)
                .is_some_and(|items| items.iter().any(|v| self.mentions(*v, s, depth + 1))),
            Value::Struct(r) => heap
                .structs
                .get(r)
                .iter()
                .any(|(k, v)| self.mentions(k, s, depth + 1) || self.mentions(v, s, depth + 1)),
            Value::Table(r) => heap
                .tables
                .get(r)
                .iter()
                .any(|(k, v)| self.mentions(k, s, depth + 1) || self.mentions(v, s, depth + 1)),
            _ => false,
        }
    }

    /// Compiles a body: all forms but the last for effect, the last into `dst`.
    pub fn body(&mut self, forms: &[Value], dst: u16, tail: bool) -> CResult<()> {
        match forms.split_last() {
            None => {
                self.f().emit(Op::Nil(dst));
                if tail {
                    self.f().emit(Op::Ret(dst));
                }
                Ok(())
            }
            Some((last, init)) => {
                let mut i = 0;
                while i < init.len() {
                    if !self.alias_counter_def(init[i], &forms[i + 1..]) {
                        self.statement(init[i])?;
                    }
                    i += 1;
                }
                self.compile_result(*last, dst, tail)
            }
        }
    }

    fn do_form(&mut self, args: &[Value], dst: u16, tail: bool, scoped: bool) -> CResult<()> {
        if scoped {
            self.f().push_scope();
        }
        self.body(args, dst, tail)?;
        if scoped {
            self.f().pop_scope();
        }
        Ok(())
    }

    fn if_form(&mut self, args: &[Value], dst: u16, tail: bool) -> CResult<()> {
        if args.len() < 2 || args.len() > 3 {
            return self.err("if expects 2 or 3 arguments");
        }
        let effect = self.for_effect;
        let mark = self.f().free;
        let jelse = match self.fused_jump(args[0], false)? {
            Some(j) => j,
            None => {
                let c = self.expr_any(args[0])?;
                self.f().emit(Op::JmpIfNot(c, 0))
            }
        };
        self.reset(mark);
        self.compile_result(args[1], dst, tail)?;
        // For effect, a missing else branch has nothing to do.
        let jend = if tail || (effect && args.len() == 2) {
            None
        } else {
            Some(self.f().emit(Op::Jmp(0)))
        };
        self.f().patch_to_here(jelse);
        if args.len() == 3 {
            self.compile_result(args[2], dst, tail)?;
        } else if !effect {
            self.f().emit(Op::Nil(dst));
            if tail {
                self.f().emit(Op::Ret(dst));
            }
        }
        if let Some(j) = jend {
            self.f().patch_to_here(j);
        }
        Ok(())
    }

    fn while_form(&mut self, args: &[Value], dst: u16) -> CResult<()> {
        if args.is_empty() {
            return self.err("while expects at least 1 argument");
        }
        let jcond = self.f().emit(Op::Jmp(0));
        let body_start = self.f().here();
        let depth = self.f().scopes.len();
        self.f().loops.push(LoopCtx {
            breaks: Vec::new(),
            scope_depth: depth,
        });
        self.f().push_scope();
        let base = self.f().free;
        for v in &args[1..] {
            self.statement(*v)?;
        }
        let captured = self.f().scopes.last().is_some_and(|s| s.captured);
        self.f().pop_scope();
        let labels_before = self.f().label_max;
        self.f().patch_to_here(jcond);
        let mark = self.f().free;
        let cond_start = self.f().here();
        match self.fused_jump(args[0], true)? {
            Some(j) => {
                self.f().patch(j, body_start);
                if j == cond_start && !captured && labels_before < j {
                    self.fuse_counted_loop(jcond, j, body_start);
                }
            }
            None => {
                let c = self.expr_any(args[0])?;
                let j = self.f().emit(Op::JmpIf(c, 0));
                self.f().patch(j, body_start);
            }
        }
        self.reset(mark);
        let lp = self.f().loops.pop().unwrap_or_default();
        for b in lp.breaks {
            self.f().patch_to_here(b);
        }
        if captured {
            self.f().emit(Op::Close(base));
        }
        if !self.for_effect {
            self.f().emit(Op::Nil(dst));
        }
        Ok(())
    }

    /// Turns `AddK(i, i, 1); JmpLt(i, e, body)` at the end of a loop into one
    /// `IncJmpLt` (a `NumLoop` when the body is straight-line arithmetic),
    /// with the entry jump testing `i < e` itself.
    fn fuse_counted_loop(&mut self, jcond: usize, j: usize, body_start: usize) {
        let f = self.f();
        if j < 1 || j - 1 <= jcond {
            return;
        }
        let (Op::AddK(d, s, 1), Op::JmpLt(a, e, _)) = (f.proto.code[j - 1], f.proto.code[j]) else {
            return;
        };
        if d != s || d != a || e == a {
            return;
        }
        f.proto.code.pop();
        f.proto.positions.pop();
        let numeric = f.proto.code[body_start..j - 1]
            .iter()
            .all(|op| crate::vm::numloop::in_body(*op));
        f.proto.code[j - 1] = if numeric {
            Op::NumLoop(a, e, 0)
        } else {
            Op::IncJmpLt(a, e, 0)
        };
        f.patch(j - 1, body_start);
        f.proto.code[jcond] = Op::JmpNotLt(a, e, 0);
        let exit = f.here();
        f.patch(jcond, exit);
    }

    fn break_form(&mut self, args: &[Value], dst: u16) -> CResult<()> {
        if args.len() > 1 {
            return self.err("break expects at most 1 argument");
        }
        if self.f().loops.is_empty() {
            match args.first() {
                Some(v) => self.compile(*v, dst, true)?,
                None => {
                    self.f().emit(Op::RetNil);
                }
            }
            return Ok(());
        }
        if let Some(v) = args.first() {
            self.statement(*v)?;
        }
        let j = self.f().emit(Op::Jmp(0));
        self.f().loops.last_mut().expect("loop").breaks.push(j);
        Ok(())
    }

    fn set_form(&mut self, args: &[Value], dst: u16) -> CResult<()> {
        if args.len() != 2 {
            return self.err("set expects 2 arguments");
        }
        match args[0] {
            Value::Symbol(s) => match self.resolve(s) {
                Some(Resolved::Local(r, LocalKind::Var)) => {
                    let effect = self.for_effect;
                    self.compile(args[1], r, false)?;
                    if r != dst && !effect {
                        self.f().emit(Op::Move(dst, r));
                    }
                }
                Some(Resolved::Capture(i, true)) => {
                    self.compile(args[1], dst, false)?;
                    self.f().emit(Op::UpSet(i, dst));
                }
                Some(Resolved::Ref(arr)) => {
                    self.compile(args[1], dst, false)?;
                    let k = self.f().constant(arr);
                    self.f().emit(Op::RefSet(dst, k));
                }
                None => return self.err(format!("unknown symbol {}", self.name(s))),
                _ => return self.err(format!("cannot set constant {}", self.name(s))),
            },
            Value::Tuple(r) => {
                let items = self.tuple_items(r);
                if items.len() != 2 {
                    return self.err("expected (set (ds key) value)");
                }
                let mark = self.f().free;
                let [ds, key, val] = self.operands(&[items[0], items[1], args[1]])?[..] else {
                    unreachable!("three operands")
                };
                self.f().emit(Op::Put(ds, key, val));
                if val != dst {
                    self.f().emit(Op::Move(dst, val));
                }
                self.reset(mark);
            }
            _ => return self.err("expected symbol or (ds key) as the target of set"),
        }
        Ok(())
    }

    fn fn_form(&mut self, args: &[Value], dst: u16) -> CResult<()> {
        let mut i = 0;
        let mut name = None;
        let mut self_sym = None;
        match args.first() {
            Some(Value::Symbol(s)) => {
                name = Some(self.name(*s));
                self_sym = Some(*s);
                i = 1;
            }
            Some(Value::Keyword(s)) => {
                name = Some(self.name(*s));
                i = 1;
            }
            _ => {}
        }
        let params = match args.get(i) {
            Some(Value::Tuple(r)) => self.tuple_items(*r),
            _ => return self.err("expected parameter tuple for fn"),
        };
        let body = &args[i + 1..];
        let pos = self.f().pos;
        let mut fs = FnState {
            self_sym,
            pos,
            ..FnState::default()
        };
        fs.proto.name = name;
        fs.proto.source = self.source.clone();
        self.fns.push(fs);
        self.f().push_scope();
        let res = self.params(&params).and_then(|()| {
            let out = self.f().alloc();
            self.body(body, out, true)
        });
        let fs = self.fns.pop().expect("fn state");
        res?;
        if fs.too_many_registers {
            return self
                .err("function needs too many registers (locals, parameters and temporaries)");
        }
        let pid = self.iso.add_proto(fs.proto);
        self.f().emit(Op::Closure(dst, pid));
        Ok(())
    }
}
