//! Small conversions for building ERP requests and reading ERP answers, on top of the
//! contract's normalizers (the same ones the host applies to results, and the Rhai runtime's
//! helpers of the same names).
//!
//! Results don't need them: return the ERP's values as they come and the host normalizes.
//! Use them where the ERP needs a value in its own form (a masked CPF, a `dd/mm/yyyy` date),
//! or where the plugin decides on a value (comparing amounts, computing a date).

use ponte_contract::normalize::boleto::{Barcode, BoletoLine};
use ponte_contract::normalize::date;
use ponte_contract::normalize::document::Document;
use ponte_contract::normalize::money::{IntegerUnit, Money};

pub use crate::http::basic_auth;

/// A JSON value as text, the way ERPs' loosely typed answers need reading: strings trimmed,
/// numbers with their exact text, booleans as `true`/`false`, anything else (`null`, absent,
/// objects) as `""`.
pub fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The array at `key` of `value` (absent or `null` → empty).
pub fn array<'a>(value: &'a serde_json::Value, key: &str) -> &'a [serde_json::Value] {
    value[key].as_array().map_or(&[], Vec::as_slice)
}

/// The contract's text helpers, the same the Rhai prelude offers: [`document_key`] (a CPF/CNPJ
/// reduced to its upper-cased letters and digits, to compare an ERP's masked form with the
/// host's normalized input), [`says_not_found`] (a Brazilian ERP's refusal saying the record
/// doesn't exist: for lookups, an unknown record, not an error), [`clean`] (HTML stripped,
/// entities decoded, whitespace collapsed), [`fold`] (lower case without accents) and
/// [`shorten`].
pub use ponte_contract::text::{clean, document_key, fold, says_not_found, shorten};

/// `text` percent-encoded for a path segment or a query value (RFC 3986's unreserved bytes
/// kept, a space as `%20`), the Rhai prelude's `url_encode`: the contract crate's.
pub use ponte_contract::text::url_encode;

/// The ASCII digits of `text` (`"714.602.380-01"` → `"71460238001"`).
pub fn only_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// A CPF or CNPJ with its mask (`"71460238001"` → `"714.602.380-01"`, `"12ABC34501DE35"` →
/// `"12.ABC.345/01DE-35"`), or `None` when the check digits are wrong.
pub fn format_document(text: &str) -> Option<String> {
    Document::parse(text).ok().map(|d| d.formatted())
}

/// A date in any form ERPs send (`10/04/2026`, `2026-04-10 00:00:00`, ...) as `YYYY-MM-DD`,
/// or `None` when it is not a date.
pub fn iso_date(text: &str) -> Option<String> {
    date::parse_date(text).ok().map(date::format_date)
}

/// The `YYYY-MM-DD` day in Brasília of an RFC 3339 instant (a payment at
/// `2026-03-06T01:30:00Z` is booked on March 5), or `None` when it is no instant with an offset.
pub fn brasilia_date(instant: &str) -> Option<String> {
    date::brasilia_date(instant).ok().map(date::format_date)
}

/// A date in any form ERPs send as `dd/mm/yyyy`, or `None` when it is not a date.
pub fn date_br(text: &str) -> Option<String> {
    date::parse_date(text).ok().map(|d| d.format("%d/%m/%Y").to_string())
}

/// An amount in any form ERPs send (`"1.234,50"`, `"R$ 1.234,50"`, `1234.5` as JSON) as
/// `"1234.50"`, or `None` when it is not an amount. JSON integers are reais.
pub fn money(value: &serde_json::Value) -> Option<String> {
    Money::from_json(value, IntegerUnit::Reais).ok().map(|m| m.to_string())
}

/// The 47/48-digit boleto line of a 44-digit barcode (punctuation ignored), or `None` when it
/// is not a valid barcode.
pub fn boleto_line_from_barcode(barcode: &str) -> Option<String> {
    Barcode::parse(barcode).ok().map(|b| BoletoLine::from_barcode(&b).as_str().to_owned())
}

/// `bytes` in standard base64 without line breaks, the form the contract's PDFs take
/// (`Pdf { base_64 }`); the Rhai prelude's `base64_encode`.
pub fn base64_encode(bytes: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The 44-digit barcode of a 47/48-digit boleto line, or `None` when it is not a valid line.
pub fn barcode_from_boleto_line(line: &str) -> Option<String> {
    BoletoLine::parse(line).ok().map(|l| l.to_barcode().as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_pieces_and_base64() {
        assert_eq!(url_encode("5001/a b"), "5001%2Fa%20b");
        assert_eq!(base64_encode(b"%PDF-1.4\n"), "JVBERi0xLjQK");
        assert_eq!(base64_encode(""), "");
    }

    #[test]
    fn documents_dates_and_money() {
        assert_eq!(only_digits("714.602.380-01"), "71460238001");
        assert_eq!(format_document("71460238001").as_deref(), Some("714.602.380-01"));
        assert_eq!(format_document("12ABC34501DE35").as_deref(), Some("12.ABC.345/01DE-35"));
        assert_eq!(format_document("71460238002"), None);
        assert_eq!(iso_date("10/04/2026").as_deref(), Some("2026-04-10"));
        assert_eq!(date_br("2026-04-10").as_deref(), Some("10/04/2026"));
        assert_eq!(iso_date("soon"), None);
        assert_eq!(money(&json!("R$ 1.234,50")).as_deref(), Some("1234.50"));
        assert_eq!(money(&json!(99.9)).as_deref(), Some("99.90"));
        assert_eq!(money(&json!("abc")), None);
    }

    #[test]
    fn boleto_line_and_barcode_round_trip() {
        // A Banco do Brasil boleto (the contract's test table).
        let line = "00190000090294172501801726802174393850000021960";
        let barcode = barcode_from_boleto_line(line).expect("valid line");
        assert_eq!(barcode, "00193938500000219600000002941725010172680217");
        assert_eq!(boleto_line_from_barcode(&barcode).as_deref(), Some(line));
        assert_eq!(boleto_line_from_barcode("123"), None);
    }
}
