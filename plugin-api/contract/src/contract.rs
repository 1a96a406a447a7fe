//! Ponte's function contract, written once.
//!
//! Everything a caller of Ponte may rely on, whatever ERP a provider runs, is in this crate:
//!
//! - [`Function`] and its [`FunctionSpec`] table: the 22 functions, their seed names, the scopes
//!   that may call them, whether they write, whether their result may be cached.
//! - `io`: the serde types of every function's input and output, field names exactly as
//!   the apps already speak them (the seed's Portuguese names on the wire), each with a JSON Schema.
//! - [`normalize`]: the domain library (CPF/CNPJ, money, dates, boleto lines, PIX, fiscal access
//!   keys, contacts).
//! - [`enforce()`]: turns a plugin's raw result into the contract's shape, or a
//!   [`ContractViolation`] with a stable code.
//! - [`validate_input()`]: rejects bad caller input before any plugin runs, with the exact
//!   `invalid_input` / `invalid_document` errors the HTTP API answers.
//!
//! - [`single_flight`]: the protocol plugins run over the host's kv locks to refresh a session
//!   once under concurrency, shared by the PDK and the Rhai runtime.
//! - [`text`]: helpers every adapter needs (HTML stripped, documents as keys, "not found"
//!   phrasings), offered to Rhai scripts as host functions and to Rust plugins through the PDK.
//!
//! Both plugin runtimes, the HTTP API, the OpenAPI document and the plugin SDK are built on it.

pub mod normalize;

pub mod enforce;
pub mod function;
pub mod schema;
pub mod single_flight;
pub mod text;
pub mod validate;

mod remote_id;

pub use enforce::{
    ContractViolation, EnforceOptions, Enforced, EnforcedJson, Enforcer, ViolationCode, Warning, WarningCode, enforce,
    enforce_to_json, enforce_value,
};
pub use function::{Access, FUNCTIONS, Function, FunctionSpec, Scope, UnknownFunction, UnknownScope};
pub use remote_id::RemoteId;
pub use validate::{InputError, InputErrorCode, validate_input, validate_input_json};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One function of the contract: its input and output types, and the rules that bind them.
///
/// Implemented by one marker type per function (`function::invoices::ListInvoices`, ...).
/// The plugin SDK exposes `Input` and `Output` to plugin authors; the host reaches the rules
/// through [`validate_input`] and [`enforce()`].
pub trait Contract {
    /// Which function this is.
    const FUNCTION: Function;
    /// The caller's input, as the plugin receives it after validation.
    type Input: DeserializeOwned + Serialize + schemars::JsonSchema;
    /// The normalized result the caller receives.
    type Output: DeserializeOwned + Serialize + schemars::JsonSchema;

    /// Checks the input's meaning beyond its shape and normalizes it in place.
    ///
    /// # Errors
    /// The first invalid field.
    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        let _ = input;
        Ok(())
    }

    /// Turns a plugin's raw result into the output.
    ///
    /// # Errors
    /// A [`ContractViolation`] when the result can't be normalized.
    fn enforce(raw: &serde_json::Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation>;
}

/// The input of the functions that take none: an empty object (unknown fields are rejected).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

/// Runs `$body` with `$C` bound to the [`Contract`] type of `$function`.
#[doc(hidden)]
#[macro_export]
macro_rules! with_contract {
    ($function:expr, $C:ident => $body:expr) => {{
        use $crate::function::{catalog, customer, fiscal, invoices, orders, plans};
        match $function {
            $crate::Function::CreateOrder => {
                type $C = orders::CreateOrder;
                $body
            }
            $crate::Function::CreateOrderExistingCustomer => {
                type $C = orders::CreateOrderExistingCustomer;
                $body
            }
            $crate::Function::CreateLead => {
                type $C = orders::CreateLead;
                $body
            }
            $crate::Function::ListResellers => {
                type $C = catalog::ListResellers;
                $body
            }
            $crate::Function::ListProducts => {
                type $C = catalog::ListProducts;
                $body
            }
            $crate::Function::ListDueDates => {
                type $C = catalog::ListDueDates;
                $body
            }
            $crate::Function::ListCommercialOrigins => {
                type $C = catalog::ListCommercialOrigins;
                $body
            }
            $crate::Function::ListInvoices => {
                type $C = invoices::ListInvoices;
                $body
            }
            $crate::Function::ListTotemInvoices => {
                type $C = invoices::ListTotemInvoices;
                $body
            }
            $crate::Function::GetInvoice => {
                type $C = invoices::GetInvoice;
                $body
            }
            $crate::Function::GetBoletoPdf => {
                type $C = invoices::GetBoletoPdf;
                $body
            }
            $crate::Function::SettleInvoice => {
                type $C = invoices::SettleInvoice;
                $body
            }
            $crate::Function::GetCustomerContacts => {
                type $C = customer::GetCustomerContacts;
                $body
            }
            $crate::Function::GetPendingIssues => {
                type $C = customer::GetPendingIssues;
                $body
            }
            $crate::Function::GetCustomer => {
                type $C = customer::GetCustomer;
                $body
            }
            $crate::Function::UpdateCustomer => {
                type $C = customer::UpdateCustomer;
                $body
            }
            $crate::Function::CreateTicket => {
                type $C = customer::CreateTicket;
                $body
            }
            $crate::Function::ListFiscalNotes => {
                type $C = fiscal::ListFiscalNotes;
                $body
            }
            $crate::Function::GetFiscalNotePdf => {
                type $C = fiscal::GetFiscalNotePdf;
                $body
            }
            $crate::Function::ListPlans => {
                type $C = plans::ListPlans;
                $body
            }
            $crate::Function::ListBlockedPlans => {
                type $C = plans::ListBlockedPlans;
                $body
            }
            $crate::Function::TrustUnlock => {
                type $C = plans::TrustUnlock;
                $body
            }
        }
    }};
}
