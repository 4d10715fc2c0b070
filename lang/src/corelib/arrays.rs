//! The rest of `array/` (new-filled, insert, remove, fill, trim, ensure,
//! clear) and the raw table/struct conversions (`table/new`,
//! `table/rawget`, `struct/to-table`).
//!
//! Invariant: array indices follow Janet: negative positions count from the
//! end (-1 is one past the last element for insertion), and out-of-range
//! positions raise instead of clamping.

use super::args;
use super::buffers::index;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::table::TableObj;
use crate::value::Value;

type R = Result<Value, Flow>;

fn new_filled(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let n = args::int(iso, a, 0)?.max(0) as usize;
    Ok(iso.heap.array(vec![args::opt(a, 1); n]))
}

fn insert(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, None)?;
    let r = args::array(iso, a, 0)?;
    let len = iso.heap.arrays.get(r).len();
    let at = index(iso, a, 1, len, len)?;
    let arr = iso.heap.arrays.get_mut(r);
    arr.splice(at..at, a[2..].iter().copied());
    Ok(a[0])
}

fn remove(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let r = args::array(iso, a, 0)?;
    let len = iso.heap.arrays.get(r).len();
    let at = index(iso, a, 1, len, len)?;
    let n = match args::opt(a, 2) {
        Value::Nil => 1,
        _ => args::int(iso, a, 2)?.max(0) as usize,
    };
    let arr = iso.heap.arrays.get_mut(r);
    let end = (at + n).min(arr.len());
    arr.drain(at..end);
    Ok(a[0])
}

fn fill(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let r = args::array(iso, a, 0)?;
    let v = args::opt(a, 1);
    iso.heap.arrays.get_mut(r).fill(v);
    Ok(a[0])
}

fn trim(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let r = args::array(iso, a, 0)?;
    iso.heap.arrays.get_mut(r).shrink_to_fit();
    Ok(a[0])
}

fn ensure(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 3, Some(3))?;
    let r = args::array(iso, a, 0)?;
    let cap = args::int(iso, a, 1)?.max(0) as usize;
    let arr = iso.heap.arrays.get_mut(r);
    arr.reserve(cap.saturating_sub(arr.len()));
    Ok(a[0])
}

fn clear(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let r = args::array(iso, a, 0)?;
    iso.heap.arrays.get_mut(r).clear();
    Ok(a[0])
}

fn table_new(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let n = args::int(iso, a, 0)?.max(0) as usize;
    Ok(iso.heap.table(TableObj::with_capacity(n)))
}

fn rawget(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let t = args::table(iso, a, 0)?;
    let h = iso.heap.hash(a[1]);
    let key = a[1];
    let heap = &iso.heap;
    Ok(heap
        .tables
        .get(t)
        .get(h, |k| heap.equals(k, key))
        .unwrap_or_default())
}

fn struct_to_table(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let Value::Struct(s) = a[0] else {
        return Err(iso.err("bad slot #0, expected struct"));
    };
    let recursive = args::opt(a, 1).truthy();
    let mut chain = vec![s];
    if recursive {
        while let Some(p) = iso.heap.structs.get(chain[chain.len() - 1]).proto {
            if chain.len() >= 1000 {
                break;
            }
            chain.push(p);
        }
    }
    let mut result: Option<crate::value::Ref> = None;
    for r in chain.into_iter().rev() {
        let pairs: Vec<Value> = iso
            .heap
            .structs
            .get(r)
            .iter()
            .flat_map(|(k, v)| [k, v])
            .collect();
        let mut t = crate::vm::ops::table_from_pairs(&iso.heap, &pairs);
        t.proto = result;
        match iso.heap.table(t) {
            Value::Table(tr) => result = Some(tr),
            _ => unreachable!("table() returns a table"),
        }
    }
    Ok(result.map_or(Value::Nil, Value::Table))
}

/// Sorts an array in place by Janet's natural order (`<`), or descending.
fn sort_natural(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let r = args::array(iso, a, 0)?;
    let desc = args::opt(a, 1).truthy();
    let mut items = std::mem::take(iso.heap.arrays.get_mut(r));
    if items.iter().all(|v| matches!(v, Value::Num(_))) {
        let key = |v: &Value| v.as_num().unwrap_or(f64::NAN);
        items.sort_unstable_by(|x, y| key(x).total_cmp(&key(y)));
    } else {
        let heap = &iso.heap;
        items.sort_by(|x, y| heap.compare(*x, *y));
    }
    if desc {
        items.reverse();
    }
    *iso.heap.arrays.get_mut(r) = items;
    Ok(a[0])
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, crate::isolate::NativeFn)] = &[
        ("array/new-filled", "(array/new-filled count &opt value)\n\nAn array of count copies of value.", new_filled),
        ("array/insert", "(array/insert arr at & xs)\n\nInserts xs before position at (negative counts from the end); returns arr.", insert),
        ("array/remove", "(array/remove arr at &opt n)\n\nRemoves n (default 1) elements starting at at; returns arr.", remove),
        ("array/fill", "(array/fill arr &opt value)\n\nSets every element to value; returns arr.", fill),
        ("array/trim", "(array/trim arr)\n\nReleases unused capacity; returns arr.", trim),
        ("array/ensure", "(array/ensure arr capacity growth)\n\nReserves room for capacity elements; returns arr.", ensure),
        ("array/clear", "(array/clear arr)\n\nEmpties arr; returns it.", clear),
        ("sort-natural", "(sort-natural arr &opt descending)\n\nSorts arr in place by the natural order of < (or >, when descending); the fast path of sort.", sort_natural),
        ("table/new", "(table/new capacity)\n\nAn empty table with room for capacity entries.", table_new),
        ("table/rawget", "(table/rawget tab key)\n\nThe value at key in tab itself, ignoring prototypes.", rawget),
        ("struct/to-table", "(struct/to-table st &opt recursive)\n\nA table with the entries of st (and its prototypes as table prototypes when recursive).", struct_to_table),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
}
