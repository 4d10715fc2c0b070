//! loom model of `Latch`: opened before, during and after the waits (all
//! interleavings of one model), by a thread and a task.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use spindle_sync::Latch;

#[test]
fn open_before_during_after_wait() {
    loom::model(|| {
        let l = Arc::new(Latch::new(2));
        let l1 = l.clone();
        let waiter = thread::spawn(move || {
            l1.wait();
            assert!(l1.is_open());
        });
        let l2 = l.clone();
        let task = thread::spawn(move || {
            loom::future::block_on(l2.wait_async());
            assert!(l2.is_open());
        });
        assert!(!l.count_down());
        assert!(l.count_down());
        waiter.join().unwrap();
        task.join().unwrap();
    });
}

#[test]
fn open_at_once_races_deadline() {
    loom::model(|| {
        let l = Arc::new(Latch::new(5));
        let l1 = l.clone();
        let waiter = thread::spawn(move || l1.wait_deadline(std::time::Instant::now()));
        assert!(l.open());
        // Opened in time or timed out: either way it is open now, stays
        // open, and the timed-out wait left nothing queued.
        let _in_time = waiter.join().unwrap();
        assert!(l.is_open());
        l.wait();
    });
}
