//! Unit tests of the raw task layer driven by hand (no workers, no rings),
//! so they run under Miri: `cargo +nightly miri test -p spindle-rt task::`.
//! They walk every path of the reference count and state protocol: run to
//! completion, wake while idle and while running, abort, panic, shutdown,
//! and dropping the `JoinHandle` before and after completion.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crossbeam_deque::Steal;

use crate::driver::IoDriver;
use crate::sched::shared::Shared;
use crate::task::join::JoinHandle;
use crate::task::raw::Task;

fn shared() -> Arc<Shared> {
    Arc::new(Shared::new(
        Vec::new(),
        Vec::new(),
        IoDriver::Epoll,
        Default::default(),
        1,
    ))
}

/// Pops the next queued task (spawns and wakes off-worker go to the injector).
fn next(s: &Shared) -> Option<Task> {
    loop {
        match s.injector.steal() {
            Steal::Success(t) => return Some(t),
            Steal::Retry => continue,
            Steal::Empty => return None,
        }
    }
}

fn poll_join<T>(h: &mut JoinHandle<T>) -> Poll<Result<T, crate::JoinError>> {
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(h).poll(&mut cx)
}

/// Pending until woken through the waker it hands out.
struct Gate {
    open: Arc<AtomicUsize>,
    waker: Arc<parking_lot::Mutex<Option<Waker>>>,
}

impl Future for Gate {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let v = self.open.load(Ordering::SeqCst);
        if v > 0 {
            return Poll::Ready(v);
        }
        *self.waker.lock() = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn runs_to_completion_and_frees() {
    let s = shared();
    let mut h = Shared::spawn(&s, async { 41 + 1 });
    assert!(poll_join(&mut h).is_pending());
    assert!(next(&s).unwrap().run());
    assert!(h.is_finished());
    assert_eq!(s.owned.len(), 0);
    match poll_join(&mut h) {
        Poll::Ready(Ok(v)) => assert_eq!(v, 42),
        _ => panic!("output expected"),
    }
}

#[test]
fn wake_while_idle_requeues_once() {
    let s = shared();
    let open = Arc::new(AtomicUsize::new(0));
    let slot = Arc::new(parking_lot::Mutex::new(None));
    let mut h = Shared::spawn(
        &s,
        Gate {
            open: open.clone(),
            waker: slot.clone(),
        },
    );
    next(&s).unwrap().run();
    assert!(next(&s).is_none(), "pending task is not queued");
    let w = slot.lock().take().unwrap();
    w.wake_by_ref();
    w.wake_by_ref();
    open.store(7, Ordering::SeqCst);
    let t = next(&s).expect("woken task queued");
    assert!(next(&s).is_none(), "second wake absorbed");
    t.run();
    drop(w);
    assert!(matches!(poll_join(&mut h), Poll::Ready(Ok(7))));
}

#[test]
fn wake_while_running_reschedules() {
    let s = shared();
    let mut first = true;
    let mut h = Shared::spawn(
        &s,
        std::future::poll_fn(move |cx| {
            if first {
                first = false;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(3)
        }),
    );
    next(&s).unwrap().run();
    next(&s).expect("rescheduled by its own wake").run();
    assert!(matches!(poll_join(&mut h), Poll::Ready(Ok(3))));
}

#[test]
fn abort_idle_task_cancels_it() {
    let s = shared();
    let open = Arc::new(AtomicUsize::new(0));
    let slot = Arc::new(parking_lot::Mutex::new(None));
    let mut h = Shared::spawn(
        &s,
        Gate {
            open,
            waker: slot.clone(),
        },
    );
    next(&s).unwrap().run();
    h.abort();
    next(&s).expect("abort queues the task").run();
    drop(slot.lock().take());
    match poll_join(&mut h) {
        Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
        _ => panic!("cancelled expected"),
    }
}

#[test]
fn panic_is_caught() {
    let s = shared();
    let mut h = Shared::spawn(&s, async { panic!("inside") });
    next(&s).unwrap().run();
    match poll_join(&mut h) {
        Poll::Ready(Err(e)) => assert!(e.is_panic()),
        _ => panic!("panic expected"),
    }
}

#[test]
fn join_handle_dropped_before_and_after_completion() {
    let s = shared();
    let payload = Arc::new(());
    let p = payload.clone();
    let h = Shared::spawn(&s, async move { p });
    drop(h);
    next(&s).unwrap().run();
    assert_eq!(
        Arc::strong_count(&payload),
        1,
        "output dropped by the completer"
    );
    let p = payload.clone();
    let h = Shared::spawn(&s, async move { p });
    next(&s).unwrap().run();
    assert_eq!(Arc::strong_count(&payload), 2, "output kept for the handle");
    drop(h);
    assert_eq!(Arc::strong_count(&payload), 1, "handle dropped the output");
}

#[test]
fn shutdown_cancels_listed_tasks() {
    let s = shared();
    let held = Arc::new(());
    let h2 = held.clone();
    let mut h = Shared::spawn(&s, async move {
        let _keep = h2;
        std::future::pending::<()>().await
    });
    next(&s).unwrap().run();
    s.owned.close();
    for shard in 0..s.owned.shard_count() {
        for t in s.owned.drain_shard(shard) {
            t.shutdown();
        }
    }
    assert_eq!(Arc::strong_count(&held), 1, "future dropped");
    assert!(matches!(poll_join(&mut h), Poll::Ready(Err(_))));
    let mut late = Shared::spawn(&s, async { 1 });
    assert!(matches!(poll_join(&mut late), Poll::Ready(Err(e)) if e.is_cancelled()));
}
