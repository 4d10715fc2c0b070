//! Error reports: the message of an error value and the stack trace of the
//! fiber it came from, formatted as Janet formats them.
//!
//! Invariant: an errored fiber keeps its frames (each with the `pc` of the
//! failing or calling instruction), so a trace can be printed after the
//! fact; a fiber whose error propagated from a child keeps `child`, and the
//! trace starts from the innermost child.

use crate::isolate::Isolate;
use crate::printer;
use crate::value::{Ref, Value};

impl Isolate {
    /// The message of an error payload: strings raw, anything else readable.
    pub fn describe_error(&self, e: (Value, Ref)) -> String {
        self.error_text(e.0)
    }

    /// Text of an error payload.
    pub fn error_text(&self, v: Value) -> String {
        match v {
            Value::Str(_) | Value::Buffer(_) => printer::to_text(self, v),
            _ => printer::describe(self, v),
        }
    }

    /// Stack frames of `fiber` and the children a signal came through, innermost first.
    pub fn stacktrace(&self, fiber: Ref) -> String {
        let mut chain = vec![fiber];
        let mut cur = fiber;
        while let Some(c) = self.heap.fibers.get(cur).child {
            if chain.contains(&c) || chain.len() > 64 {
                break;
            }
            chain.push(c);
            cur = c;
        }
        let mut out = String::new();
        for f in chain.iter().rev() {
            let fib = self.heap.fibers.get(*f);
            let frames: Vec<_> = if Some(*f) == self.cur {
                self.frames.clone()
            } else {
                fib.frames.clone()
            };
            for fr in frames.iter().rev() {
                let p = &self.protos[fr.proto as usize];
                let name = p.name.as_deref().unwrap_or("<anonymous>");
                let i = (fr.pc as usize).saturating_sub(1);
                let (line, col) = p.positions.get(i).copied().unwrap_or((0, 0));
                out.push_str(&format!(
                    "  in {} [{}] on line {}, column {}\n",
                    name, p.source, line, col
                ));
            }
        }
        out
    }

    /// A full report: `error: msg` plus the trace.
    pub fn error_report(&self, v: Value, fiber: Ref) -> String {
        format!("error: {}\n{}", self.error_text(v), self.stacktrace(fiber))
    }
}
