//! The interner for symbol and keyword names.
//!
//! Invariant: a `Sym` is an index into `names` and is never reused; equal
//! names always intern to the same `Sym`, so comparing symbols is comparing
//! integers. Names are never collected (gensym'd names are small).

use crate::value::Sym;
use std::collections::HashMap;

/// Name table shared by symbols and keywords of one isolate.
#[derive(Debug, Default)]
pub struct Interner {
    names: Vec<Box<[u8]>>,
    map: HashMap<Box<[u8]>, u32>,
    gensym_counter: u64,
}

impl Interner {
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
