//! `TaskTable`: the loop's live tasks, keyed by their root fiber.
//!
//! A fiber `Ref` is a small dense arena index, so the table is a vector
//! indexed by it rather than a hash map: no hashing on the park/wake path.
//! The vector is paged (`heap::pages`), so growing to a million tasks
//! (skynet) never copies the slots already there.
//!
//! Invariant: `slots[r.idx()]` is `Some` exactly while fiber `r` is a live
//! task, and `len` counts those slots. The loop traces every task's fiber,
//! so a slot's fiber cannot be collected (and its index reused) while the
//! slot is occupied.

use super::sched::TaskInfo;
use crate::heap::pages::Pages;
use crate::value::Ref;

/// Live tasks by root fiber.
#[derive(Debug, Default)]
pub struct TaskTable {
    slots: Pages<Option<TaskInfo>>,
    len: usize,
}

impl TaskTable {
    /// Registers `task`; returns the record it replaced, if any.
    pub fn insert(&mut self, task: Ref, info: TaskInfo) -> Option<TaskInfo> {
        let i = task.idx();
        self.slots.extend_to(i + 1, || None);
        let old = self.slots.get_mut(i).replace(info);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `task`'s record.
    pub fn remove(&mut self, task: &Ref) -> Option<TaskInfo> {
        let old = self.slots.try_get_mut(task.idx())?.take();
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    pub fn get(&self, task: &Ref) -> Option<&TaskInfo> {
        self.slots.try_get(task.idx())?.as_ref()
    }

    /// `task`'s slot, without reading it (for a cache prefetch).
    pub fn slot(&self, task: &Ref) -> Option<&Option<TaskInfo>> {
        self.slots.try_get(task.idx())
    }

    pub fn get_mut(&mut self, task: &Ref) -> Option<&mut TaskInfo> {
        self.slots.try_get_mut(task.idx())?.as_mut()
    }

    pub fn contains_key(&self, task: &Ref) -> bool {
        self.get(task).is_some()
    }

    /// Live tasks.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every live task, in fiber-index order.
    pub fn iter(&self) -> impl Iterator<Item = (Ref, &TaskInfo)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|info| (Ref(i as u32), info)))
    }
}

impl<'a> IntoIterator for &'a TaskTable {
    type Item = (Ref, &'a TaskInfo);
    type IntoIter = Box<dyn Iterator<Item = (Ref, &'a TaskInfo)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}
