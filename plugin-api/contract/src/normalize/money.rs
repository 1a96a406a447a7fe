//! Money. STUB: signatures only.
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

impl Money {
    /// Parses text.
    pub fn parse(_input: &str) -> Result<Self, MoneyError> { unimplemented!() }
    /// Parses a JSON value.
    pub fn from_json(_value: &serde_json::Value, _unit: IntegerUnit) -> Result<Self, MoneyError> { unimplemented!() }
    /// From an integer number of cents.
    pub fn from_cents(_cents: i64) -> Self { unimplemented!() }
    /// The decimal value.
    pub fn as_decimal(&self) -> Decimal { self.0 }
    /// Below zero.
    pub fn is_negative(&self) -> bool { self.0.is_sign_negative() && !self.0.is_zero() }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:.2}", self.0) }
}
