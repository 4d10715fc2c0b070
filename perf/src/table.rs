//! The Markdown table for one workload, and the number formats it uses.
//!
//! Columns: peer, median wall time, min, peak RSS, ratio, status. The ratio is
//! the peer's median over Spindle's median in the same run (so > 1 means the
//! peer is slower than Spindle). Invariant: a row that was not timed shows
//! `-` in every number column, and when Spindle itself was not timed every
//! ratio is `-`.

use std::fmt::Write;
use std::time::Duration;

/// The name of the peer every ratio is relative to.
pub const BASELINE: &str = "spindle";

/// What one implementation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Timed {
        median: Duration,
        min: Duration,
        max_rss_kib: u64,
    },
    /// Not timed; the string is the status word (WRONG, FAILED, ...).
    Untimed(&'static str),
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub peer: String,
    pub outcome: Outcome,
}

/// Everything printed for one workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadReport {
    pub name: String,
    pub rows: Vec<Row>,
    /// One-line notes printed under the table (skips, failure details).
    pub notes: Vec<String>,
}

/// Renders the workload as a Markdown section.
pub fn render(report: &WorkloadReport) -> String {
    let baseline = report.rows.iter().find_map(|r| match r.outcome {
        Outcome::Timed { median, .. } if r.peer == BASELINE => Some(median),
        _ => None,
    });
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", report.name);
    if report.rows.is_empty() {
        out.push_str("(no implementation could run)\n");
    } else {
        out.push_str("| peer | median | min | peak RSS | ratio | status |\n");
        out.push_str("|---|---:|---:|---:|---:|---|\n");
        for row in &report.rows {
            let cells = match row.outcome {
                Outcome::Timed {
                    median,
                    min,
                    max_rss_kib,
                } => [
                    format_duration(median),
                    format_duration(min),
                    format_rss(max_rss_kib),
                    format_ratio(median, baseline),
                    "ok".to_string(),
                ],
                Outcome::Untimed(status) => [
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    status.to_string(),
                ],
            };
            let _ = writeln!(out, "| {} | {} |", row.peer, cells.join(" | "));
        }
    }
    if !report.notes.is_empty() {
        out.push('\n');
        for note in &report.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

/// `12.3 ms` below one second, `1.234 s` above.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 0.01 {
        format!("{:.2} ms", secs * 1e3)
    } else if secs < 1.0 {
        format!("{:.1} ms", secs * 1e3)
    } else {
        format!("{secs:.3} s")
    }
}

/// Kibibytes shown as MiB with one decimal.
pub fn format_rss(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Peer time over Spindle time, two decimals, or `-` without a baseline.
pub fn format_ratio(peer: Duration, baseline: Option<Duration>) -> String {
    match baseline {
        Some(b) if !b.is_zero() => format!("{:.2}", peer.as_secs_f64() / b.as_secs_f64()),
        _ => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(peer: &str, median_ms: u64, rss_kib: u64) -> Row {
        Row {
            peer: peer.into(),
            outcome: Outcome::Timed {
                median: Duration::from_millis(median_ms),
                min: Duration::from_millis(median_ms - 1),
                max_rss_kib: rss_kib,
            },
        }
    }

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(format_duration(Duration::from_micros(1500)), "1.50 ms");
        assert_eq!(format_duration(Duration::from_micros(270_040)), "270.0 ms");
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.234 s");
        assert_eq!(format_rss(2048), "2.0 MiB");
        assert_eq!(format_rss(1536), "1.5 MiB");
        let s = Duration::from_millis(200);
        assert_eq!(format_ratio(Duration::from_millis(500), Some(s)), "2.50");
        assert_eq!(format_ratio(s, None), "-");
    }

    #[test]
    fn table_has_ratios_against_spindle() {
        let report = WorkloadReport {
            name: "fib".into(),
            rows: vec![
                timed("spindle", 200, 4096),
                timed("lua", 300, 2048),
                Row {
                    peer: "python".into(),
                    outcome: Outcome::Untimed("WRONG"),
                },
            ],
            notes: vec!["python: line 1: expected `1`, got `2`".into()],
        };
        let text = render(&report);
        let expected = "\
### fib

| peer | median | min | peak RSS | ratio | status |
|---|---:|---:|---:|---:|---|
| spindle | 200.0 ms | 199.0 ms | 4.0 MiB | 1.00 | ok |
| lua | 300.0 ms | 299.0 ms | 2.0 MiB | 1.50 | ok |
| python | - | - | - | - | WRONG |

- python: line 1: expected `1`, got `2`
";
        assert_eq!(text, expected);
    }

    #[test]
    fn without_a_timed_spindle_there_are_no_ratios() {
        let report = WorkloadReport {
            name: "spawn".into(),
            rows: vec![
                Row {
                    peer: "spindle".into(),
                    outcome: Outcome::Untimed("FAILED"),
                },
                timed("go", 80, 10_240),
            ],
            notes: vec![],
        };
        let text = render(&report);
        assert!(
            text.contains("| go | 80.0 ms | 79.0 ms | 10.0 MiB | - | ok |"),
            "{text}"
        );
        assert!(
            text.contains("| spindle | - | - | - | - | FAILED |"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_workload_says_so() {
        let report = WorkloadReport {
            name: "x".into(),
            ..Default::default()
        };
        assert!(render(&report).contains("no implementation"));
    }
}
