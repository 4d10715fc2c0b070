//! Peers and the discovery of a workload's implementations.
//!
//! A workload directory holds one file per implementation, named by peer:
//! `spindle.janet`, `lua.lua`, `luajit.lua`, `python.py`, `go.go`,
//! `erlang.erl`, and `NAME.cmd` for a Rust program of the perf crate (or the
//! `spindle` binary) with arguments. `luajit` reuses `lua.lua` when there is no
//! `luajit.lua`. Invariant: `discover` returns at most one implementation per
//! peer name, Spindle first, then the fixed peers, then `.cmd` peers by name.

use std::io;
use std::path::{Path, PathBuf};

/// How an implementation is turned into a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Janet file run by the `spindle` binary.
    Spindle,
    /// A script run by an interpreter found on PATH.
    Script(Interpreter),
    /// A Go file built once with `go build`.
    Go,
    /// An Erlang module compiled once with `erlc` and run by `erl`.
    Erlang,
    /// A `.cmd` file naming a binary of the perf crate (or `spindle`) and args.
    Cmd,
}

/// An interpreter and the flags it is always run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interpreter {
    pub program: &'static str,
    pub flags: &'static [&'static str],
    pub package: &'static str,
    /// Arguments that make the interpreter print its real executable path, so
    /// a version-manager shim (pyenv's is a bash script costing ~80 ms) is
    /// not timed; empty when the PATH entry is used as found.
    pub real_path_probe: &'static [&'static str],
}

pub const LUA: Interpreter = Interpreter {
    program: "lua5.4",
    flags: &[],
    package: "lua5.4",
    real_path_probe: &[],
};
pub const LUAJIT: Interpreter = Interpreter {
    program: "luajit",
    flags: &["-joff"],
    package: "luajit",
    real_path_probe: &[],
};
pub const PYTHON: Interpreter = Interpreter {
    program: "python3",
    flags: &[],
    package: "python3",
    real_path_probe: &["-c", "import sys; print(sys.executable)"],
};

/// The Debian package that provides the Go toolchain.
pub const GO_PACKAGE: &str = "golang-go";
/// The Debian package that provides `erl` and `erlc`.
pub const ERLANG_PACKAGE: &str = "erlang-nox";

/// One implementation of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implementation {
    /// The peer's name, as shown in the table.
    pub peer: String,
    pub kind: Kind,
    pub source: PathBuf,
}

/// The fixed peers: (file name, peer name, kind), in table order.
const FIXED: [(&str, &str, Kind); 5] = [
    ("lua.lua", "lua", Kind::Script(LUA)),
    ("luajit.lua", "luajit", Kind::Script(LUAJIT)),
    ("python.py", "python", Kind::Script(PYTHON)),
    ("go.go", "go", Kind::Go),
    ("erlang.erl", "erlang", Kind::Erlang),
];

/// Lists the implementations in a workload directory.
pub fn discover(dir: &Path) -> io::Result<Vec<Implementation>> {
    let mut cmds = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "cmd") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                cmds.push((stem.to_string(), path.clone()));
            }
        }
    }
    cmds.sort();

    let mut found = Vec::new();
    let janet = dir.join("spindle.janet");
    if janet.is_file() {
        found.push(implementation("spindle", Kind::Spindle, janet));
    } else if let Some((_, path)) = cmds.iter().find(|(name, _)| name == "spindle") {
        found.push(implementation("spindle", Kind::Cmd, path.clone()));
    }
    for (file, peer, kind) in FIXED {
        let mut source = dir.join(file);
        if peer == "luajit" && !source.is_file() {
            source = dir.join("lua.lua");
        }
        if source.is_file() {
            found.push(implementation(peer, kind, source));
        }
    }
    for (name, path) in cmds {
        if !found.iter().any(|i| i.peer == name) {
            found.push(implementation(&name, Kind::Cmd, path));
        }
    }
    Ok(found)
}

fn implementation(peer: &str, kind: Kind, source: PathBuf) -> Implementation {
    Implementation {
        peer: peer.to_string(),
        kind,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn workload(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            fs::write(dir.path().join(f), "x").unwrap();
        }
        dir
    }

    fn peers(dir: &Path) -> Vec<(String, Kind)> {
        discover(dir)
            .unwrap()
            .into_iter()
            .map(|i| (i.peer, i.kind))
            .collect()
    }

    #[test]
    fn finds_peers_in_table_order_and_ignores_other_files() {
        let dir = workload(&[
            "python.py",
            "zeta.cmd",
            "go.go",
            "expected.txt",
            "erlang.erl",
            "spindle.janet",
            "lua.lua",
            "tokio.cmd",
            "notes.md",
        ]);
        let names: Vec<String> = peers(dir.path()).into_iter().map(|p| p.0).collect();
        assert_eq!(
            names,
            ["spindle", "lua", "luajit", "python", "go", "erlang", "tokio", "zeta"]
        );
    }

    #[test]
    fn luajit_reuses_lua_file_unless_it_has_its_own() {
        let shared = workload(&["lua.lua"]);
        let found = discover(shared.path()).unwrap();
        assert_eq!(found[1].peer, "luajit");
        assert!(found[1].source.ends_with("lua.lua"));
        assert_eq!(found[1].kind, Kind::Script(LUAJIT));

        let own = workload(&["lua.lua", "luajit.lua"]);
        let found = discover(own.path()).unwrap();
        assert!(found[1].source.ends_with("luajit.lua"));
    }

    #[test]
    fn spindle_may_be_a_cmd() {
        let dir = workload(&["spindle.cmd", "tokio.cmd", "expected.txt"]);
        assert_eq!(
            peers(dir.path()),
            [
                ("spindle".to_string(), Kind::Cmd),
                ("tokio".to_string(), Kind::Cmd)
            ]
        );
    }

    #[test]
    fn janet_wins_over_a_spindle_cmd() {
        let dir = workload(&["spindle.cmd", "spindle.janet"]);
        assert_eq!(peers(dir.path()), [("spindle".to_string(), Kind::Spindle)]);
    }
}
