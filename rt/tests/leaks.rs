//! Leak checks: fds, live ops and timers before and after cancellation and
//! shutdown. Each test holds one lock, since fd counts are process-wide.

mod drivers;

use std::sync::Mutex;
use std::time::Duration;

use spindle_rt::{yield_now, Runtime};

static SERIAL: Mutex<()> = Mutex::new(());

fn shutdown_cancels_idle_tasks_and_closes_fds(io: spindle_rt::IoDriver) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = drivers::open_fds();
    let rt = drivers::runtime(io, 2);
    let hs: Vec<_> = (0..100)
        .map(|_| rt.spawn(async { spindle_rt::time::sleep(Duration::from_secs(3600)).await }))
        .collect();
    rt.block_on(async { yield_now().await });
    rt.shutdown();
    for h in hs {
        assert!(h.is_finished());
    }
    assert_eq!(drivers::open_fds(), before, "rings and eventfds closed");
}

#[test]
fn shutdown_cancels_idle_tasks_and_closes_fds_uring() {
    shutdown_cancels_idle_tasks_and_closes_fds(spindle_rt::IoDriver::Uring);
}

#[test]
fn shutdown_cancels_idle_tasks_and_closes_fds_epoll() {
    shutdown_cancels_idle_tasks_and_closes_fds(spindle_rt::IoDriver::Epoll);
}

fn settle() {
    // Cancelled ops finish asynchronously; wait (bounded) for the gauges.
    for _ in 0..200 {
        if spindle_rt::live_ops() == 0 && spindle_rt::live_timers() == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn cancel_in_flight(io: spindle_rt::IoDriver) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = drivers::runtime(io, 2);
    let fds_before = drivers::open_fds();
    let ops_before = spindle_rt::live_ops();
    rt.block_on(async {
        use spindle_rt::net::{TcpListener, TcpStream};
        use spindle_rt::time::{sleep, timeout};
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        // Accept cancelled by a timeout.
        assert!(timeout(Duration::from_millis(10), l.accept())
            .await
            .is_err());
        // Read cancelled by a timeout on a connected but silent socket.
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        let mut buf = [0u8; 16];
        assert!(timeout(Duration::from_millis(10), s.read(&mut buf))
            .await
            .is_err());
        // Reads dropped by aborting tasks on another worker.
        let mut hs = Vec::new();
        for _ in 0..50 {
            let c2 = TcpStream::connect(addr).await.unwrap();
            hs.push(spindle_rt::spawn(async move {
                let mut b = [0u8; 8];
                let _ = c2.read(&mut b).await;
            }));
        }
        // Timers dropped unfired.
        let sleeps: Vec<_> = (0..1000)
            .map(|i| spindle_rt::spawn(sleep(Duration::from_secs(100 + i))))
            .collect();
        spindle_rt::yield_now().await;
        sleep(Duration::from_millis(10)).await;
        for h in &hs {
            h.abort();
        }
        for h in sleeps {
            h.abort();
            assert!(h.await.unwrap_err().is_cancelled());
        }
        for h in hs {
            assert!(h.await.unwrap_err().is_cancelled());
        }
        drop((c, s, l));
    });
    settle();
    assert_eq!(
        spindle_rt::live_ops(),
        ops_before,
        "no op buffers left behind"
    );
    assert_eq!(spindle_rt::live_timers(), 0, "no timers left behind");
    // Accepted-but-cancelled sockets were closed: back to the baseline.
    let mut fds = drivers::open_fds();
    for _ in 0..100 {
        if fds <= fds_before {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        fds = drivers::open_fds();
    }
    assert_eq!(fds, fds_before, "no fds left behind");
    rt.shutdown();
}

#[test]
fn cancel_in_flight_uring() {
    cancel_in_flight(spindle_rt::IoDriver::Uring);
}

#[test]
fn cancel_in_flight_epoll() {
    cancel_in_flight(spindle_rt::IoDriver::Epoll);
}

/// A writev stuck on a full socket and a readv on a silent one, both
/// cancelled by timeouts: their buffers and fds are released.
fn cancel_vectored_in_flight(io: spindle_rt::IoDriver) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = drivers::runtime(io, 2);
    let fds_before = drivers::open_fds();
    let ops_before = spindle_rt::live_ops();
    rt.block_on(async {
        use spindle_rt::net::{TcpListener, TcpStream};
        use spindle_rt::time::timeout;
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        // Nobody reads `s`: 64 MiB cannot fit in the socket buffers.
        let bufs: Vec<Vec<u8>> = (0..16).map(|_| vec![9u8; 4 << 20]).collect();
        assert!(
            timeout(Duration::from_millis(20), c.write_all_vectored_owned(bufs))
                .await
                .is_err()
        );
        let bufs = vec![Vec::with_capacity(16), Vec::with_capacity(16)];
        let (_c2, s2) = (
            TcpStream::connect(addr).await.unwrap(),
            l.accept().await.unwrap().0,
        );
        assert!(
            timeout(Duration::from_millis(10), s2.read_vectored_owned(bufs))
                .await
                .is_err()
        );
        drop((c, s, s2, l));
    });
    settle();
    assert_eq!(
        spindle_rt::live_ops(),
        ops_before,
        "no vectored op buffers left behind"
    );
    let mut fds = drivers::open_fds();
    for _ in 0..100 {
        if fds <= fds_before {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        fds = drivers::open_fds();
    }
    assert_eq!(fds, fds_before, "no fds left behind");
    rt.shutdown();
}

#[test]
fn cancel_vectored_in_flight_uring() {
    cancel_vectored_in_flight(spindle_rt::IoDriver::Uring);
}

#[test]
fn cancel_vectored_in_flight_epoll() {
    cancel_vectored_in_flight(spindle_rt::IoDriver::Epoll);
}

/// Streams dropped on a worker are closed (through the ring under
/// io_uring): the peers see end of stream, the fds go away, and closes
/// still queued at shutdown are submitted before the ring closes.
fn dropped_streams_close(io: spindle_rt::IoDriver) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = drivers::open_fds();
    let rt = drivers::runtime(io, 2);
    let closes = |rt: &Runtime| rt.stats().total(|w| w.ring_closes);
    rt.block_on(async {
        use spindle_rt::net::{TcpListener, TcpStream};
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let mut pairs = Vec::new();
        for _ in 0..50 {
            let c = TcpStream::connect(addr).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            pairs.push((c, s));
        }
        // Drop the client sides on a worker; each server side sees EOF.
        let servers: Vec<_> = pairs
            .into_iter()
            .map(|(c, s)| {
                spindle_rt::spawn(async move { drop(c) });
                s
            })
            .collect();
        for s in &servers {
            let mut b = [0u8; 4];
            assert_eq!(s.read(&mut b).await.unwrap(), 0, "peer closed");
        }
        // The server sides are dropped by a task just before shutdown.
        spindle_rt::spawn(async move { drop((servers, l)) })
            .await
            .unwrap();
    });
    let ring_flags = rt.stats().workers[0].ring_flags;
    if ring_flags.is_some_and(|f| f.ring_close) {
        assert!(closes(&rt) >= 50, "client closes went through the ring");
    } else {
        assert_eq!(closes(&rt), 0);
    }
    rt.shutdown();
    assert_eq!(drivers::open_fds(), before, "every stream closed");
}

#[test]
fn dropped_streams_close_uring() {
    dropped_streams_close(spindle_rt::IoDriver::Uring);
}

#[test]
fn dropped_streams_close_epoll() {
    dropped_streams_close(spindle_rt::IoDriver::Epoll);
}

fn shutdown_with_ops_in_flight(io: spindle_rt::IoDriver) {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = drivers::open_fds();
    let rt = drivers::runtime(io, 2);
    let addr = rt.block_on(async {
        let l = spindle_rt::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        spindle_rt::spawn(async move {
            loop {
                let (s, _) = l.accept().await.unwrap();
                spindle_rt::spawn(async move {
                    let mut b = [0u8; 8];
                    let _ = s.read(&mut b).await;
                });
            }
        });
        addr
    });
    let clients: Vec<_> = (0..20)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    // The accept loop and one reader per client, each parked on its op.
    let mut live = rt.stats().live_tasks;
    for _ in 0..400 {
        if live == 21 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        live = rt.stats().live_tasks;
    }
    assert_eq!(live, 21, "accept loop and 20 readers are waiting");
    if rt.io_driver() == spindle_rt::IoDriver::Uring {
        assert!(
            spindle_rt::live_ops() > 0,
            "reads and the accept are in flight"
        );
    }
    rt.shutdown();
    settle();
    assert_eq!(spindle_rt::live_ops(), 0);
    drop(clients);
    assert_eq!(drivers::open_fds(), before);
}

#[test]
fn shutdown_with_ops_in_flight_uring() {
    shutdown_with_ops_in_flight(spindle_rt::IoDriver::Uring);
}

#[test]
fn shutdown_with_ops_in_flight_epoll() {
    shutdown_with_ops_in_flight(spindle_rt::IoDriver::Epoll);
}
