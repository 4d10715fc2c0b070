//! Tests of the timing wheel: fixed cases at tick and level edges, and
//! random insert/cancel/advance runs checked against an ordered-map model
//! (same firing set and order, never early, `next_deadline` bounds).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Wheel, WheelKey};

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

fn fire(w: &mut Wheel<u64>, now: Instant) -> Vec<u64> {
    let mut out = Vec::new();
    w.fire_expired(now, |id| out.push(id));
    w.check_invariants();
    out
}

#[test]
fn sub_millisecond_deadline_fires_exactly_not_early() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    w.insert(base + us(300), 1);
    w.insert(base + us(700), 2);
    assert_eq!(w.next_deadline(), Some(base + us(300)));
    assert!(fire(&mut w, base + us(299)).is_empty());
    assert_eq!(fire(&mut w, base + us(300)), [1]);
    // The other one is in the current tick's heap now; still exact.
    assert_eq!(w.next_deadline(), Some(base + us(700)));
    assert!(fire(&mut w, base + us(699)).is_empty());
    assert_eq!(fire(&mut w, base + us(700)), [2]);
    assert_eq!(w.next_deadline(), None);
}

#[test]
fn fires_in_deadline_then_insertion_order_across_levels() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    let deadlines = [5_000_000, 63_999, 64_000, 1_500, 1_500, 4_096_000, 10];
    for (id, d) in deadlines.iter().enumerate() {
        w.insert(base + us(*d), id as u64);
    }
    w.check_invariants();
    assert_eq!(fire(&mut w, base + us(10_000_000)), [6, 3, 4, 1, 2, 5, 0]);
    assert_eq!(w.len(), 0);
}

#[test]
fn a_stale_bound_after_cancel_costs_one_empty_fire_not_a_spin() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    let early = w.insert(base + Duration::from_secs(100), 1);
    w.insert(base + Duration::from_millis(100_500), 2);
    assert_eq!(w.next_deadline(), Some(base + Duration::from_secs(100)));
    w.remove(early);
    // The slot's minimum is now stale: still a bound, never later.
    let next = w.next_deadline().unwrap();
    assert!(next <= base + Duration::from_millis(100_500));
    assert!(fire(&mut w, next).is_empty());
    // One fire at the bound cascades the slot: the bound moves past `next`.
    let after = w.next_deadline().unwrap();
    assert!(after > next, "a worker parking with {after:?} would spin");
    assert_eq!(after, base + Duration::from_millis(100_500));
    assert_eq!(fire(&mut w, after), [2]);
}

#[test]
fn cancelled_entries_leave_nothing_and_stale_keys_are_no_ops() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    let a = w.insert(base + us(50), 1);
    let b = w.insert(base + Duration::from_secs(3), 2);
    assert_eq!(w.remove(b), Some(2));
    assert_eq!(w.remove(b), None);
    assert_eq!(fire(&mut w, base + us(60)), [1]);
    assert_eq!(w.remove(a), None, "fired entries cannot be removed");
    assert_eq!(w.len(), 0);
    assert_eq!(w.next_deadline(), None);
    // Keys of the reset slab do not alias new entries.
    let c = w.insert(base + us(80), 3);
    assert_eq!(w.remove(a), None);
    assert_eq!(w.remove(c), Some(3));
}

#[test]
fn clear_drops_every_value_and_far_deadlines_fit() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    let v = Arc::new(());
    for i in 0..1000u64 {
        w.insert(base + us(i * 997), v.clone());
    }
    // Beyond the wheel's 48-bit tick range (clamped, still exact).
    w.insert(base + Duration::from_secs(1 << 40), v.clone());
    w.check_invariants();
    assert_eq!(w.clear(), 1001);
    assert_eq!(Arc::strong_count(&v), 1);
    assert_eq!(w.next_deadline(), None);
    w.check_invariants();
}

#[test]
fn deadlines_already_past_fire_on_the_next_call() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    w.insert(base + Duration::from_secs(2), 9);
    assert!(fire(&mut w, base + Duration::from_secs(1)).is_empty());
    w.insert(base + us(10), 1);
    assert!(w.next_deadline().unwrap() <= base + us(10));
    assert_eq!(fire(&mut w, base + Duration::from_secs(1)), [1]);
}

/// splitmix64: a fixed-seed generator, so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A span in ns drawn from scales a timer store meets: sub-tick,
    /// a few ticks, one level up, seconds, days.
    fn span(&mut self) -> u64 {
        let scale = [
            2_000,
            1_500_000,
            70_000_000,
            5_000_000_000,
            300_000_000_000_000,
        ];
        let s = scale[self.below(scale.len() as u64) as usize];
        self.below(s)
    }
}

fn model_run(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let base = Instant::now();
    let mut w = Wheel::new(base);
    let mut now = base;
    let mut model: BTreeMap<(Instant, u64), ()> = BTreeMap::new();
    let mut keys: BTreeMap<u64, (Instant, WheelKey)> = BTreeMap::new();
    let mut next_id = 0u64;
    let mut fired_total = 0;
    for step in 0..steps {
        match rng.below(10) {
            0..=4 => {
                let deadline = if rng.below(20) == 0 {
                    now.checked_sub(Duration::from_nanos(rng.below(3_000_000)))
                        .unwrap_or(now)
                } else {
                    now + Duration::from_nanos(rng.span())
                };
                let key = w.insert(deadline, next_id);
                model.insert((deadline, next_id), ());
                keys.insert(next_id, (deadline, key));
                next_id += 1;
            }
            5..=6 => {
                let pick = rng.below(next_id + 1);
                if let Some(&id) = keys.range(pick..).next().map(|(id, _)| id) {
                    let (deadline, key) = keys.remove(&id).unwrap();
                    assert_eq!(w.remove(key), Some(id), "step {step}");
                    model.remove(&(deadline, id));
                }
            }
            _ => {
                now += Duration::from_nanos(rng.span() / (1 + rng.below(100)));
                let got = fire(&mut w, now);
                let want: Vec<u64> = model.range(..=(now, u64::MAX)).map(|(k, _)| k.1).collect();
                assert_eq!(got, want, "seed {seed} step {step}: fired set or order");
                for id in &got {
                    let (deadline, _) = keys.remove(id).unwrap();
                    assert!(deadline <= now, "fired early");
                    model.remove(&(deadline, *id));
                }
                fired_total += got.len();
                if let Some(next) = w.next_deadline() {
                    assert!(
                        next > now,
                        "seed {seed} step {step}: next deadline in the past"
                    );
                }
            }
        }
        assert_eq!(w.len(), model.len());
        let next = w.next_deadline();
        match model.keys().next() {
            None => assert_eq!(next, None),
            Some(&(earliest, _)) => {
                assert!(
                    next.unwrap() <= earliest,
                    "seed {seed} step {step}: next too late"
                )
            }
        }
        if step % 64 == 0 {
            w.check_invariants();
        }
    }
    assert!(fired_total > 0, "seed {seed}: the run never fired a timer");
    assert_eq!(w.clear(), model.len());
}

#[test]
fn random_runs_match_an_ordered_map_model() {
    for seed in 0..40 {
        model_run(seed, 3000);
    }
}

#[test]
fn one_long_random_run_matches_the_model() {
    model_run(0xC0FFEE, 60_000);
}

#[test]
fn get_mut_sees_an_entry_only_while_it_is_pending() {
    let base = Instant::now();
    let mut w = Wheel::new(base);
    let a = w.insert(base + us(500), 1);
    let b = w.insert(base + Duration::from_secs(90), 2);
    *w.get_mut(b).expect("pending") = 20;
    assert_eq!(w.get_mut(a).copied(), Some(1));
    assert_eq!(fire(&mut w, base + us(500)), [1]);
    assert_eq!(w.get_mut(a), None, "fired");
    // The fired node is reused; the old key must not see the new entry.
    let c = w.insert(base + us(900), 3);
    assert_eq!(w.get_mut(a), None, "stale key, reused node");
    assert_eq!(w.get_mut(c).copied(), Some(3));
    assert_eq!(w.remove(b), Some(20));
    assert_eq!(w.get_mut(b), None, "removed");
}
