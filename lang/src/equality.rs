//! Equality, hashing and ordering of values, as Janet defines them.
//!
//! Invariant: `equals(a, b)` implies `hash(a) == hash(b)`. Strings, tuples and
//! structs compare by content (`=`); so do abstract objects whose type has a
//! `compare` hook (64-bit integers); every mutable kind compares by identity.
//! `deep_equals` also compares arrays, tables and buffers by content.

use crate::heap::Heap;
use crate::objects::mix;
use crate::table::{hash_num, hash_sym, KEYWORD_TAG, SYMBOL_TAG};
use crate::value::Value;
use std::cmp::Ordering;

/// Nesting beyond which comparisons fall back to identity and hashing stops
/// descending, so hostile nesting cannot overflow the Rust stack.
const MAX_DEPTH: u32 = 128;

impl Heap {
    /// Janet's `=` on two values.
    pub fn equals(&self, a: Value, b: Value) -> bool {
        self.equals_at(a, b, 0)
    }

    fn equals_at(&self, a: Value, b: Value, depth: u32) -> bool {
        if a == b {
            return true;
        }
        if depth > MAX_DEPTH {
            return false;
        }
        let eq = |x: Value, y: Value| self.equals_at(x, y, depth + 1);
        match (a, b) {
            (Value::Str(x), Value::Str(y)) => {
                let (x, y) = (self.strings.get(x), self.strings.get(y));
                x.hash == y.hash && x.bytes == y.bytes
            }
            (Value::Tuple(x), Value::Tuple(y)) => {
                let (x, y) = (self.tuples.get(x), self.tuples.get(y));
                x.items.len() == y.items.len()
                    && x.items.iter().zip(y.items.iter()).all(|(a, b)| eq(*a, *b))
            }
            (Value::Struct(x), Value::Struct(y)) => {
                let (x, y) = (self.structs.get(x), self.structs.get(y));
                x.count == y.count
                    && x.iter().all(|(k, v)| {
                        let h = self.hash(k);
                        y.get(h, |k2| eq(k, k2)).is_some_and(|v2| eq(v, v2))
                    })
            }
            (Value::Abstract(x), Value::Abstract(y)) => {
                self.abstract_order(x, y) == Some(Ordering::Equal)
            }
            _ => false,
        }
    }

    /// The order an abstract type's `compare` hook gives two of its objects.
    fn abstract_order(&self, x: crate::value::Ref, y: crate::value::Ref) -> Option<Ordering> {
        let (a, b) = (
            self.abstracts.get(x).as_ref()?,
            self.abstracts.get(y).as_ref()?,
        );
        a.compare(b.as_ref())
    }

    /// Hash consistent with `equals`.
    pub fn hash(&self, v: Value) -> u64 {
        self.hash_at(v, 0)
    }

    fn hash_at(&self, v: Value, depth: u32) -> u64 {
        if depth > MAX_DEPTH {
            return 0x5eed;
        }
        match v {
            Value::Nil => 0,
            Value::Bool(b) => 1 + b as u64,
            Value::Num(n) => hash_num(n),
            Value::Keyword(s) => hash_sym(s.0, KEYWORD_TAG),
            Value::Symbol(s) => hash_sym(s.0, SYMBOL_TAG),
            Value::Str(r) => self.strings.get(r).hash,
            Value::Tuple(r) => {
                let mut h: u64 = 0x7475;
                for x in self.tuples.get(r).items.iter() {
                    h = mix(h ^ self.hash_at(*x, depth + 1)).wrapping_add(1);
                }
                h
            }
            Value::Struct(r) => {
                let mut h: u64 = 0x7374;
                for (k, v) in self.structs.get(r).iter() {
                    h = h.wrapping_add(mix(
                        self.hash_at(k, depth + 1) ^ self.hash_at(v, depth + 1).rotate_left(17)
                    ));
                }
                h
            }
            Value::Buffer(r) => mix(r.0 as u64 ^ 0x1_0000_0000),
            Value::Array(r) => mix(r.0 as u64 ^ 0x2_0000_0000),
            Value::Table(r) => mix(r.0 as u64 ^ 0x3_0000_0000),
            Value::Closure(r) => mix(r.0 as u64 ^ 0x4_0000_0000),
            Value::Native(i) => mix(i as u64 ^ 0x5_0000_0000),
            Value::Fiber(r) => mix(r.0 as u64 ^ 0x6_0000_0000),
            Value::Abstract(r) => match self.abstracts.get(r).as_ref() {
                Some(a) => a
                    .content_hash()
                    .unwrap_or_else(|| mix(r.0 as u64 ^ 0x7_0000_0000)),
                None => mix(r.0 as u64 ^ 0x7_0000_0000),
            },
            Value::Upval(r) => mix(r.0 as u64 ^ 0x8_0000_0000),
        }
    }

    /// Janet's `deep=`.
    pub fn deep_equals(&self, a: Value, b: Value) -> bool {
        self.deep_at(a, b, 0)
    }

    fn deep_at(&self, a: Value, b: Value, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return a == b;
        }
        match (a, b) {
            (Value::Array(x), Value::Array(y)) => {
                let (x, y) = (self.arrays.get(x), self.arrays.get(y));
                x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|(a, b)| self.deep_at(*a, *b, depth + 1))
            }
            (Value::Tuple(x), Value::Tuple(y)) => {
                let (x, y) = (&self.tuples.get(x).items, &self.tuples.get(y).items);
                x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|(a, b)| self.deep_at(*a, *b, depth + 1))
            }
            (Value::Buffer(x), Value::Buffer(y)) => self.buffers.get(x) == self.buffers.get(y),
            (Value::Table(x), Value::Table(y)) => {
                self.deep_tables(self.tables.get(x), self.tables.get(y), depth)
            }
            (Value::Struct(x), Value::Struct(y)) => {
                self.deep_tables(self.structs.get(x), self.structs.get(y), depth)
            }
            _ => self.equals(a, b),
        }
    }

    fn deep_tables(
        &self,
        x: &crate::table::TableObj,
        y: &crate::table::TableObj,
        depth: u32,
    ) -> bool {
        x.count == y.count
            && x.iter().all(|(k, v)| {
                let h = self.hash(k);
                y.get(h, |k2| self.equals(k, k2))
                    .is_some_and(|v2| self.deep_at(v, v2, depth + 1))
            })
    }

    /// Janet's total order (`compare`, `<` on non-numbers, `sort`).
    pub fn compare(&self, a: Value, b: Value) -> Ordering {
        self.compare_at(a, b, 0)
    }

    fn compare_at(&self, a: Value, b: Value, depth: u32) -> Ordering {
        if depth > MAX_DEPTH {
            return Ordering::Equal;
        }
        fn rank(v: Value) -> u8 {
            match v {
                Value::Nil => 0,
                Value::Bool(_) => 1,
                Value::Num(_) => 2,
                Value::Str(_) => 3,
                Value::Symbol(_) => 4,
                Value::Keyword(_) => 5,
                Value::Buffer(_) => 6,
                Value::Tuple(_) => 7,
                Value::Array(_) => 8,
                Value::Struct(_) => 9,
                Value::Table(_) => 10,
                _ => 11,
            }
        }
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(&y),
            (Value::Str(_), Value::Str(_))
            | (Value::Symbol(_), Value::Symbol(_))
            | (Value::Keyword(_), Value::Keyword(_))
            | (Value::Buffer(_), Value::Buffer(_)) => self.bytes(a).cmp(&self.bytes(b)),
            (Value::Tuple(x), Value::Tuple(y)) => {
                let (x, y) = (&self.tuples.get(x).items, &self.tuples.get(y).items);
                for (a, b) in x.iter().zip(y.iter()) {
                    match self.compare_at(*a, *b, depth + 1) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                x.len().cmp(&y.len())
            }
            (Value::Abstract(x), Value::Abstract(y)) if self.abstract_order(x, y).is_some() => {
                self.abstract_order(x, y).unwrap_or(Ordering::Equal)
            }
            _ => match rank(a).cmp(&rank(b)) {
                Ordering::Equal => self.hash(a).cmp(&self.hash(b)),
                o => o,
            },
        }
    }
}
