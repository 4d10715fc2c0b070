//! The hash table behind tables and structs: open addressing, linear probing,
//! hashes stored per entry.
//!
//! Invariant: a slot is empty when its key is nil and its value is nil, a
//! tombstone when its key is nil and its value is `true`; live entries never
//! have a nil key or value (Janet removes a key when it is set to nil). The
//! table never needs the heap to rehash (hashes are stored); lookups take an
//! equality closure because strings, tuples and structs compare by content.

use crate::value::{Ref, Value};

/// One slot of the table.
#[derive(Clone, Copy, Debug, Default)]
pub struct Entry {
    pub key: Value,
    pub val: Value,
    pub hash: u64,
}

/// A table or struct body.
#[derive(Clone, Debug, Default)]
pub struct TableObj {
    pub entries: Vec<Entry>,
    pub count: usize,
    used: usize,
    /// Prototype table (tables) or prototype struct (structs).
    pub proto: Option<Ref>,
}

/// Where a lookup ended.
pub enum Probe {
    Found(usize),
    Vacant(usize),
}

impl TableObj {
    /// An empty table with room for `n` entries.
    pub fn with_capacity(n: usize) -> TableObj {
        let mut t = TableObj::default();
        if n > 0 {
            t.entries = vec![Entry::default(); (n * 2).next_power_of_two().max(4)];
        }
        t
    }

    /// Finds `hash` with `eq` deciding key equality.
    #[inline]
    pub fn probe(&self, hash: u64, mut eq: impl FnMut(Value) -> bool) -> Option<Probe> {
        let cap = self.entries.len();
        if cap == 0 {
            return None;
        }
        let mask = cap - 1;
        let mut i = (hash as usize) & mask;
        let mut first_tomb = None;
        for _ in 0..cap {
            let e = &self.entries[i];
            if e.key == Value::Nil {
                if e.val == Value::Nil {
                    return Some(Probe::Vacant(first_tomb.unwrap_or(i)));
                }
                first_tomb.get_or_insert(i);
            } else if e.hash == hash && eq(e.key) {
                return Some(Probe::Found(i));
            }
            i = (i + 1) & mask;
        }
        first_tomb.map(Probe::Vacant)
    }

    /// Looks up a key.
    #[inline]
    pub fn get(&self, hash: u64, eq: impl FnMut(Value) -> bool) -> Option<Value> {
        match self.probe(hash, eq) {
            Some(Probe::Found(i)) => Some(self.entries[i].val),
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
        match p {
            Some(Probe::Found(i)) => {
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
            Some(Probe::Vacant(i)) if val != Value::Nil => {
                if (self.used + 1) * 4 > self.entries.len() * 3 {
                    self.grow();
                    self.insert_new(key, hash, val);
                } else {
                    if self.entries[i].val == Value::Nil {
                        self.used += 1;
                    }
                    self.entries[i] = Entry { key, val, hash };
                    self.count += 1;
                }
            }
            None if val != Value::Nil => {
                self.grow();
                self.insert_new(key, hash, val);
            }
            _ => {}
        }
    }

    fn insert_new(&mut self, key: Value, hash: u64, val: Value) {
        let mask = self.entries.len() - 1;
        let mut i = (hash as usize) & mask;
        while self.entries[i].key != Value::Nil {
            i = (i + 1) & mask;
        }
        self.entries[i] = Entry { key, val, hash };
        self.count += 1;
        self.used += 1;
    }

    fn grow(&mut self) {
        let new_cap = (self.count * 4).next_power_of_two().max(8);
        let old = std::mem::replace(&mut self.entries, vec![Entry::default(); new_cap]);
        self.count = 0;
        self.used = 0;
        for e in old {
            if e.key != Value::Nil {
                self.insert_new(e.key, e.hash, e.val);
            }
        }
    }

    /// The first live slot at or after `from`.
    pub fn next_slot(&self, from: usize) -> Option<usize> {
        (from..self.entries.len()).find(|&i| self.entries[i].key != Value::Nil)
    }

    /// Live entries in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Value, Value)> + '_ {
        self.entries
            .iter()
            .filter(|e| e.key != Value::Nil)
            .map(|e| (e.key, e.val))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_remove_grow() {
        let mut t = TableObj::default();
        for i in 0..100 {
            let k = Value::Num(i as f64);
            t.put(k, i as u64 * 7919, Value::Num(-(i as f64)), |x| x == k);
        }
        assert_eq!(t.count, 100);
        for i in 0..100 {
            let k = Value::Num(i as f64);
            assert_eq!(
                t.get(i as u64 * 7919, |x| x == k),
                Some(Value::Num(-(i as f64)))
            );
        }
        for i in 0..50 {
            let k = Value::Num(i as f64);
            t.put(k, i as u64 * 7919, Value::Nil, |x| x == k);
        }
        assert_eq!(t.count, 50);
        assert_eq!(t.iter().count(), 50);
        let k = Value::Num(3.0);
        assert_eq!(t.get(3 * 7919, |x| x == k), None);
    }
}
