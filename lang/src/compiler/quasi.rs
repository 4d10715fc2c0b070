//! `quasiquote`: builds the quoted structure at run time, evaluating
//! `(unquote x)` and splicing `(unquote (splice x))`, with nesting levels.
//!
//! Invariant: at level 1 an unquote is compiled as ordinary code; deeper
//! levels rebuild the unquote form itself with its body quasi-quoted one
//! level lower.

use super::{CResult, Compiler};
use crate::bytecode::Op;
use crate::value::Value;

impl<'i> Compiler<'i> {
    /// Compiles `(quasiquote form)` at nesting `level` into `dst`.
    pub fn quasi(&mut self, form: Value, dst: u16, level: u32) -> CResult<()> {
        if level > 64 {
            return self.err("quasiquote nested too deeply");
        }
        self.enter_nesting()?;
        let r = self.quasi_inner(form, dst, level);
        self.leave_nesting();
        r
    }

    fn quasi_inner(&mut self, form: Value, dst: u16, level: u32) -> CResult<()> {
        match form {
            Value::Tuple(r) => {
                let (items, bracket) = {
                    let t = self.iso.heap.tuples.get(r);
                    (t.items.to_vec(), t.bracket)
                };
                if items.len() == 2 && !bracket {
                    if self.is_sym(items[0], b"unquote") {
                        if level == 1 {
                            return self.compile(items[1], dst, false);
                        }
                        return self.quasi_seq(&items, dst, level - 1, 0);
                    }
                    if self.is_sym(items[0], b"quasiquote") {
                        return self.quasi_seq(&items, dst, level + 1, 0);
                    }
                }
                self.quasi_seq(&items, dst, level, if bracket { 1 } else { 0 })
            }
            Value::Array(r) => {
                let items = self.iso.heap.arrays.get(r).clone();
                self.quasi_seq(&items, dst, level, 6)
            }
            Value::Struct(r) => {
                let items: Vec<Value> = self
                    .iso
                    .heap
                    .structs
                    .get(r)
                    .iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect();
                self.quasi_seq(&items, dst, level, 2)
            }
            Value::Table(r) => {
                let items: Vec<Value> = self
                    .iso
                    .heap
                    .tables
                    .get(r)
                    .iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect();
                self.quasi_seq(&items, dst, level, 3)
            }
            _ => {
                self.load_const(form, dst);
                Ok(())
            }
        }
    }

    /// Builds a sequence of quasi-quoted items; `kind` as for `Op::Convert`.
    fn quasi_seq(&mut self, items: &[Value], dst: u16, level: u32, kind: u16) -> CResult<()> {
        let mark = self.f().free;
        let arr = self.f().alloc();
        self.f().emit(Op::MkArray(arr, arr, 0));
        for v in items {
            let m = self.f().free;
            let t = self.f().alloc();
            if level == 1 {
                if let Some(inner) = self.unquote_splice(*v) {
                    self.compile(inner, t, false)?;
                    self.f().emit(Op::PushAll(arr, t));
                    self.reset(m);
                    continue;
                }
            }
            self.quasi(*v, t, level)?;
            self.f().emit(Op::Push(arr, t));
            self.reset(m);
        }
        self.f().emit(Op::Convert(dst, arr, kind));
        self.reset(mark);
        Ok(())
    }

    fn unquote_splice(&self, v: Value) -> Option<Value> {
        let Value::Tuple(r) = v else { return None };
        let t = self.iso.heap.tuples.get(r);
        if t.items.len() == 2 && self.is_sym(t.items[0], b"unquote") {
            return self.is_splice(t.items[1]);
        }
        None
    }
}
