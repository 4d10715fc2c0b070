//! `Env`: the handle a core module registers its natives through.
//!
//! Invariant: every registered native is also a global constant of the root
//! environment (with its docstring), so the compiler can inline intrinsics
//! by identity.

use crate::isolate::{Intrinsic, Isolate, NativeDef, NativeFn};
use crate::value::Value;

/// Registration handle over an isolate.
pub struct Env<'a> {
    pub iso: &'a mut Isolate,
}

impl<'a> Env<'a> {
    /// Registers a native function under `name`.
    pub fn native(&mut self, name: &'static str, doc: &'static str, f: NativeFn) {
        self.add(name, doc, f, None);
    }

    /// Registers a native that reads or writes what the run loop keeps
    /// outside the running fiber while it runs (its fuel budget, its frame
    /// limit), so the fast lane must not call it in place (see `NativeDef`).
    pub fn native_outside_lane(&mut self, name: &'static str, doc: &'static str, f: NativeFn) {
        self.add(name, doc, f, None);
        self.iso.natives.last_mut().expect("just added").lane = false;
    }

    /// Registers a native the compiler may inline as `ins`.
    pub fn intrinsic(
        &mut self,
        name: &'static str,
        doc: &'static str,
        f: NativeFn,
        ins: Intrinsic,
    ) {
        self.add(name, doc, f, Some(ins));
    }

    /// Defines a plain global value.
    pub fn value(&mut self, name: &str, v: Value, doc: &str) {
        self.iso.def_global(name, v, doc);
    }

    fn add(
        &mut self,
        name: &'static str,
        doc: &'static str,
        f: NativeFn,
        intrinsic: Option<Intrinsic>,
    ) {
        let i = self.iso.natives.len() as u32;
        self.iso.natives.push(NativeDef {
            name,
            f,
            doc,
            intrinsic,
            lane: true,
        });
        self.iso.def_global(name, Value::Native(i), doc);
    }
}
