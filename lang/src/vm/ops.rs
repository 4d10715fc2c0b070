//! Data operations of the VM off the hot path: indexing, `put`, data
//! constructors, conversions, and arithmetic on non-numbers (operator
//! methods, or the error text when there is none).
//!
//! Invariant: these functions only read and allocate; they never collect
//! (collection happens at the safe point after the instruction).

use super::interp::{Exit, MethodCall};
use crate::bytecode::{Op, Proto};
use crate::heap::Heap;
use crate::printer;
use crate::table::{hash_num, hash_sym, num_index, TableObj, KEYWORD_TAG};
use crate::value::Value;

/// Error text for arithmetic on non-numbers, as Janet words it.
pub fn arith_error(heap: &Heap, op: &str, x: Value, y: Value) -> String {
    format!(
        "could not find method :{} for {}, or :r{} for {}",
        op,
        printer::describe_heap(heap, x),
        op,
        printer::describe_heap(heap, y)
    )
}

/// Janet's operator overloading: `(op x y)` with a non-number operand calls
/// x's `op` method with `(x y)`, or else y's `rop` method with `(y x)`.
/// Returns the method and its arguments.
pub fn operator_method(
    heap: &mut Heap,
    op: &str,
    rop: Option<&str>,
    x: Value,
    y: Value,
) -> Option<(Value, [Value; 2])> {
    let callable = |m: Value| matches!(m, Value::Closure(_) | Value::Native(_));
    if !matches!(x, Value::Num(_)) {
        let key = heap.keyword(op);
        let m = get(heap, x, key);
        if callable(m) {
            return Some((m, [x, y]));
        }
    }
    match rop {
        Some(rop) if !matches!(y, Value::Num(_)) => {
            let key = heap.keyword(rop);
            let m = get(heap, y, key);
            callable(m).then_some((m, [y, x]))
        }
        _ => None,
    }
}

/// The slow path of an arithmetic instruction whose operands are not both
/// numbers: an operator-method call for the outer loop, or Janet's error.
pub fn arith_slow(heap: &mut Heap, op: &str, rop: &str, dest: usize, x: Value, y: Value) -> Exit {
    match operator_method(heap, op, Some(rop), x, y) {
        Some((f, args)) => Exit::Method(Box::new(MethodCall { dest, f, args })),
        None => Exit::Error(arith_error(heap, op, x, y)),
    }
}

/// `%` on numbers: C's `fmod` (the sign of x). Integral operands take the
/// integer remainder, which is exact and equal to `fmod` (the sign is copied
/// from x so that `(% -4 2)` is -0 as `fmod` makes it), avoiding the slow
/// software `fmod` on the common case.
#[inline]
pub fn remainder(x: f64, y: f64) -> f64 {
    const SAFE: f64 = 9007199254740992.0;
    let (xi, yi) = (x as i64, y as i64);
    if xi as f64 == x && yi as f64 == y && yi != 0 && x.abs() <= SAFE && y.abs() <= SAFE {
        ((xi % yi) as f64).copysign(x)
    } else {
        x % y
    }
}

/// `put` of a number key into a table body, exactly as `put` does it; false
/// (and nothing done) for a NaN key, which `put` rejects with an error.
/// Not inlined: it would crowd the fast lane's registers.
#[inline(never)]
pub fn table_put_num(tb: &mut TableObj, key: f64, val: Value) -> bool {
    let hash = match num_index(key) {
        // An index inside the array part lives only there (see `table`).
        Some(i) if tb.put_index(i, val) => return true,
        Some(i) => i as u64,
        None if key.is_nan() => return false,
        None => hash_num(key),
    };
    let k = Value::Num(key);
    tb.put(k, hash, val, |x| x == k);
    true
}

/// `get` of a number key from a table body that has no prototype; `None`
/// when the answer depends on a prototype.
#[inline(never)]
pub fn table_get_num(tb: &TableObj, key: f64) -> Option<Value> {
    let k = Value::Num(key);
    let found = match num_index(key) {
        // An index inside the array part lives only there (see `table`).
        Some(i) => match tb.get_index(i) {
            Some(Value::Nil) => None,
            Some(v) => Some(v),
            None => tb.get(i as u64, |x| x == k),
        },
        None => tb.get(hash_num(key), |x| x == k),
    };
    match found {
        Some(v) => Some(v),
        None if tb.proto.is_none() => Some(Value::Nil),
        None => None,
    }
}

/// True for keys that compare by content (`=` needs the heap; abstract
/// values may, through their type's `compare` hook, as 64-bit integers do);
/// every other key is equal only to itself.
#[inline(always)]
fn by_content(key: Value) -> bool {
    matches!(
        key,
        Value::Str(_) | Value::Tuple(_) | Value::Struct(_) | Value::Abstract(_)
    )
}

/// `Heap::hash` with the common immediate keys inlined.
#[inline(always)]
fn key_hash(heap: &Heap, key: Value) -> u64 {
    match key {
        Value::Num(n) => hash_num(n),
        Value::Keyword(s) => hash_sym(s.0, KEYWORD_TAG),
        _ => heap.hash(key),
    }
}

/// Looks `key` (hashing to `h`) up in one table body, ignoring prototypes.
#[inline(always)]
fn lookup(heap: &Heap, tb: &TableObj, key: Value, h: u64) -> Option<Value> {
    if by_content(key) {
        tb.get(h, |k| heap.equals(k, key))
    } else {
        tb.get(h, |k| k == key)
    }
}

/// Janet's `get`: nil when the key is missing or the value is not indexable.
pub fn get(heap: &Heap, ds: Value, key: Value) -> Value {
    let idx = |len: usize| match key {
        Value::Num(n) if n >= 0.0 && n.fract() == 0.0 && (n as usize) < len => Some(n as usize),
        _ => None,
    };
    match ds {
        Value::Tuple(r) => {
            let t = &heap.tuples.get(r).items;
            idx(t.len()).map_or(Value::Nil, |i| t[i])
        }
        Value::Array(r) => {
            let a = heap.arrays.get(r);
            idx(a.len()).map_or(Value::Nil, |i| a[i])
        }
        Value::Str(_) | Value::Buffer(_) => {
            let b = heap.bytes(ds).unwrap_or_default();
            idx(b.len()).map_or(Value::Nil, |i| Value::Num(b[i] as f64))
        }
        Value::Table(r) => {
            let h = key_hash(heap, key);
            let mut cur = Some(r);
            let mut hops = 0;
            while let Some(t) = cur {
                let tb = heap.tables.get(t);
                if let Some(v) = lookup(heap, tb, key, h) {
                    return v;
                }
                cur = tb.proto;
                hops += 1;
                if hops > 1000 {
                    break;
                }
            }
            Value::Nil
        }
        Value::Struct(r) => {
            let h = key_hash(heap, key);
            let mut cur = Some(r);
            let mut hops = 0;
            while let Some(t) = cur {
                let tb = heap.structs.get(t);
                if let Some(v) = lookup(heap, tb, key, h) {
                    return v;
                }
                cur = tb.proto;
                hops += 1;
                if hops > 1000 {
                    break;
                }
            }
            Value::Nil
        }
        // Abstract kinds (channels, streams...) answer from their method table.
        Value::Abstract(r) => match heap.abstracts.get(r) {
            Some(a) => get(heap, a.methods(), key),
            None => Value::Nil,
        },
        _ => Value::Nil,
    }
}

/// Janet's `put`; returns an error message on failure.
pub fn put(heap: &mut Heap, ds: Value, key: Value, val: Value) -> Result<(), String> {
    match ds {
        Value::Table(t) => {
            if key == Value::Nil || matches!(key, Value::Num(n) if n.is_nan()) {
                return Err(format!(
                    "cannot use {} as a table key",
                    printer::describe_heap(heap, key)
                ));
            }
            let h = key_hash(heap, key);
            let tb = heap.tables.get(t);
            let p = if by_content(key) {
                tb.probe(h, |k| heap.equals(k, key))
            } else {
                tb.probe(h, |k| k == key)
            };
            heap.tables.get_mut(t).put_probed(p, key, h, val);
            Ok(())
        }
        Value::Array(a) => match key {
            Value::Num(n) if n >= 0.0 && n.fract() == 0.0 && n < 1e9 => {
                let i = n as usize;
                let arr = heap.arrays.get_mut(a);
                if i >= arr.len() {
                    arr.resize(i + 1, Value::Nil);
                }
                arr[i] = val;
                Ok(())
            }
            _ => Err(format!(
                "expected non-negative integer index, got {}",
                printer::describe_heap(heap, key)
            )),
        },
        Value::Buffer(b) => match (key, val) {
            (Value::Num(n), Value::Num(v)) if n >= 0.0 && n.fract() == 0.0 && n < 1e9 => {
                let i = n as usize;
                let buf = heap.buffers.get_mut(b);
                if i >= buf.len() {
                    buf.resize(i + 1, 0);
                }
                buf[i] = v as i64 as u8;
                Ok(())
            }
            _ => Err("expected integer index and byte value for buffer".into()),
        },
        _ => Err(format!(
            "expected table, array or buffer, got {}",
            printer::describe_heap(heap, ds)
        )),
    }
}

/// Builds a struct or table body from alternating keys and values.
pub fn table_from_pairs(heap: &Heap, kvs: &[Value]) -> TableObj {
    let mut t = TableObj::with_capacity(kvs.len() / 2);
    for kv in kvs.chunks(2) {
        let (k, v) = (kv[0], kv.get(1).copied().unwrap_or_default());
        if k == Value::Nil {
            continue;
        }
        let h = heap.hash(k);
        t.put(k, h, v, |x| heap.equals(x, k));
    }
    t
}

/// Executes an instruction the dispatch loop leaves to this module.
pub fn slow_op(
    heap: &mut Heap,
    protos: &[Proto],
    stack: &mut [Value],
    base: usize,
    op: Op,
    pid: u32,
) -> Result<(), Exit> {
    let r = |x: u16| base + x as usize;
    match op {
        Op::DefGlobal(s, k) => {
            let entry = protos[pid as usize].consts[k as usize];
            let kv = Value::Keyword(heap.syms.intern(b"value"));
            put(heap, entry, kv, stack[r(s)]).map_err(Exit::Error)?;
        }
        Op::SliceFrom(d, o, i) => {
            let items = heap
                .items(stack[r(o)])
                .map(|s| s.get(i as usize..).unwrap_or_default().to_vec());
            stack[r(d)] = heap.tuple(items.unwrap_or_default());
        }
        Op::MkTuple(d, s, n) | Op::MkBracket(d, s, n) => {
            let items = stack[r(s)..r(s) + n as usize].to_vec();
            stack[r(d)] = heap.tuple_at(items, 0, 0, matches!(op, Op::MkBracket(..)));
        }
        Op::MkArray(d, s, n) => {
            let items = stack[r(s)..r(s) + n as usize].to_vec();
            stack[r(d)] = heap.array(items);
        }
        Op::MkStruct(d, s, n) | Op::MkTable(d, s, n) => {
            let t = table_from_pairs(heap, &stack[r(s)..r(s) + n as usize]);
            stack[r(d)] = if matches!(op, Op::MkStruct(..)) {
                heap.strukt(t)
            } else {
                heap.table(t)
            };
        }
        Op::Push(a, s) => {
            if let Value::Array(ar) = stack[r(a)] {
                let v = stack[r(s)];
                heap.arrays.get_mut(ar).push(v);
            }
        }
        Op::PushAll(a, s) => {
            let src = stack[r(s)];
            let items: Vec<Value> = match src {
                Value::Tuple(_) | Value::Array(_) => heap.items(src).unwrap_or_default().to_vec(),
                Value::Struct(t) => heap
                    .structs
                    .get(t)
                    .iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect(),
                Value::Table(t) => heap
                    .tables
                    .get(t)
                    .iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect(),
                Value::Nil => Vec::new(),
                _ => {
                    return Err(Exit::Error(format!(
                        "can only splice indexed or dictionary values, got {}",
                        printer::describe_heap(heap, src)
                    )))
                }
            };
            if let Value::Array(ar) = stack[r(a)] {
                heap.arrays.get_mut(ar).extend(items);
            }
        }
        Op::Convert(d, s, kind) => {
            let src = stack[r(s)];
            let items = heap.items(src).map(<[Value]>::to_vec).unwrap_or_default();
            stack[r(d)] = match kind {
                0 | 1 => heap.tuple_at(items, 0, 0, kind == 1),
                2 => {
                    let t = table_from_pairs(heap, &items);
                    heap.strukt(t)
                }
                3 => {
                    let t = table_from_pairs(heap, &items);
                    heap.table(t)
                }
                5 => {
                    let b = heap.bytes(src).unwrap_or_default().to_vec();
                    heap.buffer(b)
                }
                _ => src,
            };
        }
        Op::KeysStruct(d, s) => {
            let items = heap
                .items(stack[r(s)])
                .map(<[Value]>::to_vec)
                .unwrap_or_default();
            if !items.len().is_multiple_of(2) {
                return Err(Exit::Error(
                    "expected even number of keyword arguments".into(),
                ));
            }
            let t = table_from_pairs(heap, &items);
            stack[r(d)] = heap.strukt(t);
        }
        Op::Error(k) => {
            return Err(Exit::ErrorValue(protos[pid as usize].consts[k as usize]));
        }
        other => {
            return Err(Exit::Error(format!(
                "internal error: unhandled instruction {:?}",
                other
            )))
        }
    }
    Ok(())
}
