//! Runs each integration test once per I/O driver: `per_driver!(name, |rt| ...)`
//! expands to `name::uring` and `name::epoll`, each with a fresh runtime.

#![allow(dead_code)]

use spindle_rt::{IoDriver, Runtime};

pub fn runtime(io: IoDriver, workers: usize) -> Runtime {
    let rt = Runtime::builder()
        .workers(workers)
        .io(io)
        .build()
        .expect("runtime builds");
    if io == IoDriver::Epoll {
        assert_eq!(rt.io_driver(), IoDriver::Epoll, "epoll was asked for");
    }
    rt
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("procfs").count()
}

#[macro_export]
macro_rules! per_driver {
    ($name:ident, $workers:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn uring() {
                let f: fn(spindle_rt::Runtime) = $body;
                f($crate::drivers::runtime(
                    spindle_rt::IoDriver::Uring,
                    $workers,
                ));
            }
            #[test]
            fn epoll() {
                let f: fn(spindle_rt::Runtime) = $body;
                f($crate::drivers::runtime(
                    spindle_rt::IoDriver::Epoll,
                    $workers,
                ));
            }
        }
    };
}
