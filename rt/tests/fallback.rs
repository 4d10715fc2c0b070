//! The automatic epoll fallback: a worker thread whose io_uring setup is
//! refused the way Docker's default seccomp profile refuses it (EPERM)
//! runs epoll instead, says so in its stats, and serves I/O.
//!
//! The seccomp filter is installed on a fresh thread only (filters and
//! no_new_privs are per thread and inherited by the threads it starts, so
//! the workers get it), leaving the other tests of this process alone.

use std::time::Duration;

use spindle_rt::{IoDriver, Runtime};

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// Makes io_uring_setup fail with EPERM on this thread and every thread it
/// starts from now on; every other syscall is allowed.
fn refuse_io_uring_setup() {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    // seccomp_data: nr at offset 0, arch at offset 4.
    let filter = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 3),
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        jump(
            BPF_JMP | BPF_JEQ | BPF_K,
            libc::SYS_io_uring_setup as u32,
            0,
            1,
        ),
        stmt(
            BPF_RET | BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        ),
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: plain prctl calls; `prog` and `filter` outlive them (the
    // kernel copies the program).
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        let r = libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &prog as *const libc::sock_fprog,
        );
        assert_eq!(r, 0, "seccomp: {}", std::io::Error::last_os_error());
    }
}

#[test]
fn uring_refused_by_seccomp_falls_back_to_epoll() {
    std::thread::spawn(|| {
        refuse_io_uring_setup();
        let rt = Runtime::builder()
            .workers(2)
            .io(IoDriver::Uring)
            .build()
            .expect("the runtime builds without io_uring");
        assert_eq!(rt.io_driver(), IoDriver::Epoll);
        let st = rt.stats();
        for w in &st.workers {
            assert_eq!(w.driver, Some(IoDriver::Epoll), "{w:?}");
            assert_eq!(w.ring_flags, None, "{w:?}");
            assert_eq!(w.uring_setup_errno, Some(libc::EPERM), "{w:?}");
        }
        // The fallback serves I/O: a TCP round trip and a timer.
        let echoed = rt.block_on(async {
            use spindle_rt::net::{TcpListener, TcpStream};
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            c.write_all(b"fallback").await.unwrap();
            let mut buf = [0u8; 8];
            s.read_exact(&mut buf).await.unwrap();
            spindle_rt::time::sleep(Duration::from_millis(1)).await;
            buf
        });
        assert_eq!(&echoed, b"fallback");
        let st = rt.stats();
        assert!(st.total(|w| w.ops_submitted) > 0, "{st:?}");
        rt.shutdown();
    })
    .join()
    .expect("the filtered thread's checks passed");
}

/// The same build on an unfiltered thread keeps io_uring (where the host
/// allows it) and reports no fallback.
#[test]
fn unfiltered_thread_reports_no_fallback() {
    let rt = Runtime::builder()
        .workers(1)
        .io(IoDriver::Uring)
        .build()
        .unwrap();
    let w = &rt.stats().workers[0];
    match w.driver {
        Some(IoDriver::Uring) => assert_eq!(w.uring_setup_errno, None, "{w:?}"),
        _ => assert!(w.uring_setup_errno.is_some(), "a fallback says why: {w:?}"),
    }
}
