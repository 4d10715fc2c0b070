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
    static ISO: RefCell<Isolate> = RefCell::new(Isolate::with_stress(false));
}

fuzz_target!(|data: &[u8]| {
    ISO.with(|iso| {
        let mut iso = iso.borrow_mut();
        let mut reader = Reader::new(data);
        for _ in 0..64 {
            match reader.next_form(&mut iso.heap) {
                Ok(Some(form)) => {
                    let env = iso.env;
                    let _ = compile_thunk(&mut iso, form, env, "fuzz".into());
                }
                _ => break,
            }
        }
    });
});
