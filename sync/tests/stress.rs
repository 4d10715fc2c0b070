//! Stress tests without loom: 8–16 OS threads and tasks hammering each
//! primitive at once, checking its invariant (never two lock holders, permit
//! totals conserved, per-producer FIFO through the queue, barrier
//! generations counted, ...). Tasks run on a small hand-written executor
//! (several futures per thread, parked through a thread-unparking waker),
//! so thread waiters and task waiters share the wait table as in real use.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use spindle_sync::{Barrier, Condvar, Latch, Lock, Once, Queue, RwLock, Semaphore};

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Wakes one executor task: marks it ready and unparks its thread.
struct TaskWaker {
    ready: AtomicBool,
    thread: thread::Thread,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, SeqCst);
        self.thread.unpark();
    }
}

/// Runs `tasks` to completion on a new thread, polling each when woken.
fn executor(tasks: Vec<Task>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let me = thread::current();
        let mut live: Vec<(Task, Arc<TaskWaker>)> = tasks
            .into_iter()
            .map(|t| {
                (
                    t,
                    Arc::new(TaskWaker {
                        ready: AtomicBool::new(true),
                        thread: me.clone(),
                    }),
                )
            })
            .collect();
        while !live.is_empty() {
            let mut progressed = false;
            live.retain_mut(|(task, w)| {
                if !w.ready.swap(false, SeqCst) {
                    return true;
                }
                progressed = true;
                let waker = Waker::from(w.clone());
                task.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            });
            if !progressed {
                thread::park_timeout(Duration::from_millis(50));
            }
        }
    })
}

/// Runs `threads` plain threads and `executors` executors of `per` tasks each.
fn run_mixed<T, F>(threads: usize, executors: usize, per: usize, thread_body: T, task_body: F)
where
    T: Fn(usize) + Send + Sync + 'static,
    F: Fn(usize) -> Task,
{
    let thread_body = Arc::new(thread_body);
    let mut handles: Vec<_> = (0..threads)
        .map(|i| {
            let body = thread_body.clone();
            thread::spawn(move || body(i))
        })
        .collect();
    for e in 0..executors {
        handles.push(executor(
            (0..per).map(|j| task_body(threads + e * per + j)).collect(),
        ));
    }
    for h in handles {
        h.join().unwrap();
    }
}

/// A future that returns Pending once (after waking itself): lets other
/// tasks on the executor run between steps.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

#[test]
fn lock_never_has_two_holders() {
    const ITERS: usize = 10_000;
    let lock = Arc::new(Lock::new(0usize));
    let inside = Arc::new(AtomicBool::new(false));
    let enter = |inside: &AtomicBool| assert!(!inside.swap(true, SeqCst), "two holders");
    let (l, ins) = (lock.clone(), inside.clone());
    let (l2, ins2) = (lock.clone(), inside.clone());
    run_mixed(
        8,
        2,
        4,
        move |i| {
            for n in 0..ITERS {
                let mut g = if n % 7 == 0 {
                    match l.lock_deadline(Instant::now() + Duration::from_micros(50)) {
                        Some(g) => g,
                        None => l.lock(),
                    }
                } else if i % 2 == 0 {
                    l.lock()
                } else {
                    loop {
                        if let Some(g) = l.try_lock() {
                            break g;
                        }
                        thread::yield_now();
                    }
                };
                enter(&ins);
                *g += 1;
                ins.store(false, SeqCst);
            }
        },
        move |_| {
            let (l, ins) = (l2.clone(), ins2.clone());
            Box::pin(async move {
                for n in 0..ITERS {
                    let mut g = l.lock_async().await;
                    enter(&ins);
                    *g += 1;
                    ins.store(false, SeqCst);
                    drop(g);
                    if n % 16 == 0 {
                        yield_now().await;
                    }
                }
            })
        },
    );
    assert_eq!(*lock.lock(), 16 * ITERS);
    assert!(!lock.is_locked());
}

#[test]
fn semaphore_conserves_permits() {
    const PERMITS: usize = 3;
    const ITERS: usize = 5000;
    let sem = Arc::new(Semaphore::new(PERMITS));
    let in_use = Arc::new(AtomicUsize::new(0));
    let (s, u) = (sem.clone(), in_use.clone());
    let (s2, u2) = (sem.clone(), in_use.clone());
    run_mixed(
        8,
        2,
        4,
        move |i| {
            for n in 0..ITERS {
                let k = 1 + (i + n) % 2;
                let permit = if n % 5 == 0 {
                    match s.acquire_many_deadline(k, Instant::now() + Duration::from_micros(20)) {
                        Some(p) => p,
                        None => continue,
                    }
                } else {
                    s.acquire_many(k)
                };
                assert!(u.fetch_add(k, SeqCst) + k <= PERMITS, "over-subscribed");
                u.fetch_sub(k, SeqCst);
                drop(permit);
            }
        },
        move |i| {
            let (s, u) = (s2.clone(), u2.clone());
            Box::pin(async move {
                for n in 0..ITERS {
                    let k = 1 + (i + n) % 2;
                    if n % 9 == 0 {
                        // Start an acquire, let it queue, then cancel it.
                        let mut f = std::pin::pin!(s.acquire_many_async(k));
                        let ready =
                            std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await;
                        drop(ready);
                        continue;
                    }
                    let p = s.acquire_many_async(k).await;
                    assert!(u.fetch_add(k, SeqCst) + k <= PERMITS, "over-subscribed");
                    u.fetch_sub(k, SeqCst);
                    drop(p);
                }
            })
        },
    );
    assert_eq!(sem.available_permits(), PERMITS);
}

#[test]
fn condvar_tickets_are_all_consumed() {
    const PER: usize = 2000;
    let pair = Arc::new((Lock::new(0usize), Condvar::new()));
    let taken = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..4 {
        let p = pair.clone();
        handles.push(thread::spawn(move || {
            for n in 0..PER * 2 {
                *p.0.lock() += 1;
                if n % 3 == 0 {
                    p.1.notify_all();
                } else {
                    p.1.notify_one();
                }
            }
        }));
    }
    for c in 0..4 {
        let (p, t) = (pair.clone(), taken.clone());
        handles.push(thread::spawn(move || {
            for _ in 0..PER {
                let (l, cv) = &*p;
                let mut g = l.lock();
                while *g == 0 {
                    g = if c % 2 == 0 {
                        cv.wait(g)
                    } else {
                        cv.wait_deadline(g, Instant::now() + Duration::from_millis(1))
                            .0
                    };
                }
                *g -= 1;
                t.fetch_add(1, SeqCst);
            }
        }));
    }
    let tasks: Vec<Task> = (0..4)
        .map(|_| {
            let (p, t) = (pair.clone(), taken.clone());
            Box::pin(async move {
                for _ in 0..PER {
                    let (l, cv) = &*p;
                    let mut g = l.lock_async().await;
                    while *g == 0 {
                        g = cv.wait_async(g).await;
                    }
                    *g -= 1;
                    t.fetch_add(1, SeqCst);
                }
            }) as Task
        })
        .collect();
    handles.push(executor(tasks));
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(taken.load(SeqCst), 8 * PER);
    assert_eq!(*pair.0.lock(), 0);
}

#[test]
fn rwlock_readers_never_see_half_writes() {
    const ITERS: usize = 5000;
    let lock = Arc::new(RwLock::new((0usize, 0usize)));
    let writes = Arc::new(AtomicUsize::new(0));
    let (l, w) = (lock.clone(), writes.clone());
    let l2 = lock.clone();
    run_mixed(
        8,
        2,
        4,
        move |i| {
            for n in 0..ITERS {
                if i % 4 == 0 {
                    let mut g = if n % 5 == 0 {
                        match l.write_deadline(Instant::now() + Duration::from_micros(30)) {
                            Some(g) => g,
                            None => continue,
                        }
                    } else {
                        l.write()
                    };
                    assert_eq!(l.reader_count(), 0);
                    g.0 += 1;
                    g.1 += 1;
                    w.fetch_add(1, SeqCst);
                } else {
                    let g = l.read();
                    assert_eq!(g.0, g.1, "torn read");
                }
            }
        },
        move |i| {
            let l = l2.clone();
            Box::pin(async move {
                for n in 0..ITERS {
                    if i % 2 == 0 && n % 4 == 0 {
                        let mut g = l.write_async().await;
                        g.0 += 1;
                        g.1 += 1;
                    } else {
                        let g = l.read_async().await;
                        assert_eq!(g.0, g.1, "torn read");
                    }
                    if n % 8 == 0 {
                        yield_now().await;
                    }
                }
            })
        },
    );
    let g = lock.read();
    assert_eq!(g.0, g.1);
    // Thread writers counted theirs; task writers did ITERS / 4 each (4 of them).
    assert_eq!(g.0, writes.load(SeqCst) + 4 * ITERS / 4);
}

#[test]
fn barrier_generations_are_counted() {
    const PARTIES: usize = 12;
    const GENERATIONS: usize = 1000;
    let barrier = Arc::new(Barrier::new(PARTIES));
    let arrived: Arc<Vec<AtomicUsize>> =
        Arc::new((0..GENERATIONS).map(|_| AtomicUsize::new(0)).collect());
    let leaders = Arc::new(AtomicUsize::new(0));
    let (b, a, ld) = (barrier.clone(), arrived.clone(), leaders.clone());
    let (b2, a2, ld2) = (barrier.clone(), arrived.clone(), leaders.clone());
    run_mixed(
        8,
        1,
        4,
        move |_| {
            for g in 0..GENERATIONS {
                a[g].fetch_add(1, SeqCst);
                if b.wait().is_leader() {
                    ld.fetch_add(1, SeqCst);
                }
                assert_eq!(a[g].load(SeqCst), PARTIES, "released early");
            }
        },
        move |_| {
            let (b, a, ld) = (b2.clone(), a2.clone(), ld2.clone());
            Box::pin(async move {
                for g in 0..GENERATIONS {
                    a[g].fetch_add(1, SeqCst);
                    if b.wait_async().await.is_leader() {
                        ld.fetch_add(1, SeqCst);
                    }
                    assert_eq!(a[g].load(SeqCst), PARTIES, "released early");
                }
            })
        },
    );
    assert_eq!(leaders.load(SeqCst), GENERATIONS);
    assert_eq!(barrier.generation(), GENERATIONS as u64);
}

#[test]
fn latch_releases_every_waiter() {
    let latch = Arc::new(Latch::new(8));
    let passed = Arc::new(AtomicUsize::new(0));
    let (l, p) = (latch.clone(), passed.clone());
    let (l2, p2) = (latch.clone(), passed.clone());
    run_mixed(
        16,
        2,
        4,
        move |i| {
            if i < 8 {
                thread::sleep(Duration::from_micros(200));
                l.count_down();
            } else {
                l.wait();
                assert!(l.is_open());
                p.fetch_add(1, SeqCst);
            }
        },
        move |_| {
            let (l, p) = (l2.clone(), p2.clone());
            Box::pin(async move {
                l.wait_async().await;
                assert!(l.is_open());
                p.fetch_add(1, SeqCst);
            })
        },
    );
    assert_eq!(passed.load(SeqCst), 8 + 8);
}

#[test]
fn once_runs_one_success_after_failures() {
    let once = Arc::new(Once::new());
    let attempts = Arc::new(AtomicUsize::new(0));
    let (o, at) = (once.clone(), attempts.clone());
    let (o2, at2) = (once.clone(), attempts.clone());
    run_mixed(
        12,
        1,
        4,
        move |i| {
            let r = o.get_or_try_init(|| {
                let n = at.fetch_add(1, SeqCst);
                thread::sleep(Duration::from_micros(100));
                if n < 3 {
                    Err(n)
                } else {
                    Ok(i)
                }
            });
            if let Ok(v) = r {
                assert_eq!(Some(v), o.get());
            }
        },
        move |i| {
            let (o, at) = (o2.clone(), at2.clone());
            Box::pin(async move {
                let r = o
                    .get_or_try_init_async(|| async {
                        let n = at.fetch_add(1, SeqCst);
                        yield_now().await;
                        if n < 3 {
                            Err(n)
                        } else {
                            Ok(i)
                        }
                    })
                    .await;
                if let Ok(v) = r {
                    assert_eq!(Some(v), o.get());
                }
            })
        },
    );
    // Exactly three failures and one success ran, whoever ran them.
    assert_eq!(attempts.load(SeqCst), 4);
    assert!(once.get().is_some());
}

#[test]
fn queue_keeps_per_producer_fifo_and_loses_nothing() {
    const PER: usize = 10_000;
    const PRODUCERS: usize = 8;
    let q = Arc::new(Queue::new(16));
    let done_producers = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    // Four producer threads, four producer tasks.
    for p in 0..4 {
        let (q, d) = (q.clone(), done_producers.clone());
        handles.push(thread::spawn(move || {
            for n in 0..PER {
                if n % 10 == 0 {
                    let mut item = (p, n);
                    loop {
                        match q.put_deadline(item, Instant::now() + Duration::from_micros(50)) {
                            Ok(()) => break,
                            Err(spindle_sync::PutError::Full(back)) => item = back,
                            Err(spindle_sync::PutError::Closed(_)) => panic!("closed early"),
                        }
                    }
                } else {
                    q.put((p, n)).unwrap();
                }
            }
            if d.fetch_add(1, SeqCst) + 1 == PRODUCERS {
                q.close();
            }
        }));
    }
    let tasks: Vec<Task> = (4..PRODUCERS)
        .map(|p| {
            let (q, d) = (q.clone(), done_producers.clone());
            Box::pin(async move {
                for n in 0..PER {
                    q.put_async((p, n)).await.unwrap();
                }
                if d.fetch_add(1, SeqCst) + 1 == PRODUCERS {
                    q.close();
                }
            }) as Task
        })
        .collect();
    handles.push(executor(tasks));
    // Four consumers: two threads, two tasks; each checks FIFO per producer.
    let seen = Arc::new(Lock::new(vec![0usize; PRODUCERS]));
    let consume = |got: &mut Vec<Option<usize>>, (p, n): (usize, usize)| {
        if let Some(last) = got[p] {
            assert!(n > last, "producer {p}: {n} after {last}");
        }
        got[p] = Some(n);
    };
    let mut consumers = Vec::new();
    for _ in 0..2 {
        let (q, seen) = (q.clone(), seen.clone());
        consumers.push(thread::spawn(move || {
            let mut got = vec![None; PRODUCERS];
            let mut count = vec![0; PRODUCERS];
            while let Ok(item) = q.take() {
                count[item.0] += 1;
                consume(&mut got, item);
            }
            let mut s = seen.lock();
            for (p, c) in count.into_iter().enumerate() {
                s[p] += c;
            }
        }));
    }
    let consumer_tasks: Vec<Task> = (0..2)
        .map(|_| {
            let (q, seen) = (q.clone(), seen.clone());
            Box::pin(async move {
                let mut got = vec![None; PRODUCERS];
                let mut count = vec![0; PRODUCERS];
                while let Ok(item) = q.take_async().await {
                    count[item.0] += 1;
                    consume(&mut got, item);
                }
                let mut s = seen.lock_async().await;
                for (p, c) in count.into_iter().enumerate() {
                    s[p] += c;
                }
            }) as Task
        })
        .collect();
    consumers.push(executor(consumer_tasks));
    for h in handles.into_iter().chain(consumers) {
        h.join().unwrap();
    }
    assert_eq!(*seen.lock(), vec![PER; PRODUCERS]);
    assert!(q.is_closed() && q.is_empty());
}
