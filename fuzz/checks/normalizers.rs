// Any text through every normalizer: a value or an error, never a panic; money that parses
// prints to text that parses to the same amount.
//
// Shared by the cargo-fuzz target (fuzz/fuzz_targets/) and the replay test every `cargo test`
// runs (host/tests/fuzz_replay.rs): included as source, so it has no inner attributes.

use ponte_contract::normalize::{access_key, boleto, contact, date, document, money, pix};

/// One input through the check: returns normally, or panics on a finding.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = document::Document::parse(text);
    let _ = boleto::BoletoLine::parse(text);
    let _ = boleto::Barcode::parse(text);
    let _ = pix::PixCode::parse(text);
    let _ = access_key::AccessKey::parse(text);
    let _ = date::parse_date(text);
    let _ = date::parse_datetime(text);
    let _ = contact::normalize_phone(text);
    let _ = contact::normalize_email(text);
    if let Ok(amount) = money::Money::parse(text) {
        assert_eq!(money::Money::parse(&amount.to_string()).ok(), Some(amount), "money does not round-trip");
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = money::Money::from_json(&value, money::IntegerUnit::Reais);
        let _ = money::Money::from_json(&value, money::IntegerUnit::Cents);
        let _ = date::date_from_json(&value);
    }
}
