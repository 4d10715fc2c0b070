//! A hierarchical timing wheel over exact deadlines: the structure behind
//! the per-worker timer store (`driver::timer`).
//!
//! Eight levels of 64 slots over 1 ms ticks; a level-k slot spans 64^k
//! ticks. 48 bits of ticks reach past any deadline a u64 of nanoseconds can
//! name, so no deadline overflows the wheel (six levels would need an
//! overflow list for deadlines two years out). Entries live in a slab and
//! each slot is a doubly linked list through slab indices, so insert and
//! cancel are O(1) and a cancelled entry leaves its slot at once. Ticks only
//! place entries: an entry keeps its exact deadline, fires only once
//! `deadline <= now`, and entries of the current tick wait in a small
//! min-heap by exact deadline, so sub-millisecond sleeps are neither early
//! nor rounded up.
//!
//! Invariants:
//! - a wheel entry's tick is > `elapsed`, and it sits at the level of the
//!   highest 6-bit group in which its tick differs from `elapsed`; so lower
//!   levels hold earlier entries, and within a level slots run in time order
//!   from `elapsed`'s own slot (no wrap-around);
//! - the heap holds the live entries whose tick is <= `elapsed`, plus stale
//!   elements of cancelled ones, recognised by their sequence number;
//! - `slot_min[s]` is <= every deadline in slot s (exact unless the entry
//!   holding the minimum was cancelled).
//!
//! Hence `next_deadline()` is never later than the earliest pending
//! deadline, and right after `fire_expired(now)` it is later than `now`
//! (no busy loop for a worker that parks with it as the timeout).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

const SLOT_BITS: usize = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 8;
const TICK_NS: u128 = 1_000_000;
const MAX_TICK: u64 = (1 << (SLOT_BITS * LEVELS)) - 1;
const NIL: u32 = u32::MAX;
/// `Node::slot` of an entry waiting in the heap.
const IN_HEAP: u16 = u16::MAX;
/// `Node::slot` of a free slab node.
const FREE: u16 = u16::MAX - 1;

/// Names one inserted entry; stays unique (the sequence number is never
/// reused), so removing a fired or already removed entry is a no-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WheelKey {
    idx: u32,
    seq: u64,
}

struct Node<T> {
    deadline: Instant,
    tick: u64,
    seq: u64,
    value: Option<T>,
    prev: u32,
    /// Next in the slot list, or next free node.
    next: u32,
    /// `level * SLOTS + slot`, `IN_HEAP` or `FREE`.
    slot: u16,
}

pub(crate) struct Wheel<T> {
    start: Instant,
    elapsed: u64,
    seq: u64,
    len: usize,
    nodes: Vec<Node<T>>,
    free: u32,
    heads: [u32; LEVELS * SLOTS],
    slot_min: [Option<Instant>; LEVELS * SLOTS],
    occupied: [u64; LEVELS],
    heap: BinaryHeap<Reverse<(Instant, u64, u32)>>,
    /// Scratch for one `fire_expired`: (deadline, seq, node) of due entries.
    due: Vec<(Instant, u64, u32)>,
}

/// Level of `tick` relative to `elapsed`: its highest differing 6-bit group.
fn level_for(elapsed: u64, tick: u64) -> usize {
    let masked = (elapsed ^ tick) | (SLOTS as u64 - 1);
    (63 - masked.leading_zeros() as usize) / SLOT_BITS
}

fn slot_of(tick: u64, level: usize) -> usize {
    ((tick >> (level * SLOT_BITS)) as usize) & (SLOTS - 1)
}

impl<T> Wheel<T> {
    /// An empty wheel whose tick 0 starts at `start`.
    pub(crate) fn new(start: Instant) -> Self {
        Wheel {
            start,
            elapsed: 0,
            seq: 0,
            len: 0,
            nodes: Vec::new(),
            free: NIL,
            heads: [NIL; LEVELS * SLOTS],
            slot_min: [None; LEVELS * SLOTS],
            occupied: [0; LEVELS],
            heap: BinaryHeap::new(),
            due: Vec::new(),
        }
    }

    /// The tick holding `t` (rounded down, so never after `t`).
    fn tick_of(&self, t: Instant) -> u64 {
        let ns = t.saturating_duration_since(self.start).as_nanos();
        (ns / TICK_NS).min(MAX_TICK as u128) as u64
    }

    pub(crate) fn insert(&mut self, deadline: Instant, value: T) -> WheelKey {
        // A deadline in an already passed tick goes to the heap (it is due).
        let tick = self.tick_of(deadline).max(self.elapsed);
        self.seq += 1;
        let node = Node {
            deadline,
            tick,
            seq: self.seq,
            value: Some(value),
            prev: NIL,
            next: NIL,
            slot: FREE,
        };
        let idx = if self.free != NIL {
            let idx = self.free;
            self.free = self.nodes[idx as usize].next;
            self.nodes[idx as usize] = node;
            idx
        } else {
            assert!(self.nodes.len() < NIL as usize, "too many timers");
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        };
        self.len += 1;
        self.link(idx);
        WheelKey { idx, seq: self.seq }
    }

    /// Removes a pending entry; `None` if it already fired or was removed.
    pub(crate) fn remove(&mut self, key: WheelKey) -> Option<T> {
        let node = self.nodes.get(key.idx as usize)?;
        if node.seq != key.seq || node.slot == FREE {
            return None;
        }
        self.unlink(key.idx);
        self.release(key.idx)
    }

    /// The value of a pending entry; `None` if it already fired or was removed.
    pub(crate) fn get_mut(&mut self, key: WheelKey) -> Option<&mut T> {
        let node = self.nodes.get_mut(key.idx as usize)?;
        if node.seq != key.seq || node.slot == FREE {
            return None;
        }
        node.value.as_mut()
    }

    /// A lower bound of the earliest pending deadline (exact unless that
    /// slot's earliest entry was cancelled), `None` when nothing is pending.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        let in_heap = self.heap_top();
        let in_wheel = self
            .first_slot()
            .and_then(|(level, slot)| self.slot_min[level * SLOTS + slot]);
        match (in_heap, in_wheel) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires, in (deadline, insertion) order, every entry whose deadline is
    /// <= `now`, cascading the slots that start by `now`'s tick. Returns how
    /// many fired.
    pub(crate) fn fire_expired(&mut self, now: Instant, mut fire: impl FnMut(T)) -> usize {
        if self.next_deadline().is_none_or(|d| d > now) {
            return 0;
        }
        let now_tick = self.tick_of(now).max(self.elapsed);
        while let Some((level, slot)) = self.first_slot() {
            let start = self.slot_start(level, slot);
            if start > now_tick {
                break;
            }
            // Earliest slot first, so `elapsed` never skips an occupied slot.
            self.elapsed = start;
            let s = level * SLOTS + slot;
            let mut idx = std::mem::replace(&mut self.heads[s], NIL);
            self.occupied[level] &= !(1 << slot);
            self.slot_min[s] = None;
            while idx != NIL {
                let n = &self.nodes[idx as usize];
                let next = n.next;
                if n.deadline <= now {
                    self.due.push((n.deadline, n.seq, idx));
                } else {
                    // Not due, so its tick is >= now_tick: it lands in a
                    // later slot of this loop, or in the heap if it is in
                    // `now`'s own tick.
                    self.link(idx);
                }
                idx = next;
            }
        }
        self.elapsed = now_tick;
        while let Some(&Reverse((deadline, seq, idx))) = self.heap.peek() {
            let live = self.live_in_heap(idx, seq);
            if live && deadline > now {
                break;
            }
            self.heap.pop();
            if live {
                self.due.push((deadline, seq, idx));
            }
        }
        let mut due = std::mem::take(&mut self.due);
        due.sort_unstable_by_key(|&(deadline, seq, _)| (deadline, seq));
        let n = due.len();
        for &(_, _, idx) in &due {
            if let Some(v) = self.release(idx) {
                fire(v);
            }
        }
        due.clear();
        self.due = due;
        n
    }

    /// Drops every entry; returns how many were pending.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.len;
        self.heads = [NIL; LEVELS * SLOTS];
        self.slot_min = [None; LEVELS * SLOTS];
        self.occupied = [0; LEVELS];
        self.len = 0;
        self.reset_storage();
        n
    }

    /// Files node `idx` by its tick relative to `elapsed`.
    fn link(&mut self, idx: u32) {
        let n = &self.nodes[idx as usize];
        let (tick, deadline, seq) = (n.tick, n.deadline, n.seq);
        if tick <= self.elapsed {
            self.nodes[idx as usize].slot = IN_HEAP;
            self.heap.push(Reverse((deadline, seq, idx)));
            return;
        }
        let level = level_for(self.elapsed, tick);
        let slot = slot_of(tick, level);
        let s = level * SLOTS + slot;
        let head = self.heads[s];
        if head != NIL {
            self.nodes[head as usize].prev = idx;
        }
        let n = &mut self.nodes[idx as usize];
        n.prev = NIL;
        n.next = head;
        n.slot = s as u16;
        self.heads[s] = idx;
        self.occupied[level] |= 1 << slot;
        let min = &mut self.slot_min[s];
        *min = Some(min.map_or(deadline, |m| m.min(deadline)));
    }

    /// Takes node `idx` out of its slot list (a heap element just goes stale).
    fn unlink(&mut self, idx: u32) {
        let n = &self.nodes[idx as usize];
        if n.slot == IN_HEAP {
            return;
        }
        let (s, prev, next) = (n.slot as usize, n.prev, n.next);
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else {
            self.heads[s] = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        if self.heads[s] == NIL {
            self.occupied[s / SLOTS] &= !(1 << (s % SLOTS));
            self.slot_min[s] = None;
        }
    }

    /// Frees an unlinked node and returns its value.
    fn release(&mut self, idx: u32) -> Option<T> {
        let n = &mut self.nodes[idx as usize];
        n.slot = FREE;
        n.next = self.free;
        let v = n.value.take();
        self.free = idx;
        self.len -= 1;
        if self.len == 0 {
            // Nothing pending: drop stale heap elements and the free list.
            self.reset_storage();
        }
        v
    }

    /// Forgets all nodes; callers ensure no slot or heap element needs them.
    fn reset_storage(&mut self) {
        self.nodes.clear();
        self.free = NIL;
        self.heap.clear();
    }

    fn live_in_heap(&self, idx: u32, seq: u64) -> bool {
        self.nodes
            .get(idx as usize)
            .is_some_and(|n| n.seq == seq && n.slot == IN_HEAP)
    }

    /// Earliest live heap deadline, dropping stale elements on top.
    fn heap_top(&mut self) -> Option<Instant> {
        while let Some(&Reverse((deadline, seq, idx))) = self.heap.peek() {
            if self.live_in_heap(idx, seq) {
                return Some(deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// The occupied slot holding the earliest wheel entries.
    fn first_slot(&self) -> Option<(usize, usize)> {
        (0..LEVELS).find_map(|level| {
            let occ = self.occupied[level];
            (occ != 0).then(|| (level, occ.trailing_zeros() as usize))
        })
    }

    /// First tick of `slot` at `level` in `elapsed`'s block of that level.
    fn slot_start(&self, level: usize, slot: usize) -> u64 {
        let span_bits = level * SLOT_BITS;
        let block = !((1u64 << (span_bits + SLOT_BITS)) - 1);
        (self.elapsed & block) + ((slot as u64) << span_bits)
    }
}

#[cfg(test)]
impl<T> Wheel<T> {
    /// Pending entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Checks the module invariants; panics with the first broken one.
    pub(crate) fn check_invariants(&self) {
        let mut in_slots = 0;
        for s in 0..LEVELS * SLOTS {
            let (level, slot) = (s / SLOTS, s % SLOTS);
            let bit = self.occupied[level] >> slot & 1 == 1;
            assert_eq!(bit, self.heads[s] != NIL, "occupied bit of slot {s}");
            assert_eq!(self.slot_min[s].is_some(), bit, "min of slot {s}");
            let mut prev = NIL;
            let mut idx = self.heads[s];
            while idx != NIL {
                let n = &self.nodes[idx as usize];
                assert_eq!(n.slot as usize, s);
                assert_eq!(n.prev, prev);
                assert!(n.tick > self.elapsed, "wheel entry not after elapsed");
                assert_eq!(level_for(self.elapsed, n.tick), level);
                assert_eq!(slot_of(n.tick, level), slot);
                assert!(self.slot_min[s].unwrap() <= n.deadline);
                assert!(self.tick_of(n.deadline) >= n.tick, "tick after deadline");
                in_slots += 1;
                prev = idx;
                idx = n.next;
            }
        }
        let in_heap = self
            .heap
            .iter()
            .filter(|Reverse((_, seq, idx))| self.live_in_heap(*idx, *seq))
            .count();
        assert_eq!(in_slots + in_heap, self.len, "entries lost or duplicated");
    }
}

#[cfg(test)]
#[path = "wheel_tests.rs"]
mod tests;
