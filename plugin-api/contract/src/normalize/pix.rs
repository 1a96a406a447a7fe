//! PIX "copia e cola": the text behind a PIX QR code (EMV® QRCPS merchant-presented mode, as
//! profiled by Banco Central do Brasil's "Manual de Padrões para Iniciação do Pix" / BR Code).
//!
//! ## Format
//! The payload is a sequence of TLV fields: a 2-digit ID, a 2-digit decimal length and that
//! many characters of value. Some IDs are templates whose value is itself a TLV sequence:
//! 26-51 (merchant account information), 62 (additional data) and 80-99 (unreserved).
//!
//! ```text
//! 00 02 01                                   payload format indicator, always "01", first
//! 26 58 00 14 br.gov.bcb.pix                 PIX merchant account template: GUI ...
//!       01 36 123e4567-e12b-12d1-a456-...    ... and the key (static) or 25 = URL (dynamic)
//! 52 04 0000                                 merchant category code
//! 53 03 986                                  currency: BRL
//! 54 05 10.00                                amount (optional)
//! 58 02 BR                                   country
//! 59 13 Fulano de Tal                        merchant name
//! 60 08 BRASILIA                             merchant city
//! 62 07 05 03 ***                            additional data: 05 = txid
//! 63 04 1D3D                                 CRC16, always last
//! ```
//!
//! The CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no
//! final XOR) over the UTF-8 bytes of the whole payload up to and including `6304`, written as
//! four hex digits (compared case-insensitively).
//!
//! ## What is verified
//! [`PixCode::parse`] trims surrounding whitespace, parses the TLV structure (nested templates
//! included; lengths count characters), requires `000201` first and a 4-hex-digit field 63
//! last, checks the CRC, then requires a merchant account template with GUI `br.gov.bcb.pix`
//! (any case) holding a key (01) or a URL (25), and fields 52, 53 (`986`), 58 (`BR`), 59 and
//! 60. Duplicate IDs at one level are rejected, so every accessor has a single answer.
//!
//! ## The composite layout (Pix Automático)
//! BCB's manual (§2.8.5, "QR Code composto") lets a code carry a recurrence authorization: an
//! unreserved template (80-99) with the same GUI and the recurrence's location in its sub-field
//! 25. In that layout the merchant account template may carry only the GUI, the payable
//! location being the one of field 80's template. Such a code is valid: [`PixCode::url`] falls
//! back to that location and [`PixCode::recurrence_url`] always names it.

/// A verified PIX "copia e cola" (EMV BR Code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixCode {
    raw: String,
    fields: Vec<Field>,
    /// Index in `fields` of the merchant account template whose GUI is `br.gov.bcb.pix`.
    pix_template: usize,
    /// Index in `fields` of an unreserved template (80-99) with the PIX GUI and a URL (25): the
    /// recurrence of the composite layout.
    recurrence_template: Option<usize>,
}

/// One TLV field; `children` holds the parsed sub-fields of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    id: u8,
    /// Where the value is in the code, in bytes (no copy per field).
    value: std::ops::Range<usize>,
    children: Vec<Field>,
}

impl Field {
    fn value<'a>(&self, raw: &'a str) -> &'a str {
        raw.get(self.value.clone()).unwrap_or_default()
    }
}

/// Why a text is not a valid PIX code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixError {
    /// Nothing but whitespace.
    #[error("pix code is empty")]
    Empty,
    /// Not well-formed TLV, or a mandatory EMV field (00 first, 63 last, 52, 53, 58, 59, 60)
    /// missing or ill-formed.
    #[error("pix code is not well-formed TLV: {0}")]
    Malformed(String),
    /// The CRC16 in field 63 does not match the payload.
    #[error("pix code CRC16 does not match")]
    Crc,
    /// A well-formed EMV code that is not a PIX (no `br.gov.bcb.pix` account, wrong currency
    /// or country).
    #[error("not a PIX code: {0}")]
    NotPix(String),
}

/// The GUI that marks the PIX merchant account template.
const PIX_GUI: &str = "br.gov.bcb.pix";

/// Field IDs.
const PAYLOAD_FORMAT: u8 = 0;
const MCC: u8 = 52;
const CURRENCY: u8 = 53;
const AMOUNT: u8 = 54;
const COUNTRY: u8 = 58;
const MERCHANT_NAME: u8 = 59;
const MERCHANT_CITY: u8 = 60;
const ADDITIONAL_DATA: u8 = 62;
const CRC: u8 = 63;
/// Sub-field IDs of the PIX template and of the additional data template.
const SUB_GUI: u8 = 0;
const SUB_KEY: u8 = 1;
const SUB_URL: u8 = 25;
const SUB_TXID: u8 = 5;

impl PixCode {
    /// Parses and verifies a PIX "copia e cola"; see the module docs for what is checked, in
    /// that order.
    pub fn parse(input: &str) -> Result<Self, PixError> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err(PixError::Empty);
        }
        let fields = parse_tlv(raw, 0, 0, true)?;

        match fields.first() {
            Some(f) if f.id == PAYLOAD_FORMAT && f.value(raw) == "01" => {}
            _ => {
                return Err(PixError::Malformed("must start with field 00 (payload format indicator) = \"01\"".into()));
            }
        }
        match fields.last() {
            Some(f)
                if f.id == CRC && f.value(raw).len() == 4 && f.value(raw).chars().all(|c| c.is_ascii_hexdigit()) => {}
            _ => {
                return Err(PixError::Malformed("must end with field 63 (CRC16) holding 4 hex digits".into()));
            }
        }
        // The last 4 characters are ASCII hex digits, so the last 4 bytes are the CRC.
        let (payload, crc_text) = raw.split_at(raw.len() - 4);
        let expected = format!("{:04X}", crc16_ccitt(payload.as_bytes()));
        if !crc_text.eq_ignore_ascii_case(&expected) {
            return Err(PixError::Crc);
        }

        let pix_template = fields
            .iter()
            .position(|f| {
                (26..=51).contains(&f.id)
                    && sub_value(raw, &f.children, SUB_GUI).is_some_and(|gui| gui.eq_ignore_ascii_case(PIX_GUI))
            })
            .ok_or_else(|| PixError::NotPix(format!("no merchant account template (26-51) with GUI {PIX_GUI}")))?;
        let recurrence_template = fields.iter().position(|f| {
            (80..=99).contains(&f.id)
                && sub_value(raw, &f.children, SUB_GUI).is_some_and(|gui| gui.eq_ignore_ascii_case(PIX_GUI))
                && sub_value(raw, &f.children, SUB_URL).is_some_and(|url| !url.trim().is_empty())
        });
        let template = &fields[pix_template].children;
        if sub_value(raw, template, SUB_KEY).is_none()
            && sub_value(raw, template, SUB_URL).is_none()
            && recurrence_template.is_none()
        {
            return Err(PixError::NotPix(
                "the PIX template has neither a key (01) nor a URL (25), and no template 80-99 carries one".into(),
            ));
        }

        for (id, name) in [
            (MCC, "merchant category code"),
            (CURRENCY, "transaction currency"),
            (COUNTRY, "country code"),
            (MERCHANT_NAME, "merchant name"),
            (MERCHANT_CITY, "merchant city"),
        ] {
            match sub_value(raw, &fields, id) {
                Some(v) if !v.trim().is_empty() => {}
                _ => return Err(PixError::Malformed(format!("missing field {id} ({name})"))),
            }
        }
        if let Some(currency) = sub_value(raw, &fields, CURRENCY).filter(|c| *c != "986") {
            return Err(PixError::NotPix(format!("currency is {currency}, a PIX is in 986 (BRL)")));
        }
        if let Some(country) = sub_value(raw, &fields, COUNTRY).filter(|c| !c.eq_ignore_ascii_case("BR")) {
            return Err(PixError::NotPix(format!("country is {country}, a PIX is BR")));
        }
        if let Some(amount) = sub_value(raw, &fields, AMOUNT).filter(|a| !is_amount(a)) {
            return Err(PixError::Malformed(format!("field 54 (amount) {amount:?} is not a decimal amount")));
        }

        Ok(PixCode { raw: raw.to_owned(), fields, pix_template, recurrence_template })
    }

    /// The code as verified (surrounding whitespace trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The PIX key (sub-field 01 of the PIX template): a CPF/CNPJ, e-mail, `+55...` phone or
    /// random UUID. `None` in dynamic codes that carry a [`url`](Self::url) instead.
    pub fn key(&self) -> Option<&str> {
        sub_value(&self.raw, self.template(), SUB_KEY)
    }

    /// The payload location (sub-field 25 of the PIX template) of a dynamic code, without
    /// scheme (`pix.example.com/qr/v2/...`); in the composite layout whose PIX template holds
    /// only the GUI, the [recurrence's](Self::recurrence_url). `None` in static codes.
    pub fn url(&self) -> Option<&str> {
        sub_value(&self.raw, self.template(), SUB_URL).or_else(|| self.recurrence_url())
    }

    /// The recurrence location of the composite layout (sub-field 25 of an unreserved template
    /// 80-99 whose GUI is `br.gov.bcb.pix`), `None` in codes without a recurrence.
    pub fn recurrence_url(&self) -> Option<&str> {
        let template = self.fields.get(self.recurrence_template?)?;
        sub_value(&self.raw, &template.children, SUB_URL)
    }

    /// The amount as written (field 54, e.g. `"10.00"`), `None` when the payer chooses it.
    pub fn amount(&self) -> Option<&str> {
        sub_value(&self.raw, &self.fields, AMOUNT)
    }

    /// The merchant (receiver) name, field 59.
    pub fn merchant_name(&self) -> &str {
        sub_value(&self.raw, &self.fields, MERCHANT_NAME).unwrap_or_default()
    }

    /// The merchant city, field 60.
    pub fn merchant_city(&self) -> &str {
        sub_value(&self.raw, &self.fields, MERCHANT_CITY).unwrap_or_default()
    }

    /// The transaction id (sub-field 05 of the additional data template, field 62); `***`
    /// means none was assigned.
    pub fn txid(&self) -> Option<&str> {
        let additional = self.fields.iter().find(|f| f.id == ADDITIONAL_DATA)?;
        sub_value(&self.raw, &additional.children, SUB_TXID)
    }

    /// The raw value of a top-level field by ID (templates are returned as their TLV text).
    pub fn field(&self, id: u8) -> Option<&str> {
        sub_value(&self.raw, &self.fields, id)
    }

    /// The CRC16 as written in the code (field 63).
    pub fn crc(&self) -> &str {
        sub_value(&self.raw, &self.fields, CRC).unwrap_or_default()
    }

    fn template(&self) -> &[Field] {
        self.fields.get(self.pix_template).map_or(&[], |f| f.children.as_slice())
    }
}

impl PixCode {
    /// Builds a static PIX copia-e-cola for `key` (a PIX key: e-mail, phone, CPF/CNPJ or random
    /// key), with the merchant's name and city, an optional amount (`"12.34"`) and a txid
    /// (`"***"` when none), computing the CRC. What an adapter whose ERP gives only a PIX key
    /// (or a simulator) needs to yield a valid code.
    ///
    /// # Errors
    /// [`PixError::Malformed`] when a value is too long for its field or the result does not
    /// parse (an amount that is not a decimal, for instance).
    ///
    /// # Examples
    /// ```
    /// use ponte_contract::normalize::pix::PixCode;
    /// let code = PixCode::build_static("123e4567-e12b-12d1-a456-426655440000", "Fulano de Tal", "BRASILIA", None, "***").unwrap();
    /// assert!(code.as_str().ends_with("63041D3D"));
    /// ```
    pub fn build_static(
        key: &str,
        merchant_name: &str,
        city: &str,
        amount: Option<&str>,
        txid: &str,
    ) -> Result<PixCode, PixError> {
        fn tlv(id: &str, value: &str) -> Result<String, PixError> {
            let len = value.chars().count();
            if len > 99 {
                return Err(PixError::Malformed(format!("field {id} is longer than 99 characters")));
            }
            Ok(format!("{id}{len:02}{value}"))
        }
        let account = [tlv("00", "br.gov.bcb.pix")?, tlv("01", key)?].concat();
        let mut code = [tlv("00", "01")?, tlv("26", &account)?, tlv("52", "0000")?, tlv("53", "986")?].concat();
        if let Some(amount) = amount {
            code.push_str(&tlv("54", amount)?);
        }
        code.push_str(&[tlv("58", "BR")?, tlv("59", merchant_name)?, tlv("60", city)?].concat());
        code.push_str(&tlv("62", &tlv("05", txid)?)?);
        code.push_str("6304");
        let crc = crc16_ccitt(code.as_bytes());
        code.push_str(&format!("{crc:04X}"));
        PixCode::parse(&code)
    }
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR
/// (the check value of `b"123456789"` is 0x29B1). PIX computes it over the UTF-8 bytes of the
/// payload up to and including `6304`.
pub fn crc16_ccitt(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |crc: u16, byte| (crc << 8) ^ CRC_TABLE[usize::from((crc >> 8) as u8 ^ byte)])
}

/// [`crc16_ccitt`] of each byte value alone (a byte at a time instead of a bit at a time).
const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut n = 0;
    while n < 256 {
        let mut crc = (n as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[n] = crc;
        n += 1;
    }
    table
};

/// Parses a TLV sequence: `text` starts `base` bytes and `offset` characters into the whole
/// code (lengths and positions count characters, values are kept as byte ranges of the code),
/// `top_level` enables template parsing (templates are one level deep).
fn parse_tlv(text: &str, base: usize, offset: usize, top_level: bool) -> Result<Vec<Field>, PixError> {
    let mut fields: Vec<Field> = Vec::new();
    let mut rest = text;
    let mut at = 0;
    while !rest.is_empty() {
        let position = offset + at;
        let (header, after) = split_chars(rest, 4)
            .ok_or_else(|| PixError::Malformed(format!("truncated field header at position {position}")))?;
        let header = header.as_bytes();
        let (Some(id), Some(len)) = (two_digits(header.get(0..2)), two_digits(header.get(2..4))) else {
            return Err(PixError::Malformed(format!(
                "field at position {position} does not start with a 2-digit ID and 2-digit length"
            )));
        };
        let (value, next) = split_chars(after, usize::from(len)).ok_or_else(|| {
            PixError::Malformed(format!("field {id:02} at position {position} is truncated: declares {len} characters"))
        })?;
        if fields.iter().any(|f| f.id == id) {
            return Err(PixError::Malformed(format!("field {id:02} appears twice")));
        }
        let start = base + (text.len() - after.len());
        let children =
            if top_level && is_template(id) { parse_tlv(value, start, position + 4, false)? } else { Vec::new() };
        fields.push(Field { id, value: start..start + value.len(), children });
        at += 4 + usize::from(len);
        rest = next;
    }
    Ok(fields)
}

/// `text` split after its first `n` characters, if it has that many.
fn split_chars(text: &str, n: usize) -> Option<(&str, &str)> {
    let mut count = 0;
    for (i, _) in text.char_indices() {
        if count == n {
            return Some(text.split_at(i));
        }
        count += 1;
    }
    (count == n).then_some((text, ""))
}

fn is_template(id: u8) -> bool {
    (26..=51).contains(&id) || id == ADDITIONAL_DATA || (80..=99).contains(&id)
}

fn two_digits(bytes: Option<&[u8]>) -> Option<u8> {
    let &[tens, units] = bytes? else { return None };
    (tens.is_ascii_digit() && units.is_ascii_digit()).then(|| (tens - b'0') * 10 + (units - b'0'))
}

fn sub_value<'a>(raw: &'a str, fields: &[Field], id: u8) -> Option<&'a str> {
    fields.iter().find(|f| f.id == id).map(|f| f.value(raw))
}

/// EMV amount: up to 13 characters, digits with an optional `.` followed by 1 or 2 decimals.
fn is_amount(text: &str) -> bool {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    text.len() <= 13
        && match text.split_once('.') {
            Some((int, frac)) => all_digits(int) && all_digits(frac) && frac.len() <= 2,
            None => all_digits(text),
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The static example (random key, no amount) of BACEN's "Manual de Padrões para Iniciação
    /// do Pix"; the manual's PDF was not reachable from here, so it is taken as quoted, with
    /// CRC `1D3D`, by many public test suites ("exemplo oficial do manual do BCB").
    const BACEN_STATIC: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    /// The example of BACEN's "Manual do BR Code": a merchant id (field 04), a PIX template,
    /// another arrangement's template (27), postal code (61) and an unreserved template (80).
    /// As reproduced in github.com/naomijub/brcode (README).
    const BR_CODE_MANUAL: &str = "00020104141234567890123426580014BR.GOV.BCB.PIX0136123e4567-e12b-12d1-a456-42665544000027300012BR.COM.OUTRO011001234567895204000053039865406123.455802BR5917NOME DO RECEBEDOR6008BRASILIA61087007490062190515RP12345678-201980390012BR.COM.OUTRO01190123.ABCD.3456.WXYZ6304AD38";

    /// Dynamic (URL) example of the BCB PIX manual, as reproduced in
    /// github.com/rprata/pixcode (README, "Parser").
    const MANUAL_DYNAMIC: &str = "00020101021226720014br.gov.bcb.pix2550bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd4415204000053039865406123.455802BR5913Fulano de Tal6008BRASILIA62190515RP12345678-2019630445C8";

    /// Dynamic example of the PIX manual's section 6.2, as transcribed in
    /// gist.github.com/matheusb-comp/1efa205b3c0ffd7af1e8ce63a10e02dc (CRC `EEAB` verified).
    const MANUAL_DYNAMIC_6_2: &str = "00020101021226770014BR.GOV.BCB.PIX2555pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a995204000053039865802BR5907EMPRESA6009SAO PAULO62070503***6304EEAB";

    fn pix(input: &str) -> PixCode {
        match PixCode::parse(input) {
            Ok(code) => code,
            Err(e) => panic!("{input:?} should be a valid PIX code: {e}"),
        }
    }

    /// Appends `6304` and the CRC to a payload.
    fn with_crc(payload: &str) -> String {
        let body = format!("{payload}6304");
        let crc = crc16_ccitt(body.as_bytes());
        format!("{body}{crc:04X}")
    }

    fn tlv(id: u8, value: &str) -> String {
        format!("{id:02}{:02}{value}", value.chars().count())
    }

    #[test]
    fn crc16_matches_the_standard_check_value() {
        assert_eq!(crc16_ccitt(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt(b""), 0xFFFF);
    }

    #[test]
    fn bacen_static_example_is_valid() {
        let code = pix(BACEN_STATIC);
        assert_eq!(code.key(), Some("123e4567-e12b-12d1-a456-426655440000"));
        assert_eq!(code.url(), None);
        assert_eq!(code.amount(), None);
        assert_eq!(code.merchant_name(), "Fulano de Tal");
        assert_eq!(code.merchant_city(), "BRASILIA");
        assert_eq!(code.txid(), Some("***"));
        assert_eq!(code.crc(), "1D3D");
        assert_eq!(code.field(52), Some("0000"));
    }

    #[test]
    fn br_code_manual_example_with_other_templates_is_valid() {
        let code = pix(BR_CODE_MANUAL);
        assert_eq!(code.key(), Some("123e4567-e12b-12d1-a456-426655440000"));
        assert_eq!(code.amount(), Some("123.45"));
        assert_eq!(code.merchant_name(), "NOME DO RECEBEDOR");
        assert_eq!(code.txid(), Some("RP12345678-2019"));
        assert_eq!(code.field(61), Some("70074900"));
        assert_eq!(code.field(80), Some("0012BR.COM.OUTRO01190123.ABCD.3456.WXYZ"));
    }

    #[test]
    fn manual_dynamic_examples_carry_a_url() {
        let code = pix(MANUAL_DYNAMIC);
        assert_eq!(code.key(), None);
        assert_eq!(code.url(), Some("bx.com.br/pix/8b3da2f3-9a41-40d1-a91a-bd93113bd441"));
        assert_eq!(code.field(1), Some("12"));
        assert_eq!(code.amount(), Some("123.45"));
        assert_eq!(code.txid(), Some("RP12345678-2019"));

        let code = pix(MANUAL_DYNAMIC_6_2);
        assert_eq!(code.url(), Some("pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99"));
        assert_eq!(code.merchant_city(), "SAO PAULO");
    }

    #[test]
    fn composite_layout_with_only_the_gui_and_the_url_in_field_80_is_valid() {
        // §2.8.5 of BCB's manual: the merchant template carries only the GUI; the recurrence
        // (Pix Automático) template 80 carries the GUI and the location.
        let location = "pix.example.com/rec/2c5b1f7e-2b8e-4a4c-9a9e-0d1f4f5a6b7c";
        let code = with_crc(&format!(
            "000201{}52040000530398654045.005802BR5907EMPRESA6009SAO PAULO{}{}",
            tlv(26, &tlv(0, "br.gov.bcb.pix")),
            tlv(62, &tlv(5, "***")),
            tlv(80, &(tlv(0, "BR.GOV.BCB.PIX") + &tlv(25, location))),
        ));
        let parsed = pix(&code);
        assert_eq!(parsed.key(), None);
        assert_eq!(parsed.url(), Some(location));
        assert_eq!(parsed.recurrence_url(), Some(location));
        assert_eq!(parsed.amount(), Some("5.00"));

        // With an immediate charge in 26 as well, url() is the charge's, the recurrence apart.
        let charge = "pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99";
        let both = with_crc(&format!(
            "000201{}5204000053039865802BR5907EMPRESA6009SAO PAULO{}",
            tlv(26, &(tlv(0, "br.gov.bcb.pix") + &tlv(25, charge))),
            tlv(80, &(tlv(0, "br.gov.bcb.pix") + &tlv(25, location))),
        ));
        assert_eq!(pix(&both).url(), Some(charge));
        assert_eq!(pix(&both).recurrence_url(), Some(location));

        // Field 80 of another arrangement, or one without a location, does not make it a PIX.
        for other in [tlv(80, &(tlv(0, "br.com.outro") + &tlv(25, location))), tlv(80, &tlv(0, "br.gov.bcb.pix"))] {
            let code = with_crc(&format!(
                "000201{}5204000053039865802BR5907EMPRESA6009SAO PAULO{other}",
                tlv(26, &tlv(0, "br.gov.bcb.pix")),
            ));
            assert!(matches!(PixCode::parse(&code), Err(PixError::NotPix(_))), "{code}");
        }
    }

    #[test]
    fn published_example_with_a_copied_crc_is_rejected() {
        // docs.lerian.studio ("create static QR code") shows this payload with the CRC of the
        // manual's dynamic example (45C8); its real CRC is 02A4.
        let lerian = "00020126580014br.gov.bcb.Pix0136123e4567-e12b-12d1-a456-426655440000520400005303986540510.005802BR5913TESTE ACCOUNT6008BRASILIA62070503***630445C8";
        assert_eq!(PixCode::parse(lerian), Err(PixError::Crc));
        let fixed = lerian.replace("630445C8", "630402A4");
        assert_eq!(pix(&fixed).amount(), Some("10.00"), "GUI case is ignored");
    }

    #[test]
    fn surrounding_whitespace_is_trimmed_and_crc_case_ignored() {
        let lower = BACEN_STATIC.replace("63041D3D", "63041d3d");
        let code = pix(&format!("  \n{lower}\t "));
        assert_eq!(code.as_str(), lower);
    }

    #[test]
    fn crc_mismatch_is_rejected() {
        let wrong = BACEN_STATIC.replace("63041D3D", "63041D3E");
        assert_eq!(PixCode::parse(&wrong), Err(PixError::Crc));
        let tampered = BACEN_STATIC.replace("Fulano", "Fulana");
        assert_eq!(PixCode::parse(&tampered), Err(PixError::Crc));
    }

    #[test]
    fn structural_errors_are_malformed() {
        let truncated = &BACEN_STATIC[..BACEN_STATIC.len() - 10];
        let missing_crc = &BACEN_STATIC[..BACEN_STATIC.len() - 8];
        let non_digit_length = BACEN_STATIC.replacen("5204", "52x4", 1);
        let crc_not_hex = BACEN_STATIC.replace("63041D3D", "6304ZZZZ");
        let crc_not_last = format!("{BACEN_STATIC}9900");
        let bad_format = with_crc("000202");
        let duplicate = with_crc(&format!("{}{}", &BACEN_STATIC[..BACEN_STATIC.len() - 8], tlv(59, "Outro")));
        for input in [truncated, missing_crc, &non_digit_length, &crc_not_hex, &crc_not_last, &bad_format, &duplicate] {
            assert!(
                matches!(PixCode::parse(input), Err(PixError::Malformed(_))),
                "{input:?}: {:?}",
                PixCode::parse(input)
            );
        }
        assert_eq!(PixCode::parse(" \n "), Err(PixError::Empty));
    }

    #[test]
    fn truncated_nested_template_is_malformed() {
        // Template 26 declares 58 characters but its sub-field 01 claims 40.
        let code = with_crc(
            "00020126580014br.gov.bcb.pix0140123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA",
        );
        assert!(matches!(PixCode::parse(&code), Err(PixError::Malformed(_))));
    }

    #[test]
    fn emv_codes_that_are_not_pix_are_rejected() {
        let rest = "52040000530398654041.005802BR5905LOJA16009SAO PAULO";
        let other_gui = with_crc(&format!("000201{}{rest}", tlv(26, &(tlv(0, "com.example.pay") + &tlv(1, "abc")))));
        let no_template = with_crc(&format!("000201{rest}"));
        let no_key = with_crc(&format!("000201{}{rest}", tlv(26, &tlv(0, "br.gov.bcb.pix"))));
        let dollars = with_crc(&format!(
            "000201{}520400005303840{}",
            tlv(26, &(tlv(0, "br.gov.bcb.pix") + &tlv(1, "a@b.c"))),
            "5802BR5905LOJA16009SAO PAULO"
        ));
        for input in [&other_gui, &no_template, &no_key, &dollars] {
            assert!(
                matches!(PixCode::parse(input), Err(PixError::NotPix(_))),
                "{input:?}: {:?}",
                PixCode::parse(input)
            );
        }
    }

    #[test]
    fn missing_mandatory_fields_are_reported() {
        let account = tlv(26, &(tlv(0, "BR.GOV.BCB.PIX") + &tlv(1, "a@b.c")));
        let no_city = with_crc(&format!("000201{account}5204000053039865802BR5905LOJA1"));
        let no_name = with_crc(&format!("000201{account}5204000053039865802BR6009SAO PAULO"));
        for input in [&no_city, &no_name] {
            assert!(matches!(PixCode::parse(input), Err(PixError::Malformed(m)) if m.contains("missing")), "{input:?}");
        }
        let bad_amount = with_crc(&format!("000201{account}5204000053039865404ten.5802BR5905LOJA16009SAO PAULO"));
        assert!(matches!(PixCode::parse(&bad_amount), Err(PixError::Malformed(_))));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let account = tlv(26, &(tlv(0, "br.gov.bcb.pix") + &tlv(1, "a@b.c")));
        let code =
            with_crc(&format!("000201{account}520400005303986{}{}{}", "5802BR", tlv(59, "JOÃO"), tlv(60, "SÃO PAULO")));
        let parsed = pix(&code);
        assert_eq!(parsed.merchant_name(), "JOÃO");
        assert_eq!(parsed.merchant_city(), "SÃO PAULO");
    }

    fn build(key: &str, name: &str, city: &str, amount: Option<&str>, txid: &str) -> String {
        let account = tlv(26, &(tlv(0, "br.gov.bcb.pix") + &tlv(1, key)));
        let amount = amount.map(|a| tlv(54, a)).unwrap_or_default();
        with_crc(&format!(
            "000201{account}52040000530398{}{amount}5802BR{}{}{}",
            "6",
            tlv(59, name),
            tlv(60, city),
            tlv(62, &tlv(5, txid))
        ))
    }

    proptest! {
        #[test]
        fn built_codes_parse_and_return_their_inputs(
            key in "[a-z0-9@.+-]{1,60}",
            name in "[A-Za-z ]{0,23}[A-Z]",
            city in "[A-Z][A-Za-zÃÇÉ ]{0,14}",
            amount in proptest::option::of("[1-9][0-9]{0,8}\\.[0-9]{2}"),
            txid in "[A-Za-z0-9]{1,25}",
        ) {
            let code = build(&key, &name, &city, amount.as_deref(), &txid);
            let parsed = PixCode::parse(&code).expect("built code is valid");
            prop_assert_eq!(parsed.key(), Some(key.as_str()));
            prop_assert_eq!(parsed.merchant_name(), name.as_str());
            prop_assert_eq!(parsed.merchant_city(), city.as_str());
            prop_assert_eq!(parsed.amount(), amount.as_deref());
            prop_assert_eq!(parsed.txid(), Some(txid.as_str()));
        }

        #[test]
        fn changing_one_payload_character_breaks_the_crc(
            key in "[a-z0-9]{8,32}", txid in "[A-Z0-9]{1,25}",
            position in 0usize..1000, replacement in "[A-Za-z0-9]",
        ) {
            let code = build(&key, "LOJA", "BRASILIA", Some("10.00"), &txid);
            // Any character before the CRC; keep the length so the structure may still parse.
            let payload_len = code.len() - 4;
            let position = position % payload_len;
            let mut chars: Vec<char> = code.chars().collect();
            let replacement = replacement.chars().next().unwrap_or('x');
            prop_assume!(chars[position] != replacement);
            chars[position] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(PixCode::parse(&changed).is_err(), "{} accepted", changed);
            // CRC-16 detects every single-character substitution; where the TLV still parses,
            // the CRC is what rejects it.
            prop_assert_ne!(
                crc16_ccitt(&changed.as_bytes()[..payload_len]),
                crc16_ccitt(&code.as_bytes()[..payload_len])
            );
        }
    }
}
