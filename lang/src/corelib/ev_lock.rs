//! `ev/lock` (= `sync/make-lock`, api.md §8): a task-owned lock whose
//! waiters park, FIFO, with eventual-fair handoff.
//!
//! State: the word (0 free, else the owner's token, unique per task in the
//! process: `ev_futex::owner_token`) and the queue of waiters, each with
//! its token, when it began waiting, and a wait-table key of its own.
//!
//! Protocol:
//! 1. Acquire: CAS the word 0 -> me. On failure, join the queue (under
//!    its mutex), then loop: the word is me (handed over) or a CAS 0 -> me
//!    succeeds: held, leave the queue. Otherwise wait on my own key while
//!    the word is held by someone else (compare and enqueue under the
//!    bucket lock, so an unlock in between is seen).
//! 2. Release (under the queue mutex, so the front cannot leave meanwhile):
//!    no waiter, the word becomes 0. The front waiter waited less than
//!    `HANDOFF` (1 ms): the word becomes 0 and the front is woken to race
//!    for it (a releaser that re-acquires at once may win: cheap, and
//!    fair soon enough). It waited longer: the word becomes the front's
//!    token, so the lock is its before it even runs, and it is woken.
//! 3. A waiter that stops waiting (timeout, cancel: its op is dropped)
//!    leaves the queue first; then, if the lock was handed to it, it
//!    releases it (step 2), and if the word is free it wakes the new
//!    front, whose wake it may have swallowed.
//!
//! Invariant: only a queued waiter is ever handed the lock, and it leaves
//! the queue only holding the lock or after passing it on; so the lock is
//! never held by a task that does not know it.
//!
//! A timeout is one deadline for the whole acquire (the op races one loop
//! timer), not restarted by wakes that lose the race.

use super::args;
use super::ev_futex::owner_token;
use super::ev_sync::{opt_timeout, park_op, Answer};
use super::registry::Env;
use crate::ev::grant::Grant;
use crate::isolate::{Flow, Isolate};
use crate::objects::AbstractType;
use crate::value::Value;
use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A waiter passed over for this long is handed the lock directly.
const HANDOFF: Duration = Duration::from_millis(1);

const DEADLOCK: &str = "deadlock: lock already held by this task";

struct Waiter {
    token: i64,
    since: Instant,
    key: usize,
}

/// The lock shared by every isolate holding the handle.
#[derive(Default)]
pub struct FairLock {
    /// 0 free, else the owner's token.
    word: AtomicI64,
    waiters: Mutex<VecDeque<Waiter>>,
}

impl std::fmt::Debug for FairLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FairLock")
            .field("owner", &self.owner())
            .finish()
    }
}

impl FairLock {
    fn queue(&self) -> MutexGuard<'_, VecDeque<Waiter>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The owner's token, or 0.
    pub fn owner(&self) -> i64 {
        self.word.load(Ordering::Acquire)
    }

    /// Takes the lock for `me` if it is free.
    pub fn try_lock(&self, me: i64) -> bool {
        self.word
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Step 2: releases the lock if `me` holds it; false if it does not.
    pub fn unlock(&self, me: i64) -> bool {
        let wake = {
            let q = self.queue();
            if self.word.load(Ordering::Relaxed) != me {
                return false;
            }
            match q.front() {
                None => {
                    self.word.store(0, Ordering::Release);
                    None
                }
                Some(w) if w.since.elapsed() >= HANDOFF => {
                    self.word.store(w.token, Ordering::Release);
                    Some(w.key)
                }
                Some(w) => {
                    self.word.store(0, Ordering::Release);
                    Some(w.key)
                }
            }
        };
        if let Some(key) = wake {
            spindle_sync::global().wake(key, 1);
        }
        true
    }

    /// Step 1: resolves once `me` holds the lock. Dropped before that, it
    /// leaves the queue as step 3 says.
    pub async fn acquire(self: Arc<Self>, me: i64) {
        // The key is the address of an allocation this wait owns, so no
        // other waiter (or lock word) shares it while it waits.
        let slot = Box::new(0u64);
        let key = &*slot as *const u64 as usize;
        self.queue().push_back(Waiter {
            token: me,
            since: Instant::now(),
            key,
        });
        let mut queued = Queued {
            lock: self.clone(),
            key,
            me,
            left: false,
        };
        loop {
            if self.owner() == me || self.try_lock(me) {
                break;
            }
            let lock = self.clone();
            let held_by_other = move || {
                let w = lock.word.load(Ordering::Acquire);
                w != 0 && w != me
            };
            spindle_sync::global().wait_async(key, held_by_other).await;
        }
        queued.leave();
        drop(slot);
    }
}

/// A waiter's place in the queue; dropped without `leave`, step 3.
struct Queued {
    lock: Arc<FairLock>,
    key: usize,
    me: i64,
    left: bool,
}

impl Queued {
    fn leave(&mut self) {
        self.lock.queue().retain(|w| w.key != self.key);
        self.left = true;
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        if self.left {
            return;
        }
        self.leave();
        if self.lock.unlock(self.me) {
            return;
        }
        let front = {
            let q = self.lock.queue();
            q.front().map(|w| w.key)
        };
        if let (0, Some(key)) = (self.lock.owner(), front) {
            spindle_sync::global().wake(key, 1);
        }
    }
}

/// The heap object of a lock (kind "core/lock").
#[derive(Debug)]
pub struct LockObj {
    pub lock: Arc<FairLock>,
    methods: Value,
}

impl AbstractType for LockObj {
    fn type_name(&self) -> &'static str {
        "core/lock"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.methods);
    }
    fn methods(&self) -> Value {
        self.methods
    }
}

/// The lock `v` is, if it is one.
pub(super) fn lock_of(iso: &Isolate, v: Value) -> Option<Arc<FairLock>> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get(r).as_ref()?;
    let o = (b.as_ref() as &dyn Any).downcast_ref::<LockObj>()?;
    Some(o.lock.clone())
}

/// The futex key of a lock handle (its word's address).
pub(super) fn key_of_lock(l: &Arc<FairLock>) -> usize {
    &l.word as *const AtomicI64 as usize
}

/// A free lock (also a monitor's lock).
pub(super) fn make_lock(iso: &mut Isolate) -> Value {
    let methods = iso.ev.lock_methods;
    let r = iso.heap.abstracts.alloc(Some(Box::new(LockObj {
        lock: Arc::new(FairLock::default()),
        methods,
    })));
    Value::Abstract(r)
}

fn lock_arg(iso: &mut Isolate, a: &[Value], i: usize) -> Result<Arc<FairLock>, Flow> {
    match a.get(i).and_then(|v| lock_of(iso, *v)) {
        Some(l) => Ok(l),
        None => Err(iso.err(format!("bad slot #{}, expected core/lock", i))),
    }
}

fn new_lock(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(0))?;
    Ok(make_lock(iso))
}

fn try_acquire(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let l = lock_arg(iso, a, 0)?;
    let me = owner_token(iso)?;
    if l.try_lock(me) {
        return Ok(Value::Bool(true));
    }
    if l.owner() == me {
        return Err(iso.err(DEADLOCK));
    }
    Ok(Value::Bool(false))
}

fn acquire(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(2))?;
    let l = lock_arg(iso, a, 0)?;
    let timeout = opt_timeout(iso, a, 1)?;
    let me = owner_token(iso)?;
    if l.try_lock(me) {
        return Ok(Value::Bool(true));
    }
    if l.owner() == me {
        return Err(iso.err(DEADLOCK));
    }
    park_op(iso, timeout, Value::Bool(false), async move {
        l.clone().acquire(me).await;
        let give_back = move || {
            l.unlock(me);
        };
        (Grant::new(give_back), Answer::Bool(true))
    })
}

fn release(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let l = lock_arg(iso, a, 0)?;
    let me = owner_token(iso)?;
    if !l.unlock(me) {
        return Err(iso.err("cannot release a lock this task does not hold"));
    }
    Ok(Value::Nil)
}

fn held(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Bool(lock_arg(iso, a, 0)?.owner() != 0))
}

/// Registers the natives and the method table.
pub fn register(env: &mut Env) {
    env.native("ev/lock", "(ev/lock)\n\nA lock owned by the acquiring task; waiters park (the fiber, never the thread), FIFO, and a waiter passed over for more than 1 ms is handed the lock directly.", new_lock);
    env.native("ev/acquire-lock", "(ev/acquire-lock l &opt timeout)\n\nParks until this task holds l; returns true, or false once timeout seconds have passed since the call. Re-acquiring raises \"deadlock: lock already held by this task\".", acquire);
    env.native(
        "ev/-try-lock",
        "(ev/-try-lock l)\n\nTakes l if free (boolean); raises on re-acquire by the owner.",
        try_acquire,
    );
    env.native(
        "ev/release-lock",
        "(ev/release-lock l)\n\nReleases l; raises if this task does not hold it.",
        release,
    );
    env.native(
        "ev/lock-held?",
        "(ev/lock-held? l)\n\nTrue while some task holds l.",
        held,
    );
    let m = super::ev_futex::method_table(
        env,
        &[
            ("acquire", "ev/acquire-lock"),
            ("try-acquire", "ev/-try-lock"),
            ("release", "ev/release-lock"),
            ("held?", "ev/lock-held?"),
        ],
    );
    env.iso.ev.lock_methods = m;
}

#[cfg(test)]
mod tests {
    use super::FairLock;
    use std::future::Future;
    use std::sync::Arc;

    #[test]
    fn unlock_by_a_non_owner_fails_and_changes_nothing() {
        let l = FairLock::default();
        assert!(l.try_lock(7));
        assert!(!l.try_lock(8));
        assert!(!l.unlock(8));
        assert_eq!(l.owner(), 7);
        assert!(l.unlock(7));
        assert_eq!(l.owner(), 0);
    }

    #[test]
    fn a_dropped_waiter_leaves_the_queue() {
        let l = Arc::new(FairLock::default());
        assert!(l.try_lock(1));
        let mut fut = Box::pin(l.clone().acquire(2));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(l.queue().len(), 1);
        drop(fut);
        assert_eq!(l.queue().len(), 0);
        assert!(l.unlock(1));
        assert_eq!(l.owner(), 0);
    }

    #[test]
    fn a_waiter_passed_over_for_long_is_handed_the_lock() {
        let l = Arc::new(FairLock::default());
        assert!(l.try_lock(1));
        let mut fut = Box::pin(l.clone().acquire(2));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        std::thread::sleep(super::HANDOFF * 2);
        assert!(l.unlock(1));
        // Handed over: the releaser cannot take it back.
        assert_eq!(l.owner(), 2);
        assert!(!l.try_lock(1));
        assert!(fut.as_mut().poll(&mut cx).is_ready());
        assert_eq!(l.queue().len(), 0);
        assert!(l.unlock(2));
    }
}
