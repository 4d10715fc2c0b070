//! loom models of `Lock`: exclusion (checked by loom's UnsafeCell), the
//! contended unlock's wake, try_lock and deadline lock racing unlock.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use spindle_sync::Lock;
use std::time::Instant;

struct Shared {
    lock: Lock<()>,
    data: UnsafeCell<usize>,
}

// SAFETY: `data` is only touched while `lock` is held (what the model checks).
unsafe impl Sync for Shared {}

fn shared() -> Arc<Shared> {
    Arc::new(Shared {
        lock: Lock::new(()),
        data: UnsafeCell::new(0),
    })
}

fn bump(s: &Shared) {
    // SAFETY: called with the lock held; loom flags any overlap.
    s.data.with_mut(|p| unsafe { *p += 1 });
}

#[test]
fn mutual_exclusion_threads_and_task() {
    loom::model(|| {
        let s = shared();
        let s1 = s.clone();
        let t = thread::spawn(move || {
            let _g = s1.lock.lock();
            bump(&s1);
        });
        let s2 = s.clone();
        let task = thread::spawn(move || {
            loom::future::block_on(async {
                let _g = s2.lock.lock_async().await;
                bump(&s2);
            })
        });
        {
            let _g = s.lock.lock();
            bump(&s);
        }
        t.join().unwrap();
        task.join().unwrap();
        let _g = s.lock.lock();
        // SAFETY: lock held, all other threads joined.
        assert_eq!(s.data.with(|p| unsafe { *p }), 3);
    });
}

#[test]
fn contended_unlock_wakes_the_waiter() {
    loom::model(|| {
        let s = shared();
        let g = s.lock.lock();
        let s1 = s.clone();
        let t = thread::spawn(move || {
            let _g = s1.lock.lock();
            bump(&s1);
        });
        bump(&s);
        drop(g);
        t.join().unwrap();
        assert!(!s.lock.is_locked());
    });
}

#[test]
fn try_lock_racing_unlock() {
    loom::model(|| {
        let s = shared();
        let g = s.lock.lock();
        let s1 = s.clone();
        let t = thread::spawn(move || {
            if let Some(_g) = s1.lock.try_lock() {
                bump(&s1);
                true
            } else {
                false
            }
        });
        bump(&s);
        drop(g);
        let got = t.join().unwrap();
        assert!(!s.lock.is_locked());
        let _g = s.lock.try_lock().expect("free after both");
        // SAFETY: lock held, the other thread joined.
        assert_eq!(s.data.with(|p| unsafe { *p }), 1 + got as usize);
    });
}

#[test]
fn deadline_lock_racing_unlock() {
    loom::model(|| {
        let s = shared();
        let g = s.lock.lock();
        let s1 = s.clone();
        let t = thread::spawn(move || {
            // Under loom a deadline fires at an arbitrary point of the wait.
            match s1.lock.lock_deadline(Instant::now()) {
                Some(_g) => {
                    bump(&s1);
                    true
                }
                None => false,
            }
        });
        let s2 = s.clone();
        let other = thread::spawn(move || {
            let _g = s2.lock.lock();
            bump(&s2);
        });
        bump(&s);
        drop(g);
        let got = t.join().unwrap();
        other.join().unwrap();
        // A timed-out waiter left no trace: the lock is free and usable.
        let _g = s.lock.try_lock().expect("free");
        // SAFETY: lock held, other threads joined.
        assert_eq!(s.data.with(|p| unsafe { *p }), 2 + got as usize);
    });
}
