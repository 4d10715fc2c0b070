//! The isolate: one heap, its fibers, its prototypes, its global
//! environment, and the register state of the fiber that is running.
//!
//! Invariants:
//! - `Isolate` is `Send` and never shared: it moves between threads whole.
//! - While a fiber runs (`cur` is `Some`), its stack, frames and open
//!   upvalues live in `stack`/`frames`/`open_upvals` here, not in its fiber
//!   object; `save_state`/`load_state` move them at every switch.
//! - `roots` holds values Rust code keeps across VM runs (the GC's explicit
//!   root stack).

use crate::bytecode::Proto;
use crate::fiber::Frame;
use crate::heap::Heap;
use crate::table::TableObj;
use crate::value::{Ref, Signal, Value};

/// A native function. It gets the isolate and its arguments; it returns a
/// value or a control-flow request for the VM.
pub type NativeFn = fn(&mut Isolate, &[Value]) -> Result<Value, Flow>;

/// What a native function asks the VM to do instead of returning a value.
#[derive(Debug, Clone)]
pub enum Flow {
    /// Raise an error with this payload.
    Error(Value),
    /// Raise a signal (yield, user signals) from the current fiber.
    Signal(Signal, Value),
    /// Resume `fiber` with `value`; its result becomes this call's value.
    Resume { fiber: Ref, value: Value },
    /// Resume `fiber` by raising `value` as an error at its suspension point.
    Cancel { fiber: Ref, value: Value },
    /// Re-raise signal `sig` with `value` as though it came from `fiber`.
    Propagate {
        sig: Signal,
        value: Value,
        fiber: Ref,
    },
    /// Call `f` with `args` in place of this native (a tail call).
    Call { f: Value, args: Vec<Value> },
}

/// The event loop's hook for switching tasks in place (`Isolate::next_task`).
pub type NextTask = fn(&mut Isolate, Ref) -> Option<Ref>;

/// Operations the compiler may inline when the callee is the core native.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intrinsic {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Neq,
    Not,
    Get,
    Rem,
    Put,
}

/// A registered native function.
#[derive(Debug, Clone)]
pub struct NativeDef {
    pub name: &'static str,
    pub f: NativeFn,
    pub doc: &'static str,
    pub intrinsic: Option<Intrinsic>,
    /// Whether the fast lane may call it in place. The run loop charges a
    /// fiber's own fuel budget and reads its frame limit only when `exec`
    /// returns, so a native that reads or sets those of the running fiber
    /// is called after leaving the lane, where they are current.
    pub lane: bool,
}

/// One language instance.
pub struct Isolate {
    pub heap: Heap,
    pub protos: Vec<Proto>,
    pub natives: Vec<NativeDef>,
    /// The root environment table.
    pub env: Ref,
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub open_upvals: Vec<Ref>,
    /// The running fiber.
    pub cur: Option<Ref>,
    /// Reductions left before the VM checks for preemption.
    pub fuel: i64,
    /// Reductions per quantum.
    pub quantum: i64,
    /// When set, running out of fuel suspends the top-level run (see `driver`).
    pub preempt: bool,
    /// Explicit GC roots held by Rust code.
    pub roots: Vec<Value>,
    /// For each nested Rust-level run, the fiber that was running before it.
    pub run_stack: Vec<Option<Ref>>,
    /// Reusable argument buffer for the natives the run loop calls (the
    /// fast lane passes its calls' arguments in a Rust array).
    pub scratch: Vec<Value>,
    /// The control-flow request of a native the fast lane called, with its
    /// absolute call slot, until the run loop applies it (`Exit::Flow`).
    pub pending: Option<(Flow, usize)>,
    /// Set by the event loop: when the task at the root of a top-level
    /// run parks, the run loop calls this to switch to the next task in
    /// place, without returning to the loop (`vm::run`). Gets the parked
    /// task; returns the next one, already entered (running fiber) and
    /// marked running, or `None` to end the run as usual.
    pub next_task: Option<NextTask>,
    /// Where `print` writes; `None` means the process's stdout.
    pub capture: Option<Vec<u8>>,
    /// The event loop's state: tasks, ready queue, timers, pending ops
    /// (see `ev`). Traced as a GC root by `collect_now`.
    pub ev: Box<crate::ev::Loop>,
}

// The whole isolate moves between threads as a unit.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Isolate>();
};

impl Isolate {
    /// Adds a prototype and returns its index.
    pub fn add_proto(&mut self, p: Proto) -> u32 {
        self.protos.push(p);
        (self.protos.len() - 1) as u32
    }

    /// Looks `key` up in table `t`, following prototypes.
    pub fn table_get(&self, t: Ref, key: Value) -> Value {
        let h = self.heap.hash(key);
        let mut cur = Some(t);
        let mut hops = 0;
        while let Some(r) = cur {
            let tb = self.heap.tables.get(r);
            if let Some(v) = tb.get(h, |k| self.heap.equals(k, key)) {
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

    /// Looks `key` up in struct `s`, following prototypes.
    pub fn struct_get(&self, s: Ref, key: Value) -> Value {
        let h = self.heap.hash(key);
        let mut cur = Some(s);
        let mut hops = 0;
        while let Some(r) = cur {
            let tb = self.heap.structs.get(r);
            if let Some(v) = tb.get(h, |k| self.heap.equals(k, key)) {
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

    /// Sets `key` in table `t` (nil removes it).
    pub fn table_put(&mut self, t: Ref, key: Value, val: Value) {
        let h = self.heap.hash(key);
        let p = self
            .heap
            .tables
            .get(t)
            .probe(h, |k| self.heap.equals(k, key));
        self.heap.tables.get_mut(t).put_probed(p, key, h, val);
    }

    /// `get` on a table or struct entry, no prototypes.
    pub fn get_plain(&self, entry: Value, key: Value) -> Value {
        match entry {
            Value::Table(t) => self.table_get(t, key),
            Value::Struct(s) => self.struct_get(s, key),
            _ => Value::Nil,
        }
    }

    /// The binding entry for `sym` in env `env` (following prototypes).
    pub fn env_lookup(&self, env: Ref, sym: Value) -> Option<Value> {
        match self.table_get(env, sym) {
            Value::Nil => None,
            v => Some(v),
        }
    }

    /// Defines `sym` in env `env` with binding entry `entry`.
    pub fn env_put(&mut self, env: Ref, sym: Value, entry: Value) {
        self.table_put(env, sym, entry);
    }

    /// Defines a global constant `name` = `value` in the root env.
    pub fn def_global(&mut self, name: &str, value: Value, doc: &str) {
        let k_value = self.heap.keyword("value");
        let k_doc = self.heap.keyword("doc");
        // Sized for :value and :doc, so booting's ~1000 entries never rehash.
        let mut entry = TableObj::with_capacity(2);
        let h = self.heap.hash(k_value);
        entry.put(k_value, h, value, |k| k == k_value);
        if !doc.is_empty() {
            let d = self.heap.string(doc.as_bytes());
            let h = self.heap.hash(k_doc);
            entry.put(k_doc, h, d, |k| k == k_doc);
        }
        let entry = self.heap.table(entry);
        let sym = self.heap.symbol(name);
        let env = self.env;
        self.env_put(env, sym, entry);
    }

    /// A new string value.
    pub fn str(&mut self, s: &str) -> Value {
        self.heap.string(s.as_bytes())
    }

    /// An error flow with a string message.
    pub fn err(&mut self, msg: impl AsRef<str>) -> Flow {
        Flow::Error(self.heap.string(msg.as_ref().as_bytes()))
    }
}
