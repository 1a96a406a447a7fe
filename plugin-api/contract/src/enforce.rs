//! Contract enforcement: a plugin's raw result in, the contract's shape (or a violation) out.
//!
//! Plugins are written by third parties against sloppy ERPs, so the host, not the plugin,
//! guarantees what reaches a caller. [`enforce`] reads the raw JSON leniently where the contract
//! allows (an id sent as a number becomes text, money in any ERP form becomes `"1234.50"`, a
//! `null` list becomes `[]`) and strictly where it must (a missing amount, an unknown plan status
//! or an invoice of another customer is a [`ContractViolation`], never passed through
//! half-valid). Values that are optional to the caller but must be right when present (a boleto
//! line, a PIX code, a contact) are dropped with a [`Warning`] when they are wrong.
//!
//! Violations and warnings name the JSON path and the reason, never the offending value: plugin
//! output carries customers' personal data, and these messages go to logs.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::normalize::date::{date_from_json, format_date};
use crate::normalize::document::Document;
use crate::normalize::money::{IntegerUnit, Money, MoneyError};
use crate::{Function, with_contract};

/// The result of a successful enforcement.
#[derive(Debug, Clone, PartialEq)]
pub struct Enforced {
    /// The normalized output, guaranteed to deserialize into the function's output type.
    pub output: Value,
    /// What was dropped or repaired on the way; goes to the invocation log.
    pub warnings: Vec<Warning>,
}

/// Options an automation sets for how its plugin's raw values are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnforceOptions {
    /// How JSON integers in money fields are read (reais by default; cents when the adapter's
    /// manifest says its ERP sends cents).
    pub integer_money: IntegerUnit,
}

/// Enforces the contract on a plugin's raw JSON text for `function`.
///
/// # Errors
/// A [`ContractViolation`] when the text is not JSON or the result can't be normalized.
///
/// # Examples
/// ```
/// use ponte_contract::{enforce, Function};
/// let raw = r#"[{"code": 7, "description": " Site "}]"#;
/// let out = enforce(Function::ListCommercialOrigins, raw).unwrap();
/// assert_eq!(out.output, serde_json::json!([{"code": "7", "description": "Site"}]));
/// ```
pub fn enforce(function: Function, raw_json: &str) -> Result<Enforced, ContractViolation> {
    let raw: Value = serde_json::from_str(raw_json)
        .map_err(|_| ContractViolation::new(ViolationCode::NotJson, "$", "the plugin's result is not JSON"))?;
    enforce_value(function, None, &raw, EnforceOptions::default())
}

/// Enforces the contract on a plugin's raw result, checking it against the call's (validated)
/// input too: every invoice of `list_invoices` must belong to the customer asked for, the
/// invoice of `get_invoice` must be the one asked for, and so on.
///
/// # Errors
/// A [`ContractViolation`] when the result can't be normalized or contradicts the input.
pub fn enforce_value(
    function: Function,
    input: Option<&Value>,
    raw: &Value,
    options: EnforceOptions,
) -> Result<Enforced, ContractViolation> {
    let (output, warnings) = enforce_as::<AsValue>(function, input, raw, options)?;
    Ok(Enforced { output, warnings })
}

/// The result of a successful enforcement, as the JSON text it is answered with.
#[derive(Debug, Clone, PartialEq)]
pub struct EnforcedJson {
    /// The normalized output's JSON (an object's fields in the order of the function's output
    /// type), guaranteed to deserialize into that type.
    pub json: String,
    /// What was dropped or repaired on the way; goes to the invocation log.
    pub warnings: Vec<Warning>,
}

/// [`enforce_value`], with the normalized output encoded straight from the function's output
/// type to JSON text: a host that answers and logs the text never builds the intermediate
/// [`Value`] (which costs as much as encoding it).
///
/// # Errors
/// As [`enforce_value`].
///
/// # Examples
/// ```
/// use ponte_contract::{enforce_to_json, EnforceOptions, Function};
/// let raw = serde_json::json!([{"code": 7, "description": " Site "}]);
/// let out = enforce_to_json(Function::ListCommercialOrigins, None, &raw, EnforceOptions::default()).unwrap();
/// assert_eq!(out.json, r#"[{"code":"7","description":"Site"}]"#);
/// ```
pub fn enforce_to_json(
    function: Function,
    input: Option<&Value>,
    raw: &Value,
    options: EnforceOptions,
) -> Result<EnforcedJson, ContractViolation> {
    let (json, warnings) = enforce_as::<AsText>(function, input, raw, options)?;
    Ok(EnforcedJson { json, warnings })
}

/// How an enforced result leaves: as a [`Value`] or as JSON text.
trait Encoding {
    type Out;
    fn encode<T: Serialize>(typed: &T) -> serde_json::Result<Self::Out>;
}

struct AsValue;

impl Encoding for AsValue {
    type Out = Value;
    fn encode<T: Serialize>(typed: &T) -> serde_json::Result<Value> {
        serde_json::to_value(typed)
    }
}

struct AsText;

impl Encoding for AsText {
    type Out = String;
    fn encode<T: Serialize>(typed: &T) -> serde_json::Result<String> {
        serde_json::to_string(typed)
    }
}

fn enforce_as<E: Encoding>(
    function: Function,
    input: Option<&Value>,
    raw: &Value,
    options: EnforceOptions,
) -> Result<(E::Out, Vec<Warning>), ContractViolation> {
    let mut cx = Enforcer { warnings: Vec::new(), options, input };
    let output = with_contract!(function, C => {
        let typed = <C as crate::Contract>::enforce(raw, &mut cx)?;
        E::encode(&typed).map_err(|_| {
            ContractViolation::new(ViolationCode::WrongShape, "$", "the normalized result could not be encoded")
        })?
    });
    Ok((output, cx.warnings))
}

/// The state of one enforcement: options, the call's input, and the warnings so far.
pub struct Enforcer<'a> {
    warnings: Vec<Warning>,
    options: EnforceOptions,
    input: Option<&'a Value>,
}

impl Enforcer<'_> {
    /// Records a warning.
    pub(crate) fn warn(&mut self, code: WarningCode, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning { code, path: path.into(), message: message.into() });
    }

    /// A text field of the call's validated input, when there is one.
    pub(crate) fn input_text(&self, field: &str) -> Option<&str> {
        self.input?.get(field)?.as_str()
    }

    /// How JSON integers in money fields are read.
    pub(crate) fn integer_money(&self) -> IntegerUnit {
        self.options.integer_money
    }
}

/// Something enforcement dropped or repaired, for the invocation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable code.
    pub code: WarningCode,
    /// JSON path of the value (`$[2].linha_digitavel`).
    pub path: String,
    /// Why, in words; never the value itself.
    pub message: String,
}

/// Stable codes of [`Warning`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// An invalid `linha_digitavel` was replaced by `""`.
    InvalidBoletoLine,
    /// The line was derived from a 44-digit barcode the plugin gave.
    BoletoLineFromBarcode,
    /// An invalid `pix_code` was replaced by `""`.
    InvalidPixCode,
    /// A contact entry was dropped (bad type, bad phone, bad e-mail, duplicate).
    ContactDropped,
    /// An invalid e-mail was replaced by `""`/`null`.
    InvalidEmail,
    /// An invalid phone was replaced by `null`.
    InvalidPhone,
    /// An invalid CPF/CNPJ in an informational field was replaced by `""`.
    InvalidDocument,
    /// An invalid fiscal access key was replaced by `""`.
    InvalidAccessKey,
    /// An invalid or missing date in an optional field was replaced by `""`/`null`.
    InvalidDate,
    /// An invalid postal code or state was replaced by `""`.
    InvalidAddress,
    /// An entry that does not belong in this function's result was dropped (a plan that is not
    /// blocked in `list_blocked_plans`, an empty pending-issue text).
    EntryDropped,
}

impl WarningCode {
    /// The code's stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::InvalidBoletoLine => "invalid_boleto_line",
            WarningCode::BoletoLineFromBarcode => "boleto_line_from_barcode",
            WarningCode::InvalidPixCode => "invalid_pix_code",
            WarningCode::ContactDropped => "contact_dropped",
            WarningCode::InvalidEmail => "invalid_email",
            WarningCode::InvalidPhone => "invalid_phone",
            WarningCode::InvalidDocument => "invalid_document",
            WarningCode::InvalidAccessKey => "invalid_access_key",
            WarningCode::InvalidDate => "invalid_date",
            WarningCode::InvalidAddress => "invalid_address",
            WarningCode::EntryDropped => "entry_dropped",
        }
    }
}

/// A plugin result that can't be normalized into the contract: the caller gets a
/// `502 contract_violation` and the invocation log keeps `code` and `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {detail}")]
pub struct ContractViolation {
    /// Stable code.
    pub code: ViolationCode,
    /// JSON path of the offending value (`$[0].valor_final`).
    pub path: String,
    /// Why, in words; never the value itself.
    pub detail: String,
}

impl ContractViolation {
    pub(crate) fn new(code: ViolationCode, path: impl Into<String>, detail: impl Into<String>) -> Self {
        ContractViolation { code, path: path.into(), detail: detail.into() }
    }
}

/// Stable codes of [`ContractViolation`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationCode {
    /// The result is not JSON at all.
    NotJson,
    /// A list where an object was expected, or the reverse.
    WrongShape,
    /// A required field is missing, `null` or empty.
    MissingField,
    /// A field has a type that can't be read as the contract's (an object where text belongs).
    WrongType,
    /// A money field can't be read as an amount, or is negative.
    InvalidMoney,
    /// A required date can't be read.
    InvalidDate,
    /// A CPF/CNPJ that identifies the customer is invalid.
    InvalidDocument,
    /// A status outside the contract's vocabulary.
    InvalidStatus,
    /// A PDF that is not base64 or does not start with `%PDF`.
    InvalidPdf,
    /// A value outside its allowed range (a due day of 40).
    OutOfRange,
    /// More results than the function allows (`get_invoice` with two invoices).
    TooManyResults,
    /// A record that is not the one asked for: another customer's invoice, another invoice id.
    ForeignRecord,
}

impl ViolationCode {
    /// The code's stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationCode::NotJson => "not_json",
            ViolationCode::WrongShape => "wrong_shape",
            ViolationCode::MissingField => "missing_field",
            ViolationCode::WrongType => "wrong_type",
            ViolationCode::InvalidMoney => "invalid_money",
            ViolationCode::InvalidDate => "invalid_date",
            ViolationCode::InvalidDocument => "invalid_document",
            ViolationCode::InvalidStatus => "invalid_status",
            ViolationCode::InvalidPdf => "invalid_pdf",
            ViolationCode::OutOfRange => "out_of_range",
            ViolationCode::TooManyResults => "too_many_results",
            ViolationCode::ForeignRecord => "foreign_record",
        }
    }
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ----------------------------------------------------------------------------------------------
// Readers: lenient where the contract allows, strict where it must be.

/// A JSON path under construction.
pub(crate) fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

/// A JSON path of a list element.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Reads a list result: `null` is `[]`, an object or scalar is a violation.
pub(crate) fn list<'v>(raw: &'v Value, path: &str) -> Result<&'v [Value], ContractViolation> {
    match raw {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(ContractViolation::new(ViolationCode::WrongShape, path, "expected a list")),
    }
}

/// Reads an object result.
pub(crate) fn object<'v>(raw: &'v Value, path: &str) -> Result<Fields<'v>, ContractViolation> {
    match raw {
        Value::Object(map) => Ok(Fields { map, path: path.to_owned() }),
        _ => Err(ContractViolation::new(ViolationCode::WrongShape, path, "expected an object")),
    }
}

/// The fields of one object of a plugin's result, with its path for messages.
pub(crate) struct Fields<'v> {
    map: &'v Map<String, Value>,
    pub(crate) path: String,
}

impl<'v> Fields<'v> {
    /// The raw value of a field; `None` when missing or `null`.
    pub(crate) fn raw(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The path of a field.
    pub(crate) fn path_of(&self, key: &str) -> String {
        child(&self.path, key)
    }

    /// Optional text: missing or `null` is `None`; numbers and booleans become their text;
    /// surrounding whitespace is trimmed.
    pub(crate) fn opt_text(&self, key: &str) -> Result<Option<String>, ContractViolation> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(ContractViolation::new(
                ViolationCode::WrongType,
                self.path_of(key),
                "expected text, found a list or an object",
            )),
        }
    }

    /// Text where the contract allows empty: missing or `null` is `""`.
    pub(crate) fn text_or_empty(&self, key: &str) -> Result<String, ContractViolation> {
        Ok(self.opt_text(key)?.unwrap_or_default())
    }

    /// Required, non-empty text (ids, names).
    pub(crate) fn text(&self, key: &str) -> Result<String, ContractViolation> {
        match self.opt_text(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ContractViolation::new(
                ViolationCode::MissingField,
                self.path_of(key),
                "required field is missing or empty",
            )),
        }
    }

    /// Optional text where empty means absent.
    pub(crate) fn opt_nonempty_text(&self, key: &str) -> Result<Option<String>, ContractViolation> {
        Ok(self.opt_text(key)?.filter(|s| !s.is_empty()))
    }

    /// A required boolean: `true`/`false`, `"true"`/`"false"`, `1`/`0`, `"S"`/`"N"` (the ERPs'
    /// sim/não).
    pub(crate) fn boolean(&self, key: &str) -> Result<bool, ContractViolation> {
        // The path is written only for a violation (this runs for every field of every record).
        let path = || self.path_of(key);
        match self.raw(key) {
            None => Err(ContractViolation::new(ViolationCode::MissingField, path(), "required boolean is missing")),
            Some(v) => read_bool(v)
                .ok_or_else(|| ContractViolation::new(ViolationCode::WrongType, path(), "expected a boolean")),
        }
    }

    /// Optional boolean, `false` when missing.
    pub(crate) fn boolean_or_false(&self, key: &str) -> Result<bool, ContractViolation> {
        match self.raw(key) {
            None => Ok(false),
            Some(_) => self.boolean(key),
        }
    }

    /// Required, non-negative money.
    pub(crate) fn money(&self, key: &str, cx: &Enforcer<'_>) -> Result<Money, ContractViolation> {
        let path = || self.path_of(key);
        let value = self.raw(key).unwrap_or(&Value::Null);
        match Money::from_json(value, cx.integer_money()) {
            Ok(m) if m.is_negative() => {
                Err(ContractViolation::new(ViolationCode::InvalidMoney, path(), "amount is negative"))
            }
            Ok(m) => Ok(m),
            Err(MoneyError::Empty) => {
                Err(ContractViolation::new(ViolationCode::MissingField, path(), "required amount is missing"))
            }
            Err(e) => Err(ContractViolation::new(ViolationCode::InvalidMoney, path(), e.to_string())),
        }
    }

    /// Non-negative money where missing means zero (interest, fines).
    pub(crate) fn money_or_zero(&self, key: &str, cx: &Enforcer<'_>) -> Result<Money, ContractViolation> {
        let empty = match self.raw(key) {
            None => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if empty { Ok(Money::from_cents(0)) } else { self.money(key, cx) }
    }

    /// A required date, as `YYYY-MM-DD`.
    pub(crate) fn date(&self, key: &str) -> Result<String, ContractViolation> {
        let value = self.raw(key).unwrap_or(&Value::Null);
        date_from_json(value).map(format_date).map_err(|e| match e {
            crate::normalize::date::DateError::Empty => {
                ContractViolation::new(ViolationCode::MissingField, self.path_of(key), "required date is missing")
            }
            other => ContractViolation::new(ViolationCode::InvalidDate, self.path_of(key), other.to_string()),
        })
    }

    /// An optional date: missing is `None`, invalid is `None` with a warning.
    pub(crate) fn opt_date(&self, key: &str, cx: &mut Enforcer<'_>) -> Option<String> {
        let value = self.raw(key)?;
        match date_from_json(value) {
            Ok(d) => Some(format_date(d)),
            Err(crate::normalize::date::DateError::Empty) => None,
            Err(e) => {
                cx.warn(WarningCode::InvalidDate, self.path_of(key), e.to_string());
                None
            }
        }
    }

    /// A required CPF/CNPJ that identifies a customer: invalid is a violation.
    pub(crate) fn document(&self, key: &str) -> Result<Document, ContractViolation> {
        let text = self.text(key)?;
        Document::parse(&text)
            .map_err(|e| ContractViolation::new(ViolationCode::InvalidDocument, self.path_of(key), e.to_string()))
    }

    /// A nested object (missing or `null` is `None`).
    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'v>>, ContractViolation> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => object(v, &self.path_of(key)).map(Some),
        }
    }
}

/// Reads the many ways ERPs say yes and no.
pub(crate) fn read_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.to_string().as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "s" | "sim" | "y" | "yes" => Some(true),
            "false" | "0" | "n" | "nao" | "não" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Maps a status word onto a contract vocabulary, case-insensitively, accepting the
/// Portuguese words ERPs use.
pub(crate) fn vocabulary<T: Copy>(fields: &Fields<'_>, key: &str, words: &[(&str, T)]) -> Result<T, ContractViolation> {
    let text = fields.text(key)?.to_lowercase();
    words.iter().find(|(word, _)| *word == text).map(|(_, value)| *value).ok_or_else(|| {
        ContractViolation::new(
            ViolationCode::InvalidStatus,
            fields.path_of(key),
            "status outside the contract's vocabulary",
        )
    })
}

/// Enforces a list whose every element goes through `each`.
pub(crate) fn each<T>(
    raw: &Value,
    cx: &mut Enforcer<'_>,
    mut each: impl FnMut(&Fields<'_>, &mut Enforcer<'_>) -> Result<T, ContractViolation>,
) -> Result<Vec<T>, ContractViolation> {
    let items = list(raw, "$")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let fields = object(item, &index("$", i))?;
        out.push(each(&fields, cx)?);
    }
    Ok(out)
}
