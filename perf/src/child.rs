//! Runs one child process and measures it: wall time, peak RSS, exit.
//!
//! This is the only module with `unsafe` (the raw `waitid`, `kill` and `wait4`
//! calls). The protocol, step by step:
//! 1. Spawn the child with stdin from /dev/null and stdout/stderr going to
//!    files (no pipes, so the child can never block on a full pipe).
//! 2. A watchdog thread waits on a condvar until the deadline.
//! 3. The main thread blocks in `waitid(WEXITED | WNOWAIT)`: it learns that the
//!    child has exited but leaves it a zombie, so its pid cannot be reused.
//! 4. The main thread sets `done` under the mutex and wakes the watchdog. The
//!    watchdog sends SIGKILL only if the deadline passed while `done` was false;
//!    since the pid is not reaped before `done` is set, the kill can only hit
//!    our child.
//! 5. `wait4` reaps the child and returns its `rusage`; `ru_maxrss` (KiB on
//!    Linux) is the peak RSS.
//!
//! Caveat (documented in perf/README.md): Linux carries the forking parent's
//! RSS over the exec into `ru_maxrss`, so the runner's own small footprint is a
//! floor under every peak-RSS figure; the report header prints that floor.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A fully resolved command line: program, arguments and extra environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub argv: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl Launch {
    pub fn new<I, S>(argv: I) -> Launch
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Launch {
            argv: argv.into_iter().map(Into::into).collect(),
            env: Vec::new(),
        }
    }
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
}

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub wall: Duration,
    pub max_rss_kib: u64,
    pub exit: Exit,
}

/// Runs `launch` in `cwd`, sending its stdout and stderr to the given files,
/// killing it after `timeout`.
pub fn run(
    launch: &Launch,
    cwd: &Path,
    stdout: &Path,
    stderr: &Path,
    timeout: Duration,
) -> io::Result<Sample> {
    let (program, args) = launch
        .argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command line"))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(File::create(stdout)?)
        .stderr(File::create(stderr)?);

    let start = Instant::now();
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let watchdog = {
        let done = Arc::clone(&done);
        let deadline = start + timeout;
        thread::spawn(move || watch(pid, deadline, &done))
    };

    let waited = wait_exited(pid);
    let wall = start.elapsed();
    {
        let (lock, cvar) = &*done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
    }
    let killed = watchdog.join().unwrap_or(false);
    // Reap even if waitid failed, so no zombie is left behind.
    let (status, max_rss_kib) = reap(pid)?;
    waited?;
    drop(child);

    let exit = if killed {
        Exit::TimedOut
    } else if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(-1)
    };
    Ok(Sample {
        wall,
        max_rss_kib,
        exit,
    })
}

/// The watchdog: returns true if it killed the child.
fn watch(pid: libc::pid_t, deadline: Instant, done: &(Mutex<bool>, Condvar)) -> bool {
    let (lock, cvar) = done;
    let mut finished = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if *finished {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            // SAFETY: `finished` is false and we hold the lock, so the main
            // thread has not reaped `pid` yet (it reaps only after setting
            // `finished`); the pid still names our child (maybe a zombie).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        finished = cvar
            .wait_timeout(finished, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Blocks until `pid` has exited, without reaping it.
fn wait_exited(pid: libc::pid_t) -> io::Result<()> {
    loop {
        // SAFETY: siginfo_t is plain old data; all-zero is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t that outlives the call.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reaps `pid`, returning its wait status and peak RSS in KiB.
fn reap(pid: libc::pid_t) -> io::Result<(libc::c_int, u64)> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data; all-zero is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `usage` are valid and writable for the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, u64::try_from(usage.ru_maxrss).unwrap_or(0)));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> (Sample, String) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let err = dir.path().join("err");
        let launch = Launch::new(["/bin/sh", "-c", script]);
        let sample = run(&launch, dir.path(), &out, &err, timeout).unwrap();
        (sample, std::fs::read_to_string(out).unwrap())
    }

    #[test]
    fn captures_stdout_and_exit_code() {
        let (sample, out) = sh("echo hello; exit 3", Duration::from_secs(30));
        assert_eq!(out, "hello\n");
        assert_eq!(sample.exit, Exit::Code(3));
        assert!(sample.max_rss_kib > 0);
    }

    #[test]
    fn reports_a_signal() {
        let (sample, _) = sh("kill -TERM $$", Duration::from_secs(30));
        assert_eq!(sample.exit, Exit::Signal(libc::SIGTERM));
    }

    #[test]
    fn kills_a_child_past_its_timeout() {
        let (sample, _) = sh("exec sleep 30", Duration::from_millis(200));
        assert_eq!(sample.exit, Exit::TimedOut);
    }

    #[test]
    fn env_and_cwd_reach_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let err = dir.path().join("err");
        let mut launch = Launch::new(["/bin/sh", "-c", "echo $PERF_X; pwd"]);
        launch.env.push(("PERF_X".into(), "42".into()));
        run(&launch, dir.path(), &out, &err, Duration::from_secs(30)).unwrap();
        let text = std::fs::read_to_string(out).unwrap();
        let cwd = dir.path().canonicalize().unwrap();
        assert_eq!(text, format!("42\n{}\n", cwd.display()));
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let launch = Launch::new(["/nonexistent/program"]);
        let r = run(
            &launch,
            dir.path(),
            &dir.path().join("o"),
            &dir.path().join("e"),
            Duration::from_secs(5),
        );
        assert!(r.is_err());
    }
}
