//! loom models of `Condvar`: flag handshake, notify_all, two notify_ones
//! for two waiters, a deadline racing a notify.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use spindle_sync::{Condvar, Lock};
use std::time::Instant;

type Pair = Arc<(Lock<usize>, Condvar)>;

fn pair() -> Pair {
    Arc::new((Lock::new(0), Condvar::new()))
}

fn wait_for_nonzero(p: &Pair) {
    let (l, cv) = &**p;
    let mut g = l.lock();
    while *g == 0 {
        g = cv.wait(g);
    }
}

#[test]
fn flag_handshake() {
    loom::model(|| {
        let p = pair();
        let p1 = p.clone();
        let t = thread::spawn(move || wait_for_nonzero(&p1));
        *p.0.lock() = 1;
        p.1.notify_one();
        t.join().unwrap();
    });
}

#[test]
fn notify_all_wakes_thread_and_task() {
    loom::model(|| {
        let p = pair();
        let p1 = p.clone();
        let t = thread::spawn(move || wait_for_nonzero(&p1));
        let p2 = p.clone();
        let task = thread::spawn(move || {
            loom::future::block_on(async {
                let (l, cv) = &*p2;
                let mut g = l.lock_async().await;
                while *g == 0 {
                    g = cv.wait_async(g).await;
                }
            })
        });
        *p.0.lock() = 1;
        p.1.notify_all();
        t.join().unwrap();
        task.join().unwrap();
    });
}

#[test]
fn two_notifies_wake_two_waiters() {
    loom::model(|| {
        let p = pair();
        let take = |p: Pair| {
            let (l, cv) = &*p;
            let mut g = l.lock();
            while *g == 0 {
                g = cv.wait(g);
            }
            *g -= 1;
        };
        let (p1, p2) = (p.clone(), p.clone());
        let a = thread::spawn(move || take(p1));
        let b = thread::spawn(move || take(p2));
        for _ in 0..2 {
            *p.0.lock() += 1;
            p.1.notify_one();
        }
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(*p.0.lock(), 0);
    });
}

#[test]
fn deadline_racing_notify() {
    loom::model(|| {
        let p = pair();
        let p1 = p.clone();
        let t = thread::spawn(move || {
            let (l, cv) = &*p1;
            let g = l.lock();
            if *g == 0 {
                let (g, _timed_out) = cv.wait_deadline(g, Instant::now());
                drop(g);
            }
        });
        *p.0.lock() = 1;
        p.1.notify_one();
        t.join().unwrap();
        // The timed-out or woken waiter left nothing queued.
        assert!(!p.1.notify_one());
    });
}
