//! Loom model of spindle-rt's task state machine (`spindle_rt::task_state`,
//! rt/src/task/state.rs), driven the way `task::raw` drives it.
//!
//! One task, one "future" in a loom `UnsafeCell` (so two threads touching
//! it at once is a reported data race), a run queue whose entries are
//! references (state invariant 2: NOTIFIED and not RUNNING means exactly
//! one entry). A worker thread runs queue entries with `raw::Task::run`'s
//! logic while other threads wake the task (it is ready once its signal is
//! set), abort it, or shut it down. After every thread is done the main
//! thread drains the queue and checks that:
//! - the future was never polled concurrently nor after it finished
//!   ("no task is run twice");
//! - the task is COMPLETE: the wake that followed the signal was not lost,
//!   and an abort or shutdown always ends in a cancelled completion;
//! - the output is what the race allows (value, or cancelled);
//! - every reference was released and the cell freed exactly once.

#![cfg(loom)]

use std::collections::VecDeque;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use spindle_rt::task_state::{
    State, ToIdle, ToRunning, COMPLETE, JOIN_INTEREST, NOTIFIED, REF_SHIFT, RUNNING,
};

/// The future's stage, as in `task::raw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Running,
    Finished(Output),
    Consumed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Value,
    Cancelled,
}

struct Task {
    state: State,
    stage: UnsafeCell<Stage>,
    /// Set by the waker before it wakes: the future is ready from then on.
    signal: AtomicBool,
    /// Queue entries, each holding one reference.
    queue: Mutex<VecDeque<()>>,
    polls: AtomicUsize,
    frees: AtomicUsize,
}

impl Task {
    /// A spawned task: one queue entry, the owned-list entry, the join
    /// handle and one waker clone (held by the waking thread).
    fn spawned() -> Task {
        let t = Task {
            state: State::new(4),
            stage: UnsafeCell::new(Stage::Running),
            signal: AtomicBool::new(false),
            queue: Mutex::new(VecDeque::new()),
            polls: AtomicUsize::new(0),
            frees: AtomicUsize::new(0),
        };
        t.queue.lock().unwrap().push_back(());
        t
    }

    fn ref_dec(&self) {
        if self.state.ref_dec() {
            self.frees.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// `raw::Task::run` for one queue entry (whose reference we own).
    fn run(&self) {
        match self.state.transition_to_running() {
            ToRunning::Skip => {}
            ToRunning::Cancel => self.cancel_and_complete(),
            ToRunning::Poll => {
                if self.poll() {
                    self.complete();
                } else {
                    match self.state.transition_to_idle() {
                        ToIdle::Idle => {}
                        ToIdle::Notified => {
                            // Re-queued with the same reference.
                            self.queue.lock().unwrap().push_back(());
                            return;
                        }
                        ToIdle::Cancel => self.cancel_and_complete(),
                    }
                }
            }
        }
        self.ref_dec();
    }

    /// Polls the future (the caller holds RUNNING): ready once signalled.
    fn poll(&self) -> bool {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.stage.with_mut(|stage| {
            // SAFETY: RUNNING gives this thread the stage; loom reports a
            // race if the state machine ever let two threads in.
            let stage = unsafe { &mut *stage };
            assert_eq!(*stage, Stage::Running, "polled after it finished");
            if self.signal.load(Ordering::SeqCst) {
                *stage = Stage::Finished(Output::Value);
                true
            } else {
                false
            }
        })
    }

    fn cancel_and_complete(&self) {
        self.stage.with_mut(|stage| {
            // SAFETY: as in `poll`, the caller holds RUNNING.
            let stage = unsafe { &mut *stage };
            assert_eq!(*stage, Stage::Running, "cancelled after it finished");
            *stage = Stage::Finished(Output::Cancelled);
        });
        self.complete();
    }

    /// `raw::RawTask::complete`: COMPLETE, leave the owned list.
    fn complete(&self) {
        let prev = self.state.transition_to_complete();
        assert!(prev & RUNNING != 0, "completed without RUNNING");
        self.ref_dec(); // the owned-list entry
        if prev & JOIN_INTEREST == 0 {
            self.stage.with_mut(|stage| {
                // SAFETY: after COMPLETE with no join interest nobody else
                // touches the stage (invariant 3).
                unsafe { *stage = Stage::Consumed };
            });
        }
    }

    /// The waker thread: signal, then wake by value.
    fn wake(&self) {
        self.signal.store(true, Ordering::SeqCst);
        if self.state.transition_to_notified() {
            self.queue.lock().unwrap().push_back(());
        }
        self.ref_dec(); // the waker clone
    }

    /// `JoinHandle::abort`.
    fn abort(&self) {
        if self.state.transition_to_aborted() {
            self.queue.lock().unwrap().push_back(());
        }
    }

    /// Shutdown's cancel of a listed task (the owned list's reference is
    /// the one `complete` drops, so it is not dropped here).
    fn shutdown(&self) {
        if self.state.transition_to_shutdown() {
            self.cancel_and_complete();
        }
    }

    /// Runs queue entries until the queue is empty.
    fn drain(&self) {
        loop {
            let entry = self.queue.lock().unwrap().pop_front();
            match entry {
                Some(()) => self.run(),
                None => return,
            }
        }
    }

    /// The join handle reads the output (if any) and goes away.
    fn join(&self) -> Option<Output> {
        let s = self.state.load();
        assert!(
            s & COMPLETE != 0,
            "a wake, abort or shutdown was lost: {s:#b}"
        );
        let out = if self.state.unset_join_interest() {
            None
        } else {
            // Complete while we kept join interest: the output is ours.
            self.stage.with_mut(|stage| {
                // SAFETY: COMPLETE and join interest (invariant 3).
                let stage = unsafe { &mut *stage };
                match std::mem::replace(stage, Stage::Consumed) {
                    Stage::Finished(o) => Some(o),
                    other => panic!("output missing: {other:?}"),
                }
            })
        };
        self.ref_dec(); // the join handle
        out
    }
}

/// Which racers run against the worker.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Racers {
    wake: bool,
    abort: bool,
    shutdown: bool,
}

fn model(racers: Racers) {
    loom::model(move || {
        let task = Arc::new(Task::spawned());
        let mut threads = Vec::new();
        let t = task.clone();
        threads.push(thread::spawn(move || t.drain()));
        if racers.wake {
            let t = task.clone();
            threads.push(thread::spawn(move || t.wake()));
        } else {
            // No racing wake: the waker clone is just dropped.
            task.ref_dec();
        }
        if racers.abort {
            let t = task.clone();
            threads.push(thread::spawn(move || t.abort()));
        }
        if racers.shutdown {
            let t = task.clone();
            threads.push(thread::spawn(move || t.shutdown()));
        }
        for th in threads {
            th.join().unwrap();
        }
        // Whatever the racers queued runs now (another worker, later).
        task.drain();
        let s = task.state.load();
        assert!(
            s & NOTIFIED == 0 || s & COMPLETE != 0,
            "notified but nothing queued: {s:#b}"
        );
        let out = task.join();
        let polls = task.polls.load(Ordering::SeqCst);
        let stopped = racers.abort || racers.shutdown;
        match out {
            Some(Output::Value) => assert!(racers.wake, "ready only once signalled"),
            Some(Output::Cancelled) => assert!(stopped, "cancelled only when asked"),
            None => unreachable!("the join handle kept its interest"),
        }
        assert!(polls <= 2, "polled {polls} times for one wake");
        assert_eq!(s >> REF_SHIFT, 1, "only the join handle's reference left");
        assert_eq!(
            task.state.load() >> REF_SHIFT,
            0,
            "every reference released"
        );
        assert_eq!(task.frees.load(Ordering::SeqCst), 1, "freed exactly once");
    });
}

#[test]
fn woken_while_running_is_polled_again_not_twice_at_once() {
    model(Racers {
        wake: true,
        abort: false,
        shutdown: false,
    });
}

#[test]
fn abort_racing_a_wake_cancels_exactly_once() {
    model(Racers {
        wake: true,
        abort: true,
        shutdown: false,
    });
}

#[test]
fn shutdown_racing_a_wake_cancels_exactly_once() {
    model(Racers {
        wake: true,
        abort: false,
        shutdown: true,
    });
}

#[test]
fn abort_racing_shutdown_completes_once() {
    model(Racers {
        wake: false,
        abort: true,
        shutdown: true,
    });
}
