//! Thin, checked wrappers over the socket and fd syscalls the I/O types
//! need outside the rings (socket setup, options, addresses), plus
//! conversions between `SocketAddr` and `sockaddr_storage`. All libc
//! `unsafe` of the I/O layer outside the drivers lives here.
//!
//! Invariant: every wrapper returns an `io::Error` naming the call that failed.

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::driver::op::op_error;

fn check(name: &str, ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        return Err(op_error(name, io::Error::last_os_error()));
    }
    Ok(ret)
}

/// A socket address in the kernel's layout, with its length.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::socklen_t,
}

impl RawAddr {
    pub(crate) fn empty() -> RawAddr {
        // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
        let storage = unsafe { MaybeUninit::<libc::sockaddr_storage>::zeroed().assume_init() };
        RawAddr {
            storage,
            len: size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    pub(crate) fn from_inet(addr: &SocketAddr) -> RawAddr {
        let mut raw = RawAddr::empty();
        match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
                unsafe {
                    std::ptr::write(
                        (&mut raw.storage as *mut libc::sockaddr_storage).cast(),
                        sin,
                    )
                };
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
                unsafe {
                    std::ptr::write(
                        (&mut raw.storage as *mut libc::sockaddr_storage).cast(),
                        sin6,
                    )
                };
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    pub(crate) fn from_path(path: &Path) -> io::Result<RawAddr> {
        let mut raw = RawAddr::empty();
        let bytes = path.as_os_str().as_bytes();
        // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_un.
        let sun = unsafe {
            &mut *(&mut raw.storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_un>()
        };
        if bytes.len() >= sun.sun_path.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "unix socket path too long",
            ));
        }
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (d, s) in sun.sun_path.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        // An abstract name (leading NUL) is exactly its bytes; a path also
        // counts its terminating NUL.
        let nul = usize::from(bytes.first() != Some(&0));
        raw.len = (size_of::<libc::sa_family_t>() + bytes.len() + nul) as libc::socklen_t;
        Ok(raw)
    }

    /// The path of a Unix-domain address: empty for an unnamed socket, a
    /// leading NUL for an abstract one.
    pub(crate) fn unix_path(&self) -> io::Result<Vec<u8>> {
        if self.storage.ss_family as libc::c_int != libc::AF_UNIX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a unix socket address",
            ));
        }
        // SAFETY: the family says the storage holds a sockaddr_un.
        let sun = unsafe {
            &*(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_un>()
        };
        let n = (self.len as usize)
            .saturating_sub(size_of::<libc::sa_family_t>())
            .min(sun.sun_path.len());
        let mut path: Vec<u8> = sun.sun_path[..n].iter().map(|c| *c as u8).collect();
        if path.first() != Some(&0) {
            if let Some(end) = path.iter().position(|b| *b == 0) {
                path.truncate(end);
            }
        }
        Ok(path)
    }

    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        (&mut self.storage as *mut libc::sockaddr_storage).cast()
    }

    pub(crate) fn socket_addr(self) -> io::Result<SocketAddr> {
        match self.storage.ss_family as libc::c_int {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a sockaddr_in.
                let sin = unsafe {
                    &*(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>()
                };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Ok(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says the storage holds a sockaddr_in6.
                let s = unsafe {
                    &*(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
                };
                let ip = Ipv6Addr::from(s.sin6_addr.s6_addr);
                Ok(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(s.sin6_port),
                    s.sin6_flowinfo,
                    s.sin6_scope_id,
                )))
            }
            f => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected address family {f}"),
            )),
        }
    }
}

/// A new socket (close-on-exec; non-blocking when `nonblocking`).
pub(crate) fn socket(
    domain: libc::c_int,
    ty: libc::c_int,
    nonblocking: bool,
) -> io::Result<OwnedFd> {
    let flags = libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
    // SAFETY: plain syscall; the result is checked.
    let fd = check("socket", unsafe { libc::socket(domain, ty | flags, 0) })?;
    // SAFETY: `fd` is new and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(crate) fn bind(fd: RawFd, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: `addr` points to `addr.len` valid bytes.
    check("bind", unsafe { libc::bind(fd, addr.as_ptr(), addr.len) }).map(drop)
}

pub(crate) fn listen(fd: RawFd, backlog: i32) -> io::Result<()> {
    // SAFETY: plain syscall.
    check("listen", unsafe { libc::listen(fd, backlog) }).map(drop)
}

pub(crate) fn set_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
    what: &str,
) -> io::Result<()> {
    set_opt_struct(fd, level, name, &value, what)
}

/// `setsockopt` with a plain-data value (an int, `ip_mreq`, `ipv6_mreq`).
pub(crate) fn set_opt_struct<T: Copy>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    what: &str,
) -> io::Result<()> {
    // SAFETY: passing a pointer to a live `T` and its exact size; the
    // kernel only reads it.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    check(what, r).map(drop)
}

pub(crate) fn get_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    what: &str,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: passing a pointer to a live c_int and its size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    check(what, r).map(|_| value)
}

pub(crate) fn local_addr(fd: RawFd) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: `a` has room for any address and `len` says how much.
    check("getsockname", unsafe {
        libc::getsockname(fd, a.as_mut_ptr(), &mut a.len)
    })?;
    Ok(a)
}

pub(crate) fn peer_addr(fd: RawFd) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: as in `local_addr`.
    check("getpeername", unsafe {
        libc::getpeername(fd, a.as_mut_ptr(), &mut a.len)
    })?;
    Ok(a)
}

/// True if `fd`'s open file description has O_NONBLOCK.
pub(crate) fn is_nonblocking(fd: RawFd) -> io::Result<bool> {
    // SAFETY: plain fcntl call; the result is checked.
    let flags = check("fcntl(F_GETFL)", unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    Ok(flags & libc::O_NONBLOCK != 0)
}

pub(crate) fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: plain fcntl calls on an fd the caller owns.
    let flags = check("fcntl(F_GETFL)", unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let next = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    // SAFETY: as above.
    check("fcntl(F_SETFL)", unsafe {
        libc::fcntl(fd, libc::F_SETFL, next)
    })
    .map(drop)
}

/// A pipe: (read end, write end), close-on-exec.
pub(crate) fn pipe(nonblocking: bool) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    let flags = libc::O_CLOEXEC | if nonblocking { libc::O_NONBLOCK } else { 0 };
    // SAFETY: `fds` has room for the two descriptors.
    check("pipe2", unsafe { libc::pipe2(fds.as_mut_ptr(), flags) })?;
    // SAFETY: both fds are new and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Wraps a raw result (`>= 0` or `-1` with errno) of a direct syscall.
pub(crate) fn cvt(ret: isize) -> io::Result<i32> {
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ret as i32)
}

/// Takes ownership of an fd returned by a completed op.
pub(crate) fn owned(fd: i32) -> OwnedFd {
    // SAFETY: the op returned a fresh descriptor nobody else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A non-blocking, close-on-exec eventfd (a worker's doorbell).
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is checked.
    let fd = check("eventfd", unsafe {
        libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)
    })?;
    Ok(owned(fd))
}

/// Adds one to an eventfd's counter (errors are ignored: a full counter
/// already means "wake up").
pub(crate) fn eventfd_ring(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: writing 8 bytes from a live u64.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

/// Duplicates `fd` (close-on-exec, number >= 3).
pub(crate) fn dup(fd: RawFd, what: &str) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is checked.
    let new = check(what, unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) })?;
    Ok(owned(new))
}

/// A blocking read of up to `cap` bytes (for the blocking pool).
pub(crate) fn read_blocking(fd: RawFd, cap: usize) -> io::Result<Vec<u8>> {
    let mut v = vec![0u8; cap];
    // SAFETY: reading at most `cap` bytes into a live buffer of that size.
    let n = cvt(unsafe { libc::read(fd, v.as_mut_ptr().cast(), cap) })?;
    v.truncate(n as usize);
    Ok(v)
}

/// How `write_nowait` writes to a descriptor without waiting for room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoWait {
    /// `pwritev2(RWF_NOWAIT)`: pipes.
    Flag,
    /// A plain write: regular files, block devices and character devices
    /// other than terminals never wait for room.
    Plain,
    /// `send(MSG_DONTWAIT)`.
    Socket,
    /// `poll` for room, then write at most one page (terminals, which a
    /// ready poll lets take a page).
    Poll,
}

/// What kind of descriptor `fd` is, for `write_nowait`.
pub(crate) fn nowait_kind(fd: RawFd) -> io::Result<NoWait> {
    // SAFETY: fstat into a zeroed stat struct owned here.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out-pointer for the call.
    cvt(unsafe { libc::fstat(fd, &mut st) } as isize)?;
    Ok(match st.st_mode & libc::S_IFMT {
        libc::S_IFIFO => NoWait::Flag,
        // SAFETY: plain query on a descriptor we hold.
        libc::S_IFCHR if unsafe { libc::isatty(fd) } == 1 => NoWait::Poll,
        // Other character devices (/dev/null) do not wait for room.
        libc::S_IFREG | libc::S_IFBLK | libc::S_IFCHR => NoWait::Plain,
        libc::S_IFSOCK => NoWait::Socket,
        _ => NoWait::Poll,
    })
}

/// Writes what `fd` takes now without waiting for room: the count (maybe
/// short), or `WouldBlock`. A pipe that refuses `RWF_NOWAIT` (EOPNOTSUPP)
/// turns `how` into `Poll`.
pub(crate) fn write_nowait(fd: RawFd, buf: &[u8], how: &mut NoWait) -> io::Result<usize> {
    match *how {
        NoWait::Flag => {
            let iov = libc::iovec {
                iov_base: buf.as_ptr() as *mut libc::c_void,
                iov_len: buf.len(),
            };
            // SAFETY: one iovec over a live buffer of that length; offset
            // -1 is the file position, as write(2) uses.
            let n = unsafe { libc::pwritev2(fd, &iov, 1, -1, libc::RWF_NOWAIT) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EOPNOTSUPP) {
                return Err(e);
            }
            *how = NoWait::Poll;
            write_nowait(fd, buf, how)
        }
        NoWait::Plain => {
            // SAFETY: writing from a live buffer of `buf.len()` bytes.
            Ok(cvt(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })? as usize)
        }
        NoWait::Socket => {
            // SAFETY: as above; MSG_DONTWAIT makes this one send non-blocking.
            let n = unsafe {
                libc::send(
                    fd,
                    buf.as_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            Ok(cvt(n)? as usize)
        }
        NoWait::Poll => {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLOUT,
                revents: 0,
            };
            // SAFETY: one pollfd owned here, zero timeout.
            let ready = cvt(unsafe { libc::poll(&mut p, 1, 0) } as isize)?;
            if ready == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let len = buf.len().min(4096);
            // SAFETY: writing from a live buffer of at least `len` bytes.
            Ok(cvt(unsafe { libc::write(fd, buf.as_ptr().cast(), len) })? as usize)
        }
    }
}

/// A connected pair of Unix stream sockets.
pub(crate) fn socketpair(nonblocking: bool) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    let ty =
        libc::SOCK_STREAM | libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
    // SAFETY: `fds` has room for both descriptors.
    check("socketpair", unsafe {
        libc::socketpair(libc::AF_UNIX, ty, 0, fds.as_mut_ptr())
    })?;
    Ok((owned(fds[0]), owned(fds[1])))
}

/// Sends `sig` to process `pid`.
pub(crate) fn kill(pid: u32, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: plain syscall.
    check("kill", unsafe { libc::kill(pid as libc::pid_t, sig) }).map(drop)
}

/// A pidfd for child `pid`.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is checked.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    let fd = cvt(r as isize).map_err(|e| op_error("pidfd_open", e))?;
    Ok(owned(fd))
}

#[cfg(test)]
mod tests {
    use super::{nowait_kind, pipe, write_nowait, NoWait};
    use std::io::{ErrorKind, Read};
    use std::os::fd::AsRawFd;

    #[test]
    fn nowait_write_to_a_full_blocking_pipe_stops_instead_of_blocking() {
        let (r, w) = pipe(false).expect("pipe");
        let mut how = nowait_kind(w.as_raw_fd()).expect("fstat");
        assert_eq!(how, NoWait::Flag);
        let chunk = vec![7u8; 16 * 1024];
        let mut total = 0;
        let err = loop {
            match write_nowait(w.as_raw_fd(), &chunk, &mut how) {
                Ok(n) => total += n,
                Err(e) => break e,
            }
            assert!(total <= 16 << 20, "the pipe never filled");
        };
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        let mut f = std::fs::File::from(r);
        let mut back = vec![0u8; total];
        f.read_exact(&mut back).expect("read back");
        assert!(back.iter().all(|b| *b == 7));
        // Room again: the next write goes through.
        assert!(write_nowait(w.as_raw_fd(), &chunk, &mut how).expect("write") > 0);
    }
}
