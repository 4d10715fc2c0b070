//! `Barrier`: `n` parties meet, then all go on; reusable across generations.
//!
//! State: one `u64` — the generation in the high 32 bits, the parties
//! arrived in this generation in the low 32. Key: the word's address.
//!
//! Protocol:
//! 1. Arrive: CAS count+1; the party that would make it `n` instead CASes
//!    (generation+1, count 0) — it is the leader — and wakes all.
//! 2. Others wait on the key while the generation is still theirs.
//! 3. Withdraw (deadline passed, future dropped): CAS count-1 if the
//!    generation is still theirs; if the generation moved on, the barrier
//!    already released them and the wait counts as passed.
//!
//! Invariant: arrivals and withdrawals are CASes on the same word as the
//! release, so a withdrawn party is never counted in a completed generation
//! and a released one never withdraws. Generations wrap after 2^32 uses; a
//! waiter asleep through exactly 2^32 generations would miss its release.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::loom::{AtomicU64, Ordering};
use crate::task_wait::AsyncWait;

/// A reusable barrier for `n` threads or tasks.
#[derive(Debug)]
pub struct Barrier {
    state: AtomicU64,
    n: u64,
}

/// How a party left the barrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// True for exactly one party per generation: the last to arrive.
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

fn generation(s: u64) -> u64 {
    s >> 32
}

impl Barrier {
    /// A barrier for `n` parties (`n` of 0 behaves like 1).
    pub fn new(n: usize) -> Self {
        let n = (n.max(1) as u64).min(u32::MAX as u64);
        Barrier {
            state: AtomicU64::new(0),
            n,
        }
    }

    fn key(&self) -> usize {
        &self.state as *const AtomicU64 as usize
    }

    /// Completed generations so far (a snapshot; wraps at 2^32).
    pub fn generation(&self) -> u64 {
        generation(self.state.load(Ordering::Relaxed))
    }

    /// Step 1: arrive; `Ok(leader result)` if this arrival completed the
    /// generation, else `Err(generation)` to wait on.
    fn arrive(&self) -> Result<BarrierWaitResult, u64> {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let (g, count) = (generation(s), s & 0xFFFF_FFFF);
            let next = if count + 1 == self.n {
                ((g + 1) & 0xFFFF_FFFF) << 32
            } else {
                s + 1
            };
            // AcqRel: the leader sees every party's prior writes, and each
            // party sees the leader's release of them.
            match self
                .state
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if count + 1 == self.n => {
                    global().wake_all(self.key());
                    return Ok(BarrierWaitResult { leader: true });
                }
                Ok(_) => return Err(g),
                Err(now) => s = now,
            }
        }
    }

    /// Step 3: true if withdrawn; false if generation `g` was already released.
    fn withdraw(&self, g: u64) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        while generation(s) == g {
            match self
                .state
                .compare_exchange_weak(s, s - 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    fn released(&self, g: u64) -> bool {
        generation(self.state.load(Ordering::Acquire)) != g
    }

    /// Blocks the thread until all `n` parties have arrived.
    pub fn wait(&self) -> BarrierWaitResult {
        self.wait_inner(None).expect("no deadline")
    }

    /// Blocks until all arrive, or withdraws this arrival at `deadline`
    /// and returns `None`.
    pub fn wait_deadline(&self, deadline: Instant) -> Option<BarrierWaitResult> {
        self.wait_inner(Some(deadline))
    }

    fn wait_inner(&self, deadline: Option<Instant>) -> Option<BarrierWaitResult> {
        let g = match self.arrive() {
            Ok(leader) => return Some(leader),
            Err(g) => g,
        };
        loop {
            if self.released(g) {
                return Some(BarrierWaitResult { leader: false });
            }
            let result = global().wait(self.key(), || !self.released(g), deadline);
            if result == WaitResult::TimedOut {
                return if self.withdraw(g) {
                    None
                } else {
                    Some(BarrierWaitResult { leader: false })
                };
            }
        }
    }

    /// Waits as a task. Dropping the future before it resolves withdraws
    /// the arrival. For a deadline, race it with a timer.
    pub fn wait_async(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            gen: None,
            wait: AsyncWait::new(global(), self.key()),
        }
    }
}

/// Future returned by [`Barrier::wait_async`].
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    /// The generation arrived in, while waiting.
    gen: Option<u64>,
    wait: AsyncWait<'static>,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let b = this.barrier;
        let g = match this.gen {
            Some(g) => g,
            None => match b.arrive() {
                Ok(leader) => return Poll::Ready(leader),
                Err(g) => *this.gen.insert(g),
            },
        };
        loop {
            if !this.wait.is_waiting() && b.released(g) {
                this.gen = None;
                return Poll::Ready(BarrierWaitResult { leader: false });
            }
            if this.wait.poll_wait(cx, 0, |_| !b.released(g)).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        // Releases are wake-alls: a wake we got needs no passing on.
        self.wait.cancel();
        if let Some(g) = self.gen {
            self.barrier.withdraw(g);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Waker;
    use std::time::Duration;

    #[test]
    fn one_leader_per_generation() {
        let b = Arc::new(Barrier::new(3));
        for round in 1..=3 {
            let hs: Vec<_> = (0..3)
                .map(|_| {
                    let b = b.clone();
                    std::thread::spawn(move || b.wait().is_leader())
                })
                .collect();
            let leaders = hs
                .into_iter()
                .filter(|_| true)
                .map(|h| h.join().unwrap())
                .filter(|&l| l)
                .count();
            assert_eq!(leaders, 1);
            assert_eq!(b.generation(), round);
        }
    }

    #[test]
    fn timed_out_and_dropped_arrivals_withdraw() {
        let b = Barrier::new(2);
        assert!(b
            .wait_deadline(Instant::now() + Duration::from_millis(2))
            .is_none());
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = Box::pin(b.wait_async());
        assert!(f.as_mut().poll(&mut cx).is_pending());
        drop(f);
        assert_eq!(b.generation(), 0);
        let mut f = Box::pin(b.wait_async());
        assert!(f.as_mut().poll(&mut cx).is_pending());
        assert!(b.wait().is_leader());
        assert_eq!(
            f.as_mut().poll(&mut cx),
            Poll::Ready(BarrierWaitResult { leader: false })
        );
        assert_eq!(b.generation(), 1);
    }
}
