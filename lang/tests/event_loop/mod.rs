//! Shared by the tests that run a program on the event loop and then look
//! inside the isolate it leaves behind.

use spindle_lang::ev::EvRun;
use spindle_lang::Isolate;
use spindle_rt::{IoDriver, Runtime};

/// Runs `src` (named `name`) on the event loop of a one-worker runtime
/// until nothing can run, with output captured, and returns the isolate.
/// Panics if the program fails.
pub fn run_to_end(src: &str, name: &str) -> Isolate {
    let rt = Runtime::builder()
        .workers(1)
        .io(IoDriver::Epoll)
        .build()
        .expect("runtime");
    let src = src.as_bytes().to_vec();
    let name = name.to_string();
    let fin = rt.block_on(async move {
        let mut iso = Isolate::with_stress(false);
        iso.capture = Some(Vec::new());
        EvRun::new(iso, src, &name, Vec::new()).await
    });
    assert!(fin.result.is_ok(), "program failed: {:?}", fin.result.err());
    fin.iso
}
