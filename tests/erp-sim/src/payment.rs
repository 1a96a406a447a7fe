//! Payment artefacts every simulator hands out: money in the ERPs' text forms, valid bank
//! boleto lines and valid PIX "copia e cola" codes (built with the contract crate's own
//! arithmetic, so what the host verifies is exactly what was generated).

use chrono::NaiveDate;
use ponte_contract::normalize::boleto::{Barcode, BoletoLine};
use ponte_contract::normalize::pix::crc16_ccitt;

/// `2600` → `"26.00"`: how ERPs write money in listings.
pub(crate) fn cents_dot(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Money as a JSON number in its shortest form, as PHP's `json_encode` or Jackson print a decimal
/// field: `9990` → `99.9`, `3000` → `30`, `1234` → `12.34`. Built from the text, never a float.
pub(crate) fn json_money(cents: u64) -> serde_json::Value {
    let whole = cents / 100;
    let fraction = cents % 100;
    let text = match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    };
    text.parse::<serde_json::Number>().map_or_else(|_| serde_json::Value::from(whole), serde_json::Value::Number)
}

/// `2600` → `"26,00"`: Brazilian form, as printed on boletos and in some action answers.
pub(crate) fn cents_comma(cents: u64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

/// Parses money as ERPs accept it in requests: `"26.00"`, `"26"`, `"0,20"`, `"1.234,50"`,
/// `"1234.5"`. At most two decimals; no sign, no currency symbol. `None` when it isn't one of
/// those forms.
pub(crate) fn parse_cents(input: &str) -> Option<u64> {
    let text = input.trim();
    let (whole, fraction) = if text.contains(',') {
        // Brazilian: dots group thousands, the comma is the decimal separator.
        let (whole, fraction) = text.split_once(',')?;
        if fraction.contains(',') || !valid_grouping(whole) {
            return None;
        }
        (whole.replace('.', ""), fraction)
    } else {
        match text.split_once('.') {
            Some((whole, fraction)) => (whole.to_owned(), fraction),
            None => (text.to_owned(), ""),
        }
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: u64 = whole.parse().ok()?;
    let fraction_cents: u64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<u64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    units.checked_mul(100)?.checked_add(fraction_cents)
}

/// `"1.234"` or `"1234"` (digits, optionally in groups of three separated by dots).
fn valid_grouping(whole: &str) -> bool {
    if !whole.contains('.') {
        return true;
    }
    let mut groups = whole.split('.');
    let first = groups.next().unwrap_or_default();
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

/// A bank boleto: its barcode and "linha digitável", both valid.
#[derive(Debug, Clone)]
pub(crate) struct BankBoleto {
    /// The 44-digit barcode.
    pub barcode: String,
    /// The 47-digit line in its printed form (`00190.00009 ...`).
    pub line_formatted: String,
}

/// Builds a valid bank boleto. `free_field` must be 25 digits and `due` inside the current
/// due-factor window (2025-02-22 .. 2049-10-13); the simulators' data guarantees both.
pub(crate) fn bank_boleto(bank_code: &str, due: NaiveDate, amount_cents: u64, free_field: &str) -> Option<BankBoleto> {
    let barcode = Barcode::build_bank(bank_code, Some(due), amount_cents, free_field).ok()?;
    let line = BoletoLine::from_barcode(&barcode);
    Some(BankBoleto { barcode: barcode.as_str().to_owned(), line_formatted: line.formatted() })
}

/// What goes into a PIX BR Code.
#[derive(Debug, Clone)]
pub(crate) struct PixSpec<'a> {
    /// Dynamic code: payload location without scheme (`pix.example.com/qr/v2/...`).
    pub location: &'a str,
    /// Receiver name, at most 25 characters.
    pub merchant_name: &'a str,
    /// Receiver city, at most 15 characters.
    pub merchant_city: &'a str,
}

/// A dynamic PIX "copia e cola" (EMV BR Code) pointing at `spec.location`, with its CRC16.
/// The amount and txid of a dynamic code live in the payload behind the location, so field
/// 54 is absent and field 62's txid is `***`, as banks issue them.
pub(crate) fn pix_copia_e_cola(spec: &PixSpec<'_>) -> String {
    let account = tlv("00", "br.gov.bcb.pix") + &tlv("25", spec.location);
    let mut payload = String::new();
    payload.push_str(&tlv("00", "01"));
    // 12: the code may be paid once (dynamic).
    payload.push_str(&tlv("01", "12"));
    payload.push_str(&tlv("26", &account));
    payload.push_str(&tlv("52", "0000"));
    payload.push_str(&tlv("53", "986"));
    payload.push_str(&tlv("58", "BR"));
    payload.push_str(&tlv("59", &truncate(spec.merchant_name, 25)));
    payload.push_str(&tlv("60", &truncate(spec.merchant_city, 15)));
    payload.push_str(&tlv("62", &tlv("05", "***")));
    payload.push_str("6304");
    let crc = crc16_ccitt(payload.as_bytes());
    payload.push_str(&format!("{crc:04X}"));
    payload
}

/// One EMV TLV field: 2-digit id, 2-digit length in characters, value.
fn tlv(id: &str, value: &str) -> String {
    format!("{id}{:02}{value}", value.chars().count())
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ponte_contract::normalize::pix::PixCode;

    #[test]
    fn money_accepts_dot_and_comma_forms() {
        assert_eq!(parse_cents("26.00"), Some(2600));
        assert_eq!(parse_cents("0,20"), Some(20));
        assert_eq!(parse_cents("1.234,50"), Some(123_450));
        assert_eq!(parse_cents("1234.5"), Some(123_450));
        assert_eq!(parse_cents(" 99 "), Some(9900));
        for bad in ["", "abc", "1,2,3", "12.345.6,00", "-1.00", "1.234", "R$ 10,00", "1,234"] {
            assert!(parse_cents(bad).is_none(), "{bad:?} should not parse");
        }
        assert_eq!(cents_dot(2600), "26.00");
        assert_eq!(cents_comma(20), "0,20");
    }

    #[test]
    fn boleto_line_is_valid_and_carries_amount_and_due_date() {
        let due = NaiveDate::from_ymd_opt(2026, 4, 10).expect("valid date");
        let boleto = bank_boleto("001", due, 9990, "0000003128557000000100117").expect("buildable");
        let line = BoletoLine::parse(&boleto.line_formatted).expect("valid line");
        assert_eq!(line.amount_cents(), Some(9990));
        assert_eq!(line.due_date(), Some(due));
        assert_eq!(line.to_barcode().as_str(), boleto.barcode);
    }

    #[test]
    fn pix_code_parses_with_valid_crc() {
        let code = pix_copia_e_cola(&PixSpec {
            location: "pix.sim.ponte.invalid/qr/v2/cobv/0123456789abcdef",
            merchant_name: "PONTE DEMO TELECOM LTDA EXTRA LONG NAME",
            merchant_city: "SAO PAULO",
        });
        let pix = PixCode::parse(&code).expect("valid BR Code");
        assert_eq!(pix.url(), Some("pix.sim.ponte.invalid/qr/v2/cobv/0123456789abcdef"));
        assert_eq!(pix.merchant_name().chars().count(), 25);
        assert_eq!(pix.txid(), Some("***"));
    }
}
