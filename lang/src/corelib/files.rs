//! Files as an abstract type (`core/file`): `file/open`, `read`, `write`,
//! `seek`, `tell`, `flush`, `close`, the standard streams, `slurp`, `spit`
//! and `getline`. Synchronous for now (the event-loop work moves them onto
//! the runtime).
//!
//! Invariant: a `FileObj` owns at most one OS handle; after `file/close` the
//! handle is gone and every operation but `close` raises "file is closed".
//! Reads go through a `BufReader`; before a write or seek the read buffer is
//! discarded (seeking back over unread bytes) so the OS position stays true.

use super::args;
use super::registry::Env;
use crate::isolate::{Flow, Isolate};
use crate::objects::AbstractType;
use crate::value::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};

type R = Result<Value, Flow>;

/// Where a file value's bytes go.
#[derive(Debug)]
pub enum Handle {
    Disk(BufReader<File>),
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

fn new_file(iso: &mut Isolate, handle: Handle) -> Value {
    let methods = global(iso, "file/methods");
    let r = iso
        .heap
        .abstracts
        .alloc(Some(Box::new(FileObj { handle, methods })));
    Value::Abstract(r)
}

fn io_err(iso: &mut Isolate, e: std::io::Error) -> Flow {
    iso.err(e.to_string())
}

fn with_file<T>(
    iso: &mut Isolate,
    a: &[Value],
    f: impl FnOnce(&mut Handle) -> std::io::Result<T>,
) -> Result<T, Flow> {
    let Some(file) = file_mut(iso, args::opt(a, 0)) else {
        let m = "bad slot #0, expected core/file";
        return Err(iso.err(m));
    };
    if matches!(file.handle, Handle::Closed) {
        return Err(iso.err("file is closed"));
    }
    let r = f(&mut file.handle);
    r.map_err(|e| io_err(iso, e))
}

fn open(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let mode = match args::opt(a, 1) {
        Value::Nil => b"r".to_vec(),
        _ => args::bytes(iso, a, 1)?,
    };
    let mut o = OpenOptions::new();
    let plus = mode.contains(&b'+');
    match mode.first() {
        Some(b'w') => o.write(true).create(true).truncate(true).read(plus),
        Some(b'a') => o.append(true).create(true).read(plus),
        Some(b'r') => o.read(true).write(plus),
        _ => return Err(iso.err("file mode must start with r, w or a")),
    };
    match o.open(&path) {
        Ok(f) => Ok(new_file(iso, Handle::Disk(BufReader::new(f)))),
        Err(_) => Ok(Value::Nil),
    }
}

fn read_line(r: &mut dyn BufRead) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_until(b'\n', &mut v)?;
    Ok(v)
}

fn read_handle(h: &mut Handle, what: Option<usize>, line: bool) -> std::io::Result<Vec<u8>> {
    let stdin = std::io::stdin();
    let mut lock;
    let r: &mut dyn BufRead = match h {
        Handle::Disk(f) => f,
        Handle::Stdin => {
            lock = stdin.lock();
            &mut lock
        }
        _ => return Err(std::io::Error::other("file not readable")),
    };
    let mut out = Vec::new();
    if line {
        return read_line(r);
    }
    match what {
        None => {
            r.read_to_end(&mut out)?;
        }
        Some(n) => {
            r.take(n as u64).read_to_end(&mut out)?;
        }
    }
    Ok(out)
}

fn read(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let (n, line) = match a[1] {
        Value::Keyword(_) => {
            let k = args::keyword(iso, a, 1)?;
            match k.as_slice() {
                b"all" => (None, false),
                b"line" => (None, true),
                _ => return Err(iso.err("expected :all, :line or a byte count")),
            }
        }
        _ => (Some(args::int(iso, a, 1)?.max(0) as usize), false),
    };
    let bytes = with_file(iso, a, |h| read_handle(h, n, line))?;
    if bytes.is_empty() && (line || n.is_some_and(|n| n > 0)) {
        return Ok(Value::Nil);
    }
    match args::opt(a, 2) {
        Value::Buffer(b) => {
            iso.heap.buffers.get_mut(b).extend_from_slice(&bytes);
            Ok(a[2])
        }
        _ => Ok(iso.heap.buffer(bytes)),
    }
}

/// Writes bytes to a handle (discarding any read-ahead first).
pub fn write_handle(h: &mut Handle, b: &[u8]) -> std::io::Result<()> {
    match h {
        Handle::Disk(f) => {
            // Seeking to the current logical position discards read-ahead
            // and puts the OS position where the reader stopped.
            if !f.buffer().is_empty() {
                let pos = f.stream_position()?;
                f.seek(SeekFrom::Start(pos))?;
            }
            f.get_mut().write_all(b)
        }
        Handle::Stdout => std::io::stdout().lock().write_all(b),
        Handle::Stderr => std::io::stderr().lock().write_all(b),
        _ => Err(std::io::Error::other("file not writable")),
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
    with_file(iso, a, |h| write_handle(h, &out))?;
    Ok(a[0])
}

fn flush(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    with_file(iso, a, |h| match h {
        Handle::Disk(f) => f.get_mut().flush(),
        Handle::Stdout => std::io::stdout().flush(),
        _ => Ok(()),
    })?;
    Ok(a[0])
}

fn close(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    match file_mut(iso, a[0]) {
        Some(f) => {
            f.handle = Handle::Closed;
            Ok(Value::Nil)
        }
        None => Err(iso.err("bad slot #0, expected core/file")),
    }
}

fn seek(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(3))?;
    let whence = match args::opt(a, 1) {
        Value::Nil => b"cur".to_vec(),
        _ => args::keyword(iso, a, 1)?,
    };
    let n = match args::opt(a, 2) {
        Value::Nil => 0,
        _ => args::int(iso, a, 2)?,
    };
    let to = match whence.as_slice() {
        b"set" => SeekFrom::Start(n.max(0) as u64),
        b"end" => SeekFrom::End(n),
        b"cur" => SeekFrom::Current(n),
        _ => return Err(iso.err("expected :cur, :set or :end")),
    };
    let pos = with_file(iso, a, |h| match h {
        Handle::Disk(f) => f.seek(to),
        _ => Err(std::io::Error::other("cannot seek this file")),
    })?;
    Ok(Value::Num(pos as f64))
}

fn tell(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let pos = with_file(iso, a, |h| match h {
        Handle::Disk(f) => f.stream_position(),
        _ => Ok(0),
    })?;
    Ok(Value::Num(pos as f64))
}

fn slurp(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    match std::fs::read(&path) {
        Ok(b) => Ok(iso.heap.buffer(b)),
        Err(e) => Err(iso.err(format!("could not open file {}: {}", path, e))),
    }
}

fn spit(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let path = String::from_utf8_lossy(&args::bytes(iso, a, 0)?).into_owned();
    let data = match iso.heap.bytes(a[1]) {
        Some(b) => b.to_vec(),
        None => crate::printer::to_text(iso, a[1]).into_bytes(),
    };
    let append = match args::opt(a, 2) {
        Value::Nil => false,
        _ => args::bytes(iso, a, 2)?.starts_with(b"a"),
    };
    let r = OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(&path)
        .and_then(|mut f| f.write_all(&data));
    r.map_err(|e| iso.err(format!("could not write file {}: {}", path, e)))?;
    Ok(Value::Nil)
}

fn getline(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(3))?;
    if let Some(p) = iso.heap.bytes(args::opt(a, 0)) {
        let p = p.to_vec();
        super::io::write_out(iso, &p);
        let _ = std::io::stdout().flush();
    }
    let line = read_line(&mut std::io::stdin().lock()).map_err(|e| io_err(iso, e))?;
    match args::opt(a, 1) {
        Value::Buffer(b) => {
            iso.heap.buffers.get_mut(b).extend_from_slice(&line);
            Ok(a[1])
        }
        _ => Ok(iso.heap.buffer(line)),
    }
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, crate::isolate::NativeFn)] = &[
        ("file/open", "(file/open path &opt mode)\n\nOpens a file; mode is r, w or a, optionally with + and b. Returns nil if it cannot be opened.", open),
        ("file/read", "(file/read f what &opt buf)\n\nReads :all, a :line or n bytes into a buffer; nil at end of file.", read),
        ("file/write", "(file/write f & bytes)\n\nWrites bytes to f and returns f.", write),
        ("file/flush", "(file/flush f)\n\nFlushes f.", flush),
        ("file/close", "(file/close f)\n\nCloses f.", close),
        ("file/seek", "(file/seek f &opt whence n)\n\nMoves the position (:cur, :set or :end); returns the new position.", seek),
        ("file/tell", "(file/tell f)\n\nThe current position in f.", tell),
        ("slurp", "(slurp path)\n\nThe whole contents of a file as a buffer.", slurp),
        ("spit", "(spit path contents &opt mode)\n\nWrites contents to a file (mode \"a\" appends).", spit),
        ("getline", "(getline &opt prompt buf env)\n\nReads a line from stdin (after printing prompt).", getline),
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
