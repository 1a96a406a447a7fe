//! CPF and CNPJ: the Brazilian taxpayer numbers of individuals and companies.
//!
//! [`Document::parse`] turns whatever an ERP or a caller typed into one canonical form (no
//! punctuation, letters upper-cased) after verifying the check digits, or says why it can't.
//!
//! # Accepted input
//!
//! Surrounding whitespace is trimmed; `.`, `-`, `/` and whitespace anywhere are ignored; ASCII
//! letters may be in either case. Any other character is an error, never silently dropped.
//!
//! | input                    | kind | canonical        |
//! |--------------------------|------|------------------|
//! | `529.982.247-25`         | CPF  | `52998224725`    |
//! | `52998224725`            | CPF  | `52998224725`    |
//! | ` 529 982 247 25 `       | CPF  | `52998224725`    |
//! | `00.000.000/0001-91`     | CNPJ | `00000000000191` |
//! | `33000167000101`         | CNPJ | `33000167000101` |
//! | `12.ABC.345/01DE-35`     | CNPJ | `12ABC34501DE35` |
//! | `12.abc.345/01de-35`     | CNPJ | `12ABC34501DE35` |
//!
//! # The rules
//!
//! - **CPF**: 11 digits. Two modulus-11 check digits: the first over the 9 base digits with
//!   weights 10 down to 2, the second over the 9 digits plus the first check digit with weights 11
//!   down to 2; a remainder below 2 gives 0, otherwise the digit is `11 - remainder`.
//! - **CNPJ**: 14 characters. Since July 2026 the Receita Federal issues alphanumeric CNPJs: the
//!   first 12 characters are `[0-9A-Z]`, the last 2 are always digits. Each character is worth its
//!   ASCII code minus 48 (`'0'..='9'` are 0 to 9, `'A'` is 17, `'Z'` is 42), weights 2 to 9 cycle
//!   from the right, and each check digit is 0 when the remainder modulo 11 is below 2, otherwise
//!   `11 - remainder`. On an all-digit CNPJ this is exactly the classic numeric rule, so old and new
//!   CNPJs are verified by the same code.
//! - A document whose characters are all the same (`111.111.111-11`, `00000000000000`) passes the
//!   arithmetic but is never issued: it is rejected as [`DocumentError::RepeatedDigits`].
//!
//! [`cpf_check_digits`] and [`cnpj_check_digits`] expose the arithmetic so tests and simulators
//! can generate valid documents.

use std::fmt;
use std::str::FromStr;

use super::check_digit::weighted_sum_from_right;

/// Which Brazilian taxpayer document a [`Document`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Individual: 11 digits.
    Cpf,
    /// Company: 12 characters `[0-9A-Z]` and 2 check digits.
    Cnpj,
}

/// A verified CPF or CNPJ in canonical form: no punctuation, letters upper-cased.
///
/// Built only by [`Document::parse`] (or [`FromStr`] / deserialization, which call it), so holding
/// one means the check digits were verified. It serializes as its canonical string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Document {
    kind: DocumentKind,
    value: String,
}

/// Why a text is not a valid CPF or CNPJ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Nothing left after stripping punctuation and spaces.
    #[error("document is empty")]
    Empty,
    /// A character that is neither a digit, an ASCII letter nor accepted punctuation.
    #[error("document contains an invalid character {0:?}")]
    InvalidCharacter(char),
    /// Neither 11 (CPF) nor 14 (CNPJ) characters.
    #[error("document has {0} characters; a CPF has 11 and a CNPJ 14")]
    BadLength(usize),
    /// Letters where only digits are allowed (a CPF, or a CNPJ's check digits).
    #[error("letters are only allowed in the first 12 characters of a CNPJ")]
    MisplacedLetter,
    /// All characters the same (`111.111.111-11`): passes the arithmetic, never issued.
    #[error("document is a repeated-digit sequence")]
    RepeatedDigits,
    /// The check digits do not match.
    #[error("document check digits do not match")]
    CheckDigits,
}

/// Length of a CPF.
const CPF_LEN: usize = 11;
/// Length of a CNPJ.
const CNPJ_LEN: usize = 14;

impl Document {
    /// Parses and verifies a CPF or CNPJ.
    ///
    /// The kind is decided by length once punctuation is stripped: 11 characters is a CPF, 14 a
    /// CNPJ. See the [module documentation](self) for the accepted forms and the checks, in the
    /// order they are applied: characters, length, letter placement, repeated digits, check
    /// digits.
    ///
    /// ```
    /// use ponte_contract::normalize::document::{Document, DocumentKind};
    ///
    /// let doc = Document::parse("12.abc.345/01de-35").unwrap();
    /// assert_eq!(doc.kind(), DocumentKind::Cnpj);
    /// assert_eq!(doc.as_str(), "12ABC34501DE35");
    /// assert!(Document::parse("529.982.247-24").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, DocumentError> {
        let mut value = String::with_capacity(CNPJ_LEN);
        for c in input.trim().chars() {
            match c {
                '.' | '-' | '/' => {}
                c if c.is_whitespace() => {}
                c if c.is_ascii_alphanumeric() => value.push(c.to_ascii_uppercase()),
                c => return Err(DocumentError::InvalidCharacter(c)),
            }
        }
        let bytes = value.as_bytes();
        let kind = match bytes.len() {
            0 => return Err(DocumentError::Empty),
            CPF_LEN => {
                if !bytes.iter().all(u8::is_ascii_digit) {
                    return Err(DocumentError::MisplacedLetter);
                }
                DocumentKind::Cpf
            }
            CNPJ_LEN => {
                if !bytes[12..].iter().all(u8::is_ascii_digit) {
                    return Err(DocumentError::MisplacedLetter);
                }
                DocumentKind::Cnpj
            }
            n => return Err(DocumentError::BadLength(n)),
        };
        if bytes.iter().all(|b| *b == bytes[0]) {
            return Err(DocumentError::RepeatedDigits);
        }
        let expected = match kind {
            DocumentKind::Cpf => {
                let mut base = [0u8; 9];
                for (slot, b) in base.iter_mut().zip(bytes) {
                    *slot = b - b'0';
                }
                cpf_check_digits(&base)
            }
            DocumentKind::Cnpj => cnpj_check_digits(&value[..12]).ok_or(DocumentError::CheckDigits)?,
        };
        let n = bytes.len();
        if [bytes[n - 2] - b'0', bytes[n - 1] - b'0'] != expected {
            return Err(DocumentError::CheckDigits);
        }
        Ok(Self { kind, value })
    }

    /// The canonical value: `52998224725`, `12ABC34501DE35`.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// CPF or CNPJ.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The usual punctuated form, for people: `529.982.247-25`, `12.ABC.345/01DE-35`.
    pub fn formatted(&self) -> String {
        let v = &self.value;
        match self.kind {
            DocumentKind::Cpf => format!("{}.{}.{}-{}", &v[0..3], &v[3..6], &v[6..9], &v[9..11]),
            DocumentKind::Cnpj => format!("{}.{}.{}/{}-{}", &v[0..2], &v[2..5], &v[5..8], &v[8..12], &v[12..14]),
        }
    }
}

/// The two CPF check digits for nine base digits.
///
/// `base` holds digit values `0..=9` (not ASCII codes). The result is the 10th and 11th digits.
///
/// ```
/// use ponte_contract::normalize::document::cpf_check_digits;
///
/// assert_eq!(cpf_check_digits(&[5, 2, 9, 9, 8, 2, 2, 4, 7]), [2, 5]);
/// ```
pub fn cpf_check_digits(base: &[u8; 9]) -> [u8; 2] {
    fn digit(values: &[u32]) -> u32 {
        // Weights len+1 down to 2: the same as 2, 3, ... from the right without cycling.
        let sum = weighted_sum_from_right(values.iter().copied(), u32::MAX);
        mod11_digit(sum)
    }
    let mut values: Vec<u32> = base.iter().map(|d| u32::from(*d)).collect();
    let first = digit(&values);
    values.push(first);
    let second = digit(&values);
    [first as u8, second as u8]
}

/// A valid CPF (11 digits, no punctuation) made from `n`, for tests and load drivers that need
/// many distinct customers: distinct `n` below 800,000,000 give distinct documents, never a
/// repeated-digit sequence (which the contract refuses).
///
/// ```
/// use ponte_contract::normalize::document::{Document, synthetic_cpf};
///
/// assert!(Document::parse(&synthetic_cpf(0)).is_ok());
/// assert_ne!(synthetic_cpf(1), synthetic_cpf(2));
/// ```
pub fn synthetic_cpf(n: u32) -> String {
    let mut number = 100_000_000 + n % 800_000_000;
    if number.is_multiple_of(111_111_111) {
        number += 1;
    }
    let mut base = [0u8; 9];
    for (slot, byte) in base.iter_mut().zip(number.to_string().bytes()) {
        *slot = byte - b'0';
    }
    let check = cpf_check_digits(&base);
    base.iter().chain(check.iter()).map(|d| char::from(b'0' + d)).collect()
}

/// The two CNPJ check digits for a 12-character base, or `None` when `base` is not exactly 12
/// ASCII letters or digits.
///
/// Works for numeric and alphanumeric CNPJs alike; letters may be in either case.
///
/// ```
/// use ponte_contract::normalize::document::cnpj_check_digits;
///
/// assert_eq!(cnpj_check_digits("12ABC34501DE"), Some([3, 5]));
/// assert_eq!(cnpj_check_digits("000000000001"), Some([9, 1]));
/// assert_eq!(cnpj_check_digits("12ABC"), None);
/// ```
pub fn cnpj_check_digits(base: &str) -> Option<[u8; 2]> {
    let bytes = base.as_bytes();
    if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut values: Vec<u32> = bytes.iter().map(|b| u32::from(b.to_ascii_uppercase()) - u32::from(b'0')).collect();
    let first = mod11_digit(weighted_sum_from_right(values.iter().copied(), 9));
    values.push(first);
    let second = mod11_digit(weighted_sum_from_right(values.iter().copied(), 9));
    Some([first as u8, second as u8])
}

/// The check digit for a modulus-11 weighted sum: 0 when the remainder is below 2, otherwise
/// `11 - remainder`.
fn mod11_digit(sum: u32) -> u32 {
    let remainder = sum % 11;
    if remainder < 2 { 0 } else { 11 - remainder }
}

impl fmt::Display for Document {
    /// The canonical value, without punctuation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for Document {
    type Err = DocumentError;

    /// Same as [`Document::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Document {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl serde::Serialize for Document {
    /// As the canonical string.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> serde::Deserialize<'de> for Document {
    /// From a string in any form [`Document::parse`] accepts; an invalid document is an error.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in a test, a panic is the failure report
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cpf(text: &str) -> Result<String, DocumentError> {
        Document::parse(text).map(|d| {
            assert_eq!(d.kind(), DocumentKind::Cpf);
            d.to_string()
        })
    }

    fn cnpj(text: &str) -> Result<String, DocumentError> {
        Document::parse(text).map(|d| {
            assert_eq!(d.kind(), DocumentKind::Cnpj);
            d.to_string()
        })
    }

    #[test]
    fn receita_federal_alphanumeric_example_is_valid() {
        assert_eq!(cnpj("12.ABC.345/01DE-35").as_deref(), Ok("12ABC34501DE35"));
        assert_eq!(cnpj_check_digits("12ABC34501DE"), Some([3, 5]));
    }

    #[test]
    fn published_numeric_cnpjs_are_valid() {
        // Banco do Brasil, Petrobras, Caixa Econômica Federal, Itaú Unibanco.
        for (text, canonical) in [
            ("00.000.000/0001-91", "00000000000191"),
            ("33.000.167/0001-01", "33000167000101"),
            ("00.360.305/0001-04", "00360305000104"),
            ("60.701.190/0001-04", "60701190000104"),
        ] {
            assert_eq!(cnpj(text).as_deref(), Ok(canonical), "{text}");
        }
    }

    #[test]
    fn known_valid_cpfs_are_valid() {
        for (text, canonical) in
            [("529.982.247-25", "52998224725"), ("111.444.777-35", "11144477735"), ("123.456.789-09", "12345678909")]
        {
            assert_eq!(cpf(text).as_deref(), Ok(canonical), "{text}");
        }
    }

    #[test]
    fn punctuation_and_spaces_anywhere_are_ignored() {
        assert_eq!(cpf("  529 982 247 25\t").as_deref(), Ok("52998224725"));
        assert_eq!(cpf("529-982/247.25").as_deref(), Ok("52998224725"));
        assert_eq!(cnpj("00000000000191").as_deref(), Ok("00000000000191"));
        assert_eq!(cnpj("12 ABC 345 01DE 35").as_deref(), Ok("12ABC34501DE35"));
    }

    #[test]
    fn lowercase_letters_are_accepted_and_uppercased() {
        assert_eq!(cnpj("12.abc.345/01de-35").as_deref(), Ok("12ABC34501DE35"));
        assert_eq!(cnpj("12AbC34501dE35").as_deref(), Ok("12ABC34501DE35"));
    }

    #[test]
    fn formatted_uses_the_usual_punctuation() {
        let d = Document::parse("52998224725").unwrap();
        assert_eq!(d.formatted(), "529.982.247-25");
        let d = Document::parse("12abc34501de35").unwrap();
        assert_eq!(d.formatted(), "12.ABC.345/01DE-35");
    }

    #[test]
    fn empty_input_is_empty() {
        assert_eq!(Document::parse(""), Err(DocumentError::Empty));
        assert_eq!(Document::parse("   "), Err(DocumentError::Empty));
        assert_eq!(Document::parse(" ..-/ "), Err(DocumentError::Empty));
    }

    #[test]
    fn characters_other_than_alphanumerics_and_punctuation_are_rejected() {
        assert_eq!(Document::parse("529.982.247_25"), Err(DocumentError::InvalidCharacter('_')));
        assert_eq!(Document::parse("529,982,247-25"), Err(DocumentError::InvalidCharacter(',')));
        assert_eq!(Document::parse("12.ÁBC.345/01DE-35"), Err(DocumentError::InvalidCharacter('Á')));
    }

    #[test]
    fn lengths_other_than_11_or_14_are_rejected() {
        assert_eq!(Document::parse("5299822472"), Err(DocumentError::BadLength(10)));
        assert_eq!(Document::parse("529982247251"), Err(DocumentError::BadLength(12)));
        assert_eq!(Document::parse("000000000001911"), Err(DocumentError::BadLength(15)));
    }

    #[test]
    fn letters_in_a_cpf_or_in_cnpj_check_digits_are_misplaced() {
        assert_eq!(Document::parse("529.982.247-2A"), Err(DocumentError::MisplacedLetter));
        assert_eq!(Document::parse("A29.982.247-25"), Err(DocumentError::MisplacedLetter));
        assert_eq!(Document::parse("12.ABC.345/01DE-3A"), Err(DocumentError::MisplacedLetter));
    }

    #[test]
    fn repeated_characters_are_rejected_even_though_the_arithmetic_passes() {
        for d in 0..=9u8 {
            let c = char::from(b'0' + d);
            let cpf: String = std::iter::repeat_n(c, 11).collect();
            let cnpj: String = std::iter::repeat_n(c, 14).collect();
            assert_eq!(Document::parse(&cpf), Err(DocumentError::RepeatedDigits));
            assert_eq!(Document::parse(&cnpj), Err(DocumentError::RepeatedDigits));
        }
        assert_eq!(Document::parse("111.111.111-11"), Err(DocumentError::RepeatedDigits));
    }

    #[test]
    fn wrong_check_digits_are_rejected() {
        assert_eq!(Document::parse("529.982.247-24"), Err(DocumentError::CheckDigits));
        assert_eq!(Document::parse("529.982.247-15"), Err(DocumentError::CheckDigits));
        assert_eq!(Document::parse("00.000.000/0001-90"), Err(DocumentError::CheckDigits));
        assert_eq!(Document::parse("12.ABC.345/01DE-53"), Err(DocumentError::CheckDigits));
    }

    #[test]
    fn cnpj_check_digits_rejects_bad_bases() {
        assert_eq!(cnpj_check_digits(""), None);
        assert_eq!(cnpj_check_digits("12ABC34501D"), None);
        assert_eq!(cnpj_check_digits("12ABC34501DE3"), None);
        assert_eq!(cnpj_check_digits("12ABC34501D-"), None);
        assert_eq!(cnpj_check_digits("12abc34501de"), Some([3, 5]));
    }

    #[test]
    fn from_str_display_and_serde_use_the_canonical_string() {
        let d: Document = "529.982.247-25".parse().unwrap();
        assert_eq!(d.to_string(), "52998224725");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"52998224725\"");
        let back: Document = serde_json::from_str("\"12.abc.345/01de-35\"").unwrap();
        assert_eq!(back.as_str(), "12ABC34501DE35");
        assert!(serde_json::from_str::<Document>("\"529.982.247-24\"").is_err());
    }

    /// A valid CPF from a random base (skipping repeated-digit ones).
    fn valid_cpf() -> impl Strategy<Value = String> {
        proptest::array::uniform9(0u8..=9)
            .prop_map(|base| {
                let dv = cpf_check_digits(&base);
                base.iter().chain(dv.iter()).map(|d| char::from(b'0' + d)).collect::<String>()
            })
            .prop_filter("repeated digits", |s| s.bytes().any(|b| b != s.as_bytes()[0]))
    }

    /// A valid CNPJ from a random alphanumeric base (skipping repeated-character ones).
    fn valid_cnpj() -> impl Strategy<Value = String> {
        "[0-9A-Z]{12}"
            .prop_map(|base| {
                let dv = cnpj_check_digits(&base).unwrap();
                format!("{base}{}{}", dv[0], dv[1])
            })
            .prop_filter("repeated digits", |s| s.bytes().any(|b| b != s.as_bytes()[0]))
    }

    fn valid_document() -> impl Strategy<Value = String> {
        prop_oneof![valid_cpf(), valid_cnpj()]
    }

    /// Inserts punctuation from `seps` before the characters at `positions`.
    fn punctuate(canonical: &str, seps: &[(usize, char)]) -> String {
        let mut out = String::new();
        for (i, c) in canonical.chars().enumerate() {
            for (pos, sep) in seps {
                if pos % (canonical.len() + 1) == i {
                    out.push(*sep);
                }
            }
            out.push(c);
        }
        out
    }

    proptest! {
        #[test]
        fn generated_documents_survive_punctuation_and_case(
            canonical in valid_document(),
            seps in proptest::collection::vec((0usize..32, prop_oneof![Just('.'), Just('-'), Just('/'), Just(' ')]), 0..8),
            lower in any::<bool>(),
        ) {
            let mut text = punctuate(&canonical, &seps);
            if lower {
                text = text.to_ascii_lowercase();
            }
            let doc = Document::parse(&text).unwrap();
            prop_assert_eq!(doc.as_str(), canonical.as_str());
        }

        #[test]
        fn formatted_round_trips(canonical in valid_document()) {
            let doc = Document::parse(&canonical).unwrap();
            let again = Document::parse(&doc.formatted()).unwrap();
            prop_assert_eq!(again, doc);
        }

        /// A single changed character is rejected, except in the blind spots of the modulus-11
        /// rule itself: a CNPJ character swapped for one whose value differs by a multiple of 11
        /// (`'6'` and `'A'` are worth 6 and 17), or a change that moves the first remainder
        /// between 0 and 1 (both give check digit 0) while the second check digit doesn't see it
        /// (a CPF's first digit has weight 11 in the second round, and 11 is 0 modulo 11).
        #[test]
        fn a_single_changed_character_is_rejected(
            canonical in valid_document(),
            pos in 0usize..14,
            replacement in "[0-9A-Z]",
        ) {
            let pos = pos % canonical.len();
            let old = canonical.as_bytes()[pos];
            let new = replacement.as_bytes()[0];
            prop_assume!(old != new);
            let mut bytes = canonical.clone().into_bytes();
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            if Document::parse(&changed).is_ok() {
                let delta = i32::from(new) - i32::from(old);
                let first_check_digit = canonical.as_bytes()[canonical.len() - 2];
                let blind_spot = pos < canonical.len() - 2 && (delta % 11 == 0 || first_check_digit == b'0');
                prop_assert!(blind_spot, "{} accepted (from {})", changed, canonical);
            }
        }
    }
}
