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
//! - A hash slot is empty when its key is nil, a tombstone when its key is
//!   set and its value nil (the deleted key and its hash stay until a
//!   rehash); live entries never have a nil key or value (Janet removes a key
//!   when it is set to nil). Deleting never moves an entry and a deleted key
//!   keeps its slot, so `next` may delete the key it is visiting (`after`
//!   finds the slot again). The collector does not mark tombstone keys, so
//!   `after` compares them by identity only.
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
                return Some(Probe::Vacant(alen + first_tomb.unwrap_or(i)));
            } else if e.val == Value::Nil {
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
                    self.count -= 1;
                }
                self.entries[i].val = val;
            }
            _ if val == Value::Nil => {}
            _ if index_of(key) == Some(alen) && (self.arr_count + 1) * 2 > alen => {
                self.arr.push(val);
                self.arr_count += 1;
                self.count += 1;
            }
            Some(Probe::Vacant(i)) if (self.used + 1) * 4 <= self.entries.len() * 3 => {
                let i = i - alen;
                if self.entries[i].key == Value::Nil {
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
        for e in self.entries.iter().filter(|e| e.val != Value::Nil) {
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
            |e: &Entry| e.val != Value::Nil && !matches!(index_of(e.key), Some(k) if k < new_alen);
        let pending_in_hash = !matches!(pending, Some(k) if k < new_alen);
        let need = old.iter().filter(|e| stays(e)).count() + pending_in_hash as usize;
        self.entries = vec![Entry::default(); hash_cap(need)];
        self.count = self.arr_count;
        self.used = 0;
        for e in old {
            if stays(&e) {
                self.insert_new(e.key, e.hash, e.val);
            } else if let (Some(k), false) = (index_of(e.key), e.val == Value::Nil) {
                self.arr[k] = e.val;
                self.arr_count += 1;
                self.count += 1;
            }
        }
    }

    /// The slot after `key` for `next`: after its live slot, or after the
    /// slot it had if it was deleted since (an array slot, or its tombstone,
    /// matched by identity because the collector may have freed a deleted
    /// key). None if the key was never in the table or a rehash came since.
    pub fn after(&self, hash: u64, eq: impl FnMut(Value) -> bool, key: Value) -> Option<usize> {
        let alen = self.arr.len();
        match self.probe(hash, eq) {
            Some(Probe::Found(i)) => return Some(i + 1),
            Some(Probe::Vacant(i)) if i < alen => return Some(i + 1),
            _ if self.entries.is_empty() => return None,
            _ => {}
        }
        let (mut i, mask) = self.home(hash);
        for _ in 0..self.entries.len() {
            let e = &self.entries[i];
            if e.key == Value::Nil {
                return None;
            }
            if e.val == Value::Nil && e.hash == hash && e.key == key {
                return Some(alen + i + 1);
            }
            i = (i + 1) & mask;
        }
        None
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
                .filter(|e| e.val != Value::Nil)
                .map_or(Value::Nil, |e| e.key),
        }
    }

    /// The value in slot `i` (nil if the slot is empty).
    pub fn val_at(&self, i: usize) -> Value {
        match self.arr.get(i) {
            Some(v) => *v,
            None => self
                .entries
                .get(i - self.arr.len())
                .map_or(Value::Nil, |e| e.val),
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
            .find(|&i| self.entries[i].val != Value::Nil)
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
            .filter(|e| e.val != Value::Nil)
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

    fn bytes(t: &TableObj) -> usize {
        t.arr.len() * size_of::<Value>() + t.entries.len() * size_of::<Entry>()
    }

    /// Keys `stride * j` for `j` in `0..n`, inserted in a scattered order.
    fn strided(stride: u64, n: u64) -> TableObj {
        let mut t = TableObj::default();
        for i in 0..n {
            let k = (i * 7919 % n) * stride;
            let before = (t.arr.len(), t.entries.len());
            put(&mut t, Value::Num(k as f64), Value::Num(i as f64));
            let after = (t.arr.len(), t.entries.len());
            // Right after a rehash the layout takes no more bytes than the
            // old array part (which never shrinks) plus a hash part for
            // every key would.
            if after != before && after != (before.0 + 1, before.1) {
                let all_hashed =
                    before.0 * size_of::<Value>() + hash_cap(t.count) * size_of::<Entry>();
                assert!(bytes(&t) <= all_hashed, "stride {stride}, {} keys", t.count);
            }
        }
        for i in 0..n {
            let k = (i * 7919 % n) * stride;
            assert_eq!(get(&t, Value::Num(k as f64)), Some(Value::Num(i as f64)));
        }
        assert_eq!(t.count, n as usize);
        assert_eq!(
            t.arr_count
                + t.iter()
                    .filter(|(k, _)| index_of(*k).is_none_or(|k| k >= t.arr.len()))
                    .count(),
            n as usize
        );
        t
    }

    #[test]
    fn array_part_is_chosen_when_it_is_the_smaller_layout() {
        // 4093 is prime (and 4 * 4093 < 2^14), so `i * 7919 % n` visits every j once.
        let n = 4093;
        for stride in [1, 2, 3, 4] {
            let t = strided(stride, n);
            assert!(
                t.arr.len() as u64 > (n - 1) * stride,
                "stride {stride}: {}",
                t.arr.len()
            );
            assert!(t.entries.is_empty(), "stride {stride}: {}", t.entries.len());
        }
        // Twelve times sparser than full: the hash part is smaller.
        let t = strided(12, n);
        assert!(t.arr.len() < 64, "array part: {}", t.arr.len());
        for stride in [5, 6, 7, 8, 10, 16, 100] {
            strided(stride, n);
        }
    }

    #[test]
    fn a_million_scattered_keys_keep_a_small_hash_part() {
        let mut t = TableObj::default();
        let mut peak = 0;
        for i in 0..1_000_000u64 {
            let k = i * 7919 % 1_000_003;
            put(&mut t, Value::Num(k as f64), Value::Num(i as f64));
            peak = peak.max(t.entries.len());
        }
        assert_eq!(t.count, 1_000_000);
        assert_eq!(t.arr.len(), 1 << 20);
        assert!(peak <= 1 << 18, "hash part peaked at {peak}");
    }

    #[test]
    fn keys_at_the_array_boundary_and_beyond_it() {
        let mut t = TableObj::default();
        for i in 0..64 {
            put(&mut t, Value::Num(i as f64), Value::Num(1.0));
        }
        assert_eq!((t.arr.len(), t.entries.len()), (64, 0));
        // One past the end appends; two past goes to the hash part.
        put(&mut t, Value::Num(64.0), Value::Num(2.0));
        assert_eq!(t.arr.len(), 65);
        put(&mut t, Value::Num(66.0), Value::Num(3.0));
        assert_eq!(t.arr.len(), 65);
        assert_eq!(get(&t, Value::Num(66.0)), Some(Value::Num(3.0)));
        assert_eq!(get(&t, Value::Num(65.0)), None);
        // Keys that are never indices live in the hash part through every
        // rehash and migration, next to index keys moving over.
        let odd = [
            -1.0,
            -0.5,
            0.25,
            64.5,
            u32::MAX as f64 + 1.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -(u32::MAX as f64),
        ];
        for (j, k) in odd.iter().enumerate() {
            put(&mut t, Value::Num(*k), Value::Num(j as f64));
        }
        // The largest index stays hashed: an array part that long would cost
        // far more than one entry.
        put(&mut t, Value::Num(u32::MAX as f64), Value::Bool(true));
        for i in 67..2000 {
            put(&mut t, Value::Num(i as f64), Value::Num(1.0));
        }
        assert!(
            t.arr.len() >= 2000 && t.arr.len() < 1 << 20,
            "{}",
            t.arr.len()
        );
        for (j, k) in odd.iter().enumerate() {
            assert_eq!(get(&t, Value::Num(*k)), Some(Value::Num(j as f64)), "{k}");
        }
        assert_eq!(
            get(&t, Value::Num(u32::MAX as f64)),
            Some(Value::Bool(true))
        );
        assert_eq!(get(&t, Value::Num(66.0)), Some(Value::Num(3.0)));
        assert_eq!(t.count, 2000 - 1 + odd.len() + 1);
        assert_eq!(t.iter().count(), t.count);
    }

    #[test]
    fn next_deletes_across_a_sparse_array_part() {
        let mut t = strided(3, 1009);
        for k in [-2.0, 0.5, 1e12] {
            put(&mut t, Value::Num(k), Value::Num(0.0));
        }
        // Both parts hold keys: 0..2048 in the array, the rest hashed.
        assert!(t.arr.len() >= 1024 && !t.entries.is_empty());
        let mut seen = 0;
        let mut slot = t.next_slot(0);
        while let Some(i) = slot {
            let k = t.key_at(i);
            assert_ne!(t.val_at(i), Value::Nil);
            put(&mut t, k, Value::Nil);
            assert_eq!(get(&t, k), None);
            seen += 1;
            slot = t.next_slot(i + 1);
        }
        assert_eq!(seen, 1012);
        assert_eq!(t.count, 0);
    }

    #[test]
    fn after_finds_a_key_deleted_while_visiting_it() {
        let mut t = strided(3, 1009);
        let kw = Value::Keyword(crate::value::Sym(3));
        put(&mut t, kw, Value::Num(0.0));
        put(&mut t, Value::Num(-7.5), Value::Num(0.0));
        let mut seen = 0;
        let mut slot = t.next_slot(0);
        while let Some(i) = slot {
            let k = t.key_at(i);
            put(&mut t, k, Value::Nil);
            seen += 1;
            // As `next` does: only the key, not the slot, is carried over.
            slot = t.after(hash(k), |x| x == k, k).and_then(|j| t.next_slot(j));
        }
        assert_eq!(seen, 1011);
        assert_eq!(t.count, 0);
        // A key that was never in the table has no successor.
        assert_eq!(
            t.after(hash(Value::Num(0.75)), |_| false, Value::Num(0.75)),
            None
        );
    }
}
