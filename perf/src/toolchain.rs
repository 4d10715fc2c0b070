//! Building what the runner measures with cargo: the `spindle` binary and the
//! perf crate's own binaries (Rust peers such as `echo_tokio`).
//!
//! The runner builds with the same profile and target directory it was built
//! with itself (it lives in `<target>/<profile>/`, and cargo passes
//! `CARGO_TARGET_DIR` through), so `cargo run --release -p spindle-perf`
//! measures release builds. Invariant: a failed build never stops the run; it
//! becomes a `NOT BUILT` row with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::prepare::Toolbox;

/// The workspace root (the parent of the perf crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// The perf crate's directory.
pub fn perf_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding this runner's binary, hence its sibling binaries.
pub fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| workspace_root().join("target").join("release"))
}

/// Whether the runner itself is an optimised build (`<target>/release/`).
pub fn is_release() -> bool {
    bin_dir().file_name().is_some_and(|n| n == "release")
}

/// Builds what is needed (unless `no_build`) and says where everything is.
pub fn toolbox(no_build: bool, need_perf_bins: bool) -> Toolbox {
    let bin_dir = bin_dir();
    let spindle_bin = bin_dir.join("spindle");
    let built = if no_build {
        Ok(())
    } else {
        cargo_build(&["-p", "spindle-lang", "--bin", "spindle"])
    };
    let spindle = match built {
        Ok(()) if spindle_bin.is_file() => Ok(spindle_bin),
        Ok(()) => Err(format!("no binary at {}", spindle_bin.display())),
        Err(why) => Err(why),
    };
    if need_perf_bins && !no_build {
        if let Err(why) = cargo_build(&["-p", "spindle-perf", "--bins"]) {
            eprintln!("spindle-perf: building the perf binaries failed: {why}");
        }
    }
    Toolbox {
        path: std::env::var_os("PATH"),
        spindle,
        bin_dir,
    }
}

/// Runs `cargo build` for the runner's profile; its output goes to stderr.
fn cargo_build(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = workspace_root().join("Cargo.toml");
    let mut command = Command::new(cargo);
    command.arg("build").arg("--manifest-path").arg(&manifest);
    if is_release() {
        command.arg("--release");
    }
    command.args(args);
    let shown = format!("cargo build{} {}", release_flag(), args.join(" "));
    eprintln!("spindle-perf: {shown}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("`{shown}` failed ({status}); see its output above")),
        Err(e) => Err(format!("`{shown}` could not start: {e}")),
    }
}

fn release_flag() -> &'static str {
    if is_release() {
        " --release"
    } else {
        ""
    }
}
