//! The reader-writer word: writer-preferring, for threads and tasks.
//!
//! State (one `usize`): bit 0 WRITE_LOCKED; bits 1..HALF the number of
//! writers waiting; bits HALF.. the number of readers holding. Readers wait
//! under the word's address, writers under the address of `writer_key`.
//!
//! Protocol:
//! 1. Read: CAS readers+1 if no writer holds *or waits* (writer preference:
//!    a waiting writer blocks new readers, so writers never starve). Else
//!    wait on the reader key while a writer holds or waits.
//! 2. Write: CAS 0-readers/unlocked -> WRITE_LOCKED. Else count yourself
//!    a waiting writer (+1), then loop: CAS (waiting-1, WRITE_LOCKED) once
//!    no reader or writer holds, else wait on the writer key while one does.
//! 3. Read unlock: readers-1; the last reader out, if writers wait, wakes one.
//! 4. Write unlock: clear WRITE_LOCKED; if writers wait, wake one, else wake
//!    all readers.
//! 5. A writer that gives up (deadline, dropped future) uncounts itself; if
//!    that leaves no waiting writer and no holder-writer, it wakes all
//!    readers; if writers still wait and nobody holds, it wakes one of them.
//!
//! Invariants: WRITE_LOCKED implies zero readers; every waiter's compare step
//! checks exactly the condition whose clearing is followed by its wake, so
//! no wakeup is lost. A thread that read-locks twice while a writer waits
//! deadlocks (as with every writer-preferring lock).

use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::loom::{AtomicUsize, Ordering};
use crate::task_wait::AsyncWait;

const HALF: u32 = usize::BITS / 2;
const WRITE_LOCKED: usize = 1;
const WRITER: usize = 2;
const WRITERS_MASK: usize = (1 << HALF) - 2;
const READER: usize = 1 << HALF;

fn readers(s: usize) -> usize {
    s >> HALF
}

fn writers_waiting(s: usize) -> usize {
    (s & WRITERS_MASK) >> 1
}

/// A writer-preferring reader-writer lock word.
pub struct RawRwLock {
    state: AtomicUsize,
    /// Exists only so writers have a wait key of their own (its address).
    writer_key: u8,
}

impl Default for RawRwLock {
    fn default() -> Self {
        Self::new()
    }
}

impl RawRwLock {
    /// An unlocked word.
    pub fn new() -> Self {
        RawRwLock {
            state: AtomicUsize::new(0),
            writer_key: 0,
        }
    }

    fn rkey(&self) -> usize {
        &self.state as *const AtomicUsize as usize
    }

    fn wkey(&self) -> usize {
        &self.writer_key as *const u8 as usize
    }

    fn readers_blocked(s: usize) -> bool {
        s & (WRITE_LOCKED | WRITERS_MASK) != 0
    }

    fn writer_blocked(s: usize) -> bool {
        s & WRITE_LOCKED != 0 || readers(s) != 0
    }

    /// Takes a read lock unless a writer holds or waits.
    pub fn try_read(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        while !Self::readers_blocked(s) {
            match self.state.compare_exchange_weak(
                s,
                s + READER,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    /// Takes the write lock if nobody holds the lock.
    pub fn try_write(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        while !Self::writer_blocked(s) {
            match self.state.compare_exchange_weak(
                s,
                s | WRITE_LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    /// Write CAS for a writer already counted as waiting.
    fn try_write_counted(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        while !Self::writer_blocked(s) {
            let next = (s - WRITER) | WRITE_LOCKED;
            match self
                .state
                .compare_exchange_weak(s, next, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    /// Blocks for a read lock; false if `deadline` passed first.
    pub fn read(&self, deadline: Option<Instant>) -> bool {
        loop {
            if self.try_read() {
                return true;
            }
            let blocked = || Self::readers_blocked(self.state.load(Ordering::Relaxed));
            if global().wait(self.rkey(), blocked, deadline) == WaitResult::TimedOut {
                return false;
            }
        }
    }

    /// Blocks for the write lock; false if `deadline` passed first.
    pub fn write(&self, deadline: Option<Instant>) -> bool {
        if self.try_write() {
            return true;
        }
        self.state.fetch_add(WRITER, Ordering::Relaxed);
        loop {
            if self.try_write_counted() {
                return true;
            }
            let blocked = || Self::writer_blocked(self.state.load(Ordering::Relaxed));
            if global().wait(self.wkey(), blocked, deadline) == WaitResult::TimedOut {
                self.writer_gives_up();
                return false;
            }
        }
    }

    /// Step 5: a counted writer withdraws.
    fn writer_gives_up(&self) {
        let s = self.state.fetch_sub(WRITER, Ordering::Release) - WRITER;
        if s & WRITE_LOCKED != 0 {
            return;
        }
        if writers_waiting(s) == 0 {
            global().wake_all(self.rkey());
        } else if readers(s) == 0 {
            global().wake(self.wkey(), 1);
        }
    }

    /// Releases a read lock.
    pub fn read_unlock(&self) {
        let s = self.state.fetch_sub(READER, Ordering::Release);
        if readers(s) == 1 && writers_waiting(s) > 0 {
            global().wake(self.wkey(), 1);
        }
    }

    /// Releases the write lock.
    pub fn write_unlock(&self) {
        let s = self.state.fetch_sub(WRITE_LOCKED, Ordering::Release);
        if writers_waiting(s) > 0 {
            global().wake(self.wkey(), 1);
        } else {
            global().wake_all(self.rkey());
        }
    }

    /// A reader's task-side wait record.
    pub fn read_wait(&self) -> AsyncWait<'static> {
        AsyncWait::new(global(), self.rkey())
    }

    /// A writer's task-side wait record.
    pub fn write_wait(&self) -> AsyncWait<'static> {
        AsyncWait::new(global(), self.wkey())
    }

    /// Polls for a read lock with `wait` from [`read_wait`](Self::read_wait).
    pub fn poll_read(&self, cx: &mut Context<'_>, wait: &mut AsyncWait<'_>) -> Poll<()> {
        loop {
            if !wait.is_waiting() && self.try_read() {
                return Poll::Ready(());
            }
            let blocked = |_: &mut usize| Self::readers_blocked(self.state.load(Ordering::Relaxed));
            if wait.poll_wait(cx, 0, blocked).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Polls for the write lock with `wait` from
    /// [`write_wait`](Self::write_wait); `counted` tracks whether this
    /// writer is counted as waiting and must start false.
    pub fn poll_write(
        &self,
        cx: &mut Context<'_>,
        wait: &mut AsyncWait<'_>,
        counted: &mut bool,
    ) -> Poll<()> {
        if !*counted {
            if self.try_write() {
                return Poll::Ready(());
            }
            self.state.fetch_add(WRITER, Ordering::Relaxed);
            *counted = true;
        }
        loop {
            if !wait.is_waiting() && self.try_write_counted() {
                *counted = false;
                return Poll::Ready(());
            }
            let blocked = |_: &mut usize| Self::writer_blocked(self.state.load(Ordering::Relaxed));
            if wait.poll_wait(cx, 0, blocked).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Undoes a pending [`poll_write`](Self::poll_write) (call from Drop).
    pub fn cancel_write(&self, wait: &mut AsyncWait<'_>, counted: &mut bool) {
        // Any wake we had is re-issued by `writer_gives_up` when it matters.
        wait.cancel();
        if std::mem::take(counted) {
            self.writer_gives_up();
        }
    }

    /// True while a writer holds the lock.
    pub fn is_write_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & WRITE_LOCKED != 0
    }

    /// Readers holding the lock right now (a snapshot).
    pub fn reader_count(&self) -> usize {
        readers(self.state.load(Ordering::Relaxed))
    }
}
