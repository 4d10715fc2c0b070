//! The `buffer/` module: mutable byte buffers.
//!
//! Invariant: only functions whose first argument is the buffer mutate it,
//! and they return that same buffer (so calls chain); indices are byte
//! offsets checked against the current length.

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::printer;
use crate::value::{Ref, Value};

type R = Result<Value, Flow>;

fn buf(iso: &mut Isolate, a: &[Value], i: usize) -> Result<Ref, Flow> {
    match a.get(i) {
        Some(Value::Buffer(r)) => Ok(*r),
        _ => Err(iso.err(format!("bad slot #{}, expected buffer", i))),
    }
}

fn new(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let n = args::int(iso, a, 0)?.max(0) as usize;
    Ok(iso.heap.buffer(Vec::with_capacity(n)))
}

fn new_filled(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let n = args::int(iso, a, 0)?.max(0) as usize;
    let b = match args::opt(a, 1) {
        Value::Nil => 0,
        _ => args::int(iso, a, 1)? as u8,
    };
    Ok(iso.heap.buffer(vec![b; n]))
}

fn push(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, None)?;
    let r = buf(iso, a, 0)?;
    let mut out = Vec::new();
    for (i, v) in a.iter().enumerate().skip(1) {
        match (v, iso.heap.bytes(*v)) {
            (_, Some(b)) => out.extend_from_slice(b),
            (Value::Num(_), _) => out.push(args::int(iso, a, i)? as u8),
            _ => {
                let m = format!(
                    "bad slot #{}, expected bytes or byte, got {}",
                    i,
                    printer::describe(iso, *v)
                );
                return Err(iso.err(m));
            }
        }
    }
    iso.heap.buffers.get_mut(r).extend_from_slice(&out);
    Ok(a[0])
}

fn push_byte(iso: &mut Isolate, a: &[Value]) -> R {
    let r = buf(iso, a, 0)?;
    let mut out = Vec::new();
    for i in 1..a.len() {
        out.push(args::int(iso, a, i)? as u8);
    }
    iso.heap.buffers.get_mut(r).extend_from_slice(&out);
    Ok(a[0])
}

fn push_word(iso: &mut Isolate, a: &[Value]) -> R {
    let r = buf(iso, a, 0)?;
    let mut out = Vec::new();
    for i in 1..a.len() {
        out.extend_from_slice(&(args::int(iso, a, i)? as u32).to_le_bytes());
    }
    iso.heap.buffers.get_mut(r).extend_from_slice(&out);
    Ok(a[0])
}

fn popn(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let r = buf(iso, a, 0)?;
    let n = args::int(iso, a, 1)?.max(0) as usize;
    let b = iso.heap.buffers.get_mut(r);
    b.truncate(b.len().saturating_sub(n));
    Ok(a[0])
}

fn clear(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let r = buf(iso, a, 0)?;
    iso.heap.buffers.get_mut(r).clear();
    Ok(a[0])
}

fn trim(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let r = buf(iso, a, 0)?;
    iso.heap.buffers.get_mut(r).shrink_to_fit();
    Ok(a[0])
}

/// Resolves a Janet slice index (negative counts from the end, -1 = len).
pub fn index(
    iso: &mut Isolate,
    a: &[Value],
    i: usize,
    len: usize,
    dflt: usize,
) -> Result<usize, Flow> {
    if matches!(args::opt(a, i), Value::Nil) {
        return Ok(dflt);
    }
    let n = args::int(iso, a, i)?;
    let k = if n < 0 { len as i64 + n + 1 } else { n };
    if k < 0 || k > len as i64 {
        return Err(iso.err(format!("index {} out of range [0,{}]", n, len)));
    }
    Ok(k as usize)
}

fn slice(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(3))?;
    let b = args::bytes(iso, a, 0)?;
    let lo = index(iso, a, 1, b.len(), 0)?;
    let hi = index(iso, a, 2, b.len(), b.len())?;
    Ok(iso.heap.buffer(b[lo..hi.max(lo)].to_vec()))
}

fn blit(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(5))?;
    let r = buf(iso, a, 0)?;
    let src = args::bytes(iso, a, 1)?;
    let dlen = iso.heap.buffers.get(r).len();
    let at = match args::opt(a, 2) {
        Value::Nil => 0,
        _ => {
            let n = args::int(iso, a, 2)?;
            (if n < 0 { dlen as i64 + n + 1 } else { n }).max(0) as usize
        }
    };
    let lo = index(iso, a, 3, src.len(), 0)?;
    let hi = index(iso, a, 4, src.len(), src.len())?;
    let part = &src[lo..hi.max(lo)];
    let b = iso.heap.buffers.get_mut(r);
    if b.len() < at + part.len() {
        b.resize(at + part.len(), 0);
    }
    b[at..at + part.len()].copy_from_slice(part);
    Ok(a[0])
}

fn fill(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let r = buf(iso, a, 0)?;
    let v = match args::opt(a, 1) {
        Value::Nil => 0,
        _ => args::int(iso, a, 1)? as u8,
    };
    iso.heap.buffers.get_mut(r).fill(v);
    Ok(a[0])
}

fn bit_op(iso: &mut Isolate, a: &[Value], op: u8) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let r = buf(iso, a, 0)?;
    let i = args::int(iso, a, 1)?;
    let len = iso.heap.buffers.get(r).len();
    if i < 0 || (i as usize) / 8 >= len {
        return Err(iso.err(format!("bit index {} out of range", i)));
    }
    let (byte, mask) = (i as usize / 8, 1u8 << (i % 8));
    let b = iso.heap.buffers.get_mut(r);
    match op {
        b's' => b[byte] |= mask,
        b'c' => b[byte] &= !mask,
        b't' => b[byte] ^= mask,
        _ => return Ok(Value::Bool(b[byte] & mask != 0)),
    }
    Ok(a[0])
}

fn bit_set(iso: &mut Isolate, a: &[Value]) -> R {
    bit_op(iso, a, b's')
}
fn bit_clear(iso: &mut Isolate, a: &[Value]) -> R {
    bit_op(iso, a, b'c')
}
fn bit_toggle(iso: &mut Isolate, a: &[Value]) -> R {
    bit_op(iso, a, b't')
}
fn bit_get(iso: &mut Isolate, a: &[Value]) -> R {
    bit_op(iso, a, b'g')
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, crate::isolate::NativeFn)] = &[
        ("buffer/new", "(buffer/new capacity)\n\nAn empty buffer with room for capacity bytes.", new),
        ("buffer/new-filled", "(buffer/new-filled count &opt byte)\n\nA buffer of count copies of byte (default 0).", new_filled),
        ("buffer/push", "(buffer/push buffer & xs)\n\nAppends byte sequences and byte values; returns buffer.", push),
        ("buffer/push-string", "(buffer/push-string buffer & xs)\n\nAppends byte sequences; returns buffer.", push),
        ("buffer/push-byte", "(buffer/push-byte buffer & bytes)\n\nAppends byte values; returns buffer.", push_byte),
        ("buffer/push-word", "(buffer/push-word buffer & words)\n\nAppends 32-bit little-endian words; returns buffer.", push_word),
        ("buffer/popn", "(buffer/popn buffer n)\n\nRemoves the last n bytes; returns buffer.", popn),
        ("buffer/clear", "(buffer/clear buffer)\n\nEmpties buffer; returns it.", clear),
        ("buffer/trim", "(buffer/trim buffer)\n\nReleases unused capacity; returns buffer.", trim),
        ("buffer/slice", "(buffer/slice bytes &opt start end)\n\nA new buffer of a byte range.", slice),
        ("buffer/blit", "(buffer/blit dest src &opt dest-start src-start src-end)\n\nCopies src bytes into dest at dest-start, growing dest; returns dest.", blit),
        ("buffer/fill", "(buffer/fill buffer &opt byte)\n\nSets every byte to byte (default 0); returns buffer.", fill),
        ("buffer/bit-set", "(buffer/bit-set buffer index)\n\nSets bit index; returns buffer.", bit_set),
        ("buffer/bit-clear", "(buffer/bit-clear buffer index)\n\nClears bit index; returns buffer.", bit_clear),
        ("buffer/bit-toggle", "(buffer/bit-toggle buffer index)\n\nFlips bit index; returns buffer.", bit_toggle),
        ("buffer/bit", "(buffer/bit buffer index)\n\nTrue if bit index is set.", bit_get),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
}
