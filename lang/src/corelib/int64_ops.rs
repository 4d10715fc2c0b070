//! The operator methods of `core/s64` and `core/u64`, as Janet's int types
//! have them: `:+ :- :* :/ :% :mod :div :& :| :^ :<< :>>` and their
//! reversed forms (`:r+`, `:r-`...), `:~`, and `:compare`. The VM and the
//! arithmetic natives call these when an operand is not a number (see
//! `vm::ops::operator_method`). Also the named forms `int/add` ... `int/compare`.
//!
//! Invariants: the receiver (argument 0) decides the result's type; other
//! operands are read as that type's bits (`int64::operand`). Arithmetic
//! wraps; `/`, `%` and `div` by zero raise, `mod` by zero returns the
//! dividend (Janet's rule), and signed MIN divided by -1 raises.

use super::args;
use super::int64::{self, Int64};
use super::registry::Env;
use crate::isolate::{Flow, Isolate, NativeFn};
use crate::table::TableObj;
use crate::value::Value;
use std::cmp::Ordering;

type R = Result<Value, Flow>;

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Mod,
    FloorDiv,
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

/// `x op y` on bits read as signed or unsigned.
fn apply(op: Op, signed: bool, x: u64, y: u64) -> Result<u64, &'static str> {
    let (sx, sy) = (x as i64, y as i64);
    let divides = matches!(op, Op::Div | Op::Rem | Op::FloorDiv);
    if divides && y == 0 {
        return Err("division by zero");
    }
    if divides && signed && sx == i64::MIN && sy == -1 {
        return Err("INT64_MIN divided by -1");
    }
    Ok(match op {
        Op::Add => x.wrapping_add(y),
        Op::Sub => x.wrapping_sub(y),
        Op::Mul => x.wrapping_mul(y),
        Op::And => x & y,
        Op::Or => x | y,
        Op::Xor => x ^ y,
        Op::Shl => x.wrapping_shl(y as u32),
        Op::Shr if signed => sx.wrapping_shr(y as u32) as u64,
        Op::Shr => x.wrapping_shr(y as u32),
        Op::Mod if y == 0 => x,
        Op::Div if signed => (sx / sy) as u64,
        Op::Rem if signed => (sx % sy) as u64,
        Op::FloorDiv if signed => {
            let q = sx / sy;
            (if sx % sy != 0 && ((sx < 0) != (sy < 0)) {
                q - 1
            } else {
                q
            }) as u64
        }
        Op::Mod if signed => {
            let r = sx.wrapping_rem(sy);
            (if r != 0 && ((r < 0) != (sy < 0)) {
                r + sy
            } else {
                r
            }) as u64
        }
        Op::Div | Op::FloorDiv => x / y,
        Op::Rem | Op::Mod => x % y,
    })
}

fn result(iso: &mut Isolate, r: Result<u64, &'static str>, x: Int64, who: &str) -> R {
    match r {
        Ok(bits) => Ok(int64::make(iso, bits, x.signed, x.methods)),
        Err(m) => Err(iso.err(format!("{}: {}", who, m))),
    }
}

/// `(op receiver y1 y2 ...)`, folding left.
fn fold(iso: &mut Isolate, a: &[Value], op: Op, who: &str) -> R {
    args::arity(iso, a, 2, None)?;
    let x = int64::receiver(iso, a, who)?;
    let mut acc = x.bits;
    for i in 1..a.len() {
        let y = int64::operand(iso, a, i, x.signed, who)?;
        acc = match apply(op, x.signed, acc, y) {
            Ok(v) => v,
            Err(m) => return Err(iso.err(format!("{}: {}", who, m))),
        };
    }
    result(iso, Ok(acc), x, who)
}

/// `(rop receiver y)` means `y op receiver`, in the receiver's type.
fn reversed(iso: &mut Isolate, a: &[Value], op: Op, who: &str) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let x = int64::receiver(iso, a, who)?;
    let y = int64::operand(iso, a, 1, x.signed, who)?;
    let r = apply(op, x.signed, y, x.bits);
    result(iso, r, x, who)
}

macro_rules! methods {
    ($($f:ident $r:ident = $op:ident, $who:literal;)*) => {
        $(
            fn $f(iso: &mut Isolate, a: &[Value]) -> R {
                fold(iso, a, Op::$op, $who)
            }
            fn $r(iso: &mut Isolate, a: &[Value]) -> R {
                reversed(iso, a, Op::$op, $who)
            }
        )*
    };
}
methods! {
    add radd = Add, "int/add";
    sub rsub = Sub, "int/sub";
    mul rmul = Mul, "int/mul";
    div rdiv = Div, "int/div";
    rem rrem = Rem, "int/rem";
    modulo rmodulo = Mod, "int/mod";
    floordiv rfloordiv = FloorDiv, "int/floordiv";
    band rband = And, "int/band";
    bor rbor = Or, "int/bor";
    bxor rbxor = Xor, "int/bxor";
    shl rshl = Shl, "int/shl";
    shr rshr = Shr, "int/shr";
}

fn bnot(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let x = int64::receiver(iso, a, "int/bnot")?;
    result(iso, Ok(!x.bits), x, "int/bnot")
}

/// Orders an integer against a number exactly (no rounding through f64);
/// NaN compares equal, as Janet's method has it.
fn against_number(x: Int64, y: f64) -> Ordering {
    if y.is_nan() {
        return Ordering::Equal;
    }
    let t = y.trunc();
    let by_int = if x.signed {
        if t >= 9_223_372_036_854_775_808.0 {
            return Ordering::Less;
        } else if t < -9_223_372_036_854_775_808.0 {
            return Ordering::Greater;
        }
        (x.bits as i64).cmp(&(t as i64))
    } else {
        if t < 0.0 {
            return Ordering::Greater;
        } else if t >= 18_446_744_073_709_551_616.0 {
            return Ordering::Less;
        }
        x.bits.cmp(&(t as u64))
    };
    // Equal integer parts: the fraction of y decides.
    by_int.then(0.0.partial_cmp(&(y - t)).unwrap_or(Ordering::Equal))
}

/// Orders integers of possibly different types by their values.
fn against_int(x: Int64, y: Int64) -> Ordering {
    match (x.signed, y.signed) {
        (true, true) => (x.bits as i64).cmp(&(y.bits as i64)),
        (false, false) => x.bits.cmp(&y.bits),
        (true, false) if (x.bits as i64) < 0 || y.bits > i64::MAX as u64 => Ordering::Less,
        (false, true) if (y.bits as i64) < 0 || x.bits > i64::MAX as u64 => Ordering::Greater,
        _ => x.bits.cmp(&y.bits),
    }
}

fn compare(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let x = int64::receiver(iso, a, "int/compare")?;
    let o = match a[1] {
        Value::Num(y) => against_number(x, y),
        v => match int64::get(iso, v) {
            Some(y) => against_int(x, y),
            None => return Ok(Value::Nil),
        },
    };
    Ok(Value::Num(o as i8 as f64))
}

/// Public natives: (name, doc, function).
const NATIVES: &[(&str, &str, NativeFn)] = &[
    ("int/add", "(int/add x & ys)\n\nWrapping 64-bit sum, of x's type (the :+ method).", add),
    ("int/sub", "(int/sub x & ys)\n\nWrapping 64-bit difference, of x's type (the :- method).", sub),
    ("int/mul", "(int/mul x & ys)\n\nWrapping 64-bit product, of x's type (the :* method).", mul),
    ("int/div", "(int/div x & ys)\n\n64-bit quotient truncated toward zero, of x's type (the :/ method); raises on division by zero.", div),
    ("int/rem", "(int/rem x & ys)\n\n64-bit remainder with the sign of x, of x's type (the :% method).", rem),
    ("int/mod", "(int/mod x & ys)\n\n64-bit modulo with the sign of the divisor, of x's type (the :mod method); modulo 0 is x.", modulo),
    ("int/floordiv", "(int/floordiv x & ys)\n\n64-bit quotient rounded down, of x's type (the :div method).", floordiv),
    ("int/band", "(int/band x & ys)\n\nBitwise and, of x's type (the :& method).", band),
    ("int/bor", "(int/bor x & ys)\n\nBitwise or, of x's type (the :| method).", bor),
    ("int/bxor", "(int/bxor x & ys)\n\nBitwise xor, of x's type (the :^ method).", bxor),
    ("int/bnot", "(int/bnot x)\n\nBitwise not, of x's type (the :~ method).", bnot),
    ("int/shl", "(int/shl x & ns)\n\nShift left, of x's type (the :<< method).", shl),
    ("int/shr", "(int/shr x & ns)\n\nShift right (arithmetic for s64, logical for u64), of x's type (the :>> method).", shr),
    ("int/compare", "(int/compare x y)\n\n-1, 0 or 1 ordering x against y by value, where y is a number or a 64-bit integer of either type; nil for anything else (the :compare method, used by `compare`).", compare),
];

/// Reversed methods: (method key, native name, function).
const REVERSED: &[(&str, &str, NativeFn)] = &[
    ("r+", "int/-radd", radd),
    ("r-", "int/-rsub", rsub),
    ("r*", "int/-rmul", rmul),
    ("r/", "int/-rdiv", rdiv),
    ("r%", "int/-rrem", rrem),
    ("rmod", "int/-rmod", rmodulo),
    ("rdiv", "int/-rfloordiv", rfloordiv),
    ("r&", "int/-rband", rband),
    ("r|", "int/-rbor", rbor),
    ("r^", "int/-rbxor", rbxor),
    ("r<<", "int/-rshl", rshl),
    ("r>>", "int/-rshr", rshr),
];

/// Method keys of the public natives.
const KEYS: &[(&str, &str)] = &[
    ("+", "int/add"),
    ("-", "int/sub"),
    ("*", "int/mul"),
    ("/", "int/div"),
    ("%", "int/rem"),
    ("mod", "int/mod"),
    ("div", "int/floordiv"),
    ("&", "int/band"),
    ("|", "int/bor"),
    ("^", "int/bxor"),
    ("~", "int/bnot"),
    ("<<", "int/shl"),
    (">>", "int/shr"),
    ("compare", "int/compare"),
];

/// Registers the natives and returns the method table naming them.
pub fn method_table(env: &mut Env) -> Value {
    for (name, doc, f) in NATIVES {
        env.native(name, doc, *f);
    }
    for (key, name, f) in REVERSED {
        let doc = match *key {
            "r+" => "(int/-radd x y)\n\ny + x in x's type (the :r+ method of 64-bit integers).",
            _ => "(int/-r<op> x y)\n\ny <op> x in x's type: a reversed operator method of 64-bit integers, called when x is the right operand.",
        };
        env.native(name, doc, *f);
    }
    let pairs = KEYS
        .iter()
        .copied()
        .chain(REVERSED.iter().map(|(k, n, _)| (*k, *n)));
    let mut t = TableObj::default();
    for (key, name) in pairs {
        let idx = env.iso.natives.iter().rposition(|n| n.name == name);
        let v = idx.map_or(Value::Nil, |i| Value::Native(i as u32));
        let k = env.iso.heap.keyword(key);
        let h = env.iso.heap.hash(k);
        t.put(k, h, v, |x| x == k);
    }
    env.iso.heap.table(t)
}
