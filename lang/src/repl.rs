//! The interactive REPL: line editing and history (rustyline), multi-line
//! input until the forms balance, pretty-printed results, tab completion of
//! the environment's bindings. Ctrl-C cancels the current input, Ctrl-D
//! exits.
//!
//! Invariant: every accepted input is evaluated in the same isolate's root
//! environment, so definitions persist between inputs; an error is printed
//! and the loop goes on.

use crate::corelib::parser::{balance, Balance};
use crate::isolate::Isolate;
use crate::value::Value;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

/// rustyline helper: completion over binding names, balance validation.
#[derive(Default)]
pub struct ReplHelper {
    names: Vec<String>,
}

fn is_symbol_char(c: char) -> bool {
    c.is_alphanumeric() || "!$%&*+-./:<=>?@^_".contains(c)
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .char_indices()
            .rev()
            .find(|(_, c)| !is_symbol_char(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &line[start..pos];
        let found = self
            .names
            .iter()
            .filter(|n| n.starts_with(word))
            .map(|n| Pair {
                display: n.clone(),
                replacement: n.clone(),
            })
            .collect();
        Ok((start, found))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(match balance(ctx.input().as_bytes()) {
            Balance::Open => ValidationResult::Incomplete,
            _ => ValidationResult::Valid(None),
        })
    }
}

impl Helper for ReplHelper {}

/// The names bound in the root environment, sorted.
pub fn binding_names(iso: &Isolate) -> Vec<String> {
    let mut names: Vec<String> = iso
        .heap
        .tables
        .get(iso.env)
        .iter()
        .filter_map(|(k, _)| match k {
            Value::Symbol(s) => Some(String::from_utf8_lossy(iso.heap.syms.name(s)).into_owned()),
            _ => None,
        })
        .collect();
    names.sort();
    names
}

/// Evaluates one REPL input; returns the text to show (result or error).
pub fn eval_input(iso: &mut Isolate, src: &str) -> Result<String, String> {
    let v = iso.run_source(src.as_bytes(), "repl")?;
    Ok(crate::corelib::pretty::pretty(iso, v))
}

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".spindle_history"))
}

/// Runs the REPL on the terminal until Ctrl-D. Returns the exit status.
pub fn run(iso: &mut Isolate) -> i32 {
    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> = match Editor::new() {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("spindle: cannot start the line editor: {}", e);
            return 1;
        }
    };
    rl.set_helper(Some(ReplHelper::default()));
    let hist = history_path();
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    println!("spindle {} — Ctrl-D to exit", env!("CARGO_PKG_VERSION"));
    loop {
        if let Some(h) = rl.helper_mut() {
            h.names = binding_names(iso);
        }
        match rl.readline("spindle> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                match eval_input(iso, &line) {
                    Ok(text) => println!("{}", text),
                    Err(e) => eprintln!("{}", e.trim_end()),
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("spindle: {}", e);
                break;
            }
        }
    }
    if let Some(h) = &hist {
        let _ = rl.save_history(h);
    }
    0
}
