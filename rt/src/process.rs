//! Child processes: `Command` (a thin layer over std's) with piped stdio as
//! async pipes, and an async `Child::wait`: IORING_OP_WAITID on io_uring
//! when the ring's probe found it (kernel >= 6.7, `RingFlags::waitid`),
//! else a pidfd polled for readability (through the ring, or epoll) then
//! reaped with waitid(P_PIDFD, WNOHANG).
//!
//! Invariant: a child is reaped exactly once, by `wait`; std's `Child` is
//! used only to start the process and hand over its pipe ends.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::process::{ExitStatus, Stdio};

use crate::driver::op::Op;
use crate::io::proc_ops::WaitId;
use crate::io::sys;
use crate::pipe::{PipeReader, PipeWriter};
use crate::sched::context;

/// Builds a child process.
pub struct Command {
    inner: std::process::Command,
}

impl Command {
    /// A command running `program`.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            inner: std::process::Command::new(program),
        }
    }
    /// Adds an argument.
    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Self {
        self.inner.arg(a);
        self
    }
    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, args: I) -> &mut Self {
        self.inner.args(args);
        self
    }
    /// Sets an environment variable.
    pub fn env(&mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> &mut Self {
        self.inner.env(k, v);
        self
    }
    /// Clears the inherited environment (only variables set with `env` remain).
    pub fn env_clear(&mut self) -> &mut Self {
        self.inner.env_clear();
        self
    }
    /// Sets the working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<std::path::Path>) -> &mut Self {
        self.inner.current_dir(dir);
        self
    }
    /// Configures stdin (e.g. `Stdio::piped()`).
    pub fn stdin(&mut self, s: Stdio) -> &mut Self {
        self.inner.stdin(s);
        self
    }
    /// Configures stdout.
    pub fn stdout(&mut self, s: Stdio) -> &mut Self {
        self.inner.stdout(s);
        self
    }
    /// Configures stderr.
    pub fn stderr(&mut self, s: Stdio) -> &mut Self {
        self.inner.stderr(s);
        self
    }

    /// Starts the process.
    pub fn spawn(&mut self) -> io::Result<Child> {
        let mut c = self
            .inner
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("spawn: {e}")))?;
        let stdin = c
            .stdin
            .take()
            .map(|s| PipeWriter::from_fd(OwnedFd::from(s)));
        let stdout = c
            .stdout
            .take()
            .map(|s| PipeReader::from_fd(OwnedFd::from(s)));
        let stderr = c
            .stderr
            .take()
            .map(|s| PipeReader::from_fd(OwnedFd::from(s)));
        Ok(Child {
            pid: c.id(),
            stdin,
            stdout,
            stderr,
            status: None,
        })
    }

    /// Runs the process to completion, collecting stdout and stderr.
    pub async fn output(&mut self) -> io::Result<std::process::Output> {
        self.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.spawn()?;
        let (out, err) = (child.stdout.take(), child.stderr.take());
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        if let Some(o) = &out {
            o.read_to_end(&mut stdout).await?;
        }
        if let Some(e) = &err {
            e.read_to_end(&mut stderr).await?;
        }
        let status = child.wait().await?;
        Ok(std::process::Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Sends signal `sig` to process `pid` (for callers that keep only the pid
/// while `Child::wait` runs elsewhere).
pub fn signal(pid: u32, sig: i32) -> io::Result<()> {
    sys::kill(pid, sig)
}

/// A running (or finished) child process.
pub struct Child {
    pid: u32,
    /// The child's stdin, if piped.
    pub stdin: Option<PipeWriter>,
    /// The child's stdout, if piped.
    pub stdout: Option<PipeReader>,
    /// The child's stderr, if piped.
    pub stderr: Option<PipeReader>,
    status: Option<ExitStatus>,
}

impl Child {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Sends SIGKILL.
    pub fn kill(&self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        sys::kill(self.pid, libc::SIGKILL)
    }

    /// Waits for the child to exit (closing our end of its stdin first).
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        drop(self.stdin.take());
        let ring_waitid =
            context::with_worker(|w| w.and_then(|w| w.ring_flags()).is_some_and(|f| f.waitid));
        let status = loop {
            let pidfd = sys::pidfd_open(self.pid)?;
            match Op::new(WaitId::new(self.pid, pidfd, ring_waitid)).await {
                // The pidfd poll came back but the child was not reaped yet
                // (a readable pidfd should rule this out): wait again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                res => break res?,
            }
        };
        self.status = Some(status);
        Ok(status)
    }
}
