//! The fiber object: a resumable call stack living on the heap.
//!
//! Invariant: while a fiber runs, its `stack`, `frames` and `open_upvals` are
//! moved out into the VM (the fiber object holds empty vectors); whenever the
//! VM switches fibers or returns to Rust it moves them back. So a suspended
//! fiber is entirely described by this struct, and suspending costs no Rust
//! stack. Each frame's registers are `stack[base .. base + nregs]`; the callee
//! value sits at `stack[base - 1]`, which is also where its result goes. A
//! frame's `top` is the largest `base + nregs` of it and the frames below it.
//!
//! A fiber suspended in a call (status pending or a user signal, with a
//! `resume_slot`) may hold a stack cut down to `resume_slot + 1` (and its
//! open upvalues' slots): the registers above the call's slot are dead, as
//! a closure callee would have overwritten them. The collector cuts a
//! wasteful one (`Heap::trim_suspended_stack`); `enter` grows it back to the
//! top frame's `top` on resume.

use crate::value::{Ref, Signal, Value};

/// One activation record.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Frame {
    /// The running closure (arena index).
    pub closure: Ref,
    /// Its prototype (index into the isolate's prototype table).
    pub proto: u32,
    /// Next instruction to execute.
    pub pc: u32,
    /// First register.
    pub base: u32,
    /// End of the highest register window of this frame and every frame
    /// below it, so the live stack top is O(1) to find (`live_top`).
    pub top: u32,
}

/// Fiber status, as `fiber/status` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FiberStatus {
    #[default]
    New,
    Alive,
    Dead,
    Error,
    Debug,
    /// Suspended by yield.
    Pending,
    /// Suspended by user signal n.
    User(u8),
    /// Paused because its fuel ran out.
    Fuel,
}

impl FiberStatus {
    /// The status a fiber takes when it raises `sig`.
    pub fn for_signal(sig: Signal) -> FiberStatus {
        match sig {
            Signal::Ok => FiberStatus::Dead,
            Signal::Error => FiberStatus::Error,
            Signal::Debug => FiberStatus::Debug,
            Signal::Yield => FiberStatus::Pending,
            Signal::User(10) => FiberStatus::Fuel,
            Signal::User(n) => FiberStatus::User(n),
        }
    }

    /// Janet's keyword for the status.
    pub fn name(self) -> &'static str {
        match self {
            FiberStatus::New => "new",
            FiberStatus::Alive => "alive",
            FiberStatus::Dead => "dead",
            FiberStatus::Error => "error",
            FiberStatus::Debug => "debug",
            FiberStatus::Pending => "pending",
            FiberStatus::User(8) => "interrupted",
            FiberStatus::User(9) => "suspended",
            FiberStatus::User(n) => [
                "user0", "user1", "user2", "user3", "user4", "user5", "user6", "user7",
            ][n as usize % 8],
            FiberStatus::Fuel => "fuel",
        }
    }

    /// True if `resume` may continue the fiber.
    pub fn resumable(self) -> bool {
        !matches!(
            self,
            FiberStatus::Dead | FiberStatus::Error | FiberStatus::Alive
        )
    }
}

/// Environment flag: inherit the resumer's environment.
pub const FLAG_INHERIT_ENV: u32 = 1;
/// Environment flag: use the resumer's environment as prototype.
pub const FLAG_PROTO_ENV: u32 = 2;

/// A fiber.
#[derive(Debug, Default)]
pub struct Fiber {
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub open_upvals: Vec<Ref>,
    pub status: FiberStatus,
    /// Signals of this fiber that its resumer catches (bit per signal code).
    pub mask: u32,
    pub flags: u32,
    /// The function the fiber was made around.
    pub func: Value,
    /// The fiber that resumed this one, while it runs.
    pub parent: Option<Ref>,
    /// The child this fiber is suspended inside (a signal propagated through it).
    pub child: Option<Ref>,
    /// Dynamic bindings.
    pub env: Option<Ref>,
    /// Payload of the last signal, or the return value.
    pub last: Value,
    /// Absolute stack slot that receives the value of the next resume.
    pub resume_slot: u32,
    /// Maximum number of frames.
    pub maxstack: u32,
    /// Remaining reduction budget, if any.
    pub fuel: Option<i64>,
}

/// Default frame limit (`fiber/maxstack`).
pub const DEFAULT_MAXSTACK: u32 = 16384 * 16;
