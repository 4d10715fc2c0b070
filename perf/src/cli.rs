//! Command-line options of the perf runner.
//!
//! Grammar: `spindle-perf [--quick] [--runs N] [--timeout SECS] [--no-build]
//! [WORKLOAD...]`. No workload names means every workload. `--quick` means one
//! timed run and no warm-up; an explicit `--runs` still sets the count.
//! Invariant: a parsed `Options` always has `runs >= 1` and a non-zero timeout.

use std::time::Duration;

/// Default number of timed runs per implementation.
pub const DEFAULT_RUNS: usize = 5;
/// Default limit for one run of one implementation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Timed runs per implementation.
    pub runs: usize,
    /// Whether one untimed warm-up run precedes the timed runs.
    pub warmup: bool,
    /// Per-run limit; a run past it is killed and reported as TIMEOUT.
    pub timeout: Duration,
    /// Skip `cargo build` of the `spindle` binary and the perf crate's bins.
    pub no_build: bool,
    /// Workload names; empty means all.
    pub workloads: Vec<String>,
}

/// Result of parsing the command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
}

/// The `--help` text.
pub const USAGE: &str = "\
usage: cargo run --release -p spindle-perf -- [OPTIONS] [WORKLOAD...]

Runs each workload in perf/workloads/ (all of them when none is named) in
Spindle and in every peer that has an implementation, and prints a Markdown
table that is also written to perf/results/.

options:
  --quick           one timed run, no warm-up
  --runs N          timed runs per implementation (default 5)
  --timeout SECS    limit for one run (default 120)
  --no-build        do not run cargo to build spindle and the perf bins
  -h, --help        this text
";

/// Parses the arguments after the program name.
pub fn parse<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = String>,
{
    let mut runs = None;
    let mut quick = false;
    let mut timeout = DEFAULT_TIMEOUT;
    let mut no_build = false;
    let mut workloads = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => quick = true,
            "--no-build" => no_build = true,
            "--runs" => {
                let n = number(args.next(), "--runs")?;
                if n == 0 {
                    return Err("--runs must be at least 1".into());
                }
                runs = Some(n as usize);
            }
            "--timeout" => {
                let secs = number(args.next(), "--timeout")?;
                if secs == 0 {
                    return Err("--timeout must be at least 1 second".into());
                }
                timeout = Duration::from_secs(secs);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            name => workloads.push(name.trim_end_matches('/').to_string()),
        }
    }
    Ok(Command::Run(Options {
        runs: runs.unwrap_or(if quick { 1 } else { DEFAULT_RUNS }),
        warmup: !quick,
        timeout,
        no_build,
        workloads,
    }))
}

fn number(value: Option<String>, flag: &str) -> Result<u64, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    value
        .parse()
        .map_err(|_| format!("{flag} needs a number, got `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_run_everything_five_times_with_warmup() {
        let Command::Run(o) = parse_strs(&[]).unwrap() else {
            panic!("expected Run")
        };
        assert_eq!(o.runs, DEFAULT_RUNS);
        assert!(o.warmup);
        assert!(o.workloads.is_empty());
        assert_eq!(o.timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn quick_means_one_run_without_warmup() {
        let Command::Run(o) = parse_strs(&["--quick", "fib", "sort/"]).unwrap() else {
            panic!("expected Run")
        };
        assert_eq!(o.runs, 1);
        assert!(!o.warmup);
        assert_eq!(o.workloads, vec!["fib".to_string(), "sort".to_string()]);
    }

    #[test]
    fn explicit_runs_and_timeout() {
        let Command::Run(o) = parse_strs(&["--runs", "3", "--timeout", "7", "--no-build"]).unwrap()
        else {
            panic!("expected Run")
        };
        assert_eq!(o.runs, 3);
        assert_eq!(o.timeout, Duration::from_secs(7));
        assert!(o.no_build);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse_strs(&["--runs"]).is_err());
        assert!(parse_strs(&["--runs", "x"]).is_err());
        assert!(parse_strs(&["--runs", "0"]).is_err());
        assert!(parse_strs(&["--frobnicate"]).is_err());
        assert_eq!(parse_strs(&["-h"]).unwrap(), Command::Help);
    }
}
