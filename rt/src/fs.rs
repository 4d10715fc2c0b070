//! Files and file-system operations on the ring: open/create, read/write
//! (at the current position or an offset), read_to_end, fsync, metadata
//! (statx), remove, rename, mkdir.
//!
//! Invariant: every path is copied into an owned `CString` inside its op,
//! and every error names the operation and the path it failed on.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::driver::op::Op;
use crate::io::fd::{FdKind, IoFd};
use crate::io::fs_ops::{Fsync, OpenAt, PathOp, Statx};
use crate::io::sys;

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

fn with_path<T>(what: &str, path: &Path, r: io::Result<T>) -> io::Result<T> {
    r.map_err(|e| io::Error::new(e.kind(), format!("{what} {}: {e}", path.display())))
}

/// How to open a file.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    create: bool,
    truncate: bool,
    create_new: bool,
    custom_flags: i32,
    mode: Option<u32>,
}

impl OpenOptions {
    /// All options off.
    pub fn new() -> Self {
        Self::default()
    }
    /// Open for reading.
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.read = on;
        self
    }
    /// Open for writing.
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.write = on;
        self
    }
    /// Append to the end.
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.append = on;
        self
    }
    /// Create if missing.
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.create = on;
        self
    }
    /// Truncate to zero length.
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.truncate = on;
        self
    }
    /// Create the file, failing if it exists (O_CREAT | O_EXCL).
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.create_new = on;
        self
    }
    /// Extra `open(2)` flags or-ed in (e.g. O_SYNC, O_NOCTTY).
    pub fn custom_flags(&mut self, flags: i32) -> &mut Self {
        self.custom_flags = flags;
        self
    }
    /// Permission bits for a created file (default 0o666 before umask).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = Some(mode);
        self
    }

    /// Opens `path` with these options.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref();
        let mut flags = match (self.read, self.write || self.append) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
        if self.append {
            flags |= libc::O_APPEND;
        }
        if self.create {
            flags |= libc::O_CREAT;
        }
        if self.truncate {
            flags |= libc::O_TRUNC;
        }
        if self.create_new {
            flags |= libc::O_CREAT | libc::O_EXCL;
        }
        flags |= self.custom_flags & !libc::O_ACCMODE;
        let op = OpenAt {
            path: cpath(path)?,
            flags,
            mode: self.mode.unwrap_or(0o666) as libc::mode_t,
        };
        let fd = with_path("open", path, Op::new(op).await)?;
        Ok(File {
            io: IoFd::new(sys::owned(fd), FdKind::File),
        })
    }
}

/// An open file.
pub struct File {
    io: IoFd,
}

/// What `metadata` reports.
#[derive(Debug, Clone)]
pub struct Metadata {
    len: u64,
    mode: u32,
    modified: SystemTime,
}

impl Metadata {
    fn from_statx(s: &libc::statx) -> Metadata {
        let modified =
            SystemTime::UNIX_EPOCH + Duration::new(s.stx_mtime.tv_sec as u64, s.stx_mtime.tv_nsec);
        Metadata {
            len: s.stx_size,
            mode: u32::from(s.stx_mode),
            modified,
        }
    }
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }
    /// True for a zero-length file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }
    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }
    /// Permission bits.
    pub fn permissions_mode(&self) -> u32 {
        self.mode & 0o7777
    }
    /// Last modification time.
    pub fn modified(&self) -> SystemTime {
        self.modified
    }
}

impl File {
    /// Opens an existing file for reading.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Creates (or truncates) a file for writing.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Reads at the current position.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_at(buf, u64::MAX).await
    }

    /// Reads at `offset` (the position does not move).
    pub async fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.io.read_at(buf, offset).await
    }

    /// Writes at the current position.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_at(buf, u64::MAX).await
    }

    /// Writes at `offset`.
    pub async fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.io.write_at(buf, offset).await
    }

    /// Writes all of `buf` at the current position.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Reads from the current position to the end.
    pub async fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.io.read_to_end(out, u64::MAX).await
    }

    /// Flushes data and metadata to disk.
    pub async fn sync_all(&self) -> io::Result<()> {
        Op::new(Fsync {
            fd: self.io.raw(),
            datasync: false,
        })
        .await
    }

    /// Flushes data to disk.
    pub async fn sync_data(&self) -> io::Result<()> {
        Op::new(Fsync {
            fd: self.io.raw(),
            datasync: true,
        })
        .await
    }

    /// Size, type, mode and times.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let op = Statx::new(self.io.raw(), CString::default(), libc::AT_EMPTY_PATH);
        Ok(Metadata::from_statx(&Op::new(op).await?))
    }
}

impl From<std::os::fd::OwnedFd> for File {
    /// Adopts an open file descriptor (e.g. a duplicate of a `std::fs::File`).
    fn from(fd: std::os::fd::OwnedFd) -> File {
        File {
            io: IoFd::new(fd, FdKind::File),
        }
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.borrow_fd()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.io.raw()
    }
}

/// Reads a whole file.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref();
    let f = File::open(path).await?;
    let mut out = Vec::new();
    with_path("read", path, f.read_to_end(&mut out).await)?;
    Ok(out)
}

/// Writes a whole file (created or truncated).
pub async fn write(path: impl AsRef<Path>, data: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref();
    let f = File::create(path).await?;
    with_path("write", path, f.write_all(data.as_ref()).await)
}

/// Metadata of `path` (following symlinks).
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref();
    let s = with_path(
        "metadata",
        path,
        Op::new(Statx::new(libc::AT_FDCWD, cpath(path)?, 0)).await,
    )?;
    Ok(Metadata::from_statx(&s))
}

/// Removes a file.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref();
    with_path(
        "remove_file",
        path,
        Op::new(PathOp::Unlink {
            path: cpath(path)?,
            dir: false,
        })
        .await,
    )
}

/// Removes an empty directory.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref();
    with_path(
        "remove_dir",
        path,
        Op::new(PathOp::Unlink {
            path: cpath(path)?,
            dir: true,
        })
        .await,
    )
}

/// Renames `from` to `to`.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref(), to.as_ref());
    with_path(
        "rename",
        from,
        Op::new(PathOp::Rename {
            from: cpath(from)?,
            to: cpath(to)?,
        })
        .await,
    )
}

/// Creates a directory (mode 0o777 before umask).
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref();
    with_path(
        "create_dir",
        path,
        Op::new(PathOp::MkDir {
            path: cpath(path)?,
            mode: 0o777,
        })
        .await,
    )
}
