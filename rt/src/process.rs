//! Child processes: `Command` (a thin layer over std's) with piped stdio as
//! async pipes, and an async `Child::wait`: IORING_OP_WAITID on io_uring
//! (kernel >= 6.7), else a pidfd polled for readability then reaped with
//! waitid(P_PIDFD, WNOHANG).
//!
//! Invariant: a child is reaped exactly once, by `wait`; std's `Child` is
//! used only to start the process and hand over its pipe ends.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};

use io_uring::{opcode, squeue};

use crate::driver::op::{Interest, Op, OpKind};
use crate::io::sys;
use crate::pipe::{PipeReader, PipeWriter};

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
        // SAFETY: plain syscall on a child we have not reaped yet.
        if unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGKILL) } < 0 {
            return Err(crate::driver::op::op_error(
                "kill",
                io::Error::last_os_error(),
            ));
        }
        Ok(())
    }

    /// Waits for the child to exit (closing our end of its stdin first).
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        drop(self.stdin.take());
        // SAFETY: plain syscall; the result is checked before use.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, self.pid as libc::pid_t, 0) };
        let pidfd = sys::owned(
            sys::cvt(pidfd as isize).map_err(|e| crate::driver::op::op_error("pidfd_open", e))?,
        );
        let status = Op::new(WaitId::new(self.pid, pidfd)).await?;
        self.status = Some(status);
        Ok(status)
    }
}

/// waitid for one child: WAITID op on the ring, pidfd readiness otherwise.
struct WaitId {
    pid: u32,
    pidfd: OwnedFd,
    info: Box<libc::siginfo_t>,
}

// SAFETY: the siginfo holds no live pointers we follow; it is plain data
// written by the kernel and read by whoever owns the op.
unsafe impl Send for WaitId {}

impl WaitId {
    fn new(pid: u32, pidfd: OwnedFd) -> Self {
        // SAFETY: siginfo_t is plain old data; zeroed is a valid value.
        let zero: libc::siginfo_t = unsafe { std::mem::zeroed() };
        WaitId {
            pid,
            pidfd,
            info: Box::new(zero),
        }
    }

    fn status(&self) -> ExitStatus {
        // SAFETY: waitid filled a SIGCHLD siginfo, whose status field is valid.
        let code = unsafe { self.info.si_status() };
        match self.info.si_code {
            libc::CLD_EXITED => ExitStatus::from_raw((code & 0xff) << 8),
            _ => ExitStatus::from_raw(code & 0x7f),
        }
    }
}

impl OpKind for WaitId {
    type Output = io::Result<ExitStatus>;
    const NAME: &'static str = "waitid";

    fn uring_entry(&mut self) -> squeue::Entry {
        let info: *mut libc::siginfo_t = &mut *self.info;
        opcode::WaitId::new(libc::P_PID, self.pid as libc::id_t, libc::WEXITED)
            .infop(info.cast_const())
            .build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: the siginfo buffer lives in this op.
        let r = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                self.pidfd.as_raw_fd() as libc::id_t,
                &mut *self.info,
                libc::WEXITED | libc::WNOHANG,
            )
        };
        sys::cvt(r as isize)?;
        // SAFETY: waitid filled (or zeroed) the siginfo.
        if unsafe { self.info.si_pid() } == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(0)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        Some((self.pidfd.as_raw_fd(), Interest::Read))
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(|_| self.status())
    }
}
