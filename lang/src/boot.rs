//! Booting an isolate: an empty heap, the root environment, the native
//! core library, then the prelude (written in the language itself) —
//! restored from a boot image (`image`) when the process or the disk cache
//! has one, compiled from source otherwise.
//!
//! Invariant: after `Isolate::new` returns, the root environment holds every
//! core binding and no fiber is running, however the prelude got there.

use crate::corelib;
use crate::heap::Heap;
use crate::image::write::Snapshot;
use crate::image::{cache, read, write};
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

    /// A booted isolate with gc-stress on or off: from the process's boot
    /// image when there is one, else from the disk image (when the disk
    /// cache is on), else by compiling the prelude, which also makes the
    /// image for the isolates after it.
    pub fn with_stress(stress: bool) -> Isolate {
        let mut iso = Isolate::without_prelude(stress);
        if std::env::var_os("SPINDLE_NO_PRELUDE").is_some() {
            return iso;
        }
        if let Some(img) = cache::process_image() {
            match read::restore(&mut iso, img, cache::FINGERPRINT) {
                Ok(()) => return iso,
                Err(e) => {
                    cache::note(&format!("prelude image refused ({}); compiling", e));
                    iso = Isolate::without_prelude(stress);
                }
            }
        } else if let Some((path, img)) = cache::load_disk() {
            match read::restore(&mut iso, &img, cache::FINGERPRINT) {
                Ok(()) => {
                    cache::keep(img);
                    return iso;
                }
                Err(e) => {
                    cache::note(&format!(
                        "prelude image {} refused ({}); compiling the prelude and rewriting it",
                        path.display(),
                        e
                    ));
                    iso = Isolate::without_prelude(stress);
                }
            }
        }
        let snap = Snapshot::take(&iso);
        iso.compile_prelude();
        match write::write(&iso, &snap, cache::FINGERPRINT) {
            Ok(img) => {
                cache::store_disk(&img);
                cache::keep(img);
            }
            Err(e) => cache::note(&format!("no prelude image: {}", e)),
        }
        iso
    }

    /// An isolate with the core library registered and no prelude.
    pub fn without_prelude(stress: bool) -> Isolate {
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
            pending: None,
            next_task: None,
            capture: None,
            ev: Box::default(),
        };
        corelib::register_all(&mut iso);
        iso
    }

    /// Compiles and runs the prelude from source. Collection is inhibited
    /// meanwhile, so no slot `register_all` filled is freed and reused (the
    /// image refers to those slots; see `image`).
    pub fn compile_prelude(&mut self) {
        self.heap.inhibit += 1;
        self.run_prelude_sources();
        self.heap.inhibit -= 1;
    }

    /// Compiles and runs the prelude from source with collection allowed.
    /// Boot never uses it (see `compile_prelude`); it lets a gc-stress test
    /// collect at every allocation of the compiler and the macros.
    pub fn run_prelude_sources(&mut self) {
        for (name, src) in PRELUDE {
            if let Err(e) = self.run_source(src.as_bytes(), name) {
                panic!("prelude {} failed to load: {}", name, e);
            }
        }
    }
}

impl Default for Isolate {
    fn default() -> Self {
        Isolate::new()
    }
}
