//! A growable vector stored in fixed-size pages that never move.
//!
//! Why not `Vec`: a `Vec` that doubles copies every element it holds and,
//! for a moment, holds the old and the new buffer; with a million 168-byte
//! fibers that is a 168 MB memcpy and a peak of both buffers' pages (the
//! freed one stays in RSS). Here growth adds one page and touches nothing
//! else, at the price of one more (cache-resident) load per access.
//!
//! Invariant: every page but the last holds exactly `PAGE` elements, and a
//! page is allocated with capacity `PAGE`, so a push never reallocates it.
//! Element `i` lives at `pages[i / PAGE][i % PAGE]`.

/// Elements per page. A power of two so the split is a shift and a mask.
const PAGE_BITS: u32 = 10;
const PAGE: usize = 1 << PAGE_BITS;

/// A vector in pages.
#[derive(Debug)]
pub struct Pages<T> {
    pages: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Pages<T> {
    fn default() -> Self {
        Pages {
            pages: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Pages<T> {
    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `t` at index `len()`.
    #[inline]
    pub fn push(&mut self, t: T) {
        if self.len & (PAGE - 1) == 0 {
            self.pages.push(Vec::with_capacity(PAGE));
        }
        // The last page exists and has room: a new one was just added when
        // the previous filled up.
        let last = self.pages.len() - 1;
        self.pages[last].push(t);
        self.len += 1;
    }

    /// Element `i`. Panics if `i >= len()`, as slice indexing does.
    #[inline(always)]
    pub fn get(&self, i: usize) -> &T {
        &self.pages[i >> PAGE_BITS][i & (PAGE - 1)]
    }

    /// Element `i`, mutably. Panics if `i >= len()`.
    #[inline(always)]
    pub fn get_mut(&mut self, i: usize) -> &mut T {
        &mut self.pages[i >> PAGE_BITS][i & (PAGE - 1)]
    }

    /// Element `i`, or None past the end.
    #[inline]
    pub fn try_get(&self, i: usize) -> Option<&T> {
        self.pages.get(i >> PAGE_BITS)?.get(i & (PAGE - 1))
    }

    /// Element `i` mutably, or None past the end.
    #[inline]
    pub fn try_get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.pages.get_mut(i >> PAGE_BITS)?.get_mut(i & (PAGE - 1))
    }

    /// Grows to `n` elements with `fill`, if shorter.
    pub fn extend_to(&mut self, n: usize, mut fill: impl FnMut() -> T) {
        while self.len < n {
            self.push(fill());
        }
    }

    /// All elements in index order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.pages.iter_mut().flatten()
    }

    /// All elements in index order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.pages.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_survive_page_boundaries() {
        let mut p = Pages::default();
        let n = 3 * PAGE + 7;
        for i in 0..n {
            p.push(i);
        }
        assert_eq!(p.len(), n);
        assert!((0..n).all(|i| *p.get(i) == i));
        assert_eq!(p.iter().count(), n);
        assert_eq!(p.try_get(n), None);
        *p.get_mut(PAGE) = 0;
        assert_eq!(p.try_get(PAGE), Some(&0));
    }

    #[test]
    fn growth_never_moves_an_element() {
        let mut p = Pages::default();
        p.push(1u64);
        let first: *const u64 = p.get(0);
        for i in 0..(4 * PAGE) as u64 {
            p.push(i);
        }
        assert_eq!(first, p.get(0) as *const u64, "element 0 stayed put");
    }

    #[test]
    fn extend_to_fills_and_never_shrinks() {
        let mut p: Pages<Option<u8>> = Pages::default();
        p.extend_to(PAGE + 1, || None);
        assert_eq!(p.len(), PAGE + 1);
        p.extend_to(3, || Some(1));
        assert_eq!(p.len(), PAGE + 1);
        assert!(p.iter().all(Option::is_none));
    }
}
