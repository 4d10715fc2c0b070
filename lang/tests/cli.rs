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
    use std::io::Write;
    use std::process::Stdio;
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
        let mut child = spindle()
            .args(["-e", script])
            .env("SPINDLE_IO", io)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run spindle");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"hello\n").expect("write stdin");
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{io}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "got hello\nticked\n",
            "{io}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "err", "{io}");
    }
}

#[test]
fn getline_and_file_read_on_stdin_park_and_share_the_read_ahead() {
    use std::io::Write;
    use std::process::Stdio;
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
        let mut child = spindle()
            .args(["-e", script])
            .env("SPINDLE_IO", io)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run spindle");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"one\ntwo\nthree\nfour\nfive")
            .expect("write stdin");
        drop(stdin);
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{io}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "> \n@\"one\\n\" @\"two\\n\" @\"three\\n\" @\"fou\" @\"r\\nfive\" @\"\"\nticked\n",
            "{io}"
        );
    }
}
