//! The epoll fallback driver: readiness instead of completions, for hosts
//! where io_uring cannot be set up (seccomp, gVisor, old kernels) or when
//! `SPINDLE_IO=epoll` / the builder asks for it.
//!
//! Invariants:
//! - Each worker has its own epoll instance; the worker's eventfd sits in it
//!   level-triggered as the doorbell, so the worker still sleeps in one place
//!   (`epoll_pwait2`, timeout = next timer).
//! - Fds are registered EPOLLONESHOT with the interests that have a waiting
//!   task; an event takes the matching wakers and re-arms what remains. A
//!   stale registration (task moved to another worker, fd closed) costs at
//!   most a spurious wake.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::task::Waker;
use std::time::Duration;

use super::op::Interest;

const DOORBELL: u64 = u64::MAX;

#[derive(Default)]
struct Waiters {
    read: Option<Waker>,
    write: Option<Waker>,
}

pub(crate) struct Epoll {
    epfd: OwnedFd,
    eventfd: RawFd,
    waiters: HashMap<RawFd, Waiters>,
    events: Vec<libc::epoll_event>,
}

fn ctl(epfd: RawFd, op: i32, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: data };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    if unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Epoll {
    pub(crate) fn new(eventfd: RawFd) -> io::Result<Epoll> {
        // SAFETY: plain syscall; the result is checked before use.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        ctl(
            epfd.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            eventfd,
            libc::EPOLLIN as u32,
            DOORBELL,
        )?;
        Ok(Epoll {
            epfd,
            eventfd,
            waiters: HashMap::new(),
            events: Vec::with_capacity(256),
        })
    }

    fn arm(&self, fd: RawFd, w: &Waiters) {
        let mut events = libc::EPOLLONESHOT as u32;
        if w.read.is_some() {
            events |= (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
        }
        if w.write.is_some() {
            events |= libc::EPOLLOUT as u32;
        }
        let epfd = self.epfd.as_raw_fd();
        if let Err(e) = ctl(epfd, libc::EPOLL_CTL_MOD, fd, events, fd as u64) {
            if e.raw_os_error() == Some(libc::ENOENT) {
                let _ = ctl(epfd, libc::EPOLL_CTL_ADD, fd, events, fd as u64);
            }
        }
    }

    /// Wakes `waker` when `fd` is ready for `interest`.
    pub(crate) fn register(&mut self, fd: RawFd, interest: Interest, waker: &Waker) {
        let w = self.waiters.entry(fd).or_default();
        match interest {
            Interest::Read => w.read = Some(waker.clone()),
            Interest::Write => w.write = Some(waker.clone()),
        }
        let w = std::mem::take(self.waiters.get_mut(&fd).expect("just inserted"));
        self.arm(fd, &w);
        self.waiters.insert(fd, w);
    }

    /// Forgets `fd` (it is being closed).
    pub(crate) fn deregister(&mut self, fd: RawFd) {
        if self.waiters.remove(&fd).is_some() {
            let _ = ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, 0, 0);
        }
    }

    /// Waits up to `timeout` (None = forever, zero = poll) and collects wakers.
    pub(crate) fn park(&mut self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) -> usize {
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs() as _,
            tv_nsec: t.subsec_nanos() as _,
        });
        let tsp = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        let cap = self.events.capacity();
        // SAFETY: the events buffer has `cap` slots of spare capacity; the
        // kernel writes at most `cap` entries and we set the length to the
        // count it returns.
        let n = unsafe {
            libc::epoll_pwait2(
                self.epfd.as_raw_fd(),
                self.events.as_mut_ptr(),
                cap as i32,
                tsp,
                std::ptr::null(),
            )
        };
        if n <= 0 {
            return 0;
        }
        // SAFETY: the kernel initialised the first `n` entries.
        unsafe { self.events.set_len(n as usize) };
        let events = std::mem::take(&mut self.events);
        for ev in &events {
            let data = ev.u64;
            if data == DOORBELL {
                let mut buf = 0u64;
                // SAFETY: reading 8 bytes into a u64 from our eventfd.
                unsafe { libc::read(self.eventfd, (&mut buf as *mut u64).cast(), 8) };
                continue;
            }
            let fd = data as RawFd;
            let Some(mut w) = self.waiters.remove(&fd) else {
                continue;
            };
            let bits = ev.events;
            let err = (libc::EPOLLERR | libc::EPOLLHUP) as u32;
            if bits & ((libc::EPOLLIN | libc::EPOLLRDHUP) as u32 | err) != 0 {
                wakers.extend(w.read.take());
            }
            if bits & (libc::EPOLLOUT as u32 | err) != 0 {
                wakers.extend(w.write.take());
            }
            if w.read.is_some() || w.write.is_some() {
                self.arm(fd, &w);
                self.waiters.insert(fd, w);
            }
        }
        self.events = events;
        self.events.clear();
        n as usize
    }

    /// Drops every registration (shutdown).
    pub(crate) fn clear(&mut self) {
        self.waiters.clear();
    }
}
