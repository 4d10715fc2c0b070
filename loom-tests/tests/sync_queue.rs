//! loom models of `Queue`: capacity 1 with two producers and one consumer,
//! close while parties are parked, a cancelled taker passing its wake on.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use loom::sync::Arc;
use loom::thread;
use spindle_sync::{Closed, Queue};

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
    });
}
