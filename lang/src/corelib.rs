//! The native core library, one file per module.
//!
//! How to add a module: create `corelib/<name>.rs` with
//! `pub fn register(env: &mut Env)` and call `env.native("name", doc, f)` for
//! each function (`env.intrinsic` when the compiler may inline it), then add
//! one line to `register_all`. A native is a plain `fn(&mut Isolate,
//! &[Value]) -> Result<Value, Flow>`; it may allocate freely (no collection
//! happens until it returns) and asks the VM for control flow (errors,
//! signals, resuming fibers, tail calls) through `Flow`. Natives that call
//! user code should instead be written in the prelude, so that code can
//! suspend.

pub mod args;
mod arrays;
mod buffers;
mod data;
mod ev_chan;
mod ev_files;
mod ev_futex;
mod ev_lock;
mod ev_sync;
mod ev_sync_gates;
mod ev_sync_locks;
mod ev_sync_queue;
mod ev_task;
mod fibers;
mod file_run;
mod files;
mod format;
mod int64;
mod int64_ops;
mod io;
mod marshal;
mod math;
mod meta;
pub mod modules;
mod net;
mod net_addr;
mod net_opts;
mod net_tcp;
mod net_udp;
mod net_unix;
mod numbers;
mod operators;
mod os;
mod output;
pub mod parser;
pub mod pretty;
mod process;
pub mod registry;
mod spawn;
mod stdin;
pub mod stdout;
mod strings;

pub use registry::Env;

/// Registers every core module into `iso`'s root environment.
pub fn register_all(iso: &mut crate::isolate::Isolate) {
    let mut env = Env { iso };
    math::register(&mut env);
    data::register(&mut env);
    fibers::register(&mut env);
    io::register(&mut env);
    meta::register(&mut env);
    lib_register(&mut env);
    ev_task::register(&mut env);
    ev_chan::register(&mut env);
    // Before `net`, whose stream method table refers to these natives.
    net_addr::register(&mut env);
    net_udp::register(&mut env);
    net_opts::register(&mut env);
    net_tcp::register(&mut env);
    net::register(&mut env);
    ev_futex::register(&mut env);
    ev_lock::register(&mut env);
    ev_files::register(&mut env);
    process::register(&mut env);
    spawn::register(&mut env);
    ev_sync::register(&mut env);
}

/// The library modules of issue 6 (after the engine's, replacing some).
fn lib_register(env: &mut Env) {
    strings::register(env);
    buffers::register(env);
    arrays::register(env);
    numbers::register(env);
    files::register(env);
    output::register(env);
    format::register(env);
    os::register(env);
    parser::register(env);
    modules::register(env);
    marshal::register(env);
    int64::register(env);
}
