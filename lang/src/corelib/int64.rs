//! 64-bit integers as abstract values: `int/s64`, `int/u64` (from a number
//! or a decimal/hex string, wrapping like Janet), `int/to-number`,
//! `int/to-string`, `int/add`, `int/sub`, `int/mul`, `int/div`, `int/rem`,
//! `int/compare`.
//!
//! Invariant: the bit pattern is kept in a `u64`; `signed` says how it is
//! read. Results take the kind of the first operand; division by zero
//! raises.

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate, NativeFn};
use crate::objects::AbstractType;
use crate::value::Value;

type R = Result<Value, Flow>;

/// A `core/s64` or `core/u64` value.
#[derive(Debug, Clone, Copy)]
pub struct Int64 {
    pub bits: u64,
    pub signed: bool,
}

impl AbstractType for Int64 {
    fn type_name(&self) -> &'static str {
        if self.signed {
            "core/s64"
        } else {
            "core/u64"
        }
    }
}

fn get(iso: &Isolate, v: Value) -> Option<Int64> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get(r).as_ref()?;
    let any: &dyn std::any::Any = b.as_ref();
    any.downcast_ref::<Int64>().copied()
}

fn make(iso: &mut Isolate, x: Int64) -> Value {
    Value::Abstract(iso.heap.abstracts.alloc(Some(Box::new(x))))
}

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

fn operand(iso: &mut Isolate, a: &[Value], i: usize) -> Result<u64, Flow> {
    let v = args::opt(a, i);
    if let Some(x) = get(iso, v) {
        return Ok(x.bits);
    }
    match v {
        Value::Num(n) if n.fract() == 0.0 => Ok(if n < 0.0 { (n as i64) as u64 } else { n as u64 }),
        _ => match iso
            .heap
            .bytes(v)
            .map(|b| String::from_utf8_lossy(b).into_owned())
        {
            Some(s) => match parse_bits(&s) {
                Some(b) => Ok(b),
                None => Err(iso.err(format!("cannot convert {:?} to a 64-bit integer", s))),
            },
            None => Err(iso.err(format!("bad slot #{}, expected integer", i))),
        },
    }
}

fn s64(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    let bits = if a.is_empty() { 0 } else { operand(iso, a, 0)? };
    Ok(make(iso, Int64 { bits, signed: true }))
}

fn u64_(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    let bits = if a.is_empty() { 0 } else { operand(iso, a, 0)? };
    Ok(make(
        iso,
        Int64 {
            bits,
            signed: false,
        },
    ))
}

fn kind(iso: &mut Isolate, a: &[Value]) -> Result<Int64, Flow> {
    match get(iso, args::opt(a, 0)) {
        Some(x) => Ok(x),
        None => Err(iso.err("bad slot #0, expected core/s64 or core/u64")),
    }
}

fn to_number(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let x = kind(iso, a)?;
    Ok(Value::Num(if x.signed {
        x.bits as i64 as f64
    } else {
        x.bits as f64
    }))
}

fn to_string(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let x = kind(iso, a)?;
    let s = if x.signed {
        (x.bits as i64).to_string()
    } else {
        x.bits.to_string()
    };
    Ok(iso.heap.string(s.as_bytes()))
}

fn arith(iso: &mut Isolate, a: &[Value], op: u8) -> R {
    args::arity(iso, a, 2, None)?;
    let x = kind(iso, a)?;
    let mut acc = x.bits;
    for i in 1..a.len() {
        let y = operand(iso, a, i)?;
        acc = match op {
            b'+' => acc.wrapping_add(y),
            b'-' => acc.wrapping_sub(y),
            b'*' => acc.wrapping_mul(y),
            _ if y == 0 => return Err(iso.err("division by zero")),
            b'/' if x.signed => (acc as i64).wrapping_div(y as i64) as u64,
            b'/' => acc / y,
            _ if x.signed => (acc as i64).wrapping_rem(y as i64) as u64,
            _ => acc % y,
        };
    }
    Ok(make(
        iso,
        Int64 {
            bits: acc,
            signed: x.signed,
        },
    ))
}

fn add(iso: &mut Isolate, a: &[Value]) -> R {
    arith(iso, a, b'+')
}
fn sub(iso: &mut Isolate, a: &[Value]) -> R {
    arith(iso, a, b'-')
}
fn mul(iso: &mut Isolate, a: &[Value]) -> R {
    arith(iso, a, b'*')
}
fn div(iso: &mut Isolate, a: &[Value]) -> R {
    arith(iso, a, b'/')
}
fn rem(iso: &mut Isolate, a: &[Value]) -> R {
    arith(iso, a, b'%')
}

fn compare(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let x = kind(iso, a)?;
    let y = operand(iso, a, 1)?;
    let o = if x.signed {
        (x.bits as i64).cmp(&(y as i64))
    } else {
        x.bits.cmp(&y)
    };
    Ok(Value::Num(o as i8 as f64))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, NativeFn)] = &[
        ("int/s64", "(int/s64 &opt value)\n\nA signed 64-bit integer (core/s64) from a number, string or 64-bit integer.", s64),
        ("int/u64", "(int/u64 &opt value)\n\nAn unsigned 64-bit integer (core/u64) from a number, string or 64-bit integer.", u64_),
        ("int/to-number", "(int/to-number x)\n\nA 64-bit integer as a number (may lose precision past 2^53).", to_number),
        ("int/to-string", "(int/to-string x)\n\nThe decimal text of a 64-bit integer.", to_string),
        ("int/add", "(int/add x & ys)\n\nWrapping 64-bit sum, of x's kind.", add),
        ("int/sub", "(int/sub x & ys)\n\nWrapping 64-bit difference, of x's kind.", sub),
        ("int/mul", "(int/mul x & ys)\n\nWrapping 64-bit product, of x's kind.", mul),
        ("int/div", "(int/div x & ys)\n\n64-bit quotient (truncating), of x's kind.", div),
        ("int/rem", "(int/rem x & ys)\n\n64-bit remainder, of x's kind.", rem),
        ("int/compare", "(int/compare x y)\n\n-1, 0 or 1 comparing x with y as x's kind.", compare),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
}
