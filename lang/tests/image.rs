//! Boot images: an isolate restored from the prelude image is the isolate
//! a compiled boot makes (same bindings, docstrings, metadata, bytecode and
//! source maps); bad images are refused without panicking; and the CLI's
//! disk cache falls back and rewrites a bad file, and works when it cannot
//! write at all.

use spindle_lang::bytecode::Op;
use spindle_lang::image::cache::FINGERPRINT;
use spindle_lang::image::read::restore;
use spindle_lang::image::wire::{checksum, In};
use spindle_lang::image::write::{write, Snapshot};
use spindle_lang::{Isolate, Value};
use std::path::Path;
use std::process::Command;

/// A compiled boot and the image written from it.
fn compiled() -> (Isolate, Vec<u8>) {
    let mut iso = Isolate::without_prelude(false);
    let snap = Snapshot::take(&iso);
    iso.compile_prelude();
    let img = write(&iso, &snap, FINGERPRINT).expect("the prelude can be imaged");
    (iso, img)
}

fn restored(img: &[u8], stress: bool) -> Isolate {
    let mut iso = Isolate::without_prelude(stress);
    restore(&mut iso, img, FINGERPRINT).expect("the image restores");
    iso
}

/// A heap-independent description of `v`, `depth` levels deep: closures by
/// prototype (name, arity, bytecode with nested prototypes by name, source
/// positions), tables and structs by their sorted pairs.
fn canon(iso: &Isolate, v: Value, depth: u32) -> String {
    let h = &iso.heap;
    match v {
        Value::Closure(r) => {
            let p = &iso.protos[h.closures.get(r).proto as usize];
            let code: Vec<String> = p
                .code
                .iter()
                .map(|op| match *op {
                    Op::Closure(d, q) => {
                        let q = &iso.protos[q as usize];
                        format!("Closure({}, {:?}/{})", d, q.name, q.code.len())
                    }
                    other => format!("{:?}", other),
                })
                .collect();
            let consts: Vec<String> = if depth > 0 {
                p.consts.iter().map(|c| canon(iso, *c, depth - 1)).collect()
            } else {
                Vec::new()
            };
            format!(
                "<fn {:?} {}/{}/{} {} {:?} {:?} {:?} {:?}>",
                p.name,
                p.nparams,
                p.nopt,
                p.vararg,
                p.source,
                code,
                p.positions,
                p.captures,
                consts
            )
        }
        Value::Table(_) | Value::Struct(_) if depth == 0 => v.type_name().to_string(),
        Value::Table(r) | Value::Struct(r) => {
            let t = if matches!(v, Value::Table(_)) {
                h.tables.get(r)
            } else {
                h.structs.get(r)
            };
            let mut pairs: Vec<String> = t
                .iter()
                .map(|(k, x)| format!("{} {}", canon(iso, k, depth - 1), canon(iso, x, depth - 1)))
                .collect();
            pairs.sort();
            format!("{}{{{}}}", v.type_name(), pairs.join(" "))
        }
        Value::Tuple(_) | Value::Array(_) if depth > 0 => {
            let items: Vec<String> = h
                .items(v)
                .unwrap_or_default()
                .iter()
                .map(|x| canon(iso, *x, depth - 1))
                .collect();
            format!("{}[{}]", v.type_name(), items.join(" "))
        }
        Value::Abstract(_) | Value::Fiber(_) | Value::Tuple(_) | Value::Array(_) => {
            v.type_name().to_string()
        }
        _ => spindle_lang::printer::describe(iso, v),
    }
}

/// Every root binding, canonically described, sorted.
fn bindings(iso: &Isolate) -> Vec<String> {
    let mut out: Vec<String> = iso
        .heap
        .tables
        .get(iso.env)
        .iter()
        .map(|(k, e)| format!("{} => {}", canon(iso, k, 0), canon(iso, e, 3)))
        .collect();
    out.sort();
    out
}

#[test]
fn restored_isolate_matches_a_compiled_boot() {
    let (compiled, img) = compiled();
    let restored = restored(&img, false);
    let (a, b) = (bindings(&compiled), bindings(&restored));
    assert!(
        a.len() > 500,
        "the prelude defines its bindings: {}",
        a.len()
    );
    assert_eq!(a.len(), b.len(), "same number of root bindings");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(
        compiled.heap.syms.gensym_count(),
        restored.heap.syms.gensym_count()
    );
}

#[test]
fn pre_prelude_values_are_referred_to_not_copied() {
    let (_, img) = compiled();
    let mut iso = Isolate::without_prelude(false);
    let abstracts = iso.heap.abstracts.slots();
    let natives = iso.natives.len();
    // Looked up without evaluating anything: compiling would allocate,
    // and an image only restores onto the baseline it was made against.
    let (sym, value) = (iso.heap.symbol("stdout"), iso.heap.keyword("value"));
    let entry = iso.env_lookup(iso.env, sym).expect("stdout is bound");
    let stdout_before = iso.get_plain(entry, value);
    assert!(matches!(stdout_before, Value::Abstract(_)));
    restore(&mut iso, &img, FINGERPRINT).expect("restores");
    assert_eq!(
        iso.heap.abstracts.slots(),
        abstracts,
        "no abstract value copied"
    );
    assert_eq!(iso.natives.len(), natives);
    assert_eq!(iso.eval_str("stdout").expect("stdout"), stdout_before);
    let v = iso
        .eval_str("(= (get (dyn 'stdout) :value) stdout)")
        .expect("compare");
    assert_eq!(v, Value::Bool(true));
}

#[test]
fn isolates_on_many_threads_boot_from_the_process_image() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let mut iso = Isolate::new();
                let v = iso
                    .eval_str(&format!("(sum (map (fn [x] (* x {})) (range 10)))", i))
                    .expect("prelude works");
                v.as_num()
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().expect("thread"), Some(45.0 * i as f64));
    }
    assert!(
        spindle_lang::image::cache::process_image().is_some(),
        "the first boot kept its image for the others"
    );
}

#[test]
fn docstrings_macros_and_dynamic_bindings_survive() {
    let (_, img) = compiled();
    let mut iso = restored(&img, false);
    iso.capture = Some(Vec::new());
    let probe = r#"
      (def b @"")
      (with-dyns [:out b] (doc map))
      [(string b)
       (get (dyn 'defn) :macro)
       (tuple/sourcemap '(a b))
       (dyn :pretty-format)
       (get (dyn 'map) :source-map)]"#;
    let v = iso.eval_str(probe).expect("probe runs");
    let text = spindle_lang::printer::describe(&iso, v);
    assert!(text.contains("(map f ind"), "doc of map: {}", text);
    assert!(text.contains(" true "), "defn is a macro: {}", text);
    assert!(
        text.contains("seq.janet"),
        "map's source map names its file: {}",
        text
    );
}

#[test]
fn image_booted_prelude_errors_name_the_prelude_file_and_line() {
    let (mut compiled, img) = compiled();
    let boom = "(map (fn [x] (error (string \"boom \" x))) [1 2])";
    let want = compiled
        .eval_str(boom)
        .expect_err("the mapped function raises");
    assert!(want.contains("in map [seq.janet] on line "), "{}", want);
    assert!(!want.contains("on line 0"), "{}", want);
    for stress in [false, true] {
        let mut iso = restored(&img, stress);
        let err = iso.eval_str(boom).expect_err("the mapped function raises");
        assert_eq!(err, want, "the same trace, prelude file:line included");
    }
}

#[test]
fn restored_isolate_runs_under_gc_stress() {
    let (_, img) = compiled();
    let mut iso = restored(&img, true);
    let v = iso
        .eval_str(
            "(do (def t @{}) (loop [i :range [0 200]] (put t i (string i))) (length (keys t)))",
        )
        .expect("runs");
    assert_eq!(v, Value::Num(200.0));
    assert!(iso.heap.collections > 0, "gc-stress collected");
    let v = iso
        .eval_str("(string/join (map string (filter odd? (range 10))) \",\")")
        .expect("prelude functions work after collections");
    assert_eq!(spindle_lang::printer::to_text(&iso, v), "1,3,5,7,9");
}

/// Where the checksum and the payload start (after magic, fingerprint
/// and baseline; the payload has a length prefix).
fn layout(img: &[u8]) -> (usize, usize) {
    let mut inp = In::new(img);
    inp.take(8).expect("magic");
    inp.bytes().expect("fingerprint");
    for _ in 0..13 {
        inp.uint().expect("baseline");
    }
    let sum_at = img.len() - inp.bytes_left();
    inp.take(8).expect("checksum");
    inp.uint().expect("payload length");
    (sum_at, img.len() - inp.bytes_left())
}

#[test]
fn bad_images_are_refused_without_panicking() {
    let (_, img) = compiled();
    let refused = |bytes: &[u8]| {
        let mut iso = Isolate::without_prelude(false);
        restore(&mut iso, bytes, FINGERPRINT).is_err()
    };
    for n in [0, 1, 7, 8, 20, 60, img.len() / 2, img.len() - 1] {
        assert!(refused(&img[..n]), "truncated to {} bytes", n);
    }
    let mut flipped = img.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x10;
    assert!(
        refused(&flipped),
        "a flipped payload bit fails the checksum"
    );
    let mut other = Isolate::without_prelude(false);
    assert!(restore(&mut other, &img, "another-build").is_err());
    let mut extra = img.clone();
    extra.push(0);
    assert!(refused(&extra), "trailing bytes");
    // Corrupt payloads with a correct checksum reach the decoder itself:
    // it must fail cleanly (or, rarely, restore something) but not panic.
    let (sum_at, start) = layout(&img);
    let mut seed: u64 = 0x1234_5678;
    for _ in 0..500 {
        let mut bad = img.clone();
        for _ in 0..(1 + (seed as usize % 3)) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = start + (seed >> 33) as usize % (img.len() - start);
            bad[at] ^= (seed >> 13) as u8 | 1;
        }
        let sum = checksum(&bad[start..]);
        bad[sum_at..sum_at + 8].copy_from_slice(&sum.to_le_bytes());
        let mut iso = Isolate::without_prelude(false);
        let _ = restore(&mut iso, &bad, FINGERPRINT);
    }
}

fn spindle(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spindle"));
    c.env("SPINDLE_CACHE_DIR", cache)
        .env_remove("SPINDLE_NO_CACHE");
    c
}

const PROGRAM: &str = "(print (string/join (map string (filter even? (range 7))) \",\"))";

/// Runs PROGRAM with `--verbose`; asserts it printed the right thing and
/// returns its stderr.
fn run_ok(cache: &Path) -> String {
    let out = spindle(cache)
        .args(["--verbose", "-e", PROGRAM])
        .output()
        .expect("run spindle");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "stderr: {}", err);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0,2,4,6\n");
    err
}

fn image_file(cache: &Path) -> std::path::PathBuf {
    cache.join(format!("prelude-{}.img", FINGERPRINT))
}

#[test]
fn cli_writes_then_reuses_the_disk_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("nested").join("cache");
    let first = run_ok(&cache);
    assert!(first.contains("compiling the prelude"), "{}", first);
    let good = std::fs::read(image_file(&cache)).expect("the image was written");
    let second = run_ok(&cache);
    assert!(
        !second.contains("compiling"),
        "booted from the image: {}",
        second
    );
    let leftovers: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
    assert_eq!(std::fs::read(image_file(&cache)).expect("image"), good);
}

#[test]
fn cli_falls_back_on_bad_disk_images_and_rewrites_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path();
    run_ok(cache);
    let file = image_file(cache);
    let good = std::fs::read(&file).expect("image");
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let mut other_build = good.clone();
    let at = 9; // inside the fingerprint text
    other_build[at] = if other_build[at] == b'0' { b'1' } else { b'0' };
    let cases: [(&str, Vec<u8>); 5] = [
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 3].to_vec()),
        ("corrupt", flipped),
        ("garbage", b"not an image at all".repeat(50)),
        ("mismatched", other_build),
    ];
    for (what, bytes) in cases {
        std::fs::write(&file, &bytes).expect("plant bad image");
        let err = run_ok(cache);
        assert!(err.contains("refused"), "{}: {}", what, err);
        assert!(
            std::fs::read(&file).expect("rewritten") == good,
            "{}: the image was rewritten",
            what
        );
        assert!(
            !run_ok(cache).contains("compiling"),
            "{}: then reused",
            what
        );
    }
}

#[test]
fn cli_works_when_the_cache_cannot_be_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").expect("write");
    let err = run_ok(&blocker.join("cache"));
    assert!(err.contains("cannot write prelude image"), "{}", err);
    let out = spindle(dir.path())
        .env("SPINDLE_NO_CACHE", "1")
        .args(["-e", PROGRAM])
        .output()
        .expect("run spindle");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0,2,4,6\n");
    assert!(
        !image_file(dir.path()).exists(),
        "SPINDLE_NO_CACHE=1 writes nothing"
    );
}

/// Boot never compiles the prelude with collection on any more, so this
/// test does: the compiler and the prelude's macros survive a collection at
/// every allocation, and what they define works afterwards.
#[test]
fn the_prelude_compiles_under_gc_stress() {
    let mut iso = Isolate::without_prelude(true);
    let before = iso.heap.collections;
    iso.run_prelude_sources();
    assert!(
        iso.heap.collections > before + 500,
        "gc-stress collected only {} times",
        iso.heap.collections - before
    );
    let v = iso
        .eval_str("(string/join (map string (filter odd? (range 10))) \",\")")
        .expect("prelude functions run");
    assert_eq!(spindle_lang::printer::to_text(&iso, v), "1,3,5,7,9");
}
