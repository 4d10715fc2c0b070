//! Counted loops over numbers, run unboxed.
//!
//! The compiler marks a counted loop `NumLoop` (instead of `IncJmpLt`) when
//! its body is straight-line number arithmetic: only the instructions
//! [`in_body`] accepts, no jumps, calls or allocation. At such a loop's back
//! edge, with at least `MIN_LEFT` iterations to go, the fast lane hands the
//! loop to [`run`]. It loads every register the loop touches into a local
//! array of `f64`s once, runs the body over that array (no tag checks, no
//! tag stores, no bounds checks), and writes every register back as a
//! number when the counter reaches the limit or the fuel runs out.
//!
//! Invariant: the result is exactly what the lane computes instruction by
//! instruction — the same `f64` operations in the same order, one fuel per
//! back edge, the same `pc` on exit. That holds because the body's
//! instructions map numbers to numbers: if every register it touches holds
//! a number on entry, each keeps holding one. `run` declines (returns
//! `None`, touching nothing) when one does not (an int64 accumulator, an
//! operator method), when a constant is not a number, or when the loop
//! touches more than `SLOTS` registers; the lane then goes on as before.

use crate::bytecode::Op;
use crate::value::Value;

/// Most distinct registers a loop may touch (body, counter and limit).
const SLOTS: usize = 16;
/// Longest body taken; a longer one is left to the lane.
pub const MAX_BODY: usize = 16;
/// Iterations a loop must still have to go to be worth loading: a short
/// inner loop would spend more on entry and write-back than it saves.
pub const MIN_LEFT: f64 = 16.0;

/// Whether the compiler may put `op` in a `NumLoop` body: it reads and
/// writes registers only, maps numbers to numbers, and never jumps.
pub fn in_body(op: Op) -> bool {
    matches!(
        op,
        Op::Move(..)
            | Op::Int(..)
            | Op::Const(..)
            | Op::Add(..)
            | Op::Sub(..)
            | Op::Mul(..)
            | Op::Div(..)
            | Op::Rem(..)
            | Op::AddK(..)
            | Op::MulK(..)
    )
}

/// A body instruction over slots of the local array.
#[derive(Clone, Copy)]
enum Step {
    Move(u8, u8),
    Set(u8, f64),
    Add(u8, u8, u8),
    Sub(u8, u8, u8),
    Mul(u8, u8, u8),
    Div(u8, u8, u8),
    Rem(u8, u8, u8),
    AddK(u8, u8, f64),
    MulK(u8, u8, f64),
}

/// The registers a loop touches, each given a slot.
struct Slots {
    regs: [usize; SLOTS],
    len: usize,
}

impl Slots {
    fn of(&mut self, r: u16) -> Option<u8> {
        let r = r as usize;
        if let Some(k) = self.regs[..self.len].iter().position(|&x| x == r) {
            return Some(k as u8);
        }
        (self.len < SLOTS).then(|| {
            self.regs[self.len] = r;
            self.len += 1;
            (self.len - 1) as u8
        })
    }
}

/// Decodes `body` into `out`, giving each register it names a slot.
fn decode(body: &[Op], consts: &[Value], slots: &mut Slots, out: &mut [Step]) -> Option<()> {
    for (op, k) in body.iter().zip(out.iter_mut()) {
        let mut s = |r| slots.of(r);
        *k = match *op {
            Op::Move(d, a) => Step::Move(s(d)?, s(a)?),
            Op::Int(d, n) => Step::Set(s(d)?, n as f64),
            Op::Const(d, c) => match consts.get(c as usize)? {
                Value::Num(x) => Step::Set(s(d)?, *x),
                _ => return None,
            },
            Op::Add(d, a, b) => Step::Add(s(d)?, s(a)?, s(b)?),
            Op::Sub(d, a, b) => Step::Sub(s(d)?, s(a)?, s(b)?),
            Op::Mul(d, a, b) => Step::Mul(s(d)?, s(a)?, s(b)?),
            Op::Div(d, a, b) => Step::Div(s(d)?, s(a)?, s(b)?),
            Op::Rem(d, a, b) => Step::Rem(s(d)?, s(a)?, s(b)?),
            Op::AddK(d, a, n) => Step::AddK(s(d)?, s(a)?, n as f64),
            Op::MulK(d, a, n) => Step::MulK(s(d)?, s(a)?, n as f64),
            _ => return None,
        };
    }
    Some(())
}

/// Runs the loop whose body is `body` (the instructions from the back
/// edge's target up to the `NumLoop`), counter `i` and limit `e`, from the
/// start of an iteration with `fuel > 0` left. Register `r` is
/// `regs[r & mask]`. Returns the fuel left and whether the loop finished
/// (`false`: the fuel ran out at a back edge, to go on at the body's start),
/// or `None` if it declined and changed nothing.
#[inline(never)]
pub fn run(
    regs: &mut [Value],
    mask: usize,
    body: &[Op],
    consts: &[Value],
    (i, e): (u16, u16),
    mut fuel: i64,
) -> Option<(i64, bool)> {
    if body.len() > MAX_BODY {
        return None;
    }
    let mut slots = Slots {
        regs: [0; SLOTS],
        len: 0,
    };
    let mut code = [Step::Move(0, 0); MAX_BODY];
    let code = &mut code[..body.len()];
    decode(body, consts, &mut slots, code)?;
    let (si, se) = (slots.of(i)? as usize, slots.of(e)? as usize);
    let mut s = [0.0f64; SLOTS];
    for (x, &r) in s.iter_mut().zip(&slots.regs[..slots.len]) {
        match regs.get(r & mask)? {
            Value::Num(n) => *x = *n,
            _ => return None,
        }
    }
    // Slots are below `SLOTS`, a power of two: the mask drops the checks.
    const M: usize = SLOTS - 1;
    let finished = loop {
        for k in code.iter() {
            match *k {
                Step::Move(d, a) => s[d as usize & M] = s[a as usize & M],
                Step::Set(d, x) => s[d as usize & M] = x,
                Step::Add(d, a, b) => s[d as usize & M] = s[a as usize & M] + s[b as usize & M],
                Step::Sub(d, a, b) => s[d as usize & M] = s[a as usize & M] - s[b as usize & M],
                Step::Mul(d, a, b) => s[d as usize & M] = s[a as usize & M] * s[b as usize & M],
                Step::Div(d, a, b) => s[d as usize & M] = s[a as usize & M] / s[b as usize & M],
                Step::Rem(d, a, b) => {
                    s[d as usize & M] = super::ops::remainder(s[a as usize & M], s[b as usize & M])
                }
                Step::AddK(d, a, x) => s[d as usize & M] = s[a as usize & M] + x,
                Step::MulK(d, a, x) => s[d as usize & M] = s[a as usize & M] * x,
            }
        }
        s[si & M] += 1.0;
        if s[si & M] < s[se & M] {
            fuel -= 1;
            if fuel <= 0 {
                break false;
            }
        } else {
            break true;
        }
    };
    for (x, &r) in s.iter().zip(&slots.regs[..slots.len]) {
        regs[r & mask] = Value::Num(*x);
    }
    Some((fuel, finished))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(xs: &[f64]) -> Vec<Value> {
        xs.iter().map(|&x| Value::Num(x)).collect()
    }

    #[test]
    fn sums_a_range_and_stops_at_the_limit() {
        // r0 = sum, r1 = counter, r2 = limit; body: r0 = r0 + r1.
        let mut regs = nums(&[0.0, 1.0, 101.0]);
        let body = [Op::Add(0, 0, 1)];
        let (fuel, done) = run(&mut regs, usize::MAX, &body, &[], (1, 2), 1000).unwrap();
        assert!(done);
        assert_eq!(regs, nums(&[5050.0, 101.0, 101.0]));
        assert_eq!(fuel, 1000 - 99, "one fuel per taken back edge");
    }

    #[test]
    fn running_out_of_fuel_leaves_a_consistent_state() {
        let mut regs = nums(&[0.0, 1.0, 101.0]);
        let body = [Op::Add(0, 0, 1)];
        let (fuel, done) = run(&mut regs, usize::MAX, &body, &[], (1, 2), 3).unwrap();
        assert!(!done);
        assert_eq!(fuel, 0);
        // Three iterations ran (counter 1, 2, 3) and the counter moved on.
        assert_eq!(regs, nums(&[6.0, 4.0, 101.0]));
    }

    #[test]
    fn declines_without_touching_anything() {
        let mut regs = vec![Value::Nil, Value::Num(1.0), Value::Num(9.0)];
        let before = regs.clone();
        assert!(run(&mut regs, usize::MAX, &[Op::Add(0, 0, 1)], &[], (1, 2), 99).is_none());
        assert_eq!(regs, before, "a non-number register");
        let consts = [Value::Nil];
        let mut regs = nums(&[0.0, 1.0, 9.0]);
        let body = [Op::Const(0, 0)];
        assert!(run(&mut regs, usize::MAX, &body, &consts, (1, 2), 99).is_none());
        let mut regs = nums(&[0.0; 20]);
        let wide: Vec<Op> = (0..10).map(|r| Op::Move(r, r + 10)).collect();
        assert!(run(&mut regs, usize::MAX, &wide, &[], (0, 1), 99).is_none());
        assert_eq!(regs, nums(&[0.0; 20]), "too many registers");
    }

    #[test]
    fn every_body_instruction_computes_what_the_lane_does() {
        // r0..r8 results, r9 counter, r10 limit, r11 = 2.5.
        let consts = [Value::Num(0.25)];
        let body = [
            Op::Move(0, 9),
            Op::Int(1, -3),
            Op::Const(2, 0),
            Op::Add(3, 9, 11),
            Op::Sub(4, 9, 11),
            Op::Mul(5, 9, 11),
            Op::Div(6, 9, 11),
            Op::Rem(7, 9, 11),
            Op::AddK(8, 9, 7),
            Op::MulK(8, 8, -2),
        ];
        assert!(body.iter().all(|op| in_body(*op)));
        let mut regs = nums(&[0.0; 12]);
        regs[9] = Value::Num(-4.0);
        regs[10] = Value::Num(7.0);
        regs[11] = Value::Num(2.5);
        run(&mut regs, usize::MAX, &body, &consts, (9, 10), 100).unwrap();
        // The last iteration ran with the counter at 6.
        let x = 6.0f64;
        let want = [
            x,
            -3.0,
            0.25,
            x + 2.5,
            x - 2.5,
            x * 2.5,
            x / 2.5,
            super::super::ops::remainder(x, 2.5),
            (x + 7.0) * -2.0,
            7.0,
            7.0,
            2.5,
        ];
        assert_eq!(regs, nums(&want));
    }
}
