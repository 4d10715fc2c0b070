//! 64-bit integers as abstract values: `int/s64`, `int/u64` (from a number
//! or a decimal/hex string, wrapping like Janet), `int/to-number`,
//! `int/to-string`, and how the two types compare, hash and print. Their
//! operator methods (`:+`, `:r+`, `:compare`...) are in `int64_ops`.
//!
//! Invariants: the bit pattern is kept in a `u64`; `signed` says how it is
//! read. Two integers of the same type are `=` (and hash alike) when their
//! bits are; an s64 and a u64 are never `=`, as in Janet, where they are
//! different abstract types. Every integer carries the shared method table.

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::objects::{mix, AbstractType};
use crate::value::Value;
use std::cmp::Ordering;

type R = Result<Value, Flow>;

/// Name of the hidden global that holds the method table.
const METHODS: &str = "int/-methods";

/// A `core/s64` or `core/u64` value.
#[derive(Debug, Clone, Copy)]
pub struct Int64 {
    pub bits: u64,
    pub signed: bool,
    /// The operator method table (shared by both types; a method reads
    /// its receiver's type).
    pub methods: Value,
}

impl AbstractType for Int64 {
    fn type_name(&self) -> &'static str {
        if self.signed {
            "core/s64"
        } else {
            "core/u64"
        }
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.methods);
    }
    fn methods(&self) -> Value {
        self.methods
    }
    fn compare(&self, other: &dyn AbstractType) -> Option<Ordering> {
        let any: &dyn std::any::Any = other;
        let o = any.downcast_ref::<Int64>()?;
        if o.signed != self.signed {
            return None;
        }
        Some(if self.signed {
            (self.bits as i64).cmp(&(o.bits as i64))
        } else {
            self.bits.cmp(&o.bits)
        })
    }
    fn content_hash(&self) -> Option<u64> {
        Some(mix(self.bits ^ if self.signed { 0x5364 } else { 0x5564 }))
    }
    fn text(&self) -> Option<String> {
        Some(if self.signed {
            (self.bits as i64).to_string()
        } else {
            self.bits.to_string()
        })
    }
}

/// The 64-bit integer behind `v`, if it is one.
pub fn get(iso: &Isolate, v: Value) -> Option<Int64> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get(r).as_ref()?;
    let any: &dyn std::any::Any = b.as_ref();
    any.downcast_ref::<Int64>().copied()
}

/// A new integer of `signed`'s type with `bits`, sharing `methods`.
pub fn make(iso: &mut Isolate, bits: u64, signed: bool, methods: Value) -> Value {
    let x = Int64 {
        bits,
        signed,
        methods,
    };
    Value::Abstract(iso.heap.abstracts.alloc(Some(Box::new(x))))
}

/// A new integer of `signed`'s type with `bits` and the shared method table
/// (what `int/s64` and `int/u64` make; `unmarshal` too).
pub fn new_int(iso: &mut Isolate, bits: u64, signed: bool) -> Value {
    let m = method_table(iso);
    make(iso, bits, signed, m)
}

fn method_table(iso: &mut Isolate) -> Value {
    let sym = iso.heap.symbol(METHODS);
    match iso.table_get(iso.env, sym) {
        Value::Table(e) => {
            let k = iso.heap.keyword("value");
            iso.table_get(e, k)
        }
        _ => Value::Nil,
    }
}

/// Reads `s` (decimal or `0x` hex, `_` separators, optional `-`) as bits;
/// a negative value wraps (so `"-1"` is all ones either way).
fn parse_bits(s: &str) -> Option<u64> {
    let t = s.replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t),
    };
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok()?,
        None => t.parse::<u64>().ok()?,
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Argument `i` as bits for a `signed` (or unsigned) operation: a 64-bit
/// integer of either type (its bits), an integral number within 2^53
/// (negative ones wrap), or an integer string. Errors name `who`.
pub fn operand(
    iso: &mut Isolate,
    a: &[Value],
    i: usize,
    signed: bool,
    who: &str,
) -> Result<u64, Flow> {
    let v = args::opt(a, i);
    if let Some(x) = get(iso, v) {
        return Ok(x.bits);
    }
    const SAFE: f64 = 9007199254740992.0;
    let kind = if signed { "s64" } else { "u64" };
    match v {
        // Negative numbers wrap for u64 too: `(int/u64 -1)` is all ones.
        Value::Num(n) if n.fract() == 0.0 && n.abs() <= SAFE => Ok((n as i64) as u64),
        Value::Str(_) | Value::Buffer(_) => {
            let s = String::from_utf8_lossy(iso.heap.bytes(v).unwrap_or_default()).into_owned();
            match parse_bits(&s) {
                Some(b) => Ok(b),
                None => Err(iso.err(format!("{}: cannot convert {:?} to {}", who, s, kind))),
            }
        }
        _ => {
            let d = crate::printer::describe(iso, v);
            Err(iso.err(format!("{}: bad {} operand, got {}", who, kind, d)))
        }
    }
}

fn s64(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    let bits = if a.is_empty() {
        0
    } else {
        operand(iso, a, 0, true, "int/s64")?
    };
    let m = method_table(iso);
    Ok(make(iso, bits, true, m))
}

fn u64_(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    let bits = if a.is_empty() {
        0
    } else {
        operand(iso, a, 0, false, "int/u64")?
    };
    let m = method_table(iso);
    Ok(make(iso, bits, false, m))
}

/// Argument 0 as a 64-bit integer (the receiver of a method).
pub fn receiver(iso: &mut Isolate, a: &[Value], who: &str) -> Result<Int64, Flow> {
    match get(iso, args::opt(a, 0)) {
        Some(x) => Ok(x),
        None => {
            let d = crate::printer::describe(iso, args::opt(a, 0));
            Err(iso.err(format!("{}: expected core/s64 or core/u64, got {}", who, d)))
        }
    }
}

fn to_number(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let x = receiver(iso, a, "int/to-number")?;
    // Janet refuses values a double cannot hold exactly.
    const SAFE: u64 = 1 << 53;
    let (magnitude, n) = if x.signed {
        let v = x.bits as i64;
        (v.unsigned_abs(), v as f64)
    } else {
        (x.bits, x.bits as f64)
    };
    if magnitude > SAFE {
        let t = x.text().unwrap_or_default();
        return Err(iso.err(format!(
            "int/to-number: {} is out of the safe integer range (2^53)",
            t
        )));
    }
    Ok(Value::Num(n))
}

fn to_string(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let x = receiver(iso, a, "int/to-string")?;
    let s = x.text().unwrap_or_default();
    Ok(iso.heap.string(s.as_bytes()))
}

/// Registers the module (after `int64_ops`, whose natives the method table names).
pub fn register(env: &mut Env) {
    env.native(
        "int/s64",
        "(int/s64 &opt value)\n\nA signed 64-bit integer (core/s64) from an integral number, an integer string (decimal or 0x hex, `_` allowed) or a 64-bit integer (its bits). Arithmetic (`+ - * / % mod div`), bit operations and `compare` work on it through its methods; `=` and `<` compare two s64 values by value (and order numbers before them, as Janet's primitive comparison does); use `compare=`/`compare<` to compare with numbers.",
        s64,
    );
    env.native(
        "int/u64",
        "(int/u64 &opt value)\n\nAn unsigned 64-bit integer (core/u64) from a non-negative integral number, an integer string or a 64-bit integer (its bits). See `int/s64` for the operators.",
        u64_,
    );
    env.native(
        "int/to-number",
        "(int/to-number x)\n\nA 64-bit integer as a number; raises when its magnitude is past 2^53, where numbers lose precision.",
        to_number,
    );
    env.native(
        "int/to-string",
        "(int/to-string x)\n\nThe decimal text of a 64-bit integer.",
        to_string,
    );
    let table = super::int64_ops::method_table(env);
    env.value(
        METHODS,
        table,
        "The operator methods of core/s64 and core/u64 (internal).",
    );
}
