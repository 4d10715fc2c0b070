//! The print family routed through the dynamic bindings `:out` and `:err`
//! (Janet's `*out*`/`*err*`): `print prin eprint eprin pp flush eflush`.
//!
//! Invariant: output goes to `(dyn :out)` when that is a buffer (appended)
//! or a `core/file`; otherwise to the isolate's standard stream. A disk
//! file as `*out*` buffers and parks only to drain a full buffer; `stdout`
//! and `stderr` park only while the fd cannot take the bytes, in order
//! (`stdout.rs`, which also honours test capture).

use super::files::{file_mut, write_to, Handle};
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::printer;
use crate::value::Value;

type R = Result<Value, Flow>;

fn current_dyn(iso: &mut Isolate, name: &str) -> Value {
    let env = iso
        .cur
        .and_then(|c| iso.heap.fibers.get(c).env)
        .unwrap_or(iso.env);
    let k = iso.heap.keyword(name);
    iso.table_get(env, k)
}

/// Writes `b` to `(dyn :out)` (or `:err` when `err`).
pub fn emit(iso: &mut Isolate, err: bool, b: &[u8]) -> Result<(), Flow> {
    let target = current_dyn(iso, if err { "err" } else { "out" });
    match target {
        Value::Buffer(r) => iso.heap.buffers.get_mut(r).extend_from_slice(b),
        Value::Abstract(_) if standard_file(iso, target).is_some() => {
            let to_err = standard_file(iso, target) == Some(true);
            super::stdout::print(iso, to_err, b)?;
        }
        Value::Abstract(_) => {
            if file_mut(iso, target).is_none() {
                return Err(iso.err("dynamic :out is not a buffer or file"));
            }
            // A disk file buffers; a full buffer parks this call while it
            // drains, and the call then returns nil as the print family does.
            write_to(iso, target, b, Value::Nil)?;
        }
        _ => super::stdout::print(iso, err, b)?,
    }
    Ok(())
}

/// For the `stdout`/`stderr` file values, whether it is `stderr`.
fn standard_file(iso: &mut Isolate, v: Value) -> Option<bool> {
    match file_mut(iso, v).map(|f| &f.handle) {
        Some(Handle::Stdout) => Some(false),
        Some(Handle::Stderr) => Some(true),
        _ => None,
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

fn print(iso: &mut Isolate, a: &[Value]) -> R {
    let mut t = text(iso, a);
    t.push(b'\n');
    emit(iso, false, &t)?;
    Ok(Value::Nil)
}

fn prin(iso: &mut Isolate, a: &[Value]) -> R {
    let t = text(iso, a);
    emit(iso, false, &t)?;
    Ok(Value::Nil)
}

fn eprint(iso: &mut Isolate, a: &[Value]) -> R {
    let mut t = text(iso, a);
    t.push(b'\n');
    emit(iso, true, &t)?;
    Ok(Value::Nil)
}

fn eprin(iso: &mut Isolate, a: &[Value]) -> R {
    let t = text(iso, a);
    emit(iso, true, &t)?;
    Ok(Value::Nil)
}

fn pp(iso: &mut Isolate, a: &[Value]) -> R {
    super::args::arity(iso, a, 1, Some(1))?;
    let mut t = super::pretty::pretty(iso, a[0]).into_bytes();
    t.push(b'\n');
    emit(iso, false, &t)?;
    Ok(Value::Nil)
}

fn flush(iso: &mut Isolate, _: &[Value]) -> R {
    super::stdout::flush(iso, false, Value::Nil)
}

fn eflush(iso: &mut Isolate, _: &[Value]) -> R {
    super::stdout::flush(iso, true, Value::Nil)
}

/// Registers the module (after `io`, replacing its print family).
pub fn register(env: &mut Env) {
    env.native(
        "print",
        "(print & xs)\n\nWrites xs as text, then a newline, to (dyn :out) (stdout by default).",
        print,
    );
    env.native(
        "prin",
        "(prin & xs)\n\nWrites xs as text to (dyn :out), no newline.",
        prin,
    );
    env.native(
        "eprint",
        "(eprint & xs)\n\nLike print but to (dyn :err) (stderr by default).",
        eprint,
    );
    env.native(
        "eprin",
        "(eprin & xs)\n\nLike prin but to (dyn :err).",
        eprin,
    );
    env.native(
        "pp",
        "(pp x)\n\nPrints x readably (as describe does) and a newline.",
        pp,
    );
    env.native(
        "flush",
        "(flush)\n\nParks until everything printed to standard output so far has been written.",
        flush,
    );
    env.native(
        "eflush",
        "(eflush)\n\nParks until everything printed to standard error so far has been written.",
        eflush,
    );
}
