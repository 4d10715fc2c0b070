//! spindle-sync against its peers, same run: lock/unlock uncontended and with
//! 4 threads (vs parking_lot::Mutex and std::sync::Mutex), async semaphore
//! and bounded queue throughput on a tokio runtime (vs tokio::sync).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

trait BenchLock: Send + Sync + 'static {
    fn new() -> Self;
    fn bump(&self);
}

impl BenchLock for spindle_sync::Lock<u64> {
    fn new() -> Self {
        spindle_sync::Lock::new(0)
    }
    fn bump(&self) {
        *self.lock() += 1;
    }
}

impl BenchLock for parking_lot::Mutex<u64> {
    fn new() -> Self {
        parking_lot::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock() += 1;
    }
}

impl BenchLock for std::sync::Mutex<u64> {
    fn new() -> Self {
        std::sync::Mutex::new(0)
    }
    fn bump(&self) {
        *self.lock().unwrap() += 1;
    }
}

fn uncontended<L: BenchLock>(c: &mut Criterion, name: &str) {
    let lock = L::new();
    c.bench_function(&format!("lock/uncontended/{name}"), |b| {
        b.iter(|| black_box(&lock).bump())
    });
}

/// Each iteration is one lock/unlock by each of 4 threads at once.
fn contended<L: BenchLock>(c: &mut Criterion, name: &str) {
    const THREADS: usize = 4;
    let mut group = c.benchmark_group("lock/contended_4_threads");
    group.throughput(Throughput::Elements(THREADS as u64));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let lock = Arc::new(L::new());
            let start = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..THREADS {
                    let lock = &lock;
                    s.spawn(move || {
                        for _ in 0..iters {
                            lock.bump();
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

fn locks(c: &mut Criterion) {
    uncontended::<spindle_sync::Lock<u64>>(c, "spindle");
    uncontended::<parking_lot::Mutex<u64>>(c, "parking_lot");
    uncontended::<std::sync::Mutex<u64>>(c, "std");
    contended::<spindle_sync::Lock<u64>>(c, "spindle");
    contended::<parking_lot::Mutex<u64>>(c, "parking_lot");
    contended::<std::sync::Mutex<u64>>(c, "std");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

const TASKS: usize = 8;
const ROUNDS: usize = 500;

/// TASKS tasks each take a permit ROUNDS times from a 2-permit semaphore,
/// yielding while they hold it so the others queue.
fn semaphores(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("semaphore/8_tasks_2_permits");
    group.throughput(Throughput::Elements((TASKS * ROUNDS) as u64));
    group.bench_function("spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let sem = Arc::new(spindle_sync::Semaphore::new(2));
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let sem = sem.clone();
                        tokio::spawn(async move {
                            for _ in 0..ROUNDS {
                                let _p = sem.acquire_async().await;
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let sem = Arc::new(tokio::sync::Semaphore::new(2));
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let sem = sem.clone();
                        tokio::spawn(async move {
                            for _ in 0..ROUNDS {
                                let _p = sem.acquire().await.unwrap();
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

const ITEMS: usize = 10_000;
const CAP: usize = 64;

/// `producers` tasks send ITEMS items in total through a CAP-bounded queue
/// to one consumer task.
fn queues(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("queue/bounded_64");
    group.throughput(Throughput::Elements(ITEMS as u64));
    for producers in [1usize, 4] {
        group.bench_with_input(
            BenchmarkId::new("spindle", producers),
            &producers,
            |b, &p| {
                b.iter(|| {
                    rt.block_on(async move {
                        let q = Arc::new(spindle_sync::Queue::new(CAP));
                        let senders: Vec<_> = (0..p)
                            .map(|_| {
                                let q = q.clone();
                                tokio::spawn(async move {
                                    for i in 0..ITEMS / p {
                                        q.put_async(i).await.unwrap();
                                    }
                                })
                            })
                            .collect();
                        let consumer = {
                            let q = q.clone();
                            tokio::spawn(async move {
                                let mut n = 0;
                                while q.take_async().await.is_ok() {
                                    n += 1;
                                }
                                n
                            })
                        };
                        for s in senders {
                            s.await.unwrap();
                        }
                        q.close();
                        assert_eq!(consumer.await.unwrap(), ITEMS / p * p);
                    })
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("tokio_mpsc", producers),
            &producers,
            |b, &p| {
                b.iter(|| {
                    rt.block_on(async move {
                        let (tx, mut rx) = tokio::sync::mpsc::channel(CAP);
                        let senders: Vec<_> = (0..p)
                            .map(|_| {
                                let tx = tx.clone();
                                tokio::spawn(async move {
                                    for i in 0..ITEMS / p {
                                        tx.send(i).await.unwrap();
                                    }
                                })
                            })
                            .collect();
                        drop(tx);
                        let consumer = tokio::spawn(async move {
                            let mut n = 0;
                            while rx.recv().await.is_some() {
                                n += 1;
                            }
                            n
                        });
                        for s in senders {
                            s.await.unwrap();
                        }
                        assert_eq!(consumer.await.unwrap(), ITEMS / p * p);
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = locks, semaphores, queues
}
criterion_main!(benches);
