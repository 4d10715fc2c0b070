//! Argument checking for natives, with Janet's error wording.
//!
//! Invariant: every checker returns `Err(Flow::Error(..))` with a message
//! naming the slot and the expected type, never panics.

use crate::isolate::{Flow, Isolate};
use crate::printer;
use crate::value::{Ref, Value};

/// Checks the argument count.
#[inline]
pub fn arity(
    iso: &mut Isolate,
    args: &[Value],
    min: usize,
    max: Option<usize>,
) -> Result<(), Flow> {
    let n = args.len();
    if n < min || max.is_some_and(|m| n > m) {
        return Err(arity_error(iso, n, min, max));
    }
    Ok(())
}

// Out of line: every native checks its arity, and the message building
// would otherwise be inlined into each of them.
#[cold]
#[inline(never)]
fn arity_error(iso: &mut Isolate, n: usize, min: usize, max: Option<usize>) -> Flow {
    let expected = match max {
        Some(m) if m == min => format!("{}", m),
        Some(m) => format!("{}-{}", min, m),
        None => format!("at least {}", min),
    };
    iso.err(format!("arity mismatch, expected {}, got {}", expected, n))
}

fn bad(iso: &mut Isolate, args: &[Value], i: usize, what: &str) -> Flow {
    let got = args
        .get(i)
        .map_or("nil".to_string(), |v| printer::describe(iso, *v));
    iso.err(format!("bad slot #{}, expected {}, got {}", i, what, got))
}

/// Argument `i` as a number.
pub fn num(iso: &mut Isolate, args: &[Value], i: usize) -> Result<f64, Flow> {
    match args.get(i) {
        Some(Value::Num(n)) => Ok(*n),
        _ => Err(bad(iso, args, i, "number")),
    }
}

/// Argument `i` as an integer.
pub fn int(iso: &mut Isolate, args: &[Value], i: usize) -> Result<i64, Flow> {
    match args.get(i).and_then(|v| v.as_int()) {
        Some(n) => Ok(n),
        None => Err(bad(iso, args, i, "integer")),
    }
}

/// Argument `i` as bytes (string, buffer, symbol, keyword).
pub fn bytes(iso: &mut Isolate, args: &[Value], i: usize) -> Result<Vec<u8>, Flow> {
    match args.get(i).and_then(|v| iso.heap.bytes(*v)) {
        Some(b) => Ok(b.to_vec()),
        None => Err(bad(iso, args, i, "string")),
    }
}

/// Argument `i` as a fiber.
pub fn fiber(iso: &mut Isolate, args: &[Value], i: usize) -> Result<Ref, Flow> {
    match args.get(i) {
        Some(Value::Fiber(f)) => Ok(*f),
        _ => Err(bad(iso, args, i, "fiber")),
    }
}

/// Argument `i` as a table.
pub fn table(iso: &mut Isolate, args: &[Value], i: usize) -> Result<Ref, Flow> {
    match args.get(i) {
        Some(Value::Table(t)) => Ok(*t),
        _ => Err(bad(iso, args, i, "table")),
    }
}

/// Argument `i` as an array.
pub fn array(iso: &mut Isolate, args: &[Value], i: usize) -> Result<Ref, Flow> {
    match args.get(i) {
        Some(Value::Array(a)) => Ok(*a),
        _ => Err(bad(iso, args, i, "array")),
    }
}

/// Elements of an indexed argument (tuple or array).
pub fn indexed(iso: &mut Isolate, args: &[Value], i: usize) -> Result<Vec<Value>, Flow> {
    match args.get(i).and_then(|v| iso.heap.items(*v)) {
        Some(items) => Ok(items.to_vec()),
        None => Err(bad(iso, args, i, "indexed")),
    }
}

/// A keyword argument's name.
pub fn keyword(iso: &mut Isolate, args: &[Value], i: usize) -> Result<Vec<u8>, Flow> {
    match args.get(i) {
        Some(Value::Keyword(s)) => Ok(iso.heap.syms.name(*s).to_vec()),
        _ => Err(bad(iso, args, i, "keyword")),
    }
}

/// Optional argument `i` (nil when absent).
pub fn opt(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or_default()
}
