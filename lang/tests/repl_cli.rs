//! The REPL's pieces (balance check, evaluation, completion names) and the
//! CLI entry points of the library issue: `spindle -` (program on stdin),
//! `spindle FILE args` (then `main`, with `*args*`), and the REPL reading
//! piped input (multi-line forms, errors do not stop it).

use spindle_lang::corelib::parser::{balance, Balance};
use spindle_lang::repl::{binding_names, eval_input};
use spindle_lang::Isolate;
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn balance_tracks_delimiters_strings_and_comments() {
    assert_eq!(balance(b"(+ 1 2)"), Balance::Closed);
    assert_eq!(balance(b"(+ 1"), Balance::Open);
    assert_eq!(balance(b"(print \")\""), Balance::Open);
    assert_eq!(balance(b"(print \")\")"), Balance::Closed);
    assert_eq!(balance(b"(a # ) comment\n"), Balance::Open);
    assert_eq!(balance(b"``long ( string``"), Balance::Closed);
    assert_eq!(balance(b"``open"), Balance::Open);
    assert_eq!(balance(b"(a))"), Balance::Broken);
}

#[test]
fn repl_evaluation_keeps_definitions_and_reports_errors() {
    let mut iso = Isolate::new();
    assert_eq!(eval_input(&mut iso, "(def x 41)").as_deref(), Ok("41"));
    assert_eq!(eval_input(&mut iso, "(+ x 1)").as_deref(), Ok("42"));
    assert_eq!(
        eval_input(&mut iso, "@[1 \"a\"]").as_deref(),
        Ok("@[1 \"a\"]")
    );
    assert!(eval_input(&mut iso, "(error \"boom\")").is_err());
    assert_eq!(eval_input(&mut iso, "x").as_deref(), Ok("41"));
    let names = binding_names(&iso);
    assert!(names.iter().any(|n| n == "string/format"));
    assert!(names.iter().any(|n| n == "x"));
}

fn spindle(args: &[&str], stdin: &str) -> (String, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spindle");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn dash_reads_the_program_from_stdin() {
    let (out, _, code) = spindle(&["-"], "(print (+ 1 2)) (pp (dyn :args))");
    assert_eq!(code, 0);
    assert_eq!(out, "3\n@[\"stdin\"]\n");
}

#[test]
fn file_runs_then_main_with_args() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prog.janet");
    std::fs::write(
        &path,
        "(print (dyn :current-file))\n(defn main [& args] (print (string/join args \",\")) (print (length (dyn :args))))\n",
    )
    .expect("write");
    let p = path.to_string_lossy().into_owned();
    let (out, _, code) = spindle(&[&p, "a", "b"], "");
    assert_eq!(code, 0);
    assert_eq!(out, format!("{}\na,b\n3\n", p));
}

#[test]
fn repl_reads_piped_multiline_input_and_survives_errors() {
    let (out, err, code) = spindle(&[], "(def x 5)\n(+ x\n 1)\n(error \"oops\")\n:after\n");
    assert_eq!(code, 0);
    assert!(out.contains("\n5\n6\n"), "stdout: {}", out);
    assert!(out.contains(":after"), "stdout: {}", out);
    assert!(err.contains("oops"), "stderr: {}", err);
}
