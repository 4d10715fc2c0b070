//! Isolate-level behaviour: moving a suspended isolate between threads,
//! the collector reclaiming garbage (and gc-stress really collecting), fuel
//! preemption of a CPU-bound program, and the sizes of the hot types.

use spindle_lang::bytecode::Op;
use spindle_lang::fiber::Frame;
use spindle_lang::{Isolate, Outcome, Program, Signal, Value};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[test]
fn suspended_fiber_resumes_after_the_isolate_moves_thread() {
    let mut iso = Isolate::with_stress(false);
    iso.eval_str(
        "(var log @[]) (def gen (fiber/new (fn [] (var acc 0) (while true (+= acc (yield acc))))))",
    )
    .expect("define generator");
    let fiber = match iso.eval_str("gen").expect("gen") {
        Value::Fiber(f) => f,
        other => panic!("expected fiber, got {:?}", other),
    };
    assert_eq!(
        iso.resume(fiber, Value::Nil),
        Outcome::Signal(Signal::Yield, Value::Num(0.0))
    );
    assert_eq!(
        iso.resume(fiber, Value::Num(5.0)),
        Outcome::Signal(Signal::Yield, Value::Num(5.0))
    );
    let first_thread = std::thread::current().id();
    let handle = std::thread::spawn(move || {
        assert_ne!(std::thread::current().id(), first_thread);
        let r = iso.resume(fiber, Value::Num(7.0));
        let status = iso.eval_str("(fiber/status gen)").expect("status");
        (r, spindle_lang::printer::describe(&iso, status))
    });
    let (r, status) = handle.join().expect("thread");
    assert_eq!(r, Outcome::Signal(Signal::Yield, Value::Num(12.0)));
    assert_eq!(status, ":pending");
}

#[test]
fn collector_reclaims_garbage_and_keeps_live_data() {
    let mut iso = Isolate::with_stress(false);
    iso.eval_str("(def keep @[]) (for i 0 10 (array/push keep (string \"k\" i)))")
        .expect("setup");
    let before = iso.heap.live_objects();
    iso.eval_str("(for i 0 300000 (def junk @[i i i]) (put @{} :x junk))")
        .expect("churn");
    assert!(iso.heap.collections > 0, "a collection ran");
    assert!(
        iso.heap.live_objects() < before + 50_000,
        "garbage was reclaimed"
    );
    let v = iso.eval_str("(string/join keep \",\")").expect("read back");
    assert!(spindle_lang::printer::to_text(&iso, v).starts_with("k0,k1,k2"));
}

#[test]
fn gc_stress_collects_at_safe_points() {
    let mut iso = Isolate::with_stress(true);
    let n = iso.heap.collections;
    let v = iso
        .eval_str("(def xs (map (fn [x] @[x]) (range 100))) (sum (map first xs))")
        .expect("run");
    assert_eq!(v, Value::Num(4950.0));
    assert!(
        iso.heap.collections > n + 100,
        "collected at many safe points: {}",
        iso.heap.collections - n
    );
}

#[test]
fn fuel_preempts_a_cpu_bound_program() {
    let mut iso = Isolate::with_stress(false);
    iso.quantum = 10_000;
    iso.fuel = 10_000;
    let src = b"(var s 0) (for i 0 200000 (+= s i)) s".to_vec();
    let mut prog = pin!(Program::new(iso, src, "fuel"));
    let mut cx = Context::from_waker(Waker::noop());
    let mut pendings = 0;
    let (_iso, r) = loop {
        match prog.as_mut().poll(&mut cx) {
            Poll::Ready(out) => break out,
            Poll::Pending => pendings += 1,
        }
    };
    assert_eq!(r.expect("program"), Value::Num(19999900000.0));
    assert!(
        pendings >= 10,
        "the program yielded between quanta ({} times)",
        pendings
    );
}

#[test]
fn uncaught_fuel_fails_the_program() {
    let mut iso = Isolate::with_stress(false);
    let r = iso.run_source(
        b"(def h (fiber/new (fn [] (while true nil)))) (fiber/set-fuel h 10) (resume h) :unreached",
        "fuel",
    );
    let err = r.expect_err("fuel reaching the root is an error");
    assert!(err.contains("fuel exhausted"), "{}", err);
}

#[test]
fn hot_type_sizes_are_pinned() {
    assert_eq!(std::mem::size_of::<Value>(), 16);
    assert_eq!(std::mem::size_of::<Op>(), 8);
    // base, pc, proto, closure and the live stack top (O(1) fiber switch).
    assert_eq!(std::mem::size_of::<Frame>(), 20);
}

#[test]
fn idle_fiber_is_small() {
    let mut iso = Isolate::with_stress(false);
    let v = iso
        .eval_str("(fiber/new (fn [] (yield 1)))")
        .expect("fiber");
    let Value::Fiber(f) = v else {
        panic!("not a fiber")
    };
    assert_eq!(
        iso.resume(f, Value::Nil),
        Outcome::Signal(Signal::Yield, Value::Num(1.0))
    );
    let fib = iso.heap.fibers.get(f);
    let bytes = std::mem::size_of_val(fib)
        + fib.stack.capacity() * std::mem::size_of::<Value>()
        + fib.frames.capacity() * std::mem::size_of::<Frame>();
    assert!(bytes < 1024, "idle fiber uses {} bytes", bytes);
}
