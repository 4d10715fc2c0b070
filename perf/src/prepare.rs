//! Turns an implementation into a ready command line, or explains why not.
//!
//! Interpreted peers need their interpreter on PATH; Go and Erlang sources are
//! compiled once by compile.rs; `.cmd` files name a binary of the perf crate,
//! or `spindle`.
//! Invariant: a missing interpreter or compiler is a `Skipped` (one-line note,
//! never a failure); a compile error or a missing binary is `Broken` (a row in
//! the table, so a gap is visible).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::child::Launch;
use crate::compile;
use crate::peer::{Implementation, Kind};

/// Where programs are found.
#[derive(Debug, Clone)]
pub struct Toolbox {
    /// The PATH used to find interpreters and compilers.
    pub path: Option<OsString>,
    /// The `spindle` binary, or why it is not there.
    pub spindle: Result<PathBuf, String>,
    /// The directory holding the perf crate's binaries.
    pub bin_dir: PathBuf,
}

/// The outcome of preparing one implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    Ready(Launch),
    /// The peer's tool is not installed: a note, no row.
    Skipped(String),
    /// Build failed or binary missing: a row with this status, plus a note.
    Broken {
        status: &'static str,
        note: String,
    },
}

/// Finds an executable by name on `path` (a PATH-style list).
pub fn find_in_path(name: &str, path: Option<&OsString>) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// Asks `program` for its real executable with `probe`; falls back to
/// `program` when there is no probe or the answer is not an executable file.
fn real_path(program: PathBuf, probe: &[&str]) -> PathBuf {
    if probe.is_empty() {
        return program;
    }
    let answer = Command::new(&program)
        .args(probe)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    match answer {
        Some(real) if real.is_absolute() && is_executable(&real) => real,
        _ => program,
    }
}

pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Prepares `imp`; `scratch` is a private directory for build products.
pub fn prepare(imp: &Implementation, tools: &Toolbox, scratch: &Path) -> Prepared {
    match imp.kind {
        Kind::Spindle => match &tools.spindle {
            Ok(bin) => Prepared::Ready(Launch::new([bin.as_os_str(), imp.source.as_os_str()])),
            Err(why) => not_built(format!("{}: not built: {why}", imp.peer)),
        },
        Kind::Script(interp) => match find_in_path(interp.program, tools.path.as_ref()) {
            Some(program) => {
                let program = real_path(program, interp.real_path_probe);
                let mut argv: Vec<OsString> = vec![program.into()];
                argv.extend(interp.flags.iter().map(OsString::from));
                argv.push(imp.source.clone().into());
                Prepared::Ready(Launch::new(argv))
            }
            None => skipped(&imp.peer, interp.program, interp.package),
        },
        Kind::Go => compile::go(imp, tools, scratch),
        Kind::Erlang => compile::erlang(imp, tools, scratch),
        Kind::Cmd => prepare_cmd(imp, tools),
    }
}

pub(crate) fn skipped(peer: &str, program: &str, package: &str) -> Prepared {
    Prepared::Skipped(format!(
        "skipped {peer}: `{program}` not found; apt-get install {package}"
    ))
}

fn not_built(note: String) -> Prepared {
    Prepared::Broken {
        status: "NOT BUILT",
        note,
    }
}

/// Parses a `.cmd` file: the first line that is neither blank nor a `#`
/// comment, split on whitespace; `{dir}` in an argument becomes `workload_dir`.
pub fn parse_cmd(text: &str, workload_dir: &Path) -> Option<Vec<String>> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let dir = workload_dir.to_string_lossy();
    Some(
        line.split_whitespace()
            .map(|w| w.replace("{dir}", &dir))
            .collect(),
    )
}

fn prepare_cmd(imp: &Implementation, tools: &Toolbox) -> Prepared {
    let dir = imp.source.parent().unwrap_or(Path::new("."));
    let words = std::fs::read_to_string(&imp.source)
        .ok()
        .and_then(|t| parse_cmd(&t, dir));
    let Some((bin, args)) = words.as_deref().and_then(|w| w.split_first()) else {
        return not_built(format!("{}: {} is empty", imp.peer, imp.source.display()));
    };
    let program = if bin == "spindle" {
        match &tools.spindle {
            Ok(p) => p.clone(),
            Err(why) => return not_built(format!("{}: spindle not built: {why}", imp.peer)),
        }
    } else {
        let p = tools.bin_dir.join(bin);
        if !is_executable(&p) {
            return not_built(format!(
                "{}: binary `{bin}` not found in {} (is there a perf/src/bin/{bin}.rs?)",
                imp.peer,
                tools.bin_dir.display()
            ));
        }
        p
    };
    let mut launch = Launch::new([program]);
    launch.argv.extend(args.iter().map(OsString::from));
    Prepared::Ready(launch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::{LUA, PYTHON};
    use std::os::unix::fs::PermissionsExt;

    fn toolbox(path: &Path, bin_dir: &Path) -> Toolbox {
        Toolbox {
            path: Some(path.as_os_str().to_owned()),
            spindle: Err("spindle: not built (test)".into()),
            bin_dir: bin_dir.to_path_buf(),
        }
    }

    fn executable(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn script_imp(peer: &str, kind: Kind) -> Implementation {
        Implementation {
            peer: peer.into(),
            kind,
            source: PathBuf::from("/w/x"),
        }
    }

    #[test]
    fn a_missing_interpreter_is_skipped_with_an_install_hint() {
        let bin = tempfile::tempdir().unwrap();
        executable(bin.path(), "python3");
        let tools = toolbox(bin.path(), bin.path());
        let scratch = tempfile::tempdir().unwrap();

        let lua = prepare(
            &script_imp("lua", Kind::Script(LUA)),
            &tools,
            scratch.path(),
        );
        assert_eq!(
            lua,
            Prepared::Skipped("skipped lua: `lua5.4` not found; apt-get install lua5.4".into())
        );
        let go = prepare(&script_imp("go", Kind::Go), &tools, scratch.path());
        assert!(matches!(go, Prepared::Skipped(ref s) if s.contains("apt-get install golang-go")));
        let erl = prepare(&script_imp("erlang", Kind::Erlang), &tools, scratch.path());
        assert!(matches!(erl, Prepared::Skipped(ref s) if s.contains("erlang-nox")));

        let py = prepare(
            &script_imp("python", Kind::Script(PYTHON)),
            &tools,
            scratch.path(),
        );
        let Prepared::Ready(launch) = py else {
            panic!("python3 is on the test PATH: {py:?}")
        };
        assert_eq!(launch.argv[0], bin.path().join("python3").into_os_string());
        assert_eq!(launch.argv[1], OsString::from("/w/x"));
    }

    #[test]
    fn a_shim_is_replaced_by_the_real_interpreter_it_names() {
        let bin = tempfile::tempdir().unwrap();
        let real = executable(bin.path(), "python3.real");
        let shim = bin.path().join("python3");
        let script = format!("#!/bin/sh\necho {}\n", real.display());
        std::fs::write(&shim, script).unwrap();
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        let tools = toolbox(bin.path(), bin.path());
        let got = prepare(
            &script_imp("python", Kind::Script(PYTHON)),
            &tools,
            bin.path(),
        );
        let Prepared::Ready(launch) = got else {
            panic!("python3 is on the test PATH: {got:?}")
        };
        assert_eq!(launch.argv[0], real.into_os_string());
        // Without a probe the PATH entry is used as found.
        assert_eq!(real_path(shim.clone(), &[]), shim);
    }

    #[test]
    fn non_executable_files_do_not_count() {
        let bin = tempfile::tempdir().unwrap();
        std::fs::write(bin.path().join("lua5.4"), "").unwrap();
        assert_eq!(
            find_in_path("lua5.4", Some(&bin.path().as_os_str().to_owned())),
            None
        );
        assert_eq!(find_in_path("lua5.4", None), None);
    }

    #[test]
    fn missing_spindle_is_not_built() {
        let bin = tempfile::tempdir().unwrap();
        let tools = toolbox(bin.path(), bin.path());
        let got = prepare(&script_imp("spindle", Kind::Spindle), &tools, bin.path());
        assert!(matches!(
            got,
            Prepared::Broken {
                status: "NOT BUILT",
                ..
            }
        ));
    }

    #[test]
    fn cmd_files_resolve_perf_binaries() {
        let work = tempfile::tempdir().unwrap();
        let bins = tempfile::tempdir().unwrap();
        executable(bins.path(), "echo_tokio");
        let cmd = work.path().join("tokio.cmd");
        std::fs::write(
            &cmd,
            "# the tokio peer\n\necho_tokio --conns 64 --data {dir}/x\n",
        )
        .unwrap();
        let tools = toolbox(bins.path(), bins.path());
        let imp = Implementation {
            peer: "tokio".into(),
            kind: Kind::Cmd,
            source: cmd.clone(),
        };
        let Prepared::Ready(launch) = prepare(&imp, &tools, work.path()) else {
            panic!("echo_tokio exists")
        };
        let data = format!("{}/x", work.path().display());
        let expected: Vec<OsString> = vec![
            bins.path().join("echo_tokio").into(),
            "--conns".into(),
            "64".into(),
            "--data".into(),
            data.into(),
        ];
        assert_eq!(launch.argv, expected);

        std::fs::write(&cmd, "echo_missing\n").unwrap();
        let got = prepare(&imp, &tools, work.path());
        assert!(
            matches!(got, Prepared::Broken { status: "NOT BUILT", ref note } if note.contains("echo_missing"))
        );
    }
}
