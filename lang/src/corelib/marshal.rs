//! `marshal` and `unmarshal`: values to bytes and back (to move data
//! between isolates, or to disk).
//!
//! Format: one tag byte per value, then its payload; lengths and numbers
//! are little-endian. Mutable kinds (arrays, tables, buffers) and structs /
//! tuples get an index when first written; a later occurrence of the same
//! mutable object is written as `REF index`, so shared structure and
//! cycles survive the round trip. 64-bit integers (`core/s64`,
//! `core/u64`) are written as their type and bits. Functions, fibers and
//! other abstract values cannot be marshalled (error).
//!
//! Invariant: `unmarshal` never panics on malformed input; it raises
//! "invalid marshal data".

use super::args;
use super::int64;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::table::TableObj;
use crate::value::{Ref, Value};
use std::collections::HashMap;

const NIL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUM: u8 = 3;
const STR: u8 = 4;
const BUF: u8 = 5;
const KW: u8 = 6;
const SYM: u8 = 7;
const TUP: u8 = 8;
const ARR: u8 = 9;
const STRUCT: u8 = 10;
const TABLE: u8 = 11;
const REF: u8 = 12;
const S64: u8 = 13;
const U64: u8 = 14;

struct Writer {
    out: Vec<u8>,
    seen: HashMap<(u8, Ref), u32>,
    next: u32,
}

impl Writer {
    fn len(&mut self, n: usize) {
        self.out.extend_from_slice(&(n as u32).to_le_bytes());
    }

    fn bytes(&mut self, tag: u8, b: &[u8]) {
        self.out.push(tag);
        self.len(b.len());
        self.out.extend_from_slice(b);
    }

    /// Writes REF if `r` was seen; otherwise records it and returns false.
    fn back_ref(&mut self, kind: u8, r: Ref) -> bool {
        if let Some(i) = self.seen.get(&(kind, r)) {
            let i = *i;
            self.out.push(REF);
            self.len(i as usize);
            return true;
        }
        self.seen.insert((kind, r), self.next);
        self.next += 1;
        false
    }

    fn value(&mut self, iso: &mut Isolate, v: Value, depth: usize) -> Result<(), Flow> {
        if depth > 1000 {
            return Err(iso.err("marshal: value too deeply nested"));
        }
        match v {
            Value::Nil => self.out.push(NIL),
            Value::Bool(false) => self.out.push(FALSE),
            Value::Bool(true) => self.out.push(TRUE),
            Value::Num(n) => {
                self.out.push(NUM);
                self.out.extend_from_slice(&n.to_le_bytes());
            }
            Value::Str(_) | Value::Keyword(_) | Value::Symbol(_) => {
                let tag = match v {
                    Value::Str(_) => STR,
                    Value::Keyword(_) => KW,
                    _ => SYM,
                };
                let b = iso.heap.bytes(v).unwrap_or_default().to_vec();
                self.bytes(tag, &b);
            }
            Value::Buffer(r) => {
                if !self.back_ref(BUF, r) {
                    let b = iso.heap.buffers.get(r).clone();
                    self.bytes(BUF, &b);
                }
            }
            Value::Tuple(r) | Value::Array(r) => {
                let tag = if matches!(v, Value::Tuple(_)) {
                    TUP
                } else {
                    ARR
                };
                if self.back_ref(tag, r) {
                    return Ok(());
                }
                let items = iso.heap.items(v).unwrap_or_default().to_vec();
                self.out.push(tag);
                self.len(items.len());
                for x in items {
                    self.value(iso, x, depth + 1)?;
                }
            }
            Value::Struct(r) | Value::Table(r) => {
                let table = matches!(v, Value::Table(_));
                let tag = if table { TABLE } else { STRUCT };
                if self.back_ref(tag, r) {
                    return Ok(());
                }
                let t = if table {
                    iso.heap.tables.get(r)
                } else {
                    iso.heap.structs.get(r)
                };
                let pairs: Vec<(Value, Value)> = t.iter().collect();
                let proto = t.proto;
                self.out.push(tag);
                self.len(pairs.len());
                match proto {
                    Some(p) if table => self.value(iso, Value::Table(p), depth + 1)?,
                    Some(p) => self.value(iso, Value::Struct(p), depth + 1)?,
                    None => self.out.push(NIL),
                }
                for (k, x) in pairs {
                    self.value(iso, k, depth + 1)?;
                    self.value(iso, x, depth + 1)?;
                }
            }
            other => {
                if let Some(x) = int64::get(iso, other) {
                    self.out.push(if x.signed { S64 } else { U64 });
                    self.out.extend_from_slice(&x.bits.to_le_bytes());
                    return Ok(());
                }
                let kind = match other {
                    Value::Abstract(r) => iso
                        .heap
                        .abstracts
                        .get(r)
                        .as_ref()
                        .map_or("abstract", |a| a.type_name()),
                    _ => other.type_name(),
                };
                let m = format!("marshal: cannot marshal a {}", kind);
                return Err(iso.err(m));
            }
        }
        Ok(())
    }
}

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    refs: Vec<Value>,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.src.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    fn len(&mut self) -> Option<usize> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn value(&mut self, iso: &mut Isolate, depth: usize) -> Option<Value> {
        if depth > 1000 {
            return None;
        }
        let tag = *self.take(1)?.first()?;
        Some(match tag {
            NIL => Value::Nil,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            NUM => {
                let b = self.take(8)?;
                Value::Num(f64::from_le_bytes(b.try_into().ok()?))
            }
            STR | KW | SYM | BUF => {
                let n = self.len()?;
                let b = self.take(n)?.to_vec();
                match tag {
                    STR => iso.heap.string(&b),
                    KW => iso.heap.keyword(std::str::from_utf8(&b).ok()?),
                    SYM => iso.heap.symbol(std::str::from_utf8(&b).ok()?),
                    _ => {
                        let v = iso.heap.buffer(b);
                        self.refs.push(v);
                        v
                    }
                }
            }
            TUP | ARR => {
                let n = self.len()?;
                if n > self.src.len() {
                    return None;
                }
                let slot = self.refs.len();
                let arr = iso.heap.array(Vec::with_capacity(n));
                self.refs.push(arr);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(iso, depth + 1)?);
                }
                if tag == ARR {
                    if let Value::Array(r) = arr {
                        *iso.heap.arrays.get_mut(r) = items;
                    }
                    arr
                } else {
                    let t = iso.heap.tuple(items);
                    self.refs[slot] = t;
                    t
                }
            }
            STRUCT | TABLE => {
                let n = self.len()?;
                if n > self.src.len() {
                    return None;
                }
                let slot = self.refs.len();
                let tv = iso.heap.table(TableObj::default());
                self.refs.push(tv);
                let proto = self.value(iso, depth + 1)?;
                let mut kv = Vec::with_capacity(2 * n);
                for _ in 0..2 * n {
                    kv.push(self.value(iso, depth + 1)?);
                }
                let mut t = crate::vm::ops::table_from_pairs(&iso.heap, &kv);
                t.proto = match proto {
                    Value::Table(p) | Value::Struct(p) => Some(p),
                    _ => None,
                };
                if tag == TABLE {
                    if let Value::Table(r) = tv {
                        *iso.heap.tables.get_mut(r) = t;
                    }
                    tv
                } else {
                    let s = iso.heap.strukt(t);
                    self.refs[slot] = s;
                    s
                }
            }
            S64 | U64 => {
                let b = self.take(8)?;
                let bits = u64::from_le_bytes(b.try_into().ok()?);
                int64::new_int(iso, bits, tag == S64)
            }
            REF => {
                let i = self.len()?;
                *self.refs.get(i)?
            }
            _ => return None,
        })
    }
}

/// `v` as marshal bytes (also the copy form of queue items); raises as
/// `marshal` does.
pub fn to_bytes(iso: &mut Isolate, v: Value) -> Result<Vec<u8>, Flow> {
    let mut w = Writer {
        out: Vec::new(),
        seen: HashMap::new(),
        next: 0,
    };
    w.value(iso, v, 0)?;
    Ok(w.out)
}

/// The value marshalled in `src`; raises "invalid marshal data".
pub fn from_bytes(iso: &mut Isolate, src: &[u8]) -> Result<Value, Flow> {
    let mut r = Reader {
        src,
        pos: 0,
        refs: Vec::new(),
    };
    match r.value(iso, 0) {
        Some(v) => Ok(v),
        None => Err(iso.err("invalid marshal data")),
    }
}

fn marshal(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let out = to_bytes(iso, a[0])?;
    match args::opt(a, 2) {
        Value::Buffer(b) => {
            iso.heap.buffers.get_mut(b).extend_from_slice(&out);
            Ok(a[2])
        }
        _ => Ok(iso.heap.buffer(out)),
    }
}

fn unmarshal(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let src = args::bytes(iso, a, 0)?;
    from_bytes(iso, &src)
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native(
        "marshal",
        "(marshal x &opt reverse-lookup buffer)\n\nSerializes x (nil, booleans, numbers, strings, buffers, keywords, symbols, tuples, arrays, structs, tables with prototypes, 64-bit integers; shared and cyclic structure kept) into a buffer.",
        marshal,
    );
    env.native(
        "unmarshal",
        "(unmarshal buffer &opt lookup)\n\nThe value serialized in buffer by marshal.",
        unmarshal,
    );
}
