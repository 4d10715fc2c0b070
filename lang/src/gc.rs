//! The collector: precise mark-sweep over the typed arenas.
//!
//! Protocol:
//! 1. The VM reaches a safe point (after an allocating instruction, a call,
//!    or a backward jump) and sees `Heap::wants_collect`.
//! 2. It gathers the roots: the running fiber's registers and frames (moved
//!    out of its fiber object while it runs), every fiber on the resume chain,
//!    the global environment, every prototype's constants, the explicit root
//!    stack, and the natives' scratch values.
//! 3. `collect` marks transitively with an explicit gray stack (no recursion),
//!    then sweeps every arena. Unreachable slots are reset to their default
//!    and reused.
//!
//! Because collections only happen at safe points, Rust code never observes
//! an object freed under it.

use crate::fiber::FiberStatus;
use crate::heap::Heap;
use crate::objects::Upval;
use crate::value::{Ref, Value};

impl Heap {
    /// Marks everything reachable from `roots` and frees the rest.
    pub fn collect(&mut self, roots: Vec<Value>) {
        let mut gray = roots;
        while let Some(v) = gray.pop() {
            self.mark_one(v, &mut gray);
        }
        self.gray_spare = gray;
        let freed = self.strings.sweep()
            + self.buffers.sweep()
            + self.tuples.sweep()
            + self.arrays.sweep()
            + self.structs.sweep()
            + self.tables.sweep()
            + self.closures.sweep()
            + self.fibers.sweep()
            + self.upvals.sweep()
            + self.abstracts.sweep();
        let _ = freed;
        self.debt = 0;
        // The next collection comes once the debt matches what survived,
        // counted in debt units: a fiber is charged 4 (`Heap::fiber`), so
        // counting it as 1 here made fiber-heavy heaps (a million parked
        // tasks) collect about twice as often as their size calls for.
        self.threshold = (self.live_objects() + 3 * self.fibers.live()).max(100_000);
        self.collections += 1;
    }

    /// Gives back the registers of suspended fiber `r` that it cannot be
    /// using (`fiber`'s invariant: those above the slot its call's result
    /// goes to, and above its open upvalues), once at least `TRIM_MIN` are
    /// wasted. Like Go's stack shrinking at GC, it costs only fibers that
    /// stay parked across a collection: a fiber that once got a hot window
    /// (`vm::fast`), or a task body parked deep in a wide function, stops
    /// holding that memory while it waits.
    fn trim_suspended_stack(&mut self, r: Ref) {
        /// Wasted registers (16 bytes each) worth a reallocation.
        const TRIM_MIN: usize = 8;
        let f = self.fibers.get(r);
        let at_call = matches!(f.status, FiberStatus::Pending | FiberStatus::User(_));
        if !at_call || f.resume_slot == u32::MAX {
            return;
        }
        let mut keep = f.resume_slot as usize + 1;
        for u in &f.open_upvals {
            if let Upval::Open { slot, .. } = *self.upvals.get(*u) {
                keep = keep.max(slot as usize + 1);
            }
        }
        if keep > f.stack.len() || f.stack.capacity() - keep < TRIM_MIN {
            return;
        }
        let f = self.fibers.get_mut(r);
        f.stack.truncate(keep);
        f.stack.shrink_to_fit();
    }

    fn mark_one(&mut self, v: Value, gray: &mut Vec<Value>) {
        match v {
            Value::Str(r) => {
                self.strings.mark(r);
            }
            Value::Buffer(r) => {
                self.buffers.mark(r);
            }
            Value::Tuple(r) => {
                if self.tuples.mark(r) {
                    gray.extend_from_slice(&self.tuples.get(r).items);
                }
            }
            Value::Array(r) => {
                if self.arrays.mark(r) {
                    gray.extend_from_slice(self.arrays.get(r));
                }
            }
            Value::Struct(r) => {
                if self.structs.mark(r) {
                    let t = self.structs.get(r);
                    gray.extend(t.iter().flat_map(|(k, v)| [k, v]).filter(|v| !is_leaf(*v)));
                    if let Some(p) = t.proto {
                        gray.push(Value::Struct(p));
                    }
                }
            }
            Value::Table(r) => {
                if self.tables.mark(r) {
                    let t = self.tables.get(r);
                    gray.extend(t.iter().flat_map(|(k, v)| [k, v]).filter(|v| !is_leaf(*v)));
                    if let Some(p) = t.proto {
                        gray.push(Value::Table(p));
                    }
                }
            }
            Value::Closure(r) => {
                if self.closures.mark(r) {
                    gray.extend_from_slice(&self.closures.get(r).captures);
                }
            }
            Value::Fiber(r) => {
                if self.fibers.mark(r) {
                    self.trim_suspended_stack(r);
                    let f = self.fibers.get(r);
                    gray.extend_from_slice(&f.stack);
                    gray.extend(f.frames.iter().map(|fr| Value::Closure(fr.closure)));
                    gray.extend(f.open_upvals.iter().map(|u| Value::Upval(*u)));
                    gray.push(f.func);
                    gray.push(f.last);
                    gray.extend(f.parent.map(Value::Fiber));
                    gray.extend(f.child.map(Value::Fiber));
                    gray.extend(f.env.map(Value::Table));
                }
            }
            Value::Upval(r) => {
                if self.upvals.mark(r) {
                    match *self.upvals.get(r) {
                        Upval::Open { fiber, .. } => gray.push(Value::Fiber(fiber)),
                        Upval::Closed(v) => gray.push(v),
                    }
                }
            }
            Value::Abstract(r) => {
                if self.abstracts.mark(r) {
                    if let Some(a) = self.abstracts.get(r) {
                        a.trace(gray);
                    }
                }
            }
            Value::Nil
            | Value::Bool(_)
            | Value::Num(_)
            | Value::Keyword(_)
            | Value::Symbol(_)
            | Value::Native(_) => {}
        }
    }
}

/// Values that reference no heap object, so marking them does nothing: a
/// table of a million numbers then adds nothing to the gray stack instead of
/// two million values popped again at once.
#[inline(always)]
fn is_leaf(v: Value) -> bool {
    matches!(
        v,
        Value::Nil
            | Value::Bool(_)
            | Value::Num(_)
            | Value::Keyword(_)
            | Value::Symbol(_)
            | Value::Native(_)
    )
}

#[cfg(test)]
mod tests {
    use crate::heap::Heap;
    use crate::value::Value;

    #[test]
    fn unreachable_objects_are_freed_reachable_kept() {
        let mut h = Heap::new(false);
        let s = h.string(b"kept");
        let inner = h.array(vec![s]);
        let outer = h.tuple(vec![inner, Value::Num(1.0)]);
        let _garbage = h.string(b"garbage");
        let cyc = h.array(vec![]);
        if let Value::Array(r) = cyc {
            h.arrays.get_mut(r).push(cyc);
        }
        assert_eq!(h.live_objects(), 5);
        h.collect(vec![outer]);
        assert_eq!(h.live_objects(), 3);
        assert_eq!(h.bytes(s), Some(&b"kept"[..]));
    }

    #[test]
    fn a_table_of_numbers_keeps_its_heap_keys_and_values() {
        let mut h = Heap::new(false);
        let key = h.string(b"key");
        let val = h.string(b"val");
        let _garbage = h.string(b"garbage");
        let mut t = crate::table::TableObj::default();
        for i in 0..200 {
            let k = Value::Num(i as f64);
            t.put(k, crate::table::hash_num(i as f64), Value::Num(-1.0), |x| {
                x == k
            });
        }
        t.put(key, h.hash(key), val, |x| x == key);
        let kw = Value::Keyword(crate::value::Sym(1));
        t.put(kw, 99, Value::Bool(true), |x| x == kw);
        let tv = h.table(t);
        h.collect(vec![tv]);
        assert_eq!(h.live_objects(), 3);
        assert_eq!(h.bytes(key), Some(&b"key"[..]));
        assert_eq!(h.bytes(val), Some(&b"val"[..]));
    }
}
