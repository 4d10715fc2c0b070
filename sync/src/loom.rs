//! The one switch between loom's model-checked types and the real ones.
//!
//! Every atomic, `Arc`, cell, bucket lock and thread parker used by this crate
//! comes from here. Under `--cfg loom` they are loom's, so the models in
//! `loom-tests/` explore every interleaving of the real code; otherwise they
//! are std's and parking_lot's. Constants shrink under loom: one wait-table
//! bucket (so distinct keys collide) and no spinning (a spin loop only adds
//! states loom would have to explore).
//!
//! Invariant: no other module names `std::sync::atomic`, `std::sync::Arc`,
//! `std::cell::UnsafeCell`, `std::thread` or `loom` directly.

#[cfg(loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use loom::sync::Arc;

    /// Wait-table buckets: one. Every key collides (the models see keys
    /// share a bucket), and the bucket chosen cannot depend on where the
    /// allocator put an object, which would make executions nondeterministic.
    pub(crate) const BUCKETS: usize = 1;

    /// The bucket lock.
    pub(crate) struct SmallLock<T>(loom::sync::Mutex<T>);
    pub(crate) type SmallGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> SmallLock<T> {
        pub(crate) fn new(value: T) -> Self {
            SmallLock(loom::sync::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> SmallGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    /// A waiter's parker: under loom, one `Notify` per wait record rather
    /// than the thread's own park token. loom treats an `unpark` as waking
    /// the thread from *any* blocking operation (a join, a mutex), so a late
    /// unpark from a waker would break the model; a `Notify` is only ever
    /// waited on here. loom's `Notify` also wakes spuriously at will, so the
    /// models explore spurious wakeups for free.
    pub(crate) struct Parker(Arc<loom::sync::Notify>);
    pub(crate) struct Unparker(Arc<loom::sync::Notify>);

    impl Parker {
        pub(crate) fn new() -> Self {
            Parker(Arc::new(loom::sync::Notify::new()))
        }
        pub(crate) fn unparker(&self) -> Unparker {
            Unparker(self.0.clone())
        }
        /// There is no clock under loom: with a deadline, the wait does not
        /// park and reports the deadline as passed, so the models explore
        /// the timeout racing every other step of the protocol.
        pub(crate) fn park_until(&self, deadline: Option<std::time::Instant>) -> super::Parked {
            match deadline {
                None => {
                    self.0.wait();
                    super::Parked::Unparked
                }
                Some(_) => super::Parked::DeadlinePassed,
            }
        }
    }

    impl Unparker {
        pub(crate) fn unpark(self) {
            self.0.notify();
        }
    }
}

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use std::sync::Arc;
    use std::time::Instant;

    /// Wait-table buckets of the global table (a power of two).
    pub(crate) const BUCKETS: usize = 256;
    /// Pause instructions a spinning primitive spends before it parks
    /// (about 1.4 microseconds here, near std's 100 spins).
    pub(crate) const SPIN_PAUSES: u32 = 142;
    /// Looks at the word one pause apart before the steps start doubling.
    pub(crate) const SPIN_CLOSE_LOOKS: u32 = 16;
    /// The longest step between two looks at the word.
    pub(crate) const SPIN_MAX_STEP: u32 = 64;

    /// The bucket lock: parking_lot's word lock, held for a few instructions.
    pub(crate) struct SmallLock<T>(parking_lot::Mutex<T>);
    pub(crate) type SmallGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> SmallLock<T> {
        pub(crate) fn new(value: T) -> Self {
            SmallLock(parking_lot::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> SmallGuard<'_, T> {
            self.0.lock()
        }
    }

    /// `UnsafeCell` with loom's closure-based access, so callers read the same
    /// under both configurations.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// A waiter's parker: the thread's own park token (on Linux, std parks
    /// on a futex word per thread). Stale unparks are harmless: the waiter
    /// re-checks its record after every return from `park`.
    pub(crate) struct Parker(());
    pub(crate) struct Unparker(std::thread::Thread);

    impl Parker {
        pub(crate) fn new() -> Self {
            Parker(())
        }
        pub(crate) fn unparker(&self) -> Unparker {
            Unparker(std::thread::current())
        }
        /// Parks until unparked, spuriously woken, or the deadline passes.
        pub(crate) fn park_until(&self, deadline: Option<Instant>) -> super::Parked {
            match deadline {
                None => std::thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return super::Parked::DeadlinePassed;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            }
            super::Parked::Unparked
        }
    }

    impl Unparker {
        pub(crate) fn unpark(self) {
            self.0.unpark();
        }
    }

    pub(crate) fn spin_hint() {
        std::hint::spin_loop();
    }
}

pub(crate) use imp::*;

/// What a call to `Parker::park_until` observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parked {
    /// Returned from the park (an unpark or a spurious wakeup).
    Unparked,
    /// The deadline has passed; the caller should withdraw.
    DeadlinePassed,
}

/// Spins while `busy` says the word is still taken, for at most
/// `SPIN_PAUSES` pause instructions; returns whether the word looked free
/// before the budget ran out.
///
/// It looks at the word after each of the first 16 pauses, then after 2,
/// 4, ... 64 more (22 looks in all), not after every pause: each look pulls
/// the word's cache line away from the holder, which must take it back to
/// unlock and, in a tight loop, to lock again. Measured on the 4-thread
/// contended bench (2 cores, a shared machine, old and new binaries
/// alternated): a look after every pause for 100 pauses (as this function
/// did, and as std's futex mutex does) was two to four times slower than
/// spaced looks whenever the threads really ran in parallel; looking only
/// at doubling steps (8 looks) fixed that but was slower than std in 4 of
/// 11 runs on a loaded machine, where an unlock seen early saves a park;
/// this mix of the two was under std in all 8 of its runs. The total wait
/// stays near a microsecond, so a critical section of a few hundred
/// nanoseconds is still waited out without parking (10 single-pause looks
/// were as fast on the bench but slower there). It never yields: a
/// `yield_now` after the spin made the bench slower.
pub(crate) fn spin_while(mut busy: impl FnMut() -> bool) -> bool {
    #[cfg(not(loom))]
    {
        let mut step = 1;
        let mut spent = 0;
        let mut looks = 0;
        while spent < SPIN_PAUSES {
            if !busy() {
                return true;
            }
            for _ in 0..step {
                spin_hint();
            }
            spent += step;
            looks += 1;
            if looks >= SPIN_CLOSE_LOOKS {
                step = (step * 2).min(SPIN_MAX_STEP);
            }
        }
    }
    !busy()
}
