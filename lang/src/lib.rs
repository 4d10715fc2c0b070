//! spindle-lang: Spindle's Janet dialect — reader, compiler, stackless VM,
//! per-isolate GC, fibers and signals, and the core library.
//!
//! # Pipeline
//! `reader` turns source bytes into values (tuples carry line/column).
//! The `compiler` takes one top-level form at a time, expands macros as it
//! meets them (running them in the VM, so the whole language is available),
//! resolves symbols (locals, captures, globals — global `def`s are inlined as
//! constants as in Janet) and emits register bytecode (`bytecode::Op`, 8
//! bytes each) into a `Proto`. `eval` runs each compiled thunk on a fresh
//! fiber before compiling the next form. The `vm` executes bytecode: a
//! small fast lane (`vm::fast`: register arithmetic, compare-and-jump,
//! closure calls and returns, `%` of numbers and number-key `get`/`put` on
//! tables, kept small so its state stays in machine registers; hot code runs
//! it over a fixed 256-register window with unchecked register indexing)
//! hands every other instruction to the general loop (`vm::interp`), which
//! hands natives, signals and collections to the outer loop (`vm::run`).
//! Numbers are f64; the compiler inlines the core arithmetic/comparison
//! natives when a call names them (`Intrinsic`; `%` and `put` become
//! register instructions whose slow paths are their natives' own; operands
//! are the arguments' values in evaluation order), fuses compares with
//! jumps (also against small immediates), turns the counted-loop tail
//! `i = i + 1; if i < n` into one `IncJmpLt` (`NumLoop` when the body is
//! straight-line arithmetic, which the fast lane may run unboxed), binds a
//! `for` variable to the hidden counter's register, compiles a function's
//! exact-arity call of itself as `CallSelf`, and drops the value of a form
//! evaluated for effect.
//!
//! # Heap and GC invariant
//! Each isolate owns one `Heap` of typed arenas; a `Value` (16 bytes, `Copy`)
//! refers to heap objects by index. The collector is precise mark-sweep and
//! runs **only at VM safe points** (after allocating instructions, after a
//! native returns, at calls/backward jumps when debt is due), never inside
//! an allocation — so Rust code between safe points may hold unrooted values.
//! Roots: the running registers and frames, every fiber reachable from the
//! running chain, the root environment, all prototype constants, the explicit
//! `Isolate::roots` stack and the fibers saved by nested Rust-level runs.
//! Compilation inhibits collection. The heap is safe Rust (no `unsafe`), so
//! the isolate is `Send`. `SPINDLE_GC_STRESS=1` (or feature `gc-stress`)
//! collects at every safe point that follows an allocation.
//!
//! # How a fiber suspends
//! A fiber's registers (`stack`) and call frames live on the heap in its
//! fiber object; while it runs they are moved into the isolate. Language
//! calls push a `Frame` and stay in the dispatch loop (`vm::interp`), never
//! recursing in Rust. `yield`, `resume`, `signal`, `error`, `cancel` are
//! natives that return a `Flow`; the outer loop (`vm::run`) saves the
//! running fiber (its `pc` is already saved) and switches (`vm::switch`). A
//! signal the resumer's mask does not catch propagates up the parent chain;
//! at the boundary the run returns an `Outcome` to Rust. Fuel is charged on
//! calls and backward jumps; with `preempt` set (see `eval::Program`) running
//! out of fuel returns `Outcome::Fuel` and the future yields to its worker.
//! Core functions that call user code (`map`, `filter`, `reduce`, `sort`,
//! `each`) are written in the prelude, so user code can always suspend.
//!
//! # Adding native modules
//! See `corelib`: one file per module with `register(&mut Env)`.

pub mod boot;
pub mod bytecode;
pub mod compiler;
pub mod corelib;
pub mod equality;
pub mod ev;
pub mod eval;
pub mod fiber;
pub mod gc;
pub mod heap;
pub mod image;
pub mod isolate;
pub mod objects;
pub mod printer;
pub mod reader;
pub mod repl;
pub mod symbols;
pub mod table;
pub mod trace;
pub mod value;
pub mod vm;

pub use eval::Program;
pub use isolate::{Flow, Isolate, NativeFn};
pub use value::{Signal, Value};
pub use vm::Outcome;
