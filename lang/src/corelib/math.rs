//! Numbers: arithmetic, comparison, integer and bit operations, `math/`.
//!
//! Invariant: numbers are f64; integer operations (`div`, `mod`, bit ops)
//! check their operands are integral and raise Janet's errors otherwise.
//! A non-number operand goes to its operator methods (`operators`).

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Intrinsic, Isolate};
use crate::value::Value;
use std::cmp::Ordering;

use super::operators::{self, Variadic};

fn nums(iso: &mut Isolate, a: &[Value]) -> Result<Vec<f64>, Flow> {
    (0..a.len()).map(|i| args::num(iso, a, i)).collect()
}

fn all_numbers(a: &[Value]) -> bool {
    a.iter().all(|v| matches!(v, Value::Num(_)))
}

const ADD: Variadic = Variadic {
    op: "+",
    rop: "r+",
    unit: 0.0,
    unary_from_unit: false,
    num: |x, y| x + y,
};
const SUB: Variadic = Variadic {
    op: "-",
    rop: "r-",
    unit: 0.0,
    unary_from_unit: true,
    num: |x, y| x - y,
};
const MUL: Variadic = Variadic {
    op: "*",
    rop: "r*",
    unit: 1.0,
    unary_from_unit: false,
    num: |x, y| x * y,
};
const DIV: Variadic = Variadic {
    op: "/",
    rop: "r/",
    unit: 1.0,
    unary_from_unit: true,
    num: |x, y| x / y,
};

fn add(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    if !all_numbers(a) {
        return operators::fold(iso, a, &ADD);
    }
    Ok(Value::Num(nums(iso, a)?.iter().sum()))
}

fn mul(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    if !all_numbers(a) {
        return operators::fold(iso, a, &MUL);
    }
    Ok(Value::Num(nums(iso, a)?.iter().product()))
}

fn sub(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    if !all_numbers(a) {
        return operators::fold(iso, a, &SUB);
    }
    let n = nums(iso, a)?;
    Ok(Value::Num(match n.split_first() {
        None => 0.0,
        Some((x, [])) => -x,
        Some((x, rest)) => rest.iter().fold(*x, |acc, y| acc - y),
    }))
}

fn div(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    if !all_numbers(a) {
        return operators::fold(iso, a, &DIV);
    }
    let n = nums(iso, a)?;
    Ok(Value::Num(match n.split_first() {
        None => 1.0,
        Some((x, [])) => 1.0 / x,
        Some((x, rest)) => rest.iter().fold(*x, |acc, y| acc / y),
    }))
}

fn int_div(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    if !all_numbers(a) {
        let floor_div = Variadic {
            op: "div",
            rop: "rdiv",
            unit: 1.0,
            unary_from_unit: true,
            num: |x, y| (x / y).floor(),
        };
        return operators::fold(iso, a, &floor_div);
    }
    let n = nums(iso, a)?;
    Ok(Value::Num(match n.split_first() {
        None => 1.0,
        Some((x, [])) => (1.0 / x).floor(),
        Some((x, rest)) => rest.iter().fold(*x, |acc, y| (acc / y).floor()),
    }))
}

fn modulo(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    if !all_numbers(a) {
        return operators::binop(iso, "mod", Some("rmod"), a[0], a[1]);
    }
    let (x, y) = (args::num(iso, a, 0)?, args::num(iso, a, 1)?);
    if y == 0.0 {
        return Ok(Value::Num(x));
    }
    let r = x % y;
    Ok(Value::Num(if r != 0.0 && (r < 0.0) != (y < 0.0) {
        r + y
    } else {
        r
    }))
}

fn rem(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    if !all_numbers(a) {
        return operators::binop(iso, "%", Some("r%"), a[0], a[1]);
    }
    let (x, y) = (args::num(iso, a, 0)?, args::num(iso, a, 1)?);
    Ok(Value::Num(crate::vm::ops::remainder(x, y)))
}

fn chain(iso: &mut Isolate, a: &[Value], ok: fn(Ordering) -> bool) -> Result<Value, Flow> {
    for w in a.windows(2) {
        let o = match (w[0], w[1]) {
            (Value::Num(x), Value::Num(y)) => x.partial_cmp(&y),
            (x, y) => Some(iso.heap.compare(x, y)),
        };
        if !o.is_some_and(ok) {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn lt(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    chain(iso, a, Ordering::is_lt)
}
fn le(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    chain(iso, a, Ordering::is_le)
}
fn gt(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    chain(iso, a, Ordering::is_gt)
}
fn ge(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    chain(iso, a, Ordering::is_ge)
}

fn eq(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(Value::Bool(
        a.windows(2).all(|w| iso.heap.equals(w[0], w[1])),
    ))
}

fn neq(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(Value::Bool(
        !a.windows(2).all(|w| iso.heap.equals(w[0], w[1])),
    ))
}

fn not(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Bool(!a[0].truthy()))
}

/// The primitive order (Janet's `cmp`) as -1, 0 or 1.
fn primitive_order(iso: &Isolate, x: Value, y: Value) -> f64 {
    match iso.heap.compare(x, y) {
        Ordering::Less => -1.0,
        Ordering::Equal => 0.0,
        Ordering::Greater => 1.0,
    }
}

fn cmp(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    Ok(Value::Num(primitive_order(iso, a[0], a[1])))
}

fn compare(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    if !all_numbers(a) {
        if let Some(n) = operators::compare_by_method(iso, a[0], a[1])? {
            return Ok(Value::Num(n));
        }
    }
    Ok(Value::Num(primitive_order(iso, a[0], a[1])))
}

fn ints(iso: &mut Isolate, a: &[Value]) -> Result<Vec<i64>, Flow> {
    (0..a.len()).map(|i| args::int(iso, a, i)).collect()
}

macro_rules! bitop {
    ($name:ident, $op:tt, $m:literal, $rm:literal) => {
        fn $name(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
            args::arity(iso, a, 1, None)?;
            if !all_numbers(a) {
                let v = Variadic { op: $m, rop: $rm, unit: 0.0, unary_from_unit: false, num: |x, y| ((x as i64) $op (y as i64)) as f64 };
                return operators::fold(iso, a, &v);
            }
            let n = ints(iso, a)?;
            Ok(Value::Num(n[1..].iter().fold(n[0], |x, y| x $op y) as f64))
        }
    };
}
bitop!(band, &, "&", "r&");
bitop!(bor, |, "|", "r|");
bitop!(bxor, ^, "^", "r^");

fn bnot(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    if !all_numbers(a) {
        return operators::unop(iso, "~", a[0]);
    }
    Ok(Value::Num(!args::int(iso, a, 0)? as f64))
}

fn shl(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    if !all_numbers(a) {
        return operators::binop(iso, "<<", Some("r<<"), a[0], a[1]);
    }
    let (x, s) = (args::int(iso, a, 0)?, args::int(iso, a, 1)?);
    Ok(Value::Num(((x as i32).wrapping_shl(s as u32)) as f64))
}

fn shr(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    if !all_numbers(a) {
        return operators::binop(iso, ">>", Some("r>>"), a[0], a[1]);
    }
    let (x, s) = (args::int(iso, a, 0)?, args::int(iso, a, 1)?);
    Ok(Value::Num(((x as i32).wrapping_shr(s as u32)) as f64))
}

macro_rules! unary {
    ($name:ident, $f:expr) => {
        fn $name(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
            args::arity(iso, a, 1, Some(1))?;
            let x = args::num(iso, a, 0)?;
            let f: fn(f64) -> f64 = $f;
            Ok(Value::Num(f(x)))
        }
    };
}
unary!(floor, f64::floor);
unary!(ceil, f64::ceil);
unary!(abs, f64::abs);
unary!(sqrt, f64::sqrt);
unary!(round, f64::round);
unary!(trunc, f64::trunc);
unary!(inc, |x| x + 1.0);
unary!(dec, |x| x - 1.0);

fn pow(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    Ok(Value::Num(
        args::num(iso, a, 0)?.powf(args::num(iso, a, 1)?),
    ))
}

fn extreme(iso: &mut Isolate, a: &[Value], want: Ordering) -> Result<Value, Flow> {
    let mut best = match a.first() {
        Some(v) => *v,
        None => return Ok(Value::Nil),
    };
    for v in &a[1..] {
        if iso.heap.compare(*v, best) == want {
            best = *v;
        }
    }
    Ok(best)
}

fn max(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    extreme(iso, a, Ordering::Greater)
}

fn min(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    extreme(iso, a, Ordering::Less)
}

fn is_int(_: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(Value::Bool(a.first().is_some_and(|v| v.as_int().is_some())))
}

fn is_nan(_: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(Value::Bool(
        matches!(a.first(), Some(Value::Num(n)) if n.is_nan()),
    ))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.intrinsic("+", "(+ & xs)\n\nSum of the numbers.", add, Intrinsic::Add);
    env.intrinsic(
        "-",
        "(- & xs)\n\nDifference (negation with one argument).",
        sub,
        Intrinsic::Sub,
    );
    env.intrinsic(
        "*",
        "(* & xs)\n\nProduct of the numbers.",
        mul,
        Intrinsic::Mul,
    );
    env.intrinsic(
        "/",
        "(/ & xs)\n\nQuotient (reciprocal with one argument).",
        div,
        Intrinsic::Div,
    );
    env.native("div", "(div & xs)\n\nFloored division.", int_div);
    env.native("mod", "(mod x y)\n\nModulo with the sign of y.", modulo);
    env.intrinsic(
        "%",
        "(% x y)\n\nRemainder with the sign of x.",
        rem,
        Intrinsic::Rem,
    );
    env.intrinsic(
        "rem",
        "(rem x y)\n\nRemainder with the sign of x.",
        rem,
        Intrinsic::Rem,
    );
    env.intrinsic(
        "<",
        "(< & xs)\n\nTrue if strictly increasing.",
        lt,
        Intrinsic::Lt,
    );
    env.intrinsic(
        "<=",
        "(<= & xs)\n\nTrue if non-decreasing.",
        le,
        Intrinsic::Le,
    );
    env.intrinsic(
        ">",
        "(> & xs)\n\nTrue if strictly decreasing.",
        gt,
        Intrinsic::Gt,
    );
    env.intrinsic(
        ">=",
        "(>= & xs)\n\nTrue if non-increasing.",
        ge,
        Intrinsic::Ge,
    );
    env.intrinsic(
        "=",
        "(= & xs)\n\nTrue if all values are equal.",
        eq,
        Intrinsic::Eq,
    );
    env.intrinsic(
        "not=",
        "(not= & xs)\n\nTrue if some values differ.",
        neq,
        Intrinsic::Neq,
    );
    env.intrinsic("not", "(not x)\n\nBoolean negation.", not, Intrinsic::Not);
    env.native("compare", "(compare x y)\n\nPolymorphic compare: -1, 0 or 1 for x before, equal to or after y. Uses x's :compare method (or y's, negated) when it has one, so 64-bit integers compare with numbers by value; otherwise the primitive order of `cmp`.", compare);
    env.native("cmp", "(cmp x y)\n\nPrimitive compare: -1, 0 or 1 by Janet's total order of values (numbers before other types), ignoring :compare methods.", cmp);
    env.native("band", "(band & xs)\n\nBitwise and.", band);
    env.native("bor", "(bor & xs)\n\nBitwise or.", bor);
    env.native("bxor", "(bxor & xs)\n\nBitwise xor.", bxor);
    env.native("bnot", "(bnot x)\n\nBitwise not.", bnot);
    env.native("blshift", "(blshift x n)\n\nShift left (32-bit).", shl);
    env.native(
        "brshift",
        "(brshift x n)\n\nArithmetic shift right (32-bit).",
        shr,
    );
    env.native("math/floor", "(math/floor x)", floor);
    env.native("math/ceil", "(math/ceil x)", ceil);
    env.native("math/abs", "(math/abs x)", abs);
    env.native("math/sqrt", "(math/sqrt x)", sqrt);
    env.native("math/round", "(math/round x)", round);
    env.native("math/trunc", "(math/trunc x)", trunc);
    env.native("math/pow", "(math/pow x y)", pow);
    env.native("inc", "(inc x)\n\nx + 1.", inc);
    env.native("dec", "(dec x)\n\nx - 1.", dec);
    env.native("max", "(max & xs)\n\nLargest value.", max);
    env.native("min", "(min & xs)\n\nSmallest value.", min);
    env.native(
        "int?",
        "(int? x)\n\nTrue if x is an integral number.",
        is_int,
    );
    env.native("nan?", "(nan? x)\n\nTrue if x is NaN.", is_nan);
    env.value("math/inf", Value::Num(f64::INFINITY), "Positive infinity.");
    env.value("math/nan", Value::Num(f64::NAN), "Not a number.");
    env.value("math/pi", Value::Num(std::f64::consts::PI), "Pi.");
}
