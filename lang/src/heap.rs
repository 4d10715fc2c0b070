//! The per-isolate heap: one typed arena per object kind plus the interner.
//!
//! Invariant (the GC contract): a collection runs only at a VM safe point
//! (see `gc`), never inside an allocation. Rust code between two safe points
//! — a native function, the reader, the compiler — may therefore hold
//! unrooted `Value`s freely. Allocation only counts debt; the VM pays it by
//! collecting at its next safe point. The heap is plain safe Rust (indices,
//! not pointers), which also makes it — and the isolate — `Send`.

pub mod arena;
pub mod pages;

use crate::fiber::Fiber;
use crate::objects::{hash_bytes, AbstractBox, Closure, StrObj, TupleObj, Upval};
use crate::symbols::Interner;
use crate::table::TableObj;
use crate::value::{Ref, Value};
use arena::Arena;
use pages::Pages;

/// All objects of one isolate.
#[derive(Debug, Default)]
pub struct Heap {
    pub strings: Arena<StrObj>,
    pub buffers: Arena<Vec<u8>>,
    pub tuples: Arena<TupleObj>,
    pub arrays: Arena<Vec<Value>>,
    pub structs: Arena<TableObj>,
    pub tables: Arena<TableObj>,
    pub closures: Arena<Closure>,
    pub fibers: Arena<Fiber, Pages<Fiber>>,
    pub upvals: Arena<Upval>,
    pub abstracts: Arena<AbstractBox>,
    pub syms: Interner,
    /// Allocations since the last collection.
    pub debt: usize,
    /// Debt at which the next safe point collects.
    pub threshold: usize,
    /// Collect at every safe point that follows an allocation.
    pub stress: bool,
    /// While > 0, safe points do not collect (compilation in progress).
    pub inhibit: u32,
    /// Number of collections so far.
    pub collections: u64,
    /// The gray stack of the last collection, kept (empty) for the next:
    /// with a million live objects it is large, and allocating it afresh
    /// each time means faulting its pages in again.
    pub gray_spare: Vec<Value>,
}

impl Heap {
    /// An empty heap; `stress` enables gc-stress mode.
    pub fn new(stress: bool) -> Heap {
        Heap {
            threshold: 100_000,
            stress,
            syms: Interner::with_capacity(2048),
            ..Heap::default()
        }
    }

    /// True if the next safe point should collect.
    #[inline(always)]
    pub fn wants_collect(&self) -> bool {
        self.debt > 0 && (self.stress || self.debt >= self.threshold) && self.inhibit == 0
    }

    #[inline(always)]
    fn charge(&mut self, n: usize) {
        self.debt += n;
    }

    /// A new string.
    pub fn string(&mut self, b: &[u8]) -> Value {
        self.charge(1 + b.len() / 64);
        Value::Str(self.strings.alloc(StrObj {
            bytes: b.into(),
            hash: hash_bytes(b),
        }))
    }

    /// A new buffer.
    pub fn buffer(&mut self, b: Vec<u8>) -> Value {
        self.charge(1 + b.len() / 64);
        Value::Buffer(self.buffers.alloc(b))
    }

    /// A new tuple.
    pub fn tuple(&mut self, items: Vec<Value>) -> Value {
        self.tuple_at(items, 0, 0, false)
    }

    /// A new tuple carrying a source position.
    pub fn tuple_at(&mut self, items: Vec<Value>, line: u32, col: u32, bracket: bool) -> Value {
        self.charge(1 + items.len() / 4);
        Value::Tuple(self.tuples.alloc(TupleObj {
            items: items.into(),
            line,
            col,
            bracket,
        }))
    }

    /// A new array.
    pub fn array(&mut self, items: Vec<Value>) -> Value {
        self.charge(1 + items.len() / 4);
        Value::Array(self.arrays.alloc(items))
    }

    /// A new table.
    pub fn table(&mut self, t: TableObj) -> Value {
        self.charge(1 + t.count / 2);
        Value::Table(self.tables.alloc(t))
    }

    /// A new struct.
    pub fn strukt(&mut self, t: TableObj) -> Value {
        self.charge(1 + t.count / 2);
        Value::Struct(self.structs.alloc(t))
    }

    /// A new closure.
    pub fn closure(&mut self, proto: u32, captures: Box<[Value]>) -> Value {
        self.charge(1);
        Value::Closure(self.closures.alloc(Closure { proto, captures }))
    }

    /// A new fiber object.
    pub fn fiber(&mut self, f: Fiber) -> Ref {
        self.charge(4);
        self.fibers.alloc(f)
    }

    /// A new upvalue.
    pub fn upval(&mut self, u: Upval) -> Ref {
        self.charge(1);
        self.upvals.alloc(u)
    }

    /// A keyword value.
    pub fn keyword(&mut self, name: &str) -> Value {
        Value::Keyword(self.syms.intern(name.as_bytes()))
    }

    /// A symbol value.
    pub fn symbol(&mut self, name: &str) -> Value {
        Value::Symbol(self.syms.intern(name.as_bytes()))
    }

    /// Bytes of a string, symbol, keyword or buffer.
    pub fn bytes(&self, v: Value) -> Option<&[u8]> {
        match v {
            Value::Str(r) => Some(&self.strings.get(r).bytes),
            Value::Buffer(r) => Some(self.buffers.get(r)),
            Value::Symbol(s) | Value::Keyword(s) => Some(self.syms.name(s)),
            _ => None,
        }
    }

    /// Elements of a tuple or array.
    pub fn items(&self, v: Value) -> Option<&[Value]> {
        match v {
            Value::Tuple(r) => Some(&self.tuples.get(r).items),
            Value::Array(r) => Some(self.arrays.get(r)),
            _ => None,
        }
    }

    /// Number of live objects of all kinds.
    pub fn live_objects(&self) -> usize {
        self.strings.live()
            + self.buffers.live()
            + self.tuples.live()
            + self.arrays.live()
            + self.structs.live()
            + self.tables.live()
            + self.closures.live()
            + self.fibers.live()
            + self.upvals.live()
            + self.abstracts.live()
    }
}
