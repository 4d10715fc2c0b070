//! The standard streams (`pipe::stdin`, `stdout`, `stderr`) in a real child
//! process, under both drivers.
//!
//! This binary is its own helper: run with `SPINDLE_STDIO_CHILD=<role>` it
//! is the child, builds a runtime (driver from `SPINDLE_STDIO_DRIVER`
//! through the builder, or from `SPINDLE_IO`), does the role with
//! spindle-rt's stdio types only, and reports the driver that actually ran
//! on stderr. Run plainly it is the parent: it spawns itself for each case
//! and driver and checks the bytes that come back.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use spindle_rt::pipe::{stderr, stdin, stdout};
use spindle_rt::{IoDriver, Runtime};

const ROLE: &str = "SPINDLE_STDIO_CHILD";
const DRIVER: &str = "SPINDLE_STDIO_DRIVER";

/// One parent-side case, run once per `Via`.
type Case = (&'static str, fn(Via));

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        child(role);
        return;
    }
    let cases: [Case; 5] = [
        ("echo_large_through_pipes", echo_large_through_pipes),
        ("empty_stdin", empty_stdin),
        ("file_stdin_and_stdout", file_stdin_and_stdout),
        ("interleaved_stdout_stderr", interleaved_stdout_stderr),
        ("closed_stdout_is_an_error", closed_stdout_is_an_error),
    ];
    let vias = [
        Via::Builder(IoDriver::Uring),
        Via::Builder(IoDriver::Epoll),
        Via::Env,
    ];
    for (name, case) in cases {
        for via in vias {
            case(via);
            println!("test stdio::{name}::{via:?} ... ok");
        }
    }
}

/// How the child picks its driver.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// `Builder::io(driver)`.
    Builder(IoDriver),
    /// `SPINDLE_IO=epoll` and the builder's default.
    Env,
}

impl Via {
    fn expected(self) -> IoDriver {
        match self {
            Via::Builder(d) => d,
            Via::Env => IoDriver::Epoll,
        }
    }
}

fn command(role: &str, via: Via) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("own path"));
    c.env(ROLE, role)
        .env_remove("SPINDLE_IO")
        .env_remove(DRIVER);
    match via {
        Via::Builder(IoDriver::Uring) => c.env(DRIVER, "uring"),
        Via::Builder(IoDriver::Epoll) => c.env(DRIVER, "epoll"),
        Via::Env => c.env("SPINDLE_IO", "epoll"),
    };
    c
}

/// The driver line the child writes last on stderr.
fn driver_line(via: Via) -> String {
    format!("driver={:?}\n", via.expected())
}

fn payload(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// 1 MiB in through stdin and back out through stdout, both pipes larger
/// than the kernel's pipe buffer so both sides must keep draining.
fn echo_large_through_pipes(via: Via) {
    let data = payload(1 << 20);
    let mut child = command("echo", via)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut to_child = child.stdin.take().unwrap();
    let sent = data.clone();
    let feeder = std::thread::spawn(move || to_child.write_all(&sent).unwrap());
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    feeder.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{via:?}: {err}");
    assert_eq!(out.len(), data.len(), "{via:?}");
    assert!(out == data, "{via:?}: echoed bytes differ");
    assert_eq!(err, format!("echoed {}\n{}", data.len(), driver_line(via)));
}

/// stdin at end of input from the start: the first read returns 0.
fn empty_stdin(via: Via) {
    let o = command("echo", via)
        .stdin(Stdio::null())
        .output()
        .expect("run child");
    assert!(o.status.success(), "{via:?}");
    assert!(o.stdout.is_empty());
    assert_eq!(
        o.stderr,
        format!("echoed 0\n{}", driver_line(via)).as_bytes()
    );
}

/// stdin redirected from a regular file and stdout into one.
fn file_stdin_and_stdout(via: Via) {
    let dir = tempfile::tempdir().unwrap();
    let data = payload(200_003);
    let input = dir.path().join("in");
    let output = dir.path().join("out");
    std::fs::write(&input, &data).unwrap();
    let o = command("echo", via)
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&output).unwrap())
        .output()
        .expect("run child");
    assert!(o.status.success(), "{via:?}");
    assert!(std::fs::read(&output).unwrap() == data, "{via:?}");
    assert_eq!(
        o.stderr,
        format!("echoed {}\n{}", data.len(), driver_line(via)).as_bytes()
    );
}

/// Alternating writes to stdout and stderr from two tasks each land whole
/// and in order on their own stream.
fn interleaved_stdout_stderr(via: Via) {
    let o = command("interleave", via)
        .stdin(Stdio::null())
        .output()
        .expect("run child");
    assert!(o.status.success(), "{via:?}");
    let want_out: String = (0..500).map(|i| format!("out {i}\n")).collect();
    let mut want_err: String = (0..500).map(|i| format!("err {i}\n")).collect();
    want_err.push_str(&driver_line(via));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), want_out, "{via:?}");
    assert_eq!(String::from_utf8(o.stderr).unwrap(), want_err, "{via:?}");
}

/// Writing to a stdout whose reader is gone fails with a broken pipe, and
/// the error names the operation.
fn closed_stdout_is_an_error(via: Via) {
    let mut child = command("epipe", via)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{via:?}: {err}");
    assert!(err.starts_with("error BrokenPipe write"), "{via:?}: {err}");
    assert!(err.ends_with(&driver_line(via)), "{via:?}: {err}");
}

fn child(role: String) {
    let mut b = Runtime::builder().workers(2);
    match std::env::var(DRIVER).as_deref() {
        Ok("uring") => b = b.io(IoDriver::Uring),
        Ok("epoll") => b = b.io(IoDriver::Epoll),
        _ => {}
    }
    let rt = b.build().expect("runtime");
    let driver = rt.io_driver();
    rt.block_on(async move {
        let err = stderr().unwrap();
        match role.as_str() {
            "echo" => {
                let (input, out) = (stdin().unwrap(), stdout().unwrap());
                // An odd buffer size so chunks never line up with the pipe's.
                let mut buf = vec![0u8; 7001];
                let mut total = 0;
                loop {
                    let n = input.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    out.write_all(&buf[..n]).await.unwrap();
                    total += n;
                }
                let line = format!("echoed {total}\n");
                err.write_all(line.as_bytes()).await.unwrap();
            }
            "interleave" => {
                let out = spindle_rt::spawn(async {
                    let out = stdout().unwrap();
                    for i in 0..500 {
                        out.write_all(format!("out {i}\n").as_bytes())
                            .await
                            .unwrap();
                        spindle_rt::yield_now().await;
                    }
                });
                for i in 0..500 {
                    err.write_all(format!("err {i}\n").as_bytes())
                        .await
                        .unwrap();
                    spindle_rt::yield_now().await;
                }
                out.await.unwrap();
            }
            "epipe" => {
                let out = stdout().unwrap();
                let chunk = [b'x'; 4096];
                let e = loop {
                    if let Err(e) = out.write_all(&chunk).await {
                        break e;
                    }
                };
                let line = format!("error {:?} {e}\n", e.kind());
                err.write_all(line.as_bytes()).await.unwrap();
            }
            other => panic!("unknown child role {other}"),
        }
        let line = format!("driver={driver:?}\n");
        err.write_all(line.as_bytes()).await.unwrap();
    });
}
