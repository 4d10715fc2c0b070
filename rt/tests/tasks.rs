//! Task and scheduler behaviour across workers: many spawns, ping-pong,
//! stealing around a CPU-bound task, wakes from outside threads, panics,
//! aborts, yield, and shutdown.

mod drivers;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use spindle_rt::{spawn, yield_now, Runtime};

per_driver!(hundred_thousand_tasks_join, 2, |rt: Runtime| {
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..100_000u64).map(|i| spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..100_000u64).sum::<u64>());
    assert_eq!(rt.stats().live_tasks, 0);
});

per_driver!(spawn_from_outside, 2, |rt: Runtime| {
    let handles: Vec<_> = (0..1000u32)
        .map(|i| rt.spawn(async move { i * 2 }))
        .collect();
    let total = rt.block_on(async move {
        let mut t = 0;
        for h in handles {
            t += h.await.unwrap();
        }
        t
    });
    assert_eq!(total, (0..1000u32).map(|i| i * 2).sum::<u32>());
    assert!(rt.stats().total(|w| w.injector_pulls) > 0);
});

per_driver!(ping_pong_between_workers, 2, |rt: Runtime| {
    use spindle_sync::Queue;
    const ROUNDS: u32 = 5000;
    // Two long-lived tasks bounce a counter through two one-slot queues;
    // every hop parks one task and wakes the other, wherever it now runs.
    let ping = Arc::new(Queue::<u32>::new(1));
    let pong = Arc::new(Queue::<u32>::new(1));
    let (p1, q1) = (ping.clone(), pong.clone());
    let ran_on = Arc::new(std::sync::Mutex::new([0usize; 2]));
    let (seen, main_seen) = (ran_on.clone(), ran_on.clone());
    let (last, hops) = rt.block_on(async move {
        let responder = spawn(async move {
            let mut hops = 0;
            while let Ok(n) = p1.take_async().await {
                seen.lock().unwrap()[spindle_rt::worker_index().unwrap()] += 1;
                hops += 1;
                if q1.put_async(n + 1).await.is_err() {
                    break;
                }
            }
            hops
        });
        let mut n = 0;
        for _ in 0..ROUNDS {
            ping.put_async(n).await.unwrap();
            n = pong.take_async().await.unwrap();
            main_seen.lock().unwrap()[spindle_rt::worker_index().unwrap()] += 1;
        }
        ping.close();
        (n, responder.await.unwrap())
    });
    assert_eq!(
        spindle_rt::worker_index(),
        None,
        "the test thread is no worker"
    );
    assert_eq!(last, ROUNDS, "every round trip added one");
    assert_eq!(hops, ROUNDS, "the responder answered every ping");
    let counts = *ran_on.lock().unwrap();
    assert_eq!(counts.iter().sum::<usize>(), 2 * ROUNDS as usize);
    assert!(rt.stats().total(|w| w.polled) >= 2 * ROUNDS as u64);
});

per_driver!(panic_becomes_join_error, 2, |rt: Runtime| {
    let out = rt.block_on(async {
        let h = spawn(async { panic!("boom") });
        let err: spindle_rt::JoinError = h.await.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("boom"));
        // The worker survived: more tasks run.
        spawn(async { 7 }).await.unwrap()
    });
    assert_eq!(out, 7);
});

per_driver!(abort_cancels_pending_task, 2, |rt: Runtime| {
    rt.block_on(async {
        let h = spawn(async {
            spindle_rt::time::sleep(Duration::from_secs(3600)).await;
            1
        });
        yield_now().await;
        h.abort();
        let e = h.await.unwrap_err();
        assert!(e.is_cancelled());
    });
    assert_eq!(rt.stats().live_tasks, 0);
});

per_driver!(cpu_bound_task_does_not_block_queue, 2, |rt: Runtime| {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let (s, d) = (stop.clone(), done.clone());
    rt.block_on(async move {
        // Spawned from inside one task: all land on this worker's queue,
        // then this task spins without yielding until they all ran, which
        // only another worker (by stealing) can make happen.
        for _ in 0..64 {
            let d = d.clone();
            spawn(async move {
                d.fetch_add(1, Ordering::SeqCst);
            });
        }
        while d.load(Ordering::SeqCst) < 64 {
            std::hint::spin_loop();
        }
        s.store(true, Ordering::SeqCst);
    });
    assert!(stop.load(Ordering::SeqCst));
    assert_eq!(done.load(Ordering::SeqCst), 64);
    let st = rt.stats();
    assert!(st.total(|w| w.steal_successes) >= 1, "{st:?}");
});

per_driver!(wake_from_non_worker_thread, 2, |rt: Runtime| {
    let got = rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel::<std::task::Waker>();
        let flag = Arc::new(AtomicBool::new(false));
        let f2 = flag.clone();
        let th = std::thread::spawn(move || {
            let w = rx.recv().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            f2.store(true, Ordering::SeqCst);
            w.wake();
        });
        let mut tx = Some(tx);
        std::future::poll_fn(|cx| {
            if flag.load(Ordering::SeqCst) {
                return std::task::Poll::Ready(());
            }
            if let Some(tx) = tx.take() {
                tx.send(cx.waker().clone()).unwrap();
            }
            std::task::Poll::Pending
        })
        .await;
        th.join().unwrap();
        true
    });
    assert!(got);
});

per_driver!(yield_now_lets_others_run, 1, |rt: Runtime| {
    rt.block_on(async {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        spawn(async move { f.store(true, Ordering::SeqCst) });
        while !flag.load(Ordering::SeqCst) {
            yield_now().await;
        }
    });
});

per_driver!(spawn_blocking_runs_on_pool, 2, |rt: Runtime| {
    let name = rt.block_on(async {
        spindle_rt::spawn_blocking(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap()
    });
    assert_eq!(name.as_deref(), Some("spindle-blocking"));
});

per_driver!(idle_runtime_does_not_spin, 2, |rt: Runtime| {
    rt.block_on(async { spindle_rt::time::sleep(Duration::from_millis(1)).await });
    std::thread::sleep(Duration::from_millis(20));
    let before = rt.stats();
    std::thread::sleep(Duration::from_millis(200));
    let after = rt.stats();
    // Workers sleep in their driver until work arrives: no parks, no polls.
    assert_eq!(
        after.total(|w| w.parks),
        before.total(|w| w.parks),
        "{after:?}"
    );
    assert_eq!(after.total(|w| w.polled), before.total(|w| w.polled));
});

per_driver!(timers_fire_in_order_and_interval_ticks, 2, |rt: Runtime| {
    use spindle_rt::time::{interval, sleep, timeout};
    rt.block_on(async {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hs: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|ms| {
                let o = order.clone();
                spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    o.lock().unwrap().push(ms);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![10, 20, 30]);
        assert_eq!(timeout(Duration::from_secs(5), async { 5 }).await, Ok(5));
        let mut iv = interval(Duration::from_millis(2));
        let t0 = iv.tick().await;
        let t1 = iv.tick().await;
        assert_eq!(t1 - t0, Duration::from_millis(2));
    });
});

per_driver!(hundred_thousand_pending_timers, 2, |rt: Runtime| {
    rt.block_on(async {
        let hs: Vec<_> = (0..100_000u64)
            .map(|i| spawn(spindle_rt::time::sleep(Duration::from_secs(1000 + i))))
            .collect();
        yield_now().await;
        for h in &hs {
            h.abort();
        }
        for h in hs {
            assert!(h.await.unwrap_err().is_cancelled());
        }
    });
});

per_driver!(
    handle_spawns_from_foreign_and_blocking_threads,
    2,
    |rt: Runtime| {
        let h = rt.handle();
        let from_thread = std::thread::spawn(move || h.spawn(async { 5 }))
            .join()
            .unwrap();
        let v = rt.block_on(async move {
            let inner = spindle_rt::spawn_blocking(|| {
                // A blocking job has no worker context; it uses a handle.
                assert!(spindle_rt::Handle::try_current().is_none());
            });
            inner.await.unwrap();
            let h = spindle_rt::Handle::try_current().expect("on a worker");
            let nested = std::thread::spawn(move || h.spawn(async { 6 }))
                .join()
                .unwrap();
            from_thread.await.unwrap() + nested.await.unwrap()
        });
        assert_eq!(v, 11);
        let late = rt.handle();
        rt.shutdown();
        let h = late.spawn(async { 1 });
        assert!(h.is_finished(), "spawn after shutdown is cancelled at once");
    }
);

per_driver!(
    coop_budget_makes_always_ready_task_yield,
    1,
    |rt: Runtime| {
        rt.block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            spawn(async move { f.store(true, Ordering::SeqCst) });
            // An already-expired sleep is always ready; only the coop budget
            // sends this loop back to the queue so the other task can run.
            let mut spins = 0u64;
            while !flag.load(Ordering::SeqCst) {
                spindle_rt::time::sleep(Duration::ZERO).await;
                spins += 1;
            }
            assert!(spins >= 1);
        });
    }
);
