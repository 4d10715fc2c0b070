//! Boot images: the root environment as the prelude leaves it, written as
//! bytes once and restored into every later isolate, so booting does not
//! compile ~1900 lines of prelude each time.
//!
//! Design. `corelib::register_all` is deterministic: the same build makes
//! the same natives, interned names, prototypes and heap objects, in the
//! same arena slots, every time (the `Baseline` records how many of each;
//! an image made against a different baseline is refused). Those pre-prelude
//! values are the image's reference table, as Janet's boot image refers
//! into its reverse-lookup table: the image names them by arena slot and
//! never copies them, so natives, the std streams and every other abstract
//! value stay the ones the new isolate made itself. Everything the prelude
//! created (closures with their prototypes, upvalues, tables, structs,
//! tuples, strings, buffers) is written as an object graph, and so is any
//! pre-prelude table, array or buffer whose contents the prelude changed
//! (the root environment always) — for a table, as the puts the prelude
//! made, so every key it left alone keeps the value the new isolate's own
//! `register_all` gave it; restoring changes it in place, keeping its
//! identity. Names interned by the prelude (symbols,
//! keywords, gensyms) are written in id order and interned again in that
//! order, so a `Sym` means the same in the image and in the isolate, and
//! hashes keyed by names are unchanged. Only prototypes reachable from the
//! graph are kept (the prelude's run-once top-level thunks are dropped), so
//! their indices are renumbered; `opcodec` is where that meets bytecode.
//!
//! Layout: magic, fingerprint, baseline, payload checksum, payload. The
//! payload holds names, source file names, one kind byte per object (so all
//! objects can be allocated before any is filled and cycles need no
//! patching), prototypes, then each object's contents, in post-order of the
//! writer's walk: a tuple or struct comes after every tuple or struct inside
//! it, so content hashes are computed over filled objects.
//!
//! Invariants:
//! - The writer runs the prelude with collection inhibited, so an arena
//!   slot below the baseline still holds the object `register_all` put
//!   there (no freed slot was reused).
//! - Restoring either fails before the isolate is used (the caller boots a
//!   fresh one and compiles), or yields an isolate whose root environment,
//!   docstrings, source maps, macro flags and dynamic bindings are those
//!   of a compiled boot. The reader never panics on bad bytes; the
//!   checksum and the build fingerprint (see `cache`) keep images from
//!   another build or a torn file away from the VM, which trusts bytecode.

pub mod cache;
pub mod opcodec;
pub mod read;
pub mod wire;
pub mod write;

use crate::isolate::Isolate;
use crate::value::{Ref, Value};
use wire::{In, Out};

/// File magic and format version.
const MAGIC: &[u8; 8] = b"SPNDIMG1";

/// The heap object kinds an image can name, in arena order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Str,
    Buf,
    Tup,
    Arr,
    Struct,
    Table,
    Closure,
    Fiber,
    Upval,
    Abstract,
}

const KINDS: [Kind; 10] = [
    Kind::Str,
    Kind::Buf,
    Kind::Tup,
    Kind::Arr,
    Kind::Struct,
    Kind::Table,
    Kind::Closure,
    Kind::Fiber,
    Kind::Upval,
    Kind::Abstract,
];

impl Kind {
    /// The kind and arena slot of a heap value; `None` for immediates.
    pub fn of(v: Value) -> Option<(Kind, Ref)> {
        Some(match v {
            Value::Str(r) => (Kind::Str, r),
            Value::Buffer(r) => (Kind::Buf, r),
            Value::Tuple(r) => (Kind::Tup, r),
            Value::Array(r) => (Kind::Arr, r),
            Value::Struct(r) => (Kind::Struct, r),
            Value::Table(r) => (Kind::Table, r),
            Value::Closure(r) => (Kind::Closure, r),
            Value::Fiber(r) => (Kind::Fiber, r),
            Value::Upval(r) => (Kind::Upval, r),
            Value::Abstract(r) => (Kind::Abstract, r),
            Value::Nil
            | Value::Bool(_)
            | Value::Num(_)
            | Value::Keyword(_)
            | Value::Symbol(_)
            | Value::Native(_) => return None,
        })
    }

    /// The value naming slot `r` of this kind's arena.
    pub fn value(self, r: Ref) -> Value {
        match self {
            Kind::Str => Value::Str(r),
            Kind::Buf => Value::Buffer(r),
            Kind::Tup => Value::Tuple(r),
            Kind::Arr => Value::Array(r),
            Kind::Struct => Value::Struct(r),
            Kind::Table => Value::Table(r),
            Kind::Closure => Value::Closure(r),
            Kind::Fiber => Value::Fiber(r),
            Kind::Upval => Value::Upval(r),
            Kind::Abstract => Value::Abstract(r),
        }
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> Option<Kind> {
        KINDS.get(c as usize).copied()
    }

    /// Kinds whose pre-prelude objects the prelude may have changed.
    fn mutable(self) -> bool {
        matches!(self, Kind::Buf | Kind::Arr | Kind::Table)
    }
}

/// What `register_all` left in an isolate: the extent of the reference
/// table an image points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Baseline {
    arenas: [u32; 10],
    natives: u32,
    protos: u32,
    syms: u32,
}

impl Baseline {
    /// The baseline of `iso` as it is now.
    pub fn of(iso: &Isolate) -> Baseline {
        let h = &iso.heap;
        let slots = |k: Kind| {
            (match k {
                Kind::Str => h.strings.slots(),
                Kind::Buf => h.buffers.slots(),
                Kind::Tup => h.tuples.slots(),
                Kind::Arr => h.arrays.slots(),
                Kind::Struct => h.structs.slots(),
                Kind::Table => h.tables.slots(),
                Kind::Closure => h.closures.slots(),
                Kind::Fiber => h.fibers.slots(),
                Kind::Upval => h.upvals.slots(),
                Kind::Abstract => h.abstracts.slots(),
            }) as u32
        };
        Baseline {
            arenas: KINDS.map(slots),
            natives: iso.natives.len() as u32,
            protos: iso.protos.len() as u32,
            syms: h.syms.len() as u32,
        }
    }

    /// True if slot `r` of kind `k` existed before the prelude.
    fn has(&self, k: Kind, r: Ref) -> bool {
        r.0 < self.arenas[k as usize]
    }

    fn put(&self, out: &mut Out) {
        for n in self.arenas {
            out.uint(n as u64);
        }
        for n in [self.natives, self.protos, self.syms] {
            out.uint(n as u64);
        }
    }

    fn get(inp: &mut In) -> Option<Baseline> {
        let mut arenas = [0u32; 10];
        for n in &mut arenas {
            *n = inp.u32()?;
        }
        Some(Baseline {
            arenas,
            natives: inp.u32()?,
            protos: inp.u32()?,
            syms: inp.u32()?,
        })
    }
}
