//! Tasks: a spawned future, its reference-counted heap cell and the handles
//! that point at it. `state` holds the lifecycle word, `raw` the cell and
//! every `unsafe` of the task layer, `join` the awaiting side, `owned` the
//! per-runtime list that shutdown walks to cancel idle tasks.
//!
//! Task boundary: a task is moved between workers only while it sits in a
//! queue (as a `Task` handle), never while it runs.

pub(crate) mod join;
#[cfg(all(test, not(loom)))]
mod lifecycle_tests;
pub(crate) mod owned;
pub(crate) mod raw;
pub(crate) mod state;
