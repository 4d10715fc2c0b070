//! std/sync in the language (api.md §8): the object every sync primitive
//! is, parking a task on a spindle-sync future, the `sync/closed`
//! sentinel, the futex object, and registration. The primitives are in
//! `ev_sync_locks.rs` (semaphore, rwlock, condvar, monitor),
//! `ev_sync_gates.rs` (barrier, latch, once) and `ev_sync_queue.rs`; the
//! methods written in the language, the `ev/with-rlock`-style macros and
//! the `std/sync` module are in `prelude/sync.janet`. Locks themselves
//! (`ev/lock` = `sync/make-lock`) are `ev_futex.rs`.
//!
//! Invariants:
//! - Every object is a `SyncObj` whose `Handle` is an `Arc` of a
//!   spindle-sync primitive (or of a word on the process-wide wait table):
//!   the state lives outside the isolate's heap, so the same handle can be
//!   given to other isolates (api.md §7). Heap values an object refers to
//!   (a futex's atomic, a monitor's lock and condvar, a once's thunk and
//!   value) sit in `refs` and are traced.
//! - A wait parks the fiber, never the worker thread: `park_op` hands the
//!   primitive's `_async` future to the loop (`ev::ops`) and races it with
//!   a loop timer for the timeout; the loser is dropped, and dropping a
//!   spindle-sync future withdraws its waiter (passing on a wake it had).
//! - What a finished wait won (a permit, a lock, an item, a wake) travels
//!   as a `Grant` until the task resumes; a cancel in between gives it
//!   back (`ev::grant`), so resources are conserved.

use super::args;
use super::ev_task::{await_flow, park, seconds};
use super::registry::Env;
use crate::ev::grant::Grant;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::objects::AbstractType;
use crate::printer;
use crate::value::Value;
use spindle_sync::{Barrier, Latch, Queue, Semaphore};
use std::any::Any;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::ev_sync_gates::OnceWord;
pub use super::ev_sync_locks::RwShared;

/// The kinds of sync object; indexes `Loop::sync_values`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Futex,
    Semaphore,
    Condvar,
    RwLock,
    Barrier,
    Latch,
    Once,
    Queue,
    Monitor,
    Closed,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::Futex,
        Kind::Semaphore,
        Kind::Condvar,
        Kind::RwLock,
        Kind::Barrier,
        Kind::Latch,
        Kind::Once,
        Kind::Queue,
        Kind::Monitor,
        Kind::Closed,
    ];

    /// The name `type` reports.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Futex => "sync/futex",
            Kind::Semaphore => "sync/semaphore",
            Kind::Condvar => "sync/condvar",
            Kind::RwLock => "sync/rwlock",
            Kind::Barrier => "sync/barrier",
            Kind::Latch => "sync/latch",
            Kind::Once => "sync/once",
            Kind::Queue => "sync/queue",
            Kind::Monitor => "sync/monitor",
            Kind::Closed => "sync/closed",
        }
    }

    fn from_name(name: &[u8]) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.type_name().as_bytes().strip_prefix(b"sync/") == Some(name))
    }
}

/// The shared state behind an object.
pub enum Handle {
    /// State is the `ev/atomic` in `refs[0]`.
    Futex,
    Semaphore(Arc<Semaphore>),
    /// The generation counter waiters compare against (its address is the key).
    Condvar(Arc<AtomicU64>),
    RwLock(Arc<RwShared>),
    Barrier(Arc<Barrier>),
    Latch(Arc<Latch>),
    Once(Arc<OnceWord>),
    /// Items are marshalled bytes (see `ev_sync_queue.rs`).
    Queue(Arc<Queue<Vec<u8>>>),
    /// State is the lock and condvar in `refs`.
    Monitor,
    Closed,
}

impl Handle {
    fn kind(&self) -> Kind {
        match self {
            Handle::Futex => Kind::Futex,
            Handle::Semaphore(_) => Kind::Semaphore,
            Handle::Condvar(_) => Kind::Condvar,
            Handle::RwLock(_) => Kind::RwLock,
            Handle::Barrier(_) => Kind::Barrier,
            Handle::Latch(_) => Kind::Latch,
            Handle::Once(_) => Kind::Once,
            Handle::Queue(_) => Kind::Queue,
            Handle::Monitor => Kind::Monitor,
            Handle::Closed => Kind::Closed,
        }
    }
}

/// A sync object as the heap holds it.
pub struct SyncObj {
    pub handle: Handle,
    pub refs: Vec<Value>,
    methods: Value,
}

impl std::fmt::Debug for SyncObj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.handle.kind().type_name())
    }
}

impl AbstractType for SyncObj {
    fn type_name(&self) -> &'static str {
        self.handle.kind().type_name()
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.methods);
        out.extend(self.refs.iter().copied());
    }
    fn methods(&self) -> Value {
        self.methods
    }
}

/// A new object over `handle`.
pub fn new_obj(iso: &mut Isolate, handle: Handle, refs: Vec<Value>) -> Value {
    let methods = iso
        .ev
        .sync_values
        .get(handle.kind() as usize)
        .copied()
        .unwrap_or_default();
    let r = iso.heap.abstracts.alloc(Some(Box::new(SyncObj {
        handle,
        refs,
        methods,
    })));
    Value::Abstract(r)
}

/// The object `v` is, if it is one.
pub fn obj(iso: &Isolate, v: Value) -> Option<&SyncObj> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get(r).as_ref()?;
    (b.as_ref() as &dyn Any).downcast_ref::<SyncObj>()
}

/// Argument `i` as an object of `kind`, picked apart by `pick`.
pub fn arg<T>(
    iso: &mut Isolate,
    a: &[Value],
    i: usize,
    kind: Kind,
    pick: impl Fn(&SyncObj) -> Option<T>,
) -> Result<T, Flow> {
    let found = a
        .get(i)
        .and_then(|v| obj(iso, *v))
        .filter(|o| o.handle.kind() == kind)
        .and_then(pick);
    found.ok_or_else(|| {
        let got = a
            .get(i)
            .map_or("nil".to_string(), |v| printer::describe(iso, *v));
        iso.err(format!(
            "bad slot #{}, expected {}, got {}",
            i,
            kind.type_name(),
            got
        ))
    })
}

/// Replaces `refs[i]` of object `v`.
pub fn set_ref(iso: &mut Isolate, v: Value, i: usize, x: Value) {
    let Value::Abstract(r) = v else { return };
    if let Some(b) = iso.heap.abstracts.get_mut(r).as_mut() {
        if let Some(o) = (b.as_mut() as &mut dyn Any).downcast_mut::<SyncObj>() {
            if let Some(slot) = o.refs.get_mut(i) {
                *slot = x;
            }
        }
    }
}

/// The unique `sync/closed` value.
pub fn closed(iso: &Isolate) -> Value {
    iso.ev
        .sync_values
        .get(Kind::Closed as usize)
        .copied()
        .unwrap_or_default()
}

/// Optional timeout argument `i` in seconds (absent or nil: none).
pub fn opt_timeout(iso: &mut Isolate, a: &[Value], i: usize) -> Result<Option<Duration>, Flow> {
    match a.get(i) {
        None | Some(Value::Nil) => Ok(None),
        Some(_) => Ok(Some(seconds(iso, a, i)?)),
    }
}

/// What a finished wait resumes its task with.
pub enum Answer {
    Bool(bool),
    Keyword(&'static str),
    /// A queue item (marshalled).
    Item(Vec<u8>),
    /// `sync/closed`.
    Closed,
}

impl Answer {
    fn into_value(self, iso: &mut Isolate) -> Result<Value, Flow> {
        Ok(match self {
            Answer::Bool(b) => Value::Bool(b),
            Answer::Keyword(k) => iso.heap.keyword(k),
            Answer::Item(bytes) => super::marshal::from_bytes(iso, &bytes)?,
            Answer::Closed => closed(iso),
        })
    }
}

/// Parks the current task until `fut` finishes and resumes it with the
/// answer, keeping the grant on the task until it runs (see the module
/// invariants). With a timeout, a loop timer resumes it with `on_timeout`
/// instead, and the future is dropped (its waiter withdrawn).
pub fn park_op<F>(
    iso: &mut Isolate,
    timeout: Option<Duration>,
    on_timeout: Value,
    fut: F,
) -> Result<Value, Flow>
where
    F: Future<Output = (Grant, Answer)> + Send + 'static,
{
    let (task, seq) = park(iso)?;
    if let Some(d) = timeout {
        iso.ev
            .add_timer(task, seq, Instant::now() + d, Resume::Value(on_timeout));
    }
    let op: OpFuture = Box::pin(async move {
        let (grant, answer) = fut.await;
        Box::new(move |iso: &mut Isolate| match answer.into_value(iso) {
            Ok(v) => {
                if let Some(info) = iso.ev.tasks.get_mut(&task) {
                    info.grant = Some(grant);
                }
                Resume::Value(v)
            }
            Err(Flow::Error(e)) => Resume::Error(e),
            Err(_) => Resume::Value(Value::Nil),
        }) as Done
    });
    iso.ev.ops.add(task, seq, op);
    Err(await_flow())
}

fn make_futex(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 0, Some(1))?;
    let init = match a.first() {
        None | Some(Value::Nil) => 0,
        Some(_) => args::int(iso, a, 0)?,
    };
    let cell = super::ev_futex::make_atomic(iso, init);
    Ok(new_obj(iso, Handle::Futex, vec![cell]))
}

fn field(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 2, Some(2))?;
    let i = args::int(iso, a, 1)?;
    let o = a.first().and_then(|v| obj(iso, *v));
    let x = o.and_then(|o| usize::try_from(i).ok().and_then(|i| o.refs.get(i)));
    match x {
        Some(x) => Ok(*x),
        None => Err(iso.err("sync/-field: expected a sync object and a field index")),
    }
}

fn methods(iso: &mut Isolate, a: &[Value]) -> Result<Value, Flow> {
    args::arity(iso, a, 1, Some(1))?;
    let name = args::keyword(iso, a, 0)?;
    match Kind::from_name(&name) {
        Some(k) if k != Kind::Closed => Ok(iso.ev.sync_values[k as usize]),
        _ => Err(iso.err("sync/-methods: unknown kind")),
    }
}

/// Registers every sync module and builds the method tables.
pub fn register(env: &mut Env) {
    env.native("sync/make-futex", "(sync/make-futex &opt init)\n\nA futex object over a fresh ev/atomic (default 0). Methods: (:wait f expected &opt timeout) -> :ok, :mismatch or :timeout; (:wake f &opt n) -> how many woke; (:get f); (:set f v); (:cell f) -> the atomic.", make_futex);
    env.native(
        "sync/-field",
        "(sync/-field obj i)\n\nField i of a sync object (a futex's atomic, a monitor's lock and condvar, a once's thunk).",
        field,
    );
    env.native(
        "sync/-methods",
        "(sync/-methods kind)\n\nThe method table of a sync kind (:futex, :semaphore...), for the prelude to extend.",
        methods,
    );
    super::ev_sync_locks::register(env);
    super::ev_sync_gates::register(env);
    super::ev_sync_queue::register(env);
    let mut values = Vec::with_capacity(Kind::ALL.len());
    for kind in Kind::ALL {
        let table = match kind {
            Kind::Closed => Value::Nil,
            _ => super::ev_futex::method_table(env, method_names(kind)),
        };
        values.push(table);
    }
    env.iso.ev.sync_values = values;
    let sentinel = new_obj(env.iso, Handle::Closed, Vec::new());
    env.iso.ev.sync_values[Kind::Closed as usize] = sentinel;
    env.value("sync/closed", sentinel, "The unique value a closed, drained queue's :take returns; no item can equal it. Test with (= x sync/closed).");
}

/// The methods written in Rust, per kind (the prelude adds the others).
fn method_names(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Semaphore => &[
            ("acquire", "sync/-sem-acquire"),
            ("release", "sync/-sem-release"),
            ("try-acquire", "sync/-sem-try-acquire"),
            ("permits", "sync/-sem-permits"),
        ],
        Kind::Condvar => &[
            ("notify", "sync/-cv-notify"),
            ("broadcast", "sync/-cv-broadcast"),
        ],
        Kind::RwLock => &[
            ("read-acquire", "ev/acquire-rlock"),
            ("read-release", "ev/release-rlock"),
            ("write-acquire", "ev/acquire-wlock"),
            ("write-release", "ev/release-wlock"),
            ("try-read-acquire", "sync/-try-rlock"),
            ("try-write-acquire", "sync/-try-wlock"),
        ],
        Kind::Barrier => &[("wait", "sync/-barrier-wait")],
        Kind::Latch => &[
            ("wait", "sync/-latch-wait"),
            ("open", "sync/-latch-open"),
            ("count-down", "sync/-latch-count-down"),
            ("open?", "sync/-latch-open?"),
        ],
        Kind::Once => &[("done?", "sync/-once-done?")],
        Kind::Queue => &[
            ("put", "sync/-queue-put"),
            ("take", "sync/-queue-take"),
            ("try-put", "sync/-queue-try-put"),
            ("try-take", "sync/-queue-try-take"),
            ("close", "sync/-queue-close"),
            ("closed?", "sync/-queue-closed?"),
            ("size", "sync/-queue-size"),
            ("capacity", "sync/-queue-capacity"),
        ],
        Kind::Futex | Kind::Monitor | Kind::Closed => &[],
    }
}
