//! Runs the language spec suites (`tests/suites/*.janet`) in a fresh
//! isolate each, once normally and once in gc-stress mode, and reports every
//! failing `check` with its file:line. `tests/wishlist/*.janet` holds known
//! gaps: they run too, and their failures are printed but do not fail.

use spindle_lang::Isolate;
use std::path::{Path, PathBuf};

const PREAMBLE: &str = r#"
(def _failures @[])
(var _checks 0)
(defmacro check "(check x &opt msg)" [x &opt msg]
  (def sm (if (tuple? x) (tuple/sourcemap x) [0 0]))
  (def line (in sm 0))
  (def text (if msg msg (string/format "%j" x)))
  (with-syms [r]
    ~(do
       (set _checks (+ _checks 1))
       (def ,r (protect ,x))
       (unless (and (in ,r 0) (in ,r 1))
         (array/push _failures
           (string/format "%s:%d: check failed: %s%s" _file ,line ,text
             (if (in ,r 0) "" (string " (raised " (describe (in ,r 1)) ")"))))))))
(defmacro check-error "(check-error form)" [form]
  (def sm (if (tuple? form) (tuple/sourcemap form) [0 0]))
  (with-syms [r]
    ~(do
       (set _checks (+ _checks 1))
       (def ,r (protect ,form))
       (when (in ,r 0)
         (array/push _failures (string/format "%s:%d: expected an error from %j" _file ,(in sm 0) ',form))))))
"#;

fn suite_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "janet"));
    files.sort();
    files
}

/// Runs one suite; returns its failures (empty when it passed).
fn run_suite(dir: &str, path: &Path, stress: bool) -> Vec<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let src = std::fs::read_to_string(path).expect("read suite");
    let mut iso = Isolate::with_stress(stress);
    iso.capture = Some(Vec::new());
    let setup = format!(
        "(def _stress {})\n(def _file {:?})\n{}",
        stress,
        format!("tests/{}/{}", dir, name),
        PREAMBLE
    );
    if let Err(e) = iso.run_source(setup.as_bytes(), "preamble") {
        return vec![format!("{}: preamble failed: {}", name, e)];
    }
    let mut failures = Vec::new();
    if let Err(e) = iso.run_source(src.as_bytes(), &format!("tests/{}/{}", dir, name)) {
        failures.push(format!("{}: suite aborted: {}", name, e));
    }
    match iso.eval_str("(string/join _failures \"\\n\")") {
        Ok(v) => {
            let text = spindle_lang::printer::to_text(&iso, v);
            failures.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
        }
        Err(e) => failures.push(format!("{}: cannot read failures: {}", name, e)),
    }
    let checks = iso
        .eval_str("_checks")
        .ok()
        .and_then(|v| v.as_num())
        .unwrap_or(0.0);
    if checks == 0.0 {
        failures.push(format!("{}: ran no checks", name));
    }
    failures
}

fn run_all(stress: bool) {
    let files = suite_files("suites");
    assert!(!files.is_empty(), "no suites found");
    let mut all = Vec::new();
    for f in &files {
        all.extend(run_suite("suites", f, stress));
    }
    assert!(
        all.is_empty(),
        "{} failing check(s){}:\n{}",
        all.len(),
        if stress { " under gc-stress" } else { "" },
        all.join("\n")
    );
}

#[test]
fn spec_suites() {
    run_all(false);
}

#[test]
fn spec_suites_gc_stress() {
    run_all(true);
}

#[test]
fn wishlist_gaps_are_visible() {
    for f in suite_files("wishlist") {
        let failures = run_suite("wishlist", &f, false);
        if !failures.is_empty() {
            eprintln!(
                "wishlist (known gaps, not failing the build):\n{}",
                failures.join("\n")
            );
        }
    }
}
