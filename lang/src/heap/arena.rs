//! A typed arena: the storage of one kind of heap object.
//!
//! Invariant: slot `i` is live iff `state[i] != FREE`; a free slot holds
//! `T::default()` (its old contents were dropped at sweep) and its index sits
//! in `free`. Mark bits live in `state` so marking never touches the objects.
//! Everything here is safe code: a stale `Ref` reads a default object, never
//! freed memory.
//!
//! Objects sit in a `Slots` store: a plain `Vec` by default (one load per
//! access; the hot kinds, closures above all, are read on every call), or
//! `Pages` for kinds a program may hold a million of (fibers), where a
//! doubling `Vec` would copy them all and briefly hold both buffers.

use super::pages::Pages;
use crate::value::Ref;
use std::marker::PhantomData;

const FREE: u8 = 0;
const LIVE: u8 = 1;
const MARKED: u8 = 2;

/// Indexed storage that grows at the end.
pub trait Slots<T>: Default {
    fn slot_count(&self) -> usize;
    fn push(&mut self, t: T);
    fn at(&self, i: usize) -> &T;
    fn at_mut(&mut self, i: usize) -> &mut T;
}

impl<T> Slots<T> for Vec<T> {
    #[inline(always)]
    fn slot_count(&self) -> usize {
        Vec::len(self)
    }
    #[inline(always)]
    fn push(&mut self, t: T) {
        Vec::push(self, t)
    }
    #[inline(always)]
    fn at(&self, i: usize) -> &T {
        &self[i]
    }
    #[inline(always)]
    fn at_mut(&mut self, i: usize) -> &mut T {
        &mut self[i]
    }
}

impl<T> Slots<T> for Pages<T> {
    #[inline(always)]
    fn slot_count(&self) -> usize {
        Pages::len(self)
    }
    #[inline(always)]
    fn push(&mut self, t: T) {
        Pages::push(self, t)
    }
    #[inline(always)]
    fn at(&self, i: usize) -> &T {
        self.get(i)
    }
    #[inline(always)]
    fn at_mut(&mut self, i: usize) -> &mut T {
        self.get_mut(i)
    }
}

/// Storage for one object kind.
#[derive(Debug)]
pub struct Arena<T, S = Vec<T>> {
    items: S,
    state: Vec<u8>,
    free: Vec<u32>,
    live: usize,
    kind: PhantomData<T>,
}

impl<T: Default, S: Slots<T>> Default for Arena<T, S> {
    fn default() -> Self {
        Arena {
            items: S::default(),
            state: Vec::new(),
            free: Vec::new(),
            live: 0,
            kind: PhantomData,
        }
    }
}

impl<T: Default, S: Slots<T>> Arena<T, S> {
    /// Stores `t` and returns its reference.
    #[inline]
    pub fn alloc(&mut self, t: T) -> Ref {
        self.live += 1;
        if let Some(i) = self.free.pop() {
            *self.items.at_mut(i as usize) = t;
            self.state[i as usize] = LIVE;
            Ref(i)
        } else {
            let i = self.items.slot_count() as u32;
            self.items.push(t);
            self.state.push(LIVE);
            Ref(i)
        }
    }

    /// The object at `r`.
    #[inline(always)]
    pub fn get(&self, r: Ref) -> &T {
        self.items.at(r.idx())
    }

    /// The object at `r`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, r: Ref) -> &mut T {
        self.items.at_mut(r.idx())
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
                    *self.items.at_mut(i) = T::default();
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
        self.items.slot_count()
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

    #[test]
    fn paged_arena_behaves_the_same() {
        let mut a: Arena<u32, Pages<u32>> = Arena::default();
        let refs: Vec<Ref> = (0..3000).map(|i| a.alloc(i)).collect();
        for r in refs.iter().step_by(2) {
            a.mark(*r);
        }
        assert_eq!(a.sweep(), 1500);
        assert_eq!(*a.get(refs[2998]), 2998);
        assert_eq!(*a.get(refs[1]), 0, "a freed slot holds the default");
        assert_eq!(
            a.alloc(7),
            refs[2999],
            "the last freed slot is reused first"
        );
        assert_eq!(a.slots(), 3000);
    }
}
