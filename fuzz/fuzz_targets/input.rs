//! Any bytes as the body of any function: validation answers a value or an error, never panics.
#![no_main]

include!("../checks/input.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
