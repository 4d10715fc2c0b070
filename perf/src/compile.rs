//! Compiling the Go and Erlang peers once per workload, before timing.
//!
//! Go: `go build -o <scratch>/<peer>-go go.go`, then the binary runs alone.
//! Erlang: erlc insists that a file's name matches its module, so `erlang.erl`
//! is copied to `<scratch>/erlang/<MODULE>.erl` (MODULE from its `-module`
//! line) and compiled there; it runs as `erl -noshell +P 2000000 -pa DIR -s
//! MODULE main -s erlang halt` (`init:stop` would add about a second of
//! orderly shutdown). Invariant: compile time is never measured, and a missing
//! compiler is a skip while a compile error is a `BUILD FAILED` row.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use crate::child::Launch;
use crate::peer::{Implementation, ERLANG_PACKAGE, GO_PACKAGE};
use crate::prepare::{find_in_path, skipped, Prepared, Toolbox};

fn io_failure(peer: &str, e: std::io::Error) -> Prepared {
    Prepared::Broken {
        status: "BUILD FAILED",
        note: format!("{peer}: build failed: {e}"),
    }
}

/// `None` if the compiler succeeded, else the `Broken` to report.
fn build_failed(peer: &str, output: std::io::Result<std::process::Output>) -> Option<Prepared> {
    let out = match output {
        Ok(out) if out.status.success() => return None,
        Ok(out) => out,
        Err(e) => return Some(io_failure(peer, e)),
    };
    let text = String::from_utf8_lossy(&out.stderr);
    // `go build` opens with a `# package` line; the message comes after it.
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    Some(Prepared::Broken {
        status: "BUILD FAILED",
        note: format!("{peer}: build failed: {} ({first})", out.status),
    })
}

pub fn go(imp: &Implementation, tools: &Toolbox, scratch: &Path) -> Prepared {
    let Some(go) = find_in_path("go", tools.path.as_ref()) else {
        return skipped(&imp.peer, "go", GO_PACKAGE);
    };
    let binary = scratch.join(format!("{}-go", imp.peer));
    let output = Command::new(go)
        .arg("build")
        .arg("-o")
        .arg(&binary)
        .arg(&imp.source)
        .current_dir(scratch)
        .output();
    match build_failed(&imp.peer, output) {
        Some(broken) => broken,
        None => Prepared::Ready(Launch::new([binary])),
    }
}

/// The module name declared by `-module(NAME).` in Erlang source.
pub fn erlang_module(source: &str) -> Option<&str> {
    source.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("-module(")?;
        let name = rest.split(')').next()?.trim();
        (!name.is_empty()).then_some(name)
    })
}

pub fn erlang(imp: &Implementation, tools: &Toolbox, scratch: &Path) -> Prepared {
    let (Some(erlc), Some(erl)) = (
        find_in_path("erlc", tools.path.as_ref()),
        find_in_path("erl", tools.path.as_ref()),
    ) else {
        return skipped(&imp.peer, "erl", ERLANG_PACKAGE);
    };
    let text = match std::fs::read_to_string(&imp.source) {
        Ok(text) => text,
        Err(e) => return io_failure(&imp.peer, e),
    };
    let Some(module) = erlang_module(&text) else {
        return Prepared::Broken {
            status: "BUILD FAILED",
            note: format!("{}: no `-module(NAME).` line", imp.peer),
        };
    };
    // erlc insists that the file name matches the module name.
    let dir = scratch.join("erlang");
    let copy = dir.join(format!("{module}.erl"));
    let copied = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&copy, &text));
    if let Err(e) = copied {
        return io_failure(&imp.peer, e);
    }
    let output = Command::new(erlc)
        .arg("-o")
        .arg(&dir)
        .arg(&copy)
        .current_dir(&dir)
        .output();
    if let Some(broken) = build_failed(&imp.peer, output) {
        return broken;
    }
    let mut launch = Launch::new([erl.into_os_string()]);
    launch.argv.extend(
        ["-noshell", "+P", "2000000", "-pa"]
            .into_iter()
            .map(OsString::from),
    );
    launch.argv.push(dir.into_os_string());
    launch
        .argv
        .extend(["-s", module, "main", "-s", "erlang", "halt"].map(OsString::from));
    // A crashing module must not leave erl_crash.dump files around.
    launch
        .env
        .push(("ERL_CRASH_DUMP_SECONDS".into(), "0".into()));
    Prepared::Ready(launch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_module_name_is_read_from_source() {
        let src = "%% comment\n-module(perf_fib).\n-export([main/0]).\n";
        assert_eq!(erlang_module(src), Some("perf_fib"));
        assert_eq!(erlang_module("main() -> ok.\n"), None);
    }

    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    use crate::peer::Kind;

    /// A PATH holding fake tools (shell scripts) with the given bodies.
    fn fake_path(tools: &[(&str, &str)]) -> (tempfile::TempDir, Toolbox) {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in tools {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let toolbox = Toolbox {
            path: Some(dir.path().as_os_str().to_owned()),
            spindle: Err("not built in tests".into()),
            bin_dir: PathBuf::from("/nonexistent"),
        };
        (dir, toolbox)
    }

    fn source(dir: &Path, name: &str, text: &str, kind: Kind) -> Implementation {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Implementation {
            peer: name.split('.').next().unwrap().to_string(),
            kind,
            source: path,
        }
    }

    #[test]
    fn a_go_compile_error_is_build_failed_with_the_message() {
        let (dir, tools) = fake_path(&[(
            "go",
            "echo '# command-line-arguments' >&2; echo 'x.go:3: syntax error' >&2; exit 1",
        )]);
        let imp = source(dir.path(), "go.go", "package main", Kind::Go);
        let got = go(&imp, &tools, dir.path());
        let Prepared::Broken { status, note } = got else {
            panic!("expected Broken, got {got:?}")
        };
        assert_eq!(status, "BUILD FAILED");
        assert!(note.contains("x.go:3: syntax error"), "{note}");
    }

    #[test]
    fn erlang_is_compiled_under_its_module_name_and_run_with_halt() {
        // The fake erlc records its last argument (the file it was given).
        let (dir, tools) = fake_path(&[
            (
                "erlc",
                "for a; do last=$a; done; echo \"$last\" > \"$(dirname \"$0\")/erlc.arg\"",
            ),
            ("erl", "exit 0"),
        ]);
        let imp = source(
            dir.path(),
            "erlang.erl",
            "-module(perf_x).\n-export([main/0]).\nmain() -> ok.\n",
            Kind::Erlang,
        );
        let scratch = tempfile::tempdir().unwrap();
        let got = erlang(&imp, &tools, scratch.path());
        let Prepared::Ready(launch) = got else {
            panic!("expected Ready, got {got:?}")
        };
        let copy = scratch.path().join("erlang").join("perf_x.erl");
        let compiled = std::fs::read_to_string(dir.path().join("erlc.arg")).unwrap();
        assert_eq!(compiled.trim(), copy.to_str().unwrap());
        let argv: Vec<String> = launch
            .argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(argv[1..4], ["-noshell", "+P", "2000000"]);
        assert_eq!(
            argv[argv.len() - 6..],
            ["-s", "perf_x", "main", "-s", "erlang", "halt"]
        );
    }

    #[test]
    fn erlang_without_a_module_line_is_build_failed() {
        let (dir, tools) = fake_path(&[("erlc", "exit 0"), ("erl", "exit 0")]);
        let imp = source(dir.path(), "erlang.erl", "main() -> ok.\n", Kind::Erlang);
        let got = erlang(&imp, &tools, dir.path());
        assert!(
            matches!(
                got,
                Prepared::Broken {
                    status: "BUILD FAILED",
                    ..
                }
            ),
            "{got:?}"
        );
    }
}
