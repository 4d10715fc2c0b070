//! The incremental parser (`parser/new`, `consume`, `byte`, `produce`,
//! `has-more`, `status`, `error`, `eof`, `flush`) and `balance`, the
//! delimiter check the REPL uses to decide whether input is complete.
//!
//! Invariant: bytes are buffered until they form complete top-level forms;
//! a form is only read once `balance` says the pending text is closed, so a
//! half-typed form is never reported as an error, only as `:pending`.

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate, NativeFn};
use crate::objects::AbstractType;
use crate::reader::Reader;
use crate::value::Value;
use std::collections::VecDeque;

type R = Result<Value, Flow>;

/// Whether some source text closes all its delimiters and strings.
#[derive(Debug, PartialEq, Eq)]
pub enum Balance {
    /// Every opened delimiter and string is closed.
    Closed,
    /// Something is still open (more input may complete it).
    Open,
    /// A closing delimiter without an opener: no more input can fix it.
    Broken,
}

/// Scans `src` for open delimiters, strings (`"..."`, backquote long
/// strings) and comments.
pub fn balance(src: &[u8]) -> Balance {
    let mut depth: i64 = 0;
    let mut i = 0;
    while i < src.len() {
        match src[i] {
            b'#' => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < src.len() && src[i] != b'"' {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= src.len() {
                    return Balance::Open;
                }
            }
            b'`' => {
                let mut n = 0;
                while i < src.len() && src[i] == b'`' {
                    n += 1;
                    i += 1;
                }
                let close = vec![b'`'; n];
                match src[i..].windows(n).position(|w| w == close.as_slice()) {
                    Some(p) => i += p + n - 1,
                    None => return Balance::Open,
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return Balance::Broken;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        Balance::Open
    } else {
        Balance::Closed
    }
}

/// The `core/parser` abstract value.
#[derive(Debug, Default)]
pub struct ParserObj {
    pending: Vec<u8>,
    queue: VecDeque<Value>,
    error: Option<String>,
}

impl AbstractType for ParserObj {
    fn type_name(&self) -> &'static str {
        "core/parser"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.extend(self.queue.iter().copied());
    }
}

fn parser_mut(iso: &mut Isolate, v: Value) -> Result<&mut ParserObj, Flow> {
    let is = match v {
        Value::Abstract(r) => iso.heap.abstracts.get(r).as_ref().is_some_and(|b| {
            let any: &dyn std::any::Any = b.as_ref();
            any.is::<ParserObj>()
        }),
        _ => false,
    };
    if !is {
        return Err(iso.err("bad slot #0, expected core/parser"));
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
    Ok(any.downcast_mut::<ParserObj>().expect("checked above"))
}

/// Reads every complete form out of the parser's pending bytes.
fn drain(iso: &mut Isolate, v: Value, at_eof: bool) -> Result<(), Flow> {
    let pending = std::mem::take(&mut parser_mut(iso, v)?.pending);
    let mut pos = 0;
    let mut forms = Vec::new();
    let mut error = None;
    while pos < pending.len() {
        let rest = &pending[pos..];
        let mut r = Reader::new(rest);
        match r.next_form(&mut iso.heap) {
            Ok(Some(f)) => {
                forms.push(f);
                pos += r.position().0;
            }
            Ok(None) => {
                pos = pending.len();
            }
            Err(_) if !at_eof && balance(rest) == Balance::Open => break,
            Err(e) => {
                error = Some(format!("{}:{}: {}", e.line, e.col, e.msg));
                pos = pending.len();
            }
        }
    }
    let p = parser_mut(iso, v)?;
    p.pending = pending[pos..].to_vec();
    p.queue.extend(forms);
    if error.is_some() {
        p.error = error;
    }
    Ok(())
}

fn new(iso: &mut Isolate, _: &[Value]) -> R {
    let r = iso.heap.abstracts.alloc(Some(Box::<ParserObj>::default()));
    Ok(Value::Abstract(r))
}

fn consume(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let bytes = args::bytes(iso, a, 1)?;
    let from = match args::opt(a, 2) {
        Value::Nil => 0,
        _ => args::int(iso, a, 2)?.clamp(0, bytes.len() as i64) as usize,
    };
    parser_mut(iso, a[0])?
        .pending
        .extend_from_slice(&bytes[from..]);
    drain(iso, a[0], false)?;
    Ok(Value::Num((bytes.len() - from) as f64))
}

fn byte(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let b = args::int(iso, a, 1)? as u8;
    parser_mut(iso, a[0])?.pending.push(b);
    drain(iso, a[0], false)?;
    Ok(a[0])
}

fn produce(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    Ok(parser_mut(iso, a[0])?.queue.pop_front().unwrap_or_default())
}

fn has_more(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Bool(!parser_mut(iso, a[0])?.queue.is_empty()))
}

fn status(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let p = parser_mut(iso, a[0])?;
    let s = if p.error.is_some() {
        "error"
    } else if p.pending.iter().any(|b| !b.is_ascii_whitespace()) {
        "pending"
    } else {
        "root"
    };
    Ok(iso.heap.keyword(s))
}

fn error(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let e = parser_mut(iso, a[0])?.error.take();
    Ok(e.map_or(Value::Nil, |m| iso.heap.string(m.as_bytes())))
}

fn eof(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    drain(iso, a[0], true)?;
    Ok(a[0])
}

fn flush(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let p = parser_mut(iso, a[0])?;
    p.pending.clear();
    p.queue.clear();
    p.error = None;
    Ok(a[0])
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, NativeFn)] = &[
        ("parser/new", "(parser/new)\n\nA new incremental parser (core/parser).", new),
        ("parser/consume", "(parser/consume parser bytes &opt index)\n\nFeeds bytes to the parser; complete forms become available to parser/produce. Returns the number of bytes read.", consume),
        ("parser/byte", "(parser/byte parser b)\n\nFeeds one byte to the parser.", byte),
        ("parser/produce", "(parser/produce parser &opt wrap)\n\nDequeues the next complete form (nil if none).", produce),
        ("parser/has-more", "(parser/has-more parser)\n\nTrue if a complete form is waiting.", has_more),
        ("parser/status", "(parser/status parser)\n\n:root (between forms), :pending (inside a form) or :error.", status),
        ("parser/error", "(parser/error parser)\n\nThe pending parse error message (clearing it), or nil.", error),
        ("parser/eof", "(parser/eof parser)\n\nSignals end of input: reads what is left (an unclosed form becomes an error).", eof),
        ("parser/flush", "(parser/flush parser)\n\nDiscards pending bytes, queued forms and errors.", flush),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
}
