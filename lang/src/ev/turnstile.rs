//! `Turnstile`: a FIFO of async operations taking turns, one at a time —
//! what serves each direction of a stream (api.md §4: one operation in
//! flight per direction, whole, in arrival order, nobody orphaned).
//!
//! Protocol:
//! 1. `turn()` is a future. Its first poll takes the turn at once if nobody
//!    holds it and nobody queues; otherwise it queues an entry (FIFO).
//! 2. Dropping the held `Turn` hands the turn to the front entry (marks it
//!    granted and wakes it) or, with an empty queue, frees the turnstile.
//! 3. A future dropped while queued leaves the queue; one dropped after it
//!    was granted but before it saw the grant passes the turn on, so a
//!    cancelled operation never stalls the ones behind it.
//!
//! Invariant: `held` is true exactly while some `Turn` exists or a grant is
//! in flight to a queued entry.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

struct Entry {
    id: u64,
    waker: Waker,
    granted: bool,
}

#[derive(Default)]
struct State {
    held: bool,
    next_id: u64,
    queue: VecDeque<Entry>,
}

/// A FIFO of operations, one served at a time.
#[derive(Default)]
pub struct Turnstile {
    state: Mutex<State>,
}

impl std::fmt::Debug for Turnstile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Turnstile")
    }
}

/// The two FIFOs of a stream: one for reads, one for writes.
#[derive(Debug, Default)]
pub struct Duplex {
    pub reads: Turnstile,
    pub writes: Turnstile,
}

/// Holding the turn; dropping it passes the turn on.
pub struct Turn<'a> {
    gate: &'a Turnstile,
}

/// The future of `Turnstile::turn`.
pub struct TurnWait<'a> {
    gate: &'a Turnstile,
    /// Queue entry id once queued.
    id: Option<u64>,
    done: bool,
}

impl Turnstile {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this caller's turn (step 1).
    pub fn turn(&self) -> TurnWait<'_> {
        TurnWait {
            gate: self,
            id: None,
            done: false,
        }
    }

    /// Step 2: hands the turn to the front entry, or frees it.
    fn pass_on(&self) {
        let mut st = self.lock();
        match st.queue.front_mut() {
            Some(e) => {
                e.granted = true;
                e.waker.wake_by_ref();
            }
            None => st.held = false,
        }
    }
}

impl<'a> Future for TurnWait<'a> {
    type Output = Turn<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Turn<'a>> {
        let gate = self.gate;
        let mut st = gate.lock();
        match self.id {
            None if !st.held && st.queue.is_empty() => {
                st.held = true;
                self.done = true;
                Poll::Ready(Turn { gate })
            }
            None => {
                let id = st.next_id;
                st.next_id += 1;
                st.queue.push_back(Entry {
                    id,
                    waker: cx.waker().clone(),
                    granted: false,
                });
                self.id = Some(id);
                Poll::Pending
            }
            Some(id) => {
                let front = st.queue.front_mut().filter(|e| e.id == id);
                match front {
                    Some(e) if e.granted => {
                        st.queue.pop_front();
                        self.done = true;
                        Poll::Ready(Turn { gate })
                    }
                    _ => {
                        if let Some(e) = st.queue.iter_mut().find(|e| e.id == id) {
                            e.waker.clone_from(cx.waker());
                        }
                        Poll::Pending
                    }
                }
            }
        }
    }
}

impl Drop for TurnWait<'_> {
    fn drop(&mut self) {
        let (Some(id), false) = (self.id, self.done) else {
            return;
        };
        let granted = {
            let mut st = self.gate.lock();
            let Some(i) = st.queue.iter().position(|e| e.id == id) else {
                return;
            };
            st.queue.remove(i).is_some_and(|e| e.granted)
        };
        // Step 3: a grant this future never used goes to the next in line.
        if granted {
            self.gate.pass_on();
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.gate.pass_on();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let w = Waker::from(Arc::new(Noop));
        Pin::new(f).poll(&mut Context::from_waker(&w))
    }

    #[test]
    fn turns_are_served_in_arrival_order() {
        let g = Turnstile::default();
        let mut a = g.turn();
        let mut b = g.turn();
        let mut c = g.turn();
        let ta = match poll(&mut a) {
            Poll::Ready(t) => t,
            Poll::Pending => panic!("first caller waits"),
        };
        assert!(poll(&mut b).is_pending());
        assert!(poll(&mut c).is_pending());
        drop(ta);
        assert!(poll(&mut c).is_pending(), "c jumped the queue");
        let tb = poll(&mut b);
        assert!(tb.is_ready());
        drop(tb);
        assert!(poll(&mut c).is_ready());
    }

    #[test]
    fn a_cancelled_waiter_passes_its_grant_on() {
        let g = Turnstile::default();
        let mut a = g.turn();
        let mut b = g.turn();
        let mut c = g.turn();
        let ta = poll(&mut a);
        assert!(poll(&mut b).is_pending());
        assert!(poll(&mut c).is_pending());
        drop(ta);
        drop(b);
        assert!(poll(&mut c).is_ready());
    }
}
