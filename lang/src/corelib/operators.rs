//! Janet's operator methods for the native arithmetic, bitwise and compare
//! functions (`+` passed as a value, `mod`, `band`, `compare`...): when an
//! operand is not a number, `(op x y)` calls x's `:op` method with `(x y)`,
//! or else y's `:rop` method with `(y x)`, the same lookup the VM makes for
//! its arithmetic instructions (`vm::ops::operator_method`). This is how
//! `(+ (int/s64 1) 2)` and a table with a `:+` method work.
//!
//! Invariant: the natives keep their all-numbers path and come here only
//! for a non-number operand. A method written in the language runs on a
//! nested run (it cannot yield); partial results are rooted across it.

use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use crate::vm::ops::{arith_error, get, operator_method};

/// `(op x y)` through the operands' methods, or Janet's error.
pub fn binop(
    iso: &mut Isolate,
    op: &str,
    rop: Option<&str>,
    x: Value,
    y: Value,
) -> Result<Value, Flow> {
    if let (Value::Num(_), Value::Num(_)) = (x, y) {
        return Err(iso.err(format!(
            "internal error: {} reached the method path with numbers",
            op
        )));
    }
    match operator_method(&mut iso.heap, op, rop, x, y) {
        Some((f, args)) => {
            let mark = iso.roots.len();
            iso.roots.extend_from_slice(&args);
            let r = iso.call_operator(f, &args);
            iso.roots.truncate(mark);
            r.map_err(Flow::Error)
        }
        None if rop.is_some() => Err(iso.err(arith_error(&iso.heap, op, x, y))),
        None => {
            let d = crate::printer::describe(iso, x);
            Err(iso.err(format!("could not find method :{} for {}", op, d)))
        }
    }
}

/// A one-operand method (`:~` for `bnot`).
pub fn unop(iso: &mut Isolate, op: &str, x: Value) -> Result<Value, Flow> {
    let key = iso.heap.keyword(op);
    match get(&iso.heap, x, key) {
        m @ (Value::Closure(_) | Value::Native(_)) => {
            iso.call_operator(m, &[x]).map_err(Flow::Error)
        }
        _ => {
            let d = crate::printer::describe(iso, x);
            Err(iso.err(format!("could not find method :{} for {}", op, d)))
        }
    }
}

/// How a variadic operator treats zero and one operands.
pub struct Variadic {
    pub op: &'static str,
    pub rop: &'static str,
    /// The value of `(op)`.
    pub unit: f64,
    /// Whether `(op x)` means `(op unit x)` (`-` and `/`) rather than `x`.
    pub unary_from_unit: bool,
    pub num: fn(f64, f64) -> f64,
}

/// Folds `a` left with `v`: numbers directly, other operands through their
/// methods.
pub fn fold(iso: &mut Isolate, a: &[Value], v: &Variadic) -> Result<Value, Flow> {
    let (mut acc, rest) = match a {
        [] => return Ok(Value::Num(v.unit)),
        [_] if v.unary_from_unit => (Value::Num(v.unit), a),
        [x] => return Ok(*x),
        [x, rest @ ..] => (*x, rest),
    };
    let mark = iso.roots.len();
    for &y in rest {
        acc = match (acc, y) {
            (Value::Num(p), Value::Num(q)) => Value::Num((v.num)(p, q)),
            _ => {
                iso.roots.push(acc);
                let r = binop(iso, v.op, Some(v.rop), acc, y);
                iso.roots.truncate(mark);
                r?
            }
        };
    }
    Ok(acc)
}

/// Janet's polymorphic `compare`: x's `:compare` method, else the negated
/// `:compare` of y, else the primitive order. `None` when neither operand
/// has a method that answered with a number.
pub fn compare_by_method(iso: &mut Isolate, x: Value, y: Value) -> Result<Option<f64>, Flow> {
    for (recv, other, sign) in [(x, y, 1.0), (y, x, -1.0)] {
        if matches!(recv, Value::Num(_)) {
            continue;
        }
        let key = iso.heap.keyword("compare");
        let m = get(&iso.heap, recv, key);
        if !matches!(m, Value::Closure(_) | Value::Native(_)) {
            continue;
        }
        if let Value::Num(n) = iso.call_operator(m, &[recv, other]).map_err(Flow::Error)? {
            return Ok(Some(sign * n));
        }
    }
    Ok(None)
}
