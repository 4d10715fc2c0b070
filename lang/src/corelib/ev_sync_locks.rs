//! Semaphores, readers/writer locks, condition variables and monitors
//! (api.md §8), on spindle-sync's `Semaphore`, `RawRwLock` and the wait
//! table.
//!
//! - Semaphore: permits taken by a finished wait are the task's only once
//!   it resumes; a cancel before that releases them (the grant), so
//!   permits are conserved.
//! - RwLock: `RawRwLock`'s writer-preferring word; beside it the holders
//!   (the writer's task token and the readers' tokens), so a release by a
//!   task that holds nothing raises, and an acquire that could only
//!   deadlock on its own task raises "deadlock: rwlock already held by
//!   this task" instead of parking forever.
//! - Condvar: a generation counter on the wait table. spindle-sync's
//!   `Condvar` pairs with its own `Lock<T>` guard; the language's lock is
//!   `ev/lock` (a task-owned word, `ev_lock.rs`), so the same protocol is
//!   written here over it: read the generation while holding the lock,
//!   release it, wait while the generation is unchanged (compare and
//!   enqueue under the bucket lock: a notify in between is never lost).
//!   Reacquiring happens in the prelude (`sync/-condvar-wait`).
//! - Monitor: a lock and a condvar in one object; its methods are prelude.

use super::args;
use super::ev_futex::{baton, owner_token};
use super::ev_lock::{lock_of, make_lock};
use super::ev_sync::{arg, new_obj, opt_timeout, park_op, Answer, Handle, Kind};
use super::registry::Env;
use crate::ev::grant::Grant;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_sync::{AsyncWait, RawRwLock, Semaphore};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

fn make_semaphore(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let n = args::int(iso, a, 0)?;
    if n < 0 {
        return Err(iso.err("sync/make-semaphore: permits must be non-negative"));
    }
    let s = Arc::new(Semaphore::new(n as usize));
    Ok(new_obj(iso, Handle::Semaphore(s), Vec::new()))
}

fn sem(iso: &mut Isolate, a: &[Value]) -> Result<Arc<Semaphore>, Flow> {
    arg(iso, a, 0, Kind::Semaphore, |o| match &o.handle {
        Handle::Semaphore(s) => Some(s.clone()),
        _ => None,
    })
}

fn sem_acquire(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let s = sem(iso, a)?;
    let timeout = opt_timeout(iso, a, 1)?;
    if let Some(p) = s.try_acquire() {
        p.forget();
        return Ok(Value::Bool(true));
    }
    park_op(iso, timeout, Value::Bool(false), async move {
        let n = s.acquire_async().await.forget();
        (Grant::new(move || s.release(n)), Answer::Bool(true))
    })
}

fn sem_release(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    sem(iso, a)?.release(1);
    Ok(Value::Nil)
}

fn sem_try_acquire(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let s = sem(iso, a)?;
    let got = s.try_acquire().map(|p| p.forget());
    Ok(Value::Bool(got.is_some()))
}

fn sem_permits(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Num(sem(iso, a)?.available_permits() as f64))
}

/// A readers/writer lock and who holds it.
pub struct RwShared {
    raw: RawRwLock,
    /// The writer's task token, or 0.
    writer: AtomicI64,
    /// One token per read lock held (a task may hold several).
    readers: Mutex<Vec<i64>>,
}

impl RwShared {
    fn readers(&self) -> std::sync::MutexGuard<'_, Vec<i64>> {
        self.readers.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn holds_read(&self, me: i64) -> bool {
        self.readers().contains(&me)
    }
    fn add_reader(&self, me: i64) {
        self.readers().push(me);
    }
    fn remove_reader(&self, me: i64) -> bool {
        let mut r = self.readers();
        match r.iter().position(|t| *t == me) {
            Some(i) => {
                r.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

/// A task's wait for a read lock.
struct ReadLock {
    rw: Arc<RwShared>,
    wait: AsyncWait<'static>,
}

impl Future for ReadLock {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.rw.raw.poll_read(cx, &mut this.wait)
    }
}

/// A task's wait for the write lock; dropped early, it uncounts itself.
struct WriteLock {
    rw: Arc<RwShared>,
    wait: AsyncWait<'static>,
    counted: bool,
}

impl Future for WriteLock {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.rw
            .raw
            .poll_write(cx, &mut this.wait, &mut this.counted)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        self.rw.raw.cancel_write(&mut self.wait, &mut self.counted);
    }
}

fn make_rwlock(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(0))?;
    let rw = Arc::new(RwShared {
        raw: RawRwLock::new(),
        writer: AtomicI64::new(0),
        readers: Mutex::new(Vec::new()),
    });
    Ok(new_obj(iso, Handle::RwLock(rw), Vec::new()))
}

fn rwlock(iso: &mut Isolate, a: &[Value]) -> Result<Arc<RwShared>, Flow> {
    arg(iso, a, 0, Kind::RwLock, |o| match &o.handle {
        Handle::RwLock(rw) => Some(rw.clone()),
        _ => None,
    })
}

const RW_DEADLOCK: &str = "deadlock: rwlock already held by this task";

fn read_acquire(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let rw = rwlock(iso, a)?;
    let timeout = opt_timeout(iso, a, 1)?;
    let me = owner_token(iso)?;
    if rw.writer.load(Ordering::SeqCst) == me {
        return Err(iso.err(RW_DEADLOCK));
    }
    if rw.raw.try_read() {
        rw.add_reader(me);
        return Ok(Value::Bool(true));
    }
    // A writer waits (writer preference), and it waits for our read lock.
    if rw.holds_read(me) {
        return Err(iso.err(RW_DEADLOCK));
    }
    park_op(iso, timeout, Value::Bool(false), async move {
        let wait = rw.raw.read_wait();
        ReadLock {
            rw: rw.clone(),
            wait,
        }
        .await;
        rw.add_reader(me);
        let give_back = move || {
            rw.remove_reader(me);
            rw.raw.read_unlock();
        };
        (Grant::new(give_back), Answer::Bool(true))
    })
}

fn write_acquire(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let rw = rwlock(iso, a)?;
    let timeout = opt_timeout(iso, a, 1)?;
    let me = owner_token(iso)?;
    if rw.writer.load(Ordering::SeqCst) == me || rw.holds_read(me) {
        return Err(iso.err(RW_DEADLOCK));
    }
    if rw.raw.try_write() {
        rw.writer.store(me, Ordering::SeqCst);
        return Ok(Value::Bool(true));
    }
    park_op(iso, timeout, Value::Bool(false), async move {
        let wait = rw.raw.write_wait();
        WriteLock {
            rw: rw.clone(),
            wait,
            counted: false,
        }
        .await;
        rw.writer.store(me, Ordering::SeqCst);
        let give_back = move || {
            rw.writer.store(0, Ordering::SeqCst);
            rw.raw.write_unlock();
        };
        (Grant::new(give_back), Answer::Bool(true))
    })
}

fn read_release(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let rw = rwlock(iso, a)?;
    let me = owner_token(iso)?;
    if !rw.remove_reader(me) {
        return Err(iso.err("cannot release a read lock this task does not hold"));
    }
    rw.raw.read_unlock();
    Ok(Value::Nil)
}

fn write_release(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let rw = rwlock(iso, a)?;
    let me = owner_token(iso)?;
    if rw
        .writer
        .compare_exchange(me, 0, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(iso.err("cannot release a write lock this task does not hold"));
    }
    rw.raw.write_unlock();
    Ok(Value::Nil)
}

fn try_read(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let rw = rwlock(iso, a)?;
    let me = owner_token(iso)?;
    let got = rw.writer.load(Ordering::SeqCst) != me && rw.raw.try_read();
    if got {
        rw.add_reader(me);
    }
    Ok(Value::Bool(got))
}

fn try_write(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let rw = rwlock(iso, a)?;
    let me = owner_token(iso)?;
    let got = rw.raw.try_write();
    if got {
        rw.writer.store(me, Ordering::SeqCst);
    }
    Ok(Value::Bool(got))
}

fn make_condvar(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(0))?;
    Ok(new_obj(
        iso,
        Handle::Condvar(Arc::new(AtomicU64::new(0))),
        Vec::new(),
    ))
}

fn condvar(iso: &mut Isolate, a: &[Value]) -> Result<Arc<AtomicU64>, Flow> {
    arg(iso, a, 0, Kind::Condvar, |o| match &o.handle {
        Handle::Condvar(c) => Some(c.clone()),
        _ => None,
    })
}

fn cv_park(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(3))?;
    let cv = condvar(iso, a)?;
    let Some(lock) = lock_of(iso, a[1]) else {
        return Err(iso.err("bad slot #1, expected core/lock"));
    };
    let timeout = opt_timeout(iso, a, 2)?;
    let me = owner_token(iso)?;
    // Read while holding the lock: a notify after this moves it on.
    let generation = cv.load(Ordering::SeqCst);
    if !lock.unlock(me) {
        return Err(iso.err("condvar :wait: the lock is not held by this task"));
    }
    let key = key_of_cell_u64(&cv);
    park_op(iso, timeout, Value::Bool(false), async move {
        let unchanged = move || cv.load(Ordering::SeqCst) == generation;
        match spindle_sync::global().wait_async(key, unchanged).await {
            spindle_sync::WaitResult::Woken => (baton(key), Answer::Bool(true)),
            _ => (Grant::none(), Answer::Bool(true)),
        }
    })
}

fn key_of_cell_u64(c: &Arc<AtomicU64>) -> usize {
    Arc::as_ptr(c) as usize
}

fn cv_notify(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let cv = condvar(iso, a)?;
    cv.fetch_add(1, Ordering::SeqCst);
    spindle_sync::global().wake(key_of_cell_u64(&cv), 1);
    Ok(Value::Nil)
}

fn cv_broadcast(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let cv = condvar(iso, a)?;
    cv.fetch_add(1, Ordering::SeqCst);
    spindle_sync::global().wake_all(key_of_cell_u64(&cv));
    Ok(Value::Nil)
}

fn lock_mine(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let Some(lock) = lock_of(iso, a[0]) else {
        return Err(iso.err("bad slot #0, expected core/lock"));
    };
    let me = owner_token(iso)?;
    Ok(Value::Bool(lock.owner() == me))
}

fn make_monitor(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(0))?;
    let lock = make_lock(iso);
    let cv = make_condvar(iso, &[])?;
    Ok(new_obj(iso, Handle::Monitor, vec![lock, cv]))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("sync/make-semaphore", "(sync/make-semaphore n)\n\nA counting semaphore holding n permits. Methods: (:acquire s &opt timeout) parks until a permit is free (true) or returns false on timeout; (:release s) adds a permit and wakes one waiter; (:try-acquire s) never parks (boolean); (:permits s) the free permits.", make_semaphore);
    env.native("sync/-sem-acquire", "(sync/-sem-acquire s &opt timeout)\n\nThe semaphore's :acquire: true once a permit is held, false on timeout.", sem_acquire);
    env.native(
        "sync/-sem-release",
        "(sync/-sem-release s)\n\nThe semaphore's :release: adds a permit, wakes one waiter. Returns nil.",
        sem_release,
    );
    env.native(
        "sync/-sem-try-acquire",
        "(sync/-sem-try-acquire s)\n\nThe semaphore's :try-acquire: takes a permit if one is free.",
        sem_try_acquire,
    );
    env.native(
        "sync/-sem-permits",
        "(sync/-sem-permits s)\n\nThe semaphore's :permits: how many are free now.",
        sem_permits,
    );
    env.native("sync/make-rwlock", "(sync/make-rwlock)\n\nA readers/writer lock that prefers writers: new readers wait while a writer is waiting. Methods :read-acquire :read-release :write-acquire :write-release (acquires take an optional timeout and return false when it expires), :try-read-acquire, :try-write-acquire. Same object as ev/rwlock.", make_rwlock);
    env.native("ev/acquire-rlock", "(ev/acquire-rlock rw &opt timeout)\n\nParks until this task holds a read lock on rw (true), or false on timeout. Raises \"deadlock: rwlock already held by this task\" when this task holds the write lock, or holds a read lock while a writer waits.", read_acquire);
    env.native("ev/release-rlock", "(ev/release-rlock rw)\n\nReleases a read lock this task holds; raises otherwise. Returns nil.", read_release);
    env.native("ev/acquire-wlock", "(ev/acquire-wlock rw &opt timeout)\n\nParks until this task holds the write lock on rw (true), or false on timeout. Raises \"deadlock: rwlock already held by this task\" if this task already holds it in either mode.", write_acquire);
    env.native("ev/release-wlock", "(ev/release-wlock rw)\n\nReleases the write lock this task holds; raises otherwise. Returns nil.", write_release);
    env.native("sync/-try-rlock", "(sync/-try-rlock rw)\n\nThe rwlock's :try-read-acquire: a read lock if no writer holds or waits (boolean).", try_read);
    env.native(
        "sync/-try-wlock",
        "(sync/-try-wlock rw)\n\nThe rwlock's :try-write-acquire: the write lock if nobody holds rw (boolean).",
        try_write,
    );
    env.native("sync/make-condvar", "(sync/make-condvar)\n\nA condition variable built on a generation counter. Methods: (:wait cv lock &opt timeout) releases lock, parks, reacquires it; true, or false on timeout; may return spuriously, so loop on the predicate. (:notify cv) wakes one waiter, (:broadcast cv) all; both return nil and may be called without the lock.", make_condvar);
    env.native("sync/-condvar-park", "(sync/-condvar-park cv lock &opt timeout)\n\nReleases lock (held by this task) and parks until cv is notified (true) or the timeout expires (false). Does not reacquire.", cv_park);
    env.native(
        "sync/-cv-notify",
        "(sync/-cv-notify cv)\n\nThe condvar's :notify: wakes one waiter. Returns nil.",
        cv_notify,
    );
    env.native(
        "sync/-cv-broadcast",
        "(sync/-cv-broadcast cv)\n\nThe condvar's :broadcast: wakes every waiter. Returns nil.",
        cv_broadcast,
    );
    env.native(
        "sync/-lock-mine?",
        "(sync/-lock-mine? l)\n\nTrue if the current task holds lock l.",
        lock_mine,
    );
    env.native("sync/make-monitor", "(sync/make-monitor)\n\nA lock and a condvar paired together. Methods: (:with m f) calls (f) holding the lock, released even if f errors; (:wait m &opt timeout), (:notify m), (:broadcast m), valid only inside :with.", make_monitor);
}
