//! The fiscal-notes scenario every adapter of the shared fiscal dataset (`ponte_erp_sim::fiscal`:
//! PlugStorage, Oobj) must pass, written once: a tenant whose fiscal functions are that adapter's,
//! and the normal customer's notes listed normalized, newest first, filtered by dates in either
//! format, the company's note apart, nothing for an unknown CPF.

use ponte_erp_sim::fiscal;
use serde_json::{Value, json};

use crate::{TENANT, TestHost};

/// A tenant whose fiscal functions are served by `plugin`'s connection `fiscal`, with these
/// settings (a TOML inline-table body).
pub fn automation(plugin: &str, settings: &str) -> String {
    format!(
        "tenant = \"{TENANT}\"\nname = \"ACME Telecom\"\nallow_private = [\"127.0.0.1\"]\n\n\
         [connections.fiscal]\nplugin = \"{plugin}\"\ntimeout = \"5s\"\nsettings = {{ {settings} }}\n\n\
         [functions]\nlist_fiscal_notes = \"fiscal\"\nget_fiscal_note_pdf = \"fiscal\"\n"
    )
}

/// `{customer_document_number}`.
pub fn customer(document: &str) -> Value {
    json!({ "customer_document_number": document })
}

/// `list_fiscal_notes` with `input`, which must answer 200.
pub async fn list(host: &TestHost, input: Value) -> Vec<Value> {
    let (status, body) = host.call(&host.app_key, "list_fiscal_notes", input.clone()).await;
    assert_eq!(status, 200, "{input}: {body}");
    body.as_array().cloned().unwrap_or_default()
}

/// The listing scenario of the shared fiscal dataset.
pub async fn notes_are_listed_normalized_and_filtered(host: &TestHost) {
    let notes = list(host, customer(fiscal::CUSTOMER_CPF)).await;
    let keys: Vec<&str> = notes.iter().filter_map(|n| n["remote_id"].as_str()).collect();
    assert_eq!(
        keys,
        [fiscal::NOTE_MARIA_MARCH, fiscal::NOTE_MARIA_FEBRUARY, fiscal::NOTE_MARIA_CANCELLED],
        "newest first"
    );
    assert_eq!(
        notes[0],
        json!({
            "remote_id": fiscal::NOTE_MARIA_MARCH, "number": "1203", "series": "1", "access_key": fiscal::NOTE_MARIA_MARCH,
            "issued_at": "2026-03-31", "amount": "99.90", "status": "authorized",
        })
    );
    assert_eq!(notes[2]["status"], "cancelled");
    let march = list(
        host,
        json!({ "customer_document_number": fiscal::CUSTOMER_CPF_DIGITS, "from": "2026-02-01", "to": "31/03/2026" }),
    )
    .await;
    assert_eq!(march.len(), 2, "{march:?}");
    let company = list(host, customer(fiscal::COMPANY_CNPJ)).await;
    assert_eq!(
        (company.len(), company[0]["remote_id"].as_str(), company[0]["amount"].as_str()),
        (1, Some(fiscal::NOTE_COMPANY), Some("199.90"))
    );
    assert_eq!(list(host, customer(fiscal::UNKNOWN_CPF)).await, Vec::<Value>::new());
}
