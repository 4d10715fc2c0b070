//! Loom model of spindle-rt's search/park/notify handshake (`spindle_rt::Idle`).
//!
//! Two workers and a producer share one queue (standing in for the injector
//! and the stealable local queues). Workers follow the worker loop's idle
//! protocol exactly: pop work; else try to become a searcher and re-check;
//! else park (last searcher re-scans and notifies), sleep on a token
//! doorbell, and on waking call `unpark_self`. The producer publishes work
//! and calls `worker_to_notify`; one task also spawns a follow-up task from
//! inside a worker. The models check that every task runs exactly once and
//! that no wakeup is lost (a lost wakeup leaves every thread blocked, which
//! loom reports as a deadlock).

#![cfg(loom)]

use std::collections::VecDeque;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use spindle_rt::Idle;

const WORKERS: usize = 2;

struct Doorbell {
    token: Mutex<bool>,
    cv: Condvar,
}

impl Doorbell {
    fn ring(&self) {
        *self.token.lock().unwrap() = true;
        self.cv.notify_one();
    }

    fn wait(&self) {
        let mut t = self.token.lock().unwrap();
        while !*t {
            t = self.cv.wait(t).unwrap();
        }
        *t = false;
    }
}

struct Sched {
    idle: Idle,
    queue: Mutex<VecDeque<usize>>,
    bells: Vec<Doorbell>,
    runs: Vec<AtomicUsize>,
    done: Mutex<usize>,
    done_cv: Condvar,
    shutdown: AtomicBool,
}

impl Sched {
    fn new(tasks: usize) -> Self {
        Sched {
            idle: Idle::new(WORKERS),
            queue: Mutex::new(VecDeque::new()),
            bells: (0..WORKERS)
                .map(|_| Doorbell {
                    token: Mutex::new(false),
                    cv: Condvar::new(),
                })
                .collect(),
            runs: (0..tasks).map(|_| AtomicUsize::new(0)).collect(),
            done: Mutex::new(0),
            done_cv: Condvar::new(),
            shutdown: AtomicBool::new(false),
        }
    }

    fn publish(&self, task: usize) {
        self.queue.lock().unwrap().push_back(task);
        if let Some(i) = self.idle.worker_to_notify() {
            self.bells[i].ring();
        }
    }

    fn run(&self, task: usize, spawn_next: bool) {
        let prev = self.runs[task].fetch_add(1, Ordering::SeqCst);
        assert_eq!(prev, 0, "task {task} ran twice");
        if spawn_next && task == 0 {
            // Task 0 spawns task 2 from inside a worker.
            self.publish(2);
        }
        *self.done.lock().unwrap() += 1;
        self.done_cv.notify_all();
    }

    fn worker(&self, idx: usize, spawn_next: bool) {
        let mut searching = false;
        loop {
            if self.shutdown.load(Ordering::SeqCst) {
                return;
            }
            let next = self.queue.lock().unwrap().pop_front();
            if let Some(t) = next {
                if searching {
                    searching = false;
                    if self.idle.transition_worker_from_searching() {
                        if let Some(i) = self.idle.worker_to_notify() {
                            self.bells[i].ring();
                        }
                    }
                }
                self.run(t, spawn_next);
                continue;
            }
            if !searching && self.idle.transition_worker_to_searching() {
                searching = true;
                continue; // re-scan as a searcher
            }
            let last = self.idle.transition_worker_to_parked(idx, searching);
            if last && !self.queue.lock().unwrap().is_empty() {
                if let Some(i) = self.idle.worker_to_notify() {
                    self.bells[i].ring();
                }
            }
            self.bells[idx].wait();
            searching = self.idle.unpark_self(idx);
        }
    }
}

fn model(tasks: usize, spawn_next: bool) {
    loom::model(move || {
        let s = Arc::new(Sched::new(tasks));
        let workers: Vec<_> = (0..WORKERS)
            .map(|i| {
                let s = s.clone();
                thread::spawn(move || s.worker(i, spawn_next))
            })
            .collect();
        let published = if spawn_next { tasks - 1 } else { tasks };
        for t in 0..published {
            s.publish(t);
        }
        let mut done = s.done.lock().unwrap();
        while *done < tasks {
            done = s.done_cv.wait(done).unwrap();
        }
        drop(done);
        s.shutdown.store(true, Ordering::SeqCst);
        for b in &s.bells {
            b.ring();
        }
        for w in workers {
            w.join().unwrap();
        }
        for (t, r) in s.runs.iter().enumerate() {
            assert_eq!(r.load(Ordering::SeqCst), 1, "task {t} ran once");
        }
    });
}

#[test]
fn one_task_is_never_lost() {
    model(1, false);
}

#[test]
fn task_spawned_by_a_worker_is_never_lost() {
    model(3, true);
}
