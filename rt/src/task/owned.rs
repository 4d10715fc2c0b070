//! The owned-task list: every live spawned task of a runtime, so shutdown
//! can cancel tasks that sit in no queue (waiting on I/O or a timer).
//!
//! Sharded by task id; each shard is a slab under a small lock. The list
//! holds one reference per task. Invariant: after `close`, no task enters
//! (`insert` refuses and the caller cancels the new task at once), and
//! `drain_shard` empties a shard for good.

use super::raw::{RawTask, Task};
use crate::loom::{Mutex, Ordering};

const SHARDS: usize = if cfg!(loom) { 2 } else { 64 };

#[derive(Default)]
struct Shard {
    slots: Vec<Option<Task>>,
    free: Vec<usize>,
    closed: bool,
    len: usize,
}

/// All live tasks of one runtime.
pub(crate) struct OwnedTasks {
    shards: Vec<Mutex<Shard>>,
}

impl OwnedTasks {
    pub(crate) fn new() -> Self {
        OwnedTasks {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    pub(crate) fn shard_count(&self) -> usize {
        SHARDS
    }

    /// Lists `task`; gives it back if the list is closed.
    pub(crate) fn insert(&self, task: Task) -> Result<(), Task> {
        let mut shard = self.shards[task.id() as usize % SHARDS].lock();
        if shard.closed {
            return Err(task);
        }
        let idx = match shard.free.pop() {
            Some(i) => i,
            None => {
                shard.slots.push(None);
                shard.slots.len() - 1
            }
        };
        // Relaxed: the slot index is read only under this shard's lock.
        task.raw().header().owned_slot.store(idx, Ordering::Relaxed);
        shard.slots[idx] = Some(task);
        shard.len += 1;
        Ok(())
    }

    /// Unlists a completed task, dropping the list's reference.
    pub(crate) fn remove(&self, raw: RawTask) {
        let h = raw.header();
        let removed = {
            let mut shard = self.shards[h.id as usize % SHARDS].lock();
            let idx = h.owned_slot.load(Ordering::Relaxed);
            match shard.slots.get_mut(idx) {
                Some(slot) if slot.as_ref().is_some_and(|t| t.raw() == raw) => {
                    let t = slot.take();
                    shard.free.push(idx);
                    shard.len -= 1;
                    t
                }
                _ => None,
            }
        };
        drop(removed);
    }

    /// Closes every shard: later inserts are refused.
    pub(crate) fn close(&self) {
        for s in &self.shards {
            s.lock().closed = true;
        }
    }

    /// Takes all tasks of shard `i` (after `close`).
    pub(crate) fn drain_shard(&self, i: usize) -> Vec<Task> {
        let mut shard = self.shards[i].lock();
        shard.free.clear();
        shard.len = 0;
        std::mem::take(&mut shard.slots)
            .into_iter()
            .flatten()
            .collect()
    }

    /// Number of live listed tasks.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }
}
