//! Runs the event-loop spec suites (`tests/ev_suites/*.janet`) through the
//! isolate event loop on a real spindle-rt runtime, once with each io
//! driver (io_uring and epoll) and once in gc-stress mode, and reports
//! every failing `check`. `_spindle` is the path of the binary, for
//! suites that run it as a child process. These
//! suites cannot run in `suites.rs`, whose synchronous runner has no loop.

use spindle_lang::ev::EvRun;
use spindle_lang::Isolate;
use spindle_rt::{IoDriver, Runtime};
use std::path::{Path, PathBuf};

const PREAMBLE: &str = r#"(def _failures @[]) (var _checks 0) (defmacro check "(check x &opt msg)" [x &opt msg] (def sm (if (tuple? x) (tuple/sourcemap x) [0 0])) (def text (if msg msg (string/format "%j" x))) (with-syms [r] ~(do (set _checks (+ _checks 1)) (def ,r (protect ,x)) (unless (and (in ,r 0) (in ,r 1)) (array/push _failures (string/format "%s:%d: check failed: %s%s" _file ,(in sm 0) ,text (if (in ,r 0) "" (string " (raised " (describe (in ,r 1)) ")")))))))) (defmacro check-error "(check-error form &opt msg)" [form &opt msg] (def sm (if (tuple? form) (tuple/sourcemap form) [0 0])) (with-syms [r] ~(do (set _checks (+ _checks 1)) (def ,r (protect ,form)) (when (or (in ,r 0) (and ,msg (not= ,msg (in ,r 1)))) (array/push _failures (string/format "%s:%d: expected error %j from %j, got %j" _file ,(in sm 0) ,msg ',form (in ,r 1)))))))
"#;

fn suites() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ev_suites");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/ev_suites")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "janet"))
        .collect();
    files.sort();
    files
}

/// Runs one suite under `io`; returns its failures.
fn run_suite(rt: &Runtime, path: &Path, stress: bool) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let src = format!(
        "(def _file {:?}) (def _spindle {:?}) {}{}",
        format!("ev_suites/{}", name),
        env!("CARGO_BIN_EXE_spindle"),
        PREAMBLE,
        std::fs::read_to_string(path).expect("read suite")
    );
    let label = format!("ev_suites/{}", name);
    let fin = rt.block_on(async move {
        let mut iso = Isolate::with_stress(stress);
        iso.capture = Some(Vec::new());
        EvRun::new(iso, src.into_bytes(), &label, Vec::new()).await
    });
    let mut iso = fin.iso;
    let mut failures = Vec::new();
    if let Err(e) = fin.result {
        failures.push(format!("{}: suite aborted: {}", name, e));
    }
    if fin.unobserved {
        let out = String::from_utf8_lossy(iso.capture.as_deref().unwrap_or_default()).into_owned();
        failures.push(format!("{}: unobserved task error:\n{}", name, out));
    }
    match iso.eval_str("(string/join _failures \"\\n\")") {
        Ok(v) => {
            let text = spindle_lang::printer::to_text(&iso, v);
            failures.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
        }
        Err(e) => failures.push(format!("{}: cannot read failures: {}", name, e)),
    }
    let checks = iso.eval_str("_checks").ok().and_then(|v| v.as_num());
    if checks.unwrap_or(0.0) == 0.0 {
        failures.push(format!("{}: ran no checks", name));
    }
    failures
}

fn run_all(io: IoDriver, stress: bool) {
    let rt = Runtime::builder()
        .workers(2)
        .io(io)
        .build()
        .expect("runtime");
    let mut failures = Vec::new();
    for s in suites() {
        failures.extend(run_suite(&rt, &s, stress));
    }
    assert!(
        failures.is_empty(),
        "{:?}: {} failure(s):\n{}",
        io,
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ev_suites_under_io_uring() {
    run_all(IoDriver::Uring, false);
}

#[test]
fn ev_suites_under_epoll() {
    run_all(IoDriver::Epoll, false);
}

/// Collects at every safe point: every value the loop, a channel, a
/// stream or a pending op holds must be rooted.
#[test]
fn ev_suites_under_gc_stress() {
    run_all(IoDriver::Uring, true);
}

fn run_cli(src: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prog.janet");
    std::fs::write(&path, src).expect("write script");
    std::process::Command::new(env!("CARGO_BIN_EXE_spindle"))
        .arg(&path)
        .arg("x")
        .output()
        .expect("run spindle")
}

#[test]
fn unobserved_task_error_is_reported_at_once_and_exits_1() {
    let out = run_cli(
        "(defn inner [] (ev/sleep 0.01) (error \"task failed\"))\n(ev/spawn (inner))\n(ev/sleep 0.05)\n(print \"main continues\")\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", err);
    assert!(err.contains("error: task failed"), "stderr: {}", err);
    assert!(err.contains("in inner"), "stderr: {}", err);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "main continues\n");
}

#[test]
fn error_consumed_by_a_later_join_keeps_status_0() {
    let out = run_cli(
        "(def t (ev/spawn (error \"x\")))\n(ev/sleep 0.01)\n(print (protect (ev/join t)))\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[false \"x\"]\n");
}

#[test]
fn main_runs_as_a_task_and_the_program_waits_for_tasks() {
    let out = run_cli(
        "(defn main [& args] (ev/spawn (ev/sleep 0.02) (print \"child\")) (ev/sleep 0.01) (print \"main \" (length args)))\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "main 1\nchild\n");
}

fn run_example(name: &str) -> std::process::Output {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::process::Command::new(env!("CARGO_BIN_EXE_spindle"))
        .arg(path)
        .output()
        .expect("run spindle")
}

#[test]
fn seed_000_examples_run() {
    let out = run_example("ev-workers.janet");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("bob is done!\n"), "{}", text);
    assert!(
        text.ends_with("sally is done!\nEveryone should be done by now!\n"),
        "{}",
        text
    );
    let out = run_example("ev-supervisor.janet");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("worker completed with status :"), "{}", text);
    assert!(text.contains("starting long io...\ndone\n"), "{}", text);
    assert!(!text.contains("finished long io!"), "{}", text);
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: canceled"));
}

#[test]
fn echo_example_serves_200_clients() {
    let out = run_example("ev-echo.janet");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200 of 200 clients echoed\n"
    );
}
