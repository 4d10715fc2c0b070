//! Golden-output tests: every `tests/golden/<name>.janet` runs in a fresh
//! isolate with stdout captured, and the output must equal
//! `tests/golden/<name>.out` byte for byte. (Standard error is captured to
//! the same buffer by the engine's test capture, so golden programs write
//! to stderr only through `eprint` with `:err` redirected, or not at all.)

use spindle_lang::Isolate;
use std::path::Path;

#[test]
fn golden_programs_print_their_expected_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut programs: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "janet"))
        .collect();
    programs.sort();
    assert!(!programs.is_empty(), "no golden programs");
    let mut failures = Vec::new();
    for prog in &programs {
        let src = std::fs::read(prog).expect("read program");
        let expected = std::fs::read(prog.with_extension("out")).expect("read .out");
        let mut iso = Isolate::new();
        iso.capture = Some(Vec::new());
        let name = prog.display().to_string();
        let setup = "(setdyn :err @\"\")";
        iso.run_source(setup.as_bytes(), "setup").expect("setup");
        if let Err(e) = iso.run_source(&src, &name) {
            failures.push(format!("{}: raised {}", name, e));
            continue;
        }
        let got = iso.capture.take().unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}: output differs\n--- expected\n{}\n--- got\n{}",
                name,
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
