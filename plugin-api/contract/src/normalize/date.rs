//! Dates. STUB: signatures only.
use chrono::NaiveDate;

/// Why a value is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Empty, null, or an ERP's zero date (`0000-00-00`).
    #[error("date is empty")]
    Empty,
    /// Not a date in any accepted format.
    #[error("not a date in any accepted format")]
    Invalid,
}

/// Parses a date from the forms ERPs send.
pub fn parse_date(_input: &str) -> Result<NaiveDate, DateError> { unimplemented!() }
/// Parses a date from a JSON value.
pub fn date_from_json(_value: &serde_json::Value) -> Result<NaiveDate, DateError> { unimplemented!() }
/// Parses a date-time with an offset.
pub fn parse_datetime(_input: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, DateError> { unimplemented!() }
