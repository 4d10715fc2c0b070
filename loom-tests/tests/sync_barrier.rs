//! loom models of `Barrier`: sizes 2 and 3, reuse across two generations,
//! a cancelled waiter withdrawing its arrival.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Instant;

use loom::sync::Arc;
use loom::thread;
use spindle_sync::Barrier;

fn run(parties: usize, rounds: usize) {
    loom::model(move || {
        let b = Arc::new(Barrier::new(parties));
        let others: Vec<_> = (1..parties)
            .map(|_| {
                let b = b.clone();
                thread::spawn(move || (0..rounds).filter(|_| b.wait().is_leader()).count())
            })
            .collect();
        let mut leaders = (0..rounds).filter(|_| b.wait().is_leader()).count();
        for t in others {
            leaders += t.join().unwrap();
        }
        assert_eq!(leaders, rounds);
        assert_eq!(b.generation(), rounds as u64);
    });
}

#[test]
fn size_two() {
    run(2, 1);
}

#[test]
fn size_three() {
    run(3, 1);
}

#[test]
fn reuse_across_two_generations() {
    run(2, 2);
}

#[test]
fn timed_out_waiter_withdraws() {
    loom::model(|| {
        let b = Arc::new(Barrier::new(2));
        let b1 = b.clone();
        let quitter = thread::spawn(move || b1.wait_deadline(Instant::now()).is_some());
        let b2 = b.clone();
        let stayer = thread::spawn(move || {
            loom::future::block_on(async {
                b2.wait_async().await;
            })
        });
        // If the quitter withdrew, someone must take its place.
        if !quitter.join().unwrap() {
            b.wait();
        }
        stayer.join().unwrap();
        assert_eq!(b.generation(), 1);
    });
}

#[test]
fn dropped_task_withdraws() {
    loom::model(|| {
        let b = Arc::new(Barrier::new(2));
        let b1 = b.clone();
        let dropper = thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut f = pin!(b1.wait_async());
            f.as_mut().poll(&mut cx).is_ready()
        });
        let b2 = b.clone();
        let stayer = thread::spawn(move || b2.wait());
        let passed_at_once = dropper.join().unwrap();
        // Generation 0 after the drop means the arrival was withdrawn (a
        // released arrival moved the generation before the drop returned).
        if b.generation() == 0 {
            assert!(!passed_at_once);
            b.wait();
        }
        stayer.join().unwrap();
        assert_eq!(b.generation(), 1);
    });
}
