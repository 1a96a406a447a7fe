// Any bytes as the body of any function: validation answers a value or an error, never panics.
//
// Shared by the cargo-fuzz target (fuzz/fuzz_targets/) and the replay test every `cargo test`
// runs (host/tests/fuzz_replay.rs): included as source, so it has no inner attributes.

use ponte_contract::FUNCTIONS;

/// One input through the check: returns normally, or panics on a finding.
pub fn check(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else { return };
    let function = FUNCTIONS[usize::from(selector) % FUNCTIONS.len()].function;
    if let Ok(input) = ponte_contract::validate_input_json(function, body) {
        // What passed validation passes it again unchanged (the host hashes it for idempotency).
        let again = ponte_contract::validate_input_json(function, input.to_string().as_bytes());
        assert_eq!(again.as_ref().ok(), Some(&input), "validated input does not validate to itself");
    }
}
