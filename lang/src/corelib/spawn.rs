//! Starting subprocesses (api.md §6): `os/spawn`, `os/execute`, `os/shell`.
//! The process object and waiting are `corelib/process.rs`.
//!
//! Invariants:
//! - Spawning (fork/exec) is the only work done on the worker; the wait is
//!   a reaper task on the runtime (`process.rs`, step 1), so nothing here
//!   blocks the loop for the life of the child.
//! - The child's ends of its pipes are dropped right after the spawn, so
//!   closing our end (or the child exiting) gives the other side EOF.
//! - A child that writes straight to our stdout or stderr starts only once
//!   the bytes queued there before the call are written
//!   (`stdout::before_child`); until then the calling task parks.

use super::args;
use super::ev_files::fd_stream_value;
use super::file_run::{run_io, Finish};
use super::files::{file_mut, Handle};
use super::net::start;
use super::process::{self, Exit, ProcObj};
use super::registry::Env;
use super::stdout;
use crate::ev::fd_stream::{self, End, Std};
use crate::ev::ops::{Done, OpFuture};
use crate::ev::stream::{self, Kind};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::value::Value;
use spindle_rt::pipe::{PipeReader, PipeWriter};
use spindle_rt::process::Command;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Stdio;
use std::sync::Arc;

type R = Result<Value, Flow>;

/// Where one of the child's standard streams goes.
enum Redirect {
    Inherit,
    Pipe,
    Fd(OwnedFd),
    /// `:err :out`: stderr goes wherever stdout goes.
    SameAsOut,
}

/// The parsed arguments of `os/spawn`/`os/execute`.
struct Spec {
    argv: Vec<String>,
    flags: Vec<u8>,
    vars: Option<Vec<(String, String)>>,
    stdio: [Redirect; 3],
}

fn fail(iso: &mut Isolate, who: &str, m: impl std::fmt::Display) -> Flow {
    iso.err(format!("{who}: {m}"))
}

/// One `:in`/`:out`/`:err` value of the env table.
fn redirect(iso: &mut Isolate, who: &str, key: &str, v: Value) -> Result<Redirect, Flow> {
    if v == Value::Nil {
        return Ok(Redirect::Inherit);
    }
    if let Value::Keyword(_) = v {
        return match iso.heap.bytes(v).unwrap_or_default() {
            b"pipe" => Ok(Redirect::Pipe),
            b"out" if key == "err" => Ok(Redirect::SameAsOut),
            _ => Err(fail(
                iso,
                who,
                format!(":{key} must be :pipe, a stream or a file"),
            )),
        };
    }
    let dup = if let Some(s) = stream::get_mut(iso, v) {
        match &s.kind {
            Some(Kind::Fd(f)) => f.child_fd(),
            Some(_) => return Err(fail(iso, who, format!(":{key} cannot be a socket"))),
            None => return Err(fail(iso, who, format!(":{key} stream is closed"))),
        }
    } else if let Some(f) = file_mut(iso, v) {
        match &f.handle {
            Handle::Disk(d) => d.std_file().and_then(|f| f.as_fd().try_clone_to_owned()),
            Handle::Stdin => fd_stream::standard(Std::In).and_then(|s| s.dup()),
            Handle::Stdout => fd_stream::standard(Std::Out).and_then(|s| s.dup()),
            Handle::Stderr => fd_stream::standard(Std::Err).and_then(|s| s.dup()),
            Handle::Closed => return Err(fail(iso, who, format!(":{key} file is closed"))),
        }
    } else {
        return Err(fail(
            iso,
            who,
            format!(":{key} must be :pipe, a stream or a file"),
        ));
    };
    dup.map(Redirect::Fd).map_err(|e| fail(iso, who, e))
}

fn parse(iso: &mut Isolate, a: &[Value], who: &str) -> Result<Spec, Flow> {
    args::arity(iso, a, 1, Some(3))?;
    let mut argv = Vec::new();
    for v in args::indexed(iso, a, 0)? {
        match iso.heap.bytes(v) {
            Some(b) => argv.push(String::from_utf8_lossy(b).into_owned()),
            None => return Err(fail(iso, who, "arguments must be strings")),
        }
    }
    if argv.is_empty() {
        return Err(fail(iso, who, "expected at least a program"));
    }
    let flags = match args::opt(a, 1) {
        Value::Nil => Vec::new(),
        _ => args::keyword(iso, a, 1)?,
    };
    if let Some(c) = flags.iter().find(|c| !b"pexd".contains(c)) {
        return Err(fail(iso, who, format!("unknown flag {:?}", *c as char)));
    }
    let env = args::opt(a, 2);
    let pairs: Vec<(Value, Value)> = match env {
        Value::Nil => Vec::new(),
        Value::Table(r) => iso.heap.tables.get(r).iter().collect(),
        Value::Struct(r) => iso.heap.structs.get(r).iter().collect(),
        _ => return Err(fail(iso, who, "env must be a table or struct")),
    };
    let mut vars = Vec::new();
    let mut stdio = [Redirect::Inherit, Redirect::Inherit, Redirect::Inherit];
    for (k, v) in pairs {
        if let Value::Keyword(_) = k {
            let slot = match iso.heap.bytes(k).unwrap_or_default() {
                b"in" => 0,
                b"out" => 1,
                b"err" => 2,
                _ => continue,
            };
            stdio[slot] = redirect(iso, who, ["in", "out", "err"][slot], v)?;
        } else if let (Some(k), Some(v)) = (iso.heap.bytes(k), iso.heap.bytes(v)) {
            let k = String::from_utf8_lossy(k).into_owned();
            vars.push((k, String::from_utf8_lossy(v).into_owned()));
        }
    }
    let vars = flags.contains(&b'e').then_some(vars);
    Ok(Spec {
        argv,
        flags,
        vars,
        stdio,
    })
}

/// The stdio of the child, and our ends of its pipes.
struct Wiring {
    child: [Stdio; 3],
    ours: [Option<End>; 3],
}

fn wire(stdio: [Redirect; 3]) -> std::io::Result<Wiring> {
    let [i, o, e] = stdio;
    let mut ours = [None, None, None];
    let stdin = match i {
        Redirect::Pipe => {
            let (r, w) = std::io::pipe()?;
            ours[0] = Some(End::Writer(PipeWriter::from_fd(OwnedFd::from(w))));
            Stdio::from(OwnedFd::from(r))
        }
        Redirect::Fd(fd) => Stdio::from(fd),
        Redirect::Inherit | Redirect::SameAsOut => Stdio::inherit(),
    };
    // stdout's descriptor for the child, kept so `:err :out` can share it.
    let out_fd: Option<OwnedFd> = match o {
        Redirect::Pipe => {
            let (r, w) = std::io::pipe()?;
            ours[1] = Some(End::Reader(PipeReader::from_fd(OwnedFd::from(r))));
            Some(OwnedFd::from(w))
        }
        Redirect::Fd(fd) => Some(fd),
        Redirect::Inherit | Redirect::SameAsOut => None,
    };
    let stderr = match e {
        Redirect::Pipe => {
            let (r, w) = std::io::pipe()?;
            ours[2] = Some(End::Reader(PipeReader::from_fd(OwnedFd::from(r))));
            Stdio::from(OwnedFd::from(w))
        }
        Redirect::Fd(fd) => Stdio::from(fd),
        Redirect::SameAsOut => match &out_fd {
            Some(fd) => Stdio::from(fd.try_clone()?),
            None => Stdio::from(std::io::stdout().as_fd().try_clone_to_owned()?),
        },
        Redirect::Inherit => Stdio::inherit(),
    };
    let stdout = out_fd.map_or_else(Stdio::inherit, Stdio::from);
    Ok(Wiring {
        child: [stdin, stdout, stderr],
        ours,
    })
}

/// A started process: its pid, its exit cell, and our ends of its pipes.
struct Launched {
    pid: u32,
    exit: Arc<Exit>,
    ours: [Option<End>; 3],
    /// The spec's flags (`:x`, `:d` shape the process value).
    flags: Vec<u8>,
}

/// Starts the process of `spec`; its reaper runs on the runtime. The
/// error names `who` and what failed.
fn launch(spec: Spec, who: &str) -> Result<Launched, String> {
    let Some(rt) = spindle_rt::Handle::try_current() else {
        return Err(format!("{who}: needs the event loop (no runtime)"));
    };
    let prog = &spec.argv[0];
    // Without :p the program is a path, as with execv.
    let path = if spec.flags.contains(&b'p') || prog.contains('/') {
        prog.clone()
    } else {
        format!("./{prog}")
    };
    let Wiring { child, ours } = wire(spec.stdio).map_err(|e| format!("{who}: {e}"))?;
    let [stdin, stdout, stderr] = child;
    let mut cmd = Command::new(&path);
    cmd.args(&spec.argv[1..])
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr);
    if let Some(vars) = &spec.vars {
        cmd.env_clear();
        for (k, v) in vars {
            cmd.env(k, v);
        }
    }
    let spawned = cmd.spawn();
    // Dropping the command closes the child's ends of the pipes.
    drop(cmd);
    let mut child = spawned.map_err(|e| format!("{who}: {prog}: {e}"))?;
    let pid = child.id();
    let exit = Exit::new();
    let reaped = exit.clone();
    drop(rt.spawn(async move { reaped.finish(child.wait().await) }));
    Ok(Launched {
        pid,
        exit,
        ours,
        flags: spec.flags,
    })
}

/// Whether the child of `stdio` writes straight to our stdout and to our
/// stderr: then it starts only once the bytes we queued there are out
/// (`stdout::before_child`).
fn writes_ours(stdio: &[Redirect; 3]) -> (bool, bool) {
    let out = matches!(stdio[1], Redirect::Inherit);
    let err_to_out = out && matches!(stdio[2], Redirect::SameAsOut);
    (out || err_to_out, matches!(stdio[2], Redirect::Inherit))
}

fn spawn(iso: &mut Isolate, a: &[Value]) -> R {
    let spec = parse(iso, a, "os/spawn")?;
    let (out, err) = writes_ours(&spec.stdio);
    let Some(drained) = stdout::before_child(out, err) else {
        let launched = launch(spec, "os/spawn").map_err(|m| iso.err(m))?;
        return Ok(process_value(iso, launched));
    };
    let finish: Finish<()> = Box::new(move |iso, ()| match launch(spec, "os/spawn") {
        Ok(launched) => Resume::Value(process_value(iso, launched)),
        Err(m) => Resume::Error(iso.str(&m)),
    });
    run_io(iso, drained, finish)
}

/// The `core/process` value of a started child (flags from its spec).
fn process_value(iso: &mut Isolate, launched: Launched) -> Value {
    let Launched {
        pid,
        exit,
        ours,
        flags,
    } = launched;
    let streams = ours.map(|end| end.map_or(Value::Nil, |e| fd_stream_value(iso, e)));
    let obj = ProcObj {
        pid,
        exit,
        raise_nonzero: flags.contains(&b'x'),
        detached: flags.contains(&b'd'),
        pipes: Vec::new(),
        fields: Value::Nil,
    };
    process::make(iso, obj, streams)
}

/// Parks until the process of `spec` exits; returns (or raises) as `:x` says.
fn run_to_exit(iso: &mut Isolate, spec: Spec, who: &'static str) -> R {
    if spec.stdio.iter().any(|r| matches!(r, Redirect::Pipe)) {
        return Err(fail(iso, who, ":pipe needs os/spawn"));
    }
    let raise = spec.flags.contains(&b'x');
    let (out, err) = writes_ours(&spec.stdio);
    // With nothing queued the child starts now, in the call, and a failed
    // start raises at once; otherwise it starts once our bytes are out.
    let pending = match stdout::before_child(out, err) {
        None => Ok(launch(spec, who).map_err(|m| iso.err(m))?),
        Some(drained) => Err((drained, spec)),
    };
    let fut: OpFuture = Box::pin(async move {
        let launched = match pending {
            Ok(l) => Ok(l),
            Err((drained, spec)) => {
                // A write error was already reported to its writer.
                let _ = drained.await;
                launch(spec, who)
            }
        };
        match launched {
            Ok(l) => {
                let code = l.exit.wait().await;
                Box::new(move |iso: &mut Isolate| process::wait_result(iso, code, raise)) as Done
            }
            Err(m) => Box::new(move |iso: &mut Isolate| Resume::Error(iso.str(&m))) as Done,
        }
    });
    start(iso, None, None, fut)
}

fn execute(iso: &mut Isolate, a: &[Value]) -> R {
    let spec = parse(iso, a, "os/execute")?;
    run_to_exit(iso, spec, "os/execute")
}

fn shell(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    if args::opt(a, 0) == Value::Nil {
        // Janet's (os/shell) with no command: is a shell available?
        return Ok(Value::Bool(std::path::Path::new("/bin/sh").exists()));
    }
    let cmd = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let spec = Spec {
        argv: vec!["/bin/sh".into(), "-c".into(), cmd],
        flags: Vec::new(),
        vars: None,
        stdio: [Redirect::Inherit, Redirect::Inherit, Redirect::Inherit],
    };
    run_to_exit(iso, spec, "os/shell")
}

/// Registers the module (after `os.rs`, so the parking `os/execute` wins).
pub fn register(env: &mut Env) {
    env.native("os/spawn", "(os/spawn args &opt flags env)\n\nStarts the program args (a tuple of strings) and returns a core/process. Flags: :p search PATH, :e use env as the whole environment, :x make waiting raise on a non-zero exit, :d do not kill it when the process value is collected. env may hold :in, :out and :err, each :pipe, a stream or a file (:err may be :out to merge). Fields (p :in) (p :out) (p :err) (p :pid) (p :return-code); methods :wait :kill :close.", spawn);
    env.native("os/execute", "(os/execute args &opt flags env)\n\nos/spawn then os/proc-wait: parks until the program exits and returns its exit code (128 + signal if killed). With :x a non-zero exit raises \"command failed with non-zero exit code N\".", execute);
    env.native(
        "os/shell",
        "(os/shell str)\n\nRuns /bin/sh -c str, parks until it exits and returns the exit code.",
        shell,
    );
}
