//! Files in temp dirs, pipes and child processes under both drivers.

mod drivers;

use std::process::Stdio;

use spindle_rt::fs::{self, File, OpenOptions};
use spindle_rt::process::Command;
use spindle_rt::Runtime;

per_driver!(file_round_trip_and_path_ops, 2, |rt: Runtime| {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    rt.block_on(async move {
        let p = base.join("a.txt");
        fs::write(&p, b"hello world").await.unwrap();
        assert_eq!(fs::read(&p).await.unwrap(), b"hello world");
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&p)
            .await
            .unwrap();
        f.write_at(b"WORLD", 6).await.unwrap();
        let mut five = [0u8; 5];
        assert_eq!(f.read_at(&mut five, 6).await.unwrap(), 5);
        assert_eq!(&five, b"WORLD");
        f.sync_all().await.unwrap();
        let m = f.metadata().await.unwrap();
        assert_eq!(m.len(), 11);
        assert!(m.is_file());
        let sub = base.join("sub");
        fs::create_dir(&sub).await.unwrap();
        assert!(fs::metadata(&sub).await.unwrap().is_dir());
        let q = sub.join("b.txt");
        fs::rename(&p, &q).await.unwrap();
        let e = File::open(&p).await.err().expect("old name is gone");
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().contains("open"), "{e}");
        fs::remove_file(&q).await.unwrap();
        fs::remove_dir(&sub).await.unwrap();
        assert!(fs::metadata(&sub).await.is_err());
        // A larger file read to the end.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(base.join("big"), &big).await.unwrap();
        assert_eq!(fs::read(base.join("big")).await.unwrap(), big);
    });
});

per_driver!(pipe_round_trip, 2, |rt: Runtime| {
    rt.block_on(async {
        let (r, w) = spindle_rt::pipe::pipe().unwrap();
        let writer = spindle_rt::spawn(async move {
            w.write_all(b"through the pipe").await.unwrap();
        });
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        writer.await.unwrap();
        assert_eq!(out, b"through the pipe");
    });
});

per_driver!(child_with_piped_stdio, 2, |rt: Runtime| {
    rt.block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        stdin.write_all(b"cat me").await.unwrap();
        drop(stdin);
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, b"cat me");
        assert!(child.wait().await.unwrap().success());
        let st = Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .unwrap()
            .wait()
            .await
            .unwrap();
        assert_eq!(st.code(), Some(3));
        let o = Command::new("sh")
            .args(["-c", "echo out; echo err >&2"])
            .output()
            .await
            .unwrap();
        assert_eq!(o.stdout, b"out\n");
        assert_eq!(o.stderr, b"err\n");
    });
});

// A read into a small slice after a large one never returns more than the
// slice holds (the cached read buffer is larger than the slice).
per_driver!(small_read_after_large_read, 2, |rt: Runtime| {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("data");
    std::fs::write(&p, vec![5u8; 10_000]).unwrap();
    rt.block_on(async move {
        let f = File::open(&p).await.unwrap();
        let mut big = vec![0u8; 8192];
        assert_eq!(f.read_at(&mut big, 0).await.unwrap(), 8192);
        let mut small = [0u8; 7];
        assert_eq!(f.read_at(&mut small, 100).await.unwrap(), 7);
        assert_eq!(small, [5u8; 7]);
        let (r, w) = spindle_rt::pipe::pipe().unwrap();
        w.write_all(&[1u8; 5000]).await.unwrap();
        assert_eq!(r.read(&mut big).await.unwrap(), 5000);
        w.write_all(&[2u8; 5000]).await.unwrap();
        let n = r.read(&mut small).await.unwrap();
        assert!(n <= 7 && n > 0);
        assert_eq!(&small[..n], &[2u8; 7][..n]);
    });
});

/// Children exiting with different codes, and one killed by a signal,
/// waited for concurrently: every wait reports its own child's status.
fn wait_reports_exit_codes(rt: &Runtime) {
    use std::os::unix::process::ExitStatusExt;
    rt.block_on(async {
        let waits: Vec<_> = (0..8)
            .map(|code| {
                spindle_rt::spawn(async move {
                    let mut child = Command::new("sh")
                        .args(["-c", &format!("exit {code}")])
                        .spawn()
                        .unwrap();
                    (code, child.wait().await.unwrap())
                })
            })
            .collect();
        for w in waits {
            let (code, status) = w.await.unwrap();
            assert_eq!(status.code(), Some(code), "{status:?}");
        }
        let mut sleeper = Command::new("sleep").arg("3600").spawn().unwrap();
        sleeper.kill().unwrap();
        let status = sleeper.wait().await.unwrap();
        assert_eq!(status.code(), None, "{status:?}");
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
        // A second wait returns the status recorded by the first.
        assert_eq!(sleeper.wait().await.unwrap(), status);
    });
}

per_driver!(wait_reports_exit_codes_and_signals, 2, |rt: Runtime| {
    wait_reports_exit_codes(&rt);
});

/// A ring told that IORING_OP_WAITID is missing (as on kernels before
/// 6.7) records that in its flags, and `Child::wait` still reports every
/// status, by polling the pidfd through the ring.
#[test]
fn wait_without_ring_waitid_polls_the_pidfd() {
    let rt = Runtime::builder()
        .workers(2)
        .io(spindle_rt::IoDriver::Uring)
        .unsupported_ring_features(spindle_rt::RingFlags {
            waitid: true,
            ..Default::default()
        })
        .build()
        .unwrap();
    rt.block_on(async {});
    for w in rt.stats().workers {
        if let Some(f) = w.ring_flags {
            assert!(!f.waitid, "the mask turned WAITID off: {f:?}");
        }
    }
    wait_reports_exit_codes(&rt);
}
