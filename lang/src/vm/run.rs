//! The outer run loop: drives `exec`, calls natives, applies their control
//! flow requests, collects garbage at safe points, and is the Rust entry to
//! the VM (`resume`, `call`).
//!
//! Invariants:
//! - A native is called with the top frame's `pc` saved, so it may switch
//!   fibers or suspend; its result is written to its call slot, and the
//!   compiler always follows a tail call with `Ret`, so a native in tail
//!   position needs no special case.
//! - `run_stack` remembers, for each nested Rust-level run, the fiber that
//!   was running before it; those fibers are GC roots.

use super::interp::{setup_frame, Exit, Setup};
use super::upvals;
use crate::bytecode::Op;
use crate::fiber::{Fiber, FiberStatus, DEFAULT_MAXSTACK};
use crate::isolate::{Flow, Isolate};
use crate::value::{Ref, Signal, Value, FUEL};

/// How a Rust-level run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The boundary fiber raised this signal (ok = returned).
    Signal(Signal, Value),
    /// The quantum ran out (only when `preempt` is set); call `continue_run`.
    Fuel,
}

/// Deepest nesting of Rust-level runs (macro inside eval inside macro...).
pub const MAX_RUN_DEPTH: usize = 64;

impl Isolate {
    /// A new fiber around `func` with signal `mask`, inheriting the running
    /// fiber's environment.
    pub fn new_fiber(&mut self, func: Value, mask: u32) -> Ref {
        let env = self
            .cur
            .and_then(|c| self.heap.fibers.get(c).env)
            .or(Some(self.env));
        self.heap.fiber(Fiber {
            func,
            mask,
            env,
            maxstack: DEFAULT_MAXSTACK,
            ..Fiber::default()
        })
    }

    /// Resumes `fiber` from Rust and runs until it signals.
    pub fn resume(&mut self, fiber: Ref, value: Value) -> Outcome {
        if let Err(o) = self.begin_run(fiber, value) {
            return o;
        }
        self.continue_run(fiber)
    }

    /// First half of `resume`: saves the running state and enters `fiber`.
    pub fn begin_run(&mut self, fiber: Ref, value: Value) -> Result<(), Outcome> {
        if self.run_stack.len() >= MAX_RUN_DEPTH {
            let v = self
                .heap
                .string(b"too many nested runs (macro or eval recursion)");
            return Err(Outcome::Signal(Signal::Error, v));
        }
        let prev = self.cur;
        if let Some(p) = prev {
            self.save_state(p);
        }
        self.run_stack.push(prev);
        if let Err(m) = self.enter(fiber, value, None) {
            self.end_run();
            let v = self.heap.string(m.as_bytes());
            return Err(Outcome::Signal(Signal::Error, v));
        }
        Ok(())
    }

    /// Runs until the boundary fiber signals (or fuel runs out when preempting).
    pub fn continue_run(&mut self, boundary: Ref) -> Outcome {
        let out = self.run_loop(boundary);
        if out != Outcome::Fuel {
            self.end_run();
        }
        out
    }

    fn end_run(&mut self) {
        let prev = self.run_stack.pop().flatten();
        self.cur = prev;
        if let Some(p) = prev {
            self.load_state(p);
        }
    }

    /// Calls `f` with `args` on a fresh fiber and runs it to completion.
    /// Errors come back with the fiber they happened in.
    pub fn call(&mut self, f: Value, args: &[Value]) -> Result<Value, (Value, Ref)> {
        let fiber = self.new_fiber(f, 0);
        let mut stack = vec![f];
        stack.extend_from_slice(args);
        let mut frames = Vec::new();
        match f {
            Value::Closure(c) => {
                if let Setup::Err(m) = setup_frame(
                    &mut self.heap,
                    &self.protos,
                    &mut stack,
                    &mut frames,
                    c,
                    0,
                    args.len(),
                    false,
                    DEFAULT_MAXSTACK as usize,
                ) {
                    return Err((self.heap.string(m.as_bytes()), fiber));
                }
            }
            Value::Native(i) => {
                let nf = self.natives[i as usize].f;
                return match nf(self, args) {
                    Ok(v) => Ok(v),
                    Err(Flow::Error(v)) => Err((v, fiber)),
                    Err(Flow::Call { f, args }) => self.call(f, &args),
                    Err(_) => Err((self.heap.string(b"cannot suspend here"), fiber)),
                };
            }
            _ => {
                let m = format!("{} is not a function", crate::printer::describe(self, f));
                return Err((self.heap.string(m.as_bytes()), fiber));
            }
        }
        let fib = self.heap.fibers.get_mut(fiber);
        fib.stack = stack;
        fib.frames = frames;
        fib.status = FiberStatus::Pending;
        fib.resume_slot = u32::MAX;
        match self.resume(fiber, Value::Nil) {
            Outcome::Signal(Signal::Ok, v) => Ok(v),
            Outcome::Signal(Signal::Error, v) => Err((v, fiber)),
            Outcome::Signal(s, _) => {
                let m = format!("unexpected signal {:?} escaped a nested call", s);
                Err((self.heap.string(m.as_bytes()), fiber))
            }
            Outcome::Fuel => Err((self.heap.string(b"fuel exhausted"), fiber)),
        }
    }

    fn run_loop(&mut self, mut boundary: Ref) -> Outcome {
        loop {
            // A fiber with its own budget (`fiber/set-fuel`) runs on the
            // smaller of its budget and the isolate's quantum; both are charged.
            let cur = self.cur.expect("running fiber");
            let budget = self.heap.fibers.get(cur).fuel;
            let quantum_left = self.fuel;
            let start = budget.map_or(quantum_left, |b| b.min(quantum_left));
            self.fuel = start;
            let exit = self.exec();
            let used = start - self.fuel;
            self.fuel = quantum_left - used;
            let budget_out = match budget {
                Some(b) => {
                    self.heap.fibers.get_mut(cur).fuel = Some(b - used);
                    b - used <= 0
                }
                None => false,
            };
            let done = match exit {
                Exit::Fuel if budget_out => {
                    // Pause with :fuel; the next resume continues where it stopped.
                    self.heap.fibers.get_mut(cur).resume_slot = u32::MAX;
                    if self.fuel <= 0 {
                        self.fuel = self.quantum;
                    }
                    self.signal(FUEL, Value::Nil, boundary)
                }
                Exit::Done(v) => self.signal(Signal::Ok, v, boundary),
                Exit::Error(m) => {
                    let v = self.heap.string(m.as_bytes());
                    self.signal(Signal::Error, v, boundary)
                }
                Exit::ErrorValue(v) => self.signal(Signal::Error, v, boundary),
                Exit::Flow => {
                    let (flow, ab) = self.pending.take().expect("a pending flow");
                    self.apply_flow(flow, ab, boundary)
                }
                Exit::Gc => {
                    self.collect_now();
                    None
                }
                Exit::Fuel => {
                    self.fuel = self.quantum;
                    if self.preempt && self.run_stack.len() == 1 {
                        return Outcome::Fuel;
                    }
                    None
                }
                Exit::Call { ab, argc, tail } => self.call_at(ab, argc, tail, boundary),
                Exit::Method(m) => match self.call_operator(m.f, &m.args) {
                    Ok(v) => {
                        self.stack[m.dest] = v;
                        if self.heap.wants_collect() {
                            self.collect_now();
                        }
                        None
                    }
                    Err(v) => self.signal(Signal::Error, v, boundary),
                },
            };
            if let Some(o) = done {
                match self.switch_in_place(o, boundary) {
                    Ok(next) => boundary = next,
                    Err(o) => return o,
                }
            }
        }
    }

    /// A run ended with outcome `o` at `boundary`. When that is the task at
    /// the root of the top-level run parking (`:await`), the event loop's
    /// hook may enter its next task here: the run then goes on with that
    /// task as its boundary, without returning to the loop and starting a
    /// new run (ping-pong switches tasks on every message). The parked
    /// fiber was saved by `signal`. Otherwise `o` is what the run returns.
    fn switch_in_place(&mut self, o: Outcome, boundary: Ref) -> Result<Ref, Outcome> {
        match self.next_task {
            Some(hook)
                if matches!(o, Outcome::Signal(Signal::User(9), _))
                    && self.run_stack.len() == 1 =>
            {
                hook(self, boundary).ok_or(o)
            }
            _ => Err(o),
        }
    }

    /// Calls an operator method (`:+` of an int/s64...) to completion and
    /// returns its value or error payload: a native directly, a closure on a
    /// nested run, as Janet's `janet_call` does (so it cannot yield).
    pub fn call_operator(&mut self, f: Value, args: &[Value]) -> Result<Value, Value> {
        match f {
            Value::Native(i) => match (self.natives[i as usize].f)(self, args) {
                Ok(v) => Ok(v),
                Err(Flow::Error(v)) => Err(v),
                Err(Flow::Call { f, args }) => self.call(f, &args).map_err(|(v, _)| v),
                Err(_) => Err(self.heap.string(b"an operator method cannot suspend")),
            },
            _ => self.call(f, args).map_err(|(v, _)| v),
        }
    }

    fn call_at(&mut self, ab: usize, argc: usize, tail: bool, boundary: Ref) -> Option<Outcome> {
        let f = self.stack[ab];
        match f {
            Value::Closure(c) => {
                let maxstack = self
                    .cur
                    .map_or(DEFAULT_MAXSTACK, |c| self.heap.fibers.get(c).maxstack)
                    as usize;
                let (ab, replace) = match (tail, self.frames.last()) {
                    (true, Some(fr)) => {
                        let base = fr.base as usize;
                        if self.protos[fr.proto as usize].has_upvals {
                            upvals::close(&mut self.heap, &mut self.open_upvals, &self.stack, base);
                        }
                        self.stack.copy_within(ab..ab + argc + 1, base - 1);
                        (base - 1, true)
                    }
                    _ => (ab, false),
                };
                match setup_frame(
                    &mut self.heap,
                    &self.protos,
                    &mut self.stack,
                    &mut self.frames,
                    c,
                    ab,
                    argc,
                    replace,
                    maxstack,
                ) {
                    Setup::Ok => None,
                    Setup::Err(m) => {
                        let v = self.heap.string(m.as_bytes());
                        self.signal(Signal::Error, v, boundary)
                    }
                }
            }
            Value::Native(i) => {
                let nf = self.natives[i as usize].f;
                let mut args = std::mem::take(&mut self.scratch);
                args.clear();
                args.extend_from_slice(&self.stack[ab + 1..ab + 1 + argc]);
                let r = nf(self, &args);
                args.clear();
                self.scratch = args;
                match r {
                    Ok(v) => {
                        self.stack[ab] = v;
                        if self.heap.wants_collect() {
                            self.collect_now();
                        }
                        None
                    }
                    Err(flow) => self.apply_flow(flow, ab, boundary),
                }
            }
            Value::Keyword(_) | Value::Symbol(_) if argc >= 1 => {
                // A method call when the looked-up value is callable, else a lookup.
                let ds = self.stack[ab + 1];
                let v = super::ops::get(&self.heap, ds, f);
                if matches!(v, Value::Closure(_) | Value::Native(_)) {
                    self.stack[ab] = v;
                    return self.call_at(ab, argc, tail, boundary);
                }
                self.stack[ab] = if v == Value::Nil && argc >= 2 {
                    self.stack[ab + 2]
                } else {
                    v
                };
                None
            }
            Value::Table(_)
            | Value::Struct(_)
            | Value::Array(_)
            | Value::Tuple(_)
            | Value::Str(_)
            | Value::Buffer(_)
            | Value::Abstract(_)
                if argc >= 1 =>
            {
                let key = self.stack[ab + 1];
                let v = super::ops::get(&self.heap, f, key);
                self.stack[ab] = if v == Value::Nil && argc >= 2 {
                    self.stack[ab + 2]
                } else {
                    v
                };
                None
            }
            _ => {
                let m = format!("{} is not a function", crate::printer::describe(self, f));
                let v = self.heap.string(m.as_bytes());
                self.signal(Signal::Error, v, boundary)
            }
        }
    }

    fn apply_flow(&mut self, flow: Flow, ab: usize, boundary: Ref) -> Option<Outcome> {
        match flow {
            Flow::Error(v) => self.signal(Signal::Error, v, boundary),
            Flow::Signal(sig, v) => {
                let cur = self.cur.expect("running fiber");
                self.heap.fibers.get_mut(cur).resume_slot = ab as u32;
                // A task parking in a native whose result its fiber simply
                // returns holds no live register: give the stack back now
                // (`swap_in` regrows it with nils on resume, and the result
                // lands in `resume_slot` for the `Ret`). A skynet leaf parked
                // on `ev/give` is the common case; it then costs no stack.
                let release = sig == Signal::User(9) && self.only_returns(ab);
                let out = self.signal(sig, v, boundary);
                if release {
                    self.heap.fibers.get_mut(cur).stack = Vec::new();
                }
                out
            }
            Flow::Resume { fiber, value } => self.switch_to(fiber, value, ab, boundary, false),
            Flow::Cancel { fiber, value } => self.switch_to(fiber, value, ab, boundary, true),
            Flow::Propagate { sig, value, fiber } => {
                let cur = self.cur.expect("running fiber");
                let c = self.heap.fibers.get_mut(cur);
                c.resume_slot = ab as u32;
                if fiber != cur {
                    c.child = Some(fiber);
                }
                self.signal(sig, value, boundary)
            }
            Flow::Call { f, args } => {
                let need = ab + args.len() + 2;
                if self.stack.len() < need {
                    self.stack.resize(need, Value::Nil);
                }
                self.stack[ab] = f;
                self.stack[ab + 1..ab + 1 + args.len()].copy_from_slice(&args);
                self.call_at(ab, args.len(), false, boundary)
            }
        }
    }

    /// True when all that is left of the running fiber after the call at
    /// absolute slot `ab` is returning that call's result: one frame, whose
    /// next op is `Ret` of that slot, and no open upvalue into the stack.
    /// Every register is then dead until the fiber resumes.
    fn only_returns(&self, ab: usize) -> bool {
        let [fr] = self.frames.as_slice() else {
            return false;
        };
        let ret = self.protos[fr.proto as usize].code.get(fr.pc as usize);
        self.open_upvals.is_empty()
            && matches!(ret, Some(Op::Ret(r)) if fr.base as usize + *r as usize == ab)
    }

    /// End of the highest register window of any frame of the running
    /// fiber (O(1): each frame carries the running maximum).
    pub(crate) fn live_top(&self) -> usize {
        self.frames.last().map_or(0, |fr| fr.top as usize)
    }

    /// Collects now, with every root of the isolate.
    pub fn collect_now(&mut self) {
        let top = self.live_top();
        if self.stack.len() > top {
            self.stack.truncate(top);
        }
        let mut roots = std::mem::take(&mut self.heap.gray_spare);
        roots.extend_from_slice(&self.stack);
        roots.extend(self.frames.iter().map(|f| Value::Closure(f.closure)));
        roots.extend(self.open_upvals.iter().map(|u| Value::Upval(*u)));
        roots.extend(self.cur.map(Value::Fiber));
        roots.extend(self.run_stack.iter().flatten().map(|f| Value::Fiber(*f)));
        roots.push(Value::Table(self.env));
        roots.extend_from_slice(&self.roots);
        roots.extend_from_slice(&self.scratch);
        self.ev.trace(&mut roots);
        for p in &self.protos {
            roots.extend_from_slice(&p.consts);
        }
        self.heap.collect(roots);
    }
}
