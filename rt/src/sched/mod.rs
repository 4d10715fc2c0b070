//! The scheduler: shared state, the worker loop, the idle (search/park)
//! handshake, the current-worker context and the coop budget.

pub(crate) mod context;
pub(crate) mod coop;
pub mod idle;
pub(crate) mod shared;
pub(crate) mod worker;
