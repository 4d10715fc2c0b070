//! Grants: what a finished wait handed its task (a permit, a lock, an item,
//! a wake), held on the task until it actually resumes.
//!
//! Why: a wait completes in two steps — the op's `Done` runs while the task
//! is parked (the resource is now the task's), and the task later resumes.
//! An `ev/cancel` in between replaces the resume value with an error, and
//! whatever the value stood for would be lost (a permit leaked, a lock held
//! by nobody, a wake swallowed). api.md §8 wants it passed on instead.
//!
//! Protocol:
//! 1. The op's future produces the resource together with a `Grant` whose
//!    closure gives it back (`Grant::new(move || sem.release(1))`).
//! 2. If the op's `Done` is dropped unrun (the task stopped waiting first),
//!    the grant drops with it and gives the resource back.
//! 3. `Done` stores the grant on the task (`TaskInfo::grant`) and the task
//!    becomes ready. `Loop::cancel` of a ready task drops the grant: given
//!    back. Resuming the task (`driver::run_task`) calls `keep`: the task
//!    owns the resource from then on.
//!
//! Invariant: a grant's closure runs at most once, and only if the task
//! never resumed with the value that stood for it.

use std::fmt;

/// A resource handed to a task, given back on drop unless kept.
#[must_use = "dropping a grant gives its resource back at once"]
pub struct Grant(Option<Box<dyn FnOnce() + Send>>);

impl Grant {
    /// A grant that runs `give_back` unless kept.
    pub fn new(give_back: impl FnOnce() + Send + 'static) -> Grant {
        Grant(Some(Box::new(give_back)))
    }

    /// A grant with nothing to give back.
    pub fn none() -> Grant {
        Grant(None)
    }

    /// The task took the resource: nothing is given back.
    pub fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        if let Some(give_back) = self.0.take() {
            give_back();
        }
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Grant(held)"
        } else {
            "Grant(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Grant;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn counted() -> (Arc<AtomicUsize>, Grant) {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        (
            n,
            Grant::new(move || {
                m.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    #[test]
    fn dropped_grant_gives_back_once_and_kept_grant_never() {
        let (n, g) = counted();
        drop(g);
        assert_eq!(n.load(Ordering::SeqCst), 1);
        let (n, g) = counted();
        g.keep();
        assert_eq!(n.load(Ordering::SeqCst), 0);
        drop(Grant::none());
    }
}
