//! Fuzz target: the reader and the compiler must never panic, whatever the
//! input. Each form that reads is compiled (macros expand, so a little code
//! runs); nothing is executed beyond macro expansion.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spindle_lang::compiler::compile_thunk;
use spindle_lang::reader::Reader;
use spindle_lang::Isolate;
use std::cell::RefCell;

thread_local! {
    static ISO: RefCell<(Isolate, u32)> = RefCell::new((Isolate::with_stress(false), 0));
}

/// True when enough garbage has piled up to collect (nothing runs between inputs).
fn guard_tick(iso: &Isolate) -> bool {
    iso.heap.debt > 100_000
}

fuzz_target!(|data: &[u8]| {
    ISO.with(|iso| {
        let mut guard = iso.borrow_mut();
        // Compiled prototypes live as long as their isolate: start afresh
        // now and then so memory stays bounded.
        guard.1 += 1;
        if guard.1 % 2000 == 0 {
            guard.0 = Isolate::with_stress(false);
        }
        let iso = &mut guard.0;
        if guard_tick(iso) {
            iso.collect_now();
        }
        let mut reader = Reader::new(data);
        for _ in 0..64 {
            match reader.next_form(&mut iso.heap) {
                Ok(Some(form)) => {
                    let env = iso.env;
                    let _ = compile_thunk(iso, form, env, "fuzz".into());
                }
                _ => break,
            }
        }
    });
});
