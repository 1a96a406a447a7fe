//! Fiscal notes (NF-e, NFCom, NFS-e): listing and PDF.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enforce::{ContractViolation, Enforcer, WarningCode, each, vocabulary};
use crate::function::invoices::{Pdf, pdf};
use crate::normalize::access_key::AccessKey;
use crate::normalize::date::{format_date, parse_date};
use crate::validate::{InputError, document_field};
use crate::{Contract, Function, RemoteId};

/// A fiscal note's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FiscalNoteStatus {
    /// Authorized by the tax authority.
    Authorized,
    /// Cancelled.
    Cancelled,
    /// Denied by the tax authority.
    Denied,
    /// Not yet authorized.
    Pending,
}

/// A fiscal note (`list_fiscal_notes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FiscalNote {
    /// The note's id in the ERP or fiscal service.
    pub remote_id: String,
    /// The note's number.
    pub number: String,
    /// The note's series (`""` when the model has none).
    pub series: String,
    /// The 44-character access key, check digit verified, or `""` (NFS-e of some
    /// municipalities have none).
    pub access_key: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issued_at: String,
    /// Total amount, `"1234.50"`.
    pub amount: String,
    /// Status.
    pub status: FiscalNoteStatus,
}

/// Input of `list_fiscal_notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFiscalNotesInput {
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
    /// Notes issued on or after this date (`YYYY-MM-DD`; `dd/mm/yyyy` accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::formats::DateText>")]
    pub from: Option<String>,
    /// Notes issued on or before this date (not before `from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::formats::DateText>")]
    pub to: Option<String>,
}

/// Input of `get_fiscal_note_pdf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetFiscalNotePdfInput {
    /// The note's id (`remote_id` of a [`FiscalNote`]).
    pub note_id: RemoteId,
    /// The customer's CPF/CNPJ: optional, but when sent the adapter refuses (`not_found`) a
    /// note of another customer (see `GetBoletoPdfInput`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::formats::DocumentText>")]
    pub customer_document_number: Option<String>,
}

/// `list_fiscal_notes`.
pub struct ListFiscalNotes;
impl Contract for ListFiscalNotes {
    const FUNCTION: Function = Function::ListFiscalNotes;
    type Input = ListFiscalNotesInput;
    type Output = Vec<FiscalNote>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)?;
        let mut dates = [(&mut input.from, "from"), (&mut input.to, "to")];
        for (value, field) in &mut dates {
            if let Some(text) = value.as_mut() {
                let date = parse_date(text).map_err(|e| InputError::invalid(*field, e.to_string()))?;
                *text = format_date(date);
            }
        }
        if let (Some(from), Some(to)) = (&input.from, &input.to)
            && from > to
        {
            return Err(InputError::invalid("from", "must not be after `to`"));
        }
        Ok(())
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, |f, cx| {
            let key_text = f.text_or_empty("access_key")?;
            let access_key = if key_text.is_empty() {
                key_text
            } else {
                match AccessKey::parse(&key_text) {
                    Ok(key) => key.as_str().to_owned(),
                    Err(e) => {
                        cx.warn(WarningCode::InvalidAccessKey, f.path_of("access_key"), e.to_string());
                        String::new()
                    }
                }
            };
            Ok(FiscalNote {
                remote_id: f.text("remote_id")?,
                number: f.text("number")?,
                series: f.text_or_empty("series")?,
                access_key,
                issued_at: f.date("issued_at")?,
                amount: f.money("amount", cx)?.to_string(),
                status: vocabulary(
                    f,
                    "status",
                    &[
                        ("authorized", FiscalNoteStatus::Authorized),
                        ("autorizada", FiscalNoteStatus::Authorized),
                        ("cancelled", FiscalNoteStatus::Cancelled),
                        ("canceled", FiscalNoteStatus::Cancelled),
                        ("cancelada", FiscalNoteStatus::Cancelled),
                        ("denied", FiscalNoteStatus::Denied),
                        ("denegada", FiscalNoteStatus::Denied),
                        ("pending", FiscalNoteStatus::Pending),
                        ("pendente", FiscalNoteStatus::Pending),
                    ],
                )?,
            })
        })
    }
}

/// `get_fiscal_note_pdf`.
pub struct GetFiscalNotePdf;
impl Contract for GetFiscalNotePdf {
    const FUNCTION: Function = Function::GetFiscalNotePdf;
    type Input = GetFiscalNotePdfInput;
    type Output = Pdf;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        crate::validate::optional_document_field(&mut input.customer_document_number)
    }

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        pdf(raw)
    }
}
