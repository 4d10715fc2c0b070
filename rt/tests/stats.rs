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
