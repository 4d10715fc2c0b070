//! spindle-rt against tokio's multi-thread runtime, same worker count, same
//! run: the shapes of tokio's own rt_multi_threaded benches (spawn_many_local,
//! spawn_many_remote, ping_pong, yield_many, chained_spawn), two timer-heavy
//! ones (10k timers firing; 100k pending timers registered and cancelled), and TCP echo over loopback with 1 and 64 connections (100-byte
//! messages). Channels are tokio::sync's (runtime-agnostic) on both sides.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

const WORKERS: usize = 2;
const SPAWNS: usize = 10_000;

fn spindle() -> spindle_rt::Runtime {
    spindle_rt::Runtime::builder()
        .workers(WORKERS)
        .build()
        .unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap()
}

fn spawn_many_local(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many_local");
    g.throughput(Throughput::Elements(SPAWNS as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hs: Vec<_> = (0..SPAWNS)
                    .map(|i| spindle_rt::spawn(async move { i }))
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hs: Vec<_> = (0..SPAWNS)
                    .map(|i| tokio::spawn(async move { i }))
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
}

fn spawn_many_remote(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many_remote");
    g.throughput(Throughput::Elements(SPAWNS as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| {
            let hs: Vec<_> = (0..SPAWNS).map(|i| rt.spawn(async move { i })).collect();
            rt.block_on(async move {
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            let hs: Vec<_> = (0..SPAWNS).map(|i| rt.spawn(async move { i })).collect();
            rt.block_on(async move {
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
}

const PING_PONGS: usize = 1000;

async fn ping_pong_body<S, H>(spawn: S)
where
    S: Fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> H
        + Copy
        + Send
        + 'static,
    H: Send + 'static,
{
    let rem = Arc::new(AtomicUsize::new(PING_PONGS));
    let (done_tx, done_rx) = oneshot::channel();
    let done_tx = Arc::new(std::sync::Mutex::new(Some(done_tx)));
    for _ in 0..PING_PONGS {
        let (rem, done_tx) = (rem.clone(), done_tx.clone());
        spawn(Box::pin(async move {
            let (tx1, rx1) = oneshot::channel();
            let (tx2, rx2) = oneshot::channel::<()>();
            spawn(Box::pin(async move {
                rx1.await.unwrap();
                tx2.send(()).unwrap();
            }));
            tx1.send(()).unwrap();
            rx2.await.unwrap();
            if rem.fetch_sub(1, Ordering::Relaxed) == 1 {
                done_tx.lock().unwrap().take().unwrap().send(()).unwrap();
            }
        }));
    }
    done_rx.await.unwrap();
}

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong");
    g.throughput(Throughput::Elements(PING_PONGS as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| rt.block_on(ping_pong_body(spindle_rt::spawn)))
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| rt.block_on(ping_pong_body(tokio::spawn)))
    });
}

const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1000;

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_many");
    g.throughput(Throughput::Elements((YIELD_TASKS * YIELDS) as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hs: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        spindle_rt::spawn(async {
                            for _ in 0..YIELDS {
                                spindle_rt::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hs: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            for _ in 0..YIELDS {
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
}

const CHAIN: usize = 1000;

fn chain_spindle(n: usize, done: oneshot::Sender<()>) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        spindle_rt::spawn(async move { chain_spindle(n - 1, done) });
    }
}

fn chain_tokio(n: usize, done: oneshot::Sender<()>) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        tokio::spawn(async move { chain_tokio(n - 1, done) });
    }
}

fn chained_spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("chained_spawn");
    g.throughput(Throughput::Elements(CHAIN as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (tx, rx) = oneshot::channel();
                chain_spindle(CHAIN, tx);
                rx.await.unwrap();
            })
        })
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (tx, rx) = oneshot::channel();
                chain_tokio(CHAIN, tx);
                rx.await.unwrap();
            })
        })
    });
}

const TIMERS: usize = 10_000;

fn timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("timers_10k_sleep_1ms");
    g.throughput(Throughput::Elements(TIMERS as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hs: Vec<_> = (0..TIMERS)
                    .map(|_| spindle_rt::spawn(spindle_rt::time::sleep(Duration::from_millis(1))))
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let hs: Vec<_> = (0..TIMERS)
                    .map(|_| tokio::spawn(tokio::time::sleep(Duration::from_millis(1))))
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
        })
    });
}

const PENDING: usize = 100_000;

/// Registers `PENDING` timers with deadlines spread over one to two seconds
/// (all still pending), then drops them all: the cost of the timer structure
/// itself under a server's load of timeouts that rarely fire. tokio's timer
/// is a hierarchical wheel; spindle-rt's is an ordered map per worker.
fn spread(i: usize) -> Duration {
    Duration::from_micros(1_000_000 + (i * 7919 % 1_000_000) as u64)
}

fn pending_timers(c: &mut Criterion) {
    use std::future::{poll_fn, Future};
    use std::pin::Pin;
    use std::task::Poll;
    fn register_all<F: Future>(timers: &mut [Pin<Box<F>>]) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            for t in timers.iter_mut() {
                assert!(t.as_mut().poll(cx).is_pending(), "deadline in the future");
            }
            Poll::Ready(())
        })
    }
    let mut g = c.benchmark_group("timers_100k_pending_then_cancelled");
    g.throughput(Throughput::Elements(PENDING as u64));
    let rt = spindle();
    g.bench_function("spindle", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut ts: Vec<_> = (0..PENDING)
                    .map(|i| Box::pin(spindle_rt::time::sleep(spread(i))))
                    .collect();
                register_all(&mut ts).await;
                drop(ts);
            })
        })
    });
    drop(rt);
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut ts: Vec<_> = (0..PENDING)
                    .map(|i| Box::pin(tokio::time::sleep(spread(i))))
                    .collect();
                register_all(&mut ts).await;
                drop(ts);
            })
        })
    });
}

const MSG: usize = 100;
const ROUNDS: usize = 100;

async fn spindle_echo_server() -> SocketAddr {
    let l = spindle_rt::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = l.local_addr().unwrap();
    spindle_rt::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            spindle_rt::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

async fn tokio_echo_server() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

fn tcp_echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("tcp_echo_100b");
    for conns in [1usize, 64] {
        g.throughput(Throughput::Elements((conns * ROUNDS) as u64));
        let rt = spindle();
        let addr = rt.block_on(spindle_echo_server());
        let streams: Vec<Arc<spindle_rt::net::TcpStream>> = rt.block_on(async move {
            let mut v = Vec::new();
            for _ in 0..conns {
                let s = spindle_rt::net::TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                v.push(Arc::new(s));
            }
            v
        });
        g.bench_function(BenchmarkId::new("spindle", conns), |b| {
            b.iter(|| {
                let streams = streams.clone();
                rt.block_on(async move {
                    let hs: Vec<_> = streams
                        .into_iter()
                        .map(|s| {
                            spindle_rt::spawn(async move {
                                let msg = [7u8; MSG];
                                let mut back = [0u8; MSG];
                                for _ in 0..ROUNDS {
                                    s.write_all(&msg).await.unwrap();
                                    s.read_exact(&mut back).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for h in hs {
                        h.await.unwrap();
                    }
                })
            })
        });
        drop(streams);
        drop(rt);
        let rt = tokio_rt();
        let addr = rt.block_on(tokio_echo_server());
        let streams: Vec<Arc<tokio::sync::Mutex<tokio::net::TcpStream>>> =
            rt.block_on(async move {
                let mut v = Vec::new();
                for _ in 0..conns {
                    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    v.push(Arc::new(tokio::sync::Mutex::new(s)));
                }
                v
            });
        g.bench_function(BenchmarkId::new("tokio", conns), |b| {
            b.iter(|| {
                let streams = streams.clone();
                rt.block_on(async move {
                    let hs: Vec<_> = streams
                        .into_iter()
                        .map(|s| {
                            tokio::spawn(async move {
                                let mut s = s.lock().await;
                                let msg = [7u8; MSG];
                                let mut back = [0u8; MSG];
                                for _ in 0..ROUNDS {
                                    s.write_all(&msg).await.unwrap();
                                    s.read_exact(&mut back).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for h in hs {
                        h.await.unwrap();
                    }
                })
            })
        });
    }
}

criterion_group!(
    benches,
    spawn_many_local,
    spawn_many_remote,
    ping_pong,
    yield_many,
    chained_spawn,
    timers,
    pending_timers,
    tcp_echo
);
criterion_main!(benches);
