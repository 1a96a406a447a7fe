//! What identifies a request: the SHA-256 of a function and its validated input in canonical
//! JSON. Idempotency keys compare it (the same key with another input is a conflict) and the
//! read cache keys its entries by it, so `"714.602.380-01"` and `"71460238001"`, or the same
//! fields in another order, are the same request to both.

use ponte_contract::Function;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash that tells "the same request" from another: SHA-256 (hex) of the function's name
/// and its validated input in canonical JSON.
pub fn request_hash(function: Function, input: &Value) -> String {
    let mut text = String::from(function.as_str());
    text.push('\n');
    canonical(input, &mut text);
    hex(&Sha256::digest(text.as_bytes()))
}

/// The customer a validated input names (its `customer_document_number`), if any.
pub fn customer_of(input: &Value) -> Option<&str> {
    input.get("customer_document_number").and_then(Value::as_str).filter(|document| !document.is_empty())
}

/// SHA-256 (hex) of a tenant and a customer's document (punctuation and case aside): how the
/// read cache and the invocation log name a customer without keeping the document.
pub fn customer_digest(tenant: &str, document: &str) -> String {
    let document = ponte_contract::text::document_key(document);
    hex(&Sha256::new().chain_update(tenant).chain_update([0]).chain_update(document).finalize())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Writes `value` as JSON with object keys sorted and no whitespace, whatever order it was
/// built or sent in.
pub(crate) fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
