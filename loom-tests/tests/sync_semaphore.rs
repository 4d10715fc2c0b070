//! loom models of `Semaphore`: at most n holders, release during acquire,
//! a cancelled acquire conserving permits and letting the next one through,
//! the lock-free release racing a waiter's enqueue, the last waiter
//! withdrawing during a hand-off, and a newcomer racing a hand-off.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use spindle_sync::{Permit, Semaphore};

#[test]
fn at_most_n_holders() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let holders = Arc::new(AtomicUsize::new(0));
        let run = |sem: Arc<Semaphore>, holders: Arc<AtomicUsize>| {
            let _p = sem.acquire();
            assert_eq!(holders.fetch_add(1, SeqCst), 0);
            holders.fetch_sub(1, SeqCst);
        };
        let (s1, h1) = (sem.clone(), holders.clone());
        let t = thread::spawn(move || run(s1, h1));
        let (s2, h2) = (sem.clone(), holders.clone());
        let task = thread::spawn(move || {
            loom::future::block_on(async {
                let _p = s2.acquire_async().await;
                assert_eq!(h2.fetch_add(1, SeqCst), 0);
                h2.fetch_sub(1, SeqCst);
            })
        });
        run(sem.clone(), holders);
        t.join().unwrap();
        task.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn release_during_acquire_many() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s1 = sem.clone();
        let t = thread::spawn(move || s1.acquire_many(2).forget());
        sem.release(1);
        sem.release(1);
        assert_eq!(t.join().unwrap(), 2);
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn cancelled_acquire_conserves_and_passes_on() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s1 = sem.clone();
        let cancelled = thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut f = pin!(s1.acquire_async());
            if let std::task::Poll::Ready(p) = f.as_mut().poll(&mut cx) {
                drop(p);
            }
            // Dropped here, possibly after being handed the permit.
        });
        let s2 = sem.clone();
        let waiter = thread::spawn(move || s2.acquire().forget());
        sem.release(1);
        cancelled.join().unwrap();
        assert_eq!(waiter.join().unwrap(), 1);
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn waiters_never_split_the_permits() {
    // Two waiters each need both permits, which arrive one at a time. If
    // both could hold a partial grant, each would keep one and wait forever.
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let s = sem.clone();
                thread::spawn(move || drop(s.acquire_many(2)))
            })
            .collect();
        sem.release(1);
        sem.release(1);
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(sem.available_permits(), 2);
    });
}

#[test]
fn release_fast_path_races_enqueue() {
    // The releaser's lock-free CAS races a waiter's compare step, which
    // sets QUEUED in the same CAS that finds too few permits: the permit
    // lands in the word before the waiter looks, or the release sees
    // QUEUED and hands it over under the lock. A timed-out waiter (loom's
    // deadline passes at once) gives back whatever it was handed.
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s1 = sem.clone();
        let deadline = std::time::Instant::now();
        let t = thread::spawn(move || s1.acquire_many_deadline(1, deadline).map(|p| p.forget()));
        sem.release(1);
        let got = t.join().unwrap().unwrap_or(0);
        assert_eq!(got + sem.available_permits(), 1);
        // Whatever happened, the word works without the lock again.
        assert_eq!(sem.try_acquire().is_some(), got == 0);
    });
}

#[test]
fn last_waiter_withdraws_during_hand_off() {
    // The only waiter holds a partial grant and gives up while a release
    // hands it the rest: either it gets both, or the withdrawal clears
    // QUEUED and both permits end up back in the word.
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let s1 = sem.clone();
        let deadline = std::time::Instant::now();
        let t = thread::spawn(move || s1.acquire_many_deadline(2, deadline).map(|p| p.forget()));
        sem.release(1);
        let got = t.join().unwrap().unwrap_or(0);
        assert_eq!(got + sem.available_permits(), 2);
        assert_eq!(sem.try_acquire_many(2).is_some(), got == 0);
    });
}

#[test]
fn newcomer_races_hand_off_to_queued_task() {
    // A task waits for the one permit a thread holds; the holder releases
    // while a newcomer tries the lock-free fast path. Permits are
    // conserved and the task always finishes (the newcomer's permit, if it
    // barged in first, comes back to it).
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        let s1 = sem.clone();
        let task = thread::spawn(move || {
            loom::future::block_on(async move { s1.acquire_async().await.forget() })
        });
        let s2 = sem.clone();
        let newcomer = thread::spawn(move || s2.try_acquire().map(Permit::forget).is_some());
        drop(held);
        if newcomer.join().unwrap() {
            sem.release(1);
        }
        assert_eq!(task.join().unwrap(), 1);
        assert_eq!(sem.available_permits(), 0);
    });
}
