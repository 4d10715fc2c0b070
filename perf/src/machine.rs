//! The report header: when, on what machine, with which peer versions.
//!
//! Invariant: collecting the header never fails; anything that cannot be
//! found is shown as `unknown` or `not installed`, and every version probe
//! runs under a short timeout so a broken tool cannot hang the report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::child::{self, Exit, Launch};
use crate::cli::Options;
use crate::prepare::{find_in_path, Toolbox};
use crate::table::format_rss;

const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// Version probes: (label, program, args).
const PROBES: [(&str, &str, &[&str]); 6] = [
    ("lua", "lua5.4", &["-v"]),
    ("luajit", "luajit", &["-v"]),
    ("python", "python3", &["--version"]),
    ("go", "go", &["version"]),
    (
        "erlang",
        "erl",
        &[
            "-noshell",
            "-eval",
            "io:format(\"OTP ~s, erts ~s~n\", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().",
        ],
    ),
    ("rustc", "rustc", &["--version"]),
];

/// Builds the Markdown header for a results file.
pub fn header(stamp: &str, options: &Options, tools: &Toolbox, scratch: &Path) -> String {
    let mut out = String::new();
    out.push_str("# Spindle perf results\n\n");
    out.push_str(&format!("- date: {stamp}\n"));
    out.push_str(&format!(
        "- machine: {} CPUs ({}), kernel {}, load average {}\n",
        nproc(),
        cpu_model(),
        first_line_of("/proc/sys/kernel/osrelease"),
        first_line_of("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    ));
    let runs = if options.warmup {
        format!("{} timed runs after 1 warm-up", options.runs)
    } else {
        format!("{} timed run(s), no warm-up (--quick)", options.runs)
    };
    out.push_str(&format!(
        "- method: {runs}; timeout {} s per run; wall time of the child process; \
         ratio = peer median / spindle median\n",
        options.timeout.as_secs()
    ));
    if let Some(floor) = rss_floor(scratch) {
        out.push_str(&format!(
            "- peak RSS floor (`/bin/true` under this runner): {} (see perf/README.md)\n",
            format_rss(floor)
        ));
    }
    out.push_str("- versions:\n");
    let spindle = match &tools.spindle {
        Ok(bin) => probe(bin, &["--version"], scratch),
        Err(why) => format!("not built ({why})"),
    };
    out.push_str(&format!("  - spindle: {spindle}\n"));
    for (label, program, args) in PROBES {
        let version = match find_in_path(program, tools.path.as_ref()) {
            Some(bin) => probe(&bin, args, scratch),
            None => "not installed".to_string(),
        };
        out.push_str(&format!("  - {label}: {version}\n"));
    }
    out
}

fn nproc() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn first_line_of(path: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Runs `bin args` and returns the first non-empty line it printed.
fn probe(bin: &Path, args: &[&str], scratch: &Path) -> String {
    let mut argv = vec![bin.as_os_str().to_owned()];
    argv.extend(args.iter().map(Into::into));
    let (out, err) = (scratch.join("probe.out"), scratch.join("probe.err"));
    let sample = child::run(&Launch::new(argv), scratch, &out, &err, PROBE_TIMEOUT);
    let text = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let line = [text(&out), text(&err)].into_iter().find_map(|t| {
        t.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
    });
    match (sample, line) {
        (Ok(s), Some(line)) if s.exit == Exit::Code(0) => line,
        (Ok(s), _) if s.exit == Exit::Code(0) => "unknown (no output)".to_string(),
        (Ok(s), _) => format!("unknown ({:?})", s.exit),
        (Err(e), _) => format!("unknown ({e})"),
    }
}

/// The peak RSS the kernel reports for a trivial child of this runner.
fn rss_floor(scratch: &Path) -> Option<u64> {
    let (out, err) = (scratch.join("floor.out"), scratch.join("floor.err"));
    child::run(
        &Launch::new(["/bin/true"]),
        scratch,
        &out,
        &err,
        PROBE_TIMEOUT,
    )
    .ok()
    .map(|s| s.max_rss_kib)
}
