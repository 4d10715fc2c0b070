//! `spindle-perf`: runs the workloads in perf/workloads/ in Spindle and in its
//! peers, and tabulates median wall time, peak RSS and the ratio to Spindle.
//!
//! Flow: parse options, resolve workload names, build `spindle` (and the
//! perf binaries if a workload has `.cmd` peers), print the header, run each
//! workload (bench.rs), printing each table as it is done, and finally write
//! the whole report to perf/results/.
//! Invariant: a missing or failing peer never makes the runner fail; only
//! bad arguments, an unknown workload or an unwritable results dir do.

mod bench;
mod child;
mod cli;
mod compile;
mod machine;
mod peer;
mod prepare;
mod results;
mod stats;
mod table;
mod toolchain;
mod verdict;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cli::Command;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("spindle-perf: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let workloads_dir = toolchain::perf_dir().join("workloads");
    let workloads = match select(&workloads_dir, &options.workloads) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("spindle-perf: {e}");
            return ExitCode::from(2);
        }
    };
    let scratch = match tempfile::Builder::new().prefix("spindle-perf-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("spindle-perf: cannot create a scratch directory: {e}");
            return ExitCode::FAILURE;
        }
    };

    let need_bins = workloads.iter().any(|(_, dir)| has_cmd_peer(dir));
    let tools = toolchain::toolbox(options.no_build, need_bins);
    if let Err(why) = &tools.spindle {
        eprintln!("spindle-perf: spindle is not available: {why}; running the peers only");
    }
    if !toolchain::is_release() {
        eprintln!("spindle-perf: note: this is not a release build; use `cargo run --release`");
    }

    let now = results::Utc::now();
    let mut text = machine::header(&now.display(), &options, &tools, scratch.path());
    print!("{text}");
    for (name, dir) in &workloads {
        let report = bench::run_workload(name, dir, &tools, &options, scratch.path());
        let section = format!("\n{}", table::render(&report));
        // Each table is printed as soon as its workload is done.
        print!("{section}");
        let _ = std::io::stdout().flush();
        text.push_str(&section);
    }

    match results::write(
        &toolchain::perf_dir().join("results"),
        &now.file_stem(),
        &text,
    ) {
        Ok(path) => {
            eprintln!("spindle-perf: wrote {} and latest.md", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("spindle-perf: cannot write results: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The named workloads (all, sorted, when none are named) with their dirs.
fn select(root: &Path, names: &[String]) -> Result<Vec<(String, PathBuf)>, String> {
    let mut all: Vec<String> = std::fs::read_dir(root)
        .map_err(|e| format!("cannot read {}: {e}", root.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    all.sort();
    let chosen = if names.is_empty() {
        all
    } else {
        for name in names {
            if !all.contains(name) {
                return Err(format!(
                    "unknown workload `{name}` (known: {})",
                    all.join(", ")
                ));
            }
        }
        names.to_vec()
    };
    Ok(chosen
        .into_iter()
        .map(|n| {
            let dir = root.join(&n);
            (n, dir)
        })
        .collect())
}

fn has_cmd_peer(dir: &Path) -> bool {
    peer::discover(dir)
        .map(|found| found.iter().any(|i| i.kind == peer::Kind::Cmd))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_checks_names_and_defaults_to_all_sorted() {
        let root = tempfile::tempdir().unwrap();
        for w in ["sort", "fib", "startup"] {
            std::fs::create_dir(root.path().join(w)).unwrap();
        }
        std::fs::write(root.path().join("README"), "").unwrap();
        let all: Vec<_> = select(root.path(), &[])
            .unwrap()
            .into_iter()
            .map(|w| w.0)
            .collect();
        assert_eq!(all, ["fib", "sort", "startup"]);
        let some = select(root.path(), &["startup".into()]).unwrap();
        assert_eq!(some, [("startup".to_string(), root.path().join("startup"))]);
        let err = select(root.path(), &["nope".into()]).unwrap_err();
        assert!(err.contains("unknown workload `nope`"), "{err}");
    }
}
