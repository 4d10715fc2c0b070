//! loom models of `Semaphore`: at most n holders, release during acquire,
//! a cancelled acquire conserving permits and letting the next one through.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use spindle_sync::Semaphore;

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
