//! Heap object bodies other than tables and fibers: strings, tuples,
//! closures, upvalues and the abstract-type hook.
//!
//! Invariant: strings and tuples are immutable once allocated (their cached
//! hash stays true); a closure's `captures` hold plain values for captured
//! immutable bindings and `Value::Upval` for captured `var`s.

use crate::value::{Ref, Value};

/// An immutable byte string with its content hash.
#[derive(Debug, Default)]
pub struct StrObj {
    pub bytes: Box<[u8]>,
    pub hash: u64,
}

/// An immutable tuple with the source position of the form it was read from.
#[derive(Debug, Default)]
pub struct TupleObj {
    pub items: Box<[Value]>,
    pub line: u32,
    pub col: u32,
    /// Written with `[]` rather than `()`.
    pub bracket: bool,
}

/// A function value: a prototype plus the values it captured.
#[derive(Debug, Default)]
pub struct Closure {
    pub proto: u32,
    pub captures: Box<[Value]>,
}

/// A captured `var`: open while its frame lives (the value is in the owning
/// fiber's stack), closed afterwards.
#[derive(Debug, Clone, Copy)]
pub enum Upval {
    Open { fiber: Ref, slot: u32 },
    Closed(Value),
}

impl Default for Upval {
    fn default() -> Self {
        Upval::Closed(Value::Nil)
    }
}

/// Hook for kinds defined outside the core (channels, streams, locks...).
/// `Any` lets the module that defines a kind downcast it back.
pub trait AbstractType: std::any::Any + Send + std::fmt::Debug {
    /// The type name shown by `type` and the printer.
    fn type_name(&self) -> &'static str;
    /// Pushes every heap value this object references (for the GC).
    fn trace(&self, _out: &mut Vec<Value>) {}
    /// A table of methods (`(:name obj ...)` and `get` look keys up here).
    fn methods(&self) -> Value {
        Value::Nil
    }
    /// Orders this object against `other` when both are of this type (for
    /// `=`, `<` and `compare`, as Janet's `compare` hook); `None` keeps the
    /// default, where an object equals only itself.
    fn compare(&self, _other: &dyn AbstractType) -> Option<std::cmp::Ordering> {
        None
    }
    /// A content hash, required of every type whose `compare` can say two
    /// distinct objects are equal (so `=` implies equal hashes).
    fn content_hash(&self) -> Option<u64> {
        None
    }
    /// The object as text, for types that print their content (Janet's
    /// `tostring` hook): `print` shows it alone, `describe` as `<name text>`.
    fn text(&self) -> Option<String> {
        None
    }
}

/// Slot type of the abstract arena.
pub type AbstractBox = Option<Box<dyn AbstractType>>;

/// FNV-1a over bytes, finished with a mixer.
pub fn hash_bytes(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &c in b {
        h ^= c as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    mix(h)
}

/// A 64-bit finaliser (splitmix64).
#[inline]
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}
