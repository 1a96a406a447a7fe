//! Any text as a plugin manifest and as a tenant's automation file: every problem is a
//! configuration error with its place, never a panic.
#![no_main]

include!("../checks/config.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
