//! `RwLock<T>`: shared readers or one writer over data, writer-preferring.
//!
//! The state machine is [`RawRwLock`]; this module adds the data cell, the
//! guards and the futures. Invariant: read guards exist only while the word
//! counts them and no writer holds it; a write guard only while the word is
//! WRITE_LOCKED by it. The guards' `Deref`s are this module's only `unsafe`.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::loom::UnsafeCell;
use crate::raw_rwlock::RawRwLock;
use crate::task_wait::AsyncWait;

/// A writer-preferring reader-writer lock protecting a `T`.
pub struct RwLock<T> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: readers share `&T` across threads (needs `Sync`), a writer gets
// `&mut T` on whichever thread holds it (needs `Send`).
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}
// SAFETY: moving the lock moves the `T`.
unsafe impl<T: Send> Send for RwLock<T> {}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        RwLock {
            raw: RawRwLock::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Blocks the thread for shared access.
    pub fn read(&self) -> ReadGuard<'_, T> {
        self.raw.read(None);
        ReadGuard { lock: self }
    }

    /// Blocks the thread for exclusive access.
    pub fn write(&self) -> WriteGuard<'_, T> {
        self.raw.write(None);
        WriteGuard { lock: self }
    }

    /// Shared access if no writer holds or waits.
    pub fn try_read(&self) -> Option<ReadGuard<'_, T>> {
        self.raw.try_read().then(|| ReadGuard { lock: self })
    }

    /// Exclusive access if nobody holds the lock.
    pub fn try_write(&self) -> Option<WriteGuard<'_, T>> {
        self.raw.try_write().then(|| WriteGuard { lock: self })
    }

    /// Shared access, or `None` once `deadline` passes.
    pub fn read_deadline(&self, deadline: Instant) -> Option<ReadGuard<'_, T>> {
        self.raw
            .read(Some(deadline))
            .then(|| ReadGuard { lock: self })
    }

    /// Exclusive access, or `None` once `deadline` passes (the writer's
    /// claim on the lock is withdrawn, letting readers in again).
    pub fn write_deadline(&self, deadline: Instant) -> Option<WriteGuard<'_, T>> {
        self.raw
            .write(Some(deadline))
            .then(|| WriteGuard { lock: self })
    }

    /// Shared access as a task (cancel-safe; race it with a timer for a deadline).
    pub fn read_async(&self) -> ReadFuture<'_, T> {
        ReadFuture {
            lock: self,
            wait: self.raw.read_wait(),
        }
    }

    /// Exclusive access as a task (cancel-safe: a dropped future withdraws
    /// its claim; race it with a timer for a deadline).
    pub fn write_async(&self) -> WriteFuture<'_, T> {
        WriteFuture {
            lock: self,
            wait: self.raw.write_wait(),
            counted: false,
        }
    }

    /// Readers holding the lock now (a snapshot).
    pub fn reader_count(&self) -> usize {
        self.raw.reader_count()
    }

    /// True while a writer holds the lock.
    pub fn is_write_locked(&self) -> bool {
        self.raw.is_write_locked()
    }
}

/// Shared access to an `RwLock`'s data.
pub struct ReadGuard<'a, T> {
    lock: &'a RwLock<T>,
}

/// Exclusive access to an `RwLock`'s data.
pub struct WriteGuard<'a, T> {
    lock: &'a RwLock<T>,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the word counts this reader, so no writer holds `&mut T`.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.read_unlock();
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the word is write-locked by this guard: no other reference.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: write-locked by this guard, which is borrowed mutably.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.write_unlock();
    }
}

/// Future returned by [`RwLock::read_async`].
pub struct ReadFuture<'a, T> {
    lock: &'a RwLock<T>,
    wait: AsyncWait<'static>,
}

impl<'a, T> Future for ReadFuture<'a, T> {
    type Output = ReadGuard<'a, T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ReadGuard<'a, T>> {
        let this = self.get_mut();
        let lock = this.lock;
        lock.raw
            .poll_read(cx, &mut this.wait)
            .map(|()| ReadGuard { lock })
    }
}

/// Future returned by [`RwLock::write_async`].
pub struct WriteFuture<'a, T> {
    lock: &'a RwLock<T>,
    wait: AsyncWait<'static>,
    counted: bool,
}

impl<'a, T> Future for WriteFuture<'a, T> {
    type Output = WriteGuard<'a, T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WriteGuard<'a, T>> {
        let this = self.get_mut();
        let lock = this.lock;
        lock.raw
            .poll_write(cx, &mut this.wait, &mut this.counted)
            .map(|()| WriteGuard { lock })
    }
}

impl<T> Drop for WriteFuture<'_, T> {
    fn drop(&mut self) {
        self.lock
            .raw
            .cancel_write(&mut self.wait, &mut self.counted);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;
    use std::time::Duration;

    #[test]
    fn readers_share_writer_excludes() {
        let l = RwLock::new(1);
        let a = l.read();
        let b = l.read();
        assert_eq!(*a + *b, 2);
        assert!(l.try_write().is_none());
        assert!(l
            .write_deadline(Instant::now() + Duration::from_millis(2))
            .is_none());
        // The timed-out writer withdrew: readers get in again.
        assert!(l.try_read().is_some());
        drop((a, b));
        *l.write() += 1;
        assert_eq!(*l.read(), 2);
    }

    #[test]
    fn waiting_writer_blocks_new_readers_until_dropped() {
        let l = RwLock::new(0);
        let r = l.read();
        let mut cx = Context::from_waker(Waker::noop());
        let mut w = Box::pin(l.write_async());
        assert!(w.as_mut().poll(&mut cx).is_pending());
        assert!(l.try_read().is_none(), "writer preference");
        drop(w);
        assert!(l.try_read().is_some());
        drop(r);
        assert!(l.try_write().is_some());
    }
}
