//! The `string/` module beyond the basics: searching, replacing, splitting,
//! trimming, case, byte conversion, plus `scan-number`.
//!
//! Invariant: strings are immutable, so every function here returns a new
//! string (or plain data) and never mutates an argument. Byte semantics as
//! in Janet: case folding is ASCII only, offsets are byte offsets.

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::reader;
use crate::value::Value;

type R = Result<Value, Flow>;

/// Byte offset of the first `pat` in `hay` at or after `from`.
pub fn find_from(hay: &[u8], pat: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if pat.is_empty() {
        return Some(from);
    }
    hay[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|i| i + from)
}

fn start_arg(iso: &mut Isolate, a: &[Value], i: usize, len: usize) -> Result<usize, Flow> {
    if matches!(args::opt(a, i), Value::Nil) {
        return Ok(0);
    }
    let n = args::int(iso, a, i)?;
    let n = if n < 0 { len as i64 + n + 1 } else { n };
    Ok(n.clamp(0, len as i64) as usize)
}

fn find(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let pat = args::bytes(iso, a, 0)?;
    let s = args::bytes(iso, a, 1)?;
    let from = start_arg(iso, a, 2, s.len())?;
    Ok(find_from(&s, &pat, from).map_or(Value::Nil, |i| Value::Num(i as f64)))
}

fn find_all(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let pat = args::bytes(iso, a, 0)?;
    let s = args::bytes(iso, a, 1)?;
    let mut from = start_arg(iso, a, 2, s.len())?;
    let mut out = Vec::new();
    while let Some(i) = find_from(&s, &pat, from) {
        out.push(Value::Num(i as f64));
        from = i + pat.len().max(1);
    }
    Ok(iso.heap.array(out))
}

fn replace_impl(iso: &mut Isolate, a: &[Value], all: bool) -> R {
    args::arity(iso, a, 3, Some(3))?;
    let pat = args::bytes(iso, a, 0)?;
    if pat.is_empty() {
        return Err(iso.err("expected non-empty pattern"));
    }
    let sub = match iso.heap.bytes(a[1]) {
        Some(b) => b.to_vec(),
        None => crate::printer::to_text(iso, a[1]).into_bytes(),
    };
    let s = args::bytes(iso, a, 2)?;
    let mut out = Vec::with_capacity(s.len());
    let mut from = 0;
    while let Some(i) = find_from(&s, &pat, from) {
        out.extend_from_slice(&s[from..i]);
        out.extend_from_slice(&sub);
        from = i + pat.len();
        if !all {
            break;
        }
    }
    out.extend_from_slice(&s[from..]);
    Ok(iso.heap.string(&out))
}

fn replace(iso: &mut Isolate, a: &[Value]) -> R {
    replace_impl(iso, a, false)
}

fn replace_all(iso: &mut Isolate, a: &[Value]) -> R {
    replace_impl(iso, a, true)
}

fn split(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(4))?;
    let pat = args::bytes(iso, a, 0)?;
    if pat.is_empty() {
        return Err(iso.err("expected non-empty delimiter"));
    }
    let s = args::bytes(iso, a, 1)?;
    let mut from = start_arg(iso, a, 2, s.len())?;
    let limit = match args::opt(a, 3) {
        Value::Nil => usize::MAX,
        _ => args::int(iso, a, 3)?.max(1) as usize,
    };
    let mut parts = Vec::new();
    while parts.len() + 1 < limit {
        let Some(i) = find_from(&s, &pat, from) else {
            break;
        };
        parts.push(iso.heap.string(&s[from..i]));
        from = i + pat.len();
    }
    parts.push(iso.heap.string(&s[from..]));
    Ok(iso.heap.array(parts))
}

fn trim_set(iso: &mut Isolate, a: &[Value]) -> Result<Vec<u8>, Flow> {
    match args::opt(a, 1) {
        Value::Nil => Ok(b" \t\r\n\x0b\x0c\0".to_vec()),
        _ => args::bytes(iso, a, 1),
    }
}

fn trim_impl(iso: &mut Isolate, a: &[Value], left: bool, right: bool) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let s = args::bytes(iso, a, 0)?;
    let set = trim_set(iso, a)?;
    let mut lo = 0;
    let mut hi = s.len();
    if left {
        while lo < hi && set.contains(&s[lo]) {
            lo += 1;
        }
    }
    if right {
        while hi > lo && set.contains(&s[hi - 1]) {
            hi -= 1;
        }
    }
    Ok(iso.heap.string(&s[lo..hi]))
}

fn trim(iso: &mut Isolate, a: &[Value]) -> R {
    trim_impl(iso, a, true, true)
}

fn triml(iso: &mut Isolate, a: &[Value]) -> R {
    trim_impl(iso, a, true, false)
}

fn trimr(iso: &mut Isolate, a: &[Value]) -> R {
    trim_impl(iso, a, false, true)
}

fn upper(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let s = args::bytes(iso, a, 0)?.to_ascii_uppercase();
    Ok(iso.heap.string(&s))
}

fn lower(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let s = args::bytes(iso, a, 0)?.to_ascii_lowercase();
    Ok(iso.heap.string(&s))
}

fn has_prefix(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let p = args::bytes(iso, a, 0)?;
    let s = args::bytes(iso, a, 1)?;
    Ok(Value::Bool(s.starts_with(&p)))
}

fn has_suffix(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let p = args::bytes(iso, a, 0)?;
    let s = args::bytes(iso, a, 1)?;
    Ok(Value::Bool(s.ends_with(&p)))
}

fn repeat(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let s = args::bytes(iso, a, 0)?;
    let n = args::int(iso, a, 1)?;
    if n < 0 {
        return Err(iso.err("expected non-negative number of repetitions"));
    }
    Ok(iso.heap.string(&s.repeat(n as usize)))
}

fn reverse(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let mut s = args::bytes(iso, a, 0)?;
    s.reverse();
    Ok(iso.heap.string(&s))
}

fn bytes(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let s = args::bytes(iso, a, 0)?;
    let items = s.iter().map(|b| Value::Num(*b as f64)).collect();
    Ok(iso.heap.tuple(items))
}

fn from_bytes(iso: &mut Isolate, a: &[Value]) -> R {
    let mut out = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        out.push((args::int(iso, a, i)? & 0xff) as u8);
    }
    Ok(iso.heap.string(&out))
}

fn check_set(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let set = args::bytes(iso, a, 0)?;
    let s = args::bytes(iso, a, 1)?;
    Ok(Value::Bool(s.iter().all(|b| set.contains(b))))
}

fn scan_number(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let s = args::bytes(iso, a, 0)?;
    if let Value::Num(_) = args::opt(a, 1) {
        let base = args::int(iso, a, 1)?;
        let text = format!("{}r{}", base, String::from_utf8_lossy(&s));
        return Ok(reader::parse_number(text.as_bytes()).map_or(Value::Nil, Value::Num));
    }
    Ok(reader::parse_number(&s).map_or(Value::Nil, Value::Num))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, crate::isolate::NativeFn)] = &[
        ("string/find", "(string/find patt str &opt start-index)\n\nByte index of the first patt in str, or nil.", find),
        ("string/find-all", "(string/find-all patt str &opt start-index)\n\nArray of the indices of every non-overlapping patt in str.", find_all),
        ("string/replace", "(string/replace patt subst str)\n\nReplaces the first patt in str with subst.", replace),
        ("string/replace-all", "(string/replace-all patt subst str)\n\nReplaces every patt in str with subst.", replace_all),
        ("string/split", "(string/split delim str &opt start limit)\n\nArray of the pieces of str between delim (at most limit pieces).", split),
        ("string/trim", "(string/trim str &opt set)\n\nRemoves leading and trailing bytes in set (default whitespace).", trim),
        ("string/triml", "(string/triml str &opt set)\n\nRemoves leading bytes in set (default whitespace).", triml),
        ("string/trimr", "(string/trimr str &opt set)\n\nRemoves trailing bytes in set (default whitespace).", trimr),
        ("string/ascii-upper", "(string/ascii-upper str)\n\nstr with ASCII letters upper-cased.", upper),
        ("string/ascii-lower", "(string/ascii-lower str)\n\nstr with ASCII letters lower-cased.", lower),
        ("string/has-prefix?", "(string/has-prefix? pfx str)\n\nTrue if str starts with pfx.", has_prefix),
        ("string/has-suffix?", "(string/has-suffix? sfx str)\n\nTrue if str ends with sfx.", has_suffix),
        ("string/repeat", "(string/repeat bytes n)\n\nbytes repeated n times.", repeat),
        ("string/reverse", "(string/reverse str)\n\nThe bytes of str in reverse order.", reverse),
        ("string/bytes", "(string/bytes str)\n\nTuple of the byte values of str.", bytes),
        ("string/from-bytes", "(string/from-bytes & byte-vals)\n\nA string of the given byte values.", from_bytes),
        ("string/check-set", "(string/check-set set str)\n\nTrue if every byte of str is in set.", check_set),
        ("scan-number", "(scan-number str &opt base)\n\nParses str as a number with Janet's syntax, or nil.", scan_number),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
}
