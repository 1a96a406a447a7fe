// Any JSON as a plugin's answer to any function: enforcement normalizes or refuses, never panics,
// and what it answers is stable (enforcing the output again changes nothing).
//
// Shared by the cargo-fuzz target (fuzz/fuzz_targets/) and the replay test every `cargo test`
// runs (host/tests/fuzz_replay.rs): included as source, so it has no inner attributes.

use ponte_contract::{EnforceOptions, FUNCTIONS};

/// One input through the check: returns normally, or panics on a finding.
pub fn check(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else { return };
    let function = FUNCTIONS[usize::from(selector) % FUNCTIONS.len()].function;
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(json) else { return };
    let options = EnforceOptions::default();
    if let Ok(enforced) = ponte_contract::enforce_value(function, None, &raw, options) {
        let again = ponte_contract::enforce_value(function, None, &enforced.output, options)
            .expect("the contract's own output passes the contract");
        assert_eq!(again.output, enforced.output, "enforcement is not idempotent");
    }
}
