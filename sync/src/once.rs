//! `Once<T>`: a value initialised exactly once, retryable after failure.
//!
//! State: INCOMPLETE (0), RUNNING (1), COMPLETE (2); key: the state's address.
//!
//! Protocol:
//! 1. COMPLETE (Acquire): return the value.
//! 2. CAS INCOMPLETE -> RUNNING: the winner runs its initialiser.
//!    - Ok: write the value, store COMPLETE (Release), wake all.
//!    - Err, panic, or (task) the future dropped: store INCOMPLETE, wake all;
//!      the woken callers race step 2 again, so one of them retries with its
//!      own initialiser. The failing caller gets its error (or its panic).
//! 3. RUNNING: wait on the key while it is RUNNING, then go to step 1.
//!
//! Invariant: the value cell is written only by the RUNNING winner and read
//! only after COMPLETE, which never changes again; so every caller that gets
//! a value gets the same `&T`. The cell accesses are this module's `unsafe`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::futex::{global, WaitResult};
use crate::loom::{AtomicU32, Ordering, UnsafeCell};
use crate::task_wait::AsyncWait;

const INCOMPLETE: u32 = 0;
const RUNNING: u32 = 1;
const COMPLETE: u32 = 2;

/// A cell initialised once, by the first caller whose initialiser succeeds.
pub struct Once<T> {
    state: AtomicU32,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: callers on many threads share `&T` (needs Sync); the value is
// produced on one thread and dropped on another (needs Send).
unsafe impl<T: Send + Sync> Sync for Once<T> {}
// SAFETY: moving the cell moves the `T`.
unsafe impl<T: Send> Send for Once<T> {}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Resets RUNNING to INCOMPLETE unless disarmed by `complete`.
struct Running<'a, T> {
    once: &'a Once<T>,
}

impl<T> Running<'_, T> {
    fn complete(self, value: T) {
        // SAFETY: we are the RUNNING winner; nobody reads before COMPLETE.
        self.once.value.with_mut(|p| unsafe { *p = Some(value) });
        self.once.state.store(COMPLETE, Ordering::Release);
        global().wake_all(self.once.key());
        std::mem::forget(self);
    }
}

impl<T> Drop for Running<'_, T> {
    fn drop(&mut self) {
        self.once.state.store(INCOMPLETE, Ordering::Release);
        global().wake_all(self.once.key());
    }
}

impl<T> Once<T> {
    /// An uninitialised cell.
    pub fn new() -> Self {
        Once {
            state: AtomicU32::new(INCOMPLETE),
            value: UnsafeCell::new(None),
        }
    }

    fn key(&self) -> usize {
        &self.state as *const AtomicU32 as usize
    }

    /// The value, if initialised.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == COMPLETE {
            // SAFETY: COMPLETE (Acquire) means the value was written before
            // and will never be written again.
            self.value.with(|p| unsafe { (*p).as_ref() })
        } else {
            None
        }
    }

    /// The value, running `init` on this thread if nobody has succeeded yet.
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        match self.get_or_try_init(|| Ok::<T, Infallible>(init())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_init`](Self::get_or_init), but an `Err` (or a panic)
    /// leaves the cell uninitialised for the next caller to retry.
    pub fn get_or_try_init<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
        self.init_until(None, init)
            .expect("a wait without deadline never times out")
    }

    /// As [`get_or_try_init`](Self::get_or_try_init), but waiting for
    /// another caller's initialiser gives up at `deadline` (`None`). A
    /// caller that wins the race runs `init` to the end, whatever the time.
    pub fn get_or_try_init_deadline<E>(
        &self,
        deadline: Instant,
        init: impl FnOnce() -> Result<T, E>,
    ) -> Option<Result<&T, E>> {
        self.init_until(Some(deadline), init)
    }

    fn init_until<E>(
        &self,
        deadline: Option<Instant>,
        init: impl FnOnce() -> Result<T, E>,
    ) -> Option<Result<&T, E>> {
        let mut init = Some(init);
        loop {
            if let Some(value) = self.get() {
                return Some(Ok(value));
            }
            match self.state.compare_exchange(
                INCOMPLETE,
                RUNNING,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let running = Running { once: self };
                    match (init.take().expect("runs once"))() {
                        Ok(value) => running.complete(value),
                        Err(e) => return Some(Err(e)),
                    }
                }
                Err(COMPLETE) => {}
                Err(_) => {
                    let busy = || self.state.load(Ordering::Relaxed) == RUNNING;
                    if global().wait(self.key(), busy, deadline) == WaitResult::TimedOut {
                        return None;
                    }
                }
            }
        }
    }

    /// The task form of [`get_or_try_init`](Self::get_or_try_init): the
    /// winner runs `init`'s future inside its own poll. Dropping the future
    /// while it initialises leaves the cell retryable. The initialiser's
    /// future is boxed once (so this module needs no pin projection).
    pub fn get_or_try_init_async<E, F, Fut>(&self, init: F) -> OnceInit<'_, T, F, Fut>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        OnceInit {
            once: self,
            init: Some(init),
            running: None,
            wait: AsyncWait::new(global(), self.key()),
        }
    }
}

/// Future returned by [`Once::get_or_try_init_async`].
pub struct OnceInit<'a, T, F, Fut> {
    once: &'a Once<T>,
    init: Option<F>,
    running: Option<(Running<'a, T>, Pin<Box<Fut>>)>,
    wait: AsyncWait<'static>,
}

impl<'a, T, E, F, Fut> Future for OnceInit<'a, T, F, Fut>
where
    F: FnOnce() -> Fut + Unpin,
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<&'a T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<&'a T, E>> {
        let this = self.get_mut();
        let once = this.once;
        loop {
            if let Some((_, fut)) = &mut this.running {
                let result = match fut.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                let (running, _) = this.running.take().expect("running");
                return Poll::Ready(match result {
                    Ok(value) => {
                        running.complete(value);
                        Ok(once.get().expect("just completed"))
                    }
                    Err(e) => Err(e), // `running` drops: INCOMPLETE, wake all.
                });
            }
            if this.wait.is_waiting() {
                let busy = |_: &mut usize| once.state.load(Ordering::Relaxed) == RUNNING;
                if this.wait.poll_wait(cx, 0, busy).is_pending() {
                    return Poll::Pending;
                }
            }
            if let Some(value) = once.get() {
                return Poll::Ready(Ok(value));
            }
            match once.state.compare_exchange(
                INCOMPLETE,
                RUNNING,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let fut = (this.init.take().expect("runs once"))();
                    this.running = Some((Running { once }, Box::pin(fut)));
                }
                Err(COMPLETE) => {}
                Err(_) => {
                    let busy = |_: &mut usize| once.state.load(Ordering::Relaxed) == RUNNING;
                    if this.wait.poll_wait(cx, 0, busy).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

impl<T, F, Fut> Drop for OnceInit<'_, T, F, Fut> {
    fn drop(&mut self) {
        // Openings wake everyone: a wake we got needs no passing on. A
        // running initialiser is dropped with its guard, which resets.
        self.wait.cancel();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Waker;

    #[test]
    fn error_then_retry_then_value_for_all() {
        let o = Once::new();
        assert_eq!(o.get_or_try_init(|| Err::<i32, _>("no")), Err("no"));
        assert!(o.get().is_none());
        assert_eq!(o.get_or_try_init(|| Ok::<_, ()>(7)), Ok(&7));
        assert_eq!(*o.get_or_init(|| 9), 7);
    }

    #[test]
    fn panic_leaves_it_retryable() {
        let o = Arc::new(Once::new());
        let o2 = o.clone();
        assert!(
            std::thread::spawn(move || *o2.get_or_init(|| panic!("boom")))
                .join()
                .is_err()
        );
        assert_eq!(*o.get_or_init(|| 3), 3);
    }

    #[test]
    fn dropped_async_init_is_retryable() {
        let o: Once<u8> = Once::new();
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = Box::pin(o.get_or_try_init_async(std::future::pending::<Result<u8, ()>>));
        assert!(f.as_mut().poll(&mut cx).is_pending());
        drop(f);
        assert_eq!(*o.get_or_init(|| 4), 4);
    }

    #[test]
    fn deadline_wait_gives_up_while_another_initialises() {
        use std::sync::mpsc;
        use std::time::Duration;
        let o = Arc::new(Once::new());
        let (started_tx, started) = mpsc::channel();
        let (finish, finish_rx) = mpsc::channel::<()>();
        let o2 = o.clone();
        let runner = std::thread::spawn(move || {
            *o2.get_or_init(|| {
                started_tx.send(()).unwrap();
                finish_rx.recv().unwrap();
                5
            })
        });
        started.recv().unwrap();
        let soon = Instant::now() + Duration::from_millis(20);
        let never = || -> Result<i32, ()> { unreachable!("the runner is initialising") };
        assert_eq!(o.get_or_try_init_deadline(soon, never), None);
        finish.send(()).unwrap();
        assert_eq!(runner.join().unwrap(), 5);
        let later = Instant::now() + Duration::from_millis(20);
        assert_eq!(o.get_or_try_init_deadline(later, never), Some(Ok(&5)));
    }
}
