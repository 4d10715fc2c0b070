//! The `os/` module: environment, working directory, file system entries,
//! dates, sleeping and platform facts. The file system calls (`os/dir`,
//! `os/stat`, `os/mkdir`, `os/touch`, `os/chmod`, links...) run on the blocking pool and park the task
//! (api.md §4 "all of them park"); the rest are quick and synchronous.
//!
//! Invariant: functions that query return nil (or raise, as Janet documents)
//! instead of panicking; UTC dates are computed here with the proleptic
//! Gregorian calendar, local ones by libc through `spindle_rt::localtime`
//! (`:month` and `:month-day` are 0-based as in Janet).

use super::args;
use super::file_run::{returning, run_blocking, Finish};
use super::registry::Env;
use crate::ev::Resume;
use crate::isolate::{Flow, Isolate, NativeFn};
use crate::value::Value;
use spindle_rt::localtime::{self, LocalTime};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

type R = Result<Value, Flow>;

fn path_arg(iso: &mut Isolate, a: &[Value], i: usize) -> Result<String, Flow> {
    Ok(String::from_utf8_lossy(&args::bytes(iso, a, i)?).into_owned())
}

fn io_fail(iso: &mut Isolate, what: &str, p: &str, e: std::io::Error) -> Flow {
    iso.err(fail(what, p, e))
}

fn getenv(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let k = path_arg(iso, a, 0)?;
    match std::env::var_os(&k) {
        Some(v) => Ok(iso.heap.string(v.as_encoded_bytes())),
        None => Ok(args::opt(a, 1)),
    }
}

fn setenv(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let k = path_arg(iso, a, 0)?;
    if k.is_empty() || k.contains('=') || k.contains('\0') {
        return Err(iso.err("invalid environment variable name"));
    }
    match args::opt(a, 1) {
        Value::Nil => std::env::remove_var(&k),
        _ => {
            let v = path_arg(iso, a, 1)?;
            std::env::set_var(&k, v)
        }
    }
    Ok(Value::Nil)
}

fn environ(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(0))?;
    let mut kv = Vec::new();
    for (k, v) in std::env::vars_os() {
        kv.push(iso.heap.string(k.as_encoded_bytes()));
        kv.push(iso.heap.string(v.as_encoded_bytes()));
    }
    let t = crate::vm::ops::table_from_pairs(&iso.heap, &kv);
    Ok(iso.heap.table(t))
}

fn cwd(iso: &mut Isolate, _: &[Value]) -> R {
    match std::env::current_dir() {
        Ok(p) => Ok(iso.heap.string(p.as_os_str().as_encoded_bytes())),
        Err(e) => Err(iso.err(e.to_string())),
    }
}

fn cd(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let p = path_arg(iso, a, 0)?;
    std::env::set_current_dir(&p).map_err(|e| io_fail(iso, "cannot cd to", &p, e))?;
    Ok(Value::Nil)
}

/// What `os/dir` & co. compute off the loop: their work runs on the
/// blocking pool (`file_run::run_blocking`) and the task parks meanwhile.
fn fail(what: &str, p: &str, e: std::io::Error) -> String {
    format!("{} {}: {}", what, p, e)
}

fn dir(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let p = path_arg(iso, a, 0)?;
    let work = move || {
        let rd = std::fs::read_dir(&p).map_err(|e| fail("cannot open directory", &p, e))?;
        let mut names: Vec<Vec<u8>> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().as_encoded_bytes().to_vec())
            .collect();
        names.sort();
        Ok(names)
    };
    let finish: Finish<Vec<Vec<u8>>> = Box::new(|iso, names| {
        let items = names.iter().map(|n| iso.heap.string(n)).collect();
        Resume::Value(iso.heap.array(items))
    });
    run_blocking(iso, work, finish)
}

fn perm_string(mode: u32) -> String {
    let mut s = String::new();
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

fn stat(iso: &mut Isolate, a: &[Value]) -> R {
    stat_of(iso, a, true)
}

fn lstat(iso: &mut Isolate, a: &[Value]) -> R {
    stat_of(iso, a, false)
}

/// `os/stat` (following a final symlink, as Janet's does) or `os/lstat`.
fn stat_of(iso: &mut Isolate, a: &[Value], follow: bool) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let p = path_arg(iso, a, 0)?;
    let want = match args::opt(a, 1) {
        Value::Keyword(_) => Some(args::keyword(iso, a, 1)?),
        _ => None,
    };
    let into = args::opt(a, 1);
    let work = move || {
        Ok(if follow {
            std::fs::metadata(&p).ok()
        } else {
            std::fs::symlink_metadata(&p).ok()
        })
    };
    let finish: Finish<Option<std::fs::Metadata>> = Box::new(move |iso, m| {
        let Some(m) = m else {
            return Resume::Value(Value::Nil);
        };
        match stat_value(iso, &m, want.as_deref(), into) {
            Ok(v) => Resume::Value(v),
            Err(msg) => Resume::Error(iso.str(&msg)),
        }
    });
    run_blocking(iso, work, finish)
}

/// The struct (or one field, or `into` filled) that `os/stat` returns.
fn stat_value(
    iso: &mut Isolate,
    m: &std::fs::Metadata,
    want: Option<&[u8]>,
    into: Value,
) -> Result<Value, String> {
    let ft = m.file_type();
    let kind = if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "file"
    } else if ft.is_symlink() {
        "link"
    } else {
        "other"
    };
    let mode = m.permissions().mode();
    let perms = perm_string(mode);
    let fields: Vec<(&str, Value)> = vec![
        ("mode", iso.heap.keyword(kind)),
        ("size", Value::Num(m.len() as f64)),
        ("permissions", iso.heap.string(perms.as_bytes())),
        ("int-permissions", Value::Num((mode & 0o777) as f64)),
        ("modified", Value::Num(m.mtime() as f64)),
        ("accessed", Value::Num(m.atime() as f64)),
        ("changed", Value::Num(m.ctime() as f64)),
        ("uid", Value::Num(m.uid() as f64)),
        ("gid", Value::Num(m.gid() as f64)),
        ("nlink", Value::Num(m.nlink() as f64)),
        ("inode", Value::Num(m.ino() as f64)),
        ("dev", Value::Num(m.dev() as f64)),
        ("blocks", Value::Num(m.blocks() as f64)),
        ("blocksize", Value::Num(m.blksize() as f64)),
    ];
    if let Some(want) = want {
        return Ok(fields
            .iter()
            .find(|(k, _)| k.as_bytes() == want)
            .map_or(Value::Nil, |(_, v)| *v));
    }
    let mut kv = Vec::new();
    for (k, v) in fields {
        kv.push(iso.heap.keyword(k));
        kv.push(v);
    }
    let t = crate::vm::ops::table_from_pairs(&iso.heap, &kv);
    match into {
        Value::Table(_) => {
            for (k, v) in t.iter() {
                crate::vm::ops::put(&mut iso.heap, into, k, v)?;
            }
            Ok(into)
        }
        _ => Ok(iso.heap.strukt(t)),
    }
}

/// Runs `f` on the path argument off the loop; the call returns nil.
fn fs_op(
    iso: &mut Isolate,
    a: &[Value],
    what: &'static str,
    f: fn(&str) -> std::io::Result<()>,
) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let p = path_arg(iso, a, 0)?;
    let work = move || f(&p).map_err(|e| fail(what, &p, e));
    run_blocking(iso, work, returning(Value::Nil))
}

fn mkdir(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let p = path_arg(iso, a, 0)?;
    let work = move || match std::fs::create_dir(&p) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(fail("cannot create directory", &p, e)),
    };
    run_blocking(
        iso,
        work,
        Box::new(|_, made| Resume::Value(Value::Bool(made))),
    )
}

fn rm(iso: &mut Isolate, a: &[Value]) -> R {
    fs_op(iso, a, "cannot remove", |p| std::fs::remove_file(p))
}

fn rmdir(iso: &mut Isolate, a: &[Value]) -> R {
    fs_op(iso, a, "cannot remove directory", |p| {
        std::fs::remove_dir(p)
    })
}

fn rename(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let (from, to) = (path_arg(iso, a, 0)?, path_arg(iso, a, 1)?);
    let work = move || std::fs::rename(&from, &to).map_err(|e| fail("cannot rename", &from, e));
    run_blocking(iso, work, returning(Value::Nil))
}

/// Runs `f` on the path argument off the loop; the call returns the path
/// it gives, as a string.
fn path_query(
    iso: &mut Isolate,
    a: &[Value],
    what: &'static str,
    f: fn(&str) -> std::io::Result<std::path::PathBuf>,
) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let p = path_arg(iso, a, 0)?;
    let work = move || {
        let r = f(&p).map_err(|e| fail(what, &p, e))?;
        Ok(r.into_os_string().into_encoded_bytes())
    };
    let finish: Finish<Vec<u8>> = Box::new(|iso, r| Resume::Value(iso.heap.string(&r)));
    run_blocking(iso, work, finish)
}

fn realpath(iso: &mut Isolate, a: &[Value]) -> R {
    path_query(iso, a, "cannot resolve", |p| std::fs::canonicalize(p))
}

/// A permission argument: an integer (`8r644`) or a string like
/// `"rw-r--r--"` (as `os/perm-string` makes).
fn perm_arg(iso: &mut Isolate, a: &[Value], i: usize) -> Result<u32, Flow> {
    if let Some(n) = a.get(i).and_then(|v| v.as_int()) {
        return match u32::try_from(n) {
            Ok(m) if m <= 0o7777 => Ok(m),
            _ => Err(iso.err(format!("bad permissions {}, expected 0 to 8r7777", n))),
        };
    }
    let text = args::bytes(iso, a, i)?;
    parse_perm_string(&text).ok_or_else(|| {
        iso.err(format!(
            "bad permission string {:?}, expected 9 characters like \"rw-r--r--\"",
            String::from_utf8_lossy(&text)
        ))
    })
}

fn parse_perm_string(s: &[u8]) -> Option<u32> {
    if s.len() != 9 {
        return None;
    }
    let mut mode = 0;
    for (i, &c) in s.iter().enumerate() {
        let want = b"rwx"[i % 3];
        mode <<= 1;
        match c {
            b'-' => {}
            c if c == want => mode |= 1,
            _ => return None,
        }
    }
    Some(mode)
}

fn perm_string_fn(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let mode = perm_arg(iso, a, 0)?;
    Ok(iso.heap.string(perm_string(mode).as_bytes()))
}

fn perm_int(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    Ok(Value::Num((perm_arg(iso, a, 0)? & 0o777) as f64))
}

fn chmod(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    let p = path_arg(iso, a, 0)?;
    let mode = perm_arg(iso, a, 1)?;
    let work = move || {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(|e| fail("cannot change permissions of", &p, e))
    };
    run_blocking(iso, work, returning(Value::Nil))
}

/// Seconds since the epoch as a `SystemTime` (fractions kept).
fn epoch_time(iso: &mut Isolate, a: &[Value], i: usize) -> Result<std::time::SystemTime, Flow> {
    let secs = args::num(iso, a, i)?;
    let d = std::time::Duration::try_from_secs_f64(secs.abs()).map_err(|_| {
        iso.err(format!(
            "bad time {}, expected seconds since the epoch",
            secs
        ))
    })?;
    let t = if secs >= 0.0 {
        std::time::UNIX_EPOCH.checked_add(d)
    } else {
        std::time::UNIX_EPOCH.checked_sub(d)
    };
    t.ok_or_else(|| iso.err(format!("time {} is out of range", secs)))
}

fn touch(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(3))?;
    let p = path_arg(iso, a, 0)?;
    let now = std::time::SystemTime::now();
    let accessed = match args::opt(a, 1) {
        Value::Nil => now,
        _ => epoch_time(iso, a, 1)?,
    };
    let modified = match args::opt(a, 2) {
        Value::Nil => accessed,
        _ => epoch_time(iso, a, 2)?,
    };
    let work = move || {
        let times = std::fs::FileTimes::new()
            .set_accessed(accessed)
            .set_modified(modified);
        std::fs::File::open(&p)
            .and_then(|f| f.set_times(times))
            .map_err(|e| fail("cannot touch", &p, e))
    };
    run_blocking(iso, work, returning(Value::Nil))
}

fn readlink(iso: &mut Isolate, a: &[Value]) -> R {
    path_query(iso, a, "cannot read link", |p| std::fs::read_link(p))
}

/// Makes `new` a link to `old` (symbolic or hard); the call returns nil.
fn make_link(iso: &mut Isolate, a: &[Value], symbolic: bool) -> R {
    let (old, new) = (path_arg(iso, a, 0)?, path_arg(iso, a, 1)?);
    let work = move || {
        let r = if symbolic {
            std::os::unix::fs::symlink(&old, &new)
        } else {
            std::fs::hard_link(&old, &new)
        };
        r.map_err(|e| fail("cannot link", &format!("{} to {}", new, old), e))
    };
    run_blocking(iso, work, returning(Value::Nil))
}

fn symlink(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(2))?;
    make_link(iso, a, true)
}

fn link(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 2, Some(3))?;
    let symbolic = args::opt(a, 2).truthy();
    make_link(iso, a, symbolic)
}

fn which(iso: &mut Isolate, _: &[Value]) -> R {
    let os = match std::env::consts::OS {
        "macos" => "macos",
        "windows" => "windows",
        "freebsd" => "freebsd",
        "openbsd" => "openbsd",
        "netbsd" => "netbsd",
        "linux" => "linux",
        _ => "posix",
    };
    Ok(iso.heap.keyword(os))
}

fn arch(iso: &mut Isolate, _: &[Value]) -> R {
    let a = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "x86",
        "aarch64" => "aarch64",
        "arm" => "arm",
        "riscv64" => "riscv64",
        _ => "unknown",
    };
    Ok(iso.heap.keyword(a))
}

fn cpu_count(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(1))?;
    Ok(
        std::thread::available_parallelism()
            .map_or(args::opt(a, 0), |n| Value::Num(n.get() as f64)),
    )
}

fn sleep(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(1))?;
    let s = args::num(iso, a, 0)?;
    if s > 0.0 && s.is_finite() {
        std::thread::sleep(std::time::Duration::from_secs_f64(s));
    }
    Ok(Value::Nil)
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month 1-12, day 1-31) to days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date struct of Janet's `os/date` (every field 0-based but the year).
fn date_struct(iso: &mut Isolate, lt: &LocalTime) -> Value {
    let fields = [
        ("seconds", i64::from(lt.seconds)),
        ("minutes", i64::from(lt.minutes)),
        ("hours", i64::from(lt.hours)),
        ("month-day", i64::from(lt.month_day) - 1),
        ("month", i64::from(lt.month)),
        ("year", lt.year),
        ("week-day", i64::from(lt.week_day)),
        ("year-day", i64::from(lt.year_day)),
    ];
    let mut kv = Vec::new();
    for (k, v) in fields {
        kv.push(iso.heap.keyword(k));
        kv.push(Value::Num(v as f64));
    }
    kv.push(iso.heap.keyword("dst"));
    kv.push(Value::Bool(lt.dst == Some(true)));
    let t = crate::vm::ops::table_from_pairs(&iso.heap, &kv);
    iso.heap.strukt(t)
}

/// `t` as a UTC broken-down time (proleptic Gregorian).
fn utc_time(t: i64) -> LocalTime {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil(days);
    LocalTime {
        seconds: (secs % 60) as i32,
        minutes: (secs / 60 % 60) as i32,
        hours: (secs / 3600) as i32,
        month_day: d as i32,
        month: (m - 1) as i32,
        year: y,
        week_day: (days + 4).rem_euclid(7) as i32,
        year_day: (days - days_from_civil(y, 1, 1)) as i32,
        dst: Some(false),
        utc_offset: 0,
    }
}

fn date(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 0, Some(2))?;
    let t = match args::opt(a, 0) {
        Value::Nil => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        _ => args::num(iso, a, 0)?.floor() as i64,
    };
    let lt = if args::opt(a, 1).truthy() {
        match localtime::local_time(t) {
            Some(lt) => lt,
            None => return Err(iso.err(format!("os/date: time {} is out of range", t))),
        }
    } else {
        utc_time(t)
    };
    Ok(date_struct(iso, &lt))
}

fn mktime(iso: &mut Isolate, a: &[Value]) -> R {
    args::arity(iso, a, 1, Some(2))?;
    let d = a[0];
    if !matches!(d, Value::Struct(_) | Value::Table(_)) {
        return Err(iso.err("os/mktime: expected a date struct or table"));
    }
    let mut field = |name: &str| {
        let k = iso.heap.keyword(name);
        crate::vm::ops::get(&iso.heap, d, k)
    };
    let num = |v: Value| v.as_num().unwrap_or(0.0) as i64;
    let (y, mo, md) = (
        num(field("year")),
        num(field("month")),
        num(field("month-day")),
    );
    let (h, mi, s) = (
        num(field("hours")),
        num(field("minutes")),
        num(field("seconds")),
    );
    let dst = match field("dst") {
        Value::Nil => None,
        v => Some(v.truthy()),
    };
    if args::opt(a, 1).truthy() {
        let clamp = |x: i64| x.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        let lt = LocalTime {
            seconds: clamp(s),
            minutes: clamp(mi),
            hours: clamp(h),
            month_day: clamp(md + 1),
            month: clamp(mo),
            year: y,
            dst,
            ..LocalTime::default()
        };
        return match localtime::local_mktime(&lt) {
            Some(t) => Ok(Value::Num(t as f64)),
            None => Err(iso.err("os/mktime: date is out of range")),
        };
    }
    let y = y + mo.div_euclid(12);
    let mo = mo.rem_euclid(12);
    let days = days_from_civil(y, mo + 1, 1) + md;
    Ok(Value::Num((days * 86400 + h * 3600 + mi * 60 + s) as f64))
}

/// Registers the module.
pub fn register(env: &mut Env) {
    let defs: &[(&'static str, &'static str, NativeFn)] = &[
        ("os/getenv", "(os/getenv variable &opt dflt)\n\nThe value of an environment variable, or dflt.", getenv),
        ("os/setenv", "(os/setenv variable value)\n\nSets (or with nil value, removes) an environment variable.", setenv),
        ("os/environ", "(os/environ)\n\nA table of the whole environment.", environ),
        ("os/cwd", "(os/cwd)\n\nThe current working directory.", cwd),
        ("os/cd", "(os/cd path)\n\nChanges the current working directory.", cd),
        ("os/dir", "(os/dir dir)\n\nArray of the entry names in dir (sorted).", dir),
        ("os/stat", "(os/stat path &opt tab|key)\n\nInformation about path, following a final symlink (:mode :size :permissions :modified ...), or nil if it does not exist.", stat),
        ("os/lstat", "(os/lstat path &opt tab|key)\n\nLike os/stat without following a final symlink.", lstat),
        ("os/mkdir", "(os/mkdir path)\n\nCreates a directory; false if it already existed.", mkdir),
        ("os/rm", "(os/rm path)\n\nDeletes a file.", rm),
        ("os/rmdir", "(os/rmdir path)\n\nDeletes an empty directory.", rmdir),
        ("os/rename", "(os/rename old new)\n\nRenames a file or directory.", rename),
        ("os/realpath", "(os/realpath path)\n\nThe absolute path with links and . and .. resolved.", realpath),
        ("os/touch", "(os/touch path &opt actime modtime)\n\nSets the access and modification times of path (seconds since the epoch; default now, modtime defaults to actime).", touch),
        ("os/chmod", "(os/chmod path mode)\n\nChanges the permissions of path; mode is an integer such as 8r644 or a string such as \"rw-r--r--\".", chmod),
        ("os/perm-string", "(os/perm-string int)\n\nThe permission string (\"rwxr-xr-x\") of a permission integer.", perm_string_fn),
        ("os/perm-int", "(os/perm-int bytes)\n\nThe permission integer of a permission string (\"rwxr-xr-x\" is 8r755).", perm_int),
        ("os/readlink", "(os/readlink path)\n\nThe target of the symbolic link at path.", readlink),
        ("os/symlink", "(os/symlink oldpath newpath)\n\nCreates a symbolic link at newpath pointing to oldpath.", symlink),
        ("os/link", "(os/link oldpath newpath &opt symlink)\n\nCreates a hard link at newpath to oldpath (a symbolic link when symlink is truthy).", link),
        ("os/which", "(os/which)\n\nThe operating system as a keyword (:linux, :macos, ...).", which),
        ("os/arch", "(os/arch)\n\nThe CPU architecture as a keyword (:x64, :aarch64, ...).", arch),
        ("os/cpu-count", "(os/cpu-count &opt dflt)\n\nNumber of CPUs available.", cpu_count),
        ("os/sleep", "(os/sleep n)\n\nBlocks the thread for n seconds.", sleep),
        ("os/date", "(os/date &opt time local)\n\nA struct of the date of time (default now), in UTC, or in the local time zone (TZ, else /etc/localtime) when local is truthy: :seconds :minutes :hours :month-day (0-30) :month (0-11) :year :week-day (0-6) :year-day (0-365) :dst.", date),
        ("os/mktime", "(os/mktime date-struct &opt local)\n\nSeconds since the epoch of a date struct (the inverse of os/date), read as UTC, or as local time when local is truthy (then :dst, if present, says whether daylight saving time applies). Out-of-range fields carry over.", mktime),
    ];
    for (name, doc, f) in defs {
        env.native(name, doc, *f);
    }
}
