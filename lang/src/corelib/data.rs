//! Data structures: type tests, indexing, tuples, arrays, structs, tables,
//! strings, buffers, symbols and keywords.
//!
//! Invariant: functions that build values never mutate their inputs unless
//! their name says so (`put`, `array/push`, `buffer/push-string`, ...).

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Intrinsic, Isolate};
use crate::printer;
use crate::table::TableObj;
use crate::value::Value;
use crate::vm::ops;

fn type_of(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let name = match a[0] {
        Value::Abstract(r) => iso
            .heap
            .abstracts
            .get(r)
            .as_ref()
            .map_or("abstract", |x| x.type_name()),
        v => v.type_name(),
    };
    Ok(iso.heap.keyword(name))
}

fn length(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let h = &iso.heap;
    let n = match a[0] {
        Value::Str(_) | Value::Buffer(_) | Value::Symbol(_) | Value::Keyword(_) => {
            h.bytes(a[0]).map_or(0, <[u8]>::len)
        }
        Value::Tuple(_) | Value::Array(_) => h.items(a[0]).map_or(0, <[Value]>::len),
        Value::Struct(r) => h.structs.get(r).count,
        Value::Table(r) => h.tables.get(r).count,
        Value::Nil => 0,
        v => {
            let m = format!("expected iterable, got {}", printer::describe(iso, v));
            return Err(iso.err(m));
        }
    };
    Ok(Value::Num(n as f64))
}

fn get(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(3))?;
    let v = ops::get(&iso.heap, a[0], a[1]);
    Ok(if v == Value::Nil { args::opt(a, 2) } else { v })
}

fn put(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 3, Some(3))?;
    ops::put(&mut iso.heap, a[0], a[1], a[2]).map_err(|m| iso.err(m))?;
    Ok(a[0])
}

fn tuple(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(iso.heap.tuple(a.to_vec()))
}

fn brackets(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(iso.heap.tuple_at(a.to_vec(), 0, 0, true))
}

fn array(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(iso.heap.array(a.to_vec()))
}

fn strukt(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let t = ops::table_from_pairs(&iso.heap, a);
    Ok(iso.heap.strukt(t))
}

fn table(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let t = ops::table_from_pairs(&iso.heap, a);
    Ok(iso.heap.table(t))
}

fn dict_pairs(iso: &mut Isolate, v: Value) -> Result<Vec<(Value, Value)>, Flow> {
    match v {
        Value::Struct(r) => Ok(iso.heap.structs.get(r).iter().collect()),
        Value::Table(r) => Ok(iso.heap.tables.get(r).iter().collect()),
        Value::Tuple(_) | Value::Array(_) => Ok(iso
            .heap
            .items(v)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, x)| (Value::Num(i as f64), *x))
            .collect()),
        _ => {
            let m = format!(
                "expected dictionary or indexed, got {}",
                printer::describe(iso, v)
            );
            Err(iso.err(m))
        }
    }
}

fn keys(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ks = dict_pairs(iso, a[0])?.into_iter().map(|p| p.0).collect();
    Ok(iso.heap.array(ks))
}

fn values(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let vs = dict_pairs(iso, a[0])?.into_iter().map(|p| p.1).collect();
    Ok(iso.heap.array(vs))
}

fn pairs(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let ps = dict_pairs(iso, a[0])?;
    let items = ps
        .into_iter()
        .map(|(k, v)| iso.heap.tuple_at(vec![k, v], 0, 0, true))
        .collect();
    Ok(iso.heap.array(items))
}

fn next(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let key = args::opt(a, 1);
    let h = &iso.heap;
    let t = match a[0] {
        Value::Struct(r) => h.structs.get(r),
        Value::Table(r) => h.tables.get(r),
        Value::Tuple(_) | Value::Array(_) | Value::Str(_) | Value::Buffer(_) => {
            let len = match a[0] {
                Value::Tuple(_) | Value::Array(_) => h.items(a[0]).map_or(0, <[Value]>::len),
                _ => h.bytes(a[0]).map_or(0, <[u8]>::len),
            };
            let i = match key {
                Value::Nil => 0,
                Value::Num(n) => n as usize + 1,
                _ => return Ok(Value::Nil),
            };
            return Ok(if i < len {
                Value::Num(i as f64)
            } else {
                Value::Nil
            });
        }
        _ => return Ok(Value::Nil),
    };
    let start = if key == Value::Nil {
        0
    } else {
        let hk = h.hash(key);
        match t.after(hk, |k| h.equals(k, key), key) {
            Some(i) => i,
            None => return Ok(Value::Nil),
        }
    };
    Ok(t.next_slot(start).map_or(Value::Nil, |i| t.key_at(i)))
}

fn array_push(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let r = args::array(iso, a, 0)?;
    iso.heap.arrays.get_mut(r).extend_from_slice(&a[1..]);
    Ok(a[0])
}

fn array_pop(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let r = args::array(iso, a, 0)?;
    Ok(iso.heap.arrays.get_mut(r).pop().unwrap_or_default())
}

fn array_peek(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let r = args::array(iso, a, 0)?;
    Ok(iso.heap.arrays.get(r).last().copied().unwrap_or_default())
}

fn array_new(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let n = args::int(iso, a, 0)?.max(0) as usize;
    Ok(iso.heap.array(Vec::with_capacity(n.min(1 << 20))))
}

fn array_concat(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let r = args::array(iso, a, 0)?;
    let mut extra = Vec::new();
    for v in &a[1..] {
        match iso.heap.items(*v) {
            Some(items) => extra.extend_from_slice(items),
            None => extra.push(*v),
        }
    }
    iso.heap.arrays.get_mut(r).extend(extra);
    Ok(a[0])
}

fn slice_range(iso: &mut Isolate, a: &[Value], len: usize) -> Result<(usize, usize), Flow> {
    let fix = |v: Value, default: usize| -> Option<usize> {
        match v {
            Value::Nil => Some(default),
            Value::Num(n) if n.fract() == 0.0 => {
                let n = n as i64;
                let idx = if n < 0 { len as i64 + n + 1 } else { n };
                (0..=len as i64).contains(&idx).then_some(idx as usize)
            }
            _ => None,
        }
    };
    match (fix(args::opt(a, 1), 0), fix(args::opt(a, 2), len)) {
        (Some(s), Some(e)) => Ok((s, e.max(s))),
        _ => Err(iso.err("slice index out of range")),
    }
}

fn slice_kind(iso: &mut Isolate, a: &[Value], kind: u8) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    if let Some(items) = iso.heap.items(a[0]).map(<[Value]>::to_vec) {
        let (s, e) = slice_range(iso, a, items.len())?;
        let part = items[s..e].to_vec();
        return Ok(match (kind, a[0]) {
            (1, _) | (0, Value::Tuple(_)) => iso.heap.tuple(part),
            _ => iso.heap.array(part),
        });
    }
    if let Some(b) = iso.heap.bytes(a[0]).map(<[u8]>::to_vec) {
        let (s, e) = slice_range(iso, a, b.len())?;
        return Ok(match a[0] {
            Value::Buffer(_) if kind == 0 => iso.heap.buffer(b[s..e].to_vec()),
            _ => iso.heap.string(&b[s..e]),
        });
    }
    Err(iso.err("expected indexed or bytes to slice"))
}

fn slice(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    slice_kind(iso, a, 0)
}

fn tuple_slice(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    slice_kind(iso, a, 1)
}

fn array_slice(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    slice_kind(iso, a, 2)
}

fn string(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let mut out = Vec::new();
    for v in a {
        match iso.heap.bytes(*v) {
            Some(b) => out.extend_from_slice(b),
            None => out.extend_from_slice(printer::to_text(iso, *v).as_bytes()),
        }
    }
    Ok(iso.heap.string(&out))
}

fn buffer(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let s = string(iso, a)?;
    let b = iso.heap.bytes(s).unwrap_or_default().to_vec();
    Ok(iso.heap.buffer(b))
}

fn buffer_push(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let Value::Buffer(r) = a[0] else {
        return Err(iso.err("expected buffer"));
    };
    let mut extra = Vec::new();
    for v in &a[1..] {
        match v {
            Value::Num(n) => extra.push(*n as i64 as u8),
            _ => extra.extend_from_slice(iso.heap.bytes(*v).unwrap_or_default()),
        }
    }
    iso.heap.buffers.get_mut(r).extend_from_slice(&extra);
    Ok(a[0])
}

fn string_join(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let parts = args::indexed(iso, a, 0)?;
    let sep = if a.len() > 1 {
        args::bytes(iso, a, 1)?
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&sep);
        }
        out.extend_from_slice(iso.heap.bytes(*p).unwrap_or_default());
    }
    Ok(iso.heap.string(&out))
}

fn describe(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let s = printer::describe(iso, a[0]);
    Ok(iso.heap.string(s.as_bytes()))
}

fn symbol(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let s = string(iso, a)?;
    let b = iso.heap.bytes(s).unwrap_or_default().to_vec();
    Ok(Value::Symbol(iso.heap.syms.intern(&b)))
}

fn keyword(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let s = string(iso, a)?;
    let b = iso.heap.bytes(s).unwrap_or_default().to_vec();
    Ok(Value::Keyword(iso.heap.syms.intern(&b)))
}

fn gensym(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    Ok(Value::Symbol(iso.heap.syms.gensym()))
}

fn deep_eq(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    Ok(Value::Bool(
        a.windows(2).all(|w| iso.heap.deep_equals(w[0], w[1])),
    ))
}

fn hash(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Num((iso.heap.hash(a[0]) as i32) as f64))
}

fn getproto(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(match a[0] {
        Value::Table(r) => iso
            .heap
            .tables
            .get(r)
            .proto
            .map_or(Value::Nil, Value::Table),
        Value::Struct(r) => iso
            .heap
            .structs
            .get(r)
            .proto
            .map_or(Value::Nil, Value::Struct),
        _ => Value::Nil,
    })
}

fn setproto(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let t = args::table(iso, a, 0)?;
    let p = match a[1] {
        Value::Table(p) => Some(p),
        Value::Nil => None,
        _ => return Err(iso.err("expected table or nil as prototype")),
    };
    iso.heap.tables.get_mut(t).proto = p;
    Ok(a[0])
}

fn with_proto(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let mut t: TableObj = ops::table_from_pairs(&iso.heap, &a[1..]);
    t.proto = match a[0] {
        Value::Struct(p) => Some(p),
        _ => None,
    };
    Ok(iso.heap.strukt(t))
}

fn to_struct(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let t = args::table(iso, a, 0)?;
    let body = iso.heap.tables.get(t).clone();
    let mut body = body;
    body.proto = None;
    Ok(iso.heap.strukt(body))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native(
        "tuple/sourcemap",
        "(tuple/sourcemap t)\n\n[line column] of a tuple read from source.",
        sourcemap,
    );
    env.native(
        "tuple/type",
        "(tuple/type t)\n\n:parens or :brackets.",
        tuple_type,
    );
    env.native(
        "string/find",
        "(string/find patt str)\n\nIndex of patt in str, or nil.",
        string_find,
    );
    env.native("type", "(type x)\n\nThe type of x as a keyword.", type_of);
    env.native(
        "length",
        "(length ds)\n\nNumber of elements (or bytes).",
        length,
    );
    env.intrinsic(
        "get",
        "(get ds key &opt dflt)\n\nValue at key, or dflt.",
        get,
        Intrinsic::Get,
    );
    env.native("in", "(in ds key &opt dflt)\n\nValue at key, or dflt.", get);
    env.intrinsic(
        "put",
        "(put ds key value)\n\nSets key in a table, array or buffer.",
        put,
        Intrinsic::Put,
    );
    env.native("tuple", "(tuple & items)\n\nA new tuple.", tuple);
    env.native(
        "tuple/brackets",
        "(tuple/brackets & items)\n\nA new bracketed tuple.",
        brackets,
    );
    env.native("array", "(array & items)\n\nA new array.", array);
    env.native("struct", "(struct & kvs)\n\nA new struct.", strukt);
    env.native("table", "(table & kvs)\n\nA new table.", table);
    env.native("keys", "(keys ds)\n\nArray of keys.", keys);
    env.native("values", "(values ds)\n\nArray of values.", values);
    env.native("pairs", "(pairs ds)\n\nArray of [key value] tuples.", pairs);
    env.native(
        "next",
        "(next ds &opt key)\n\nThe key after key (nil at the end).",
        next,
    );
    env.native(
        "array/push",
        "(array/push arr & xs)\n\nAppends to arr.",
        array_push,
    );
    env.native(
        "array/pop",
        "(array/pop arr)\n\nRemoves and returns the last element.",
        array_pop,
    );
    env.native(
        "array/peek",
        "(array/peek arr)\n\nThe last element.",
        array_peek,
    );
    env.native(
        "array/new",
        "(array/new capacity)\n\nAn empty array.",
        array_new,
    );
    env.native(
        "array/concat",
        "(array/concat arr & parts)\n\nAppends parts to arr.",
        array_concat,
    );
    env.native(
        "array/slice",
        "(array/slice xs &opt start end)\n\nAn array slice.",
        array_slice,
    );
    env.native(
        "tuple/slice",
        "(tuple/slice xs &opt start end)\n\nA tuple slice.",
        tuple_slice,
    );
    env.native(
        "slice",
        "(slice xs &opt start end)\n\nA slice of the same kind.",
        slice,
    );
    env.native(
        "string/slice",
        "(string/slice s &opt start end)\n\nA substring.",
        tuple_slice_str,
    );
    env.native(
        "string",
        "(string & parts)\n\nConcatenates the parts as text.",
        string,
    );
    env.native(
        "buffer",
        "(buffer & parts)\n\nA new buffer of the parts as text.",
        buffer,
    );
    env.native(
        "buffer/push-string",
        "(buffer/push-string buf & strs)\n\nAppends to buf.",
        buffer_push,
    );
    env.native(
        "buffer/push",
        "(buffer/push buf & xs)\n\nAppends bytes or strings to buf.",
        buffer_push,
    );
    env.native(
        "string/join",
        "(string/join parts &opt sep)\n\nJoins strings.",
        string_join,
    );
    env.native("describe", "(describe x)\n\nReadable text of x.", describe);
    env.native("symbol", "(symbol & parts)\n\nA symbol.", symbol);
    env.native("keyword", "(keyword & parts)\n\nA keyword.", keyword);
    env.native("gensym", "(gensym)\n\nA fresh unique symbol.", gensym);
    env.native("deep=", "(deep= & xs)\n\nStructural equality.", deep_eq);
    env.native("hash", "(hash x)\n\nHash of x.", hash);
    env.native(
        "table/getproto",
        "(table/getproto t)\n\nPrototype of t.",
        getproto,
    );
    env.native(
        "struct/getproto",
        "(struct/getproto s)\n\nPrototype of s.",
        getproto,
    );
    env.native(
        "table/setproto",
        "(table/setproto t proto)\n\nSets the prototype.",
        setproto,
    );
    env.native(
        "struct/with-proto",
        "(struct/with-proto proto & kvs)\n\nA struct with a prototype.",
        with_proto,
    );
    env.native(
        "table/to-struct",
        "(table/to-struct t)\n\nA struct copy of t.",
        to_struct,
    );
}

fn string_find(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(3))?;
    let pat = args::bytes(iso, a, 0)?;
    let hay = args::bytes(iso, a, 1)?;
    let start = if a.len() > 2 {
        args::int(iso, a, 2)?.max(0) as usize
    } else {
        0
    };
    if pat.is_empty() {
        return Ok(Value::Num(start.min(hay.len()) as f64));
    }
    let found = hay
        .get(start..)
        .and_then(|h| h.windows(pat.len()).position(|w| w == pat.as_slice()));
    Ok(found.map_or(Value::Nil, |i| Value::Num((i + start) as f64)))
}

fn sourcemap(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let Value::Tuple(r) = a[0] else {
        return Err(iso.err("bad slot #0, expected tuple"));
    };
    let t = iso.heap.tuples.get(r);
    let (l, c) = (t.line, t.col);
    Ok(iso
        .heap
        .tuple(vec![Value::Num(l as f64), Value::Num(c as f64)]))
}

fn tuple_type(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let Value::Tuple(r) = a[0] else {
        return Err(iso.err("bad slot #0, expected tuple"));
    };
    let name = if iso.heap.tuples.get(r).bracket {
        "brackets"
    } else {
        "parens"
    };
    Ok(iso.heap.keyword(name))
}

fn tuple_slice_str(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let b = args::bytes(iso, a, 0)?;
    let (s, e) = slice_range(iso, a, b.len())?;
    Ok(iso.heap.string(&b[s..e]))
}
