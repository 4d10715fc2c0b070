//! Task switches made in place by the run loop (`Isolate::next_task`):
//! when a task parks and the next ready task can start at once, the VM
//! enters it without returning to the event loop. These tests pin when
//! that happens and that programs see the same order and results either
//! way (the `ev` suites check the orders in detail).

mod event_loop;

/// Runs `src` on the event loop; returns what it printed and the number
/// of in-place switches.
fn run(src: &str) -> (String, u64) {
    let iso = event_loop::run_to_end(src, "switch");
    let out = String::from_utf8(iso.capture.clone().unwrap_or_default()).unwrap();
    (out, iso.ev.switched_in_place)
}

const PING_PONG: &str = r#"
(def ping (ev/chan))
(def pong (ev/chan))
(ev/go (fn [] (for i 0 1000 (ev/give pong (+ 1 (ev/take ping))))))
(var sum 0)
(for i 0 1000
  (ev/give ping i)
  (set sum (+ sum (ev/take pong))))
(print sum)
"#;

#[test]
fn ping_pong_switches_in_place_and_sums_right() {
    let (out, switched) = run(PING_PONG);
    assert_eq!(out, "500500\n");
    // Two parks per round trip; nearly all of them switch in place (a run
    // returns to the loop after 64 switches, and the first ones start tasks).
    assert!(switched > 1500, "only {switched} switches in place");
}

#[test]
fn a_pending_timer_sends_every_switch_through_the_loop() {
    // The watcher's `ev/take` with a timeout keeps a timer pending the whole
    // time; only the loop reads the clock, so no switch may bypass it.
    let src = format!(
        r#"
(def done (ev/chan))
(def watcher (ev/spawn (ev/take done 1000)))
{PING_PONG}
(ev/give done :ok)
(print (ev/join watcher))
"#
    );
    let (out, switched) = run(&src);
    assert_eq!(out, "500500\nok\n");
    // The one switch starts the watcher, before its take sets the timer.
    assert_eq!(switched, 1);
}

#[test]
fn tasks_interleave_in_ready_order_across_switches() {
    // Three producers and a collector over a rendezvous channel: gives
    // and takes park and wake each other, so the run switches on most
    // messages. The order is the ready queue's, and the same as before
    // in-place switching existed (checked against that build).
    let src = r#"
(def ch (ev/chan))
(def log @[])
(each name [:a :b :c]
  (ev/go (fn [] (for i 0 3 (ev/give ch [name i])))))
(for _ 0 9 (array/push log (ev/take ch)))
(print (string/join (map (fn [[n i]] (string n i)) log) " "))
"#;
    let (out, switched) = run(src);
    assert_eq!(out, "a0 a1 b0 c0 a2 b1 c1 b2 c2\n");
    assert!(switched > 0);
}
