//! `Lock<T>`: a mutex over data, for threads (`lock`) and tasks (`lock_async`).
//!
//! The state machine is [`RawLock`]'s three-state word; this module adds the
//! data cell and the guard. Invariant: a `LockGuard` exists only while the
//! word is held by it, so the data is reached by one holder at a time. The
//! guard's `Deref`s are this module's only `unsafe`.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::loom::UnsafeCell;
use crate::raw_lock::RawLock;
use crate::task_wait::AsyncWait;

/// A mutual-exclusion lock protecting a `T`.
pub struct Lock<T> {
    raw: RawLock,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one holder at a time, so it
// may be shared between threads whenever `T` may be sent between them.
unsafe impl<T: Send> Sync for Lock<T> {}
// SAFETY: moving the lock moves the `T` inside it.
unsafe impl<T: Send> Send for Lock<T> {}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.raw.is_locked())
            .finish_non_exhaustive()
    }
}

impl<T> Lock<T> {
    /// An unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        Lock {
            raw: RawLock::new(),
            data: UnsafeCell::new(value),
        }
    }
}

impl<T> Lock<T> {
    /// Blocks the thread until the lock is held.
    #[inline]
    pub fn lock(&self) -> LockGuard<'_, T> {
        self.raw.lock();
        LockGuard { lock: self }
    }

    /// Takes the lock if it is free.
    #[inline]
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        self.raw.try_lock().then(|| LockGuard { lock: self })
    }

    /// Blocks until the lock is held or `deadline` passes (`None`).
    pub fn lock_deadline(&self, deadline: Instant) -> Option<LockGuard<'_, T>> {
        self.raw
            .lock_deadline(deadline)
            .then(|| LockGuard { lock: self })
    }

    /// Waits as a task. The future is cancel-safe: dropping it before it
    /// resolves leaves the lock and the wait table as they were (a wake it
    /// had received is passed on). For a deadline, race it with a timer.
    pub fn lock_async(&self) -> LockFuture<'_, T> {
        LockFuture {
            lock: self,
            wait: self.raw.task_wait(),
        }
    }

    /// True while someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }
}

/// Access to a locked `Lock`'s data; unlocks on drop.
pub struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
}

impl<'a, T> LockGuard<'a, T> {
    /// The lock this guard holds (used by `Condvar` to unlock and relock).
    pub fn lock_ref(guard: &Self) -> &'a Lock<T> {
        guard.lock
    }
}

// SAFETY: sharing the guard only shares `&T`.
unsafe impl<T: Sync> Sync for LockGuard<'_, T> {}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so no `&mut T` exists elsewhere.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock and is borrowed mutably, so this is
        // the only reference to the data.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for LockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Future returned by [`Lock::lock_async`].
pub struct LockFuture<'a, T> {
    lock: &'a Lock<T>,
    wait: AsyncWait<'static>,
}

impl<'a, T> Future for LockFuture<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = self.get_mut();
        let lock = this.lock;
        lock.raw
            .poll_lock(cx, &mut this.wait)
            .map(|()| LockGuard { lock })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn try_lock_fails_while_held() {
        let l = Lock::new(5);
        let g = l.lock();
        assert!(l.try_lock().is_none());
        assert!(l
            .lock_deadline(Instant::now() + Duration::from_millis(2))
            .is_none());
        drop(g);
        *l.try_lock().unwrap() += 1;
        assert_eq!(*l.lock(), 6);
    }

    #[test]
    fn threads_exclude_each_other() {
        let l = std::sync::Arc::new(Lock::new(0u64));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || {
                    for _ in 0..2000 {
                        *l.lock() += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(*l.lock(), 8000);
    }
}
