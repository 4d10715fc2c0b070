//! The hash table behind tables and structs: an *array part* for small
//! non-negative integer keys plus a *hash part* (open addressing, linear
//! probing, hashes stored per entry), as Lua splits its tables.
//!
//! Invariants:
//! - The array part holds the value of integer key `i` (a number with no
//!   fraction, `0 <= i < arr.len()`) in `arr[i]`, nil when absent; such a key
//!   never lives in the hash part. `arr_count` counts its non-nil slots.
//! - The hash of an index key is the index itself (`hash_num`), so lookups
//!   that only have a hash and an equality closure can still find the array
//!   slot: `h < arr.len()` and `eq(h)` means the key is that index.
//! - A hash slot is empty when its key and value are nil, a tombstone when
//!   its key is nil and its value is `true`; live entries never have a nil
//!   key or value (Janet removes a key when it is set to nil). Deleting never
//!   moves an entry, so `next` may delete the key it is visiting.
//! - The table never needs the heap to rehash (hashes are stored); lookups
//!   take an equality closure because strings, tuples and structs compare by
//!   content.
//! - Slots are numbered array part first, then hash part; `next_slot`,
//!   `key_at` and `Probe` use that numbering. A rehash (only on insertion)
//!   renumbers slots.
//!
//! Growth: when the hash part would pass 3/4 full, the table resizes both
//! parts for the live keys plus the pending one. It picks the array size
//! (`arr.len()` or a larger power of two) that makes the two parts take the
//! fewest bytes, counting an array slot at `size_of::<Value>()` and the hash
//! part at the size the keys left over would get (twice their count, rounded
//! up to a power of two, in `Entry`s); on a tie the larger array wins. An
//! array part can so be as sparse as the hash part it replaces costs (a
//! rebuilt hash part spends 80 to 160 bytes a key, so an array part 1/5 to
//! 1/10 full, at 16-byte values and 40-byte entries), where Lua's rule
//! waits for half and a quarter-rule waited for a quarter: the hash part of a
//! million scattered integer keys then stops at 262,144 entries instead of
//! 524,288. Those keys move into the array part and the hash part is rebuilt
//! for what is left. The array part never shrinks. A key equal to
//! `arr.len()` is appended directly while the array part stays at least half
//! full, so tables filled in index order never touch the hash part.

use crate::objects::mix;
use crate::value::{Ref, Value};

/// One slot of the hash part.
#[derive(Clone, Copy, Debug, Default)]
pub struct Entry {
    pub key: Value,
    pub val: Value,
    pub hash: u64,
}

/// A table or struct body.
#[derive(Clone, Debug, Default)]
pub struct TableObj {
    arr: Vec<Value>,
    arr_count: usize,
    entries: Vec<Entry>,
    /// Live keys in both parts.
    pub count: usize,
    /// Non-empty hash slots (live entries and tombstones).
    used: usize,
    /// Prototype table (tables) or prototype struct (structs).
    pub proto: Option<Ref>,
}

/// Where a lookup ended (a slot number, see the module invariants).
pub enum Probe {
    Found(usize),
    Vacant(usize),
}

/// The index of `key` if it is an integral number in `0 .. 2^32`.
#[inline(always)]
pub fn index_of(key: Value) -> Option<usize> {
    match key {
        Value::Num(n) => num_index(n),
        _ => None,
    }
}

/// The index a number names, if it is integral and in `0 .. 2^32` (-0 is
/// index 0). The cast saturates (NaN and negatives to 0, large numbers to
/// `u32::MAX`), so converting back gives `n` only for an index; this is a
/// few instructions where a range test and a `u64` round trip were many.
#[inline(always)]
pub fn num_index(n: f64) -> Option<usize> {
    let i = n as u32;
    (i as f64 == n).then_some(i as usize)
}

/// Hash of a number, consistent with `=`: an index hashes to itself (see
/// the module invariants), zero of either sign to 0, anything else mixed.
#[inline(always)]
pub fn hash_num(n: f64) -> u64 {
    match num_index(n) {
        Some(i) => i as u64,
        None => mix(n.to_bits()),
    }
}

/// Hash-part size a rehash gives `n` live keys: room to double before the
/// next rehash, nothing for none.
fn hash_cap(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n * 2).next_power_of_two().max(4)
    }
}

/// `hash_sym` tag of keywords.
pub const KEYWORD_TAG: u64 = 0x6b6b;
/// `hash_sym` tag of symbols.
pub const SYMBOL_TAG: u64 = 0x7373;

/// Hash of a keyword or symbol id (`tag` tells the two kinds apart).
#[inline(always)]
pub fn hash_sym(id: u32, tag: u64) -> u64 {
    mix(id as u64 ^ tag)
}

impl TableObj {
    /// An empty table with room for `n` entries.
    pub fn with_capacity(n: usize) -> TableObj {
        let mut t = TableObj::default();
        if n > 0 {
            t.entries = vec![Entry::default(); hash_cap(n)];
        }
        t
    }

    /// The value of index key `i`, if `i` falls in the array part
    /// (`Some(Nil)` when the key is absent there).
    #[inline(always)]
    pub fn get_index(&self, i: usize) -> Option<Value> {
        self.arr.get(i).copied()
    }

    /// Sets index key `i` if it falls in the array part (nil removes it);
    /// false, with nothing done, when it does not.
    #[inline(always)]
    pub fn put_index(&mut self, i: usize, val: Value) -> bool {
        if i < self.arr.len() {
            self.set_index(i, val);
            true
        } else {
            false
        }
    }

    /// Home slot in the hash part (Fibonacci hashing) and its mask.
    #[inline(always)]
    fn home(&self, hash: u64) -> (usize, usize) {
        let cap = self.entries.len();
        let shift = 64 - cap.trailing_zeros();
        let i = (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize;
        (i, cap - 1)
    }

    /// Finds `hash` with `eq` deciding key equality.
    #[inline]
    pub fn probe(&self, hash: u64, mut eq: impl FnMut(Value) -> bool) -> Option<Probe> {
        let alen = self.arr.len();
        if hash < alen as u64 && eq(Value::Num(hash as f64)) {
            let i = hash as usize;
            return Some(if self.arr[i] == Value::Nil {
                Probe::Vacant(i)
            } else {
                Probe::Found(i)
            });
        }
        let cap = self.entries.len();
        if cap == 0 {
            return None;
        }
        let (mut i, mask) = self.home(hash);
        let mut first_tomb = None;
        for _ in 0..cap {
            let e = &self.entries[i];
            if e.key == Value::Nil {
                if e.val == Value::Nil {
                    return Some(Probe::Vacant(alen + first_tomb.unwrap_or(i)));
                }
                first_tomb.get_or_insert(i);
            } else if e.hash == hash && eq(e.key) {
                return Some(Probe::Found(alen + i));
            }
            i = (i + 1) & mask;
        }
        first_tomb.map(|i| Probe::Vacant(alen + i))
    }

    /// Looks up a key.
    #[inline]
    pub fn get(&self, hash: u64, eq: impl FnMut(Value) -> bool) -> Option<Value> {
        match self.probe(hash, eq) {
            Some(Probe::Found(i)) => Some(self.val_at(i)),
            _ => None,
        }
    }

    /// Inserts, replaces or (with a nil `val`) removes a key.
    pub fn put(&mut self, key: Value, hash: u64, val: Value, eq: impl FnMut(Value) -> bool) {
        let p = self.probe(hash, eq);
        self.put_probed(p, key, hash, val);
    }

    /// `put` with the probe already done (so the caller can compare keys
    /// against the heap before borrowing the table mutably).
    pub fn put_probed(&mut self, p: Option<Probe>, key: Value, hash: u64, val: Value) {
        let alen = self.arr.len();
        match p {
            Some(Probe::Found(i) | Probe::Vacant(i)) if i < alen => self.set_index(i, val),
            Some(Probe::Found(i)) => {
                let i = i - alen;
                if val == Value::Nil {
                    self.entries[i] = Entry {
                        key: Value::Nil,
                        val: Value::Bool(true),
                        hash: 0,
                    };
                    self.count -= 1;
                } else {
                    self.entries[i].val = val;
                }
            }
            _ if val == Value::Nil => {}
            _ if index_of(key) == Some(alen) && (self.arr_count + 1) * 2 > alen => {
                self.arr.push(val);
                self.arr_count += 1;
                self.count += 1;
            }
            Some(Probe::Vacant(i)) if (self.used + 1) * 4 <= self.entries.len() * 3 => {
                let i = i - alen;
                if self.entries[i].val == Value::Nil {
                    self.used += 1;
                }
                self.entries[i] = Entry { key, val, hash };
                self.count += 1;
            }
            _ => {
                self.rehash(index_of(key));
                match index_of(key) {
                    Some(k) if k < self.arr.len() => self.set_index(k, val),
                    _ => self.insert_new(key, hash, val),
                }
            }
        }
    }

    /// Writes array slot `i` (nil removes the key).
    #[inline]
    fn set_index(&mut self, i: usize, val: Value) {
        let was = self.arr[i] != Value::Nil;
        let now = val != Value::Nil;
        self.arr[i] = val;
        if was != now {
            if now {
                self.arr_count += 1;
                self.count += 1;
            } else {
                self.arr_count -= 1;
                self.count -= 1;
            }
        }
    }

    /// Inserts a key known to be absent into the hash part, which has room.
    fn insert_new(&mut self, key: Value, hash: u64, val: Value) {
        let (mut i, mask) = self.home(hash);
        while self.entries[i].key != Value::Nil {
            i = (i + 1) & mask;
        }
        self.entries[i] = Entry { key, val, hash };
        self.count += 1;
        self.used += 1;
    }

    /// Resizes both parts for the live keys plus one pending insertion
    /// (whose index, if it has one, is `pending`); see "Growth" above.
    fn rehash(&mut self, pending: Option<usize>) {
        let alen = self.arr.len();
        // nums[b]: index keys in the hash part (and the pending one) with
        // bit length b, i.e. in [2^(b-1), 2^b); all are >= alen.
        let mut nums = [0usize; 34];
        let mut bucket = |k: usize| nums[(usize::BITS - k.leading_zeros()) as usize] += 1;
        for e in &self.entries {
            if let Some(k) = index_of(e.key) {
                bucket(k);
            }
        }
        if let Some(k) = pending {
            bucket(k);
        }
        let live_hash = self.count - self.arr_count + 1;
        let bytes = |n: usize, moved: usize| {
            n * size_of::<Value>() + hash_cap(live_hash - moved) * size_of::<Entry>()
        };
        let mut new_alen = alen;
        let mut best = bytes(alen, 0);
        let mut moved = 0;
        for (b, n) in nums.iter().enumerate() {
            moved += n;
            let size = 1usize << b;
            if size > alen && bytes(size, moved) <= best {
                new_alen = size;
                best = bytes(size, moved);
            }
        }
        let old = std::mem::take(&mut self.entries);
        if new_alen > alen {
            self.arr.resize(new_alen, Value::Nil);
        }
        let stays =
            |e: &Entry| e.key != Value::Nil && !matches!(index_of(e.key), Some(k) if k < new_alen);
        let pending_in_hash = !matches!(pending, Some(k) if k < new_alen);
        let need = old.iter().filter(|e| stays(e)).count() + pending_in_hash as usize;
        self.entries = vec![Entry::default(); hash_cap(need)];
        self.count = self.arr_count;
        self.used = 0;
        for e in old {
            if stays(&e) {
                self.insert_new(e.key, e.hash, e.val);
            } else if let Some(k) = index_of(e.key) {
                self.arr[k] = e.val;
                self.arr_count += 1;
                self.count += 1;
            }
        }
    }

    /// Number of slots (array part plus hash part).
    pub fn slots(&self) -> usize {
        self.arr.len() + self.entries.len()
    }

    /// The key in slot `i` (nil if the slot is empty).
    pub fn key_at(&self, i: usize) -> Value {
        match self.arr.get(i) {
            Some(Value::Nil) => Value::Nil,
            Some(_) => Value::Num(i as f64),
            None => self
                .entries
                .get(i - self.arr.len())
                .map_or(Value::Nil, |e| e.key),
        }
    }

    /// The value in slot `i` (nil if the slot is empty).
    pub fn val_at(&self, i: usize) -> Value {
        match self.arr.get(i) {
            Some(v) => *v,
            None => {
                let e = self.entries.get(i - self.arr.len());
                e.filter(|e| e.key != Value::Nil)
                    .map_or(Value::Nil, |e| e.val)
            }
        }
    }

    /// The first live slot at or after `from`.
    pub fn next_slot(&self, from: usize) -> Option<usize> {
        let alen = self.arr.len();
        if from < alen {
            if let Some(i) = self.arr[from..].iter().position(|v| *v != Value::Nil) {
                return Some(from + i);
            }
        }
        let start = from.max(alen) - alen;
        (start..self.entries.len())
            .find(|&i| self.entries[i].key != Value::Nil)
            .map(|i| alen + i)
    }

    /// Live entries in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Value, Value)> + '_ {
        let arr = self
            .arr
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != Value::Nil)
            .map(|(i, v)| (Value::Num(i as f64), *v));
        let hash = self
            .entries
            .iter()
            .filter(|e| e.key != Value::Nil)
            .map(|e| (e.key, e.val));
        arr.chain(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(v: Value) -> u64 {
        match v {
            Value::Num(n) => hash_num(n),
            Value::Keyword(s) => hash_sym(s.0, 1),
            _ => 0,
        }
    }

    fn put(t: &mut TableObj, k: Value, v: Value) {
        t.put(k, hash(k), v, |x| x == k);
    }

    fn get(t: &TableObj, k: Value) -> Option<Value> {
        t.get(hash(k), |x| x == k)
    }

    #[test]
    fn index_keys_are_the_integers_below_2_pow_32() {
        let max = u32::MAX as f64;
        for (n, want) in [
            (0.0, Some(0)),
            (-0.0, Some(0)),
            (7.0, Some(7)),
            (max, Some(u32::MAX as usize)),
            (max + 1.0, None),
            (-1.0, None),
            (0.5, None),
            (max - 0.5, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (f64::NEG_INFINITY, None),
        ] {
            assert_eq!(num_index(n), want, "{n}");
            let h = want.map_or(mix(n.to_bits()), |i| i as u64);
            assert_eq!(hash_num(n), h, "{n}");
        }
    }

    #[test]
    fn put_get_remove_grow() {
        let mut t = TableObj::default();
        for i in 0..100 {
            let k = Value::Num(i as f64 * 7919.5);
            put(&mut t, k, Value::Num(-(i as f64)));
        }
        assert_eq!(t.count, 100);
        for i in 0..100 {
            let k = Value::Num(i as f64 * 7919.5);
            assert_eq!(get(&t, k), Some(Value::Num(-(i as f64))));
        }
        for i in 0..50 {
            put(&mut t, Value::Num(i as f64 * 7919.5), Value::Nil);
        }
        assert_eq!(t.count, 50);
        assert_eq!(t.iter().count(), 50);
        assert_eq!(get(&t, Value::Num(3.0 * 7919.5)), None);
    }

    #[test]
    fn index_keys_move_to_the_array_part() {
        let mut t = TableObj::default();
        // Scattered order: everything starts in the hash part.
        for i in 0..1000u64 {
            let k = (i * 7919) % 1009;
            put(&mut t, Value::Num(k as f64), Value::Num(i as f64));
        }
        assert_eq!(t.count, 1000);
        assert!(t.arr.len() >= 512, "array part used: {}", t.arr.len());
        for i in 0..1000u64 {
            let k = (i * 7919) % 1009;
            assert_eq!(get(&t, Value::Num(k as f64)), Some(Value::Num(i as f64)));
        }
        // Non-index numbers and keywords share the table.
        for k in [Value::Num(-1.0), Value::Num(0.5), Value::Num(1e12)] {
            put(&mut t, k, Value::Bool(true));
            assert_eq!(get(&t, k), Some(Value::Bool(true)));
        }
        let kw = Value::Keyword(crate::value::Sym(7));
        put(&mut t, kw, Value::Num(1.0));
        assert_eq!(get(&t, kw), Some(Value::Num(1.0)));
        assert_eq!(t.count, 1004);
        assert_eq!(t.iter().count(), 1004);
        // -0 is the same key as 0.
        assert_eq!(get(&t, Value::Num(-0.0)), get(&t, Value::Num(0.0)));
    }

    #[test]
    fn appending_in_order_stays_in_the_array_part() {
        let mut t = TableObj::default();
        for i in 0..100 {
            put(&mut t, Value::Num(i as f64), Value::Num(i as f64));
        }
        assert_eq!(t.entries.len(), 0);
        assert_eq!(t.arr.len(), 100);
        put(&mut t, Value::Num(50.0), Value::Nil);
        assert_eq!(t.count, 99);
        assert_eq!(get(&t, Value::Num(50.0)), None);
        assert_eq!(get(&t, Value::Num(51.0)), Some(Value::Num(51.0)));
    }

    #[test]
    fn next_visits_every_key_once_while_deleting() {
        let mut t = TableObj::default();
        for i in 0..300u64 {
            let k = if i % 3 == 0 {
                i as f64
            } else {
                i as f64 + 0.25
            };
            put(&mut t, Value::Num(k), Value::Num(1.0));
        }
        let mut seen = 0;
        let mut slot = t.next_slot(0);
        while let Some(i) = slot {
            let k = t.key_at(i);
            assert_eq!(t.val_at(i), Value::Num(1.0));
            put(&mut t, k, Value::Nil);
            seen += 1;
            slot = t.next_slot(i + 1);
        }
        assert_eq!(seen, 300);
        assert_eq!(t.count, 0);
        assert_eq!(t.iter().count(), 0);
    }

    #[test]
    fn tombstone_churn_does_not_grow_without_bound() {
        let mut t = TableObj::default();
        for i in 0..10_000 {
            let k = Value::Num(i as f64 + 0.5);
            put(&mut t, k, Value::Num(1.0));
            put(&mut t, k, Value::Nil);
        }
        assert_eq!(t.count, 0);
        assert!(t.entries.len() <= 8, "hash part: {}", t.entries.len());
    }
}
