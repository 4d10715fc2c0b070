//! The search/park/notify handshake between workers, kept free of queues and
//! rings so loom can model it (loom-tests/tests/rt_idle.rs).
//!
//! State: one word packing the number of *searching* workers (low half) and
//! of *unparked* workers (high half), plus the list of sleeping workers.
//!
//! Protocol:
//! 1. Publisher (spawn, wake, injector push): make the work visible, then
//!    `worker_to_notify` (whose first load is SeqCst): if nobody is searching
//!    and somebody sleeps, pop a sleeper, count it unparked *and searching*,
//!    and the caller rings its doorbell. Searchers present => no doorbell:
//!    they will find the work (and step 3 hands it on).
//! 2. A worker out of local work may search only if fewer than half the
//!    workers search (`transition_worker_to_searching`).
//! 3. A searcher that finds work leaves searching; if it was the last
//!    searcher it must notify another worker (`transition_worker_from_searching`
//!    returns true), so work published during its search is not stranded.
//! 4. A worker that parks (`transition_worker_to_parked`) pushes itself on
//!    the sleeper list and decrements the counts (SeqCst), then re-scans
//!    every queue and notifies if any work is there. If it was the last
//!    searcher this is what catches work whose publisher saw "one searcher"
//!    in step 1 and skipped the doorbell. A worker that parks without having
//!    searched must re-scan too: it may have been refused step 2 while
//!    another worker searched, and that searcher, finding work, may have
//!    left searching (step 3) while this one was still awake, so its
//!    notify found nobody asleep; work published during that search would
//!    otherwise wait until a worker next looks (forever, behind a task that
//!    never yields). loom found that; the re-scan costs a few loads per park.
//! 5. After its park returns, a worker calls `unpark_self`: if it is still on
//!    the sleeper list nobody notified it (I/O or a timer woke it): it
//!    removes itself and is unparked but not searching; otherwise a notifier
//!    already counted it as searching.
//!
//! Doorbells are tokens (a CQE or an eventfd count), so a doorbell rung
//! before the sleeper actually blocks is not lost.

use crate::loom::{AtomicUsize, Mutex, Ordering};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;

/// Idle bookkeeping for `n` workers.
pub struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    workers: usize,
}

impl Idle {
    /// All `workers` start unparked and not searching.
    pub fn new(workers: usize) -> Self {
        Idle {
            state: AtomicUsize::new(workers * UNPARK_ONE),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    fn should_notify(&self) -> bool {
        // SeqCst pairs with the SeqCst decrement in `transition_worker_to_parked`:
        // either we see the parker's decrement (and notify), or the parker's
        // re-scan sees our already-published work.
        let s = self.state.load(Ordering::SeqCst);
        s & SEARCH_MASK == 0 && (s >> UNPARK_SHIFT) < self.workers
    }

    /// Step 1: which sleeping worker (if any) to ring after publishing work.
    pub fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_notify() {
            return None;
        }
        let idx = sleepers.pop()?;
        // One unparked and one searching more.
        self.state.fetch_add(UNPARK_ONE | 1, Ordering::SeqCst);
        Some(idx)
    }

    /// Step 2: may this worker start searching?
    pub fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(Ordering::SeqCst);
        if 2 * (s & SEARCH_MASK) >= self.workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Step 3: a searcher found work. True when it was the last searcher
    /// (the caller must then notify another worker).
    pub fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        prev & SEARCH_MASK == 1
    }

    /// Step 4: worker `idx` goes to sleep (the caller then re-scans all
    /// queues and notifies if work remains). True when it was the last
    /// searcher.
    pub fn transition_worker_to_parked(&self, idx: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, Ordering::SeqCst);
        sleepers.push(idx);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// Step 5: worker `idx` woke up. Returns true when it was notified (and
    /// therefore already counts as searching).
    pub fn unpark_self(&self, idx: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&i| i == idx) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(UNPARK_ONE, Ordering::SeqCst);
                false
            }
            None => true,
        }
    }

    /// Number of workers searching right now.
    pub fn num_searching(&self) -> usize {
        self.state.load(Ordering::SeqCst) & SEARCH_MASK
    }

    /// Number of workers counted as unparked (awake) right now.
    pub fn num_unparked(&self) -> usize {
        self.state.load(Ordering::SeqCst) >> UNPARK_SHIFT
    }

    /// True when worker `idx` is on the sleeper list.
    pub fn is_sleeping(&self, idx: usize) -> bool {
        self.sleepers.lock().contains(&idx)
    }

    /// All sleepers, for shutdown (every one gets a doorbell).
    pub fn sleepers(&self) -> Vec<usize> {
        self.sleepers.lock().clone()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Idle;

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_from_searching());
        assert!(idle.transition_worker_from_searching());
    }

    #[test]
    fn notify_pops_a_sleeper_once() {
        let idle = Idle::new(2);
        assert!(!idle.transition_worker_to_parked(1, false));
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.worker_to_notify(), None, "a searcher exists now");
        assert!(idle.unpark_self(1), "worker 1 was notified");
        assert_eq!(idle.num_searching(), 1);
    }
}
