//! Phones and e-mails. STUB: signatures only.

/// Why a text is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Empty.
    #[error("phone is empty")]
    Empty,
    /// Not a phone number.
    #[error("not a phone number")]
    Invalid,
}

/// Why a text is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty.
    #[error("email is empty")]
    Empty,
    /// Not an address.
    #[error("not an email address")]
    Invalid,
}

/// Normalizes a phone number to E.164.
pub fn normalize_phone(_input: &str) -> Result<String, PhoneError> { unimplemented!() }
/// Trims and lower-cases an e-mail address after checking its shape.
pub fn normalize_email(_input: &str) -> Result<String, EmailError> { unimplemented!() }
