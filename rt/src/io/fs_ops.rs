//! File-system ops: openat, statx, fsync, unlinkat, renameat, mkdirat. Paths
//! are owned `CString`s inside the op, alive until the completion. Under
//! the epoll driver these run as direct syscalls (local files do not block
//! for long; there is no readiness to wait for).

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types};

use super::sys::cvt;
use crate::driver::op::{Interest, OpKind};

/// openat(AT_FDCWD, path, flags, mode).
pub(crate) struct OpenAt {
    pub(crate) path: CString,
    pub(crate) flags: libc::c_int,
    pub(crate) mode: libc::mode_t,
}

impl OpKind for OpenAt {
    type Output = io::Result<i32>;
    const NAME: &'static str = "open";
    const RESULT_IS_FD: bool = true;

    fn uring_entry(&mut self) -> squeue::Entry {
        opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(self.flags | libc::O_CLOEXEC)
            .mode(self.mode)
            .build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: the path is a live NUL-terminated string.
        cvt(unsafe {
            libc::openat(
                libc::AT_FDCWD,
                self.path.as_ptr(),
                self.flags | libc::O_CLOEXEC,
                self.mode as libc::c_uint,
            )
        } as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        None
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res
    }
}

/// statx of a path, or of an fd with an empty path.
pub(crate) struct Statx {
    pub(crate) dirfd: RawFd,
    pub(crate) path: CString,
    pub(crate) flags: libc::c_int,
    pub(crate) buf: Box<libc::statx>,
}

impl Statx {
    pub(crate) fn new(dirfd: RawFd, path: CString, flags: libc::c_int) -> Self {
        // SAFETY: statx is plain old data; zeroed is a valid value.
        let zero: libc::statx = unsafe { std::mem::zeroed() };
        Statx {
            dirfd,
            path,
            flags,
            buf: Box::new(zero),
        }
    }
}

impl OpKind for Statx {
    type Output = io::Result<libc::statx>;
    const NAME: &'static str = "statx";

    fn uring_entry(&mut self) -> squeue::Entry {
        let buf: *mut libc::statx = &mut *self.buf;
        opcode::Statx::new(types::Fd(self.dirfd), self.path.as_ptr(), buf.cast())
            .flags(self.flags)
            .mask(libc::STATX_BASIC_STATS)
            .build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: path and output buffer live in this op.
        cvt(unsafe {
            libc::statx(
                self.dirfd,
                self.path.as_ptr(),
                self.flags,
                libc::STATX_BASIC_STATS,
                &mut *self.buf,
            )
        } as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        None
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(|_| *self.buf)
    }
}

/// fsync / fdatasync.
pub(crate) struct Fsync {
    pub(crate) fd: RawFd,
    pub(crate) datasync: bool,
}

impl OpKind for Fsync {
    type Output = io::Result<()>;
    const NAME: &'static str = "fsync";

    fn uring_entry(&mut self) -> squeue::Entry {
        let mut e = opcode::Fsync::new(types::Fd(self.fd));
        if self.datasync {
            e = e.flags(types::FsyncFlags::DATASYNC);
        }
        e.build()
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: plain syscalls.
        let r = unsafe {
            if self.datasync {
                libc::fdatasync(self.fd)
            } else {
                libc::fsync(self.fd)
            }
        };
        cvt(r as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        None
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(drop)
    }
}

/// One of the path ops that return only success or failure.
pub(crate) enum PathOp {
    Unlink { path: CString, dir: bool },
    Rename { from: CString, to: CString },
    MkDir { path: CString, mode: libc::mode_t },
}

impl OpKind for PathOp {
    type Output = io::Result<()>;
    const NAME: &'static str = "path op";

    fn uring_entry(&mut self) -> squeue::Entry {
        let cwd = types::Fd(libc::AT_FDCWD);
        match self {
            PathOp::Unlink { path, dir } => opcode::UnlinkAt::new(cwd, path.as_ptr())
                .flags(if *dir { libc::AT_REMOVEDIR } else { 0 })
                .build(),
            PathOp::Rename { from, to } => {
                opcode::RenameAt::new(cwd, from.as_ptr(), cwd, to.as_ptr()).build()
            }
            PathOp::MkDir { path, mode } => {
                opcode::MkDirAt::new(cwd, path.as_ptr()).mode(*mode).build()
            }
        }
    }

    fn syscall(&mut self) -> io::Result<i32> {
        // SAFETY: every path is a live NUL-terminated string in this op.
        let r = unsafe {
            match self {
                PathOp::Unlink { path, dir } => libc::unlinkat(
                    libc::AT_FDCWD,
                    path.as_ptr(),
                    if *dir { libc::AT_REMOVEDIR } else { 0 },
                ),
                PathOp::Rename { from, to } => {
                    libc::renameat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr())
                }
                PathOp::MkDir { path, mode } => libc::mkdirat(libc::AT_FDCWD, path.as_ptr(), *mode),
            }
        };
        cvt(r as isize)
    }

    fn interest(&self) -> Option<(RawFd, Interest)> {
        None
    }

    fn complete(self, res: io::Result<i32>) -> Self::Output {
        res.map(drop)
    }
}
