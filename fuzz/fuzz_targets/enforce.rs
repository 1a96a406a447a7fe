//! Any JSON as a plugin's answer to any function: enforcement normalizes or refuses, never panics,
//! and what it answers is stable (enforcing the output again changes nothing).
#![no_main]

include!("../checks/enforce.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
