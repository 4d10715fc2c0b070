//! loom models of `RwLock`: exclusion (loom's UnsafeCell), writer preference
//! without deadlock, the last reader waking the writer.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use spindle_sync::RwLock;

#[test]
fn readers_and_writer_exclude() {
    loom::model(|| {
        let l = Arc::new(RwLock::new(loom::cell::UnsafeCell::new(0usize)));
        let l1 = l.clone();
        let writer = thread::spawn(move || {
            let g = l1.write();
            // SAFETY: write-locked; loom flags any overlap with a reader.
            g.with_mut(|p| unsafe { *p += 1 });
        });
        let l2 = l.clone();
        let reader = thread::spawn(move || {
            loom::future::block_on(async {
                let g = l2.read_async().await;
                // SAFETY: read-locked.
                g.with(|p| unsafe { *p })
            })
        });
        let seen = {
            let g = l.read();
            // SAFETY: read-locked.
            g.with(|p| unsafe { *p })
        };
        writer.join().unwrap();
        let seen2 = reader.join().unwrap();
        assert!(seen <= 1 && seen2 <= 1);
        // SAFETY: write-locked, other threads joined.
        assert_eq!(l.write().with(|p| unsafe { *p }), 1);
    });
}

#[test]
fn writer_preference_without_deadlock() {
    loom::model(|| {
        let l = Arc::new(RwLock::new(0));
        let r = l.read();
        let l1 = l.clone();
        let writer = thread::spawn(move || *l1.write() += 1);
        let l2 = l.clone();
        // May be held back by the waiting writer; must still finish.
        let reader = thread::spawn(move || *l2.read());
        drop(r);
        writer.join().unwrap();
        let seen = reader.join().unwrap();
        assert!(seen <= 1);
        assert_eq!(*l.read(), 1);
    });
}

#[test]
fn last_reader_wakes_the_writer() {
    loom::model(|| {
        let l = Arc::new(RwLock::new(0));
        let r1 = l.read();
        let l1 = l.clone();
        let other_reader = thread::spawn(move || {
            let _r = l1.try_read();
        });
        let l2 = l.clone();
        let writer = thread::spawn(move || {
            loom::future::block_on(async {
                *l2.write_async().await += 1;
            })
        });
        drop(r1);
        other_reader.join().unwrap();
        writer.join().unwrap();
        assert_eq!(*l.read(), 1);
        assert_eq!(l.reader_count(), 0);
    });
}
