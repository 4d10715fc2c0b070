//! The printer: values to text, as `print` (strings raw) and as `describe`
//! (readable: strings quoted, keywords with their colon).
//!
//! Invariant: for nil, booleans, numbers, strings, buffers, keywords,
//! symbols, tuples, arrays, structs and tables, the readable form reads back
//! as an equal (`deep=`) value. Other kinds print as `<kind name>`
//! (abstract types with a `text` hook, like int/s64, as `<kind text>`, and
//! as the bare text under `print`).

use crate::bytecode::Proto;
use crate::heap::Heap;
use crate::isolate::{Isolate, NativeDef};
use crate::value::Value;
use std::fmt::Write;

const MAX_DEPTH: usize = 64;

struct Printer<'a> {
    heap: &'a Heap,
    protos: &'a [Proto],
    natives: &'a [NativeDef],
    out: String,
}

/// Formats a number as Janet does: integers without a fraction.
pub fn number(n: f64) -> String {
    if n.is_nan() {
        "nan".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if n.fract() == 0.0 && n.abs() < 1e17 {
        if n == 0.0 && n.is_sign_negative() {
            "-0".into()
        } else {
            format!("{}", n as i64)
        }
    } else if n.abs() >= 1e17 || n.abs() < 1e-5 {
        let s = format!("{:e}", n);
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{}e+{}", m, e),
            _ => s,
        }
    } else {
        format!("{}", n)
    }
}

/// Writes `b` as a quoted string literal with escapes.
pub fn quote_bytes(out: &mut String, b: &[u8]) {
    out.push('"');
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\0' => out.push_str("\\0"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02X}", c as u32);
                }
                c => out.push(c),
            }
        }
        for &x in chunk.invalid() {
            let _ = write!(out, "\\x{:02X}", x);
        }
    }
    out.push('"');
}

impl<'a> Printer<'a> {
    fn seq(&mut self, open: &str, items: &[Value], close: &str, depth: usize) {
        self.out.push_str(open);
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            self.value(*v, true, depth + 1);
        }
        self.out.push_str(close);
    }

    fn value(&mut self, v: Value, readable: bool, depth: usize) {
        if depth > MAX_DEPTH {
            self.out.push_str("...");
            return;
        }
        let h = self.heap;
        match v {
            Value::Nil => self.out.push_str("nil"),
            Value::Bool(b) => self.out.push_str(if b { "true" } else { "false" }),
            Value::Num(n) => self.out.push_str(&number(n)),
            Value::Keyword(s) => {
                if readable {
                    self.out.push(':');
                }
                self.out.push_str(&h.syms.text(s));
            }
            Value::Symbol(s) => self.out.push_str(&h.syms.text(s)),
            Value::Str(r) => {
                let b = &h.strings.get(r).bytes;
                if readable {
                    quote_bytes(&mut self.out, b);
                } else {
                    self.out.push_str(&String::from_utf8_lossy(b));
                }
            }
            Value::Buffer(r) => {
                let b = h.buffers.get(r);
                if readable {
                    self.out.push('@');
                    quote_bytes(&mut self.out, b);
                } else {
                    self.out.push_str(&String::from_utf8_lossy(b));
                }
            }
            Value::Tuple(r) => {
                let t = h.tuples.get(r);
                if t.bracket {
                    self.seq("[", &t.items, "]", depth);
                } else {
                    self.seq("(", &t.items, ")", depth);
                }
            }
            Value::Array(r) => self.seq("@[", h.arrays.get(r), "]", depth),
            Value::Struct(r) | Value::Table(r) => {
                let t = if matches!(v, Value::Struct(_)) {
                    h.structs.get(r)
                } else {
                    h.tables.get(r)
                };
                let mut pairs: Vec<(Value, Value)> = t.iter().collect();
                pairs.sort_by(|a, b| h.compare(a.0, b.0));
                self.out.push_str(if matches!(v, Value::Struct(_)) {
                    "{"
                } else {
                    "@{"
                });
                for (i, (k, val)) in pairs.iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.value(*k, true, depth + 1);
                    self.out.push(' ');
                    self.value(*val, true, depth + 1);
                }
                self.out.push('}');
            }
            Value::Closure(r) => {
                let pid = h.closures.get(r).proto as usize;
                match self.protos.get(pid).and_then(|p| p.name.as_deref()) {
                    Some(n) => {
                        let _ = write!(self.out, "<function {}>", n);
                    }
                    None => {
                        let _ = write!(self.out, "<function 0x{:06X}>", r.0);
                    }
                }
            }
            Value::Native(i) => match self.natives.get(i as usize) {
                Some(n) => {
                    let _ = write!(self.out, "<cfunction {}>", n.name);
                }
                None => self.out.push_str("<cfunction>"),
            },
            Value::Fiber(r) => {
                let _ = write!(self.out, "<fiber 0x{:06X}>", r.0);
            }
            Value::Abstract(r) => {
                let obj = h.abstracts.get(r).as_ref();
                let name = obj.map_or("abstract", |a| a.type_name());
                match obj.and_then(|a| a.text()) {
                    Some(t) if readable => {
                        let _ = write!(self.out, "<{} {}>", name, t);
                    }
                    Some(t) => self.out.push_str(&t),
                    None => {
                        let _ = write!(self.out, "<{} 0x{:06X}>", name, r.0);
                    }
                }
            }
            Value::Upval(_) => self.out.push_str("<upvalue>"),
        }
    }
}

/// Readable text of `v`.
pub fn describe(iso: &Isolate, v: Value) -> String {
    let mut p = Printer {
        heap: &iso.heap,
        protos: &iso.protos,
        natives: &iso.natives,
        out: String::new(),
    };
    p.value(v, true, 0);
    p.out
}

/// Text of `v` as `print` shows it (strings raw).
pub fn to_text(iso: &Isolate, v: Value) -> String {
    let mut p = Printer {
        heap: &iso.heap,
        protos: &iso.protos,
        natives: &iso.natives,
        out: String::new(),
    };
    p.value(v, false, 0);
    p.out
}

/// Readable text using only the heap (function names unknown).
pub fn describe_heap(heap: &Heap, v: Value) -> String {
    let mut p = Printer {
        heap,
        protos: &[],
        natives: &[],
        out: String::new(),
    };
    p.value(v, true, 0);
    p.out
}
