//! The language about itself: `eval`, `eval-string`, `parse`, `macex1`,
//! `apply`, the collector and process-level helpers.
//!
//! Invariant: `eval` compiles here but runs through the VM (`Flow::Call`),
//! so evaluated code may suspend like any other call.

use super::args;
use super::registry::Env;
use crate::compiler::compile_thunk;
use crate::isolate::{Flow, Isolate};
use crate::reader::Reader;
use crate::value::Value;

fn cur_env(iso: &Isolate) -> crate::value::Ref {
    iso.cur
        .and_then(|c| iso.heap.fibers.get(c).env)
        .unwrap_or(iso.env)
}

fn eval_form(iso: &mut Isolate, form: Value, env: Option<Value>) -> Result<Value, Flow> {
    let env = match env {
        Some(Value::Table(t)) => t,
        _ => cur_env(iso),
    };
    match compile_thunk(iso, form, env, "eval".into()) {
        Ok(thunk) => Err(Flow::Call {
            f: thunk,
            args: Vec::new(),
        }),
        Err(e) => Err(iso.err(format!(
            "eval:{}:{}: compile error: {}",
            e.line, e.col, e.msg
        ))),
    }
}

fn eval(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    eval_form(iso, a[0], a.get(1).copied())
}

fn read_all(iso: &mut Isolate, src: &[u8]) -> Result<Vec<Value>, Flow> {
    let mut r = Reader::new(src);
    let mut forms = Vec::new();
    loop {
        match r.next_form(&mut iso.heap) {
            Ok(Some(f)) => forms.push(f),
            Ok(None) => return Ok(forms),
            Err(e) => {
                return Err(iso.err(format!(
                    "parse error at line {}, column {}: {}",
                    e.line, e.col, e.msg
                )))
            }
        }
    }
}

fn eval_string(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let src = args::bytes(iso, a, 0)?;
    let mut forms = read_all(iso, &src)?;
    let head = iso.heap.symbol("upscope");
    forms.insert(0, head);
    let form = iso.heap.tuple(forms);
    eval_form(iso, form, a.get(1).copied())
}

fn parse(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let src = args::bytes(iso, a, 0)?;
    let mut r = Reader::new(&src);
    match r.next_form(&mut iso.heap) {
        Ok(Some(f)) => Ok(f),
        Ok(None) => Ok(Value::Nil),
        Err(e) => Err(iso.err(format!(
            "parse error at line {}, column {}: {}",
            e.line, e.col, e.msg
        ))),
    }
}

fn parse_all(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let src = args::bytes(iso, a, 0)?;
    let forms = read_all(iso, &src)?;
    Ok(iso.heap.array(forms))
}

fn macex1(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let form = a[0];
    let Value::Tuple(r) = form else {
        return Ok(form);
    };
    let items = iso.heap.tuples.get(r).items.to_vec();
    let Some(Value::Symbol(s)) = items.first().copied() else {
        return Ok(form);
    };
    let env = cur_env(iso);
    let Some(entry) = iso.env_lookup(env, Value::Symbol(s)) else {
        return Ok(form);
    };
    let k_macro = iso.heap.keyword("macro");
    let k_value = iso.heap.keyword("value");
    if !iso.get_plain(entry, k_macro).truthy() {
        return Ok(form);
    }
    let m = iso.get_plain(entry, k_value);
    let mark = iso.roots.len();
    iso.roots.extend_from_slice(a);
    let r = iso.call(m, &items[1..]);
    iso.roots.truncate(mark);
    r.map_err(|(e, _)| Flow::Error(e))
}

fn apply(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, None)?;
    let mut argv: Vec<Value> = a[1..a.len().saturating_sub(1).max(1)].to_vec();
    if a.len() > 1 {
        argv = a[1..a.len() - 1].to_vec();
        let last = a[a.len() - 1];
        match iso.heap.items(last) {
            Some(items) => argv.extend_from_slice(items),
            None => return Err(iso.err("expected indexed as the last argument to apply")),
        }
    }
    Err(Flow::Call {
        f: a[0],
        args: argv,
    })
}

fn gccollect(iso: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    iso.heap.debt = iso.heap.threshold.max(1);
    Ok(Value::Nil)
}

fn os_exit(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    let code = match a.first() {
        Some(Value::Num(n)) => *n as i32,
        Some(Value::Bool(false)) => 1,
        _ => 0,
    };
    let _ = iso;
    super::stdout::drain_at_exit();
    std::process::exit(code)
}

fn os_clock(_: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    let s = START.get_or_init(std::time::Instant::now);
    Ok(Value::Num(s.elapsed().as_secs_f64()))
}

fn os_time(_: &mut Isolate, _: &[Value]) -> Result<Value, Flow> {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(Value::Num(t as f64))
}

fn disasm(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let Value::Closure(c) = a[0] else {
        return Err(iso.err("bad slot #0, expected function"));
    };
    let p = &iso.protos[iso.heap.closures.get(c).proto as usize];
    let mut out = String::new();
    for (i, op) in p.code.iter().enumerate() {
        out.push_str(&format!("{:4} {:?}\n", i, op));
    }
    Ok(iso.heap.string(out.as_bytes()))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native(
        "eval",
        "(eval form &opt env)\n\nCompiles and runs form.",
        eval,
    );
    env.native(
        "eval-string",
        "(eval-string str &opt env)\n\nReads and evaluates every form of str.",
        eval_string,
    );
    env.native(
        "parse",
        "(parse str)\n\nReads the first form of str.",
        parse,
    );
    env.native(
        "parse-all",
        "(parse-all str)\n\nReads every form of str into an array.",
        parse_all,
    );
    env.native(
        "macex1",
        "(macex1 x)\n\nExpands the outermost macro of x once.",
        macex1,
    );
    env.native(
        "apply",
        "(apply f & args)\n\nCalls f; the last argument is spread.",
        apply,
    );
    env.native("disasm", "(disasm f)\n\nThe bytecode of f as text.", disasm);
    env.native(
        "gccollect",
        "(gccollect)\n\nCollects garbage at the next safe point.",
        gccollect,
    );
    env.native(
        "os/exit",
        "(os/exit &opt code)\n\nExits the process.",
        os_exit,
    );
    env.native("os/clock", "(os/clock)\n\nMonotonic seconds.", os_clock);
    env.native("os/time", "(os/time)\n\nSeconds since the epoch.", os_time);
}
