//! Sockets on 127.0.0.1 under both drivers: echo with 200 concurrent
//! clients, TCP options and addresses, UDP, Unix sockets, DNS.

mod drivers;

use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use spindle_rt::net::{
    lookup_host, set_option, SocketOption, TcpListener, TcpStream, UdpSocket, UnixListener,
    UnixStream,
};
use spindle_rt::{spawn, IoDriver, Runtime};

per_driver!(echo_200_clients, 2, |rt: Runtime| {
    let total = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            for _ in 0..200 {
                let (s, _) = listener.accept().await.unwrap();
                spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..200u32)
            .map(|i| {
                spawn(async move {
                    let s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let mut sum = 0usize;
                    for round in 0..5u32 {
                        let msg = format!("client {i} round {round}");
                        s.write_all(msg.as_bytes()).await.unwrap();
                        let mut back = vec![0u8; msg.len()];
                        s.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg.as_bytes());
                        sum += back.len();
                    }
                    s.shutdown(std::net::Shutdown::Write).await.unwrap();
                    let mut rest = Vec::new();
                    assert_eq!(s.read_to_end(&mut rest).await.unwrap(), 0);
                    sum
                })
            })
            .collect();
        let mut total = 0;
        for c in clients {
            total += c.await.unwrap();
        }
        server.await.unwrap();
        total
    });
    let expect: usize = (0..200u32)
        .flat_map(|i| (0..5u32).map(move |r| format!("client {i} round {r}").len()))
        .sum();
    assert_eq!(total, expect);
});

per_driver!(tcp_options_and_addresses, 2, |rt: Runtime| {
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let c = spawn(async move { TcpStream::connect(addr).await.unwrap() });
        let (s, peer) = l.accept().await.unwrap();
        let c = c.await.unwrap();
        assert_eq!(c.peer_addr().unwrap(), addr);
        assert_eq!(c.local_addr().unwrap(), peer);
        c.set_nodelay(true).unwrap();
        assert!(c.nodelay().unwrap());
        drop(s);
        let mut buf = [0u8; 8];
        assert_eq!(c.read(&mut buf).await.unwrap(), 0, "peer closed");
    });
});

per_driver!(connect_refused_names_the_op, 1, |rt: Runtime| {
    rt.block_on(async {
        // Bind then drop a listener to get a port nobody listens on.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let e = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(e.to_string().starts_with("connect"), "{e}");
    });
});

per_driver!(udp_round_trip, 2, |rt: Runtime| {
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b_addr = b.local_addr().unwrap();
        let recv = spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            (buf[..n].to_vec(), from)
        });
        spindle_rt::time::sleep(Duration::from_millis(5)).await;
        a.send_to(b"datagram", b_addr).await.unwrap();
        let (data, from) = recv.await.unwrap();
        assert_eq!(data, b"datagram");
        assert_eq!(from, a.local_addr().unwrap());
    });
});

per_driver!(unix_stream_echo, 2, |rt: Runtime| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    rt.block_on(async move {
        let l = UnixListener::bind(&path).unwrap();
        let srv = spawn(async move {
            let s = l.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let c = UnixStream::connect(&path).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello");
        srv.await.unwrap();
        let (x, y) = UnixStream::pair().unwrap();
        x.write_all(b"pair").await.unwrap();
        let mut b4 = [0u8; 4];
        y.read_exact(&mut b4).await.unwrap();
        assert_eq!(&b4, b"pair");
    });
});

per_driver!(
    unix_paths_abstract_names_and_half_close,
    2,
    |rt: Runtime| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("named");
        let abstract_name = format!("\0spindle-rt-test-{}", std::process::id());
        rt.block_on(async move {
            let l = UnixListener::bind(&path).unwrap();
            let want = path.as_os_str().as_encoded_bytes().to_vec();
            assert_eq!(l.local_path().unwrap(), want);
            let c = UnixStream::connect(&path).await.unwrap();
            let s = l.accept().await.unwrap();
            assert_eq!(c.peer_path().unwrap(), want);
            assert_eq!(c.local_path().unwrap(), b"", "a connecting end is unnamed");
            // Half-close: EOF one way, the other way still carries data.
            c.shutdown(std::net::Shutdown::Write).await.unwrap();
            let mut buf = [0u8; 4];
            assert_eq!(s.read(&mut buf).await.unwrap(), 0);
            s.write_all(b"back").await.unwrap();
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"back");
            // An abstract name is exactly its bytes (no trailing NUL).
            let a = UnixListener::bind(&abstract_name).unwrap();
            assert_eq!(a.local_path().unwrap(), abstract_name.as_bytes());
            let ac = UnixStream::connect(&abstract_name).await.unwrap();
            let _as = a.accept().await.unwrap();
            assert_eq!(ac.peer_path().unwrap(), abstract_name.as_bytes());
        });
    }
);

per_driver!(socket_options_set, 1, |rt: Runtime| {
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        set_option(&c, SocketOption::NoDelay(true)).unwrap();
        assert!(c.nodelay().unwrap());
        set_option(&c, SocketOption::NoDelay(false)).unwrap();
        assert!(!c.nodelay().unwrap());
        set_option(&c, SocketOption::KeepAlive(true)).unwrap();
        set_option(&c, SocketOption::SendBuffer(65536)).unwrap();
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        set_option(&u, SocketOption::Broadcast(true)).unwrap();
        let e = set_option(&c, SocketOption::Broadcast(true));
        assert!(e.is_ok() || e.unwrap_err().to_string().contains("SO_BROADCAST"));
        let e = set_option(&u, SocketOption::NoDelay(true)).unwrap_err();
        assert!(e.to_string().contains("TCP_NODELAY"), "{e}");
    });
});

per_driver!(dns_lookup_on_blocking_pool, 1, |rt: Runtime| {
    let addrs = rt.block_on(async { lookup_host(("localhost", 80)).await.unwrap() });
    assert!(addrs.iter().any(|a| a.ip().is_loopback()), "{addrs:?}");
});

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

per_driver!(tcp_vectored_round_trip, 2, |rt: Runtime| {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // An empty part and a part far larger than the socket buffer, so
        // writev returns short and resumes mid-buffer.
        let parts = vec![
            pattern(100, 1),
            Vec::new(),
            pattern(3 << 20, 2),
            pattern(7, 3),
        ];
        let want: Vec<u8> = parts.concat();
        let sent = parts.clone();
        let writer = spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let (res, back) = s.write_all_vectored_owned(sent).await;
            res.unwrap();
            let header = b"head:";
            let body = b"body";
            s.write_all_vectored(&[std::io::IoSlice::new(header), std::io::IoSlice::new(body)])
                .await
                .unwrap();
            back
        });
        let (s, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        let back = writer.await.unwrap();
        assert_eq!(back, parts, "buffers come back unchanged");
        assert_eq!(got.len(), want.len() + 9);
        assert!(got[..want.len()] == want[..], "writev bytes in order");
        assert_eq!(&got[want.len()..], b"head:body");
    });
});

per_driver!(tcp_read_vectored_fills_in_order, 2, |rt: Runtime| {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = listener.accept().await.unwrap();
        c.write_all(b"0123456789").await.unwrap();
        let mut first = Vec::with_capacity(4);
        first.extend_from_slice(b"<");
        let bufs = vec![first, Vec::new(), Vec::with_capacity(64)];
        let mut have = 0;
        let mut bufs = bufs;
        while have < 10 {
            let (res, b) = s.read_vectored_owned(bufs).await;
            bufs = b;
            have += res.unwrap();
        }
        assert_eq!(bufs[0], b"<012");
        assert!(bufs[1].is_empty());
        assert_eq!(bufs[2], b"3456789");
        drop(c);
        let (res, _) = s.read_vectored_owned(vec![Vec::with_capacity(8)]).await;
        assert_eq!(res.unwrap(), 0, "end of stream");
    });
});

per_driver!(pipe_vectored_round_trip, 2, |rt: Runtime| {
    rt.block_on(async {
        let (r, w) = spindle_rt::pipe::pipe().unwrap();
        let parts = vec![pattern(10, 4), pattern(200_000, 5), pattern(1, 6)];
        let want = parts.concat();
        let writer = spawn(async move {
            let (res, back) = w.write_all_vectored_owned(parts).await;
            res.unwrap();
            back.len()
        });
        let mut got = Vec::new();
        loop {
            let bufs = vec![Vec::with_capacity(1000), Vec::with_capacity(3000)];
            let (res, bufs) = r.read_vectored_owned(bufs).await;
            let n = res.unwrap();
            if n == 0 {
                break;
            }
            assert_eq!(bufs[0].len() + bufs[1].len(), n);
            assert!(
                bufs[1].is_empty() || bufs[0].len() == 1000,
                "filled in order"
            );
            got.extend_from_slice(&bufs[0]);
            got.extend_from_slice(&bufs[1]);
        }
        assert_eq!(writer.await.unwrap(), 3);
        assert!(got == want, "readv/writev bytes in order");
    });
});

// Bulk reads (full buffers: direct recv first) then request/response
// (short reads: poll-first recv) on the same stream keep every byte.
per_driver!(bulk_then_ping_pong_reads, 2, |rt: Runtime| {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let bulk = pattern(1 << 20, 9);
        let want = bulk.clone();
        let client = spawn(async move {
            let c = TcpStream::connect(addr).await.unwrap();
            c.write_all(&bulk).await.unwrap();
            for i in 0..50u32 {
                let msg = format!("ping {i}");
                c.write_all(msg.as_bytes()).await.unwrap();
                let mut back = vec![0u8; msg.len()];
                c.read_exact(&mut back).await.unwrap();
                assert_eq!(back, msg.as_bytes());
            }
        });
        let (s, _) = listener.accept().await.unwrap();
        let mut got = vec![0u8; want.len()];
        let mut buf = vec![0u8; 4096];
        let mut have = 0;
        while have < want.len() {
            let n = s
                .read(&mut buf[..(want.len() - have).min(4096)])
                .await
                .unwrap();
            got[have..have + n].copy_from_slice(&buf[..n]);
            have += n;
        }
        assert!(got == want, "bulk bytes in order");
        let mut echoed = 0;
        loop {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            s.write_all(&buf[..n]).await.unwrap();
            echoed += n;
        }
        client.await.unwrap();
        assert_eq!(
            echoed,
            (0..50).map(|i| format!("ping {i}").len()).sum::<usize>()
        );
    });
});

/// Polls every future inside the one task that awaits this, until all are done.
async fn join_in_one_task(mut futs: Vec<Pin<Box<dyn Future<Output = ()> + Send>>>) {
    std::future::poll_fn(move |cx| {
        futs.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futs.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// 16 connections to a std-thread echo peer that answers each round only
/// once every connection has spoken (so replies land in bursts), driven
/// by one task for 300 rounds with every byte checked. With `stuck`, the
/// same task also writes 8 MiB to one more peer that never reads, and
/// drops that write, still in flight, once the echoes are done. Returns
/// the offloaded sends.
fn lone_task_echo(rt: &Runtime, stuck: bool) -> u64 {
    const CONNS: usize = 16;
    const ROUNDS: usize = 300;
    const MSG: usize = 100;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let mut socks: Vec<_> = (0..CONNS).map(|_| listener.accept().unwrap().0).collect();
        let mut msgs = vec![[0u8; MSG]; CONNS];
        for _ in 0..ROUNDS {
            for (s, m) in socks.iter_mut().zip(&mut msgs) {
                s.read_exact(m).unwrap();
            }
            for (s, m) in socks.iter_mut().zip(&msgs) {
                s.write_all(m).unwrap();
            }
        }
    });
    let deaf = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let deaf_addr = deaf.local_addr().unwrap();
    let before = rt.stats().total(|w| w.ops_offloaded);
    let finished = rt.block_on(async move {
        let mut conns = Vec::new();
        for i in 0..CONNS {
            let s = TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            conns.push(Box::pin(async move {
                let mut back = [0u8; MSG];
                for round in 0..ROUNDS {
                    let msg = pattern(MSG, (i * 7 + round) as u8);
                    s.write_all(&msg).await.unwrap();
                    s.read_exact(&mut back).await.unwrap();
                    assert_eq!(&back[..], &msg[..], "conn {i} round {round}");
                }
            }) as Pin<Box<dyn Future<Output = ()> + Send>>);
        }
        let mut blocked = None;
        if stuck {
            let s = TcpStream::connect(deaf_addr).await.unwrap();
            blocked = Some(Box::pin(async move {
                let _ = s.write_all(&vec![1u8; 8 << 20]).await;
                unreachable!("nobody reads this connection");
            }));
        }
        let echoes = join_in_one_task(conns);
        let mut echoes = std::pin::pin!(echoes);
        // The echoes must finish while the stuck write stays pending.
        let all = std::future::poll_fn(move |cx| {
            if let Some(b) = blocked.as_mut() {
                assert!(b.as_mut().poll(cx).is_pending());
            }
            echoes.as_mut().poll(cx)
        });
        spindle_rt::time::timeout(Duration::from_secs(60), all)
            .await
            .is_ok()
    });
    assert!(finished, "the echoes stalled");
    peer.join().unwrap();
    drop(deaf);
    rt.stats().total(|w| w.ops_offloaded) - before
}

// One task serving many sockets cannot be spread over the workers, but its
// sends can: while the other worker sleeps and the ring is busy, they go to
// the ring's io-wq thread (`ops_offloaded`). Every byte must still arrive,
// in order, on every connection.
per_driver!(a_lone_busy_task_offloads_its_sends, 2, |rt: Runtime| {
    let offloaded = lone_task_echo(&rt, false);
    let st = rt.stats();
    let may = st.workers[0].ring_flags.is_some_and(|f| f.offload_sends);
    match rt.io_driver() {
        IoDriver::Uring if may => assert!(offloaded > 0, "no send was offloaded: {st:?}"),
        _ => assert_eq!(
            offloaded, 0,
            "no ring, or a kernel that blocks io-wq: {st:?}"
        ),
    }
});

// A peer that stops reading fills its connection's buffers; an offloaded
// send to it must wait in a poll, not in one of the ring's few io-wq threads, or
// every send queued behind it would stall. Dropping that send in flight
// cancels it.
per_driver!(
    a_stuck_peer_does_not_stall_the_other_sends,
    2,
    |rt: Runtime| {
        lone_task_echo(&rt, true);
    }
);

#[test]
fn sends_stay_inline_where_the_kernel_cannot_offload_them_safely() {
    let rt = Runtime::builder()
        .workers(2)
        .io(IoDriver::Uring)
        .unsupported_ring_features(spindle_rt::RingFlags {
            offload_sends: true,
            ..Default::default()
        })
        .build()
        .unwrap();
    assert_eq!(lone_task_echo(&rt, false), 0);
    let st = rt.stats();
    assert!(
        st.workers
            .iter()
            .all(|w| w.ring_flags.is_none_or(|f| !f.offload_sends)),
        "{st:?}"
    );
}
