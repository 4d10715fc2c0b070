//! The interner for symbol and keyword names.
//!
//! Invariant: a `Sym` is an index into `names` and is never reused; equal
//! names always intern to the same `Sym`, so comparing symbols is comparing
//! integers. Names are never collected (gensym'd names are small).

use crate::objects::mix;
use crate::value::Sym;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a over the name's bytes, finished by a 64-bit mix. Names come from
/// the program's own source, so there is no untrusted input to defend
/// against, and SipHash was a sixth of start-up (booting interns every
/// prelude name).
#[derive(Default)]
pub struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Name table shared by symbols and keywords of one isolate.
#[derive(Debug, Default)]
pub struct Interner {
    names: Vec<Box<[u8]>>,
    map: HashMap<Box<[u8]>, u32, BuildHasherDefault<NameHasher>>,
    gensym_counter: u64,
}

impl Interner {
    /// An interner with room for `n` names before it grows (booting
    /// interns about two thousand; growing the map there was a third of
    /// the cost of interning them).
    pub fn with_capacity(n: usize) -> Interner {
        Interner {
            names: Vec::with_capacity(n),
            map: HashMap::with_capacity_and_hasher(n, Default::default()),
            gensym_counter: 0,
        }
    }

    /// Interns `name`.
    pub fn intern(&mut self, name: &[u8]) -> Sym {
        if let Some(&i) = self.map.get(name) {
            return Sym(i);
        }
        let i = self.names.len() as u32;
        self.names.push(name.into());
        self.map.insert(name.into(), i);
        Sym(i)
    }

    /// Number of names interned (the next fresh `Sym`).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True before any name is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How many gensyms were made (boot images carry it over).
    pub fn gensym_count(&self) -> u64 {
        self.gensym_counter
    }

    /// Continues gensym numbering from `n`.
    pub fn set_gensym_count(&mut self, n: u64) {
        self.gensym_counter = n;
    }

    /// The bytes of `s`.
    pub fn name(&self, s: Sym) -> &[u8] {
        &self.names[s.0 as usize]
    }

    /// The name of `s` as text (lossy for non-UTF-8 names).
    pub fn text(&self, s: Sym) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.name(s))
    }

    /// A fresh symbol no reader can produce by accident.
    pub fn gensym(&mut self) -> Sym {
        loop {
            self.gensym_counter += 1;
            let name = format!("_{:06}", self.gensym_counter);
            if !self.map.contains_key(name.as_bytes()) {
                return self.intern(name.as_bytes());
            }
        }
    }
}
