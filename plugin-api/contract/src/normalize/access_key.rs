//! Fiscal document access keys ("chave de acesso") of NF-e, NFC-e, CT-e and NFCom.
//!
//! ## Format
//! 44 characters, printed on the DANFE in groups of four and used, with a `NFe` / `CTe` /
//! `NFCom` prefix, as the `Id` attribute of the signed XML:
//!
//! | positions | length | field                                                       |
//! |-----------|--------|-------------------------------------------------------------|
//! | 1-2       | 2      | `cUF`: IBGE code of the issuing state (35 = SP, 43 = RS)    |
//! | 3-6       | 4      | `AAMM`: year and month of issue                             |
//! | 7-20      | 14     | emitter CNPJ (or CPF padded with zeros)                     |
//! | 21-22     | 2      | `mod`: model (55 NF-e, 65 NFC-e, 57 CT-e, 62 NFCom, ...)    |
//! | 23-25     | 3      | `serie`                                                     |
//! | 26-34     | 9      | `nNF`: document number                                      |
//! | 35        | 1      | `tpEmis`: emission type (1 normal, others contingency)      |
//! | 36-43     | 8      | `cNF`: random numeric code                                  |
//! | 44        | 1      | `cDV`: check digit                                          |
//!
//! Since July 2026 a CNPJ may be alphanumeric (NT 2025.001): its first 12 characters are
//! `[0-9A-Z]`, its 2 check digits stay numeric. So letters are accepted only at positions
//! 7-18 of a key; every other position is a digit.
//!
//! ## Check digit
//! Modulus 11 over the first 43 characters, weights 2, 3, ..., 9, 2, 3, ... from the right,
//! each character valued as its ASCII code minus 48 (digits keep their value, `A` = 17, ...,
//! `Z` = 42, as in the alphanumeric CNPJ): remainder 0 or 1 gives 0, otherwise
//! `11 - remainder`.
//!
//! Like any such digit it catches most typing errors, not all: remainders 0 and 1 share the
//! digit 0, and two letters (or a letter and a digit) whose values differ by a multiple of
//! 11, such as `6` and `A`, weigh the same.
//!
//! ## What is verified
//! [`AccessKey::parse`] trims the text, drops spaces and dots, drops one leading `NFe`,
//! `CTe` or `NFCom` prefix (any case), upper-cases letters and checks the character classes
//! above and the check digit. It does not check that the state, month or model exist, nor
//! the embedded CNPJ's own check digits (a CPF-issued key carries a CPF there).

use super::check_digit::weighted_sum_from_right;

/// A verified 44-character access key: digits, and upper-case letters only in the emitter
/// CNPJ's first 12 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey(String);

/// Why a text is not an access key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessKeyError {
    /// Nothing left after trimming, removing separators and the prefix.
    #[error("access key is empty")]
    Empty,
    /// A character that is not a digit or ASCII letter, or a letter outside the emitter
    /// CNPJ's first 12 characters (positions 7-18).
    #[error("access key contains an invalid character")]
    InvalidCharacter,
    /// Not 44 characters.
    #[error("access key has {0} characters, expected 44")]
    BadLength(usize),
    /// The check digit (position 44) does not match.
    #[error("access key check digit does not match")]
    CheckDigit,
}

/// Prefixes of the XML `Id` attribute, upper-cased.
const PREFIXES: [&str; 3] = ["NFCOM", "NFE", "CTE"];

/// 0-based range of the characters that may be letters (the CNPJ's first 12).
const LETTERS_ALLOWED: std::ops::Range<usize> = 6..18;

impl AccessKey {
    /// Parses and verifies a key; see the module docs for what is accepted and checked.
    pub fn parse(input: &str) -> Result<Self, AccessKeyError> {
        let mut key: String =
            input.chars().filter(|c| !c.is_whitespace() && *c != '.').map(|c| c.to_ascii_uppercase()).collect();
        if let Some(prefix) = PREFIXES.iter().find(|p| key.starts_with(**p)) {
            key.drain(..prefix.len());
        }
        if key.is_empty() {
            return Err(AccessKeyError::Empty);
        }
        if !key.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(AccessKeyError::InvalidCharacter);
        }
        if key.len() != 44 {
            return Err(AccessKeyError::BadLength(key.chars().count()));
        }
        let misplaced_letter =
            key.bytes().enumerate().any(|(i, b)| b.is_ascii_uppercase() && !LETTERS_ALLOWED.contains(&i));
        if misplaced_letter {
            return Err(AccessKeyError::InvalidCharacter);
        }
        if key.as_bytes().get(43) != Some(&(b'0' + check_digit(&key[..43]))) {
            return Err(AccessKeyError::CheckDigit);
        }
        Ok(AccessKey(key))
    }

    /// The 44 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IBGE code of the issuing state (`cUF`), e.g. 35 for São Paulo.
    pub fn uf_code(&self) -> u8 {
        // Two digits: at most 99.
        self.digits_value(0..2) as u8
    }

    /// Year and month of issue (`AAMM`), the year as `2000 + AA`; the month as written
    /// (not checked to be 1-12).
    pub fn year_month(&self) -> (i32, u32) {
        (2000 + self.digits_value(2..4) as i32, self.digits_value(4..6))
    }

    /// The emitter's CNPJ (possibly alphanumeric), or a CPF left-padded with zeros to 14.
    pub fn emitter_document(&self) -> &str {
        &self.0[6..20]
    }

    /// The model (`mod`): 55 NF-e, 65 NFC-e, 57 CT-e, 62 NFCom, ...
    pub fn model(&self) -> u8 {
        // Two digits: at most 99.
        self.digits_value(20..22) as u8
    }

    /// The series (`serie`), 0-999.
    pub fn series(&self) -> u16 {
        // Three digits: at most 999.
        self.digits_value(22..25) as u16
    }

    /// The document number (`nNF` / `nCT`), up to 999 999 999.
    pub fn number(&self) -> u32 {
        self.digits_value(25..34)
    }

    /// The emission type (`tpEmis`): 1 normal, other values contingency modes.
    pub fn emission_type(&self) -> u8 {
        // One digit.
        self.digits_value(34..35) as u8
    }

    /// The 8-digit random numeric code (`cNF` / `cCT`).
    pub fn numeric_code(&self) -> &str {
        &self.0[35..43]
    }

    /// The check digit (`cDV`).
    pub fn check_digit(&self) -> u8 {
        // One digit.
        self.digits_value(43..44) as u8
    }

    /// The number spelled by an all-digit range (at most 9 digits).
    fn digits_value(&self, range: std::ops::Range<usize>) -> u32 {
        self.0[range].bytes().fold(0u32, |n, b| n * 10 + u32::from(b.wrapping_sub(b'0')))
    }
}

/// The modulus-11 check digit of the first 43 characters (`[0-9A-Z]`, valued ASCII - 48).
fn check_digit(first_43: &str) -> u8 {
    let values = first_43.bytes().map(|b| u32::from(b.wrapping_sub(b'0')));
    let remainder = weighted_sum_from_right(values, 9) % 11;
    if remainder <= 1 { 0 } else { (11 - remainder) as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(input: &str) -> AccessKey {
        match AccessKey::parse(input) {
            Ok(key) => key,
            Err(e) => panic!("{input:?} should be a valid access key: {e}"),
        }
    }

    /// NF-e authorized by SEFAZ-RS (homologation, protocol 143180006932433): nfephp-org/sped-nfe
    /// tests/fixtures/xml/nfe_layout4_com_prot.xml.
    const NFE_RS: &str = "43180906929383000163550010000000261000010301";
    /// NF-e as the XML Id attribute (production NF-e, Rondônia): sancrisxa/projeto-suprimentos
    /// src/test/java/br/com/tjro/supribackend/Constantes/Constantes.java.
    const NFE_RO_ID: &str = "NFe11210205883509000224550020000063421000657553";
    /// NFC-e (model 65, contingency tpEmis 2): nfephp-org/sped-nfe
    /// tests/fixtures/xml/nfce_com_qrcode.xml.
    const NFCE_ID: &str = "NFe53151158716523000119650010000001752000001754";
    /// CT-e (model 57): nfephp-org/sped-nfe tests/fixtures/xml/cte.xml.
    const CTE_ID: &str = "CTe51121006145774000197570010000000131004100705";
    /// CONSTRUCTED (no real alphanumeric-CNPJ key exists yet): Receita Federal's example CNPJ
    /// 12.ABC.345/01DE-35 in an SP key of July 2026, check digit 7 computed by hand.
    const ALPHANUMERIC: &str = "35260712ABC34501DE35550010000001231123456787";
    /// CONSTRUCTED: an NFCom (model 62) key for the same CNPJ, check digit 7.
    const NFCOM_ID: &str = "NFCom35260712ABC34501DE35620010000045671876543217";

    #[test]
    fn published_keys_are_valid_and_expose_their_fields() {
        let nfe = key(NFE_RS);
        assert_eq!(nfe.as_str(), NFE_RS);
        assert_eq!(nfe.uf_code(), 43);
        assert_eq!(nfe.year_month(), (2018, 9));
        assert_eq!(nfe.emitter_document(), "06929383000163");
        assert_eq!(nfe.model(), 55);
        assert_eq!(nfe.series(), 1);
        assert_eq!(nfe.number(), 26);
        assert_eq!(nfe.emission_type(), 1);
        assert_eq!(nfe.numeric_code(), "00001030");
        assert_eq!(nfe.check_digit(), 1);

        let ro = key(NFE_RO_ID);
        assert_eq!((ro.uf_code(), ro.series(), ro.number()), (11, 2, 6342));

        let nfce = key(NFCE_ID);
        assert_eq!((nfce.model(), nfce.number(), nfce.emission_type()), (65, 175, 2));

        let cte = key(CTE_ID);
        assert_eq!((cte.uf_code(), cte.year_month(), cte.model(), cte.number()), (51, (2012, 10), 57, 13));
        assert_eq!(cte.emitter_document(), "06145774000197");
    }

    #[test]
    fn alphanumeric_cnpj_keys_are_accepted() {
        let k = key(ALPHANUMERIC);
        assert_eq!(k.emitter_document(), "12ABC34501DE35");
        assert_eq!(k.year_month(), (2026, 7));
        assert_eq!(k.number(), 123);
        let lower = key(&ALPHANUMERIC.to_ascii_lowercase());
        assert_eq!(lower, k, "letters are upper-cased");
        let nfcom = key(NFCOM_ID);
        assert_eq!((nfcom.model(), nfcom.number()), (62, 4567));
    }

    #[test]
    fn formatting_and_prefixes_are_stripped() {
        let danfe = "4318 0906 9293 8300 0163 5500 1000 0000 2610 0001 0301";
        assert_eq!(key(danfe).as_str(), NFE_RS);
        assert_eq!(key(&format!("  \n{NFE_RS}. ")).as_str(), NFE_RS);
        assert_eq!(key(&format!("nfe{NFE_RS}")).as_str(), NFE_RS);
        assert_eq!(key("NFe 4318.0906.9293.8300.0163.5500.1000.0000.2610.0001.0301").as_str(), NFE_RS);
    }

    #[test]
    fn bad_keys_are_rejected_with_the_reason() {
        let wrong_dv = format!("{}2", &NFE_RS[..43]);
        let letter_in_number = NFE_RS.replacen("00000026", "0000002A", 1);
        let letter_in_uf = format!("A{}", &NFE_RS[1..]);
        let letter_in_cnpj_dv = "35260712ABC34501DEA5550010000001231123456787";
        let cases: Vec<(String, AccessKeyError)> = vec![
            (String::new(), AccessKeyError::Empty),
            ("NFe".into(), AccessKeyError::Empty),
            (" . ".into(), AccessKeyError::Empty),
            (wrong_dv, AccessKeyError::CheckDigit),
            (ALPHANUMERIC.replace("787", "788"), AccessKeyError::CheckDigit),
            (letter_in_number, AccessKeyError::InvalidCharacter),
            (letter_in_uf, AccessKeyError::InvalidCharacter),
            (letter_in_cnpj_dv.into(), AccessKeyError::InvalidCharacter),
            (NFE_RS.replacen('0', "-", 1), AccessKeyError::InvalidCharacter),
            (NFE_RS.replacen('0', "ç", 1), AccessKeyError::InvalidCharacter),
            (NFE_RS[..43].into(), AccessKeyError::BadLength(43)),
            (format!("{NFE_RS}0"), AccessKeyError::BadLength(45)),
        ];
        for (input, expected) in cases {
            assert_eq!(AccessKey::parse(&input), Err(expected), "{input:?}");
        }
    }

    /// A 43-character prefix: digits, with `[0-9A-Z]` in the CNPJ's first 12 characters.
    fn prefix() -> impl Strategy<Value = String> {
        ("[0-9]{6}", "[0-9A-Z]{12}", "[0-9]{25}").prop_map(|(a, b, c)| format!("{a}{b}{c}"))
    }

    fn complete(prefix: &str) -> String {
        format!("{prefix}{}", check_digit(prefix))
    }

    proptest! {
        #[test]
        fn any_prefix_with_its_check_digit_round_trips(p in prefix()) {
            let k = complete(&p);
            let parsed = AccessKey::parse(&k).expect("computed key is valid");
            prop_assert_eq!(parsed.as_str(), k.as_str());
            prop_assert_eq!(AccessKey::parse(&format!("NFe{}", k.to_ascii_lowercase())), Ok(parsed));
        }

        #[test]
        fn a_changed_character_is_detected_unless_mod11_cannot_see_it(
            p in prefix(), position in 0usize..44, replacement in "[0-9A-Z]",
        ) {
            let k = complete(&p);
            let mut chars: Vec<char> = k.chars().collect();
            let replacement = replacement.chars().next().unwrap_or('0');
            let letters_ok = LETTERS_ALLOWED.contains(&position);
            let replacement = if letters_ok || replacement.is_ascii_digit() { replacement } else { '0' };
            prop_assume!(chars[position] != replacement);
            chars[position] = replacement;
            let changed: String = chars.into_iter().collect();
            if AccessKey::parse(&changed).is_ok() {
                // Only two blind spots exist: the change moved the sum's remainder between 0
                // and 1 (both give digit 0), or the two characters' values differ by a
                // multiple of 11 (possible only between letters and digits of a CNPJ).
                let value = |s: &str| {
                    weighted_sum_from_right(s[..43].bytes().map(|b| u32::from(b - b'0')), 9) % 11
                };
                let (before, after) = (value(&k), value(&changed));
                prop_assert!(position < 43, "a changed check digit must be rejected");
                prop_assert!(
                    before == after || (before <= 1 && after <= 1),
                    "undetected change {} -> {}", k, changed
                );
            }
        }

        #[test]
        fn a_changed_digit_outside_the_cnpj_letters_is_detected_unless_remainder_0_1(
            p in "[0-9]{43}", position in 0usize..43, delta in 1u8..10,
        ) {
            // All-digit keys: every weight (2-9) times every difference (1-9) is nonzero mod 11,
            // so the remainder always changes; only 0 <-> 1 keeps the digit.
            let k = complete(&p);
            let mut bytes = k.clone().into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            let remainder = |s: &str| {
                weighted_sum_from_right(s[..43].bytes().map(|b| u32::from(b - b'0')), 9) % 11
            };
            prop_assert_ne!(remainder(&k), remainder(&changed));
            let collapsed = remainder(&k) <= 1 && remainder(&changed) <= 1;
            prop_assert_eq!(AccessKey::parse(&changed).is_ok(), collapsed);
        }
    }
}
