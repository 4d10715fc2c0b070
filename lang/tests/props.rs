//! Property tests: the printer/reader round trip, and integer arithmetic
//! against Rust's.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use spindle_lang::printer;
use spindle_lang::reader::Reader;
use spindle_lang::{Isolate, Value};
use std::cell::RefCell;

/// A value shape to build in the heap.
#[derive(Debug, Clone)]
enum Shape {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Kw(String),
    Sym(String),
    Tuple(Vec<Shape>, bool),
    Array(Vec<Shape>),
    Struct(Vec<(Shape, Shape)>),
    Table(Vec<(Shape, Shape)>),
    Buffer(Vec<u8>),
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_!?*<>=-]{0,8}".prop_filter("not a literal", |s| {
        !matches!(s.as_str(), "nil" | "true" | "false")
    })
}

/// Keys compared by value (mutable keys compare by identity and cannot round trip).
fn key() -> impl Strategy<Value = Shape> {
    prop_oneof![
        any::<bool>().prop_map(Shape::Bool),
        (-(1i64 << 53)..(1i64 << 53)).prop_map(Shape::Int),
        any::<String>().prop_map(Shape::Str),
        name().prop_map(Shape::Kw),
        name().prop_map(Shape::Sym),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        Just(Shape::Nil),
        any::<bool>().prop_map(Shape::Bool),
        (-(1i64 << 53)..(1i64 << 53)).prop_map(Shape::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Shape::Float),
        any::<String>().prop_map(Shape::Str),
        name().prop_map(Shape::Kw),
        name().prop_map(Shape::Sym),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Shape::Buffer),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (
                proptest::collection::vec(inner.clone(), 0..6),
                any::<bool>()
            )
                .prop_map(|(v, b)| Shape::Tuple(v, b)),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Shape::Array),
            proptest::collection::vec((key(), inner.clone()), 0..4).prop_map(Shape::Struct),
            proptest::collection::vec((key(), inner), 0..4).prop_map(Shape::Table),
        ]
    })
}

fn build(iso: &mut Isolate, s: &Shape) -> Value {
    let h = &mut iso.heap;
    match s {
        Shape::Nil => Value::Nil,
        Shape::Bool(b) => Value::Bool(*b),
        Shape::Int(i) => Value::Num(*i as f64),
        Shape::Float(f) => Value::Num(*f),
        Shape::Str(t) => h.string(t.as_bytes()),
        Shape::Kw(t) => h.keyword(t),
        Shape::Sym(t) => h.symbol(t),
        Shape::Buffer(b) => h.buffer(b.clone()),
        Shape::Tuple(items, bracket) => {
            let v: Vec<Value> = items.iter().map(|x| build(iso, x)).collect();
            iso.heap.tuple_at(v, 0, 0, *bracket)
        }
        Shape::Array(items) => {
            let v: Vec<Value> = items.iter().map(|x| build(iso, x)).collect();
            iso.heap.array(v)
        }
        Shape::Struct(kvs) | Shape::Table(kvs) => {
            let mut flat = Vec::new();
            for (k, v) in kvs {
                flat.push(build(iso, k));
                flat.push(build(iso, v));
            }
            let t = spindle_lang::vm::ops::table_from_pairs(&iso.heap, &flat);
            if matches!(s, Shape::Struct(_)) {
                iso.heap.strukt(t)
            } else {
                iso.heap.table(t)
            }
        }
    }
}

#[test]
fn printer_output_reads_back_equal() {
    let iso = RefCell::new(Isolate::with_stress(false));
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    runner
        .run(&shape(), |s| {
            let mut iso = iso.borrow_mut();
            let v = build(&mut iso, &s);
            let text = printer::describe(&iso, v);
            let mut r = Reader::new(text.as_bytes());
            let back = r
                .next_form(&mut iso.heap)
                .map_err(|e| TestCaseError::fail(format!("{:?} for {}", e, text)))?;
            let back = back.ok_or_else(|| TestCaseError::fail("no form"))?;
            // A symbol or tuple read back is data, compare structurally.
            prop_assert!(iso.heap.deep_equals(v, back), "round trip changed {}", text);
            Ok(())
        })
        .expect("round trip");
}

fn eval_num(iso: &mut Isolate, src: &str) -> Result<f64, String> {
    match iso.eval_str(src)? {
        Value::Num(n) => Ok(n),
        other => Err(format!("not a number: {:?}", other)),
    }
}

#[test]
fn integer_arithmetic_matches_rust() {
    let iso = RefCell::new(Isolate::with_stress(false));
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    runner
        .run(&(-100_000i64..100_000, -100_000i64..100_000), |(a, b)| {
            let mut iso = iso.borrow_mut();
            let mut check = |expr: String, want: i64| -> Result<(), TestCaseError> {
                let got = eval_num(&mut iso, &expr).map_err(TestCaseError::fail)?;
                prop_assert_eq!(got, want as f64, "{}", expr);
                Ok(())
            };
            check(format!("(+ {} {})", a, b), a + b)?;
            check(format!("(- {} {})", a, b), a - b)?;
            check(format!("(* {} {})", a, b), a * b)?;
            check(format!("(band {} {})", a, b), a & b)?;
            check(format!("(bor {} {})", a, b), a | b)?;
            check(format!("(bxor {} {})", a, b), a ^ b)?;
            check(format!("(do (var x {}) (+= x {}) x)", a, b), a + b)?;
            check(format!("((fn [p q] (- p q)) {} {})", a, b), a - b)?;
            if b != 0 {
                check(
                    format!("(div {} {})", a, b),
                    (a as f64 / b as f64).floor() as i64,
                )?;
                check(
                    format!("(mod {} {})", a, b),
                    a - b * (a as f64 / b as f64).floor() as i64,
                )?;
                check(format!("(% {} {})", a, b), a % b)?;
            }
            let lt = eval_num(&mut iso, &format!("(if (< {} {}) 1 0)", a, b))
                .map_err(TestCaseError::fail)?;
            prop_assert_eq!(lt, if a < b { 1.0 } else { 0.0 });
            Ok(())
        })
        .expect("arithmetic");
}
