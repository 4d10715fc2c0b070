//! The swap module: every atomic, lock and fence used by the runtime's
//! concurrency protocols (task state, the idle/search/park handshake) comes
//! through here, so `RUSTFLAGS="--cfg loom"` swaps them for loom's model
//! types. Constants that size queues or batches shrink under loom so models
//! reach the overflow and steal paths with two or three workers.
//!
//! Invariant: code outside this module never names `std::sync::atomic` or
//! `loom` directly for protocol state. Process-wide statistics counters that
//! take part in no protocol live in `stats` as plain std statics (loom's
//! atomics cannot be built in a `static`).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};

/// A mutual-exclusion lock with a `lock()` that cannot fail, on both
/// backends (parking_lot normally, loom's model mutex under loom).
#[derive(Debug, Default)]
pub struct Mutex<T> {
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
    #[cfg(not(loom))]
    inner: parking_lot::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(value),
            #[cfg(not(loom))]
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// Locks the mutex, blocking the thread until it is free.
    #[cfg(loom)]
    pub fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the mutex, blocking the thread until it is free.
    #[cfg(not(loom))]
    pub fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.inner.lock()
    }
}

/// How many tasks a worker runs between two looks at the global injector.
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = if cfg!(loom) { 3 } else { 61 };
/// How many LIFO-slot tasks may run in a row before the local queue gets a turn.
pub(crate) const MAX_LIFO_POLLS: u32 = 3;
/// Coop budget: ready operations a task may complete in one poll.
pub(crate) const COOP_BUDGET: u8 = if cfg!(loom) { 4 } else { 128 };
