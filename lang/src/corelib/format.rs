//! `string/format` and the printf family with Janet's directives.
//!
//! A directive is `%[flags][width][.precision]conv`. Flags: `-` left-align,
//! `+` always sign, space (sign slot), `#` alternate form, `0` zero-pad.
//! Conversions: `c d i x X o f F e E g G a A s S t v V j J p P m M q Q n N`
//! and `%%`. Upper-case pretty-print variants (Janet's coloured output) print
//! like their lower-case forms: output is never coloured. `%S`/`%J` are
//! accepted as `%s`/`%j`.
//!
//! Invariant: every directive other than `%%` consumes exactly one argument
//! and a missing argument is an error, never a panic.

use super::args;
use super::output::emit;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::printer;
use crate::value::Value;

#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

/// C-style exponent: `e+05` rather than Rust's `e5`.
fn c_exp(s: String, upper: bool) -> String {
    let Some(i) = s.find('e') else { return s };
    let (mant, exp) = s.split_at(i);
    let exp = &exp[1..];
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    let e = if upper { 'E' } else { 'e' };
    format!("{}{}{}{:0>2}", mant, e, sign, digits)
}

fn fmt_e(n: f64, prec: usize, upper: bool) -> String {
    c_exp(format!("{:.*e}", prec, n), upper)
}

fn strip_zeros(s: &str) -> String {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let mant = if mant.contains('.') {
        mant.trim_end_matches('0').trim_end_matches('.')
    } else {
        mant
    };
    format!("{}{}", mant, exp)
}

fn fmt_g(n: f64, prec: Option<usize>, alt: bool, upper: bool) -> String {
    let p = match prec {
        Some(0) => 1,
        Some(p) => p,
        None => 6,
    };
    if n == 0.0 {
        return if alt {
            format!("{:.*}", p - 1, 0.0)
        } else {
            "0".into()
        };
    }
    let x = format!("{:.*e}", p - 1, n);
    let exp: i32 = x[x.find('e').map_or(0, |i| i + 1)..].parse().unwrap_or(0);
    let s = if exp < -4 || exp >= p as i32 {
        fmt_e(n, p - 1, upper)
    } else {
        format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, n)
    };
    if alt {
        s
    } else {
        strip_zeros(&s)
    }
}

fn fmt_a(n: f64, upper: bool) -> String {
    let sign = if n.is_sign_negative() { "-" } else { "" };
    let a = n.abs();
    let s = if a == 0.0 {
        "0x0p+0".to_string()
    } else {
        let bits = a.to_bits();
        let mut exp = ((bits >> 52) & 0x7ff) as i64;
        let mut mant = bits & ((1u64 << 52) - 1);
        let lead = if exp == 0 {
            exp = -1022;
            0
        } else {
            exp -= 1023;
            1
        };
        let mut hex = format!("{:013x}", mant);
        while hex.ends_with('0') {
            hex.pop();
        }
        mant = 0;
        let _ = mant;
        let frac = if hex.is_empty() {
            String::new()
        } else {
            format!(".{}", hex)
        };
        format!("0x{}{}p{:+}", lead, frac, exp)
    };
    let s = format!("{}{}", sign, s);
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

fn finite(n: f64) -> Option<String> {
    if n.is_nan() {
        Some("nan".into())
    } else if n.is_infinite() {
        Some(if n > 0.0 { "inf".into() } else { "-inf".into() })
    } else {
        None
    }
}

/// Adds the sign and pads a numeric body (which may start with `-`).
fn pad_num(sp: &Spec, body: String, out: &mut Vec<u8>) {
    let (neg, digits) = match body.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, body),
    };
    let sign = if neg {
        "-"
    } else if sp.plus {
        "+"
    } else if sp.space {
        " "
    } else {
        ""
    };
    let len = sign.len() + digits.len();
    let pad = sp.width.saturating_sub(len);
    if sp.left {
        out.extend_from_slice(sign.as_bytes());
        out.extend_from_slice(digits.as_bytes());
        out.extend(std::iter::repeat_n(b' ', pad));
    } else if sp.zero
        && digits
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || b".xXpP+-".contains(&c))
    {
        out.extend_from_slice(sign.as_bytes());
        out.extend(std::iter::repeat_n(b'0', pad));
        out.extend_from_slice(digits.as_bytes());
    } else {
        out.extend(std::iter::repeat_n(b' ', pad));
        out.extend_from_slice(sign.as_bytes());
        out.extend_from_slice(digits.as_bytes());
    }
}

fn pad_text(sp: &Spec, body: &[u8], out: &mut Vec<u8>) {
    let body = match sp.prec {
        Some(p) if p < body.len() => &body[..p],
        _ => body,
    };
    let pad = sp.width.saturating_sub(body.len());
    if !sp.left {
        out.extend(std::iter::repeat_n(b' ', pad));
    }
    out.extend_from_slice(body);
    if sp.left {
        out.extend(std::iter::repeat_n(b' ', pad));
    }
}

/// An integer argument: a finite number (truncated) or a 64-bit integer
/// (all 64 bits, read as its type says), hence i128.
fn integer(iso: &mut Isolate, v: Value) -> Result<i128, Flow> {
    if let Some(x) = super::int64::get(iso, v) {
        return Ok(if x.signed {
            x.bits as i64 as i128
        } else {
            x.bits as i128
        });
    }
    match v {
        Value::Num(n) if n.is_finite() => Ok(n.trunc() as i64 as i128),
        _ => {
            let m = format!("expected integer, got {}", printer::describe(iso, v));
            Err(iso.err(m))
        }
    }
}

fn int_digits(sp: &Spec, n: i128, conv: u8) -> String {
    let mut s = match conv {
        b'x' => format!("{:x}", n.unsigned_abs()),
        b'X' => format!("{:X}", n.unsigned_abs()),
        b'o' => format!("{:o}", n.unsigned_abs()),
        _ => format!("{}", n.unsigned_abs()),
    };
    if let Some(p) = sp.prec {
        while s.len() < p {
            s.insert(0, '0');
        }
    }
    if sp.alt && n != 0 {
        match conv {
            b'x' => s.insert_str(0, "0x"),
            b'X' => s.insert_str(0, "0X"),
            b'o' => s.insert(0, '0'),
            _ => {}
        }
    }
    if n < 0 {
        s.insert(0, '-');
    }
    s
}

/// Formats `a` with `fmt` using Janet's directives.
pub fn format(iso: &mut Isolate, fmt: &[u8], a: &[Value]) -> Result<Vec<u8>, Flow> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut i = 0;
    let mut arg = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let mut sp = Spec::default();
        while let Some(&f) = fmt.get(i) {
            match f {
                b'-' => sp.left = true,
                b'+' => sp.plus = true,
                b' ' => sp.space = true,
                b'#' => sp.alt = true,
                b'0' => sp.zero = true,
                _ => break,
            }
            i += 1;
        }
        while let Some(d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
            sp.width = sp.width * 10 + (d - b'0') as usize;
            i += 1;
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            let mut p = 0;
            while let Some(d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
                p = p * 10 + (d - b'0') as usize;
                i += 1;
            }
            sp.prec = Some(p);
        }
        let Some(&conv) = fmt.get(i) else {
            return Err(iso.err("format string ends in the middle of a directive"));
        };
        i += 1;
        if conv == b'%' {
            out.push(b'%');
            continue;
        }
        let Some(v) = a.get(arg).copied() else {
            return Err(iso.err("not enough arguments to format"));
        };
        arg += 1;
        directive(iso, &sp, conv, v, &mut out)?;
    }
    Ok(out)
}

fn directive(
    iso: &mut Isolate,
    sp: &Spec,
    conv: u8,
    v: Value,
    out: &mut Vec<u8>,
) -> Result<(), Flow> {
    let upper = conv.is_ascii_uppercase();
    match conv {
        b'c' => {
            let n = integer(iso, v)?;
            pad_text(&Spec { prec: None, ..*sp }, &[n as u8], out);
        }
        b'd' | b'i' | b'x' | b'X' | b'o' => {
            let n = integer(iso, v)?;
            let zero = sp.zero && sp.prec.is_none();
            pad_num(&Spec { zero, ..*sp }, int_digits(sp, n, conv), out);
        }
        b'f' | b'F' | b'e' | b'E' | b'g' | b'G' | b'a' | b'A' => {
            let n = args::num(iso, &[v], 0)?;
            let body = match finite(n) {
                Some(s) if upper => s.to_uppercase(),
                Some(s) => s,
                None => match conv.to_ascii_lowercase() {
                    b'f' => format!("{:.*}", sp.prec.unwrap_or(6), n),
                    b'e' => fmt_e(n, sp.prec.unwrap_or(6), upper),
                    b'g' => fmt_g(n, sp.prec, sp.alt, upper),
                    _ => fmt_a(n, upper),
                },
            };
            let zero = sp.zero && n.is_finite();
            pad_num(&Spec { zero, ..*sp }, body, out);
        }
        b's' | b'S' => {
            let text = match iso.heap.bytes(v) {
                Some(b) => b.to_vec(),
                None => printer::to_text(iso, v).into_bytes(),
            };
            pad_text(sp, &text, out);
        }
        b't' => {
            let name = match v {
                Value::Abstract(r) => iso
                    .heap
                    .abstracts
                    .get(r)
                    .as_ref()
                    .map_or("abstract", |x| x.type_name()),
                v => v.type_name(),
            };
            pad_text(sp, name.as_bytes(), out);
        }
        b'V' => {
            let text = match iso.heap.bytes(v) {
                Some(b) => b.to_vec(),
                None => printer::to_text(iso, v).into_bytes(),
            };
            pad_text(&Spec { prec: None, ..*sp }, &text, out);
        }
        b'p' | b'P' | b'm' | b'M' => {
            let text = super::pretty::pretty(iso, v);
            pad_text(&Spec { prec: None, ..*sp }, text.as_bytes(), out);
        }
        b'v' | b'j' | b'J' | b'q' | b'Q' | b'n' | b'N' => {
            let text = printer::describe(iso, v);
            pad_text(&Spec { prec: None, ..*sp }, text.as_bytes(), out);
        }
        _ => {
            return Err(iso.err(format!("invalid format directive %{}", conv as char)));
        }
    }
    Ok(())
}

fn fmt_args(iso: &mut Isolate, a: &[Value]) -> Result<Vec<u8>, Flow> {
    args::arity(iso, a, 1, None)?;
    let fmt = args::bytes(iso, a, 0)?;
    format(iso, &fmt, &a[1..])
}

fn string_format(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let out = fmt_args(iso, a)?;
    Ok(iso.heap.string(&out))
}

fn printf(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let mut out = fmt_args(iso, a)?;
    out.push(b'\n');
    emit(iso, false, &out)?;
    Ok(Value::Nil)
}

fn prinf(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let out = fmt_args(iso, a)?;
    emit(iso, false, &out)?;
    Ok(Value::Nil)
}

fn eprintf(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let mut out = fmt_args(iso, a)?;
    out.push(b'\n');
    emit(iso, true, &out)?;
    Ok(Value::Nil)
}

fn eprinf(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let out = fmt_args(iso, a)?;
    emit(iso, true, &out)?;
    Ok(Value::Nil)
}

fn buffer_format(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, None)?;
    let Value::Buffer(b) = a[0] else {
        return Err(iso.err("bad slot #0, expected buffer"));
    };
    let fmt = args::bytes(iso, a, 1)?;
    let out = format(iso, &fmt, &a[2..])?;
    iso.heap.buffers.get_mut(b).extend_from_slice(&out);
    Ok(a[0])
}

/// Registers the module (after `io`, replacing its simpler formatter).
pub fn register(env: &mut Env) {
    env.native("string/format", "(string/format format & values)\n\nA string of values formatted by format's directives: %c %d %i %x %X %o %f %e %g %a %s %t %v %V %j %p %m %q %n with flags - + space # 0, width and .precision.", string_format);
    env.native(
        "printf",
        "(printf fmt & xs)\n\nPrints (string/format fmt ;xs) and a newline to (dyn :out).",
        printf,
    );
    env.native(
        "prinf",
        "(prinf fmt & xs)\n\nPrints (string/format fmt ;xs) to (dyn :out).",
        prinf,
    );
    env.native(
        "eprintf",
        "(eprintf fmt & xs)\n\nPrints (string/format fmt ;xs) and a newline to (dyn :err).",
        eprintf,
    );
    env.native(
        "eprinf",
        "(eprinf fmt & xs)\n\nPrints (string/format fmt ;xs) to (dyn :err).",
        eprinf,
    );
    env.native(
        "buffer/format",
        "(buffer/format buffer format & args)\n\nAppends formatted text to buffer.",
        buffer_format,
    );
}
