//! Running one workload: prepare each implementation, warm it up, time it,
//! check every run's output, and summarise into table rows.
//!
//! Per implementation: prepare (skip or report a build problem), then one
//! untimed warm-up run unless `--quick`, then `runs` timed runs. Every run,
//! the warm-up included, is judged against `expected.txt`; the first run that
//! is not `ok` ends that implementation and its status is reported instead of
//! times. Invariant: nothing here panics or aborts the whole run on a peer's
//! failure; every problem becomes a row status or a note.

use std::path::Path;

use crate::child::{self, Launch, Sample};
use crate::cli::Options;
use crate::peer;
use crate::prepare::{prepare, Prepared, Toolbox};
use crate::stats;
use crate::table::{format_duration, Outcome, Row, WorkloadReport};
use crate::verdict::{judge, Verdict};

/// Runs every implementation of the workload in `dir`.
pub fn run_workload(
    name: &str,
    dir: &Path,
    tools: &Toolbox,
    options: &Options,
    scratch: &Path,
) -> WorkloadReport {
    let mut report = WorkloadReport {
        name: name.to_string(),
        ..Default::default()
    };
    let expected = match std::fs::read_to_string(dir.join("expected.txt")) {
        Ok(text) => text,
        Err(e) => {
            report
                .notes
                .push(format!("no expected.txt ({e}); workload not run"));
            return report;
        }
    };
    let implementations = match peer::discover(dir) {
        Ok(found) => found,
        Err(e) => {
            report
                .notes
                .push(format!("cannot list {}: {e}", dir.display()));
            return report;
        }
    };
    let scratch = scratch.join(name);
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        report.notes.push(format!("cannot create scratch dir: {e}"));
        return report;
    }
    for imp in implementations {
        eprint!("{name}: {} ... ", imp.peer);
        let launch = match prepare(&imp, tools, &scratch) {
            Prepared::Ready(launch) => launch,
            Prepared::Skipped(note) => {
                eprintln!("skipped");
                report.notes.push(note);
                continue;
            }
            Prepared::Broken { status, note } => {
                eprintln!("{status}");
                report.rows.push(untimed(&imp.peer, status));
                report.notes.push(note);
                continue;
            }
        };
        let (outcome, note) = measure(&launch, options, &expected, &scratch);
        match &outcome {
            Outcome::Timed { median, .. } => eprintln!("{}", format_duration(*median)),
            Outcome::Untimed(status) => eprintln!("{status}"),
        }
        report.rows.push(Row {
            peer: imp.peer.clone(),
            outcome,
        });
        if let Some(note) = note {
            report.notes.push(format!("{}: {note}", imp.peer));
        }
    }
    report
}

fn untimed(peer: &str, status: &'static str) -> Row {
    Row {
        peer: peer.to_string(),
        outcome: Outcome::Untimed(status),
    }
}

/// Warm-up plus timed runs of one prepared implementation.
fn measure(
    launch: &Launch,
    options: &Options,
    expected: &str,
    scratch: &Path,
) -> (Outcome, Option<String>) {
    let total = options.runs + usize::from(options.warmup);
    let mut samples: Vec<Sample> = Vec::with_capacity(options.runs);
    for i in 0..total {
        match run_and_judge(launch, options, expected, scratch) {
            Ok((sample, Verdict::Ok)) => {
                let is_warmup = options.warmup && i == 0;
                if !is_warmup {
                    samples.push(sample);
                }
            }
            Ok((_, verdict)) => {
                let note = verdict.detail().map(str::to_string);
                return (Outcome::Untimed(verdict.status()), note);
            }
            Err(e) => {
                return (
                    Outcome::Untimed("FAILED"),
                    Some(format!("could not run: {e}")),
                )
            }
        }
    }
    let walls: Vec<_> = samples.iter().map(|s| s.wall).collect();
    match (stats::median(&walls), stats::min(&walls)) {
        (Some(median), Some(min)) => (
            Outcome::Timed {
                median,
                min,
                max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
            },
            None,
        ),
        _ => (Outcome::Untimed("FAILED"), Some("no timed runs".into())),
    }
}

fn run_and_judge(
    launch: &Launch,
    options: &Options,
    expected: &str,
    scratch: &Path,
) -> std::io::Result<(Sample, Verdict)> {
    let out = scratch.join("stdout");
    let err = scratch.join("stderr");
    let sample = child::run(launch, scratch, &out, &err, options.timeout)?;
    let stdout = std::fs::read(&out)?;
    let stderr = std::fs::read(&err)?;
    let verdict = judge(sample.exit, &stdout, &stderr, expected);
    Ok((sample, verdict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;
    use std::time::Duration;

    fn options() -> Options {
        Options {
            runs: 3,
            warmup: true,
            timeout: Duration::from_secs(30),
            no_build: true,
            workloads: vec![],
        }
    }

    /// A fake `python3` (a shell script) runs the workload's "python" file.
    fn fake_tools(bin: &Path) -> Toolbox {
        let p = bin.join("python3");
        std::fs::write(&p, "#!/bin/sh\nexec /bin/sh \"$1\"\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        Toolbox {
            path: Some(bin.as_os_str().to_owned()),
            spindle: Err("not built in tests".into()),
            bin_dir: PathBuf::from("/nonexistent"),
        }
    }

    fn workload(script: &str, expected: &str, extra: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("python.py"), script).unwrap();
        std::fs::write(dir.path().join("expected.txt"), expected).unwrap();
        for f in extra {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        dir
    }

    fn run(script: &str, expected: &str, extra: &[&str]) -> WorkloadReport {
        let bin = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let dir = workload(script, expected, extra);
        run_workload(
            "w",
            dir.path(),
            &fake_tools(bin.path()),
            &options(),
            scratch.path(),
        )
    }

    #[test]
    fn a_correct_peer_is_timed_and_missing_peers_are_noted() {
        let report = run("echo 42\n", "42\n", &["lua.lua", "spindle.janet"]);
        let peers: Vec<_> = report.rows.iter().map(|r| r.peer.as_str()).collect();
        assert_eq!(peers, ["spindle", "python"]);
        assert_eq!(report.rows[0].outcome, Outcome::Untimed("NOT BUILT"));
        assert!(matches!(report.rows[1].outcome, Outcome::Timed { .. }));
        // lua and luajit are not on the fake PATH: skipped, not failed.
        let skips = report
            .notes
            .iter()
            .filter(|n| n.starts_with("skipped "))
            .count();
        assert_eq!(skips, 2, "{:?}", report.notes);
    }

    #[test]
    fn a_wrong_answer_is_reported_not_timed() {
        let report = run("echo 41\n", "42\n", &[]);
        assert_eq!(report.rows[0].outcome, Outcome::Untimed("WRONG"));
        assert!(
            report.notes[0].contains("expected `42`, got `41`"),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_crash_is_failed_with_its_stderr() {
        let report = run("echo boom >&2; exit 2\n", "42\n", &[]);
        assert_eq!(report.rows[0].outcome, Outcome::Untimed("FAILED"));
        assert!(report.notes[0].contains("boom"), "{:?}", report.notes);
    }

    #[test]
    fn a_workload_without_expected_output_is_not_run() {
        let bin = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let tools = fake_tools(bin.path());
        let report = run_workload("w", dir.path(), &tools, &options(), scratch.path());
        assert!(report.rows.is_empty());
        assert!(report.notes[0].contains("expected.txt"));
    }
}
