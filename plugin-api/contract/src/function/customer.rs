//! The customer: registration data, contacts, pending issues, edits and tickets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enforce::{
    ContractViolation, Enforcer, Fields, ViolationCode, WarningCode, index, list, object, vocabulary,
};
use crate::function::invoices::CustomerInput;
use crate::normalize::contact::{normalize_email, normalize_phone};
use crate::validate::{InputError, document_field, text_field};
use crate::{Contract, Function, RemoteId};

/// What a contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactType {
    /// An e-mail address, trimmed and lower-cased.
    Email,
    /// A phone number in E.164 (`+5511987654321`).
    Phone,
}

/// A customer's contact (`get_customer_contacts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Contact {
    /// `email` or `phone`.
    #[serde(rename = "type")]
    pub kind: ContactType,
    /// The address or number, normalized.
    pub value: String,
}

/// A postal address. Every field is text; `""` when the ERP has none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    /// Street ("logradouro").
    pub street: String,
    /// Number.
    pub number: String,
    /// Complement.
    pub complement: String,
    /// Neighbourhood ("bairro").
    pub neighborhood: String,
    /// City.
    pub city: String,
    /// State, two upper-case letters (`SP`).
    pub state: String,
    /// Postal code (CEP), eight digits.
    pub zip_code: String,
}

/// A customer's status in the ERP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStatus {
    /// An active customer.
    Active,
    /// No longer (or not yet) a customer.
    Inactive,
    /// Blocked, usually for late payment.
    Blocked,
}

/// Output of `get_customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    /// The customer's id in the ERP.
    pub remote_id: String,
    /// Name (or company name).
    pub name: String,
    /// CPF/CNPJ without punctuation; the one asked for.
    pub document_number: String,
    /// Main e-mail, lower-cased, or `null`.
    pub email: Option<String>,
    /// Main phone in E.164, or `null`.
    pub phone: Option<String>,
    /// Address.
    pub address: Address,
    /// Status.
    pub status: CustomerStatus,
}

/// The fields `update_customer` may change; at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    {"required": ["email"], "properties": {"email": {"type": "string"}}},
    {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
    {"required": ["address"], "properties": {"address": {"type": "object"}}}
]))]
pub struct CustomerChanges {
    /// New e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::formats::EmailText>")]
    pub email: Option<String>,
    /// New phone (normalized to E.164 before the plugin sees it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::formats::PhoneText>")]
    pub phone: Option<String>,
    /// New address (all of it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::validate::optional_object_only"
    )]
    pub address: Option<AddressInput>,
}

/// An address as a caller sends it to `update_customer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// Street.
    #[schemars(length(min = 1, max = 200), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub street: String,
    /// Number.
    #[schemars(length(min = 1, max = 20), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub number: String,
    /// Complement.
    #[serde(default)]
    pub complement: String,
    /// Neighbourhood.
    #[schemars(length(min = 1, max = 120), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub neighborhood: String,
    /// City.
    #[schemars(length(min = 1, max = 120), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub city: String,
    /// State, two letters.
    #[schemars(with = "crate::schema::formats::StateText")]
    pub state: String,
    /// Postal code (CEP), eight digits (punctuation accepted).
    #[schemars(with = "crate::schema::formats::CepText")]
    pub zip_code: String,
}

/// Input of `update_customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomerInput {
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
    /// What to change.
    #[serde(deserialize_with = "crate::validate::object_only")]
    pub changes: CustomerChanges,
}

/// Output of `update_customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateCustomerOutput {
    /// Whether the ERP took the change.
    pub success: bool,
    /// The ERP's message, or `null`.
    pub remote_message: Option<String>,
}

/// Input of `create_ticket`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketInput {
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
    /// Subject, at most 200 characters.
    #[schemars(length(min = 1, max = 200), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub subject: String,
    /// The customer's message, at most 10 000 characters.
    #[schemars(length(min = 1, max = 10000), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub message: String,
    /// The contract the ticket is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<RemoteId>,
}

/// Output of `create_ticket`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateTicketOutput {
    /// The ticket's id in the ERP.
    pub remote_id: String,
    /// The service protocol number given to the customer (`""` when the ERP gives none).
    pub protocol: String,
}

/// `get_customer_contacts`: invalid entries are dropped with a warning, duplicates once.
pub struct GetCustomerContacts;
impl Contract for GetCustomerContacts {
    const FUNCTION: Function = Function::GetCustomerContacts;
    type Input = CustomerInput;
    type Output = Vec<Contact>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let items = list(raw, "$")?;
        let mut contacts: Vec<Contact> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = index("$", i);
            let f = object(item, &path)?;
            let kind = match f.text_or_empty("type")?.to_ascii_lowercase().as_str() {
                "email" | "e-mail" => ContactType::Email,
                "phone" => ContactType::Phone,
                _ => {
                    cx.warn(WarningCode::ContactDropped, f.path_of("type"), "type is neither email nor phone");
                    continue;
                }
            };
            let value = f.text_or_empty("value")?;
            let normalized = match kind {
                ContactType::Email => normalize_email(&value).map_err(|e| e.to_string()),
                ContactType::Phone => normalize_phone(&value).map_err(|e| e.to_string()),
            };
            match normalized {
                Ok(value) => {
                    let contact = Contact { kind, value };
                    if contacts.contains(&contact) {
                        cx.warn(WarningCode::ContactDropped, path, "duplicate contact");
                    } else {
                        contacts.push(contact);
                    }
                }
                Err(reason) => cx.warn(WarningCode::ContactDropped, f.path_of("value"), reason),
            }
        }
        Ok(contacts)
    }
}

/// `get_pending_issues`: texts, trimmed; blank ones dropped.
pub struct GetPendingIssues;
impl Contract for GetPendingIssues {
    const FUNCTION: Function = Function::GetPendingIssues;
    type Input = CustomerInput;
    type Output = Vec<String>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let mut texts = Vec::new();
        for (i, item) in list(raw, "$")?.iter().enumerate() {
            match item {
                Value::String(s) if !s.trim().is_empty() => texts.push(s.trim().to_owned()),
                Value::String(_) | Value::Null => {
                    cx.warn(WarningCode::EntryDropped, index("$", i), "blank text dropped")
                }
                _ => return Err(ContractViolation::new(ViolationCode::WrongType, index("$", i), "expected text")),
            }
        }
        Ok(texts)
    }
}

/// `get_customer`.
pub struct GetCustomer;
impl Contract for GetCustomer {
    const FUNCTION: Function = Function::GetCustomer;
    type Input = CustomerInput;
    type Output = Customer;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        let document_number = f.document("document_number")?.as_str().to_owned();
        if cx.input_text("customer_document_number").is_some_and(|asked| asked != document_number) {
            return Err(ContractViolation::new(
                ViolationCode::ForeignRecord,
                "$.document_number",
                "the customer returned is not the one asked for",
            ));
        }
        let email = match f.opt_nonempty_text("email")? {
            None => None,
            Some(text) => normalize_email(&text)
                .map_err(|e| cx.warn(WarningCode::InvalidEmail, f.path_of("email"), e.to_string()))
                .ok(),
        };
        let phone = match f.opt_nonempty_text("phone")? {
            None => None,
            Some(text) => normalize_phone(&text)
                .map_err(|e| cx.warn(WarningCode::InvalidPhone, f.path_of("phone"), e.to_string()))
                .ok(),
        };
        let address = match f.object("address")? {
            Some(a) => address(&a, cx)?,
            None => Address::default(),
        };
        Ok(Customer {
            remote_id: f.text("remote_id")?,
            name: f.text("name")?,
            document_number,
            email,
            phone,
            address,
            status: vocabulary(
                &f,
                "status",
                &[
                    ("active", CustomerStatus::Active),
                    ("ativo", CustomerStatus::Active),
                    ("inactive", CustomerStatus::Inactive),
                    ("inativo", CustomerStatus::Inactive),
                    ("blocked", CustomerStatus::Blocked),
                    ("bloqueado", CustomerStatus::Blocked),
                ],
            )?,
        })
    }
}

/// `update_customer`.
pub struct UpdateCustomer;
impl Contract for UpdateCustomer {
    const FUNCTION: Function = Function::UpdateCustomer;
    type Input = UpdateCustomerInput;
    type Output = UpdateCustomerOutput;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)?;
        let changes = &mut input.changes;
        if changes.email.is_none() && changes.phone.is_none() && changes.address.is_none() {
            return Err(InputError::invalid("changes", "must change at least one of email, phone, address"));
        }
        if let Some(email) = &mut changes.email {
            *email = normalize_email(email).map_err(|e| InputError::invalid("changes.email", e.to_string()))?;
        }
        if let Some(phone) = &mut changes.phone {
            *phone = normalize_phone(phone).map_err(|e| InputError::invalid("changes.phone", e.to_string()))?;
        }
        if let Some(a) = &mut changes.address {
            text_field("changes.address.street", &mut a.street, 200)?;
            text_field("changes.address.number", &mut a.number, 20)?;
            a.complement = a.complement.trim().to_owned();
            text_field("changes.address.neighborhood", &mut a.neighborhood, 120)?;
            text_field("changes.address.city", &mut a.city, 120)?;
            a.state = state(&a.state).ok_or_else(|| {
                InputError::invalid("changes.address.state", "must be a Brazilian state's two letters")
            })?;
            a.zip_code = zip_code(&a.zip_code)
                .ok_or_else(|| InputError::invalid("changes.address.zip_code", "must be a CEP of eight digits"))?;
        }
        Ok(())
    }

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        Ok(UpdateCustomerOutput {
            success: f.boolean("success")?,
            remote_message: f.opt_nonempty_text("remote_message")?,
        })
    }
}

/// `create_ticket`.
pub struct CreateTicket;
impl Contract for CreateTicket {
    const FUNCTION: Function = Function::CreateTicket;
    type Input = CreateTicketInput;
    type Output = CreateTicketOutput;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)?;
        text_field("subject", &mut input.subject, 200)?;
        text_field("message", &mut input.message, 10_000)
    }

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        Ok(CreateTicketOutput { remote_id: f.text("remote_id")?, protocol: f.text_or_empty("protocol")? })
    }
}

/// The 27 federative units.
const STATES: [&str; 27] = [
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR", "PE", "PI", "RJ",
    "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
];

fn state(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    STATES.contains(&upper.as_str()).then_some(upper)
}

fn zip_code(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, '.' | '-' | ' ')).collect();
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// An address from the ERP: a bad state or CEP becomes `""` with a warning.
fn address(a: &Fields<'_>, cx: &mut Enforcer<'_>) -> Result<Address, ContractViolation> {
    let mut checked = |key: &str, check: fn(&str) -> Option<String>| -> Result<String, ContractViolation> {
        let text = a.text_or_empty(key)?;
        if text.is_empty() {
            return Ok(text);
        }
        Ok(check(&text).unwrap_or_else(|| {
            cx.warn(WarningCode::InvalidAddress, a.path_of(key), "invalid value dropped");
            String::new()
        }))
    };
    let state = checked("state", state)?;
    let zip_code = checked("zip_code", zip_code)?;
    Ok(Address {
        street: a.text_or_empty("street")?,
        number: a.text_or_empty("number")?,
        complement: a.text_or_empty("complement")?,
        neighborhood: a.text_or_empty("neighborhood")?,
        city: a.text_or_empty("city")?,
        state,
        zip_code,
    })
}
