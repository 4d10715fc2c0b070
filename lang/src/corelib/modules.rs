//! `compile`: turns a form into a function in a given environment, with a
//! source name for errors and stack traces. The module system (`import`,
//! `require`, `dofile`, `module/paths`) is written on top of it in
//! `prelude/modules.janet`.
//!
//! Invariant: compilation never runs user code except macros; a compile
//! error is returned as a table `{:error msg :line l :column c}` (Janet's
//! convention), never raised.

use super::args;
use super::registry::Env;
use crate::compiler::compile_thunk;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use std::sync::Arc;

fn compile(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(4))?;
    let env = match args::opt(a, 1) {
        Value::Table(t) => t,
        Value::Nil => iso
            .cur
            .and_then(|c| iso.heap.fibers.get(c).env)
            .unwrap_or(iso.env),
        _ => return Err(iso.err("bad slot #1, expected table")),
    };
    let source: Arc<str> = match iso.heap.bytes(args::opt(a, 2)) {
        Some(b) => String::from_utf8_lossy(b).into(),
        None => "eval".into(),
    };
    match compile_thunk(iso, a[0], env, source) {
        Ok(f) => Ok(f),
        Err(e) => {
            let kv = [
                iso.heap.keyword("error"),
                iso.heap.string(e.msg.as_bytes()),
                iso.heap.keyword("line"),
                Value::Num(e.line as f64),
                iso.heap.keyword("column"),
                Value::Num(e.col as f64),
            ];
            let t = crate::vm::ops::table_from_pairs(&iso.heap, &kv);
            Ok(iso.heap.table(t))
        }
    }
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native(
        "compile",
        "(compile ast &opt env source lints)\n\nCompiles ast into a function of no arguments that evaluates it in env (default: the current environment). On a compile error returns a table {:error msg :line l :column c}.",
        compile,
    );
}

/// Sets the dynamic bindings a script sees: `:current-file` (its path) and
/// `:args` (its path followed by its arguments, as Janet's `*args*`).
pub fn set_script(iso: &mut Isolate, path: &str, args: &[String]) {
    let env = iso.env;
    let k = iso.heap.keyword("current-file");
    let v = iso.heap.string(path.as_bytes());
    iso.table_put(env, k, v);
    let mut items = vec![iso.heap.string(path.as_bytes())];
    for a in args {
        items.push(iso.heap.string(a.as_bytes()));
    }
    let k = iso.heap.keyword("args");
    let v = iso.heap.array(items);
    iso.table_put(env, k, v);
}
