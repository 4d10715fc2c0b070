//! The `Value` type: every datum the language manipulates.
//!
//! Invariant: a `Value` is 16 bytes and `Copy`. Immediate kinds (nil, booleans,
//! numbers, keywords, symbols, natives) carry their payload inline; every other
//! kind is a [`Ref`] — an index into the typed arena of its isolate's heap. A
//! `Ref` is meaningful only inside the heap that made it, and stays valid only
//! while the object is reachable from the GC roots (see `heap`).

use std::fmt;

/// Index of an object in one of the heap's typed arenas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref(pub u32);

impl Ref {
    /// The arena slot this reference names.
    #[inline(always)]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// An interned keyword or symbol name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// A language value. Numbers are `f64` as in Janet; integer operations check
/// that their operands are integral.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Num(f64),
    Keyword(Sym),
    Symbol(Sym),
    Str(Ref),
    Buffer(Ref),
    Tuple(Ref),
    Array(Ref),
    Struct(Ref),
    Table(Ref),
    Closure(Ref),
    /// Index into the isolate's native function registry.
    Native(u32),
    Fiber(Ref),
    Abstract(Ref),
    /// Internal: a captured `var` (an upvalue). Never visible to user code.
    Upval(Ref),
}

impl Value {
    /// Janet truthiness: only `nil` and `false` are false.
    #[inline(always)]
    pub fn truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// The number if this is one.
    #[inline(always)]
    pub fn as_num(self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(n),
            _ => None,
        }
    }

    /// The integer if this is an integral number that fits in i64's safe range.
    pub fn as_int(self) -> Option<i64> {
        match self {
            Value::Num(n) if n.fract() == 0.0 && n.abs() <= 9007199254740992.0 => Some(n as i64),
            _ => None,
        }
    }

    /// Janet's type keyword name for this value.
    pub fn type_name(self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Num(_) => "number",
            Value::Keyword(_) => "keyword",
            Value::Symbol(_) => "symbol",
            Value::Str(_) => "string",
            Value::Buffer(_) => "buffer",
            Value::Tuple(_) => "tuple",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
            Value::Table(_) => "table",
            Value::Closure(_) => "function",
            Value::Native(_) => "cfunction",
            Value::Fiber(_) => "fiber",
            Value::Abstract(_) => "abstract",
            Value::Upval(_) => "upvalue",
        }
    }

    /// True for kinds compared by identity and hashed by address.
    pub fn is_identity_kind(self) -> bool {
        !matches!(self, Value::Str(_) | Value::Tuple(_) | Value::Struct(_))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.type_name())
    }
}

/// The fuel signal: a fiber whose `fiber/set-fuel` budget ran out pauses
/// with it. Janet numbers signals 0..=13; Spindle adds fuel as 14 (mask
/// letter `:f`), carried as a tenth user signal so matches stay unchanged.
pub const FUEL: Signal = Signal::User(10);

/// A signal, numbered as Janet numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Ok,
    Error,
    Debug,
    Yield,
    /// User signal 0..=9 (8 is interrupt, 9 is await).
    User(u8),
}

impl Signal {
    /// Janet's signal number.
    pub fn code(self) -> u32 {
        match self {
            Signal::Ok => 0,
            Signal::Error => 1,
            Signal::Debug => 2,
            Signal::Yield => 3,
            Signal::User(n) => 4 + n as u32,
        }
    }

    /// The signal with Janet's number `n`.
    pub fn from_code(n: u32) -> Option<Signal> {
        Some(match n {
            0 => Signal::Ok,
            1 => Signal::Error,
            2 => Signal::Debug,
            3 => Signal::Yield,
            4..=14 => Signal::User((n - 4) as u8),
            _ => return None,
        })
    }

    /// The bit of this signal in a fiber mask.
    pub fn bit(self) -> u32 {
        1 << self.code()
    }
}
