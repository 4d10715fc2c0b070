//! The raw task layer: one heap cell per task (header + stage), a vtable
//! that erases the future's type, the reference-owning handles (`Task`,
//! `JoinSlot<T>`) and the `Waker` built on the same reference count. All of
//! the runtime's task `unsafe` lives here.
//!
//! Protocol (see `state` for the bits):
//! 1. `spawn` allocates a cell with three references: the queued `Task`, the
//!    owned-task list entry, and the `JoinSlot` inside the `JoinHandle`.
//! 2. A worker runs a `Task`: NOTIFIED -> RUNNING, polls the future with a
//!    waker that borrows the task's reference count, then RUNNING -> idle
//!    (dropping the queue reference) or re-queues itself if woken meanwhile.
//! 3. A wake while idle adds a reference and hands a new `Task` to the
//!    scheduler; a wake while running only sets NOTIFIED.
//! 4. On `Ready` (or panic, or cancel) the future is dropped, the output is
//!    stored, COMPLETE is set, the task leaves the owned list, and the join
//!    waker is woken. If no `JoinHandle` is interested, the output is dropped.
//! 5. The last reference frees the cell through the vtable.

use std::any::Any;
use std::cell::UnsafeCell;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::join::JoinError;
use super::state::{State, ToIdle, ToRunning, JOIN_INTEREST};
use crate::loom::{AtomicUsize, Mutex};
use crate::sched::shared::Shared;

/// The type-independent head of every task cell.
pub(crate) struct Header {
    pub(crate) state: State,
    vtable: &'static Vtable,
    /// The scheduler that runs this task; wakes go through it.
    pub(crate) sched: Arc<Shared>,
    /// Slot in the owned-task list (meaningful only while listed).
    pub(crate) owned_slot: AtomicUsize,
    pub(crate) id: u64,
    join_waker: Mutex<Option<Waker>>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

struct Vtable {
    /// Polls once; true when the future finished (output stored).
    poll: unsafe fn(NonNull<Header>, &Waker) -> bool,
    /// Drops the future and stores `JoinError::Cancelled`.
    cancel: unsafe fn(NonNull<Header>),
    /// Moves the output into `*mut Option<Result<T, JoinError>>`.
    read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops whatever the stage holds.
    drop_stage: unsafe fn(NonNull<Header>),
    /// Frees the cell; called once, when the last reference is dropped.
    dealloc: unsafe fn(NonNull<Header>),
}

/// # Safety
/// `ptr` must point to a live `Cell<F>` and the caller must hold RUNNING.
unsafe fn poll_cell<F: Future>(ptr: NonNull<Header>, waker: &Waker) -> bool {
    // SAFETY: per the contract the cell is live and RUNNING gives this
    // thread exclusive access to the stage.
    let stage = unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() };
    let Stage::Running(fut) = stage else {
        return true;
    };
    // SAFETY: the future lives inside the heap cell and is never moved
    // until it is dropped in place (the stage is only replaced, not moved).
    let fut = unsafe { Pin::new_unchecked(fut) };
    let mut cx = Context::from_waker(waker);
    let out = match catch_unwind(AssertUnwindSafe(|| fut.poll(&mut cx))) {
        Ok(Poll::Pending) => return false,
        Ok(Poll::Ready(v)) => Ok(v),
        Err(panic) => Err(JoinError::panic(panic)),
    };
    replace_stage(stage, Stage::Finished(out));
    true
}

/// Replaces the stage, catching a panic from the old value's destructor.
fn replace_stage<F: Future>(stage: &mut Stage<F>, next: Stage<F>) {
    let old = std::mem::replace(stage, Stage::Consumed);
    let dropped = catch_unwind(AssertUnwindSafe(|| drop(old)));
    *stage = match (next, dropped) {
        (Stage::Finished(Ok(_)), Err(p)) => Stage::Finished(Err(JoinError::panic(p))),
        (next, _) => next,
    };
}

/// # Safety
/// `ptr` must point to a live `Cell<F>` and the caller must hold RUNNING.
unsafe fn cancel_cell<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll_cell`, RUNNING gives exclusive stage access.
    let stage = unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() };
    replace_stage(stage, Stage::Finished(Err(JoinError::cancelled())));
}

/// # Safety
/// `ptr` must point to a live `Cell<F>`, COMPLETE must be set, the caller
/// must be the join side that kept JOIN_INTEREST, and `out` must point to an
/// `Option<Result<F::Output, JoinError>>`.
unsafe fn read_output_cell<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: after COMPLETE with JOIN_INTEREST, the stage belongs to the
    // join side alone (state invariant 3).
    let stage = unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() };
    match std::mem::replace(stage, Stage::Consumed) {
        Stage::Finished(r) => {
            // SAFETY: the caller passes a pointer of exactly this type.
            unsafe { *out.cast::<Option<Result<F::Output, JoinError>>>() = Some(r) };
        }
        _ => panic!("JoinHandle polled after it returned Ready"),
    }
}

/// # Safety
/// `ptr` must point to a live `Cell<F>` whose stage nobody else touches.
unsafe fn drop_stage_cell<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: per the contract the caller has exclusive access.
    let stage = unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() };
    let _ = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
}

/// # Safety
/// `ptr` must come from `Box::<Cell<F>>::into_raw` and have no references left.
unsafe fn dealloc_cell<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone, so we own the allocation.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) });
}

/// A non-owning pointer to a task cell.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask(NonNull<Header>);

// SAFETY: the cell is shared across threads only through the state protocol:
// the future is touched by the RUNNING holder alone and F: Send is required
// at construction; the header's fields are Sync.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a RawTask is only used while some reference keeps the
        // cell alive (every owner of a RawTask owns a reference).
        unsafe { self.0.as_ref() }
    }

    fn ref_dec(self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { (self.header().vtable.dealloc)(self.0) }
        }
    }

    fn waker(self) -> ManuallyDrop<Waker> {
        // SAFETY: the vtable's functions uphold the RawWaker contract and the
        // borrowed waker does not outlive the reference the caller holds
        // (ManuallyDrop: no decrement when it goes out of scope).
        ManuallyDrop::new(unsafe {
            Waker::from_raw(RawWaker::new(self.0.as_ptr() as *const (), &WAKER_VTABLE))
        })
    }

    /// Wakes by reference (state protocol step 3).
    fn wake_by_ref(self) {
        if self.header().state.transition_to_notified() {
            Shared::schedule(&self.header().sched, Task(self));
        }
    }

    /// Drops the future (caller holds RUNNING) and completes.
    fn cancel_and_complete(self) {
        // SAFETY: the caller holds RUNNING.
        unsafe { (self.header().vtable.cancel)(self.0) };
        self.complete();
    }

    /// Protocol step 4. The caller holds RUNNING and the stage is Finished.
    fn complete(self) {
        let h = self.header();
        let prev = h.state.transition_to_complete();
        h.sched.owned.remove(self);
        if prev & JOIN_INTEREST == 0 {
            // SAFETY: no JoinHandle wants the output, and after COMPLETE
            // nobody else touches the stage.
            unsafe { (h.vtable.drop_stage)(self.0) };
        } else if let Some(w) = h.join_waker.lock().take() {
            w.wake();
        }
    }
}

/// An owned reference to a task that is (or was) queued to run, or the
/// owned list's entry. Dropping it releases the reference.
pub(crate) struct Task(RawTask);

impl Task {
    pub(crate) fn raw(&self) -> RawTask {
        self.0
    }

    pub(crate) fn id(&self) -> u64 {
        self.0.header().id
    }

    /// Runs the task once (protocol step 2). Returns true if the future was polled.
    pub(crate) fn run(self) -> bool {
        let raw = self.0;
        let h = raw.header();
        match h.state.transition_to_running() {
            ToRunning::Skip => return false,
            ToRunning::Cancel => {
                raw.cancel_and_complete();
                return false;
            }
            ToRunning::Poll => {}
        }
        let waker = raw.waker();
        // SAFETY: we hold RUNNING and the cell is alive (we hold a reference).
        let done = crate::sched::coop::with_budget(|| unsafe { (h.vtable.poll)(raw.0, &waker) });
        if done {
            raw.complete();
            return true;
        }
        match h.state.transition_to_idle() {
            ToIdle::Idle => {}
            ToIdle::Notified => {
                Shared::yield_task(&h.sched, self);
                return true;
            }
            ToIdle::Cancel => raw.cancel_and_complete(),
        }
        true
    }

    /// Shutdown: cancel the task if nobody runs it now.
    pub(crate) fn shutdown(self) {
        if self.0.header().state.transition_to_shutdown() {
            self.0.cancel_and_complete();
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.ref_dec();
    }
}

/// The join side's typed reference: reads the output exactly once.
pub(crate) struct JoinSlot<T> {
    raw: RawTask,
    _out: PhantomData<fn() -> T>,
}

impl<T> JoinSlot<T> {
    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    /// Takes the output if the task is complete, else registers `waker`.
    pub(crate) fn poll_output(&mut self, waker: &Waker) -> Option<Result<T, JoinError>> {
        let h = self.raw.header();
        if h.state.load() & super::state::COMPLETE == 0 {
            let mut slot = h.join_waker.lock();
            if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
            // Re-check under the lock: a completer that set COMPLETE before we
            // stored the waker either sees it or we see COMPLETE here.
            if h.state.load() & super::state::COMPLETE == 0 {
                return None;
            }
        }
        let mut out: Option<Result<T, JoinError>> = None;
        // SAFETY: COMPLETE is set, this slot still holds JOIN_INTEREST (it is
        // cleared only in Drop), and T is the output type of the future this
        // slot was created with (see `new_task`).
        unsafe {
            (h.vtable.read_output)(
                self.raw.0,
                (&mut out as *mut Option<Result<T, JoinError>>).cast(),
            )
        };
        out
    }

    /// Requests cancellation (protocol: abort).
    pub(crate) fn abort(&self) {
        let h = self.raw.header();
        if h.state.transition_to_aborted() {
            Shared::schedule(&h.sched, Task(self.raw));
        }
    }
}

impl<T> Drop for JoinSlot<T> {
    fn drop(&mut self) {
        let h = self.raw.header();
        if !h.state.unset_join_interest() {
            // SAFETY: COMPLETE is set and we kept JOIN_INTEREST, so the stage
            // (output or Consumed) is ours alone.
            unsafe { (h.vtable.drop_stage)(self.raw.0) };
        }
        self.raw.ref_dec();
    }
}

/// Allocates a task. Returns the queue handle, the owned-list handle and
/// the join slot (three references, protocol step 1).
pub(crate) fn new_task<F>(fut: F, sched: Arc<Shared>, id: u64) -> (Task, Task, JoinSlot<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let cell = Box::new(Cell {
        header: Header {
            state: State::new(3),
            vtable: vtable::<F>(),
            sched,
            owned_slot: AtomicUsize::new(usize::MAX),
            id,
            join_waker: Mutex::new(None),
        },
        stage: UnsafeCell::new(Stage::Running(fut)),
    });
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    let raw = RawTask(ptr);
    (
        Task(raw),
        Task(raw),
        JoinSlot {
            raw,
            _out: PhantomData,
        },
    )
}

fn vtable<F: Future + Send + 'static>() -> &'static Vtable {
    &Vtable {
        poll: poll_cell::<F>,
        cancel: cancel_cell::<F>,
        read_output: read_output_cell::<F>,
        drop_stage: drop_stage_cell::<F>,
        dealloc: dealloc_cell::<F>,
    }
}

fn raw_from(ptr: *const ()) -> RawTask {
    // SAFETY: every RawWaker built here carries a non-null header pointer.
    RawTask(unsafe { NonNull::new_unchecked(ptr as *mut Header) })
}

// The four `RawWakerVTable` functions below share one contract.
//
// # Safety
// `ptr` is the header pointer of a live task cell, as stored by
// `RawTask::waker`, and the waker being used owns one task reference:
// `waker_wake` and `waker_drop` give that reference up, the other two keep it.
unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
    raw_from(ptr).header().state.ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

unsafe fn waker_wake(ptr: *const ()) {
    let raw = raw_from(ptr);
    raw.wake_by_ref();
    raw.ref_dec();
}

unsafe fn waker_wake_by_ref(ptr: *const ()) {
    raw_from(ptr).wake_by_ref();
}

unsafe fn waker_drop(ptr: *const ()) {
    raw_from(ptr).ref_dec();
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// The payload of a panicked task, kept opaque.
pub(crate) type PanicPayload = Box<dyn Any + Send + 'static>;

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn header_size_is_pinned() {
        // A bigger header is a decision, not an accident.
        assert!(
            std::mem::size_of::<super::Header>() <= 64,
            "{}",
            std::mem::size_of::<super::Header>()
        );
    }
}
