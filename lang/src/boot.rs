//! Booting an isolate: an empty heap, the root environment, the native
//! core library, then the prelude (written in the language itself).
//!
//! Invariant: after `Isolate::new` returns, the root environment holds every
//! core binding and no fiber is running.

use crate::corelib;
use crate::heap::Heap;
use crate::isolate::Isolate;
use crate::table::TableObj;
use crate::value::Value;

/// The prelude sources, in load order.
const PRELUDE: &[(&str, &str)] = &[
    ("boot.janet", include_str!("prelude/boot.janet")),
    ("control.janet", include_str!("prelude/control.janet")),
    ("seq.janet", include_str!("prelude/seq.janet")),
    ("ev.janet", include_str!("prelude/ev.janet")),
    ("loops.janet", include_str!("prelude/loops.janet")),
    ("macros.janet", include_str!("prelude/macros.janet")),
    ("match.janet", include_str!("prelude/match.janet")),
    (
        "collections.janet",
        include_str!("prelude/collections.janet"),
    ),
    ("modules.janet", include_str!("prelude/modules.janet")),
    ("sync.janet", include_str!("prelude/sync.janet")),
];

/// Default reductions per quantum.
pub const DEFAULT_QUANTUM: i64 = 1 << 20;

/// True when gc-stress mode is requested (feature or `SPINDLE_GC_STRESS=1`).
pub fn stress_requested() -> bool {
    cfg!(feature = "gc-stress") || std::env::var("SPINDLE_GC_STRESS").is_ok_and(|v| v == "1")
}

impl Isolate {
    /// A booted isolate (gc-stress as requested by the environment).
    pub fn new() -> Isolate {
        Isolate::with_stress(stress_requested())
    }

    /// A booted isolate with gc-stress on or off.
    pub fn with_stress(stress: bool) -> Isolate {
        let mut heap = Heap::new(stress);
        let env = match heap.table(TableObj::default()) {
            Value::Table(r) => r,
            _ => unreachable!("table() returns a table"),
        };
        let mut iso = Isolate {
            heap,
            protos: Vec::new(),
            natives: Vec::new(),
            env,
            stack: Vec::new(),
            frames: Vec::new(),
            open_upvals: Vec::new(),
            cur: None,
            fuel: DEFAULT_QUANTUM,
            quantum: DEFAULT_QUANTUM,
            preempt: false,
            roots: Vec::new(),
            run_stack: Vec::new(),
            scratch: Vec::new(),
            capture: None,
            ev: Box::default(),
        };
        corelib::register_all(&mut iso);
        let skip = std::env::var_os("SPINDLE_NO_PRELUDE").is_some();
        for (name, src) in PRELUDE.iter().filter(|_| !skip) {
            if let Err(e) = iso.run_source(src.as_bytes(), name) {
                panic!("prelude {} failed to load: {}", name, e);
            }
        }
        iso
    }
}

impl Default for Isolate {
    fn default() -> Self {
        Isolate::new()
    }
}
