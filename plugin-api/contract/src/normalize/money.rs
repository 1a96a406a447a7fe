//! Money: amounts in reais with exactly two decimal places.
//!
//! ERPs write amounts every way a spreadsheet can: Brazilian (`"1.234,50"`), English
//! (`"1,234.50"`), with the currency symbol (`"R$ 1.234,50"`), as JSON numbers (`1234.5`) or as
//! integer cents. [`Money::parse`] and [`Money::from_json`] read them all into one [`Money`], whose
//! canonical text is `"1234.50"`: two places, a dot, no thousands separator. Amounts are
//! [`Decimal`]s end to end; no amount ever passes through a binary float.
//!
//! # Accepted text ([`Money::parse`])
//!
//! Surrounding and inner whitespace (including non-breaking spaces) is ignored. A leading `R$`
//! (any case, any spacing) and one sign, before or after it, are accepted.
//!
//! | input            | amount      | why                                                     |
//! |------------------|-------------|---------------------------------------------------------|
//! | `"1.234,50"`     | `1234.50`   | both separators: the last one is the decimal separator  |
//! | `"1,234.50"`     | `1234.50`   | idem                                                    |
//! | `"R$ 1.234,50"`  | `1234.50`   | currency symbol                                         |
//! | `"-R$ 10,00"`    | `-10.00`    | sign before or after `R$`                               |
//! | `"1234,5"`       | `1234.50`   | a single comma is a decimal separator                   |
//! | `"1234.50"`      | `1234.50`   | a single dot is a decimal separator                     |
//! | `"1.234.567"`    | `1234567.00`| several dots: thousands separators, grouped by 3        |
//! | `"1,234,567"`    | `1234567.00`| several commas: idem                                    |
//! | `"1234"`         | `1234.00`   | no separator                                            |
//! | `"2,4567"`       | `2.46`      | more than two places: rounded half away from zero       |
//! | `"1.234"`        | error       | [`MoneyError::Ambiguous`]: 1234 or 1.234?               |
//! | `"1,234"`        | error       | [`MoneyError::Ambiguous`]                               |
//! | `"1.23.4"`       | error       | [`MoneyError::Invalid`]: thousands not grouped by 3     |
//! | `""`, `"R$"`     | error       | [`MoneyError::Empty`]                                   |
//!
//! **The ambiguity rule.** A single separator (one `.` or one `,`, and no other separator)
//! followed by exactly three digits, with one to three digits before it and the first of those not
//! `0`, reads as a thousands separator in one locale and a decimal separator in the other:
//! `"1.234"` is R$ 1234.00 to a Brazilian and R$ 1.23 to an American. That is an error, never a
//! guess. When only one reading is well-formed there is no ambiguity: `"1234.567"` can't be
//! thousands (the group before the separator has four digits) so it is 1234.567, rounded to
//! `1234.57`; `"0,125"` can't be thousands either (a leading group is never `0`) so it is `0.13`.
//!
//! A separator must sit between digits: `".50"`, `"12,"` and `"1.,5"` are invalid. Exponents
//! (`"1e3"`) are not accepted in text; they are in JSON numbers.
//!
//! # JSON ([`Money::from_json`])
//!
//! - a string is parsed as text, as above;
//! - a number is read from its exact JSON text (serde_json's `arbitrary_precision`), never
//!   through an `f64`. A JSON number is never ambiguous: `1.234` is 1.234, rounded to `1.23`.
//!   Exponent notation (`1e3`, `1.5E-2`) is accepted. With [`IntegerUnit::Cents`] the number counts
//!   cents (`123450` is `1234.50`) and must be whole (`1234.5` cents is an error: the adapter's
//!   unit is wrong);
//! - `null` is [`MoneyError::Empty`]; booleans, arrays and objects are [`MoneyError::Invalid`].
//!
//! # Range
//!
//! Parsed amounts must be at most R$ 10 000 000 000 000 (1e13) in magnitude, else
//! [`MoneyError::OutOfRange`]: far above any invoice, far below where arithmetic gets delicate.
//! Every [`Money`] is a whole number of cents that fits an `i64`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// How an adapter's JSON integers are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntegerUnit {
    /// `1234` is R$ 1234.00 (the default).
    #[default]
    Reais,
    /// `123450` is R$ 1234.50.
    Cents,
}

/// An amount of money in reais, exactly two decimal places.
///
/// Displays and serializes as `"1234.50"`: two places, a dot, no thousands separator, a leading
/// `-` when negative. Deserializes from any text or JSON number [`Money::from_json`] accepts
/// (JSON numbers in reais).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// Why a value is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Empty text or JSON null.
    #[error("amount is empty")]
    Empty,
    /// Not a number in any accepted form.
    #[error("not an amount of money")]
    Invalid,
    /// `"1.234"` / `"1,234"`: could be a thousands separator or three decimals.
    #[error("ambiguous amount: a single separator followed by three digits")]
    Ambiguous,
    /// Beyond the range the host accepts.
    #[error("amount out of range")]
    OutOfRange,
}

/// The largest magnitude accepted from input, in cents: R$ 1e13.
const MAX_ABS_CENTS: i64 = 1_000_000_000_000_000;

impl Money {
    /// The largest magnitude [`Money::parse`] and [`Money::from_json`] accept: R$ 1e13.
    pub const MAX_PARSED: Money =
        Money(Decimal::from_parts((MAX_ABS_CENTS & 0xFFFF_FFFF) as u32, (MAX_ABS_CENTS >> 32) as u32, 0, false, 2));

    /// Parses text in any of the forms listed in the [module documentation](self).
    ///
    /// ```
    /// use ponte_contract::normalize::money::{Money, MoneyError};
    ///
    /// assert_eq!(Money::parse("R$ 1.234,50").unwrap().to_string(), "1234.50");
    /// assert_eq!(Money::parse("1,234.5").unwrap().to_string(), "1234.50");
    /// assert_eq!(Money::parse("1.234"), Err(MoneyError::Ambiguous));
    /// ```
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let (negative, body) = strip_sign_and_symbol(&compact)?;
        if body.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (int_digits, frac_digits) = split_separators(body)?;
        let cents = scaled_digits(&int_digits, &frac_digits, 2)?.value;
        Self::from_parsed_cents(negative, cents)
    }

    /// Parses a JSON value: text as [`Money::parse`], numbers from their exact text (see the
    /// [module documentation](self)).
    ///
    /// ```
    /// use ponte_contract::normalize::money::{IntegerUnit, Money};
    /// use serde_json::json;
    ///
    /// assert_eq!(Money::from_json(&json!(1234.5), IntegerUnit::Reais).unwrap().to_string(), "1234.50");
    /// assert_eq!(Money::from_json(&json!(123450), IntegerUnit::Cents).unwrap().to_string(), "1234.50");
    /// assert_eq!(Money::from_json(&json!("1.234,50"), IntegerUnit::Cents).unwrap().to_string(), "1234.50");
    /// ```
    pub fn from_json(value: &serde_json::Value, unit: IntegerUnit) -> Result<Self, MoneyError> {
        match value {
            serde_json::Value::String(text) => Self::parse(text),
            serde_json::Value::Number(number) => Self::from_json_number_text(&number.to_string(), unit),
            serde_json::Value::Null => Err(MoneyError::Empty),
            serde_json::Value::Bool(_) | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                Err(MoneyError::Invalid)
            }
        }
    }

    /// From an integer number of cents: `from_cents(123450)` is `1234.50`.
    ///
    /// Any `i64` is accepted; the 1e13 limit applies to parsed input only.
    pub fn from_cents(cents: i64) -> Self {
        Self(Decimal::new(cents, 2))
    }

    /// Zero reais: `0.00`.
    pub fn zero() -> Self {
        Self::from_cents(0)
    }

    /// The amount in cents: `1234.50` is `123450`.
    pub fn cents(&self) -> i64 {
        // Every constructor builds the decimal from an i64 at scale 2, so the mantissa is the
        // number of cents and fits an i64; the fallback is unreachable.
        i64::try_from(self.0.mantissa()).unwrap_or(if self.0.is_sign_negative() { i64::MIN } else { i64::MAX })
    }

    /// The decimal value, always with scale 2.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    /// Below zero.
    pub fn is_negative(&self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Exactly zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// The sum, or `None` if the number of cents overflows an `i64`.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.cents().checked_add(other.cents()).map(Self::from_cents)
    }

    /// The difference, or `None` if the number of cents overflows an `i64`.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.cents().checked_sub(other.cents()).map(Self::from_cents)
    }

    /// Reads the exact text of a JSON number: `-?digits(.digits)?([eE][+-]?digits)?`.
    fn from_json_number_text(text: &str, unit: IntegerUnit) -> Result<Self, MoneyError> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], parse_exponent(&rest[at + 1..])?),
            None => (rest, 0),
        };
        let (int_digits, frac_digits) = match mantissa.split_once('.') {
            Some((int, frac)) => (int, frac),
            None => (mantissa, ""),
        };
        if !all_digits(int_digits) || !frac_digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Invalid);
        }
        if mantissa.contains('.') && frac_digits.is_empty() {
            return Err(MoneyError::Invalid);
        }
        let cents = match unit {
            IntegerUnit::Reais => scaled_digits(int_digits, frac_digits, exponent.saturating_add(2))?,
            IntegerUnit::Cents => {
                let cents = scaled_digits(int_digits, frac_digits, exponent)?;
                if !cents.exact {
                    return Err(MoneyError::Invalid);
                }
                cents
            }
        };
        Self::from_parsed_cents(negative, cents.value)
    }

    /// Applies the sign and the input range limit.
    fn from_parsed_cents(negative: bool, cents: i64) -> Result<Self, MoneyError> {
        if cents > MAX_ABS_CENTS {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Self::from_cents(if negative { -cents } else { cents }))
    }
}

/// `true` for a non-empty run of ASCII digits.
fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A JSON exponent (`3`, `+3`, `-12`), saturated far beyond any meaningful value.
fn parse_exponent(text: &str) -> Result<i64, MoneyError> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !all_digits(digits) {
        return Err(MoneyError::Invalid);
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX).min(1_000_000);
    Ok(if negative { -magnitude } else { magnitude })
}

/// Strips one sign and an `R$` in either order (`-R$10`, `R$-10`, `+10`) from whitespace-free
/// text; returns whether the amount is negative and the rest.
fn strip_sign_and_symbol(text: &str) -> Result<(bool, &str), MoneyError> {
    fn sign(text: &str) -> (Option<bool>, &str) {
        match text.as_bytes().first() {
            Some(b'-') => (Some(true), &text[1..]),
            Some(b'+') => (Some(false), &text[1..]),
            _ => (None, text),
        }
    }
    fn symbol(text: &str) -> &str {
        match text.get(..2) {
            Some(prefix) if prefix.eq_ignore_ascii_case("r$") => &text[2..],
            _ => text,
        }
    }
    let (before, rest) = sign(text);
    let rest = symbol(rest);
    let (after, rest) = sign(rest);
    match (before, after) {
        (Some(_), Some(_)) => Err(MoneyError::Invalid),
        (Some(negative), None) | (None, Some(negative)) => {
            if rest.is_empty() {
                Err(MoneyError::Invalid)
            } else {
                Ok((negative, rest))
            }
        }
        (None, None) => Ok((false, rest)),
    }
}

/// Splits a whitespace-free, sign-free amount into its integer digits and fraction digits,
/// applying the separator rules of the module documentation.
fn split_separators(body: &str) -> Result<(String, String), MoneyError> {
    if !body.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return Err(MoneyError::Invalid);
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    match (dots, commas) {
        (0, 0) => Ok((body.to_owned(), String::new())),
        (0, 1) | (1, 0) => {
            let (int, frac) = body.split_once(['.', ',']).ok_or(MoneyError::Invalid)?;
            if !all_digits(int) || !all_digits(frac) {
                return Err(MoneyError::Invalid);
            }
            let could_be_thousands = frac.len() == 3 && int.len() <= 3 && !int.starts_with('0');
            if could_be_thousands {
                return Err(MoneyError::Ambiguous);
            }
            Ok((int.to_owned(), frac.to_owned()))
        }
        (_, 0) => Ok((grouped_thousands(body, '.')?, String::new())),
        (0, _) => Ok((grouped_thousands(body, ',')?, String::new())),
        _ => {
            // Both present: the last separator is the decimal one, and appears once.
            let at = body.rfind(['.', ',']).ok_or(MoneyError::Invalid)?;
            let (int, frac) = (&body[..at], &body[at + 1..]);
            let thousands = if body.as_bytes()[at] == b'.' { ',' } else { '.' };
            if !all_digits(frac) {
                return Err(MoneyError::Invalid);
            }
            Ok((grouped_thousands(int, thousands)?, frac.to_owned()))
        }
    }
}

/// Removes thousands separators, checking the groups: 1 to 3 digits, then groups of exactly 3.
fn grouped_thousands(text: &str, separator: char) -> Result<String, MoneyError> {
    let mut digits = String::with_capacity(text.len());
    for (i, group) in text.split(separator).enumerate() {
        let well_formed = all_digits(group) && if i == 0 { group.len() <= 3 } else { group.len() == 3 };
        if !well_formed {
            return Err(MoneyError::Invalid);
        }
        digits.push_str(group);
    }
    Ok(digits)
}

/// The value of the decimal `int_digits.frac_digits`, times `10^shift`, rounded half away from
/// zero to an integer.
struct Scaled {
    /// The rounded magnitude, at most `MAX_ABS_CENTS + 1` (larger values are `OutOfRange`).
    value: i64,
    /// No non-zero digit was rounded away.
    exact: bool,
}

/// Computes [`Scaled`] on the digit strings directly, so any length and any exponent is handled
/// without overflow or float rounding. Magnitudes above `MAX_ABS_CENTS` are `OutOfRange`.
fn scaled_digits(int_digits: &str, frac_digits: &str, shift: i64) -> Result<Scaled, MoneyError> {
    let all = format!("{int_digits}{frac_digits}");
    let significant = all.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(Scaled { value: 0, exact: true });
    }
    // Number of digits of `significant` left of the (shifted) decimal point.
    let leading_zeros = i64::try_from(all.len() - significant.len()).map_err(|_| MoneyError::OutOfRange)?;
    let int_len = i64::try_from(int_digits.len()).map_err(|_| MoneyError::OutOfRange)?;
    let point = int_len.saturating_sub(leading_zeros).saturating_add(shift);
    // 1e15 cents has 16 digits; anything with 17 or more integer digits is out of range.
    if point > 16 {
        return Err(MoneyError::OutOfRange);
    }
    if point < 0 {
        // Below 0.1 of the unit: rounds to 0 (never to 1, which needs at least 0.5).
        return Ok(Scaled { value: 0, exact: false });
    }
    let point = usize::try_from(point).map_err(|_| MoneyError::OutOfRange)?;
    let bytes = significant.as_bytes();
    let mut value: i64 = 0;
    for i in 0..point {
        let digit = bytes.get(i).map_or(0, |b| i64::from(b - b'0'));
        value = value * 10 + digit;
    }
    let rest = bytes.get(point..).unwrap_or(&[]);
    let round_up = rest.first().is_some_and(|b| *b >= b'5');
    let exact = rest.iter().all(|b| *b == b'0');
    if round_up {
        value += 1;
    }
    if value > MAX_ABS_CENTS {
        return Err(MoneyError::OutOfRange);
    }
    Ok(Scaled { value, exact })
}

impl fmt::Display for Money {
    /// `1234.50`, `-0.05`: two places, a dot, no thousands separator.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.cents();
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Same as [`Money::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Money {
    /// As the canonical string, `"1234.50"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    /// From a string or a number, as [`Money::from_json`] with [`IntegerUnit::Reais`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Self::from_json(&value, IntegerUnit::Reais).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in a test, a panic is the failure report
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn text(input: &str) -> Result<String, MoneyError> {
        Money::parse(input).map(|m| m.to_string())
    }

    fn number(json_text: &str, unit: IntegerUnit) -> Result<String, MoneyError> {
        let value: serde_json::Value = serde_json::from_str(json_text).unwrap();
        Money::from_json(&value, unit).map(|m| m.to_string())
    }

    #[test]
    fn every_accepted_text_form_normalizes() {
        for (input, expected) in [
            ("1.234,50", "1234.50"),
            ("R$ 1.234,50", "1234.50"),
            ("R$1.234,50", "1234.50"),
            ("r$ 1.234,50", "1234.50"),
            ("R$\u{a0}1.234,50", "1234.50"),
            ("  1 234,50 ", "1234.50"),
            ("1234.5", "1234.50"),
            ("1234,5", "1234.50"),
            ("1,234.50", "1234.50"),
            ("0,20", "0.20"),
            ("26.00", "26.00"),
            ("26", "26.00"),
            ("-10,00", "-10.00"),
            ("+10,00", "10.00"),
            ("R$-10,00", "-10.00"),
            ("R$ -10,00", "-10.00"),
            ("-R$ 10,00", "-10.00"),
            ("- R$ 10,00", "-10.00"),
            ("1.234.567", "1234567.00"),
            ("1,234,567", "1234567.00"),
            ("1.234.567,89", "1234567.89"),
            ("1,234,567.89", "1234567.89"),
            ("1.234,5", "1234.50"),
            ("2.4567", "2.46"),
            ("2,4567", "2.46"),
            ("2.4450", "2.45"),
            ("0.445", "0.45"),
            ("-2,4450", "-2.45"),
            ("1.002,445", "1002.45"),
            ("0,125", "0.13"),
            ("0.005", "0.01"),
            ("0.004", "0.00"),
            ("1234.567", "1234.57"),
            ("1.234,567", "1234.57"),
            ("0001234", "1234.00"),
            ("-0,00", "0.00"),
            ("10000000000000", "10000000000000.00"),
        ] {
            assert_eq!(text(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn a_single_separator_before_three_digits_is_ambiguous() {
        for input in ["1.234", "1,234", "R$ 1.234", "-999,000", "12.345", "100,000"] {
            assert_eq!(text(input), Err(MoneyError::Ambiguous), "{input:?}");
        }
    }

    #[test]
    fn empty_text_is_empty() {
        for input in ["", "   ", "\u{a0}", "R$", " R$ "] {
            assert_eq!(text(input), Err(MoneyError::Empty), "{input:?}");
        }
    }

    #[test]
    fn garbage_is_invalid() {
        for input in [
            "abc",
            "12a",
            "1.23.4",
            "1,23,4",
            "1.234.56",
            "1.2345,00",
            "1,234.567.89",
            "1.234,567,89",
            ".50",
            ",50",
            "12,",
            "12.",
            "1.,5",
            "1,.5",
            "--1",
            "-R$-1",
            "-",
            "R$-",
            "1-",
            "1e3",
            "US$ 10",
            "10 R$",
            "1_000",
            "１２",
        ] {
            assert_eq!(text(input), Err(MoneyError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn amounts_above_1e13_are_out_of_range() {
        assert_eq!(text("10000000000000,01"), Err(MoneyError::OutOfRange));
        assert_eq!(text("-10.000.000.000.001"), Err(MoneyError::OutOfRange));
        assert_eq!(text(&"9".repeat(400)), Err(MoneyError::OutOfRange));
        assert_eq!(text("10000000000000,005"), Err(MoneyError::OutOfRange));
        assert_eq!(text("9999999999999,995").as_deref(), Ok("10000000000000.00"));
        assert_eq!(number("1e14", IntegerUnit::Reais), Err(MoneyError::OutOfRange));
        assert_eq!(number("1e999999999999999999999", IntegerUnit::Reais), Err(MoneyError::OutOfRange));
        assert_eq!(number("1000000000000001", IntegerUnit::Cents), Err(MoneyError::OutOfRange));
    }

    #[test]
    fn json_numbers_are_read_from_their_exact_text() {
        for (input, expected) in [
            ("1234.5", "1234.50"),
            ("1234.50", "1234.50"),
            ("1234", "1234.00"),
            ("1.234", "1.23"),
            ("-0.005", "-0.01"),
            ("0.1", "0.10"),
            ("0.30000000000000004", "0.30"),
            ("1e3", "1000.00"),
            ("1.5E-2", "0.02"),
            ("12345e-2", "123.45"),
            ("1e-999999999999", "0.00"),
            ("123456789012.345678901234567890123456789", "123456789012.35"),
        ] {
            assert_eq!(number(input, IntegerUnit::Reais).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn json_integers_in_cents_mode_count_cents() {
        assert_eq!(number("123450", IntegerUnit::Cents).as_deref(), Ok("1234.50"));
        assert_eq!(number("-5", IntegerUnit::Cents).as_deref(), Ok("-0.05"));
        assert_eq!(number("123450.0", IntegerUnit::Cents).as_deref(), Ok("1234.50"));
        assert_eq!(number("1.2345e5", IntegerUnit::Cents).as_deref(), Ok("1234.50"));
        assert_eq!(number("1234.5", IntegerUnit::Cents), Err(MoneyError::Invalid));
        assert_eq!(Money::from_cents(123450).to_string(), "1234.50");
    }

    #[test]
    fn json_strings_are_text_whatever_the_unit() {
        assert_eq!(number("\"R$ 1.234,50\"", IntegerUnit::Cents).as_deref(), Ok("1234.50"));
        assert_eq!(number("\"1234\"", IntegerUnit::Cents).as_deref(), Ok("1234.00"));
    }

    #[test]
    fn json_null_is_empty_and_other_types_are_invalid() {
        assert_eq!(number("null", IntegerUnit::Reais), Err(MoneyError::Empty));
        for input in ["true", "[]", "[1]", "{}", "{\"valor\": 1}"] {
            assert_eq!(number(input, IntegerUnit::Reais), Err(MoneyError::Invalid), "{input}");
        }
    }

    #[test]
    fn display_and_serde_use_two_places_and_a_dot() {
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
        assert_eq!(Money::from_cents(-123).to_string(), "-1.23");
        assert_eq!(Money::zero().to_string(), "0.00");
        assert_eq!(Money::from_cents(i64::MIN).to_string(), "-92233720368547758.08");
        let m = Money::parse("1.234,5").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"1234.50\"");
        let back: Money = serde_json::from_str("\"1234.50\"").unwrap();
        assert_eq!(back, m);
        let back: Money = serde_json::from_str("1234.5").unwrap();
        assert_eq!(back, m);
        assert_eq!("R$ 1.234,50".parse::<Money>(), Ok(m));
    }

    #[test]
    fn equal_amounts_are_equal_whatever_their_origin() {
        let a = Money::parse("1.234,50").unwrap();
        let b = Money::from_json(&json!(1234.5), IntegerUnit::Reais).unwrap();
        let c = Money::from_cents(123450);
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.as_decimal().scale(), 2);
        assert_eq!(a.cents(), 123450);
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_cents(1050);
        let b = Money::from_cents(-2000);
        assert_eq!(a.checked_add(b), Some(Money::from_cents(-950)));
        assert_eq!(a.checked_sub(b), Some(Money::from_cents(3050)));
        assert!(a.checked_add(b).is_some_and(|m| m.is_negative()));
        assert_eq!(Money::from_cents(i64::MAX).checked_add(a), None);
        assert!(!Money::parse("-0,00").unwrap().is_negative());
        assert!(Money::zero().is_zero());
    }

    #[test]
    fn max_parsed_is_1e13() {
        assert_eq!(Money::MAX_PARSED.to_string(), "10000000000000.00");
        assert_eq!(Money::MAX_PARSED.as_decimal().scale(), 2);
    }

    /// Brazilian text for an amount: `1.234,50`, with or without the thousands dots and `R$`.
    fn pt_br(cents: i64, thousands: bool, symbol: bool) -> String {
        let abs = cents.unsigned_abs();
        let int = (abs / 100).to_string();
        let int = if thousands {
            let mut grouped = String::new();
            for (i, c) in int.chars().enumerate() {
                if i > 0 && (int.len() - i).is_multiple_of(3) {
                    grouped.push('.');
                }
                grouped.push(c);
            }
            grouped
        } else {
            int
        };
        let sign = if cents < 0 { "-" } else { "" };
        let symbol = if symbol { "R$ " } else { "" };
        format!("{sign}{symbol}{int},{:02}", abs % 100)
    }

    proptest! {
        #[test]
        fn pt_br_and_en_text_parse_back(
            cents in -MAX_ABS_CENTS..=MAX_ABS_CENTS,
            thousands in any::<bool>(),
            symbol in any::<bool>(),
        ) {
            let expected = Money::from_cents(cents);
            prop_assert_eq!(Money::parse(&pt_br(cents, thousands, symbol)), Ok(expected));
            prop_assert_eq!(Money::parse(&expected.to_string()), Ok(expected));
        }

        #[test]
        fn json_number_text_round_trips(cents in -MAX_ABS_CENTS..=MAX_ABS_CENTS) {
            let expected = Money::from_cents(cents);
            let value: serde_json::Value = serde_json::from_str(&expected.to_string()).unwrap();
            prop_assert_eq!(Money::from_json(&value, IntegerUnit::Reais), Ok(expected));
            let value: serde_json::Value = serde_json::from_str(&cents.to_string()).unwrap();
            prop_assert_eq!(Money::from_json(&value, IntegerUnit::Cents), Ok(expected));
            let serialized = serde_json::to_string(&expected).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&serialized).unwrap(), expected);
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,40}") {
            let _ = Money::parse(&input);
        }
    }
}
