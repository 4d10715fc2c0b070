//! Judging one run: did it finish, exit cleanly, and print the expected text?
//!
//! Invariant: output is compared after trimming surrounding whitespace of the
//! whole text and normalising `\r\n` to `\n`; nothing else is forgiven. A run
//! that is not `Ok` is never timed.

use crate::child::Exit;

/// The judgement of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Exited 0 but printed something else; the detail says where it differs.
    Wrong(String),
    /// Non-zero exit or killed by a signal; the detail quotes stderr.
    Failed(String),
    Timeout,
}

impl Verdict {
    /// The word shown in the table's status column.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Wrong(_) => "WRONG",
            Verdict::Failed(_) => "FAILED",
            Verdict::Timeout => "TIMEOUT",
        }
    }

    /// A one-line explanation for the notes under the table, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Verdict::Wrong(d) | Verdict::Failed(d) => Some(d),
            Verdict::Ok | Verdict::Timeout => None,
        }
    }
}

/// Judges a finished run against the expected stdout.
pub fn judge(exit: Exit, stdout: &[u8], stderr: &[u8], expected: &str) -> Verdict {
    let how = match exit {
        Exit::TimedOut => return Verdict::Timeout,
        Exit::Code(0) => return compare(stdout, expected),
        Exit::Code(code) => format!("exit status {code}"),
        Exit::Signal(sig) => format!("killed by signal {sig}"),
    };
    let err = String::from_utf8_lossy(stderr);
    match err.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => Verdict::Failed(format!("{how}: {}", clip(line))),
        None => Verdict::Failed(how),
    }
}

/// Compares stdout with the expected text.
pub fn compare(stdout: &[u8], expected: &str) -> Verdict {
    let actual = normalise(&String::from_utf8_lossy(stdout));
    let expected = normalise(expected);
    if actual == expected {
        return Verdict::Ok;
    }
    let mut got = actual.lines();
    let mut want = expected.lines();
    let mut line = 1;
    loop {
        match (want.next(), got.next()) {
            (Some(w), Some(g)) if w == g => line += 1,
            (w, g) => {
                return Verdict::Wrong(format!(
                    "line {line}: expected {}, got {}",
                    quote(w),
                    quote(g)
                ))
            }
        }
    }
}

fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_string()
}

fn quote(line: Option<&str>) -> String {
    match line {
        Some(l) => format!("`{}`", clip(l)),
        None => "end of output".to_string(),
    }
}

fn clip(line: &str) -> String {
    const MAX: usize = 160;
    if line.chars().count() <= MAX {
        return line.to_string();
    }
    let mut s: String = line.chars().take(MAX).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrounding_whitespace_and_crlf_are_forgiven() {
        assert_eq!(compare(b"\n2178309\r\n\n", "2178309\n"), Verdict::Ok);
        assert_eq!(compare(b"a\r\nb\n", "a\nb"), Verdict::Ok);
        assert_eq!(compare(b"", ""), Verdict::Ok);
    }

    #[test]
    fn a_different_line_is_wrong_and_located() {
        assert_eq!(
            compare(b"1\n3\n", "1\n2\n"),
            Verdict::Wrong("line 2: expected `2`, got `3`".into())
        );
        assert_eq!(
            compare(b"1\n", "1\n2\n"),
            Verdict::Wrong("line 2: expected `2`, got end of output".into())
        );
        assert_eq!(
            compare(b"1\n2\nextra", "1\n2"),
            Verdict::Wrong("line 3: expected end of output, got `extra`".into())
        );
        // Inner whitespace is significant.
        assert!(matches!(compare(b"1  2", "1 2"), Verdict::Wrong(_)));
    }

    #[test]
    fn exit_status_beats_output() {
        let v = judge(Exit::Code(1), b"42", b"\nerror: boom\n  at x\n", "42");
        assert_eq!(v, Verdict::Failed("exit status 1: error: boom".into()));
        assert_eq!(v.status(), "FAILED");
        assert_eq!(
            judge(Exit::Signal(9), b"", b"", ""),
            Verdict::Failed("killed by signal 9".into())
        );
        assert_eq!(judge(Exit::TimedOut, b"42", b"", "42"), Verdict::Timeout);
        assert_eq!(judge(Exit::Code(0), b"42\n", b"noise", "42"), Verdict::Ok);
    }

    #[test]
    fn long_lines_are_clipped() {
        let long = "x".repeat(400);
        let Verdict::Wrong(detail) = compare(long.as_bytes(), "y") else {
            panic!("should differ")
        };
        assert!(detail.chars().count() < 200, "{detail}");
        assert!(detail.ends_with("…`"));
    }
}
