//! The wait table: one user-space futex for threads and tasks alike.
//!
//! A key is a `usize` naming one wait queue (the address of a word the waiter
//! checks, or an object id). Keys hash into a fixed array of buckets; each
//! bucket is a small lock around a FIFO of waiter records plus an atomic count
//! of the records in it. A record is an `Arc<Waiter>` (state + token) and the
//! way to wake its owner: a `Thread` to unpark or a task's `Waker`.
//!
//! Invariant: a record is in its bucket's FIFO exactly while its state is
//! WAITING, and it leaves WAITING exactly once, under the bucket lock — either
//! a waker removes it and sets WOKEN, or its owner removes it (timeout,
//! cancellation) and it is dropped. Nothing else ever changes the state.
//!
//! Protocol, waiting (`wait_with`, `AsyncWait::poll_wait`):
//! 1. Lock the bucket.
//! 2. Increment the bucket's waiter count (an AcqRel read-modify-write).
//! 3. Run `validate` (the compare step): if the word no longer says "wait",
//!    decrement, unlock, return `Invalid`. `validate` may also adjust the
//!    record's token (a semaphore takes permits here).
//! 4. Push the record (WAITING) at the back of the FIFO; unlock.
//! 5. Thread: park until the record reads WOKEN (Acquire); a return from
//!    park that finds it still WAITING was spurious, park again. Task: return Pending;
//!    a later poll that finds WOKEN returns `Woken`, otherwise it re-registers
//!    the new waker under the lock.
//! 6. Deadline passed (thread) or future dropped (task): lock the bucket. If
//!    the record is still queued, remove it: `TimedOut`, no trace is left. If
//!    it is gone, a waker already chose it: the thread returns `Woken`; a
//!    dropped future that never reported that wake passes it on with
//!    `wake(key, 1)` (the baton rule) — or its primitive gives back what the
//!    wake handed it.
//!
//! Protocol, waking (`wake`, `wake_all`, `wake_filter`):
//! 1. The caller first changes the word the waiters validate against.
//! 2. Read the bucket's waiter count with an AcqRel read-modify-write; zero
//!    means no waiter has passed step 2 above, and any that does will see the
//!    change in its step 3 (the two RMWs on the count order the two sides), so
//!    return 0 without locking.
//! 3. Lock the bucket; walk its FIFO oldest first; for each record with this
//!    key ask the filter: Wake removes it, stores WOKEN (Release) and collects
//!    its thread/waker; Skip leaves it; Stop ends the walk.
//! 4. Unlock, then unpark/wake everything collected (never under the lock).
//! 5. Return how many records were woken: exactly the records removed.
//!
//! Tracked keys (`wait_tracked`, `wake_tracked`, `AsyncWait::cancel_tracked`):
//! a primitive may keep its own "someone is queued" flag in its word (the
//! semaphore does), set by its `validate` and cleared by hooks that run
//! under the bucket lock when a walk or a withdrawal leaves no record of the
//! key. Under that lock the flag is exact, so its wakers skip step 2 and
//! lock only when the flag is set; with it clear they never touch the table.
//!
//! Spurious wakeups: the table never reports `Woken` without a waker having
//! chosen the record, but threads may return from `park` for any reason and
//! callers of a shared key may be woken for someone else's reason; every
//! primitive re-checks its word after `Woken`.

use std::collections::VecDeque;
use std::task::Waker;
use std::time::Instant;

use crate::loom::{Arc, AtomicUsize, Ordering, Parked, Parker, SmallLock, Unparker};

const WAITING: usize = 0;
const WOKEN: usize = 1;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// A waker chose this waiter (the caller re-checks its condition).
    Woken,
    /// `validate` returned false: the caller did not sleep.
    Invalid,
    /// The deadline passed before any waker chose this waiter; it left no
    /// trace in the table.
    TimedOut,
}

/// What `wake_filter`'s filter decides for one waiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Remove the waiter and wake it.
    Wake,
    /// Leave it queued and look at the next one.
    Skip,
    /// Leave it queued and stop.
    Stop,
}

/// One waiter's record, shared by its owner and the bucket while queued.
pub(crate) struct Waiter {
    state: AtomicUsize,
    /// Primitive-defined payload, read and written under the bucket lock
    /// (a semaphore keeps the permits still missing here).
    token: AtomicUsize,
}

#[cfg(not(loom))]
thread_local! {
    /// One finished record per thread, reused by its next wait (saves an
    /// allocation per wait; a record is reused only when nobody else holds it).
    static SPARE: std::cell::Cell<Option<Arc<Waiter>>> = const { std::cell::Cell::new(None) };
}

impl Waiter {
    fn obtain(token: usize) -> Arc<Self> {
        #[cfg(not(loom))]
        if let Some(mut spare) = SPARE.try_with(|s| s.take()).ok().flatten() {
            if let Some(record) = Arc::get_mut(&mut spare) {
                *record.state.get_mut() = WAITING;
                *record.token.get_mut() = token;
                return spare;
            }
        }
        Arc::new(Waiter {
            state: AtomicUsize::new(WAITING),
            token: AtomicUsize::new(token),
        })
    }

    /// Offers a record that has left the queue for this thread's next wait.
    pub(crate) fn recycle(record: Arc<Self>) {
        #[cfg(not(loom))]
        {
            let mut record = record;
            if Arc::get_mut(&mut record).is_some() {
                let _ = SPARE.try_with(|s| s.set(Some(record)));
            }
        }
        #[cfg(loom)]
        drop(record);
    }
    pub(crate) fn is_woken(&self) -> bool {
        // Acquire: pairs with the Release store in `wake_filter`, so the
        // token written before it is visible.
        self.state.load(Ordering::Acquire) == WOKEN
    }
    pub(crate) fn token(&self) -> usize {
        self.token.load(Ordering::Relaxed)
    }
}

/// How to wake the owner of a record.
pub(crate) enum Unpark {
    Thread(Unparker),
    Task(Waker),
}

impl Unpark {
    fn deliver(self) {
        match self {
            Unpark::Thread(t) => t.unpark(),
            Unpark::Task(w) => w.wake(),
        }
    }
}

pub(crate) struct Entry {
    key: usize,
    pub(crate) waiter: Arc<Waiter>,
    pub(crate) unpark: Unpark,
}

/// One shard: the FIFO and the count that lets wakers skip empty buckets.
#[repr(align(64))]
pub(crate) struct Bucket {
    waiters: AtomicUsize,
    pub(crate) queue: SmallLock<VecDeque<Entry>>,
}

/// A table of wait queues keyed by `usize`. Most code uses [`global`].
///
/// Keys must name one queue each: two different things waiting under one key
/// would steal each other's wakes. The address of a live word owned by the
/// waiting object is the usual key.
pub struct WaitTable {
    buckets: Box<[Bucket]>,
    shift: u32,
}

impl Default for WaitTable {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitTable {
    /// A table with the default number of buckets.
    pub fn new() -> Self {
        Self::with_buckets(crate::loom::BUCKETS)
    }

    /// A table with `n` buckets (rounded up to a power of two, at least 1).
    pub fn with_buckets(n: usize) -> Self {
        let n = n.max(1).next_power_of_two();
        let buckets = (0..n)
            .map(|_| Bucket {
                waiters: AtomicUsize::new(0),
                queue: SmallLock::new(VecDeque::new()),
            })
            .collect();
        WaitTable {
            buckets,
            shift: usize::BITS - n.trailing_zeros(),
        }
    }

    pub(crate) fn bucket(&self, key: usize) -> &Bucket {
        if self.buckets.len() == 1 {
            return &self.buckets[0];
        }
        // Fibonacci hashing: neighbouring addresses land in different buckets.
        let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize);
        &self.buckets[h >> self.shift]
    }

    /// Sleeps the calling thread on `key` while `validate()` (run under the
    /// bucket lock) returns true, until woken or `deadline` passes.
    pub fn wait(
        &self,
        key: usize,
        validate: impl FnOnce() -> bool,
        deadline: Option<Instant>,
    ) -> WaitResult {
        self.wait_with(key, 0, |_| validate(), deadline).0
    }

    /// [`wait`](Self::wait) with a token: `validate` may change it, wakers
    /// filtering with [`wake_filter`](Self::wake_filter) see and change it,
    /// and its final value is returned with the result.
    pub fn wait_with(
        &self,
        key: usize,
        token: usize,
        validate: impl FnOnce(&mut usize) -> bool,
        deadline: Option<Instant>,
    ) -> (WaitResult, usize) {
        self.wait_tracked(key, token, validate, |_| {}, deadline)
    }

    /// [`wait_with`](Self::wait_with) for a primitive that tracks in its own
    /// word whether anyone is queued on `key`: if the deadline withdraws the
    /// record, `on_withdraw` runs under the bucket lock, told whether other
    /// records of `key` remain, so the primitive can clear its flag in the
    /// same critical section that emptied the queue.
    pub(crate) fn wait_tracked(
        &self,
        key: usize,
        token: usize,
        validate: impl FnOnce(&mut usize) -> bool,
        on_withdraw: impl FnOnce(bool),
        deadline: Option<Instant>,
    ) -> (WaitResult, usize) {
        let bucket = self.bucket(key);
        let parker = Parker::new();
        let waiter =
            match bucket.enqueue(key, token, validate, || Unpark::Thread(parker.unparker())) {
                Ok(waiter) => waiter,
                Err(token) => return (WaitResult::Invalid, token),
            };
        let mut on_withdraw = Some(on_withdraw);
        let outcome = loop {
            if waiter.is_woken() {
                break (WaitResult::Woken, waiter.token());
            }
            if parker.park_until(deadline) == Parked::DeadlinePassed {
                let hook = on_withdraw.take().expect("the deadline passes once");
                break match bucket.withdraw(&waiter, hook) {
                    Some(token) => (WaitResult::TimedOut, token),
                    // A waker removed the record first: it set WOKEN under the
                    // lock we have just held, so the wake is ours to report.
                    None => (WaitResult::Woken, waiter.token()),
                };
            }
        };
        Waiter::recycle(waiter);
        outcome
    }

    /// Wakes up to `n` waiters on `key`, oldest first; returns how many.
    pub fn wake(&self, key: usize, n: usize) -> usize {
        let mut left = n;
        self.wake_filter(key, |_| {
            if left == 0 {
                return Filter::Stop;
            }
            left -= 1;
            Filter::Wake
        })
    }

    /// Wakes every waiter on `key`; returns how many.
    pub fn wake_all(&self, key: usize) -> usize {
        self.wake(key, usize::MAX)
    }

    /// Walks `key`'s waiters oldest first under the bucket lock, letting
    /// `filter` read and change each one's token and decide its fate; wakes
    /// the chosen ones after unlocking. Returns how many it woke.
    pub fn wake_filter(&self, key: usize, filter: impl FnMut(&mut usize) -> Filter) -> usize {
        // AcqRel RMW, not a load: it reads the latest count, and if it comes
        // before a waiter's increment, that waiter's validate sees our
        // caller's change (see the protocol above).
        if self.bucket(key).waiters.fetch_add(0, Ordering::AcqRel) == 0 {
            return 0;
        }
        self.wake_tracked(key, filter, |_| {})
    }

    /// [`wake_filter`](Self::wake_filter) for a primitive whose own word
    /// says waiters are queued (it skips the count check: the flag was set
    /// under the bucket lock, so taking the lock shows the records).
    /// `after` runs under the lock once the walk ends, told whether records
    /// of `key` remain queued.
    pub(crate) fn wake_tracked(
        &self,
        key: usize,
        mut filter: impl FnMut(&mut usize) -> Filter,
        after: impl FnOnce(bool),
    ) -> usize {
        let bucket = self.bucket(key);
        // The first wake stays inline; only a wake of several allocates.
        let mut first: Option<Unpark> = None;
        let mut rest: Vec<Unpark> = Vec::new();
        {
            let mut queue = bucket.queue.lock();
            let mut remaining = false;
            let mut i = 0;
            while i < queue.len() {
                if queue[i].key != key {
                    i += 1;
                    continue;
                }
                let record = &queue[i].waiter;
                let mut token = record.token.load(Ordering::Relaxed);
                let decision = filter(&mut token);
                record.token.store(token, Ordering::Relaxed);
                match decision {
                    Filter::Wake => {
                        let entry = queue.remove(i).expect("index in range");
                        bucket.waiters.fetch_sub(1, Ordering::Relaxed);
                        // Release: the token above is visible to the owner
                        // once it reads WOKEN.
                        entry.waiter.state.store(WOKEN, Ordering::Release);
                        match first {
                            None => first = Some(entry.unpark),
                            Some(_) => rest.push(entry.unpark),
                        }
                    }
                    Filter::Skip => {
                        remaining = true;
                        i += 1;
                    }
                    Filter::Stop => {
                        remaining = true;
                        break;
                    }
                }
            }
            after(remaining);
        }
        let woken = first.is_some() as usize + rest.len();
        if let Some(unpark) = first {
            unpark.deliver();
        }
        for unpark in rest {
            unpark.deliver();
        }
        woken
    }
}

impl Bucket {
    /// Steps 1–4 of waiting: returns the queued record, or the token if
    /// `validate` said not to wait.
    pub(crate) fn enqueue(
        &self,
        key: usize,
        mut token: usize,
        validate: impl FnOnce(&mut usize) -> bool,
        unpark: impl FnOnce() -> Unpark,
    ) -> Result<Arc<Waiter>, usize> {
        let mut queue = self.queue.lock();
        self.waiters.fetch_add(1, Ordering::AcqRel);
        if !validate(&mut token) {
            self.waiters.fetch_sub(1, Ordering::Relaxed);
            return Err(token);
        }
        let waiter = Waiter::obtain(token);
        queue.push_back(Entry {
            key,
            waiter: waiter.clone(),
            unpark: unpark(),
        });
        Ok(waiter)
    }

    /// Removes `waiter` if it is still queued, returning its token; `None`
    /// means a waker already removed it (and set WOKEN). After a removal,
    /// `on_removed` runs under the lock, told whether other records of the
    /// same key remain.
    pub(crate) fn withdraw(
        &self,
        waiter: &Arc<Waiter>,
        on_removed: impl FnOnce(bool),
    ) -> Option<usize> {
        let mut queue = self.queue.lock();
        let i = queue.iter().position(|e| Arc::ptr_eq(&e.waiter, waiter))?;
        let key = queue.remove(i).expect("index in range").key;
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        on_removed(queue.iter().any(|e| e.key == key));
        Some(waiter.token())
    }

    /// Replaces a queued task's waker; false if the record is no longer
    /// queued (it was woken).
    pub(crate) fn rewake(&self, waiter: &Arc<Waiter>, waker: &Waker) -> bool {
        let mut queue = self.queue.lock();
        match queue.iter_mut().find(|e| Arc::ptr_eq(&e.waiter, waiter)) {
            Some(entry) => {
                if !matches!(&entry.unpark, Unpark::Task(w) if w.will_wake(waker)) {
                    entry.unpark = Unpark::Task(waker.clone());
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(not(loom))]
static GLOBAL: std::sync::LazyLock<WaitTable> = std::sync::LazyLock::new(WaitTable::new);

#[cfg(loom)]
loom::lazy_static! {
    static ref GLOBAL: WaitTable = WaitTable::new();
}

/// The process-wide table every primitive of this crate waits in.
pub fn global() -> &'static WaitTable {
    &GLOBAL
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize as StdAtomic};
    use std::time::Duration;

    #[test]
    fn invalid_when_validate_fails() {
        let t = WaitTable::new();
        assert_eq!(t.wait(1, || false, None), WaitResult::Invalid);
        assert_eq!(t.wake(1, 1), 0);
    }

    #[test]
    fn deadline_leaves_no_trace() {
        let t = WaitTable::with_buckets(1);
        let d = Instant::now() + Duration::from_millis(5);
        assert_eq!(t.wait(7, || true, Some(d)), WaitResult::TimedOut);
        assert_eq!(t.bucket(7).queue.lock().len(), 0);
        assert_eq!(t.wake_all(7), 0);
    }

    #[test]
    fn wake_counts_exactly_and_in_order() {
        let t = std::sync::Arc::new(WaitTable::with_buckets(1));
        let flag = std::sync::Arc::new(AtomicBool::new(false));
        let order = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..3 {
            let (t2, flag, order) = (t.clone(), flag.clone(), order.clone());
            handles.push(std::thread::spawn(move || {
                let r = t2.wait(42, || !flag.load(Ordering::SeqCst), None);
                order.lock().push(i);
                r
            }));
            // Let thread i queue before i+1 so FIFO order is observable.
            while t.bucket(42).queue.lock().len() < i + 1 {
                std::thread::yield_now();
            }
        }
        // Another key in the same bucket is not disturbed.
        assert_eq!(t.wake(43, 5), 0);
        assert_eq!(t.wake(42, 2), 2);
        while order.lock().len() < 2 {
            std::thread::yield_now();
        }
        // The two oldest were chosen (they may return in either order).
        let mut first_two = order.lock().clone();
        first_two.sort();
        assert_eq!(first_two, vec![0, 1]);
        flag.store(true, Ordering::SeqCst);
        assert_eq!(t.wake_all(42), 1);
        for h in handles {
            assert_eq!(h.join().unwrap(), WaitResult::Woken);
        }
    }

    #[test]
    fn filter_sees_and_changes_tokens() {
        let t = std::sync::Arc::new(WaitTable::new());
        let t2 = t.clone();
        let h = std::thread::spawn(move || {
            t2.wait_with(
                9,
                5,
                |tok| {
                    *tok += 1;
                    true
                },
                None,
            )
        });
        while t.bucket(9).queue.lock().is_empty() {
            std::thread::yield_now();
        }
        let seen = StdAtomic::new(0);
        let n = t.wake_filter(9, |tok| {
            seen.store(*tok, Ordering::Relaxed);
            *tok = 100;
            Filter::Wake
        });
        assert_eq!(n, 1);
        assert_eq!(seen.load(Ordering::Relaxed), 6);
        assert_eq!(h.join().unwrap(), (WaitResult::Woken, 100));
    }
}
