//! The domain library behind the host's guarantees: Brazilian documents, money, dates, boleto
//! lines, PIX codes, fiscal access keys and contacts.
//!
//! Every normalizer is a pure function from what an ERP sends to one canonical form, or a typed
//! error saying why it can't be. None of them guesses: an ambiguous value is an error, never a
//! silently different number or date.

pub mod access_key;
pub mod boleto;
pub mod contact;
pub mod date;
pub mod document;
pub mod money;
pub mod pix;

/// Modulus-11 / modulus-10 helpers shared by the check-digit algorithms in this module.
pub(crate) mod check_digit;
