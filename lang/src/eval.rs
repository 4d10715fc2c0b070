//! Running source text: read a form, compile it, run it on a fresh fiber,
//! repeat — the same loop Janet's `run-context` performs.
//!
//! Invariant: each top-level form is compiled only after the previous one
//! ran, so macros and globals defined earlier are visible to later forms.
//! `Program` is the same loop as a `Future`: when the VM runs out of fuel it
//! returns `Pending` (after waking itself), so a CPU-bound script yields its
//! worker between quanta and the isolate can move between threads.

use crate::compiler::compile_thunk;
use crate::isolate::Isolate;
use crate::reader::Reader;
use crate::value::{Ref, Signal, Value, FUEL};
use crate::vm::Outcome;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

impl Isolate {
    /// Reads, compiles and runs every form of `src`; returns the last value
    /// or a printable error report (`file:line:col: ...` or `error: ...` + trace).
    pub fn run_source(&mut self, src: &[u8], path: &str) -> Result<Value, String> {
        let mut prog = ProgramState::new(src.to_vec(), path);
        loop {
            match prog.step(self) {
                Step::Again => {}
                Step::Done(r) => return r,
                Step::Fuel => {}
            }
        }
    }

    /// Evaluates one string of source in the root environment.
    pub fn eval_str(&mut self, src: &str) -> Result<Value, String> {
        self.run_source(src.as_bytes(), "eval")
    }
}

enum Step {
    Again,
    Fuel,
    Done(Result<Value, String>),
}

struct ProgramState {
    src: Vec<u8>,
    path: Arc<str>,
    pos: (usize, u32, u32),
    running: Option<Ref>,
    last: Value,
}

impl ProgramState {
    fn new(src: Vec<u8>, path: &str) -> ProgramState {
        ProgramState {
            src,
            path: path.into(),
            pos: (0, 1, 1),
            running: None,
            last: Value::Nil,
        }
    }

    fn step(&mut self, iso: &mut Isolate) -> Step {
        if let Some(f) = self.running {
            let out = iso.continue_run(f);
            return self.finish(iso, f, out);
        }
        let mut reader = Reader::at(&self.src, self.pos);
        let form = match reader.next_form(&mut iso.heap) {
            Ok(Some(f)) => f,
            Ok(None) => return Step::Done(Ok(self.last)),
            Err(e) => {
                return Step::Done(Err(format!(
                    "{}:{}:{}: parse error: {}",
                    self.path, e.line, e.col, e.msg
                )))
            }
        };
        self.pos = reader.position();
        let env = iso.env;
        let thunk = match compile_thunk(iso, form, env, self.path.clone()) {
            Ok(t) => t,
            Err(e) => {
                return Step::Done(Err(format!(
                    "{}:{}:{}: compile error: {}",
                    self.path, e.line, e.col, e.msg
                )))
            }
        };
        let fiber = iso.new_fiber(thunk, 0);
        iso.heap.fibers.get_mut(fiber).env = Some(env);
        if let Err(out) = iso.begin_run(fiber, Value::Nil) {
            return self.finish(iso, fiber, out);
        }
        self.running = Some(fiber);
        let out = iso.continue_run(fiber);
        self.finish(iso, fiber, out)
    }

    fn finish(&mut self, iso: &mut Isolate, fiber: Ref, out: Outcome) -> Step {
        match out {
            Outcome::Fuel => Step::Fuel,
            Outcome::Signal(Signal::Error, v) => {
                self.running = None;
                Step::Done(Err(iso.error_report(v, fiber)))
            }
            Outcome::Signal(s, _) if s == FUEL => {
                self.running = None;
                let v = iso.heap.string(b"fuel exhausted");
                Step::Done(Err(iso.error_report(v, fiber)))
            }
            Outcome::Signal(_, v) => {
                self.running = None;
                self.last = v;
                Step::Again
            }
        }
    }
}

/// A whole program as a future: runs `src` in `iso`, yielding to the
/// executor whenever a quantum of fuel is used up. Output: the isolate back
/// and the result of the last form (or the error report).
pub struct Program {
    iso: Option<Isolate>,
    state: ProgramState,
}

impl Program {
    /// A program that will run `src` (named `path` in errors) in `iso`.
    pub fn new(mut iso: Isolate, src: Vec<u8>, path: &str) -> Program {
        iso.preempt = true;
        Program {
            iso: Some(iso),
            state: ProgramState::new(src, path),
        }
    }
}

impl Future for Program {
    type Output = (Isolate, Result<Value, String>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let iso = this.iso.as_mut().expect("Program polled after completion");
        loop {
            match this.state.step(iso) {
                Step::Again => {}
                Step::Fuel => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Step::Done(r) => {
                    let mut iso = this.iso.take().expect("isolate");
                    iso.preempt = false;
                    return Poll::Ready((iso, r));
                }
            }
        }
    }
}
