//! What one parked task costs: issues 5 and 7 ask that an idle, waiting
//! fiber stay under 1 KiB. A task is counted whole: its fiber object with
//! its register stack, frames and open upvalues, the closure it runs, its
//! slot in the loop's task table, and the waiter record it left in the
//! channel it waits on. The sizes of the records behind that sum are
//! pinned, so growing one of them is a decision, not an accident.

use spindle_lang::ev::chan::Waiter;
use spindle_lang::ev::sched::{TaskInfo, TaskWaiter};
use spindle_lang::fiber::{Fiber, Frame};
use spindle_lang::objects::Closure;
use spindle_lang::value::Ref;
use spindle_lang::{Isolate, Value};
use std::mem::size_of;

mod event_loop;

/// Runs `src` on the event loop until nothing can run, and returns the
/// isolate with the tasks that are still parked.
fn run_parked(src: &str) -> Isolate {
    event_loop::run_to_end(src, "parked")
}

/// Bytes held by parked task `t`, part by part.
fn task_bytes(iso: &Isolate, t: Ref) -> Vec<(&'static str, usize)> {
    let fib = iso.heap.fibers.get(t);
    let closure = match fib.func {
        Value::Closure(c) => {
            let c = iso.heap.closures.get(c);
            size_of::<Closure>() + 1 + c.captures.len() * size_of::<Value>()
        }
        _ => 0,
    };
    let info = iso.ev.tasks.get(&t).expect("a live task");
    vec![
        (
            "fiber object (arena slot + mark byte)",
            size_of::<Fiber>() + 1,
        ),
        ("register stack", fib.stack.capacity() * size_of::<Value>()),
        ("frames", fib.frames.capacity() * size_of::<Frame>()),
        (
            "open upvalues",
            fib.open_upvals.capacity() * size_of::<Ref>(),
        ),
        ("task closure", closure),
        ("task-table slot", size_of::<Option<TaskInfo>>()),
        // Joiners live in a box that a task without any does not have.
        ("task waiters", std::mem::size_of_val(info.waiters())),
        ("channel waiter record", size_of::<Waiter>()),
    ]
}

fn parked_tasks(iso: &Isolate) -> Vec<Ref> {
    iso.ev.tasks.iter().map(|(t, _)| t).collect()
}

fn check_under_1k(label: &str, iso: &Isolate) {
    let tasks = parked_tasks(iso);
    assert!(!tasks.is_empty(), "{}: no task stayed parked", label);
    for t in tasks {
        let parts = task_bytes(iso, t);
        let total: usize = parts.iter().map(|(_, n)| n).sum();
        let text: Vec<String> = parts.iter().map(|(k, n)| format!("{} {}", k, n)).collect();
        eprintln!("{}: {} bytes ({})", label, total, text.join(", "));
        assert!(
            total < 1024,
            "{}: a parked task uses {} bytes: {}",
            label,
            total,
            text.join(", ")
        );
    }
}

#[test]
fn a_task_parked_on_take_is_under_1k() {
    let iso = run_parked(
        "(def ch (ev/chan))
         (ev/go (fn [] (ev/take ch)))",
    );
    check_under_1k("take", &iso);
}

#[test]
fn a_skynet_leaf_parked_on_give_is_under_1k() {
    // The shape of perf/workloads/skynet: a closure made per task calls the
    // node function, which parks giving to its parent's channel.
    let iso = run_parked(
        "(var node nil)
         (defn task [ch num size] (fn [] (node ch num size)))
         (set node (fn [ch num size]
           (if (= size 1)
             (ev/give ch num)
             (do (def sub (ev/chan))
                 (for i 0 10 (ev/go (task sub (+ num i) 1)))
                 (var sum 0)
                 (for i 0 10 (set sum (+ sum (ev/take sub))))
                 (ev/give ch sum)))))
         (def ch (ev/chan))
         (ev/go (task ch 0 1))",
    );
    check_under_1k("skynet leaf", &iso);
    // The give is the leaf's last act, so the parked leaf keeps no stack.
    for t in parked_tasks(&iso) {
        assert_eq!(iso.heap.fibers.get(t).stack.capacity(), 0);
    }
}

#[test]
fn parked_task_records_are_pinned() {
    // A channel waiter: the offered value, the task, the wait's seq and
    // the select flag.
    assert_eq!(size_of::<Waiter>(), 32);
    assert_eq!(size_of::<TaskWaiter>(), 16);
    // State with its resume value, id, supervisor, grant, the observed
    // flag and the box of rare parts (joiners, a pending cancel): one slot
    // per fiber index in the task table.
    assert_eq!(size_of::<Option<TaskInfo>>(), 88);
    // Three vectors (stack, frames, open upvalues), two values (function,
    // last signal payload) and the links and counters.
    assert_eq!(size_of::<Fiber>(), 168);
    assert_eq!(size_of::<Closure>(), 24);
}

#[test]
fn a_task_that_ran_hot_code_gives_its_window_back_once_collected() {
    // Hot code gets a 256-register window (vm/fast.rs); the task then
    // parks holding it (its `s` is live: not a tail park), until a
    // collection cuts the dead registers.
    let mut iso = run_parked(
        "(def ch (ev/chan))
         (ev/go (fn [] (var s 0) (for i 0 100000 (set s (+ s (length \"ab\")))) (+ s (ev/take ch))))",
    );
    let t = parked_tasks(&iso)[0];
    let before = iso.heap.fibers.get(t).stack.capacity();
    assert!(
        before >= 256,
        "the hot loop ran in a window ({before} registers)"
    );
    iso.collect_now();
    check_under_1k("hot then parked, after a collection", &iso);
}
