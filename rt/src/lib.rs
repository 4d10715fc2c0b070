//! spindle-rt: per-core io_uring workers with work stealing at task
//! boundaries. See `docs/architecture.md` for the design; each module's
//! header states what it owns and its invariants.

mod blocking;
mod driver;
pub mod fs;
pub mod hint;
mod io;
pub mod localtime;
mod loom;
pub mod net;
pub mod pipe;
pub mod process;
mod runtime;
mod sched;
mod stats;
mod task;
pub mod time;

pub use driver::{IoDriver, RingFlags};
pub use runtime::{
    current_driver, current_stats, spawn, spawn_blocking, worker_index, Builder, Handle, Runtime,
};
pub use sched::coop::yield_now;
pub use sched::idle::Idle;
pub use stats::{live_ops, live_timers, RuntimeStats, WorkerStats};
pub use task::join::{JoinError, JoinHandle};

/// The task state word and its transitions, for the loom models only.
#[cfg(loom)]
#[doc(hidden)]
pub mod task_state {
    pub use crate::task::state::*;
}
