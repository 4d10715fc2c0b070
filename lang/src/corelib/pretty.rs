//! The pretty printer behind `pp`, `%p`/`%m` and REPL results: a value
//! that fits in the line width prints as `describe` does; a longer
//! collection puts each element (or key/value pair) on its own line,
//! aligned after the opening delimiter, as Janet's `pp` does.
//!
//! Invariant: pretty output reads back as the same value as `describe`'s
//! (only whitespace differs); nesting deeper than 64 levels falls back to
//! `describe`.

use crate::isolate::Isolate;
use crate::printer::describe;
use crate::value::Value;

/// Line width the pretty printer aims for.
pub const WIDTH: usize = 80;

fn open_close(iso: &Isolate, v: Value) -> Option<(&'static str, &'static str)> {
    Some(match v {
        Value::Tuple(r) if iso.heap.tuples.get(r).bracket => ("[", "]"),
        Value::Tuple(_) => ("(", ")"),
        Value::Array(_) => ("@[", "]"),
        Value::Struct(_) => ("{", "}"),
        Value::Table(_) => ("@{", "}"),
        _ => return None,
    })
}

fn entries(iso: &Isolate, v: Value) -> Vec<Vec<Value>> {
    match v {
        Value::Tuple(_) | Value::Array(_) => iso
            .heap
            .items(v)
            .unwrap_or_default()
            .iter()
            .map(|x| vec![*x])
            .collect(),
        Value::Struct(r) | Value::Table(r) => {
            let t = if matches!(v, Value::Table(_)) {
                iso.heap.tables.get(r)
            } else {
                iso.heap.structs.get(r)
            };
            let mut kv: Vec<(Value, Value)> = t.iter().collect();
            kv.sort_by(|a, b| iso.heap.compare(a.0, b.0));
            kv.into_iter().map(|(k, x)| vec![k, x]).collect()
        }
        _ => Vec::new(),
    }
}

fn go(iso: &Isolate, v: Value, indent: usize, depth: usize, out: &mut String) {
    let flat = describe(iso, v);
    let Some((open, close)) = open_close(iso, v) else {
        out.push_str(&flat);
        return;
    };
    if indent + flat.len() <= WIDTH || depth > 64 {
        out.push_str(&flat);
        return;
    }
    out.push_str(open);
    let inner = indent + open.len();
    for (i, e) in entries(iso, v).into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', inner));
        }
        let mut col = inner;
        for (j, x) in e.into_iter().enumerate() {
            if j > 0 {
                out.push(' ');
                col += 1;
            }
            let start = out.len();
            go(iso, x, col, depth + 1, out);
            col += out[start..].len();
        }
    }
    out.push_str(close);
}

/// `v` pretty-printed starting at column 0.
pub fn pretty(iso: &Isolate, v: Value) -> String {
    let mut out = String::new();
    go(iso, v, 0, 0, &mut out);
    out
}
