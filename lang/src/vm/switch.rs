//! Fiber switching and signal delivery.
//!
//! Protocol (resume, signal, propagate):
//! 1. `resume` (a native returning `Flow::Resume`) records in the resumer the
//!    slot that will receive the result (`resume_slot`), saves the resumer's
//!    registers into its fiber object, links the child's `parent` to it and
//!    loads the child. A child that is itself suspended inside a grandchild
//!    (`child` is set because a signal propagated through it) is entered by
//!    descending to the innermost fiber of that chain.
//! 2. When the running fiber raises signal `s` with payload `x` (returning
//!    from its bottom frame is signal `ok`), `signal` saves it with status
//!    for `s` and goes to its parent. If the fiber's mask has `s` (or `s` is
//!    `ok`) the parent catches it: `x` lands in the parent's `resume_slot`
//!    and the parent continues. Otherwise the parent raises `s` too, keeping
//!    `child` so traces and later resumes go through the inner fiber.
//! 3. At the run boundary (the fiber a Rust caller resumed) the signal is
//!    returned to Rust as an `Outcome`.

use super::interp::{setup_frame, Setup};
use super::run::Outcome;
use super::upvals;
use crate::fiber::FiberStatus;
use crate::isolate::Isolate;
use crate::value::{Ref, Signal, Value};

/// Registers a new fiber's stack has room for beyond its function's own
/// window: the callee and argument slots (`setup_frame` adds no slack to a
/// shallow stack). No more: a parked task keeps its capacity, and most
/// tasks of a spawn-heavy program call only natives.
const FIRST_STACK: usize = 2;
/// Frames a new fiber has room for: its function and one callee (a task
/// body calling its worker). Deeper tasks grow the vector by doubling.
const FIRST_FRAMES: usize = 2;

/// Moves a suspended fiber's vectors into the VM's (which are empty: the
/// running fiber's were saved first) and leaves the fiber the empty ones.
/// Registers the collector cut from a suspended fiber (`fiber`'s
/// invariant) come back as nil.
#[inline(always)]
fn swap_in(
    fib: &mut crate::fiber::Fiber,
    stack: &mut Vec<Value>,
    frames: &mut Vec<crate::fiber::Frame>,
    open_upvals: &mut Vec<Ref>,
) {
    debug_assert!(stack.is_empty() && frames.is_empty() && open_upvals.is_empty());
    std::mem::swap(&mut fib.stack, stack);
    std::mem::swap(&mut fib.frames, frames);
    std::mem::swap(&mut fib.open_upvals, open_upvals);
    let top = frames.last().map_or(0, |fr| fr.top as usize);
    if stack.len() < top {
        stack.resize(top, Value::Nil);
    }
}

impl Isolate {
    /// Moves the running registers into fiber `f`'s object.
    pub(crate) fn save_state(&mut self, f: Ref) {
        let top = self.live_top();
        if self.stack.len() > top {
            self.stack.truncate(top);
        }
        // Swapped, not taken: the other side is empty (the invariant in
        // `fiber`), and a swap needs no drop of the vectors it replaces.
        let fib = self.heap.fibers.get_mut(f);
        debug_assert!(fib.stack.is_empty() && fib.frames.is_empty() && fib.open_upvals.is_empty());
        std::mem::swap(&mut fib.stack, &mut self.stack);
        std::mem::swap(&mut fib.frames, &mut self.frames);
        std::mem::swap(&mut fib.open_upvals, &mut self.open_upvals);
    }

    /// Moves fiber `f`'s registers into the VM.
    pub(crate) fn load_state(&mut self, f: Ref) {
        let fib = self.heap.fibers.get_mut(f);
        swap_in(
            fib,
            &mut self.stack,
            &mut self.frames,
            &mut self.open_upvals,
        );
    }

    /// Makes `f` the running fiber, delivering `value` (step 1). On error
    /// nothing has changed.
    pub(crate) fn enter(
        &mut self,
        f: Ref,
        value: Value,
        parent: Option<Ref>,
    ) -> Result<(), String> {
        let (status, child) = {
            let fib = self.heap.fibers.get(f);
            (fib.status, fib.child)
        };
        match status {
            FiberStatus::New => {
                let func = self.heap.fibers.get(f).func;
                let Value::Closure(c) = func else {
                    return Err("fiber function must be a closure".into());
                };
                let p = &self.protos[self.heap.closures.get(c).proto as usize];
                let takes_arg = p.vararg || p.nparams + p.nopt > 0;
                // A new fiber may come with the buffers of a finished task
                // (`ev::sched::Loop::spare`); either way its first window is
                // reserved at once, rather than grown from one slot.
                let fib = self.heap.fibers.get_mut(f);
                let maxstack = fib.maxstack as usize;
                let mut stack = std::mem::take(&mut fib.stack);
                let mut frames = std::mem::take(&mut fib.frames);
                stack.clear();
                frames.clear();
                stack.reserve_exact(FIRST_STACK + p.nregs as usize);
                frames.reserve_exact(FIRST_FRAMES);
                stack.push(func);
                if takes_arg {
                    stack.push(value);
                }
                let argc = stack.len() - 1;
                if let Setup::Err(m) = setup_frame(
                    &mut self.heap,
                    &self.protos,
                    &mut stack,
                    &mut frames,
                    c,
                    0,
                    argc,
                    false,
                    maxstack,
                ) {
                    return Err(m);
                }
                self.stack = stack;
                self.frames = frames;
                self.open_upvals = Vec::new();
            }
            s if s.resumable() => {
                if let Some(c) = child {
                    if c != f {
                        self.enter(c, value, Some(f))?;
                        let fib = self.heap.fibers.get_mut(f);
                        fib.status = FiberStatus::Alive;
                        fib.parent = parent;
                        fib.child = None;
                        return Ok(());
                    }
                }
                // One lookup of the fiber for the load, the resume slot
                // and the status (this is every task resume).
                let fib = self.heap.fibers.get_mut(f);
                swap_in(
                    fib,
                    &mut self.stack,
                    &mut self.frames,
                    &mut self.open_upvals,
                );
                let slot = fib.resume_slot as usize;
                fib.status = FiberStatus::Alive;
                fib.parent = parent;
                if slot < self.stack.len() {
                    self.stack[slot] = value;
                }
                self.cur = Some(f);
                return Ok(());
            }
            s => return Err(format!("cannot resume fiber with status :{}", s.name())),
        }
        let fib = self.heap.fibers.get_mut(f);
        fib.status = FiberStatus::Alive;
        fib.parent = parent;
        self.cur = Some(f);
        Ok(())
    }

    /// Delivers signal `sig` raised by the running fiber (step 2). Returns
    /// `Some` when the signal reaches `boundary` (step 3).
    pub(crate) fn signal(&mut self, sig: Signal, val: Value, boundary: Ref) -> Option<Outcome> {
        loop {
            let f = self.cur.expect("signal without running fiber");
            if sig == Signal::Ok {
                upvals::close(&mut self.heap, &mut self.open_upvals, &self.stack, 0);
                self.stack.clear();
                self.frames.clear();
            }
            self.save_state(f);
            let fib = self.heap.fibers.get_mut(f);
            fib.status = FiberStatus::for_signal(sig);
            fib.last = val;
            let mask = fib.mask;
            let parent = fib.parent.take();
            let parent = match parent {
                Some(p) if f != boundary => p,
                _ => return Some(Outcome::Signal(sig, val)),
            };
            self.cur = Some(parent);
            self.load_state(parent);
            if sig == Signal::Ok || mask & sig.bit() != 0 {
                let pf = self.heap.fibers.get_mut(parent);
                pf.child = None;
                let slot = pf.resume_slot as usize;
                if slot < self.stack.len() {
                    self.stack[slot] = val;
                }
                return None;
            }
            self.heap.fibers.get_mut(parent).child = Some(f);
        }
    }

    /// Switches from the running fiber into `fiber` (a `resume` or `cancel`
    /// at absolute slot `ab`). On failure raises the error in the running fiber.
    pub(crate) fn switch_to(
        &mut self,
        fiber: Ref,
        value: Value,
        ab: usize,
        boundary: Ref,
        cancel: bool,
    ) -> Option<Outcome> {
        let cur = self.cur.expect("running fiber");
        let status = self.heap.fibers.get(fiber).status;
        let bad = fiber == cur || !status.resumable() || (cancel && status == FiberStatus::New);
        if bad {
            let msg = format!("cannot resume fiber with status :{}", status.name());
            let v = self.heap.string(msg.as_bytes());
            return self.signal(Signal::Error, v, boundary);
        }
        self.heap.fibers.get_mut(cur).resume_slot = ab as u32;
        self.save_state(cur);
        if let Err(m) = self.enter(fiber, value, Some(cur)) {
            self.cur = Some(cur);
            self.load_state(cur);
            let v = self.heap.string(m.as_bytes());
            return self.signal(Signal::Error, v, boundary);
        }
        if cancel {
            return self.signal(Signal::Error, value, boundary);
        }
        None
    }
}
