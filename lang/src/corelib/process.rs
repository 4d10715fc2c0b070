//! The subprocess object (`core/process`, api.md §6) and waiting on it:
//! `os/proc-wait`, `os/proc-kill`, `os/proc-close`. Starting processes
//! (`os/spawn`, `os/execute`, `os/shell`) is `corelib/spawn.rs`.
//!
//! Protocol:
//! 1. Spawning hands the rt `Child` to a reaper task on the runtime, which
//!    awaits `Child::wait` (a ring op: no thread blocks), stores the exit
//!    code in `Exit::code` and opens `Exit::done`.
//! 2. Every waiter parks on an op awaiting `done`, so any number of tasks
//!    (in any isolate) get the same code, and a waiter cancelled by
//!    `ev/cancel` or a deadline just drops its op: the reaper goes on, the
//!    process is neither killed nor left a zombie.
//! 3. When a waiter resumes, the code is recorded on the object
//!    (`(p :return-code)`).
//!
//! Invariants: the child is reaped exactly once, by its reaper; a signal
//! is sent only while `Exit::code` is unset. An object dropped (collected)
//! before its process ended kills it unless spawned with `:d`.

use super::args;
use super::files::global;
use super::net::start;
use super::registry::Env;
use crate::ev::ops::{Done, OpFuture};
use crate::ev::{stream, Resume};
use crate::isolate::{Flow, Isolate};
use crate::objects::AbstractType;
use crate::value::Value;
use spindle_sync::Latch;
use std::any::Any;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::{Arc, OnceLock};

type R = Result<Value, Flow>;

/// How a process ended, shared by its reaper and its waiters.
pub struct Exit {
    code: OnceLock<i32>,
    done: Latch,
}

impl Exit {
    /// A process still running.
    pub fn new() -> Arc<Exit> {
        Arc::new(Exit {
            code: OnceLock::new(),
            done: Latch::new(1),
        })
    }

    /// The reaper's step 1: records the code and releases the waiters.
    pub fn finish(&self, status: std::io::Result<ExitStatus>) {
        let code = match status {
            Ok(s) => s.code().or(s.signal().map(|n| 128 + n)).unwrap_or(-1),
            Err(_) => -1,
        };
        let _ = self.code.set(code);
        self.done.count_down();
    }

    /// The exit code, once the process has ended.
    pub fn code(&self) -> Option<i32> {
        self.code.get().copied()
    }

    /// Parks until the process has ended; returns its code.
    pub async fn wait(&self) -> i32 {
        self.done.wait_async().await;
        self.code().unwrap_or(-1)
    }
}

/// The `core/process` value.
#[derive(Debug)]
pub struct ProcObj {
    pub pid: u32,
    pub exit: Arc<Exit>,
    /// `:x`: waiting raises on a non-zero code.
    pub raise_nonzero: bool,
    /// `:d`: not killed when collected.
    pub detached: bool,
    /// Pipe streams made for this process (closed by `os/proc-close`).
    pub pipes: Vec<Value>,
    /// Fields and methods: `:in :out :err :pid :return-code :wait :kill :close`.
    pub fields: Value,
}

impl std::fmt::Debug for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Exit({:?})", self.code())
    }
}

impl AbstractType for ProcObj {
    fn type_name(&self) -> &'static str {
        "core/process"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.fields);
        out.extend(self.pipes.iter().copied());
    }
    fn methods(&self) -> Value {
        self.fields
    }
}

impl Drop for ProcObj {
    fn drop(&mut self) {
        if !self.detached && self.exit.code().is_none() {
            // Collected while running: kill it; its reaper reaps it.
            let _ = spindle_rt::process::signal(self.pid, libc::SIGKILL);
        }
    }
}

/// The process behind `v`, if it is one.
pub fn proc_mut(iso: &mut Isolate, v: Value) -> Option<&mut ProcObj> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get_mut(r).as_mut()?;
    (b.as_mut() as &mut dyn Any).downcast_mut::<ProcObj>()
}

fn proc_arg<'a>(iso: &'a mut Isolate, a: &[Value], who: &str) -> Result<&'a mut ProcObj, Flow> {
    if proc_mut(iso, args::opt(a, 0)).is_none() {
        return Err(iso.err(format!("{who}: bad slot #0, expected core/process")));
    }
    Ok(proc_mut(iso, a[0]).expect("checked"))
}

/// Puts `key` = `v` in a process's field table.
fn put_field(iso: &mut Isolate, fields: Value, key: &str, v: Value) {
    let k = iso.heap.keyword(key);
    let _ = crate::vm::ops::put(&mut iso.heap, fields, k, v);
}

/// A new process value; `streams` are the `:in :out :err` pipe streams.
pub fn make(iso: &mut Isolate, mut obj: ProcObj, streams: [Value; 3]) -> Value {
    let fields = iso.heap.table(Default::default());
    for (k, v) in ["in", "out", "err"].into_iter().zip(streams) {
        put_field(iso, fields, k, v);
    }
    put_field(iso, fields, "pid", Value::Num(obj.pid as f64));
    for m in ["wait", "kill", "close"] {
        let f = global(iso, &format!("os/proc-{m}"));
        put_field(iso, fields, m, f);
    }
    obj.fields = fields;
    obj.pipes = streams.into_iter().filter(|v| *v != Value::Nil).collect();
    let r = iso.heap.abstracts.alloc(Some(Box::new(obj)));
    Value::Abstract(r)
}

/// What a finished wait gives its task: the code, or with `:x` an error.
pub fn wait_result(iso: &mut Isolate, code: i32, raise_nonzero: bool) -> Resume {
    if raise_nonzero && code != 0 {
        let m = format!("command failed with non-zero exit code {code}");
        return Resume::Error(iso.str(&m));
    }
    Resume::Value(Value::Num(code as f64))
}

/// Step 3: records the code on the object `p` (if it is still that process).
fn record(iso: &mut Isolate, p: Value, exit: &Arc<Exit>, code: i32) {
    let Some(obj) = proc_mut(iso, p) else { return };
    if !Arc::ptr_eq(&obj.exit, exit) {
        return;
    }
    let fields = obj.fields;
    put_field(iso, fields, "return-code", Value::Num(code as f64));
}

/// Step 2: parks the current task until `p` has exited.
fn wait_on(iso: &mut Isolate, p: Value) -> R {
    let obj = proc_mut(iso, p).expect("caller checked");
    let (exit, raise) = (obj.exit.clone(), obj.raise_nonzero);
    let fut: OpFuture = Box::pin(async move {
        let code = exit.wait().await;
        Box::new(move |iso: &mut Isolate| {
            record(iso, p, &exit, code);
            wait_result(iso, code, raise)
        }) as Done
    });
    start(iso, None, None, fut)
}

fn proc_wait(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    proc_arg(iso, a, "os/proc-wait")?;
    wait_on(iso, a[0])
}

/// Signal keywords: C names, lowercase, without `SIG`.
const SIGNALS: &[(&str, i32)] = &[
    ("kill", libc::SIGKILL),
    ("int", libc::SIGINT),
    ("abrt", libc::SIGABRT),
    ("fpe", libc::SIGFPE),
    ("ill", libc::SIGILL),
    ("segv", libc::SIGSEGV),
    ("term", libc::SIGTERM),
    ("alrm", libc::SIGALRM),
    ("hup", libc::SIGHUP),
    ("pipe", libc::SIGPIPE),
    ("quit", libc::SIGQUIT),
    ("usr1", libc::SIGUSR1),
    ("usr2", libc::SIGUSR2),
    ("chld", libc::SIGCHLD),
    ("cont", libc::SIGCONT),
    ("stop", libc::SIGSTOP),
    ("tstp", libc::SIGTSTP),
    ("ttin", libc::SIGTTIN),
    ("ttou", libc::SIGTTOU),
    ("bus", libc::SIGBUS),
    ("poll", libc::SIGPOLL),
    ("prof", libc::SIGPROF),
    ("sys", libc::SIGSYS),
    ("trap", libc::SIGTRAP),
    ("urg", libc::SIGURG),
    ("vtalrm", libc::SIGVTALRM),
    ("xcpu", libc::SIGXCPU),
    ("xfsz", libc::SIGXFSZ),
];

fn proc_kill(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(3))?;
    proc_arg(iso, a, "os/proc-kill")?;
    let sig = match args::opt(a, 2) {
        Value::Nil => libc::SIGKILL,
        _ => {
            let k = args::keyword(iso, a, 2)?;
            match SIGNALS.iter().find(|(n, _)| n.as_bytes() == k.as_slice()) {
                Some((_, s)) => *s,
                None => {
                    let m = format!(
                        "os/proc-kill: undefined signal :{}",
                        String::from_utf8_lossy(&k)
                    );
                    return Err(iso.err(m));
                }
            }
        }
    };
    let obj = proc_mut(iso, a[0]).expect("checked");
    if obj.exit.code().is_some() {
        return Err(iso.err("cannot kill process that has already finished"));
    }
    if let Err(e) = spindle_rt::process::signal(obj.pid, sig) {
        return Err(iso.err(format!("os/proc-kill: {e}")));
    }
    if args::opt(a, 1).truthy() {
        return wait_on(iso, a[0]);
    }
    Ok(a[0])
}

fn proc_close(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let pipes = std::mem::take(&mut proc_arg(iso, a, "os/proc-close")?.pipes);
    for s in pipes {
        stream::close(iso, s);
    }
    wait_on(iso, a[0])
}

/// Registers the module.
pub fn register(env: &mut Env) {
    env.native("os/proc-wait", "(os/proc-wait proc)\n\nParks until the subprocess exits; returns its exit code, or 128 + the signal number if a signal ended it. Several tasks may wait; all get the code. With the :x spawn flag, a non-zero code raises \"command failed with non-zero exit code N\". Cancelling the wait (ev/cancel, a deadline) does not kill the process.", proc_wait);
    env.native("os/proc-kill", "(os/proc-kill proc &opt wait signal)\n\nSends signal (default :kill; :term :int :hup :usr1 ... are the C names without SIG) to the subprocess. With wait, then parks as os/proc-wait. Otherwise returns proc. Raises if the process has already finished.", proc_kill);
    env.native("os/proc-close", "(os/proc-close proc)\n\nCloses the subprocess's pipe streams, then parks until it exits and returns its exit code.", proc_close);
}
