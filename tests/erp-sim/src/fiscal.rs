//! The fiscal notes the provider ([`PROVIDER_CNPJ`]) issued to the same people every simulator
//! serves ([`crate::people`]), each with its XML and a PDF (DANFE / DANFE-COM): one dataset for
//! every fiscal-document service simulated here (PlugStorage, Oobj), so one set of expectations
//! holds for every fiscal adapter.
//!
//! | id | key (model) | customer | issued | amount | situation |
//! |---|---|---|---|---|---|
//! | 7001 | [`NOTE_MARIA_MARCH`] (NFCom 62) | [`CUSTOMER_CPF`] | 2026-03-31 | 99.90 | AUTORIZADA |
//! | 7002 | [`NOTE_MARIA_FEBRUARY`] (NFCom 62) | [`CUSTOMER_CPF`] | 2026-02-28 | 99.90 | AUTORIZADA |
//! | 7003 | [`NOTE_COMPANY`] (NF-e 55) | [`COMPANY_CNPJ`] | 2026-04-15 | 199.90 | AUTORIZADA |
//! | 7004 | [`NOTE_MARIA_CANCELLED`] (NFCom 62) | [`CUSTOMER_CPF`] | 2026-01-31 | 99.90 | CANCELADA |
//! | 7005 | [`NOTE_BLOCKED`] (NFCom 62) | [`BLOCKED_CUSTOMER_CPF`] | 2026-03-31 | 129.90 | AUTORIZADA |
//!
//! Each service shows them in its own shapes (`plugstorage/data.rs`, `oobj.rs`).

pub use crate::people::{
    BLOCKED_CUSTOMER_CPF, BLOCKED_CUSTOMER_CPF_DIGITS, COMPANY_CNPJ, COMPANY_CNPJ_DIGITS, CUSTOMER_CPF,
    CUSTOMER_CPF_DIGITS, CUSTOMER_NAME, PROVIDER_CNPJ, PROVIDER_CNPJ_DIGITS, PROVIDER_NAME, UNKNOWN_CPF,
};

/// Maria's NFCom of March (7001).
pub const NOTE_MARIA_MARCH: &str = "35260345123456000187620010000012031010700100";
/// Maria's NFCom of February (7002).
pub const NOTE_MARIA_FEBRUARY: &str = "35260245123456000187620010000011041010700206";
/// The company's NF-e (7003).
pub const NOTE_COMPANY: &str = "35260445123456000187550010000000881010700309";
/// Maria's cancelled NFCom of January (7004).
pub const NOTE_MARIA_CANCELLED: &str = "35260145123456000187620010000010051010700409";
/// The blocked customer's NFCom (7005).
pub const NOTE_BLOCKED: &str = "35260345123456000187620010000012101010700504";

/// One issued fiscal document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The service's id of the document (PlugStorage pages on it with `last_id`; Oobj lists it
    /// as `id`).
    pub id: u64,
    /// The 44-digit access key.
    pub key: String,
    /// Model: 55 (NF-e), 62 (NFCom).
    pub model: u8,
    /// Number (`nNF`).
    pub number: u32,
    /// Series.
    pub series: u16,
    /// Issue date, ISO.
    pub issued: &'static str,
    /// Total, cents.
    pub cents: u64,
    /// `AUTORIZADA` or `CANCELADA`.
    pub situation: &'static str,
    /// The customer's document (digits, or the alphanumeric CNPJ).
    pub dest_document: &'static str,
    /// The customer's name.
    pub dest_name: &'static str,
}

/// Builds a valid access key: cUF 35 (SP), year-month of `issued`, the provider's CNPJ,
/// `model`, `series`, `number`, tpEmis 1, a numeric code from `id`, and the check digit.
pub fn access_key(id: u64, issued: &str, model: u8, series: u16, number: u32) -> String {
    let year_month: String = issued.chars().filter(char::is_ascii_digit).skip(2).take(4).collect();
    let base =
        format!("35{year_month}{PROVIDER_CNPJ_DIGITS}{model:02}{series:03}{number:09}1{:08}", 1_000_000 + id * 10);
    let digit = check_digit(&base);
    format!("{base}{digit}")
}

/// Modulus 11 over the 43 characters, weights 2..9 from the right (each character valued as
/// its ASCII code minus 48, as the contract's `AccessKey` reads it).
fn check_digit(base: &str) -> u32 {
    let sum: u32 =
        base.bytes().rev().enumerate().map(|(i, b)| u32::from(b.saturating_sub(b'0')) * (2 + (i as u32 % 8))).sum();
    match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    }
}

/// Every note, oldest id first.
pub fn notes() -> Vec<Note> {
    let note = |id, model, number, issued, cents, situation, dest_document, dest_name| Note {
        id,
        key: access_key(id, issued, model, 1, number),
        model,
        number,
        series: 1,
        issued,
        cents,
        situation,
        dest_document,
        dest_name,
    };
    vec![
        note(7001, 62, 1203, "2026-03-31", 9990, "AUTORIZADA", CUSTOMER_CPF_DIGITS, CUSTOMER_NAME),
        note(7002, 62, 1104, "2026-02-28", 9990, "AUTORIZADA", CUSTOMER_CPF_DIGITS, CUSTOMER_NAME),
        note(7003, 55, 88, "2026-04-15", 19990, "AUTORIZADA", COMPANY_CNPJ_DIGITS, "Padaria Pão de Mel Ltda"),
        note(7004, 62, 1005, "2026-01-31", 9990, "CANCELADA", CUSTOMER_CPF_DIGITS, CUSTOMER_NAME),
        note(7005, 62, 1210, "2026-03-31", 12990, "AUTORIZADA", BLOCKED_CUSTOMER_CPF_DIGITS, "Carlos Eduardo Lima"),
    ]
}

/// The note's XML (a trimmed NF-e / NFCom with what a reader needs: ids, dates, parties, total).
pub fn xml(note: &Note) -> String {
    let (root, inf, ns) = if note.model == 55 {
        ("nfeProc", "infNFe", "http://www.portalfiscal.inf.br/nfe")
    } else {
        ("nfcomProc", "infNFCom", "http://www.portalfiscal.inf.br/nfcom")
    };
    let prefix = if note.model == 55 { "NFe" } else { "NFCom" };
    let dest_tag = if note.dest_document.len() == 11 { "CPF" } else { "CNPJ" };
    let total = crate::payment::cents_dot(note.cents);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><{root} xmlns=\"{ns}\"><{prefix}><{inf} Id=\"{prefix}{key}\">\
         <ide><cUF>35</cUF><mod>{model}</mod><serie>{series}</serie><nNF>{number}</nNF>\
         <dhEmi>{issued}T10:00:00-03:00</dhEmi></ide>\
         <emit><CNPJ>{PROVIDER_CNPJ_DIGITS}</CNPJ><xNome>{PROVIDER_NAME}</xNome></emit>\
         <dest><{dest_tag}>{doc}</{dest_tag}><xNome>{name}</xNome></dest>\
         <total><vNF>{total}</vNF></total></{inf}></{prefix}></{root}>",
        key = note.key,
        model = note.model,
        series = note.series,
        number = note.number,
        issued = note.issued,
        doc = note.dest_document,
        name = note.dest_name,
    )
}

/// The note's PDF (DANFE for NF-e, DANFE-COM for NFCom), as `service` (`"PlugStorage"`,
/// `"Oobj"`) renders it: the service's name is on the page, nothing else differs.
pub fn pdf(note: &Note, service: &str) -> Vec<u8> {
    let title = if note.model == 55 { "DANFE" } else { "DANFE-COM" };
    let page = vec![
        format!("{title} - {PROVIDER_NAME} ({service} simulado)"),
        format!("Chave de acesso: {}", note.key),
        format!("Numero: {}    Serie: {}    Modelo: {}", note.number, note.series, note.model),
        format!("Emissao: {}    Situacao: {}", note.issued, note.situation),
        format!("Destinatario: {} - {}", note.dest_name, note.dest_document),
        format!("Valor total: R$ {}", crate::payment::cents_comma(note.cents)),
    ];
    crate::pdf::render(&format!("{title} {}", note.number), &[page])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ponte_contract::normalize::access_key::AccessKey;

    #[test]
    fn keys_are_valid_and_match_the_constants() {
        let notes = notes();
        let keys: Vec<&str> = notes.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, [NOTE_MARIA_MARCH, NOTE_MARIA_FEBRUARY, NOTE_COMPANY, NOTE_MARIA_CANCELLED, NOTE_BLOCKED]);
        for note in &notes {
            let key = AccessKey::parse(&note.key).expect("valid key");
            assert_eq!((key.model(), key.number(), key.series()), (note.model, note.number, note.series));
            assert_eq!(key.emitter_document(), PROVIDER_CNPJ_DIGITS);
        }
    }

    #[test]
    fn xml_names_the_customer_and_pdf_is_a_pdf() {
        let notes = notes();
        let company = notes.iter().find(|n| n.key == NOTE_COMPANY).expect("company note");
        assert!(xml(company).contains("<dest><CNPJ>12ABC34501DE35</CNPJ>"));
        assert!(pdf(company, "Oobj").starts_with(b"%PDF"));
    }
}
