//! Runs the built `spindle` binary end to end: a file, an expression, an
//! uncaught error, a parse error, and the informational flags.

use std::process::Command;

fn spindle() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spindle"))
}

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn runs_hello_file() {
    let out = spindle()
        .arg(examples().join("hello.janet"))
        .output()
        .expect("run spindle");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, world!\n");
}

#[test]
fn runs_expression() {
    let out = spindle()
        .args(["-e", "(print (+ 1 2))"])
        .output()
        .expect("run spindle");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
}

#[test]
fn uncaught_error_exits_1_with_location_and_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("boom.janet");
    std::fs::write(&path, "(defn inner [x]\n  (error (string \"boom \" x)))\n(defn outer [x] (+ 1 (inner x)))\n(outer 5)\n")
        .expect("write script");
    let out = spindle().arg(&path).output().expect("run spindle");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: boom 5"), "stderr: {}", err);
    assert!(err.contains("in inner ["), "stderr: {}", err);
    assert!(err.contains("boom.janet] on line 2"), "stderr: {}", err);
    assert!(err.contains("in outer ["), "stderr: {}", err);
}

#[test]
fn compile_and_parse_errors_name_file_line_column() {
    let out = spindle()
        .args(["-e", "(print (nope 1))"])
        .output()
        .expect("run spindle");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("eval:1:8: compile error: unknown symbol nope"));
    let out = spindle()
        .args(["-e", "(print (+ 1 2"])
        .output()
        .expect("run spindle");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "eval:1:14: parse error: unexpected end of source, expected ) to close the form opened at line 1, column 8"
    ));
    let dir = std::env::temp_dir().join(format!("spindle-cli-parse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.janet");
    std::fs::write(&file, "(def x 1)\n(print [1 2)\n").unwrap();
    let out = spindle().arg(&file).output().expect("run spindle");
    assert_eq!(out.status.code(), Some(1));
    let want = format!(
        "{}:2:12: parse error: mismatched delimiter ), expected ]",
        file.display()
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&want),
        "file:line:column of a parse error in a file"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_and_version() {
    let out = spindle().arg("--help").output().expect("run spindle");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("usage: spindle"));
    let out = spindle().arg("--version").output().expect("run spindle");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("spindle "));
}

#[test]
fn main_function_gets_script_args() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.janet");
    std::fs::write(
        &path,
        "(defn main [& args] (print (length args) \" \" (get args 1)))\n",
    )
    .expect("write");
    let out = spindle()
        .arg(&path)
        .args(["a", "b"])
        .output()
        .expect("run spindle");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 b\n");
}

#[test]
fn io_flag_picks_the_driver_and_verbose_reports_it() {
    for (flag, shown) in [("epoll", "io driver Epoll"), ("uring", "io driver Uring")] {
        let out = spindle()
            .args(["--io", flag, "--verbose", "-e", "(print (+ 1 2))"])
            .output()
            .expect("run spindle");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "stderr: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
        assert!(err.contains(shown), "--io {flag}: stderr was {err}");
    }
}

#[test]
fn a_bad_io_driver_is_a_usage_error_naming_it() {
    let out = spindle()
        .args(["--io", "kqueue", "-e", "nil"])
        .output()
        .expect("run spindle");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"kqueue\""), "stderr was {err}");
}

#[test]
fn stdin_and_stdout_are_streams_that_park() {
    // A ticker task runs while the main task waits on stdin; the parent
    // writes only after a pause, so the read really parks.
    let script = "(var ticks 0) (var on true)
(def t (ev/spawn (while on (ev/sleep 0.01) (++ ticks))))
(def got (ev/read stdin 100))
(set on false)
(ev/write stdout (string \"got \" got))
(ev/write stderr \"err\")
(print (if (> ticks 5) \"ticked\" (string \"only \" ticks)))";
    for io in ["uring", "epoll"] {
        let pause = std::time::Duration::from_millis(300);
        let out = run_with_late_stdin(script, &[("SPINDLE_IO", io)], b"hello\n", pause);
        assert!(out.status.success(), "{io}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "got hello\nticked\n",
            "{io}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "err", "{io}");
    }
}

/// Runs `-e expr` with `env` set and `input` on stdin; returns the output.
fn run_with(expr: &str, env: &[(&str, &str)], input: &[u8]) -> std::process::Output {
    run_with_late_stdin(expr, env, input, std::time::Duration::ZERO)
}

/// As `run_with`, but the input is written only after `pause`, so a read of
/// stdin at the start of the program really waits.
fn run_with_late_stdin(
    expr: &str,
    env: &[(&str, &str)],
    input: &[u8],
    pause: std::time::Duration,
) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = spindle();
    cmd.args(["-e", expr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run spindle");
    std::thread::sleep(pause);
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait")
}

#[test]
fn os_date_and_mktime_follow_the_local_zone() {
    // TZ=UTC+5 is POSIX for five hours west of UTC.
    let expr = "(def t 1700000000)
(def u (os/date t))
(def l (os/date t true))
(printf \"%d %d %d\" (u :hours) (l :hours) (- (os/mktime l true) t))
(printf \"%d\" (- (os/mktime u) t))";
    for (tz, local_hour) in [("UTC+5", 17), ("UTC-3", 1), ("UTC0", 22)] {
        let out = run_with(expr, &[("TZ", tz)], b"");
        assert!(out.status.success(), "{tz}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("22 {local_hour} 0\n0\n"),
            "TZ={tz}"
        );
    }
    // A zone with daylight saving time: July is summer time in Berlin.
    let out = run_with(
        "(def d (os/date 1690000000 true)) (printf \"%d %j\" (d :hours) (d :dst))",
        &[("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")],
        b"",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "6 true\n", "{out:?}");
    // TZ changed by the program itself is seen.
    let out = run_with(
        "(os/setenv \"TZ\" \"UTC+1\") (def a ((os/date 0 true) :hours)) (os/setenv \"TZ\" \"UTC+2\") (print a \" \" ((os/date 0 true) :hours))",
        &[],
        b"",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "23 22\n", "{out:?}");
}

#[test]
fn os_exit_sets_the_exit_code_and_stops_at_once() {
    let out = run_with("(print \"bye\") (os/exit 7) (print \"not here\")", &[], b"");
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "bye\n");
    // Pending tasks do not keep the process alive past os/exit.
    let out = run_with(
        "(ev/spawn (ev/sleep 5) (print \"late\")) (os/exit 3)",
        &[],
        b"",
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let out = run_with("(os/exit)", &[], b"");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn getline_reads_piped_stdin_line_by_line() {
    let out = run_with(
        "(def a (getline)) (def b (getline \"> \")) (def c (getline)) (printf \"%j %j %j\" a b c)",
        &[],
        b"first line\nsecond\n",
    );
    assert!(out.status.success(), "{out:?}");
    // The prompt goes to stdout; lines keep their newline; EOF gives an
    // empty buffer.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "> @\"first line\\n\" @\"second\\n\" @\"\"\n"
    );
}

#[test]
fn os_cd_changes_where_relative_paths_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().canonicalize().expect("canonical tempdir");
    let expr = format!(
        "(os/cd {:?}) (print (os/cwd)) (spit \"rel.txt\" \"hi\") (print (protect (os/cd \"/nonexistent-spindle-dir\")))",
        d.to_string_lossy()
    );
    let out = run_with(&expr, &[], b"");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("{}\n", d.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("[false \"cannot cd to /nonexistent-spindle-dir"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("rel.txt")).expect("rel.txt"),
        "hi"
    );
}

#[test]
fn getline_and_file_read_on_stdin_park_and_share_the_read_ahead() {
    // getline parks while the parent pauses (the ticker keeps running); the
    // one read of stdin brings several lines, which later getline and
    // file/read calls take from the shared read-ahead, in order.
    let script = "(var ticks 0) (var on true)
(def t (ev/spawn (while on (ev/sleep 0.01) (++ ticks))))
(def a (getline \"> \"))
(set on false)
(def b (getline))
(def c (file/read stdin :line))
(def d (file/read stdin 3))
(def rest (file/read stdin :all))
(def end (getline))
(print)
(printf \"%j %j %j %j %j %j\" a b c d rest end)
(print (if (> ticks 5) \"ticked\" (string \"only \" ticks)))";
    for io in ["uring", "epoll"] {
        let pause = std::time::Duration::from_millis(300);
        let input = b"one\ntwo\nthree\nfour\nfive";
        let out = run_with_late_stdin(script, &[("SPINDLE_IO", io)], input, pause);
        assert!(out.status.success(), "{io}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "> \n@\"one\\n\" @\"two\\n\" @\"three\\n\" @\"fou\" @\"r\\nfive\" @\"\"\nticked\n",
            "{io}"
        );
    }
}

#[test]
fn a_child_on_our_stdout_starts_after_the_bytes_queued_before_it() {
    // 100,000 bytes overfill the pipe while nobody reads, so the rest waits
    // in spindle's queue; a child writing to the same fd must not overtake
    // it. The reader starts late and then reads slowly, so the pipe stays
    // full while the children start.
    let src = "(prin (string/repeat \"a\" 100000)) (print)\n\
               (os/execute [\"/bin/echo\" \"child\"])\n\
               (prin (string/repeat \"b\" 100000)) (print)\n\
               (os/proc-wait (os/spawn [\"/bin/echo\" \"spawned\"]))\n\
               (print \"after\")\n";
    let mut child = spindle()
        .args(["-e", src])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run spindle");
    let mut pipe = child.stdout.take().expect("stdout pipe");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = std::io::Read::read(&mut pipe, &mut chunk).expect("read stdout");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(child.wait().expect("wait").success());
    let mut want = "a".repeat(100_000);
    want.push_str("\nchild\n");
    want.push_str(&"b".repeat(100_000));
    want.push_str("\nspawned\nafter\n");
    let got = String::from_utf8_lossy(&out);
    let first_difference = got.bytes().zip(want.bytes()).position(|(g, w)| g != w);
    assert!(
        got == want,
        "output differs at byte {first_difference:?} (lengths {} and {})",
        got.len(),
        want.len()
    );
}
