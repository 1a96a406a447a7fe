//! Dates and date-times.
//!
//! The contract's dates (`emissao`, `vencimento`, ...) are ISO `YYYY-MM-DD`; ERPs send Brazilian
//! `dd/mm/yyyy`, database timestamps, RFC 3339 strings and zero dates. [`parse_date`] reads them
//! all into a [`NaiveDate`], [`format_date`] writes the canonical form, and [`parse_datetime`]
//! reads the instants the contract carries (`paid_at`), which must say their offset.
//!
//! # Accepted dates ([`parse_date`])
//!
//! Surrounding whitespace is trimmed. The year always has four digits, within `1900..=2199`;
//! day and month have one or two digits. A date with the year last is always day first, as in
//! Brazil: `03/05/2024` is 3 May, and `12/31/2024` is invalid (there is no month 31).
//!
//! | input                            | date         |
//! |----------------------------------|--------------|
//! | `2024-03-05`                     | `2024-03-05` |
//! | `2024/03/05`                     | `2024-03-05` |
//! | `05/03/2024`, `5/3/2024`         | `2024-03-05` |
//! | `05-03-2024`                     | `2024-03-05` |
//! | `05.03.2024`                     | `2024-03-05` |
//! | `2024-03-05 14:30`               | `2024-03-05` |
//! | `2024-03-05 14:30:15.123`        | `2024-03-05` |
//! | `05/03/2024 14:30:15`            | `2024-03-05` |
//! | `2024-03-05T14:30:15Z`           | `2024-03-05` |
//! | `2024-03-05T00:00:00-03:00`      | `2024-03-05` |
//! | `2024-03-05T23:59:59.999+0100`   | `2024-03-05` |
//! | `2024-03-05 10:00:00-03`         | `2024-03-05` |
//! | `0000-00-00`, `0000-00-00 00:00:00`, `00/00/0000`, `""` | [`DateError::Empty`] |
//! | `31/02/2024`, `2024-13-01`, `24-03-05`, `1899-12-31`, `05/03/2024 25:00` | [`DateError::Invalid`] |
//!
//! Any date form may be followed by a time, after `T` or spaces: `HH:MM`, `HH:MM:SS`, or
//! `HH:MM:SS` with a fraction (`.` or `,` and any number of digits), then optionally an offset,
//! directly or after a space: `Z`, `±HH:MM`, `±HHMM` or `±HH` (PostgreSQL writes `-03`). The time
//! is checked (hour 0-23, minute 0-59, second 0-60, offset below 24 hours) so that garbage is not
//! read as a date, then dropped.
//!
//! **A timestamp gives the calendar date as written, in its own offset, never converted to UTC.**
//! ERPs store due dates and issue dates as midnight in local time:
//! `2024-03-05T00:00:00-03:00` is an invoice due on March 5, though in UTC it is 03:00 on
//! March 5 and, for `2024-03-05T23:00:00-03:00`, already March 6. Converting would move due dates
//! by a day and make customers late (or not) by accident. Likewise `Z` is taken at its word.
//!
//! # Date-times ([`parse_datetime`])
//!
//! RFC 3339: `YYYY-MM-DD`, `T` (or `t` or a space), `HH:MM:SS` with an optional fraction, and an
//! offset, which is required: `2024-03-05T14:30:15-03:00`, `2024-03-05T17:30:15.5Z`. A date-time
//! without one is [`DateError::MissingOffset`]: it does not name an instant, and guessing the
//! server's or Brasília's zone is exactly the kind of silent guess this module refuses.
//!
//! # JSON ([`date_from_json`])
//!
//! Strings are parsed as above, `null` is [`DateError::Empty`]; numbers are
//! [`DateError::Invalid`]: an epoch number could be seconds or milliseconds, and in UTC or local
//! time, so the adapter that knows its ERP must convert it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

/// Why a value is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Empty, null, or an ERP's zero date (`0000-00-00`).
    #[error("date is empty")]
    Empty,
    /// Not a date in any accepted format.
    #[error("not a date in any accepted format")]
    Invalid,
    /// A date-time without `Z` or a `±HH:MM` offset, where an instant is required.
    #[error("date-time has no offset (Z or ±HH:MM); it does not name an instant")]
    MissingOffset,
}

/// The earliest year accepted.
const MIN_YEAR: i32 = 1900;
/// The latest year accepted.
const MAX_YEAR: i32 = 2199;

/// Parses a date from the forms ERPs send (see the [module documentation](self)).
///
/// ```
/// use chrono::NaiveDate;
/// use ponte_contract::normalize::date::{parse_date, DateError};
///
/// let march_5 = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
/// assert_eq!(parse_date("05/03/2024"), Ok(march_5));
/// assert_eq!(parse_date("2024-03-05T00:00:00-03:00"), Ok(march_5));
/// assert_eq!(parse_date("0000-00-00"), Err(DateError::Empty));
/// assert_eq!(parse_date("31/02/2024"), Err(DateError::Invalid));
/// ```
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DateError::Empty);
    }
    let parsed = Parsed::read(text).ok_or(DateError::Invalid)?;
    parsed.date()
}

/// Parses a date from a JSON value: a string as [`parse_date`], `null` as
/// [`DateError::Empty`], anything else (numbers included) as [`DateError::Invalid`].
pub fn date_from_json(value: &serde_json::Value) -> Result<NaiveDate, DateError> {
    match value {
        serde_json::Value::String(text) => parse_date(text),
        serde_json::Value::Null => Err(DateError::Empty),
        _ => Err(DateError::Invalid),
    }
}

/// Parses an RFC 3339 date-time, whose offset is required (see the
/// [module documentation](self)).
///
/// ```
/// use ponte_contract::normalize::date::{parse_datetime, DateError};
///
/// let paid_at = parse_datetime("2024-03-05T14:30:15-03:00").unwrap();
/// assert_eq!(paid_at.to_rfc3339(), "2024-03-05T14:30:15-03:00");
/// assert_eq!(parse_datetime("2024-03-05T14:30:15"), Err(DateError::MissingOffset));
/// ```
pub fn parse_datetime(input: &str) -> Result<DateTime<FixedOffset>, DateError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DateError::Empty);
    }
    let parsed = Parsed::read(text).ok_or(DateError::Invalid)?;
    let time = match parsed.time {
        Some(time) if parsed.iso && time.has_seconds => time,
        _ => return Err(DateError::Invalid),
    };
    let date = parsed.date()?;
    let offset_seconds = parsed.offset_seconds.ok_or(DateError::MissingOffset)?;
    let offset = FixedOffset::east_opt(offset_seconds).ok_or(DateError::Invalid)?;
    let (second, nano) = if time.second == 60 { (59, 1_000_000_000 + time.nano) } else { (time.second, time.nano) };
    let time = NaiveTime::from_hms_nano_opt(time.hour, time.minute, second, nano).ok_or(DateError::Invalid)?;
    offset.from_local_datetime(&date.and_time(time)).single().ok_or(DateError::Invalid)
}

/// Brasília's offset from UTC: UTC-03:00 all year (Brazil has had no daylight saving time since
/// 2019, so a fixed offset is exact for every date the contract carries).
pub fn brasilia() -> FixedOffset {
    FixedOffset::west_opt(3 * 3600).unwrap_or_else(|| unreachable!("3 hours is a valid offset"))
}

/// The calendar day in Brasília of an RFC 3339 instant, whatever offset it was written in: where
/// Brazilian ERPs keep their books (a payment at `2024-03-06T01:30:00Z` is booked on March 5).
///
/// ```
/// use chrono::NaiveDate;
/// use ponte_contract::normalize::date::{brasilia_date, DateError};
///
/// let march_5 = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
/// assert_eq!(brasilia_date("2024-03-06T01:30:00Z"), Ok(march_5));
/// assert_eq!(brasilia_date("2024-03-05T23:59:00-03:00"), Ok(march_5));
/// assert_eq!(brasilia_date("2024-03-05T10:00:00"), Err(DateError::MissingOffset));
/// ```
pub fn brasilia_date(instant: &str) -> Result<NaiveDate, DateError> {
    Ok(parse_datetime(instant)?.with_timezone(&brasilia()).date_naive())
}

/// The canonical form of a date: `YYYY-MM-DD`.
///
/// ```
/// use chrono::NaiveDate;
/// use ponte_contract::normalize::date::format_date;
///
/// assert_eq!(format_date(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap()), "2024-03-05");
/// ```
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A time of day as written, checked for range.
#[derive(Debug, Clone, Copy)]
struct Time {
    hour: u32,
    minute: u32,
    /// 0 to 60 (a leap second).
    second: u32,
    nano: u32,
    has_seconds: bool,
}

/// The pieces of a date or timestamp as written, before calendar checks.
#[derive(Debug, Clone, Copy)]
struct Parsed {
    year: i32,
    month: u32,
    day: u32,
    /// Written `YYYY-MM-DD`, two-digit month and day: the only form RFC 3339 allows.
    iso: bool,
    time: Option<Time>,
    offset_seconds: Option<i32>,
}

impl Parsed {
    /// Reads a trimmed, non-empty text; `None` when it is no accepted form.
    fn read(text: &str) -> Option<Self> {
        let mut s = Scanner::new(text);
        let (year, month, day, iso) = read_date(&mut s)?;
        let mut parsed = Self { year, month, day, iso, time: None, offset_seconds: None };
        if s.at_end() {
            return Some(parsed);
        }
        // `T` or spaces before the time.
        if !s.eat(b'T') && !s.eat(b't') && s.skip_spaces() == 0 {
            return None;
        }
        parsed.time = Some(read_time(&mut s)?);
        s.skip_spaces();
        if !s.at_end() {
            parsed.offset_seconds = Some(read_offset(&mut s)?);
        }
        s.at_end().then_some(parsed)
    }

    /// The calendar date: zero dates are empty, the year range and the calendar are checked.
    fn date(&self) -> Result<NaiveDate, DateError> {
        if self.year == 0 && self.month == 0 && self.day == 0 {
            return Err(DateError::Empty);
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&self.year) {
            return Err(DateError::Invalid);
        }
        NaiveDate::from_ymd_opt(self.year, self.month, self.day).ok_or(DateError::Invalid)
    }
}

/// `YYYY-MM-DD`, `YYYY/MM/DD`, or `DD/MM/YYYY` with `/`, `-` or `.`; one or two digits for day
/// and month, the same separator twice. Returns year, month, day and whether it is strict ISO.
fn read_date(s: &mut Scanner<'_>) -> Option<(i32, u32, u32, bool)> {
    let (first, first_len) = s.number(1, 4)?;
    if first_len == 4 {
        let separator = s.one_of(b"-/")?;
        let (month, month_len) = s.number(1, 2)?;
        s.expect(separator)?;
        let (day, day_len) = s.number(1, 2)?;
        let iso = separator == b'-' && month_len == 2 && day_len == 2;
        Some((i32::try_from(first).ok()?, month, day, iso))
    } else if first_len <= 2 {
        let separator = s.one_of(b"/-.")?;
        let (month, _) = s.number(1, 2)?;
        s.expect(separator)?;
        let (year, year_len) = s.number(4, 4)?;
        (year_len == 4).then_some((i32::try_from(year).ok()?, month, first, false))
    } else {
        None
    }
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff` (or `,fff`), range-checked.
fn read_time(s: &mut Scanner<'_>) -> Option<Time> {
    let (hour, _) = s.exact_digits(2)?;
    s.expect(b':')?;
    let (minute, _) = s.exact_digits(2)?;
    let mut time = Time { hour, minute, second: 0, nano: 0, has_seconds: false };
    if s.eat(b':') {
        time.second = s.exact_digits(2)?.0;
        time.has_seconds = true;
        if s.eat(b'.') || s.eat(b',') {
            time.nano = s.fraction_nanos()?;
        }
    }
    (hour <= 23 && minute <= 59 && time.second <= 60).then_some(time)
}

/// `Z`, `±HH:MM`, `±HHMM` or `±HH`, in seconds east of UTC.
fn read_offset(s: &mut Scanner<'_>) -> Option<i32> {
    if s.eat(b'Z') || s.eat(b'z') {
        return Some(0);
    }
    let sign = match s.one_of(b"+-")? {
        b'-' => -1,
        _ => 1,
    };
    let hours = s.two_digits()?;
    let minutes = if s.eat(b':') || !s.at_end() { s.exact_digits(2)?.0 } else { 0 };
    if hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    Some(sign * seconds)
}

/// A byte cursor over ASCII date text.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self { bytes: text.as_bytes(), pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// Consumes the next byte if it is one of `choices`.
    fn one_of(&mut self, choices: &[u8]) -> Option<u8> {
        let byte = self.peek().filter(|b| choices.contains(b))?;
        self.pos += 1;
        Some(byte)
    }

    /// Skips spaces; returns how many.
    fn skip_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A run of `min..=max` digits, not followed by another digit: its value and length.
    fn number(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            if self.pos - start == max {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
            self.pos += 1;
        }
        let len = self.pos - start;
        (len >= min).then_some((value, len))
    }

    /// Exactly `n` digits, not followed by another digit.
    fn exact_digits(&mut self, n: usize) -> Option<(u32, usize)> {
        self.number(n, n)
    }

    /// Two digits, whatever follows (the hours of `+0300`).
    fn two_digits(&mut self) -> Option<u32> {
        let pair = self.bytes.get(self.pos..self.pos + 2)?;
        if !pair.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += 2;
        Some(u32::from(pair[0] - b'0') * 10 + u32::from(pair[1] - b'0'))
    }

    /// One or more fraction digits, as nanoseconds (digits past the ninth are dropped).
    fn fraction_nanos(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut nanos: u32 = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            let index = self.pos - start;
            if index < 9 {
                nanos += u32::from(b - b'0') * 10u32.pow(8 - index as u32);
            }
            self.pos += 1;
        }
        (self.pos > start).then_some(nanos)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in a test, a panic is the failure report
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;
    use serde_json::json;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_accepted_form_gives_the_date_as_written() {
        let march_5 = ymd(2024, 3, 5);
        for input in [
            "2024-03-05",
            "  2024-03-05  ",
            "2024/03/05",
            "2024-3-5",
            "05/03/2024",
            "5/3/2024",
            "05/3/2024",
            "05-03-2024",
            "05.03.2024",
            "2024-03-05 14:30",
            "2024-03-05 14:30:15",
            "2024-03-05 14:30:15.123",
            "2024-03-05 14:30:15,123456789012",
            "2024-03-05  14:30:15",
            "05/03/2024 14:30",
            "05/03/2024 14:30:15",
            "2024-03-05T14:30:15",
            "2024-03-05t14:30:15z",
            "2024-03-05T14:30:15Z",
            "2024-03-05T14:30:15.5Z",
            "2024-03-05T00:00:00-03:00",
            "2024-03-05T23:59:59-03:00",
            "2024-03-05T00:30:00+14:00",
            "2024-03-05T23:59:59.999+0100",
            "2024-03-05 10:00:00-03",
            "2024-03-05 10:00:00 -0300",
            "2024-03-05T23:59:60Z",
        ] {
            assert_eq!(parse_date(input), Ok(march_5), "{input:?}");
        }
    }

    #[test]
    fn the_date_is_the_local_one_never_converted_to_utc() {
        // 23:00 at -03:00 is 02:00 the next day in UTC; 01:00 at +05:00 is the previous day.
        assert_eq!(parse_date("2024-03-05T23:00:00-03:00"), Ok(ymd(2024, 3, 5)));
        assert_eq!(parse_date("2024-03-05T01:00:00+05:00"), Ok(ymd(2024, 3, 5)));
    }

    #[test]
    fn year_last_is_always_day_first() {
        assert_eq!(parse_date("03/05/2024"), Ok(ymd(2024, 5, 3)));
        assert_eq!(parse_date("12/31/2024"), Err(DateError::Invalid));
    }

    #[test]
    fn zero_dates_and_empty_text_are_empty() {
        for input in ["", "   ", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00Z", "00/00/0000"] {
            assert_eq!(parse_date(input), Err(DateError::Empty), "{input:?}");
        }
    }

    #[test]
    fn impossible_or_malformed_dates_are_invalid() {
        for input in [
            "31/02/2024",
            "29/02/2023",
            "2024-02-30",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "0000-01-01",
            "1899-12-31",
            "2200-01-01",
            "24-03-05",
            "05/03/24",
            "20240305",
            "2024-03-05-",
            "2024-03/05",
            "05/03-2024",
            "2024.03.05",
            "005/03/2024",
            "05/003/2024",
            "05/03/02024",
            "2024-03-005",
            "2024-03-05T",
            "2024-03-05x",
            "2024-03-05 25:00",
            "2024-03-05 14:60",
            "2024-03-05 14:30:61",
            "2024-03-05 4:30",
            "2024-03-05 14:30:15.",
            "2024-03-05T14:30:15+24:00",
            "2024-03-05T14:30:15+03:60",
            "2024-03-05T14:30:15+3",
            "2024-03-05T14:30:15 UTC",
            "2024-03-05T14:30:15Z extra",
            "March 5, 2024",
            "hoje",
            "05/03/2024\u{a0}10:00",
            "٢٠٢٤-٠٣-٠٥",
        ] {
            assert_eq!(parse_date(input), Err(DateError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn year_range_bounds_are_inclusive() {
        assert_eq!(parse_date("1900-01-01"), Ok(ymd(1900, 1, 1)));
        assert_eq!(parse_date("31/12/2199"), Ok(ymd(2199, 12, 31)));
        assert_eq!(parse_date("29/02/2024"), Ok(ymd(2024, 2, 29)));
    }

    #[test]
    fn json_strings_parse_null_is_empty_numbers_are_invalid() {
        assert_eq!(date_from_json(&json!("05/03/2024")), Ok(ymd(2024, 3, 5)));
        assert_eq!(date_from_json(&json!(null)), Err(DateError::Empty));
        assert_eq!(date_from_json(&json!("")), Err(DateError::Empty));
        assert_eq!(date_from_json(&json!(1709607600)), Err(DateError::Invalid));
        assert_eq!(date_from_json(&json!(1709607600000i64)), Err(DateError::Invalid));
        assert_eq!(date_from_json(&json!(true)), Err(DateError::Invalid));
        assert_eq!(date_from_json(&json!(["2024-03-05"])), Err(DateError::Invalid));
    }

    #[test]
    fn format_date_is_iso() {
        assert_eq!(format_date(ymd(2024, 3, 5)), "2024-03-05");
        assert_eq!(format_date(ymd(1900, 12, 31)), "1900-12-31");
    }

    #[test]
    fn datetimes_with_an_offset_parse_to_that_instant() {
        let dt = parse_datetime("2024-03-05T14:30:15-03:00").unwrap();
        assert_eq!(dt.to_rfc3339(), "2024-03-05T14:30:15-03:00");
        let dt = parse_datetime(" 2024-03-05T17:30:15.250Z ").unwrap();
        assert_eq!(dt.to_rfc3339(), "2024-03-05T17:30:15.250+00:00");
        assert_eq!(
            parse_datetime("2024-03-05 14:30:15-0300").unwrap(),
            parse_datetime("2024-03-05T17:30:15Z").unwrap()
        );
        let leap = parse_datetime("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(leap.date_naive(), ymd(2016, 12, 31));
    }

    #[test]
    fn datetimes_without_an_offset_are_missing_offset() {
        assert_eq!(parse_datetime("2024-03-05T14:30:15"), Err(DateError::MissingOffset));
        assert_eq!(parse_datetime("2024-03-05 14:30:15.123"), Err(DateError::MissingOffset));
    }

    #[test]
    fn datetimes_in_other_forms_are_invalid() {
        for input in [
            "2024-03-05",
            "2024-03-05T14:30Z",
            "05/03/2024 14:30:15-03:00",
            "2024/03/05T14:30:15Z",
            "2024-3-5T14:30:15Z",
            "2024-02-30T14:30:15Z",
            "1899-12-31T23:59:59Z",
            "garbage",
        ] {
            assert_eq!(parse_datetime(input), Err(DateError::Invalid), "{input:?}");
        }
        assert_eq!(parse_datetime(""), Err(DateError::Empty));
        assert_eq!(parse_datetime("0000-00-00T00:00:00Z"), Err(DateError::Empty));
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let first = ymd(MIN_YEAR, 1, 1);
        let days = ymd(MAX_YEAR, 12, 31).signed_duration_since(first).num_days();
        (0..=days).prop_map(move |n| first + chrono::Duration::days(n))
    }

    const PATTERNS: &[&str] = &[
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%d/%m/%Y",
        "%-d/%-m/%Y",
        "%d-%m-%Y",
        "%d.%m.%Y",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.3f",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%z",
    ];

    proptest! {
        #[test]
        fn any_date_in_any_accepted_pattern_parses_back(
            date in any_date(),
            pattern in proptest::sample::select(PATTERNS),
            seconds_of_day in 0u32..86_400,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i32),
        ) {
            let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds_of_day, nanos).unwrap();
            let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let stamp = offset.from_local_datetime(&date.and_time(time)).unwrap();
            let text = stamp.format(pattern).to_string();
            prop_assert_eq!(parse_date(&text), Ok(date), "{}", text);
            if pattern.ends_with(['z', 'Z']) {
                let written = if pattern.contains("%.f") {
                    stamp
                } else {
                    stamp.with_nanosecond(0).unwrap()
                };
                let expected = if pattern.ends_with('Z') {
                    written.naive_local().and_utc().fixed_offset()
                } else {
                    written
                };
                prop_assert_eq!(parse_datetime(&text), Ok(expected), "{}", text);
            }
        }

        #[test]
        fn format_date_round_trips(date in any_date()) {
            prop_assert_eq!(parse_date(&format_date(date)), Ok(date));
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,40}") {
            let _ = parse_date(&input);
            let _ = parse_datetime(&input);
        }
    }
}
