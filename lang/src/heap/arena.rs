//! A typed arena: the storage of one kind of heap object.
//!
//! Invariant: slot `i` is live iff `state[i] != FREE`; a free slot holds
//! `T::default()` (its old contents were dropped at sweep) and its index sits
//! in `free`. Mark bits live in `state` so marking never touches the objects.
//! Everything here is safe code: a stale `Ref` reads a default object, never
//! freed memory.

use crate::value::Ref;

const FREE: u8 = 0;
const LIVE: u8 = 1;
const MARKED: u8 = 2;

/// Storage for one object kind.
#[derive(Debug)]
pub struct Arena<T> {
    items: Vec<T>,
    state: Vec<u8>,
    free: Vec<u32>,
    live: usize,
}

impl<T: Default> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            items: Vec::new(),
            state: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T: Default> Arena<T> {
    /// Stores `t` and returns its reference.
    #[inline]
    pub fn alloc(&mut self, t: T) -> Ref {
        self.live += 1;
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = t;
            self.state[i as usize] = LIVE;
            Ref(i)
        } else {
            let i = self.items.len() as u32;
            self.items.push(t);
            self.state.push(LIVE);
            Ref(i)
        }
    }

    /// The object at `r`.
    #[inline(always)]
    pub fn get(&self, r: Ref) -> &T {
        &self.items[r.idx()]
    }

    /// The object at `r`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, r: Ref) -> &mut T {
        &mut self.items[r.idx()]
    }

    /// Sets the mark bit; true if the object was not marked before.
    #[inline]
    pub fn mark(&mut self, r: Ref) -> bool {
        match self.state.get_mut(r.idx()) {
            Some(s) if *s == LIVE => {
                *s = MARKED;
                true
            }
            _ => false,
        }
    }

    /// Frees every unmarked live object, clears marks, returns how many were freed.
    pub fn sweep(&mut self) -> usize {
        let mut freed = 0;
        for (i, s) in self.state.iter_mut().enumerate() {
            match *s {
                MARKED => *s = LIVE,
                LIVE => {
                    *s = FREE;
                    self.items[i] = T::default();
                    self.free.push(i as u32);
                    freed += 1;
                }
                _ => {}
            }
        }
        self.live -= freed;
        freed
    }

    /// Number of slots, live or free (the next fresh slot's index).
    pub fn slots(&self) -> usize {
        self.items.len()
    }

    /// Number of live objects.
    pub fn live(&self) -> usize {
        self.live
    }

    /// True if `r` names a live object.
    pub fn is_live(&self, r: Ref) -> bool {
        self.state.get(r.idx()).is_some_and(|s| *s != FREE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_mark_sweep_reuse() {
        let mut a: Arena<Vec<u8>> = Arena::default();
        let x = a.alloc(vec![1]);
        let y = a.alloc(vec![2]);
        assert!(a.mark(x));
        assert!(!a.mark(x));
        assert_eq!(a.sweep(), 1);
        assert!(a.is_live(x) && !a.is_live(y));
        assert_eq!(a.get(x), &vec![1]);
        let z = a.alloc(vec![3]);
        assert_eq!(z, y, "freed slot is reused");
        assert_eq!(a.live(), 2);
    }
}
