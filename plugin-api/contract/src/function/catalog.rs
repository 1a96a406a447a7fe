//! The configuration screens' lists: resellers, products, due dates, commercial origins.
//!
//! Each maps an ERP record onto the provider's own catalogue, so every entry needs a non-empty
//! id; ids sent as numbers become text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enforce::{ContractViolation, Enforcer, Fields, WarningCode, each};
use crate::normalize::contact::normalize_email;
use crate::normalize::document::Document;
use crate::{Contract, Function, NoInput};

/// A reseller (`list_resellers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reseller {
    /// The reseller's id in the ERP.
    pub code: String,
    /// The reseller's name.
    pub name: String,
    /// CPF/CNPJ without punctuation, or `""` when the ERP has none (or an invalid one).
    pub taxvat: String,
    /// Lower-cased e-mail, or `""`.
    pub email: String,
}

/// A product (`list_products`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Product {
    /// The product's id in the ERP.
    pub codigo: String,
    /// The product's name.
    pub nome: String,
}

/// A due-date option (`list_due_dates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DueDate {
    /// The option's id in the ERP.
    pub code: String,
    /// The day of the month, as the ERP names it.
    pub name: String,
}

/// A commercial origin (`list_commercial_origins`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommercialOrigin {
    /// The origin's id in the ERP.
    pub code: String,
    /// The origin's name.
    pub description: String,
}

/// `list_resellers`.
pub struct ListResellers;
impl Contract for ListResellers {
    const FUNCTION: Function = Function::ListResellers;
    type Input = NoInput;
    type Output = Vec<Reseller>;

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, |f, cx| {
            Ok(Reseller {
                code: f.text("code")?,
                name: f.text("name")?,
                taxvat: informational_document(f, "taxvat", cx)?,
                email: informational_email(f, "email", cx)?,
            })
        })
    }
}

/// `list_products`.
pub struct ListProducts;
impl Contract for ListProducts {
    const FUNCTION: Function = Function::ListProducts;
    type Input = NoInput;
    type Output = Vec<Product>;

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, |f, _| Ok(Product { codigo: f.text("codigo")?, nome: f.text("nome")? }))
    }
}

/// `list_due_dates`.
pub struct ListDueDates;
impl Contract for ListDueDates {
    const FUNCTION: Function = Function::ListDueDates;
    type Input = NoInput;
    type Output = Vec<DueDate>;

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, |f, _| Ok(DueDate { code: f.text("code")?, name: f.text("name")? }))
    }
}

/// `list_commercial_origins`.
pub struct ListCommercialOrigins;
impl Contract for ListCommercialOrigins {
    const FUNCTION: Function = Function::ListCommercialOrigins;
    type Input = NoInput;
    type Output = Vec<CommercialOrigin>;

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, |f, _| Ok(CommercialOrigin { code: f.text("code")?, description: f.text("description")? }))
    }
}

/// A CPF/CNPJ that only informs (a reseller's): invalid becomes `""` with a warning.
pub(crate) fn informational_document(
    f: &Fields<'_>,
    key: &str,
    cx: &mut Enforcer<'_>,
) -> Result<String, ContractViolation> {
    let text = f.text_or_empty(key)?;
    if text.is_empty() {
        return Ok(text);
    }
    Ok(match Document::parse(&text) {
        Ok(doc) => doc.as_str().to_owned(),
        Err(e) => {
            cx.warn(WarningCode::InvalidDocument, f.path_of(key), e.to_string());
            String::new()
        }
    })
}

/// An e-mail that only informs: invalid becomes `""` with a warning.
pub(crate) fn informational_email(
    f: &Fields<'_>,
    key: &str,
    cx: &mut Enforcer<'_>,
) -> Result<String, ContractViolation> {
    let text = f.text_or_empty(key)?;
    if text.is_empty() {
        return Ok(text);
    }
    Ok(match normalize_email(&text) {
        Ok(email) => email,
        Err(e) => {
            cx.warn(WarningCode::InvalidEmail, f.path_of(key), e.to_string());
            String::new()
        }
    })
}
