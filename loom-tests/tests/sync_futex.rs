//! loom models of the wait table: no lost wakeup, exact wake counts, the
//! baton on cancellation, colliding keys, spurious wakeups.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use spindle_sync::{AsyncWait, WaitResult, WaitTable};

const KEY: usize = 0x1000;

#[test]
fn wait_wake_no_lost_wakeup() {
    loom::model(|| {
        let table = Arc::new(WaitTable::new());
        let flag = Arc::new(AtomicUsize::new(0));
        let (t2, f2) = (table.clone(), flag.clone());
        let waiter = thread::spawn(move || {
            while f2.load(SeqCst) == 0 {
                t2.wait(KEY, || f2.load(SeqCst) == 0, None);
            }
        });
        flag.store(1, SeqCst);
        table.wake(KEY, 1);
        waiter.join().unwrap();
    });
}

#[test]
fn wake_n_wakes_exactly_n() {
    loom::model(|| {
        let table = Arc::new(WaitTable::new());
        let flag = Arc::new(AtomicUsize::new(0));
        let slept = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (t, f, s) = (table.clone(), flag.clone(), slept.clone());
                thread::spawn(move || {
                    if t.wait(KEY, || f.load(SeqCst) == 0, None) == WaitResult::Woken {
                        s.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        flag.store(1, SeqCst);
        let first = table.wake(KEY, 1);
        assert!(first <= 1);
        let rest = table.wake_all(KEY);
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(first + rest, slept.load(SeqCst));
    });
}

#[test]
fn cancel_racing_wake_passes_the_baton() {
    loom::model(|| {
        let table = Arc::new(WaitTable::new());
        let flag = Arc::new(AtomicUsize::new(0));
        // A task queues, then is cancelled (dropped) while the wake races it.
        let t1 = table.clone();
        let task = thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut w = AsyncWait::new(&t1, KEY);
            let _ = w.poll_wait(&mut cx, 0, |_| true);
            drop(w);
        });
        // A thread waits for the flag; it must never be left asleep.
        let (t2, f2) = (table.clone(), flag.clone());
        let thread_waiter = thread::spawn(move || {
            while f2.load(SeqCst) == 0 {
                t2.wait(KEY, || f2.load(SeqCst) == 0, None);
            }
        });
        flag.store(1, SeqCst);
        table.wake(KEY, 1);
        task.join().unwrap();
        thread_waiter.join().unwrap();
    });
}

#[test]
fn colliding_keys_share_a_bucket_not_wakes() {
    loom::model(|| {
        let table = Arc::new(WaitTable::with_buckets(1));
        let flags = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let (t, f) = (table.clone(), flags.clone());
                thread::spawn(move || {
                    while f[i].load(SeqCst) == 0 {
                        t.wait(KEY + i, || f[i].load(SeqCst) == 0, None);
                    }
                })
            })
            .collect();
        for i in 0..2 {
            flags[i].store(1, SeqCst);
            assert!(table.wake(KEY + i, 1) <= 1);
        }
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
fn spurious_wakeups_are_absorbed() {
    // Two sources: loom's parker wakes spuriously at will, and a third
    // thread wakes the key without changing the flag. The waiter must keep
    // waiting until the flag is set, and must not be left asleep after.
    loom::model(|| {
        let table = Arc::new(WaitTable::new());
        let flag = Arc::new(AtomicUsize::new(0));
        let (t2, f2) = (table.clone(), flag.clone());
        let waiter = thread::spawn(move || {
            let mut rounds = 0;
            while f2.load(SeqCst) == 0 {
                t2.wait(KEY, || f2.load(SeqCst) == 0, None);
                rounds += 1;
            }
            rounds
        });
        let t3 = table.clone();
        let injector = thread::spawn(move || t3.wake(KEY, 1));
        flag.store(1, SeqCst);
        table.wake(KEY, 1);
        let spurious = injector.join().unwrap();
        let rounds = waiter.join().unwrap();
        assert!(rounds <= 1 + spurious);
    });
}

#[test]
fn task_waiter_woken_by_thread() {
    loom::model(|| {
        let table = Arc::new(WaitTable::new());
        let flag = Arc::new(AtomicUsize::new(0));
        let (t2, f2) = (table.clone(), flag.clone());
        let task = thread::spawn(move || {
            loom::future::block_on(async {
                while f2.load(SeqCst) == 0 {
                    t2.wait_async(KEY, || f2.load(SeqCst) == 0).await;
                }
            })
        });
        flag.store(1, SeqCst);
        table.wake(KEY, 1);
        task.join().unwrap();
        // A spurious poll of a queued wait stays pending and leaves one record.
        let mut cx = Context::from_waker(Waker::noop());
        let mut w = pin!(table.wait_async(KEY, || true));
        assert!(w.as_mut().poll(&mut cx).is_pending());
        assert!(w.as_mut().poll(&mut cx).is_pending());
        assert_eq!(table.wake_all(KEY), 1);
        assert_eq!(w.as_mut().poll(&mut cx), Poll::Ready(WaitResult::Woken));
    });
}

#[test]
fn deadline_racing_wake_is_counted_exactly() {
    // A thread waiter whose deadline fires while a wake races it: the wake
    // counts it (1) exactly when it reports Woken, and a timed-out waiter
    // leaves nothing queued.
    loom::model(|| {
        let table = Arc::new(WaitTable::new());
        let t2 = table.clone();
        let waiter = thread::spawn(move || t2.wait(KEY, || true, Some(std::time::Instant::now())));
        let woke = table.wake(KEY, 1);
        let result = waiter.join().unwrap();
        assert_eq!(woke == 1, result == WaitResult::Woken);
        assert_eq!(table.wake_all(KEY), 0);
    });
}
