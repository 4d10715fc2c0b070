//! Stats under both drivers: which driver and ring flags each worker
//! records, and the op counters (ring ops under io_uring, syscall ops
//! under epoll).

mod drivers;

use std::time::Duration;

use spindle_rt::fs::OpenOptions;
use spindle_rt::net::{TcpListener, TcpStream};
use spindle_rt::time::timeout;
use spindle_rt::{IoDriver, Runtime};

/// The running kernel's (major, minor) version.
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok());
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

per_driver!(stats_show_driver_and_flags, 2, |rt: Runtime| {
    rt.block_on(async {});
    let st = rt.stats();
    assert_eq!(st.workers.len(), 2);
    for w in &st.workers {
        assert_eq!(w.driver, Some(rt.io_driver()), "{w:?}");
        match w.driver {
            Some(IoDriver::Uring) => {
                let f = w.ring_flags.expect("ring flags recorded");
                assert!(f.single_issuer, "{f:?}");
                assert_eq!(w.uring_setup_errno, None, "{w:?}");
                if kernel_version() >= (6, 7) {
                    assert!(f.waitid, "WAITID is in 6.7: {f:?}");
                }
            }
            _ => assert_eq!(w.ring_flags, None, "no ring, no flags: {w:?}"),
        }
    }
    assert_eq!(st.driver(), Some(rt.io_driver()));
});

per_driver!(op_counters_count_every_op, 2, |rt: Runtime| {
    const OPS: u64 = 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counted");
    rt.block_on(async move {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .open(&path)
            .await
            .unwrap();
        for i in 0..OPS {
            assert_eq!(f.write_at(&[i as u8], i).await.unwrap(), 1);
        }
        for i in 0..OPS {
            let mut b = [0u8; 1];
            assert_eq!(f.read_at(&mut b, i).await.unwrap(), 1);
            assert_eq!(b[0], i as u8);
        }
        // A read that never gets data, dropped by a timeout: it was
        // submitted and, once cancelled, counts as completed too.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        let mut b = [0u8; 8];
        assert!(timeout(Duration::from_millis(5), s.read(&mut b))
            .await
            .is_err());
    });
    let counts = |rt: &Runtime| {
        let st = rt.stats();
        (st.total(|w| w.ops_submitted), st.total(|w| w.ops_completed))
    };
    // A cancelled ring op completes when its last CQE comes back, which
    // may be just after block_on returns: wait (bounded) for it.
    let mut seen = counts(&rt);
    for _ in 0..200 {
        if seen.0 == seen.1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        seen = counts(&rt);
    }
    let (submitted, completed) = seen;
    assert!(submitted > 2 * OPS, "{:?}", rt.stats());
    assert_eq!(
        completed,
        submitted,
        "nothing left in flight: {:?}",
        rt.stats()
    );
});

per_driver!(doorbells_between_workers_use_msg_ring, 2, |rt: Runtime| {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let msg_ring = |rt: &Runtime| rt.stats().total(|w| w.msg_ring_doorbells);
    let ran = Arc::new(AtomicUsize::new(0));
    // A worker spawning while the other is parked rings its doorbell from a
    // worker thread: through MSG_RING where the ring has it. Whether the
    // other worker is parked (rather than still searching) at that moment
    // is up to the scheduler, so give it a few rounds.
    for _ in 0..50 {
        let ran = ran.clone();
        rt.block_on(async move {
            spindle_rt::spawn(async move {
                spindle_rt::time::sleep(Duration::from_millis(5)).await;
                let hs: Vec<_> = (0..8)
                    .map(|_| {
                        let ran = ran.clone();
                        spindle_rt::spawn(async move {
                            ran.fetch_add(1, Ordering::Relaxed);
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        if msg_ring(&rt) > 0 {
            break;
        }
    }
    assert!(ran.load(Ordering::Relaxed) >= 8);
    let st = rt.stats();
    let uring_msg_ring = st.workers[0].ring_flags.is_some_and(|f| f.msg_ring);
    if uring_msg_ring {
        assert!(
            msg_ring(&rt) > 0,
            "worker-to-worker doorbells use MSG_RING: {st:?}"
        );
    } else {
        assert_eq!(msg_ring(&rt), 0, "no ring, no MSG_RING: {st:?}");
    }
});
