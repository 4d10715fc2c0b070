//! The isolate event loop: tasks (root fibers) scheduled on one spindle-rt
//! task, timers, and in-isolate channels.
//!
//! # How a task parks and wakes
//! 1. A native that must wait (`ev/sleep`, `ev/take`, `ev/join`...) calls
//!    `Loop::park`, which moves the current task to `Parked { seq }` with a
//!    fresh sequence number, registers waiter records carrying that `seq`
//!    (in a channel, a timer, another task), and returns
//!    `Flow::Signal(User(9))` — Janet's `:await` signal. The signal climbs
//!    the fiber chain (try/defer fibers do not catch it) to the task root,
//!    and the run returns `Outcome::Signal(User(9))` to the driver.
//! 2. Whoever completes the wait calls `Loop::wake(task, seq, resume)`. It
//!    succeeds only if the task is still parked with that very `seq`; the
//!    task becomes `Ready(resume)` and joins the ready queue once. Every
//!    other waiter record of the same wait is now stale and is skipped when
//!    met (lazy removal) — this is what makes exactly one `ev/select`
//!    clause commit.
//! 3. The driver (`driver::EvRun`, a `Future`) pops ready tasks and resumes
//!    each with its value, or raises its error at the suspension point
//!    (`ev/cancel`). When nothing is ready it waits for the earliest timer
//!    through `spindle_rt::time::Sleep`, whose waker is the rt task's waker,
//!    so the wake may come from any worker.
//!
//! Everything here is plain owned data inside the `Isolate`, so it moves
//! between workers with it (`Send`). Cross-isolate waits will enter through
//! the same `wake` call from a completion queue.

pub mod chan;
pub mod disk_file;
pub mod driver;
pub mod fd_stream;
pub mod grant;
pub mod ops;
pub mod sched;
pub mod sock;
pub mod stream;
pub mod task_table;
pub mod turnstile;

pub use driver::{EvRun, Finished};
pub use sched::{Loop, Resume};
