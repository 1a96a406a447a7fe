//! A tenant's privacy policy: what a kiosk (a key whose only scope is `totem`) is shown of a
//! customer. The host applies it to every answer after the contract is enforced, whatever the
//! plugin returned ([`crate::privacy::minimize`]); keys that may also call as an app or admin
//! see everything, as they could through `get_customer` anyway.
//!
//! ```toml
//! [privacy.totem]                 # every field optional; these are the defaults
//! customer_name = "first_name"    # full | first_name ("Maria S. O.") | initials ("M. S. O.")
//! contacts = "masked"             # full | masked ("m***@gmail.com", "+55*******4321") | hidden
//! document = "masked"             # full | masked ("***.456.789-**")
//! erp_response = "hidden"         # full | hidden (settle_invoice's raw `api_response`)
//! ```
//!
//! The same table is the `privacy` member of a tenant document in the admin API.

use serde::{Deserialize, Serialize};

/// A tenant's privacy settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// What a totem key sees of a customer.
    #[serde(default)]
    pub totem: TotemPolicy,
}

impl PrivacyConfig {
    /// Whether every rule is the default (then a document leaves the table out).
    pub fn is_default(&self) -> bool {
        *self == PrivacyConfig::default()
    }
}

/// What a key whose only scope is `totem` sees of a customer; the default minimizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotemPolicy {
    /// The customer's name on invoices (`nome_cliente`).
    #[serde(default)]
    pub customer_name: NameRule,
    /// `get_customer_contacts`' e-mails and phones.
    #[serde(default)]
    pub contacts: ContactRule,
    /// CPF/CNPJ shown back in answers (`document_number` of invoices).
    #[serde(default)]
    pub document: DocumentRule,
    /// The ERP's raw answer that `settle_invoice` passes on (`api_response`).
    #[serde(default)]
    pub erp_response: ErpResponseRule,
}

impl TotemPolicy {
    /// Shows everything (a policy that changes nothing).
    pub const FULL: TotemPolicy = TotemPolicy {
        customer_name: NameRule::Full,
        contacts: ContactRule::Full,
        document: DocumentRule::Full,
        erp_response: ErpResponseRule::Full,
    };
}

/// How a customer's name is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameRule {
    /// As the ERP has it.
    Full,
    /// The first name and the other names' initials: `Maria S. O.`.
    #[default]
    FirstName,
    /// Only initials: `M. S. O.`.
    Initials,
}

/// How e-mails and phones are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRule {
    /// As normalized.
    Full,
    /// Enough to recognise one's own: `m***@gmail.com`, `+55*******4321`.
    #[default]
    Masked,
    /// Not at all (an empty list).
    Hidden,
}

/// How a CPF/CNPJ is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentRule {
    /// As normalized.
    Full,
    /// The middle digits only, as Brazil's public bodies publish them: `***.456.789-**`.
    #[default]
    Masked,
}

/// Whether the ERP's raw answer is passed on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErpResponseRule {
    /// Passed on.
    Full,
    /// Replaced by `{}`.
    #[default]
    Hidden,
}
