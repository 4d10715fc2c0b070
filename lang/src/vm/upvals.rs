//! Upvalues: how closures share a captured `var` with the frame that owns it.
//!
//! Protocol:
//! 1. A closure that captures a `var` gets `Value::Upval(u)`; `u` is *open*
//!    (`fiber`, absolute stack slot) while the owning frame lives. Each fiber
//!    keeps its open upvalues sorted by slot, so one slot has one upvalue.
//! 2. Reads and writes of an open upvalue go to the owner's stack: the VM's
//!    live stack if the owner is the running fiber, else the fiber object's.
//! 3. When the owning scope ends (`Close`), the frame returns, or a tail call
//!    replaces it, every open upvalue at or above the frame's level is
//!    *closed*: the value is copied into the upvalue and it is removed from
//!    the open list.

use crate::heap::Heap;
use crate::objects::Upval;
use crate::value::{Ref, Value};

/// The open upvalue for `slot` of fiber `cur`, created if needed.
pub fn find_or_open(heap: &mut Heap, open: &mut Vec<Ref>, cur: Ref, slot: usize) -> Ref {
    let pos = open.partition_point(|u| match heap.upvals.get(*u) {
        Upval::Open { slot: s, .. } => (*s as usize) < slot,
        Upval::Closed(_) => true,
    });
    if let Some(u) = open.get(pos) {
        if matches!(heap.upvals.get(*u), Upval::Open { slot: s, .. } if *s as usize == slot) {
            return *u;
        }
    }
    let u = heap.upval(Upval::Open {
        fiber: cur,
        slot: slot as u32,
    });
    open.insert(pos, u);
    u
}

/// Closes every open upvalue at or above `level`.
pub fn close(heap: &mut Heap, open: &mut Vec<Ref>, stack: &[Value], level: usize) {
    while let Some(&u) = open.last() {
        match *heap.upvals.get(u) {
            Upval::Open { slot, .. } if slot as usize >= level => {
                let v = stack.get(slot as usize).copied().unwrap_or_default();
                *heap.upvals.get_mut(u) = Upval::Closed(v);
                open.pop();
            }
            _ => break,
        }
    }
}

/// Reads the upvalue in `u` (a `Value::Upval`).
pub fn read(heap: &Heap, stack: &[Value], cur: Ref, u: Value) -> Value {
    let Value::Upval(u) = u else { return u };
    match *heap.upvals.get(u) {
        Upval::Closed(v) => v,
        Upval::Open { fiber, slot } if fiber == cur => stack[slot as usize],
        Upval::Open { fiber, slot } => heap
            .fibers
            .get(fiber)
            .stack
            .get(slot as usize)
            .copied()
            .unwrap_or_default(),
    }
}

/// Writes the upvalue in `u`.
pub fn write(heap: &mut Heap, stack: &mut [Value], cur: Ref, u: Value, v: Value) {
    let Value::Upval(u) = u else { return };
    match *heap.upvals.get(u) {
        Upval::Closed(_) => *heap.upvals.get_mut(u) = Upval::Closed(v),
        Upval::Open { fiber, slot } if fiber == cur => stack[slot as usize] = v,
        Upval::Open { fiber, slot } => {
            if let Some(x) = heap.fibers.get_mut(fiber).stack.get_mut(slot as usize) {
                *x = v;
            }
        }
    }
}
