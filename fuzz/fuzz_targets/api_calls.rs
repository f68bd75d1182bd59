//! Random bytes as a program of C API calls (tests/api_program/mod.rs): no input may crash, abort,
//! hang, leak or make a call return DEEPTRACK_STATUS_PANIC.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/api_program/mod.rs"]
mod api_program;

fuzz_target!(|data: &[u8]| {
    api_program::Machine::run(data);
});
