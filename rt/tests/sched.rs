//! Scheduling policy, observed through ordering, counters and names (never
//! wall time): the LIFO slot runs at most 3 times in a row, the injector is
//! looked at every 61 ticks while local work lasts, the blocking pool is
//! bounded and reuses its threads, `JoinHandle::is_finished` after a normal
//! finish, and worker thread names come from the builder.

mod drivers;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use spindle_rt::{spawn, spawn_blocking, worker_index, yield_now, Runtime};

/// One of two tasks that wake each other: every poll logs its name, wakes
/// the other (which takes this worker's LIFO slot) and, until its polls run
/// out, parks.
struct Hopper {
    me: usize,
    polls_left: usize,
    log: Arc<Mutex<Vec<char>>>,
    wakers: Arc<Mutex<[Option<Waker>; 2]>>,
}

impl Future for Hopper {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.log.lock().unwrap().push(['P', 'Q'][self.me]);
        let mut wakers = self.wakers.lock().unwrap();
        if let Some(w) = wakers[1 - self.me].take() {
            w.wake();
        }
        if self.polls_left == 0 {
            return Poll::Ready(());
        }
        wakers[self.me] = Some(cx.waker().clone());
        drop(wakers);
        self.polls_left -= 1;
        Poll::Pending
    }
}

per_driver!(lifo_slot_runs_at_most_three_in_a_row, 1, |rt: Runtime| {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    rt.block_on(async move {
        let wakers = Arc::new(Mutex::new([None, None]));
        let hopper = |me| Hopper {
            me,
            polls_left: 6,
            log: l.clone(),
            wakers: wakers.clone(),
        };
        // Local queue: P, Q, C. P parks; Q wakes P into the LIFO slot and
        // from then on each wake hands the slot over. C waits in the queue.
        let p = spawn(hopper(0));
        let q = spawn(hopper(1));
        let lc = l.clone();
        let c = spawn(async move { lc.lock().unwrap().push('C') });
        c.await.unwrap();
        p.await.unwrap();
        q.await.unwrap();
    });
    let log: String = log.lock().unwrap().iter().collect();
    // P and Q from the queue, then three LIFO runs (P Q P); the fourth
    // LIFO candidate goes to the back of the queue and C gets its turn.
    assert!(log.starts_with("PQPQPC"), "{log}");
    assert_eq!(log.matches('C').count(), 1, "{log}");
});

per_driver!(injector_is_checked_every_61_ticks, 1, |rt: Runtime| {
    let handle = rt.handle();
    let ran_at = Arc::new(Mutex::new(Vec::<u64>::new()));
    let seen = ran_at.clone();
    rt.block_on(async move {
        // This task always has itself queued locally, so the worker looks
        // at the injector only on its global turns. Each injected task
        // records how many times this one had been polled when it ran.
        let polls = Arc::new(AtomicU64::new(0));
        let mut injected = 0;
        loop {
            polls.fetch_add(1, Ordering::SeqCst);
            if seen.lock().unwrap().len() == injected {
                if injected == 4 {
                    break;
                }
                let (p, s) = (polls.clone(), seen.clone());
                // Spawned from a non-worker thread: it goes to the injector.
                std::thread::scope(|scope| {
                    scope.spawn(|| {
                        handle.spawn(async move {
                            s.lock().unwrap().push(p.load(Ordering::SeqCst));
                        })
                    });
                });
                injected += 1;
            }
            yield_now().await;
        }
    });
    let ran_at = ran_at.lock().unwrap();
    // Once an injected task ran at a global turn, the next one is injected
    // on the following tick and waits out the other 60 ticks of the
    // interval (all of them polls of the yielding task).
    let gaps: Vec<u64> = ran_at.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [60, 60, 60], "ran at polls {ran_at:?}");
    assert!(rt.stats().total(|w| w.injector_pulls) >= 4);
});

#[test]
fn spawn_blocking_is_bounded_and_reuses_threads() {
    const BOUND: usize = 2;
    let rt = Runtime::builder()
        .workers(1)
        .max_blocking_threads(BOUND)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new((Mutex::new(0usize), Condvar::new()));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let (r, pk, th) = (running.clone(), peak.clone(), threads.clone());
    rt.block_on(async move {
        let jobs: Vec<_> = (0..16)
            .map(|_| {
                let (r, pk, th) = (r.clone(), pk.clone(), th.clone());
                spawn_blocking(move || {
                    th.lock().unwrap().insert(std::thread::current().id());
                    let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                    let (m, cv) = &*pk;
                    let mut max = m.lock().unwrap();
                    *max = (*max).max(now);
                    cv.notify_all();
                    // Hold this thread until the pool has run BOUND jobs at
                    // once (bounded wait: a smaller pool fails the checks
                    // below instead of hanging).
                    let _ = cv
                        .wait_timeout_while(max, Duration::from_secs(5), |m| *m < BOUND)
                        .unwrap();
                    r.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for j in jobs {
            j.await.unwrap();
        }
    });
    assert_eq!(*peak.0.lock().unwrap(), BOUND, "jobs ran BOUND at a time");
    let first = threads.lock().unwrap().clone();
    assert_eq!(first.len(), BOUND, "16 jobs shared BOUND threads");
    // Later jobs run on the same (idle, kept) threads.
    let later = rt.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.push(
                spawn_blocking(|| std::thread::current().id())
                    .await
                    .unwrap(),
            );
        }
        ids
    });
    for id in later {
        assert!(first.contains(&id), "{id:?} is a reused thread");
    }
}

per_driver!(is_finished_after_normal_completion, 2, |rt: Runtime| {
    use spindle_sync::Queue;
    let outside = rt.spawn(async { 5 });
    rt.block_on(async move {
        let gate = Arc::new(Queue::<()>::new(1));
        let g = gate.clone();
        let h = spawn(async move {
            g.take_async().await.unwrap();
            42
        });
        yield_now().await;
        assert!(!h.is_finished(), "still waiting at the gate");
        gate.put_async(()).await.unwrap();
        let mut yields = 0;
        while !h.is_finished() {
            yield_now().await;
            yields += 1;
            assert!(yields < 1_000_000, "the task finished");
        }
        assert_eq!(h.await.unwrap(), 42);
        while !outside.is_finished() {
            yield_now().await;
        }
        assert_eq!(outside.await.unwrap(), 5);
    });
});

#[test]
fn worker_threads_are_named_by_the_builder() {
    let rt = Runtime::builder()
        .workers(2)
        .thread_name("rtgaps-w")
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    rt.block_on(async move {
        let name = || std::thread::current().name().map(str::to_owned);
        // Children queued behind a task that spins until they all ran:
        // only the other worker (stealing them) can run them, so both
        // workers report their names.
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..16 {
            let (s, done) = (s.clone(), done.clone());
            spawn(async move {
                s.lock().unwrap().push((worker_index().unwrap(), name()));
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        while done.load(Ordering::SeqCst) < 16 {
            std::hint::spin_loop();
        }
        s.lock().unwrap().push((worker_index().unwrap(), name()));
    });
    let seen = seen.lock().unwrap();
    let workers: HashSet<usize> = seen.iter().map(|(i, _)| *i).collect();
    assert_eq!(workers, HashSet::from([0, 1]), "{seen:?}");
    for (i, name) in seen.iter() {
        assert_eq!(name.as_deref(), Some(format!("rtgaps-w-{i}").as_str()));
    }
    let default = Runtime::builder().workers(1).build().unwrap();
    let name = default.block_on(async { std::thread::current().name().map(str::to_owned) });
    assert_eq!(name.as_deref(), Some("spindle-worker-0"));
}
