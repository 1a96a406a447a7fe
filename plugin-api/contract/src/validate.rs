//! Input validation: bad caller input is rejected before any plugin runs.
//!
//! [`validate_input`] checks a function's input in two steps: its shape through serde (wrong
//! type, missing field, unknown field: `invalid_input`, with the field's path) and then its
//! meaning (a CPF/CNPJ whose check digits fail: `invalid_document`; a date, amount or payment
//! method that can't be read: `invalid_input`). On success it returns the input normalized (the
//! document without punctuation, the amount as `"1234.50"`), which is what the plugin sees.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::normalize::document::Document;
use crate::{Function, with_contract};

/// Why a caller's input was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// `invalid_input` or `invalid_document`.
    pub code: InputErrorCode,
    /// The offending field's path (`transaction.amount`), or `$` for the whole body.
    pub field: String,
    /// What is wrong, in words the app developer can act on.
    pub message: String,
}

/// The two kinds of input error the HTTP API distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputErrorCode {
    /// Not JSON, wrong type, missing or unknown field, a value that can't be read.
    InvalidInput,
    /// A CPF or CNPJ with a bad length, character or check digit.
    InvalidDocument,
}

impl InputErrorCode {
    /// The code's stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            InputErrorCode::InvalidInput => "invalid_input",
            InputErrorCode::InvalidDocument => "invalid_document",
        }
    }
}

impl fmt::Display for InputErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl InputError {
    /// An `invalid_input` error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError { code: InputErrorCode::InvalidInput, field: field.into(), message: message.into() }
    }

    /// An `invalid_document` error.
    pub fn document(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError { code: InputErrorCode::InvalidDocument, field: field.into(), message: message.into() }
    }
}

/// Validates a function's input and returns it normalized.
///
/// # Errors
/// An [`InputError`] naming the field and the reason.
///
/// # Examples
/// ```
/// use ponte_contract::{validate_input, Function, InputErrorCode};
/// use serde_json::json;
///
/// let ok = validate_input(Function::ListInvoices, &json!({"customer_document_number": "529.982.247-25"})).unwrap();
/// assert_eq!(ok["customer_document_number"], "52998224725");
///
/// let err = validate_input(Function::ListInvoices, &json!({"customer_document_number": "529.982.247-26"})).unwrap_err();
/// assert_eq!(err.code, InputErrorCode::InvalidDocument);
/// ```
pub fn validate_input(function: Function, input: &Value) -> Result<Value, InputError> {
    if !input.is_object() {
        return Err(InputError::invalid("$", "the body must be a JSON object"));
    }
    with_contract!(function, C => {
        let mut typed: <C as crate::Contract>::Input =
            serde_path_to_error::deserialize(input).map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "$".to_owned() } else { path };
                InputError::invalid(field, e.into_inner().to_string())
            })?;
        <C as crate::Contract>::validate(&mut typed)?;
        serde_json::to_value(&typed).map_err(|_| InputError::invalid("$", "the input could not be encoded"))
    })
}

/// Validates a JSON text body (what the HTTP API receives).
///
/// # Errors
/// `invalid_input` when the text is not JSON; otherwise as [`validate_input`].
pub fn validate_input_json(function: Function, body: &[u8]) -> Result<Value, InputError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        InputError::invalid("$", format!("the body is not valid JSON (line {}, column {})", e.line(), e.column()))
    })?;
    validate_input(function, &value)
}

/// Verifies and normalizes a CPF/CNPJ field of an input in place.
pub(crate) fn document_field(field: &str, value: &mut String) -> Result<(), InputError> {
    let document = Document::parse(value).map_err(|e| InputError::document(field, e.to_string()))?;
    *value = document.as_str().to_owned();
    Ok(())
}

/// As [`document_field`], for the optional `customer_document_number` of the PDF functions.
pub(crate) fn optional_document_field(value: &mut Option<String>) -> Result<(), InputError> {
    match value {
        Some(v) => document_field("customer_document_number", v),
        None => Ok(()),
    }
}

/// The text a [`RemoteId`](crate::RemoteId) may be, for schemas: no control characters and at
/// least one that is neither a space nor a dot (ECMA-262 syntax).
pub const ID_TEXT_PATTERN: &str =
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s.\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";

/// A required text field, for schemas: no control characters but tab and line breaks, and at
/// least one character that is not a space (ECMA-262 syntax). With the field's `maxLength`, it
/// states everything the host checks of such a field.
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// Checks that a required text field is not blank and at most `max` characters (counted as
/// sent, spaces included, as a schema's `maxLength` counts them).
pub(crate) fn text_field(field: &str, value: &mut String, max: usize) -> Result<(), InputError> {
    if value.chars().count() > max {
        return Err(InputError::invalid(field, format!("must be at most {max} characters")));
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InputError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(InputError::invalid(field, format!("must be at most {max} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(InputError::invalid(field, "must not contain control characters"));
    }
    *value = trimmed.to_owned();
    Ok(())
}

/// Deserializes a nested input struct from a JSON object only. serde's derive also accepts a
/// list of the fields' values in order (`["a@b.com"]`), which no caller means; this refuses it.
/// Errors inside name the nested field (`email: invalid type ...`).
pub(crate) fn object_only<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." { serde::de::Error::custom(inner) } else { serde::de::Error::custom(format!("{path}: {inner}")) }
    })
}

/// As [`object_only`], for optional fields (`null` or absent is `None`).
pub(crate) fn optional_object_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    match Option::<serde_json::Map<String, Value>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(map) => object_only(Value::Object(map)).map(Some).map_err(serde::de::Error::custom),
    }
}
