//! Output: `print` and friends, and `string/format`.
//!
//! Invariant: all output of an isolate goes through `write_out`/`write_err`,
//! which honour `Isolate::capture` (used by tests) and otherwise queue on
//! the process's stdout/stderr sinks in order, never waiting (`stdout.rs`).

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::printer;
use crate::value::Value;

/// Writes to the isolate's standard output.
pub fn write_out(iso: &mut Isolate, b: &[u8]) {
    match &mut iso.capture {
        Some(buf) => buf.extend_from_slice(b),
        None => super::stdout::write_detached(false, b),
    }
}

/// Writes to the isolate's standard error.
pub fn write_err(iso: &mut Isolate, b: &[u8]) {
    match &mut iso.capture {
        Some(buf) => buf.extend_from_slice(b),
        None => super::stdout::write_detached(true, b),
    }
}

fn text(iso: &Isolate, a: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in a {
        match iso.heap.bytes(*v) {
            Some(b) => out.extend_from_slice(b),
            None => out.extend_from_slice(printer::to_text(iso, *v).as_bytes()),
        }
    }
    out
}

fn print(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let mut t = text(iso, a);
    t.push(b'\n');
    write_out(iso, &t);
    Ok(Value::Nil)
}

fn prin(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let t = text(iso, a);
    write_out(iso, &t);
    Ok(Value::Nil)
}

fn eprint(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let mut t = text(iso, a);
    t.push(b'\n');
    write_err(iso, &t);
    Ok(Value::Nil)
}

fn eprin(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let t = text(iso, a);
    write_err(iso, &t);
    Ok(Value::Nil)
}

fn pp(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let mut t = printer::describe(iso, a[0]).into_bytes();
    t.push(b'\n');
    write_out(iso, &t);
    Ok(Value::Nil)
}

/// Formats `fmt` with `a` as Janet's `string/format` does (the common directives).
pub fn format(iso: &mut Isolate, fmt: &[u8], a: &[Value]) -> Result<Vec<u8>, Flow> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut arg = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let start = i;
        while i < fmt.len() && b"-+ #0123456789.".contains(&fmt[i]) {
            i += 1;
        }
        let spec = String::from_utf8_lossy(&fmt[start..i]).into_owned();
        let Some(&d) = fmt.get(i) else {
            return Err(iso.err("format string ends in the middle of a directive"));
        };
        i += 1;
        if d == b'%' {
            out.push(b'%');
            continue;
        }
        let Some(v) = a.get(arg).copied() else {
            return Err(iso.err("not enough arguments to format"));
        };
        arg += 1;
        let (width, prec) = match spec
            .trim_start_matches(['-', '+', ' ', '#', '0'])
            .split_once('.')
        {
            Some((w, p)) => (w.parse::<usize>().unwrap_or(0), p.parse::<usize>().ok()),
            None => (
                spec.trim_start_matches(['-', '+', ' ', '#', '0'])
                    .parse::<usize>()
                    .unwrap_or(0),
                None,
            ),
        };
        let left = spec.starts_with('-');
        let zero = spec.starts_with('0');
        let body = match d {
            b'd' | b'i' => {
                let n = args::num(iso, &[v], 0)?;
                format!("{}", n.trunc() as i64)
            }
            b'x' | b'X' => {
                let n = args::int(iso, &[v], 0)?;
                if d == b'x' {
                    format!("{:x}", n)
                } else {
                    format!("{:X}", n)
                }
            }
            b'f' | b'F' => format!("{:.*}", prec.unwrap_or(6), args::num(iso, &[v], 0)?),
            b'e' | b'E' => format!("{:.*e}", prec.unwrap_or(6), args::num(iso, &[v], 0)?),
            b'g' | b'G' => printer::number(args::num(iso, &[v], 0)?),
            b'c' => (args::int(iso, &[v], 0)? as u8 as char).to_string(),
            b's' | b'S' => match iso.heap.bytes(v) {
                Some(b) => String::from_utf8_lossy(b).into_owned(),
                None => printer::to_text(iso, v),
            },
            b'q' | b'v' | b'p' | b'j' | b'm' | b'Q' | b'V' | b'P' | b'M' => {
                printer::describe(iso, v)
            }
            b't' => v.type_name().to_string(),
            _ => return Err(iso.err(format!("invalid format directive %{}", d as char))),
        };
        let pad = width.saturating_sub(body.chars().count());
        if left {
            out.extend_from_slice(body.as_bytes());
            out.extend(std::iter::repeat_n(b' ', pad));
        } else {
            out.extend(std::iter::repeat_n(if zero { b'0' } else { b' ' }, pad));
            out.extend_from_slice(body.as_bytes());
        }
    }
    Ok(out)
}

fn string_format(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let fmt = args::bytes(iso, a, 0)?;
    let out = format(iso, &fmt, &a[1..])?;
    Ok(iso.heap.string(&out))
}

fn printf(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let fmt = args::bytes(iso, a, 0)?;
    let mut out = format(iso, &fmt, &a[1..])?;
    out.push(b'\n');
    write_out(iso, &out);
    Ok(Value::Nil)
}

fn prinf(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let fmt = args::bytes(iso, a, 0)?;
    let out = format(iso, &fmt, &a[1..])?;
    write_out(iso, &out);
    Ok(Value::Nil)
}

fn flush(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    super::stdout::flush(iso, false, Value::Nil)
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native(
        "print",
        "(print & xs)\n\nWrites xs as text and a newline.",
        print,
    );
    env.native("prin", "(prin & xs)\n\nWrites xs as text.", prin);
    env.native("eprint", "(eprint & xs)\n\nprint to stderr.", eprint);
    env.native("eprin", "(eprin & xs)\n\nprin to stderr.", eprin);
    env.native("pp", "(pp x)\n\nPrints x readably.", pp);
    env.native(
        "printf",
        "(printf fmt & xs)\n\nPrints formatted text and a newline.",
        printf,
    );
    env.native("prinf", "(prinf fmt & xs)\n\nPrints formatted text.", prinf);
    env.native(
        "string/format",
        "(string/format fmt & xs)\n\nFormatted string.",
        string_format,
    );
    env.native("flush", "(flush)\n\nFlushes stdout.", flush);
}
