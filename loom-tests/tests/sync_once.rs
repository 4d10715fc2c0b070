//! loom models of `Once`: the initialiser runs exactly once and everyone
//! gets its value; an error leaves it retryable.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use spindle_sync::Once;

#[test]
fn init_runs_exactly_once() {
    loom::model(|| {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let (o1, r1) = (once.clone(), runs.clone());
        let t = thread::spawn(move || {
            *o1.get_or_init(|| {
                r1.fetch_add(1, SeqCst);
                1
            })
        });
        let (o2, r2) = (once.clone(), runs.clone());
        let task = thread::spawn(move || {
            loom::future::block_on(async {
                *o2.get_or_try_init_async(|| async {
                    r2.fetch_add(1, SeqCst);
                    Ok::<_, ()>(2)
                })
                .await
                .unwrap()
            })
        });
        let a = t.join().unwrap();
        let b = task.join().unwrap();
        assert_eq!(runs.load(SeqCst), 1);
        assert_eq!(a, b);
        assert_eq!(once.get(), Some(&a));
    });
}

#[test]
fn error_then_retry() {
    loom::model(|| {
        let once = Arc::new(Once::new());
        let o1 = once.clone();
        let failing = thread::spawn(move || o1.get_or_try_init(|| Err::<u32, _>("no")).copied());
        let o2 = once.clone();
        let succeeding = thread::spawn(move || *o2.get_or_try_init(|| Ok::<_, &str>(7)).unwrap());
        let f = failing.join().unwrap();
        assert!(f == Err("no") || f == Ok(7));
        assert_eq!(succeeding.join().unwrap(), 7);
        assert_eq!(once.get(), Some(&7));
    });
}
