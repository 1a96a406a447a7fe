//! Boleto "linhas digitáveis" and the 44-digit barcodes behind them (FEBRABAN).
//!
//! A Brazilian payment slip carries the same information twice: as a 44-digit barcode
//! (Interleaved 2 of 5, what the totem prints and scanners read) and as a "linha digitável",
//! the same digits reordered into fields, each with its own check digit, so a person can
//! type it. There are two families, told apart by length (line) or first digit (barcode):
//!
//! ## Bank boleto ("boleto de cobrança"): 47-digit line
//!
//! Barcode (positions 1-based):
//!
//! | pos   | content                                                           |
//! |-------|-------------------------------------------------------------------|
//! | 1-3   | bank code (COMPE), e.g. `001` Banco do Brasil, `237` Bradesco     |
//! | 4     | currency (`9` = real)                                             |
//! | 5     | general check digit (modulus 11, see below)                       |
//! | 6-9   | due-date factor (days since a base date, `0000` = no due date)    |
//! | 10-19 | amount in cents (`0000000000` = amount chosen at payment)         |
//! | 20-44 | free field ("campo livre"), laid out by each bank                 |
//!
//! Line: `AAABC.CCCCX DDDDD.DDDDDY EEEEE.EEEEEZ K UUUUVVVVVVVVVV` where field 1 is bank,
//! currency and free-field positions 20-24 with check digit `X`, field 2 is free-field 25-34
//! with `Y`, field 3 is free-field 35-44 with `Z` (these three by modulus 10), field 4 (`K`)
//! is the barcode's general check digit and field 5 is factor and amount.
//!
//! General check digit: the 43 other barcode digits weighted 2, 3, ..., 9, 2, 3, ... from the
//! right, `11 - sum % 11`, and the results 0, 10 and 11 become 1 (so the digit is never 0).
//!
//! ## Collection ("arrecadação": utilities, taxes, agreements): 48-digit line
//!
//! Barcode: `8` (product), segment (1 city halls, 2 sanitation, 3 electricity and gas,
//! 4 telecom, 5 government bodies, 6 companies, 7 traffic fines, 9 bank use), value-type
//! identifier, general check digit, 11-digit value, then the company and its free field.
//! The identifier chooses the check-digit algorithm for the whole slip: `6`/`7` modulus 10,
//! `8`/`9` modulus 11 (FEBRABAN collection rule: weights 2..9 from the right, remainder 0 or
//! 1 gives 0, otherwise `11 - remainder`, so a remainder of 10 gives 1). With `6`/`8` the
//! value is an amount in cents; with `7`/`9` it is a reference quantity.
//!
//! Line: the barcode cut into four blocks of 11 digits, each followed by its own check digit
//! (same algorithm as the general one): `BBBBBBBBBBB-X BBBBBBBBBBB-X BBBBBBBBBBB-X BBBBBBBBBBB-X`.
//!
//! ## What is verified
//! [`BoletoLine::parse`] and [`Barcode::parse`] accept digits with the usual separators
//! (spaces, dots, hyphens, tabs, line breaks) and verify every check digit: the three field
//! digits and the general digit of a bank line, the four block digits and the general digit
//! of a collection line. A value of these types is therefore always internally consistent,
//! and [`BoletoLine::to_barcode`] / [`BoletoLine::from_barcode`] convert exactly.
//!
//! Check digits catch typing errors, not fraud: any single changed digit in a field with a
//! modulus-10 digit is always caught, but the modulus-11 variants fold several remainders
//! onto one digit (0/1/10 → 1 for the bank general digit, 0/1 → 0 for collections), so a
//! small share of single-digit changes covered only by a modulus-11 digit go unnoticed.
//!
//! ## Due date
//! The bank due-date factor counts days from 1997-10-07 and ran out at 9999 on 2025-02-21;
//! on 2025-02-22 it restarted at 1000 (FEBRABAN). [`BoletoLine::due_date`] reads factors in
//! the current window (1000 = 2025-02-22, 9999 = 2049-10-13); [`BoletoLine::due_date_near`]
//! picks the window closest to a reference date, for older slips.

use chrono::{Days, NaiveDate};

use super::check_digit::{mod10, weighted_sum_from_right};

/// Bank boleto (47-digit line) or collection / "arrecadação" (48-digit line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Bank boleto ("boleto bancário"): 47-digit line.
    Bank,
    /// Collection ("arrecadação": utilities, taxes, agreements): 48-digit line.
    Collection,
}

/// A verified "linha digitável": digits only, every check digit verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoletoLine {
    kind: LineKind,
    digits: String,
}

/// A verified 44-digit barcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barcode {
    kind: LineKind,
    digits: String,
}

/// Why a text is not a valid line or barcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoletoError {
    /// Nothing left after removing separators.
    #[error("boleto line is empty")]
    Empty,
    /// A character other than digits and the usual separators (space, dot, hyphen, tab,
    /// line break).
    #[error("boleto line contains a non-digit character")]
    NonDigit,
    /// Wrong number of digits: a line has 47 (bank) or 48 (collection), a barcode 44.
    #[error("boleto line or barcode has {0} digits (a line has 47 or 48, a barcode 44)")]
    BadLength(usize),
    /// A field's check digit does not match: fields 1 to 3 of a bank line, blocks 1 to 4 of
    /// a collection line.
    #[error("check digit of field {0} does not match")]
    FieldCheckDigit(u8),
    /// The general check digit (the barcode's) does not match.
    #[error("general check digit does not match")]
    GeneralCheckDigit,
    /// A 48-digit line (or a barcode read as a collection) that does not start with `8`.
    #[error("a collection (arrecadação) line must start with 8")]
    NotCollection,
    /// A collection value-type identifier (third digit) other than 6, 7, 8 or 9.
    #[error("unknown collection value-type identifier {0} (expected 6, 7, 8 or 9)")]
    UnknownValueType(u8),
    /// A value that does not fit its barcode field (building a barcode).
    #[error("{0} does not fit the barcode")]
    OutOfRange(&'static str),
}

/// Due-date factor base: factor 1000 fell on 2000-07-03, 9999 on 2025-02-21.
const FACTOR_BASE: Option<NaiveDate> = NaiveDate::from_ymd_opt(1997, 10, 7);
/// Days between two factor windows: 1000 restarted on 2025-02-22, 9000 days after 2000-07-03.
const FACTOR_CYCLE: i64 = 9000;

impl BoletoLine {
    /// Parses and verifies a line: strips separators, decides the kind by length (47 bank,
    /// 48 collection) and verifies every field and general check digit.
    pub fn parse(input: &str) -> Result<Self, BoletoError> {
        let digits = clean_digits(input)?;
        match digits.len() {
            47 => parse_bank_line(digits),
            48 => parse_collection_line(digits),
            n => Err(BoletoError::BadLength(n)),
        }
    }

    /// The line for a barcode, with every field check digit computed.
    pub fn from_barcode(barcode: &Barcode) -> Self {
        let b = barcode.digits.as_str();
        let mut line = String::with_capacity(48);
        match barcode.kind {
            LineKind::Bank => {
                for field in [[&b[0..4], &b[19..24]].concat(), b[24..34].to_owned(), b[34..44].to_owned()] {
                    let dv = mod10(&values(&field));
                    line.push_str(&field);
                    line.push(digit_char(dv));
                }
                line.push_str(&b[4..5]);
                line.push_str(&b[5..19]);
            }
            LineKind::Collection => {
                let modulus = collection_modulus(b);
                for block in [&b[0..11], &b[11..22], &b[22..33], &b[33..44]] {
                    line.push_str(block);
                    line.push(digit_char(modulus.check_digit(&values(block))));
                }
            }
        }
        BoletoLine { kind: barcode.kind, digits: line }
    }

    /// The barcode behind this line.
    pub fn to_barcode(&self) -> Barcode {
        Barcode { kind: self.kind, digits: line_to_barcode_digits(self.kind, &self.digits) }
    }

    /// The 47 or 48 digits, no separators.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// Bank or collection.
    pub fn kind(&self) -> LineKind {
        self.kind
    }

    /// The line in its printed form: `00190.50095 40144.816069 06809.350314 3 37370000000100`
    /// for a bank boleto, `82650000011-0 31440008170-4 ...` for a collection.
    pub fn formatted(&self) -> String {
        let d = self.digits.as_str();
        match self.kind {
            LineKind::Bank => format!(
                "{}.{} {}.{} {}.{} {} {}",
                &d[0..5],
                &d[5..10],
                &d[10..15],
                &d[15..21],
                &d[21..26],
                &d[26..32],
                &d[32..33],
                &d[33..47]
            ),
            LineKind::Collection => format!(
                "{}-{} {}-{} {}-{} {}-{}",
                &d[0..11],
                &d[11..12],
                &d[12..23],
                &d[23..24],
                &d[24..35],
                &d[35..36],
                &d[36..47],
                &d[47..48]
            ),
        }
    }

    /// Bank boletos: the 3-digit bank code (`"001"`, `"237"`, ...). `None` for collections.
    pub fn bank_code(&self) -> Option<&str> {
        (self.kind == LineKind::Bank).then(|| &self.digits[0..3])
    }

    /// The amount in cents: for a bank boleto the 10-digit value field (0 means the amount
    /// is filled in at payment); for a collection with identifier 6 or 8 the 11-digit value.
    /// `None` for collections whose value is a reference quantity (identifier 7 or 9).
    pub fn amount_cents(&self) -> Option<u64> {
        self.to_barcode().amount_cents()
    }

    /// Bank boletos: the due date in the current factor window (see the module docs): factor
    /// 1000 is 2025-02-22, 9999 is 2049-10-13. Factors below 1000 only ever existed before the
    /// rollover and are read in the original window (1997-10-07 + factor). `None` for factor
    /// `0000` (no due date) and for collections.
    pub fn due_date(&self) -> Option<NaiveDate> {
        self.to_barcode().due_date()
    }

    /// Bank boletos: the due date in the factor window closest to `reference` (typically the
    /// slip's issue date or today). Use it for slips that may predate the 2025-02-22 rollover:
    /// factor 4869 is 2011-02-05 near 2011 and 2035-09-27 near 2035. `None` as [`Self::due_date`].
    pub fn due_date_near(&self, reference: NaiveDate) -> Option<NaiveDate> {
        self.to_barcode().due_date_near(reference)
    }

    /// Collections: the segment digit (1 city halls, 2 sanitation, 3 electricity and gas,
    /// 4 telecom, 5 government bodies, 6 companies, 7 traffic fines, 9 bank use). `None` for
    /// bank boletos.
    pub fn segment(&self) -> Option<u8> {
        self.to_barcode().segment()
    }
}

impl Barcode {
    /// Parses and verifies a 44-digit barcode (separators are tolerated as for lines). A
    /// barcode starting with `8` is a collection, anything else a bank boleto.
    pub fn parse(input: &str) -> Result<Self, BoletoError> {
        let digits = clean_digits(input)?;
        if digits.len() != 44 {
            return Err(BoletoError::BadLength(digits.len()));
        }
        if digits.starts_with('8') {
            let modulus = value_type_modulus(&digits)?;
            if general_check_digit_collection(&digits, modulus) != digit_at(&digits, 3) {
                return Err(BoletoError::GeneralCheckDigit);
            }
            Ok(Barcode { kind: LineKind::Collection, digits })
        } else {
            if general_check_digit_bank(&digits) != digit_at(&digits, 4) {
                return Err(BoletoError::GeneralCheckDigit);
            }
            Ok(Barcode { kind: LineKind::Bank, digits })
        }
    }

    /// The 44 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// Bank or collection.
    pub fn kind(&self) -> LineKind {
        self.kind
    }

    /// The "linha digitável" for this barcode (same as [`BoletoLine::from_barcode`]).
    pub fn to_line(&self) -> BoletoLine {
        BoletoLine::from_barcode(self)
    }

    /// Bank boletos: the 3-digit bank code. `None` for collections.
    pub fn bank_code(&self) -> Option<&str> {
        (self.kind == LineKind::Bank).then(|| &self.digits[0..3])
    }

    /// The amount in cents; see [`BoletoLine::amount_cents`].
    pub fn amount_cents(&self) -> Option<u64> {
        match self.kind {
            LineKind::Bank => Some(number(&self.digits[9..19])),
            LineKind::Collection => matches!(&self.digits[2..3], "6" | "8").then(|| number(&self.digits[4..15])),
        }
    }

    /// Bank boletos: the due-date factor (`0` = no due date). `None` for collections.
    pub fn due_factor(&self) -> Option<u16> {
        // Four digits: at most 9999, always fits.
        (self.kind == LineKind::Bank).then(|| number(&self.digits[5..9]) as u16)
    }

    /// The due date in the current factor window; see [`BoletoLine::due_date`].
    pub fn due_date(&self) -> Option<NaiveDate> {
        let factor = u64::from(self.due_factor().filter(|f| *f != 0)?);
        let base = FACTOR_BASE?;
        if factor < 1000 {
            base.checked_add_days(Days::new(factor))
        } else {
            base.checked_add_days(Days::new(factor + FACTOR_CYCLE as u64))
        }
    }

    /// The due date in the factor window closest to `reference`; see
    /// [`BoletoLine::due_date_near`].
    pub fn due_date_near(&self, reference: NaiveDate) -> Option<NaiveDate> {
        let factor = i64::from(self.due_factor().filter(|f| *f != 0)?);
        let base = FACTOR_BASE?;
        let cycles = if factor < 1000 {
            0
        } else {
            let offset = reference.signed_duration_since(base).num_days() - factor;
            (offset + FACTOR_CYCLE / 2).div_euclid(FACTOR_CYCLE).max(0)
        };
        let days = u64::try_from(factor + cycles * FACTOR_CYCLE).ok()?;
        base.checked_add_days(Days::new(days))
    }

    /// Collections: the segment digit; see [`BoletoLine::segment`]. `None` for bank boletos.
    pub fn segment(&self) -> Option<u8> {
        (self.kind == LineKind::Collection).then(|| digit_at(&self.digits, 1))
    }
}

impl Barcode {
    /// Builds a bank boleto's barcode from its parts, computing the general check digit: what an
    /// adapter whose ERP gives only the parts (or a simulator) needs to yield a valid line.
    ///
    /// `bank_code` is 3 digits, `due_date` is expressed as the factor of the current window
    /// (`None`: no due date, factor 0000), `amount_cents` fits 10 digits, and `free_field` is
    /// the bank's 25 digits.
    ///
    /// # Errors
    /// [`BoletoError::NonDigit`], [`BoletoError::BadLength`] or [`BoletoError::OutOfRange`] for
    /// a part that does not fit.
    ///
    /// # Examples
    /// ```
    /// use ponte_contract::normalize::boleto::{Barcode, BoletoLine};
    /// let due = chrono::NaiveDate::from_ymd_opt(2026, 3, 10);
    /// let barcode = Barcode::build_bank("341", due, 12_345, "1090000015710293013280000").unwrap();
    /// let line = BoletoLine::from_barcode(&barcode);
    /// assert_eq!(BoletoLine::parse(line.as_str()).unwrap().due_date(), due);
    /// ```
    pub fn build_bank(
        bank_code: &str,
        due_date: Option<NaiveDate>,
        amount_cents: u64,
        free_field: &str,
    ) -> Result<Barcode, BoletoError> {
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(bank_code) || !all_digits(free_field) {
            return Err(BoletoError::NonDigit);
        }
        if bank_code.len() != 3 {
            return Err(BoletoError::BadLength(bank_code.len()));
        }
        if free_field.len() != 25 {
            return Err(BoletoError::BadLength(free_field.len()));
        }
        if amount_cents > 9_999_999_999 {
            return Err(BoletoError::OutOfRange("amount"));
        }
        let factor = match due_date {
            None => 0,
            Some(date) => {
                let base = FACTOR_BASE.ok_or(BoletoError::OutOfRange("due date"))?;
                let mut factor = date.signed_duration_since(base).num_days();
                while factor > 9999 {
                    factor -= FACTOR_CYCLE;
                }
                if factor < 1000 {
                    return Err(BoletoError::OutOfRange("due date"));
                }
                factor
            }
        };
        let mut digits = format!("{bank_code}90{factor:04}{amount_cents:010}{free_field}");
        let check = general_check_digit_bank(&digits);
        digits.replace_range(4..5, &digit_char(check).to_string());
        Ok(Barcode { kind: LineKind::Bank, digits })
    }
}

/// Which check-digit algorithm a collection slip uses, from its value-type identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CollectionModulus {
    /// Identifiers 6 and 7.
    Ten,
    /// Identifiers 8 and 9.
    Eleven,
}

impl CollectionModulus {
    fn check_digit(self, digits: &[u8]) -> u8 {
        match self {
            CollectionModulus::Ten => mod10(digits),
            CollectionModulus::Eleven => mod11_collection(digits),
        }
    }
}

/// Keeps the digits of `input`, dropping the usual separators; anything else is an error.
fn clean_digits(input: &str) -> Result<String, BoletoError> {
    let mut digits = String::with_capacity(48);
    for c in input.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '\t' | '\n' | '\r' => {}
            _ => return Err(BoletoError::NonDigit),
        }
    }
    if digits.is_empty() {
        return Err(BoletoError::Empty);
    }
    Ok(digits)
}

fn parse_bank_line(digits: String) -> Result<BoletoLine, BoletoError> {
    for (field, range, dv_at) in [(1u8, 0..9, 9), (2, 10..20, 20), (3, 21..31, 31)] {
        if mod10(&values(&digits[range])) != digit_at(&digits, dv_at) {
            return Err(BoletoError::FieldCheckDigit(field));
        }
    }
    let barcode = line_to_barcode_digits(LineKind::Bank, &digits);
    if general_check_digit_bank(&barcode) != digit_at(&barcode, 4) {
        return Err(BoletoError::GeneralCheckDigit);
    }
    Ok(BoletoLine { kind: LineKind::Bank, digits })
}

fn parse_collection_line(digits: String) -> Result<BoletoLine, BoletoError> {
    let modulus = value_type_modulus(&digits)?;
    for block in 0..4u8 {
        let start = usize::from(block) * 12;
        let dv = modulus.check_digit(&values(&digits[start..start + 11]));
        if dv != digit_at(&digits, start + 11) {
            return Err(BoletoError::FieldCheckDigit(block + 1));
        }
    }
    let barcode = line_to_barcode_digits(LineKind::Collection, &digits);
    if general_check_digit_collection(&barcode, modulus) != digit_at(&barcode, 3) {
        return Err(BoletoError::GeneralCheckDigit);
    }
    Ok(BoletoLine { kind: LineKind::Collection, digits })
}

/// Checks the `8` prefix and reads the value-type identifier (third digit, same position in
/// a collection line and barcode).
fn value_type_modulus(digits: &str) -> Result<CollectionModulus, BoletoError> {
    if !digits.starts_with('8') {
        return Err(BoletoError::NotCollection);
    }
    match digit_at(digits, 2) {
        6 | 7 => Ok(CollectionModulus::Ten),
        8 | 9 => Ok(CollectionModulus::Eleven),
        other => Err(BoletoError::UnknownValueType(other)),
    }
}

/// The modulus of an already verified collection barcode.
fn collection_modulus(barcode: &str) -> CollectionModulus {
    if matches!(digit_at(barcode, 2), 8 | 9) { CollectionModulus::Eleven } else { CollectionModulus::Ten }
}

/// Rearranges a verified line into its barcode digits.
fn line_to_barcode_digits(kind: LineKind, l: &str) -> String {
    match kind {
        LineKind::Bank => [&l[0..4], &l[32..33], &l[33..47], &l[4..9], &l[10..20], &l[21..31]].concat(),
        LineKind::Collection => [&l[0..11], &l[12..23], &l[24..35], &l[36..47]].concat(),
    }
}

/// The bank general check digit of a 44-digit barcode (position 5 itself is skipped).
fn general_check_digit_bank(barcode: &str) -> u8 {
    let mut digits = values(&barcode[0..4]);
    digits.extend(values(&barcode[5..44]));
    mod11_bank(&digits)
}

/// FEBRABAN bank modulus 11: weights 2..9 from the right, `11 - remainder`, and the results
/// 0, 10 and 11 (remainders 0 and 1; 11 - 0 never occurs as 0) become 1.
fn mod11_bank(digits: &[u8]) -> u8 {
    let remainder = weighted_sum_from_right(digits.iter().map(|d| u32::from(*d)), 9) % 11;
    if remainder <= 1 { 1 } else { (11 - remainder) as u8 }
}

/// The collection general check digit of a 44-digit barcode (position 4 itself is skipped).
fn general_check_digit_collection(barcode: &str, modulus: CollectionModulus) -> u8 {
    let mut digits = values(&barcode[0..3]);
    digits.extend(values(&barcode[4..44]));
    modulus.check_digit(&digits)
}

/// FEBRABAN collection modulus 11: weights 2..9 from the right; remainder 0 or 1 gives 0,
/// otherwise `11 - remainder` (a remainder of 10 gives 1).
fn mod11_collection(digits: &[u8]) -> u8 {
    let remainder = weighted_sum_from_right(digits.iter().map(|d| u32::from(*d)), 9) % 11;
    if remainder <= 1 { 0 } else { (11 - remainder) as u8 }
}

/// Digit values of an all-digit string.
fn values(digits: &str) -> Vec<u8> {
    digits.bytes().map(|b| b.wrapping_sub(b'0')).collect()
}

/// The value of the digit at byte `index` of an all-digit string.
fn digit_at(digits: &str, index: usize) -> u8 {
    digits.as_bytes().get(index).map_or(u8::MAX, |b| b.wrapping_sub(b'0'))
}

fn digit_char(value: u8) -> char {
    char::from(b'0' + value % 10)
}

/// The number an all-digit string of at most 19 digits spells.
fn number(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |n, b| n * 10 + u64::from(b.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(input: &str) -> BoletoLine {
        match BoletoLine::parse(input) {
            Ok(line) => line,
            Err(e) => panic!("{input:?} should be a valid line: {e}"),
        }
    }

    fn barcode(input: &str) -> Barcode {
        match Barcode::parse(input) {
            Ok(barcode) => barcode,
            Err(e) => panic!("{input:?} should be a valid barcode: {e}"),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// Published bank lines with their barcodes.
    const BANK_EXAMPLES: &[(&str, &str)] = &[
        // Banco do Brasil (001): ClipBarcode tests/test_boleto.py (github.com/viniciusccosta/ClipBarcode).
        ("00190.50095 40144.816069 06809.350314 3 37370000000100", "00193373700000001000500940144816060680935031"),
        // Banco do Brasil (001): ClipBarcode tests/test_boleto.py, test_from_cod_barras_em_massa.
        ("00190000090294172501801726802174393850000021960", "00193938500000219600000002941725010172680217"),
        // Santander (033): ClipBarcode tests/test_boleto.py ("issue 23", a real slip a user reported).
        ("03399.00672 93710.100970 64014.701011 8 93830000015898", "03398938300000158989006793710100976401470101"),
        // BRB (070): ClipBarcode tests/test_boleto.py, test_from_cod_barras_em_massa.
        ("07090000204022018810220111070593293690000049198", "07092936900000491980000240220188102011107059"),
        // Banco Inter (077), factor 0000 and amount 0: ClipBarcode test_from_cod_barras_em_massa.
        ("07790001160100130520895475180725100000000000000", "07791000000000000000001101001305209547518072"),
        // Itaú (341): ClipBarcode test_from_cod_barras_em_massa.
        ("34191090080307863091494258500001193770000324940", "34191937700003249401090003078630919425850000"),
        // Itaú (341): pyboleto tests/test_banco_itau.py (github.com/eduardocereto/pyboleto).
        ("34191.09008 00015.710296 30132.800001 9 43950000002980", "34199439500000029801090000015710293013280000"),
        // Bradesco (237): pyboleto tests/test_banco_bradesco.py.
        ("23790.27804 60000.212559 25003.923205 4 48690000828000", "23794486900008280000278060000212552500392320"),
        // Caixa (104): pyboleto tests/test_banco_caixa.py.
        ("10498.01952 25086.156582 70000.004146 1 53880000295295", "10491538800002952958019525086156587000000414"),
        // Safra (422): Boleto-Validator-PHP tests (github.com/Tagliatti/Boleto-Validator-PHP).
        ("42297.11504 00001.954411 60020.034520 2 68610000054659", ""),
        // Itaú (341): VerificadorBoletoBr README (github.com/Hamdan85/VerificadorBoletoBr).
        ("34191 75801 03928 662935 80573 180009 4 67700000007388", ""),
    ];

    /// Published collection (arrecadação) lines with their barcodes.
    const COLLECTION_EXAMPLES: &[(&str, &str)] = &[
        // Segment 2 (sanitation), identifier 6 (mod 10): ClipBarcode tests/test_boleto.py.
        ("826500000110 314400081704 924000000027 202104000015", "82650000011314400081709240000000220210400001"),
        // Segment 5 (government), identifier 8 (mod 11): ClipBarcode tests/test_boleto.py.
        ("85870000134 7 79110328221 0 40072022125 6 74512580554 8", "85870000134791103282214007202212574512580554"),
        // Segment 3 (electricity), identifier 6: Boleto-Validator-PHP tests and README.
        ("83640000001-1 33120138000-2 81288462711-6 08013618155-1", ""),
        // Segment 5, identifier 8: Boleto-Validator-PHP tests and README.
        ("85890000460-9 52460179160-5 60759305086-5 83148300001-0", ""),
        // GPS (INSS), segment 5, identifier 8: VerificadorBoletoBr README.
        ("858900000018 097802702000 323858108001 011520190292", ""),
    ];

    #[test]
    fn published_bank_lines_are_valid_and_match_their_barcodes() {
        for (text, code) in BANK_EXAMPLES {
            let parsed = line(text);
            assert_eq!(parsed.kind(), LineKind::Bank, "{text}");
            assert_eq!(parsed.as_str().len(), 47);
            if !code.is_empty() {
                assert_eq!(parsed.to_barcode().as_str(), *code, "{text}");
                assert_eq!(BoletoLine::from_barcode(&barcode(code)), parsed, "{text}");
            }
        }
    }

    #[test]
    fn published_collection_lines_are_valid_and_match_their_barcodes() {
        for (text, code) in COLLECTION_EXAMPLES {
            let parsed = line(text);
            assert_eq!(parsed.kind(), LineKind::Collection, "{text}");
            assert_eq!(parsed.as_str().len(), 48);
            if !code.is_empty() {
                assert_eq!(parsed.to_barcode().as_str(), *code, "{text}");
                assert_eq!(BoletoLine::from_barcode(&barcode(code)), parsed, "{text}");
            }
        }
    }

    #[test]
    fn bank_accessors_read_bank_amount_and_due_date() {
        let bradesco = line("23790.27804 60000.212559 25003.923205 4 48690000828000");
        assert_eq!(bradesco.bank_code(), Some("237"));
        assert_eq!(bradesco.amount_cents(), Some(828_000));
        assert_eq!(bradesco.segment(), None);
        // pyboleto issued this slip due 2011-02-05 (factor 4869, first window).
        assert_eq!(bradesco.due_date_near(date(2011, 1, 18)), Some(date(2011, 2, 5)));
        // Read in the current window, the same factor is 9000 days later.
        assert_eq!(bradesco.due_date(), Some(date(2035, 9, 27)));

        let caixa = line("10498.01952 25086.156582 70000.004146 1 53880000295295");
        assert_eq!(caixa.bank_code(), Some("104"));
        assert_eq!(caixa.amount_cents(), Some(295_295));
        assert_eq!(caixa.due_date_near(date(2012, 7, 3)), Some(date(2012, 7, 8)));

        let itau = line("34191.09008 00015.710296 30132.800001 9 43950000002980");
        assert_eq!(itau.due_date_near(date(2009, 10, 19)), Some(date(2009, 10, 19)));
        assert_eq!(itau.amount_cents(), Some(2_980));
    }

    #[test]
    fn due_factor_rollover_and_no_due_date() {
        let inter = line("07790001160100130520895475180725100000000000000");
        assert_eq!(inter.due_date(), None, "factor 0000 means no due date");
        assert_eq!(inter.due_date_near(date(2020, 1, 1)), None);
        assert_eq!(inter.amount_cents(), Some(0));

        let with_factor = |factor: &str| {
            let payload = format!("0019{factor}0000010000{}", "0".repeat(25));
            let dv = general_check_digit_bank(&format!("{}0{}", &payload[0..4], &payload[4..]));
            barcode(&format!("{}{}{}", &payload[0..4], dv, &payload[4..]))
        };
        assert_eq!(with_factor("1000").due_date(), Some(date(2025, 2, 22)));
        assert_eq!(with_factor("9999").due_date(), Some(date(2049, 10, 13)));
        assert_eq!(with_factor("9999").due_date_near(date(2025, 1, 1)), Some(date(2025, 2, 21)));
        assert_eq!(with_factor("1000").due_date_near(date(2000, 7, 1)), Some(date(2000, 7, 3)));
        assert_eq!(with_factor("1000").due_date_near(date(2025, 3, 1)), Some(date(2025, 2, 22)));
        assert_eq!(with_factor("0500").due_date(), Some(date(1999, 2, 19)));
    }

    #[test]
    fn collection_accessors_read_segment_and_amount() {
        let sanitation = line("826500000110 314400081704 924000000027 202104000015");
        assert_eq!(sanitation.segment(), Some(2));
        assert_eq!(sanitation.amount_cents(), Some(113_144));
        assert_eq!(sanitation.bank_code(), None);
        assert_eq!(sanitation.due_date(), None);

        let gps = line("858900000018 097802702000 323858108001 011520190292");
        assert_eq!(gps.segment(), Some(5));
        assert_eq!(gps.amount_cents(), Some(10_978));
    }

    #[test]
    fn formatted_lines_reparse_to_the_same_digits() {
        let bank = line("00190500954014481606906809350314337370000000100");
        assert_eq!(bank.formatted(), "00190.50095 40144.816069 06809.350314 3 37370000000100");
        let collection = line("836400000011331201380002812884627116080136181551");
        assert_eq!(collection.formatted(), "83640000001-1 33120138000-2 81288462711-6 08013618155-1");
        for l in [bank, collection] {
            assert_eq!(BoletoLine::parse(&l.formatted()), Ok(l.clone()));
        }
    }

    #[test]
    fn bad_inputs_are_rejected_with_the_reason() {
        let cases: &[(&str, BoletoError)] = &[
            ("", BoletoError::Empty),
            (" . - \n", BoletoError::Empty),
            ("00190.50095 40144.816069 06809.35031X 3 37370000000100", BoletoError::NonDigit),
            ("00190/50095 40144.816069 06809.350314 3 37370000000100", BoletoError::NonDigit),
            ("0019050095401448160690680935031433737000000010", BoletoError::BadLength(46)),
            ("0019050095401448160690680935031433737000000010000", BoletoError::BadLength(49)),
            // Field check digits changed (5 -> 6, 9 -> 8, 4 -> 5).
            ("00190.50096 40144.816069 06809.350314 3 37370000000100", BoletoError::FieldCheckDigit(1)),
            ("00190.50095 40144.816068 06809.350314 3 37370000000100", BoletoError::FieldCheckDigit(2)),
            ("00190.50095 40144.816069 06809.350315 3 37370000000100", BoletoError::FieldCheckDigit(3)),
            // General check digit 3 -> 4, then the amount changed under a correct general digit.
            ("00190.50095 40144.816069 06809.350314 4 37370000000100", BoletoError::GeneralCheckDigit),
            ("00190.50095 40144.816069 06809.350314 3 37370000000200", BoletoError::GeneralCheckDigit),
            // Collection block check digits.
            ("83640000001-2 33120138000-2 81288462711-6 08013618155-1", BoletoError::FieldCheckDigit(1)),
            ("83640000001-1 33120138000-3 81288462711-6 08013618155-1", BoletoError::FieldCheckDigit(2)),
            ("83640000001-1 33120138000-2 81288462711-7 08013618155-1", BoletoError::FieldCheckDigit(3)),
            ("85890000460-9 52460179160-5 60759305086-5 83148300001-1", BoletoError::FieldCheckDigit(4)),
            ("85890000460-8 52460179160-5 60759305086-5 83148300001-0", BoletoError::FieldCheckDigit(1)),
            // 48 digits that are not a collection, and an unknown value type.
            ("936400000011331201380002812884627116080136181551", BoletoError::NotCollection),
            ("835400000011331201380002812884627116080136181551", BoletoError::UnknownValueType(5)),
        ];
        for (input, expected) in cases {
            assert_eq!(BoletoLine::parse(input).as_ref(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn collection_general_check_digit_is_verified_even_with_valid_blocks() {
        // Block 1 of 8589... with the value changed (460 -> 464) and its block digit fixed:
        // Boleto-Validator-PHP accepts it because it only checks blocks; the general digit
        // (still 9) no longer matches.
        assert_eq!(
            BoletoLine::parse("85890000464-1 52460179160-5 60759305086-5 83148300001-0"),
            Err(BoletoError::GeneralCheckDigit)
        );
    }

    #[test]
    fn bad_barcodes_are_rejected_with_the_reason() {
        let cases: &[(&str, BoletoError)] = &[
            ("", BoletoError::Empty),
            ("0019337370000000100050094014481606068093503", BoletoError::BadLength(43)),
            ("0019337370000000100050094014481606068093503A", BoletoError::NonDigit),
            // ClipBarcode's invalid examples: general digit changed.
            ("00194373700000001000500940144816060680935031", BoletoError::GeneralCheckDigit),
            ("85870000133791103282214007202212574512580554", BoletoError::GeneralCheckDigit),
            ("82550000011314400081709240000000220210400001", BoletoError::UnknownValueType(5)),
        ];
        for (input, expected) in cases {
            assert_eq!(Barcode::parse(input).as_ref(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn febraban_mod11_remainders_map_to_the_documented_digits() {
        // Single digits weigh 2: [0] -> remainder 0, [6] -> 12 -> 1, [5] -> 10, [4] -> 8.
        // Bank: 11 - remainder, with 11 (rem 0), 10 (rem 1) and 1 (rem 10) all giving 1.
        assert_eq!(mod11_bank(&[0]), 1);
        assert_eq!(mod11_bank(&[6]), 1);
        assert_eq!(mod11_bank(&[5]), 1);
        assert_eq!(mod11_bank(&[4]), 3);
        // Collection: remainders 0 and 1 give 0, 10 gives 1.
        assert_eq!(mod11_collection(&[0]), 0);
        assert_eq!(mod11_collection(&[6]), 0);
        assert_eq!(mod11_collection(&[5]), 1);
        assert_eq!(mod11_collection(&[4]), 3);
        // Weights cycle 2..9 from the right: nine ones weigh 2+3+...+9+2 = 46, remainder 2.
        assert_eq!(mod11_bank(&[1; 9]), 9);
    }

    /// A valid bank barcode from a 43-digit payload (without the general digit).
    fn bank_barcode_from(payload: &str) -> String {
        let with_placeholder = format!("{}0{}", &payload[0..4], &payload[4..]);
        let dv = general_check_digit_bank(&with_placeholder);
        format!("{}{}{}", &payload[0..4], dv, &payload[4..])
    }

    /// A valid collection barcode from segment, identifier and a 40-digit rest.
    fn collection_barcode_from(segment: u8, identifier: u8, rest: &str) -> String {
        let with_placeholder = format!("8{segment}{identifier}0{rest}");
        let modulus = collection_modulus(&with_placeholder);
        let dv = general_check_digit_collection(&with_placeholder, modulus);
        format!("8{segment}{identifier}{dv}{rest}")
    }

    fn insert_formatting(digits: &str, seps: &[(usize, char)]) -> String {
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            for (at, sep) in seps {
                if *at % (digits.len() + 1) == i {
                    out.push(*sep);
                }
            }
            out.push(c);
        }
        out
    }

    fn separator() -> impl Strategy<Value = char> {
        prop_oneof![Just(' '), Just('.'), Just('-'), Just('\n'), Just('\t')]
    }

    proptest! {
        #[test]
        fn any_bank_payload_round_trips_barcode_line_barcode(
            first in "[0-79]", rest in "[0-9]{42}"
        ) {
            let code = bank_barcode_from(&format!("{first}{rest}"));
            let parsed = Barcode::parse(&code).expect("computed barcode is valid");
            prop_assert_eq!(parsed.kind(), LineKind::Bank);
            let l = BoletoLine::from_barcode(&parsed);
            prop_assert_eq!(BoletoLine::parse(l.as_str()), Ok(l.clone()));
            prop_assert_eq!(l.to_barcode(), parsed);
        }

        #[test]
        fn any_collection_payload_round_trips_barcode_line_barcode(
            segment in 0u8..10, identifier in 6u8..10, rest in "[0-9]{40}"
        ) {
            let code = collection_barcode_from(segment, identifier, &rest);
            let parsed = Barcode::parse(&code).expect("computed barcode is valid");
            prop_assert_eq!(parsed.kind(), LineKind::Collection);
            let l = BoletoLine::from_barcode(&parsed);
            prop_assert_eq!(BoletoLine::parse(l.as_str()), Ok(l.clone()));
            prop_assert_eq!(l.to_barcode(), parsed);
        }

        #[test]
        fn valid_lines_survive_inserted_formatting(
            first in "[0-79]", rest in "[0-9]{42}", identifier in 6u8..10, rest2 in "[0-9]{40}",
            seps in proptest::collection::vec((0usize..64, separator()), 0..12),
        ) {
            let bank = BoletoLine::from_barcode(&barcode(&bank_barcode_from(&format!("{first}{rest}"))));
            let coll = BoletoLine::from_barcode(&barcode(&collection_barcode_from(3, identifier, &rest2)));
            for l in [bank, coll] {
                let messy = insert_formatting(l.as_str(), &seps);
                prop_assert_eq!(BoletoLine::parse(&messy), Ok(l.clone()), "{:?}", messy);
            }
        }

        #[test]
        fn a_changed_digit_in_a_bank_field_is_detected(
            first in "[0-79]", rest in "[0-9]{42}", position in 0usize..32, delta in 1u8..10
        ) {
            // Fields 1-3 (line positions 0-31) carry modulus-10 digits, which catch every
            // single-digit change.
            let l = BoletoLine::from_barcode(&barcode(&bank_barcode_from(&format!("{first}{rest}"))));
            let mut bytes = l.as_str().as_bytes().to_vec();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(BoletoLine::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn a_changed_digit_in_a_mod10_collection_line_is_detected(
            segment in 1u8..10, identifier in 6u8..8, rest in "[0-9]{40}",
            position in 0usize..48, delta in 1u8..10
        ) {
            // Every block has a modulus-10 digit. (The identifier itself, position 2, is
            // skipped: turning a 6 into an 8 switches the whole slip to modulus 11.)
            prop_assume!(position != 2);
            let code = collection_barcode_from(segment, identifier, &rest);
            let l = BoletoLine::from_barcode(&barcode(&code));
            let mut bytes = l.as_str().as_bytes().to_vec();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(BoletoLine::parse(&changed).is_err(), "{} accepted", changed);
        }
    }
}
