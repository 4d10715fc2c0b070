//! The loop's bookkeeping: live tasks, the ready queue, timers, waiters on
//! tasks, and the errors nobody observed.
//!
//! Invariants:
//! - A task is in `tasks` from `spawn` until it finishes; it sits in `ready`
//!   at most once, exactly while its state is `Ready`.
//! - A waiter record `(task, seq)` is live only while the task is
//!   `Parked { seq }` with the same `seq`; `wake` checks this, so stale
//!   records anywhere (channels, timers, task waiter lists) are harmless.
//! - Every heap value held here is reported by `trace` (a GC root).

use super::grant::Grant;
use super::ops::Ops;
use super::task_table::TaskTable;
use crate::fiber::Frame;
use crate::value::{Ref, Value};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

/// How a parked task continues.
#[derive(Clone, Copy, Debug)]
pub enum Resume {
    /// The suspended call returns this value.
    Value(Value),
    /// The suspended call raises this error.
    Error(Value),
}

/// Where a task is in its life.
#[derive(Clone, Copy, Debug)]
pub enum TaskState {
    Ready(Resume),
    Running,
    Parked { seq: u64 },
}

/// What a task waiting on another task receives when it finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// The value, or its error raised (`ev/join`).
    Join,
    /// `[ok? value]` (`ev/join-protected`).
    Protected,
    /// The finished task itself (`ev/-wait-any`).
    Any,
    /// `[:done task]` (`ev/select`).
    Select,
    /// nil once it has finished (`ev/abort`).
    Unwound,
}

/// One waiter on a task.
#[derive(Clone, Copy, Debug)]
pub struct TaskWaiter {
    pub task: Ref,
    pub seq: u64,
    pub kind: JoinKind,
}

/// A live task.
#[derive(Debug)]
pub struct TaskInfo {
    pub state: TaskState,
    pub id: u64,
    /// Supervisor channel, or nil.
    pub supervisor: Value,
    /// What its finished wait handed it, until it resumes (`ev::grant`).
    pub grant: Option<Grant>,
    /// Someone promised to look at its result (scope, gather, join...).
    pub observed: bool,
    /// Joiners and a pending cancel, boxed: most tasks (a million of them
    /// in skynet) never have either, and every task has a table slot.
    rare: Option<Box<TaskRare>>,
}

/// The parts of a task few tasks use.
#[derive(Debug, Default)]
struct TaskRare {
    waiters: Vec<TaskWaiter>,
    /// A cancel asked for while the task itself was running.
    cancel_pending: Option<Value>,
}

impl TaskInfo {
    /// A task in `state` with no joiners and no pending cancel.
    pub fn new(state: TaskState, id: u64, supervisor: Value) -> TaskInfo {
        TaskInfo {
            state,
            id,
            supervisor,
            grant: None,
            observed: false,
            rare: None,
        }
    }

    /// Tasks waiting for this one to finish.
    pub fn waiters(&self) -> &[TaskWaiter] {
        self.rare.as_ref().map_or(&[], |r| &r.waiters)
    }

    /// Adds a task waiting for this one to finish.
    pub fn add_waiter(&mut self, w: TaskWaiter) {
        self.rare.get_or_insert_with(Box::default).waiters.push(w);
    }

    /// The cancel asked for while the task was running, if any.
    pub fn cancel_pending(&self) -> Option<Value> {
        self.rare.as_ref().and_then(|r| r.cancel_pending)
    }

    /// Takes the pending cancel.
    pub fn take_cancel_pending(&mut self) -> Option<Value> {
        self.rare.as_mut().and_then(|r| r.cancel_pending.take())
    }

    fn set_cancel_pending(&mut self, err: Value) {
        self.rare.get_or_insert_with(Box::default).cancel_pending = Some(err);
    }
}

/// A timer: at `at`, wake `task` if still parked with `seq`.
#[derive(Debug)]
pub struct Timer {
    pub at: Instant,
    pub seq: u64,
    pub task: Ref,
    pub fire: Resume,
}

impl PartialEq for Timer {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Timer {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// The event loop state of one isolate.
#[derive(Debug, Default)]
pub struct Loop {
    pub tasks: TaskTable,
    pub ready: VecDeque<Ref>,
    /// The task whose fiber chain is running.
    pub current: Option<Ref>,
    pub timers: BinaryHeap<Timer>,
    /// Failed tasks reported as unobserved whose error nobody consumed yet.
    pub unconsumed: Vec<Ref>,
    /// Method table of channels (a table value, built at registration).
    pub chan_methods: Value,
    /// Method table of streams and listeners.
    pub stream_methods: Value,
    /// Method tables of atomics and locks.
    pub atomic_methods: Value,
    pub lock_methods: Value,
    /// std/sync: each kind's method table, and the `sync/closed` sentinel
    /// (indexed by `corelib::ev_sync::Kind`).
    pub sync_values: Vec<Value>,
    /// Process-unique id of this loop (0 until first needed; lock owners).
    pub uid: u64,
    /// Rust operations in flight (I/O).
    pub ops: Ops,
    /// Tasks the running run may still switch to in place (set by
    /// `EvRun::step` for each run; see `driver::next_task`).
    pub switches_left: u32,
    /// Task switches made in place so far (a statistic, for tests).
    pub switched_in_place: u64,
    /// Emptied register stacks and frame vectors of tasks that returned,
    /// for the next task to start running (`recycle`, `reuse`).
    spare: Vec<(Vec<Value>, Vec<Frame>)>,
    seq: u64,
    next_id: u64,
}

/// Finished tasks' buffers kept for reuse, at most.
const SPARE_MAX: usize = 256;
/// Register stacks larger than this (values) are freed, not kept, so a
/// reused one never makes a small task big (a parked task must stay under
/// 1 KiB).
const SPARE_STACK_MAX: usize = 32;

/// Fiber flag bit marking a task's root fiber (beside the env flags).
pub const FLAG_TASK: u32 = 1 << 8;

impl Loop {
    /// Registers `fiber` as a new task, ready to start with `value`.
    pub fn spawn(&mut self, fiber: Ref, value: Value, supervisor: Value, front: bool) -> u64 {
        self.next_id += 1;
        self.tasks.insert(
            fiber,
            TaskInfo::new(
                TaskState::Ready(Resume::Value(value)),
                self.next_id,
                supervisor,
            ),
        );
        if front {
            self.ready.push_front(fiber);
        } else {
            self.ready.push_back(fiber);
        }
        self.next_id
    }

    /// Keeps the buffers of a task's fiber that returned (both empty) for
    /// a later task, unless they are large or enough are kept already.
    pub fn recycle(&mut self, mut stack: Vec<Value>, mut frames: Vec<Frame>) {
        stack.clear();
        frames.clear();
        if self.spare.len() < SPARE_MAX
            && stack.capacity() <= SPARE_STACK_MAX
            && frames.capacity() <= 8
        {
            self.spare.push((stack, frames));
        }
    }

    /// Buffers for a new task's fiber, if a finished one left some.
    pub fn reuse(&mut self) -> Option<(Vec<Value>, Vec<Frame>)> {
        self.spare.pop()
    }

    /// Parks the current task; returns the wait's sequence number, or None
    /// outside a task. A cancel requested meanwhile makes it ready at once.
    pub fn park(&mut self) -> Option<u64> {
        let t = self.current?;
        self.seq += 1;
        let seq = self.seq;
        let info = self.tasks.get_mut(&t)?;
        info.state = TaskState::Parked { seq };
        if let Some(e) = info.take_cancel_pending() {
            self.wake(t, seq, Resume::Error(e));
        }
        Some(seq)
    }

    /// True if `task` is parked on wait `seq`.
    pub fn is_parked(&self, task: Ref, seq: u64) -> bool {
        matches!(self.tasks.get(&task), Some(TaskInfo { state: TaskState::Parked { seq: s }, .. }) if *s == seq)
    }

    /// Completes wait `seq` of `task` (step 2 of the protocol). False if
    /// that wait is no longer current.
    pub fn wake(&mut self, task: Ref, seq: u64, r: Resume) -> bool {
        match self.tasks.get_mut(&task) {
            Some(info) if matches!(info.state, TaskState::Parked { seq: s } if s == seq) => {
                info.state = TaskState::Ready(r);
                self.ready.push_back(task);
                true
            }
            _ => false,
        }
    }

    /// Adds a timer for the current wait.
    pub fn add_timer(&mut self, task: Ref, seq: u64, at: Instant, fire: Resume) {
        self.timers.push(Timer {
            at,
            seq,
            task,
            fire,
        });
    }

    /// Wakes every timer due at `now`; returns the next deadline.
    pub fn fire_timers(&mut self, now: Instant) -> Option<Instant> {
        while let Some(t) = self.timers.peek() {
            if !self.is_parked(t.task, t.seq) {
                // Its wait ended some other way: drop it so it neither
                // fires late nor keeps the loop sleeping.
                self.timers.pop();
                continue;
            }
            if t.at > now {
                return Some(t.at);
            }
            let t = self.timers.pop().expect("peeked");
            self.ops.dirty = true;
            self.wake(t.task, t.seq, t.fire);
        }
        None
    }

    /// Drops timers whose wait is over (keeps the heap small).
    pub fn prune_timers(&mut self) {
        if self.timers.len() > 64 {
            let live: Vec<Timer> = std::mem::take(&mut self.timers)
                .into_iter()
                .filter(|t| self.is_parked(t.task, t.seq))
                .collect();
            self.timers = live.into();
        }
    }

    /// Asynchronous cancel (`ev/cancel`): the task resumes raising `err`.
    pub fn cancel(&mut self, task: Ref, err: Value) {
        let Some(info) = self.tasks.get_mut(&task) else {
            return;
        };
        self.ops.dirty = true;
        match info.state {
            TaskState::Ready(_) => {
                // The wait it finished will not be acted on: give back what
                // it was handed (dropping the grant does).
                info.grant = None;
                info.state = TaskState::Ready(Resume::Error(err));
            }
            TaskState::Running => info.set_cancel_pending(err),
            TaskState::Parked { .. } => {
                info.state = TaskState::Ready(Resume::Error(err));
                self.ready.push_back(task);
            }
        }
    }

    /// Drops ops whose task no longer waits on them; returns what they
    /// leave behind, to run on the isolate (`ops::Salvage`).
    #[must_use]
    pub fn sweep_ops(&mut self) -> Vec<super::ops::Salvage> {
        let tasks = &self.tasks;
        self.ops.sweep(|t, seq| {
            matches!(tasks.get(&t), Some(TaskInfo { state: TaskState::Parked { seq: s }, .. }) if *s == seq)
        })
    }

    /// Pushes every heap value the loop holds.
    pub fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.chan_methods);
        out.push(self.stream_methods);
        out.push(self.atomic_methods);
        out.push(self.lock_methods);
        out.extend(self.sync_values.iter().copied());
        out.extend(self.ops.tasks().map(Value::Fiber));
        out.extend(self.current.map(Value::Fiber));
        // Static iteration, and no nil supervisors: with a million parked
        // tasks this is most of the gray stack.
        for (t, info) in self.tasks.iter() {
            out.push(Value::Fiber(t));
            if info.supervisor != Value::Nil {
                out.push(info.supervisor);
            }
            if let Some(e) = info.cancel_pending() {
                out.push(e);
            }
            if let TaskState::Ready(Resume::Value(v) | Resume::Error(v)) = info.state {
                out.push(v);
            }
            out.extend(info.waiters().iter().map(|w| Value::Fiber(w.task)));
        }
        for t in &self.timers {
            out.push(Value::Fiber(t.task));
            let (Resume::Value(v) | Resume::Error(v)) = t.fire;
            out.push(v);
        }
        out.extend(self.unconsumed.iter().map(|t| Value::Fiber(*t)));
    }
}
