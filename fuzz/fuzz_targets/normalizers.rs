//! Any text through every normalizer: a value or an error, never a panic; money that parses
//! prints to text that parses to the same amount.
#![no_main]

include!("../checks/normalizers.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
