//! The rest of `math/` (transcendental functions, gcd/lcm, constants), the
//! `core/rng` abstract type with `math/random`, `math/seedrandom`,
//! `math/rng`, `math/rng-int`, `math/rng-uniform`, and `brushift`.
//!
//! Invariant: every function is total on f64 (NaN in, NaN out, as C's libm);
//! integer-only functions check integrality and raise otherwise. The default
//! generator behind `math/random` is a `core/rng` bound in the root
//! environment, so it travels with the isolate.

use super::args;
use super::files::global;
use super::registry::Env;
use crate::isolate::{Flow, Isolate, NativeFn};
use crate::objects::AbstractType;
use crate::value::Value;

type R = Result<Value, Flow>;

/// A splitmix64 generator (`core/rng`).
#[derive(Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    fn seeded(seed: u64) -> Rng {
        Rng {
            state: seed ^ 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl AbstractType for Rng {
    fn type_name(&self) -> &'static str {
        "core/rng"
    }
}

fn rng_of(iso: &mut Isolate, v: Value) -> Result<&mut Rng, Flow> {
    let ok = match v {
        Value::Abstract(r) => iso.heap.abstracts.get(r).as_ref().is_some_and(|b| {
            let any: &dyn std::any::Any = b.as_ref();
            any.is::<Rng>()
        }),
        _ => false,
    };
    if !ok {
        return Err(iso.err("expected core/rng"));
    }
    let Value::Abstract(r) = v else {
        unreachable!("checked above")
    };
    let b = iso
        .heap
        .abstracts
        .get_mut(r)
        .as_mut()
        .expect("checked above");
    let any: &mut dyn std::any::Any = b.as_mut();
    Ok(any.downcast_mut::<Rng>().expect("checked above"))
}

fn seed_of(iso: &mut Isolate, a: &[Value], i: usize) -> Result<u64, Flow> {
    match args::opt(a, i) {
        Value::Nil => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)),
        Value::Num(n) => Ok(n.to_bits()),
        _ => {
            let b = args::bytes(iso, a, i)?;
            Ok(crate::objects::hash_bytes(&b))
        }
    }
}

fn rng_new(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    let seed = seed_of(iso, a, 0)?;
    let r = iso.heap.abstracts.alloc(Some(Box::new(Rng::seeded(seed))));
    Ok(Value::Abstract(r))
}

fn rng_uniform(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Num(rng_of(iso, a[0])?.uniform()))
}

fn rng_int(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let max = match args::opt(a, 1) {
        Value::Nil => i32::MAX as i64,
        _ => args::int(iso, a, 1)?,
    };
    if max <= 0 {
        return Ok(Value::Num(0.0));
    }
    let x = rng_of(iso, a[0])?.next_u64() % max as u64;
    Ok(Value::Num(x as f64))
}

fn random(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(0))?;
    let g = global(iso, "math/default-rng");
    Ok(Value::Num(rng_of(iso, g)?.uniform()))
}

fn seedrandom(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let seed = seed_of(iso, a, 0)?;
    let g = global(iso, "math/default-rng");
    *rng_of(iso, g)? = Rng::seeded(seed);
    Ok(Value::Nil)
}

fn gcd_u(mut x: u64, mut y: u64) -> u64 {
    while y != 0 {
        (x, y) = (y, x % y);
    }
    x
}

fn gcd(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let (x, y) = (args::int(iso, a, 0)?, args::int(iso, a, 1)?);
    Ok(Value::Num(gcd_u(x.unsigned_abs(), y.unsigned_abs()) as f64))
}

fn lcm(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let (x, y) = (
        args::int(iso, a, 0)?.unsigned_abs(),
        args::int(iso, a, 1)?.unsigned_abs(),
    );
    if x == 0 || y == 0 {
        return Ok(Value::Num(0.0));
    }
    Ok(Value::Num((x / gcd_u(x, y) * y) as f64))
}

fn brushift(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let x = args::int(iso, a, 0)? as u32;
    let s = args::int(iso, a, 1)?;
    Ok(Value::Num((x >> (s & 31)) as f64))
}

macro_rules! unary {
    ($($name:ident = $e:expr;)*) => {$(
        fn $name(iso: &mut Isolate, a: &[Value]) -> R {
            args::arity(iso, a, 1, Some(1))?;
            let f: fn(f64) -> f64 = $e;
            Ok(Value::Num(f(args::num(iso, a, 0)?)))
        }
    )*};
}

unary! {
    cbrt = f64::cbrt; exp = f64::exp; exp2 = f64::exp2; expm1 = f64::exp_m1;
    log = f64::ln; log2 = f64::log2; log10 = f64::log10; log1p = f64::ln_1p;
    sin = f64::sin; cos = f64::cos; tan = f64::tan; asin = f64::asin; acos = f64::acos;
    atan = f64::atan; sinh = f64::sinh; cosh = f64::cosh; tanh = f64::tanh;
    asinh = f64::asinh; acosh = f64::acosh; atanh = f64::atanh;
}

fn atan2(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    Ok(Value::Num(
        args::num(iso, a, 0)?.atan2(args::num(iso, a, 1)?),
    ))
}

fn hypot(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    Ok(Value::Num(
        args::num(iso, a, 0)?.hypot(args::num(iso, a, 1)?),
    ))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, NativeFn)] = &[
        ("math/cbrt", "(math/cbrt x)\n\nCube root of x.", cbrt),
        ("math/exp", "(math/exp x)\n\ne to the power x.", exp),
        ("math/exp2", "(math/exp2 x)\n\n2 to the power x.", exp2),
        (
            "math/expm1",
            "(math/expm1 x)\n\ne^x - 1, accurate near zero.",
            expm1,
        ),
        ("math/log", "(math/log x)\n\nNatural logarithm of x.", log),
        ("math/log2", "(math/log2 x)\n\nBase-2 logarithm of x.", log2),
        (
            "math/log10",
            "(math/log10 x)\n\nBase-10 logarithm of x.",
            log10,
        ),
        (
            "math/log1p",
            "(math/log1p x)\n\nln(1 + x), accurate near zero.",
            log1p,
        ),
        ("math/sin", "(math/sin x)\n\nSine of x (radians).", sin),
        ("math/cos", "(math/cos x)\n\nCosine of x (radians).", cos),
        ("math/tan", "(math/tan x)\n\nTangent of x (radians).", tan),
        ("math/asin", "(math/asin x)\n\nArc sine of x.", asin),
        ("math/acos", "(math/acos x)\n\nArc cosine of x.", acos),
        ("math/atan", "(math/atan x)\n\nArc tangent of x.", atan),
        (
            "math/atan2",
            "(math/atan2 y x)\n\nArc tangent of y/x using the signs of both.",
            atan2,
        ),
        ("math/sinh", "(math/sinh x)\n\nHyperbolic sine.", sinh),
        ("math/cosh", "(math/cosh x)\n\nHyperbolic cosine.", cosh),
        ("math/tanh", "(math/tanh x)\n\nHyperbolic tangent.", tanh),
        (
            "math/asinh",
            "(math/asinh x)\n\nInverse hyperbolic sine.",
            asinh,
        ),
        (
            "math/acosh",
            "(math/acosh x)\n\nInverse hyperbolic cosine.",
            acosh,
        ),
        (
            "math/atanh",
            "(math/atanh x)\n\nInverse hyperbolic tangent.",
            atanh,
        ),
        (
            "math/hypot",
            "(math/hypot a b)\n\nsqrt(a^2 + b^2) without overflow.",
            hypot,
        ),
        (
            "math/gcd",
            "(math/gcd x y)\n\nGreatest common divisor of two integers.",
            gcd,
        ),
        (
            "math/lcm",
            "(math/lcm x y)\n\nLeast common multiple of two integers.",
            lcm,
        ),
        (
            "math/random",
            "(math/random)\n\nA uniform random number in [0, 1).",
            random,
        ),
        (
            "math/seedrandom",
            "(math/seedrandom seed)\n\nReseeds the generator behind math/random (number or bytes).",
            seedrandom,
        ),
        (
            "math/rng",
            "(math/rng &opt seed)\n\nA new core/rng pseudo-random generator.",
            rng_new,
        ),
        (
            "math/rng-uniform",
            "(math/rng-uniform rng)\n\nA uniform number in [0, 1) from rng.",
            rng_uniform,
        ),
        (
            "math/rng-int",
            "(math/rng-int rng &opt max)\n\nA uniform integer in [0, max) from rng.",
            rng_int,
        ),
        (
            "brushift",
            "(brushift x n)\n\nUnsigned (logical) right shift of a 32-bit integer.",
            brushift,
        ),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
    let g = env.iso.heap.abstracts.alloc(Some(Box::new(Rng::seeded(0))));
    env.value(
        "math/default-rng",
        Value::Abstract(g),
        "The generator behind math/random.",
    );
    let consts: &[(&str, f64, &str)] = &[
        ("math/e", std::f64::consts::E, "Euler's number."),
        ("math/-inf", f64::NEG_INFINITY, "Negative infinity."),
        (
            "math/int-max",
            9007199254740992.0,
            "The largest integer a number holds exactly (2^53).",
        ),
        (
            "math/int-min",
            -9007199254740992.0,
            "The smallest integer a number holds exactly (-2^53).",
        ),
        (
            "math/int32-max",
            i32::MAX as f64,
            "The largest 32-bit signed integer.",
        ),
        (
            "math/int32-min",
            i32::MIN as f64,
            "The smallest 32-bit signed integer.",
        ),
    ];
    for (name, v, doc) in consts {
        env.value(name, Value::Num(*v), doc);
    }
}
