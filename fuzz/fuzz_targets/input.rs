//! Any bytes as the body of any function: validation answers a value or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ponte_contract::FUNCTIONS;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let function = FUNCTIONS[usize::from(selector) % FUNCTIONS.len()].function;
    if let Ok(input) = ponte_contract::validate_input_json(function, body) {
        // What passed validation passes it again unchanged (the host hashes it for idempotency).
        let again = ponte_contract::validate_input_json(function, input.to_string().as_bytes());
        assert_eq!(again.as_ref().ok(), Some(&input), "validated input does not validate to itself");
    }
});
