//! The virtual machine: the dispatch loop (`interp`), the outer run loop and
//! Rust entry points (`run`), fiber switching and signals (`switch`),
//! upvalues, and the slow-path data operations (`ops`).

mod fast;
pub mod interp;
pub mod numloop;
pub mod ops;
mod run;
mod switch;
pub mod upvals;

pub use run::{Outcome, MAX_RUN_DEPTH};
