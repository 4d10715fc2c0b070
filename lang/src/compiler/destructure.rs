//! Binding: symbols and destructuring patterns (tuples, arrays, structs,
//! tables, `&` rest) in `def`, `var` and parameter lists (`&opt`, `&`,
//! `&keys`, `&named`).
//!
//! Invariant: a pattern's value sits in a register the pattern owns; every
//! sub-pattern gets a fresh register, so bound locals never alias
//! temporaries. At top level, symbols become global entries in the env.

use super::scope::LocalKind;
use super::{CResult, Compiler};
use crate::bytecode::Op;
use crate::table::TableObj;
use crate::value::{Sym, Value};

impl<'i> Compiler<'i> {
    /// Binds `pattern` to the value in register `src`.
    pub fn bind_pattern(
        &mut self,
        pattern: Value,
        src: u16,
        kind: LocalKind,
        meta: &[Value],
    ) -> CResult<()> {
        match pattern {
            Value::Symbol(s) => self.bind_symbol(s, src, kind, meta),
            Value::Tuple(_) | Value::Array(_) => {
                let items = self
                    .iso
                    .heap
                    .items(pattern)
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default();
                let mut i = 0;
                while i < items.len() {
                    if self.is_sym(items[i], b"&") {
                        let Some(rest) = items.get(i + 1) else {
                            return self.err("expected a pattern after &");
                        };
                        let r = self.f().alloc();
                        self.f().emit(Op::SliceFrom(r, src, i as u16));
                        self.bind_pattern(*rest, r, kind, meta)?;
                        break;
                    }
                    let r = self.f().alloc();
                    self.f().emit(Op::GetIdx(r, src, i as u16));
                    self.bind_pattern(items[i], r, kind, meta)?;
                    i += 1;
                }
                Ok(())
            }
            Value::Struct(r) | Value::Table(r) => {
                let pairs: Vec<(Value, Value)> = if matches!(pattern, Value::Struct(_)) {
                    self.iso.heap.structs.get(r).iter().collect()
                } else {
                    self.iso.heap.tables.get(r).iter().collect()
                };
                for (k, p) in pairs {
                    let key = self.f().alloc();
                    self.load_const(k, key);
                    let v = self.f().alloc();
                    self.f().emit(Op::Get(v, src, key));
                    self.bind_pattern(p, v, kind, meta)?;
                }
                Ok(())
            }
            _ => self.err("unexpected binding pattern"),
        }
    }

    /// True if `v` is the symbol `name`.
    pub fn is_sym(&self, v: Value, name: &[u8]) -> bool {
        matches!(v, Value::Symbol(s) if self.iso.heap.syms.name(s) == name)
    }

    fn bind_symbol(&mut self, s: Sym, src: u16, kind: LocalKind, meta: &[Value]) -> CResult<()> {
        if !self.at_top_level() {
            // A fresh register per binding: copy if src is someone else's.
            let floor = self.scope_floor();
            let reg = if src + 1 >= floor && src + 1 == self.f().free {
                src
            } else {
                let r = self.f().alloc();
                self.f().emit(Op::Move(r, src));
                r
            };
            self.f().bind(s, reg, kind);
            return Ok(());
        }
        // Global: an entry table in the env, filled at run time.
        let heap = &mut self.iso.heap;
        let mut entry = TableObj::default();
        let k_doc = heap.keyword("doc");
        let k_source = heap.keyword("source-map");
        for m in meta {
            let (k, v) = match *m {
                Value::Keyword(_) => (*m, Value::Bool(true)),
                Value::Str(_) => (k_doc, *m),
                Value::Struct(r) => {
                    let pairs: Vec<_> = heap.structs.get(r).iter().collect();
                    for (k, v) in pairs {
                        let h = heap.hash(k);
                        entry.put(k, h, v, |x| heap.equals(x, k));
                    }
                    continue;
                }
                _ => continue,
            };
            let h = heap.hash(k);
            entry.put(k, h, v, |x| heap.equals(x, k));
        }
        let (line, col) = self.fns.last().map_or((0, 0), |f| f.pos);
        let src_str = heap.string(self.source.as_bytes());
        let sm = heap.tuple(vec![
            src_str,
            Value::Num(line as f64),
            Value::Num(col as f64),
        ]);
        let h = heap.hash(k_source);
        entry.put(k_source, h, sm, |x| x == k_source);
        if kind == LocalKind::Var {
            let arr = heap.array(vec![Value::Nil]);
            let k_ref = heap.keyword("ref");
            let h = heap.hash(k_ref);
            entry.put(k_ref, h, arr, |x| x == k_ref);
            let entry = self.iso.heap.table(entry);
            self.iso.env_put(self.env, Value::Symbol(s), entry);
            let k = self.f().constant(arr);
            self.f().emit(Op::RefSet(src, k));
        } else {
            let entry = self.iso.heap.table(entry);
            self.iso.env_put(self.env, Value::Symbol(s), entry);
            let k = self.f().constant(entry);
            self.f().emit(Op::DefGlobal(src, k));
            let reg = self.f().alloc();
            self.f().emit(Op::Move(reg, src));
            self.f().bind(s, reg, LocalKind::Def);
        }
        Ok(())
    }

    /// Compiles a parameter list into the current (new) function.
    pub fn params(&mut self, params: &[Value]) -> CResult<()> {
        if params.len() >= super::scope::MAX_REGISTERS as usize {
            return self
                .err("function needs too many registers (locals, parameters and temporaries)");
        }
        #[derive(PartialEq)]
        enum Mode {
            Req,
            Opt,
        }
        let mut mode = Mode::Req;
        let mut patterns: Vec<(u16, Value)> = Vec::new();
        let mut i = 0;
        let (mut nreq, mut nopt) = (0u16, 0u16);
        while i < params.len() {
            let p = params[i];
            if self.is_sym(p, b"&opt") {
                mode = Mode::Opt;
                i += 1;
                continue;
            }
            if self.is_sym(p, b"&") || self.is_sym(p, b"&keys") || self.is_sym(p, b"&named") {
                let r = self.f().alloc();
                self.f().proto.vararg = true;
                if self.is_sym(p, b"&") {
                    if let Some(rest) = params.get(i + 1) {
                        patterns.push((r, *rest));
                    }
                } else if self.is_sym(p, b"&keys") {
                    self.f().emit(Op::KeysStruct(r, r));
                    if let Some(rest) = params.get(i + 1) {
                        patterns.push((r, *rest));
                    }
                } else {
                    self.f().emit(Op::KeysStruct(r, r));
                    for name in &params[i + 1..] {
                        let Value::Symbol(s) = *name else {
                            return self.err("&named expects symbols");
                        };
                        let kw = Value::Keyword(s);
                        let key = self.f().alloc();
                        self.load_const(kw, key);
                        patterns.push((key, *name));
                        self.f().emit(Op::Get(key, r, key));
                    }
                }
                break;
            }
            let r = self.f().alloc();
            if mode == Mode::Req {
                nreq += 1;
            } else {
                nopt += 1;
            }
            patterns.push((r, p));
            i += 1;
        }
        self.f().proto.nparams = nreq;
        self.f().proto.nopt = nopt;
        for (r, p) in patterns {
            if let Value::Symbol(s) = p {
                self.f().bind(s, r, LocalKind::Def);
            } else {
                self.bind_pattern(p, r, LocalKind::Def, &[])?;
            }
        }
        Ok(())
    }
}
