//! Fiscal access keys. STUB: signatures only.

/// A verified 44-character access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey(String);

/// Why a text is not an access key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessKeyError {
    /// Empty.
    #[error("access key is empty")]
    Empty,
    /// Invalid character.
    #[error("access key contains an invalid character")]
    InvalidCharacter,
    /// Wrong length.
    #[error("access key has {0} characters, expected 44")]
    BadLength(usize),
    /// Check digit.
    #[error("access key check digit does not match")]
    CheckDigit,
}

impl AccessKey {
    /// Parses and verifies.
    pub fn parse(_input: &str) -> Result<Self, AccessKeyError> { unimplemented!() }
    /// Text.
    pub fn as_str(&self) -> &str { &self.0 }
}
