//! spindle-sync: one futex wait table and the primitives built on it,
//! usable by OS threads and by tasks alike.
//!
//! Every primitive has a blocking thread API (with `_deadline` variants
//! taking a `std::time::Instant`) and an async task API (`_async`) over one
//! state machine, and waits in the process-wide table [`futex::global`].
//! The futures depend on nothing but `std::task::Waker`, so any executor can
//! drive them; they take no deadline — race them with your runtime's timer
//! and drop the loser (dropping is a clean cancellation).
//!
//! ```
//! use spindle_sync::{Lock, Queue, Semaphore};
//! use std::time::{Duration, Instant};
//!
//! let counter = Lock::new(0);
//! *counter.lock() += 1;
//! assert_eq!(*counter.lock(), 1);
//!
//! let q = Queue::new(2);
//! q.put("a").unwrap();
//! q.close();
//! assert_eq!(q.take(), Ok("a"));
//! assert!(q.take().is_err()); // closed and drained
//!
//! let sem = Semaphore::new(1);
//! let held = sem.acquire();
//! assert!(sem.acquire_many_deadline(1, Instant::now() + Duration::from_millis(1)).is_none());
//! drop(held);
//! ```
//!
//! The wait table itself ([`WaitTable`], [`global`]) is public for callers
//! that build their own primitives (the language's `ev/futex-wait`): wait on
//! a key while a word still holds a value, wake by key with an exact count.

mod barrier;
mod condvar;
pub mod futex;
mod latch;
mod lock;
mod loom;
mod once;
mod queue;
mod raw_lock;
mod raw_rwlock;
mod rwlock;
mod semaphore;
mod task_wait;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use condvar::{Condvar, CondvarWait};
pub use futex::{global, Filter, WaitResult, WaitTable};
pub use latch::{Latch, LatchWait};
pub use lock::{Lock, LockFuture, LockGuard};
pub use once::{Once, OnceInit};
pub use queue::{Closed, PutError, PutFuture, Queue, TakeError, TakeFuture};
pub use raw_lock::RawLock;
pub use raw_rwlock::RawRwLock;
pub use rwlock::{ReadFuture, ReadGuard, RwLock, WriteFuture, WriteGuard};
pub use semaphore::{Acquire, Permit, Semaphore};
pub use task_wait::{AsyncWait, Cancel, WaitFuture};
