//! Files as an abstract type (`core/file`): `file/open`, `file/temp`,
//! `read`, `write`, `seek`, `tell`, `flush`, `close`, the standard streams,
//! `slurp` and `spit` (api.md §4). Inside the event loop every one of them
//! that does I/O parks its task on the ring (`file_run`); with no loop they
//! run on blocking calls. Buffers and offsets live in `ev::disk_file`;
//! `getline` and reads of `stdin` are in `stdin.rs`.
//!
//! Invariant: a `FileObj` owns at most one `DiskFile` (shared by `Arc` with
//! the ops in flight on it); after `file/close` the handle is gone and every
//! operation but `close` raises "file is closed". Writes to `stdout` and
//! `stderr` share the print family's ordered sinks (`stdout.rs`), so their
//! output keeps its order with `print`'s.

use super::args;
use super::file_run::{io_mode, returning, run_io, Finish};
use super::registry::Env;
use crate::ev::disk_file::{either, DiskFile, ReadWant, Whence};
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate};
use crate::objects::AbstractType;
use crate::value::Value;
use std::io::Write;
use std::sync::Arc;

type R = Result<Value, Flow>;

/// Where a file value's bytes go.
#[derive(Debug)]
pub enum Handle {
    Disk(Arc<DiskFile>),
    Stdin,
    Stdout,
    Stderr,
    Closed,
}

/// The `core/file` abstract value.
#[derive(Debug)]
pub struct FileObj {
    pub handle: Handle,
    pub methods: Value,
}

impl AbstractType for FileObj {
    fn type_name(&self) -> &'static str {
        "core/file"
    }
    fn trace(&self, out: &mut Vec<Value>) {
        out.push(self.methods);
    }
    fn methods(&self) -> Value {
        self.methods
    }
}

/// The file behind `v`, if it is one.
pub fn file_mut(iso: &mut Isolate, v: Value) -> Option<&mut FileObj> {
    let Value::Abstract(r) = v else { return None };
    let b = iso.heap.abstracts.get_mut(r).as_mut()?;
    let any: &mut dyn std::any::Any = b.as_mut();
    any.downcast_mut::<FileObj>()
}

/// The value of global `name` in the root environment (nil if unbound).
pub fn global(iso: &mut Isolate, name: &str) -> Value {
    let sym = iso.heap.symbol(name);
    let k = iso.heap.keyword("value");
    match iso.env_lookup(iso.env, sym) {
        Some(entry) => iso.get_plain(entry, k),
        None => Value::Nil,
    }
}

/// A new `core/file` value around `handle`.
pub fn new_file(iso: &mut Isolate, handle: Handle) -> Value {
    let methods = global(iso, "file/methods");
    let r = iso
        .heap
        .abstracts
        .alloc(Some(Box::new(FileObj { handle, methods })));
    Value::Abstract(r)
}

/// Appends `data` to `buf` (a buffer value, or a new one when nil).
pub fn append_to(iso: &mut Isolate, buf: Value, data: &[u8]) -> Value {
    match buf {
        Value::Buffer(r) => {
            iso.heap.buffers.get_mut(r).extend_from_slice(data);
            buf
        }
        _ => iso.heap.buffer(data.to_vec()),
    }
}

/// What `a[0]` is as a file: its handle kind (Disk is cloned out).
enum Target {
    Disk(Arc<DiskFile>),
    Stdin,
    Stdout,
    Stderr,
}

fn target(iso: &mut Isolate, v: Value, who: &str) -> Result<Target, Flow> {
    let Some(file) = file_mut(iso, v) else {
        return Err(iso.err(format!("{who}: bad slot #0, expected core/file")));
    };
    Ok(match &file.handle {
        Handle::Disk(d) => Target::Disk(d.clone()),
        Handle::Stdin => Target::Stdin,
        Handle::Stdout => Target::Stdout,
        Handle::Stderr => Target::Stderr,
        Handle::Closed => return Err(iso.err("file is closed")),
    })
}

fn msg(e: std::io::Error) -> String {
    e.to_string()
}

/// The open options of a `file/open` mode string, and whether it appends.
fn parse_mode(iso: &mut Isolate, mode: &[u8]) -> Result<(bool, bool, bool, bool), Flow> {
    if let Some(c) = mode.iter().skip(1).find(|c| !b"b+n".contains(c)) {
        let m = format!("file/open: invalid mode flag {:?}", *c as char);
        return Err(iso.err(m));
    }
    let plus = mode.contains(&b'+');
    // (read, write, append, truncate+create)
    match mode.first() {
        Some(b'w') => Ok((plus, true, false, true)),
        Some(b'a') => Ok((plus, true, true, false)),
        Some(b'r') => Ok((true, plus, false, false)),
        _ => Err(iso.err("file/open: mode must start with r, w or a")),
    }
}

fn open(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let mode = match args::opt(a, 1) {
        Value::Nil => b"r".to_vec(),
        _ => args::bytes(iso, a, 1)?,
    };
    let (read, write, append, fresh) = parse_mode(iso, &mode)?;
    let raise = mode.contains(&b'n');
    let io = io_mode(iso);
    let fut = async move {
        let p = path.clone();
        let blocking = move || {
            std::fs::OpenOptions::new()
                .read(read)
                .write(write)
                .append(append)
                .create(append || fresh)
                .truncate(fresh)
                .open(&p)
                .map(|f| DiskFile::from_std(f, append))
        };
        let r = either(io, blocking, open_ring(&path, read, write, append, fresh)).await;
        Ok(r.map_err(|e| format!("could not open file {path}: {e}")))
    };
    let finish: Finish<Result<Arc<DiskFile>, String>> = Box::new(move |iso, r| match r {
        Ok(d) => Resume::Value(new_file(iso, Handle::Disk(d))),
        Err(m) if raise => Resume::Error(iso.str(&m)),
        Err(_) => Resume::Value(Value::Nil),
    });
    run_io(iso, fut, finish)
}

async fn open_ring(
    path: &str,
    read: bool,
    write: bool,
    append: bool,
    fresh: bool,
) -> std::io::Result<Arc<DiskFile>> {
    let f = spindle_rt::fs::OpenOptions::new()
        .read(read)
        .write(write)
        .append(append)
        .create(append || fresh)
        .truncate(fresh)
        .open(path)
        .await?;
    let regular = f.metadata().await?.is_file();
    Ok(DiskFile::from_ring(f, regular, append))
}

fn temp(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(0))?;
    let dir = std::env::temp_dir();
    let io = io_mode(iso);
    let fut = async move {
        let d = dir.clone();
        let blocking = move || {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_TMPFILE)
                .mode(0o600)
                .open(&d)
                .map(|f| DiskFile::from_std(f, false))
        };
        let ring = async {
            let f = spindle_rt::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_TMPFILE)
                .mode(0o600)
                .open(&dir)
                .await?;
            Ok(DiskFile::from_ring(f, true, false))
        };
        either(io, blocking, ring)
            .await
            .map_err(|e| format!("file/temp: {e}"))
    };
    let finish: Finish<Arc<DiskFile>> =
        Box::new(|iso, d| Resume::Value(new_file(iso, Handle::Disk(d))));
    run_io(iso, fut, finish)
}

fn read_want(iso: &mut Isolate, a: &[Value]) -> Result<ReadWant, Flow> {
    match a[1] {
        Value::Keyword(_) => match args::keyword(iso, a, 1)?.as_slice() {
            b"all" => Ok(ReadWant::All),
            b"line" => Ok(ReadWant::Line),
            _ => Err(iso.err("file/read: expected :all, :line or a byte count")),
        },
        _ => Ok(ReadWant::Bytes(args::int(iso, a, 1)?.max(0) as usize)),
    }
}

fn read(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let want = read_want(iso, a)?;
    let buf = match args::opt(a, 2) {
        Value::Nil => Value::Nil,
        v @ Value::Buffer(_) => v,
        _ => return Err(iso.err("file/read: bad slot #2, expected buffer")),
    };
    let nil_at_eof = !matches!(want, ReadWant::All | ReadWant::Bytes(0));
    let finish: Finish<Vec<u8>> = Box::new(move |iso, bytes| {
        if bytes.is_empty() && nil_at_eof {
            return Resume::Value(Value::Nil);
        }
        Resume::Value(append_to(iso, buf, &bytes))
    });
    match target(iso, a[0], "file/read")? {
        Target::Disk(d) => {
            let io = io_mode(iso);
            run_io(
                iso,
                async move { d.read(io, want).await.map_err(msg) },
                finish,
            )
        }
        Target::Stdin => super::stdin::read(iso, want, finish),
        _ => Err(iso.err("file/read: file not readable")),
    }
}

/// Writes `data` to the file `f`; the call returns `ret`. A disk file
/// buffers, parking only to drain a full buffer.
pub fn write_to(iso: &mut Isolate, f: Value, data: &[u8], ret: Value) -> R {
    match target(iso, f, "file/write")? {
        Target::Disk(d) => {
            if !d.buffer_write(data) {
                return Ok(ret);
            }
            let io = io_mode(iso);
            run_io(
                iso,
                async move { d.flush(io).await.map_err(msg) },
                returning(ret),
            )
        }
        Target::Stdout => super::stdout::write(iso, false, data, ret),
        Target::Stderr => super::stdout::write(iso, true, data, ret),
        Target::Stdin => Err(iso.err("file/write: file not writable")),
    }
}

fn write(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, None)?;
    let mut out = Vec::new();
    for v in &a[1..] {
        match iso.heap.bytes(*v) {
            Some(b) => out.extend_from_slice(b),
            None => out.extend(crate::printer::to_text(iso, *v).into_bytes()),
        }
    }
    write_to(iso, a[0], &out, a[0])
}

fn flush(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    match target(iso, a[0], "file/flush")? {
        Target::Disk(d) => {
            let io = io_mode(iso);
            run_io(
                iso,
                async move { d.flush(io).await.map_err(msg) },
                returning(a[0]),
            )
        }
        Target::Stdout => super::stdout::flush(iso, false, a[0]),
        Target::Stderr => super::stdout::flush(iso, true, a[0]),
        _ => Ok(a[0]),
    }
}

fn close(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let Some(f) = file_mut(iso, a[0]) else {
        return Err(iso.err("file/close: bad slot #0, expected core/file"));
    };
    match std::mem::replace(&mut f.handle, Handle::Closed) {
        // The descriptor closes when the flush (and any op still holding
        // the file) lets go of it.
        Handle::Disk(d) => {
            let io = io_mode(iso);
            run_io(
                iso,
                async move { d.flush(io).await.map_err(msg) },
                returning(Value::Nil),
            )
        }
        _ => Ok(Value::Nil),
    }
}

fn seek(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(3))?;
    let whence = match args::opt(a, 1) {
        Value::Nil => Whence::Cur,
        _ => match args::keyword(iso, a, 1)?.as_slice() {
            b"set" => Whence::Set,
            b"end" => Whence::End,
            b"cur" => Whence::Cur,
            _ => return Err(iso.err("file/seek: expected :cur, :set or :end")),
        },
    };
    let n = match args::opt(a, 2) {
        Value::Nil => 0,
        _ => args::int(iso, a, 2)?,
    };
    let Target::Disk(d) = target(iso, a[0], "file/seek")? else {
        return Err(iso.err("file/seek: cannot seek this file"));
    };
    let io = io_mode(iso);
    let finish: Finish<u64> = Box::new(|_, pos| Resume::Value(Value::Num(pos as f64)));
    run_io(
        iso,
        async move { d.seek(io, whence, n).await.map_err(msg) },
        finish,
    )
}

fn tell(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    match target(iso, a[0], "file/tell")? {
        Target::Disk(d) => Ok(Value::Num(d.tell() as f64)),
        _ => Ok(Value::Num(0.0)),
    }
}

fn slurp(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let io = io_mode(iso);
    let fut = async move {
        let p = path.clone();
        let r = either(io, move || std::fs::read(p), spindle_rt::fs::read(&path)).await;
        r.map_err(|e| format!("could not open file {path}: {e}"))
    };
    let finish: Finish<Vec<u8>> = Box::new(|iso, b| Resume::Value(iso.heap.buffer(b)));
    run_io(iso, fut, finish)
}

fn spit(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let data = Arc::new(match iso.heap.bytes(a[1]) {
        Some(b) => b.to_vec(),
        None => crate::printer::to_text(iso, a[1]).into_bytes(),
    });
    let append = match args::opt(a, 2) {
        Value::Nil => false,
        _ => args::bytes(iso, a, 2)?.starts_with(b"a"),
    };
    let io = io_mode(iso);
    let fut = async move {
        let (p, bytes) = (path.clone(), data.clone());
        let blocking = move || {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .append(append)
                .truncate(!append)
                .open(&p)
                .and_then(|mut f| f.write_all(&bytes))
        };
        let r = either(io, blocking, spit_ring(&path, &data, append)).await;
        r.map_err(|e| format!("could not write file {path}: {e}"))
    };
    run_io(iso, fut, returning(Value::Nil))
}

async fn spit_ring(path: &str, data: &[u8], append: bool) -> std::io::Result<()> {
    let f = spindle_rt::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .await?;
    f.write_all(data).await
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, crate::isolate::NativeFn)] = &[
        ("file/open", "(file/open path &opt mode)\n\nOpens a file; mode is r, w or a, optionally followed by b, + and n (n: raise instead of returning nil when it cannot be opened). Parks while opening inside the event loop.", open),
        ("file/temp", "(file/temp)\n\nAn anonymous temporary file (no name in the file system) opened for reading and writing.", temp),
        ("file/read", "(file/read f what &opt buf)\n\nReads :all, a :line or n bytes (fewer only at end of file), appending to buf (a new buffer by default); nil at end of file (:all gives an empty buffer). Parks while reading.", read),
        ("file/write", "(file/write f & bytes)\n\nBuffered write of bytes to f; returns f. Parks only while a full buffer drains.", write),
        ("file/flush", "(file/flush f)\n\nWrites f's buffered bytes (parks meanwhile); returns f.", flush),
        ("file/close", "(file/close f)\n\nFlushes f, then closes it. Returns nil.", close),
        ("file/seek", "(file/seek f &opt whence n)\n\nMoves the position by n from whence (:cur by default, :set or :end) and drops read-ahead; returns the new position. Only :end does I/O (to learn the length).", seek),
        ("file/tell", "(file/tell f)\n\nThe current position in f.", tell),
        ("slurp", "(slurp path)\n\nThe whole contents of a file as a buffer. Parks while reading.", slurp),
        ("spit", "(spit path contents &opt mode)\n\nWrites contents to a file (mode \"a\" appends). Parks while writing. Returns nil.", spit),
        ("getline", "(getline &opt prompt buf env)\n\nPrints prompt, then reads one line (with its newline) from stdin, appending to buf (a new buffer by default). Parks while waiting.", super::stdin::getline),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
    let mut pairs = Vec::new();
    for name in ["read", "write", "flush", "close", "seek", "tell"] {
        let k = env.iso.heap.keyword(name);
        let f = global(env.iso, &format!("file/{}", name));
        pairs.push(k);
        pairs.push(f);
    }
    let tbl = crate::vm::ops::table_from_pairs(&env.iso.heap, &pairs);
    let methods = env.iso.heap.table(tbl);
    env.value("file/methods", methods, "Methods of core/file values.");
    for (name, h) in [
        ("stdin", Handle::Stdin),
        ("stdout", Handle::Stdout),
        ("stderr", Handle::Stderr),
    ] {
        let f = new_file(env.iso, h);
        env.value(name, f, "A standard stream as a core/file.");
    }
}
