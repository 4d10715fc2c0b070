//! spindle-lang micro-benchmarks: interpreter speed (fib, a counted loop),
//! call overhead through closures, fiber switch cost (yield/resume ping
//! pong, also under deep stacks), isolate boot (the `spindle -e nil` floor) and compile speed.
//! Lua/LuaJIT/Python peers live in perf/ (whole-process wall time); these
//! isolate the engine's own costs.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spindle_lang::{Isolate, Value};

fn prepared(src: &str) -> (Isolate, Value) {
    let mut iso = Isolate::with_stress(false);
    let f = iso.eval_str(src).expect("prepare");
    (iso, f)
}

fn interp(c: &mut Criterion) {
    let mut g = c.benchmark_group("interp");
    let (mut iso, fib) =
        prepared("(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) fib");
    g.bench_function("fib_20", |b| {
        b.iter(|| iso.call(fib, &[Value::Num(20.0)]).expect("fib"))
    });
    let (mut iso, sum) =
        prepared("(defn loop-sum [n] (var s 0) (for i 1 (+ n 1) (+= s i)) s) loop-sum");
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("loop_sum_100k", |b| {
        b.iter(|| iso.call(sum, &[Value::Num(100_000.0)]).expect("sum"))
    });
    g.finish();
}

fn closures(c: &mut Criterion) {
    let mut g = c.benchmark_group("closures");
    let (mut iso, f) = prepared(
        "(defn run [n] (var acc 0) (def add (fn [x] (+= acc x))) (for i 0 n (add i)) acc) run",
    );
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("upvalue_calls_10k", |b| {
        b.iter(|| iso.call(f, &[Value::Num(10_000.0)]).expect("run"))
    });
    let (mut iso, f) = prepared("(defn run [n] (reduce + 0 (map inc (range n)))) run");
    g.bench_function("map_reduce_1k", |b| {
        b.iter(|| iso.call(f, &[Value::Num(1000.0)]).expect("run"))
    });
    g.finish();
}

fn fibers(c: &mut Criterion) {
    let mut g = c.benchmark_group("fibers");
    let (mut iso, f) = prepared(
        "(defn run [n] (def gen (fiber/new (fn [] (var i 0) (while true (yield i) (++ i)))))
           (var last nil) (for i 0 n (set last (resume gen))) last) run",
    );
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("yield_resume_10k", |b| {
        b.iter(|| iso.call(f, &[Value::Num(10_000.0)]).expect("run"))
    });
    // The same ping-pong with 200 frames under both fibers: a switch must
    // not cost O(stack depth).
    let (mut iso, f) = prepared(
        "(defn deep [n f] (if (= n 0) (f) (+ 0 (deep (- n 1) f))))
         (defn run [n]
           (def gen (fiber/new (fn [] (deep 200 (fn [] (var i 0) (while true (yield i) (++ i)))))))
           (deep 200 (fn [] (var last nil) (for i 0 n (set last (resume gen))) last))) run",
    );
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("yield_resume_deep_10k", |b| {
        b.iter(|| iso.call(f, &[Value::Num(10_000.0)]).expect("run"))
    });
    let (mut iso, f) = prepared("(defn run [n] (for i 0 n (try (error i) ([e] e)))) run");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("try_error_1k", |b| {
        b.iter(|| iso.call(f, &[Value::Num(1000.0)]).expect("run"))
    });
    g.finish();
}

fn boot_and_compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("boot");
    g.sample_size(20);
    g.bench_function("isolate_new", |b| b.iter(|| Isolate::with_stress(false)));
    let mut iso = Isolate::with_stress(false);
    let src =
        "(defn f [x] (loop [i :range [0 x] :when (odd? i)] (print i)) (let [[a b] [1 2]] (+ a b)))";
    g.bench_function("compile_defn", |b| {
        b.iter(|| iso.eval_str(src).expect("compile"))
    });
    g.finish();
}

criterion_group!(benches, interp, closures, fibers, boot_and_compile);
criterion_main!(benches);
