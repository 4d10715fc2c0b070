//! loom models of `Queue`: capacity 1 with two producers and one consumer,
//! close while parties are parked, a cancelled taker and a cancelled putter
//! passing their wakes on;
//! and the waiting bits (a put or take wakes only when the other side's bit
//! says someone is parked): a put racing takers as they park, a take racing
//! a putter as it parks, the last taker withdrawing (timeout, drop)
//! while a wake is under way. Every model ends with both bits clear: once
//! nobody waits, no bit may claim otherwise.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use loom::sync::Arc;
use loom::thread;
use spindle_sync::{Closed, Queue, TakeError};

/// Nobody is parked any more, so neither side's bit may be set.
fn assert_no_bits<T>(q: &Queue<T>) {
    assert_eq!(
        q.waiting_bits(),
        (false, false),
        "a waiting bit outlived its waiters"
    );
}

#[test]
fn capacity_one_two_producers_one_consumer() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let q1 = q.clone();
        let p1 = thread::spawn(move || q1.put(1).unwrap());
        let q2 = q.clone();
        let p2 = thread::spawn(move || {
            loom::future::block_on(async {
                q2.put_async(2).await.unwrap();
            })
        });
        let mut got = [q.take().unwrap(), q.take().unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
        p1.join().unwrap();
        p2.join().unwrap();
        assert!(q.is_empty());
        assert_no_bits(&q);
    });
}

#[test]
fn close_while_parked() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        let q1 = q.clone();
        // Parks while full; close must release it with its item back.
        let producer = thread::spawn(move || q1.put(2).is_ok());
        let q2 = q.clone();
        let consumer = thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(v) = q2.take() {
                got.push(v);
            }
            got
        });
        q.close();
        let put_ok = producer.join().unwrap();
        let got = consumer.join().unwrap();
        // Nothing lost, nothing duplicated, FIFO kept.
        let expected: Vec<i32> = if put_ok { vec![1, 2] } else { vec![1] };
        assert!(got == expected || (got.len() < expected.len() && expected.starts_with(&got)));
        // What the consumer did not take is still there to drain.
        let mut rest = got.clone();
        while let Ok(v) = q.try_take() {
            rest.push(v);
        }
        assert_eq!(rest, expected);
        assert_eq!(q.take(), Err(Closed(())));
        assert_no_bits(&q);
    });
}

#[test]
fn cancelled_taker_passes_the_wake() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let q1 = q.clone();
        let cancelled = thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut f = pin!(q1.take_async());
            match f.as_mut().poll(&mut cx) {
                std::task::Poll::Ready(Ok(v)) => Some(v),
                _ => None,
            }
        });
        let q2 = q.clone();
        let taker = thread::spawn(move || q2.take().ok());
        q.put(1).unwrap();
        let a = cancelled.join().unwrap();
        if a.is_some() {
            // The cancelled side got the item before being dropped.
            q.put(2).unwrap();
        }
        let b = taker.join().unwrap();
        assert!(b.is_some());
        assert!(q.is_empty());
        assert_no_bits(&q);
    });
}

/// A put racing a thread taker and a task taker as they park: whichever
/// order the takers' compare steps and the puts' RMWs land in, both get an
/// item (a put that missed TAKERS came before the taker looked, so the
/// taker saw the item; a wake that leaves a taker queued keeps the bit).
#[test]
fn put_races_takers_enqueueing() {
    loom::model(|| {
        let q = Arc::new(Queue::new(2));
        let q1 = q.clone();
        let thread_taker = thread::spawn(move || q1.take().unwrap());
        let q2 = q.clone();
        let task_taker =
            thread::spawn(move || loom::future::block_on(async { q2.take_async().await.unwrap() }));
        q.put(1).unwrap();
        q.put(2).unwrap();
        let mut got = [thread_taker.join().unwrap(), task_taker.join().unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
        assert!(q.is_empty());
        assert_no_bits(&q);
    });
}

/// The putter side: a take from a full queue racing a putter as it parks.
#[test]
fn take_races_a_putter_enqueueing() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put(1).unwrap();
        let q1 = q.clone();
        let putter =
            thread::spawn(move || loom::future::block_on(async { q1.put_async(2).await.unwrap() }));
        assert_eq!(q.take(), Ok(1));
        assert_eq!(q.take(), Ok(2));
        putter.join().unwrap();
        assert_no_bits(&q);
    });
}

/// The only taker's deadline passes (at any point of its wait, under loom)
/// while a put wakes it: either the wake chose it first and it reports the
/// item, or it withdrew, cleared TAKERS under the bucket lock, and the item
/// is still queued for the next taker.
#[test]
fn last_taker_times_out_during_a_wake() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let q1 = q.clone();
        let taker = thread::spawn(move || q1.take_deadline(Instant::now()));
        q.put(1).unwrap();
        match taker.join().unwrap() {
            Ok(v) => {
                assert_eq!(v, 1);
                assert!(q.is_empty());
            }
            Err(e) => {
                assert_eq!(e, TakeError::Empty);
                assert_eq!(q.len(), 1);
            }
        }
        assert_no_bits(&q);
        // The queue still works: the bit says no taker, and none is lost.
        q.close();
        while q.try_take().is_ok() {}
        assert_eq!(q.take(), Err(Closed(())));
    });
}

/// The only taker is a task dropped after one poll while a put wakes it:
/// dropped while queued, it withdraws and clears TAKERS; dropped after the
/// wake chose it, it passes the wake on, and with nobody left that clears
/// the bit too. Either way the item stays queued.
#[test]
fn last_taker_cancelled_during_a_wake() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        let q1 = q.clone();
        let taker = thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut f = pin!(q1.take_async());
            match f.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(v)) => Some(v),
                _ => None,
            }
        });
        q.put(1).unwrap();
        let got = taker.join().unwrap();
        assert_eq!(q.len(), if got.is_some() { 0 } else { 1 });
        assert_no_bits(&q);
    });
}

/// One of two parked takers times out while a put wakes one: a withdrawal
/// that leaves the other queued must keep TAKERS set (else the put would
/// skip the wake and the other taker would sleep forever).
#[test]
fn taker_times_out_beside_another() {
    loom::model(|| {
        let q = Arc::new(Queue::new(2));
        let q1 = q.clone();
        let timed = thread::spawn(move || q1.take_deadline(Instant::now()).ok());
        let q2 = q.clone();
        let patient = thread::spawn(move || q2.take().unwrap());
        q.put(1).unwrap();
        if timed.join().unwrap().is_some() {
            q.put(2).unwrap();
        }
        patient.join().unwrap();
        assert!(q.is_empty());
        assert_no_bits(&q);
    });
}

/// The putter side of the baton: a full queue, a putter task polled once
/// and dropped, and a thread putter parked beside it, while a take frees
/// the slot. Dropped while queued, the task withdraws; dropped after the
/// take's wake chose it, it passes the wake to the thread putter, whose
/// put must then complete. Its item is queued only if its one poll put it.
#[test]
fn cancelled_putter_passes_the_wake() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put(0).unwrap();
        let q1 = q.clone();
        let cancelled = thread::spawn(move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut f = pin!(q1.put_async(1));
            matches!(f.as_mut().poll(&mut cx), Poll::Ready(Ok(())))
        });
        let q2 = q.clone();
        let patient = thread::spawn(move || q2.put(2).unwrap());
        let mut got = vec![q.take().unwrap()];
        let put_one = cancelled.join().unwrap();
        let expected = if put_one { 3 } else { 2 };
        while got.len() < expected {
            got.push(q.take().unwrap());
        }
        patient.join().unwrap();
        got.sort();
        assert_eq!(got, if put_one { vec![0, 1, 2] } else { vec![0, 2] });
        assert!(q.is_empty());
        assert_no_bits(&q);
    });
}
