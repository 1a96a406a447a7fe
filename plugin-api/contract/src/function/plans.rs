//! A customer's plans (contracts), the blocked ones, and the trust unlock.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enforce::{ContractViolation, Enforcer, Fields, ViolationCode, WarningCode, each, object, vocabulary};
use crate::function::invoices::CustomerInput;
use crate::validate::{InputError, document_field};
use crate::{Contract, Function, RemoteId};

/// A plan's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// In service.
    Active,
    /// Blocked, usually for late payment; `trust_unlock` may lift it.
    Blocked,
    /// Suspended (by request or reduced speed).
    Suspended,
    /// Cancelled.
    Cancelled,
}

const PLAN_STATUS_WORDS: &[(&str, PlanStatus)] = &[
    ("active", PlanStatus::Active),
    ("ativo", PlanStatus::Active),
    ("ativa", PlanStatus::Active),
    ("blocked", PlanStatus::Blocked),
    ("bloqueado", PlanStatus::Blocked),
    ("bloqueada", PlanStatus::Blocked),
    ("suspended", PlanStatus::Suspended),
    ("suspenso", PlanStatus::Suspended),
    ("suspensa", PlanStatus::Suspended),
    ("cancelled", PlanStatus::Cancelled),
    ("canceled", PlanStatus::Cancelled),
    ("cancelado", PlanStatus::Cancelled),
    ("cancelada", PlanStatus::Cancelled),
];

/// A customer's plan (`list_plans`, `list_blocked_plans`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// The contract's id in the ERP (what `trust_unlock` takes).
    pub contract_id: String,
    /// The plan's name.
    pub name: String,
    /// Status.
    pub status: PlanStatus,
    /// Monthly price, `"99.90"`.
    pub price: String,
    /// Day of the month the invoices fall due, 1 to 31, or `null`.
    pub due_day: Option<u8>,
}

/// Input of `trust_unlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustUnlockInput {
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
    /// The blocked contract (`contract_id` of a [`Plan`]).
    pub contract_id: RemoteId,
}

/// Output of `trust_unlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrustUnlockOutput {
    /// Whether the plan was unlocked.
    pub success: bool,
    /// Until when (`YYYY-MM-DD`), or `null` when the ERP doesn't say.
    pub unlocked_until: Option<String>,
    /// The ERP's message (why not, when it refused), or `null`.
    pub remote_message: Option<String>,
}

/// `list_plans`.
pub struct ListPlans;
impl Contract for ListPlans {
    const FUNCTION: Function = Function::ListPlans;
    type Input = CustomerInput;
    type Output = Vec<Plan>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        each(raw, cx, plan)
    }
}

/// `list_blocked_plans`: plans that are not blocked are dropped with a warning.
pub struct ListBlockedPlans;
impl Contract for ListBlockedPlans {
    const FUNCTION: Function = Function::ListBlockedPlans;
    type Input = CustomerInput;
    type Output = Vec<Plan>;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let plans = each(raw, cx, plan)?;
        let mut blocked = Vec::with_capacity(plans.len());
        for (i, p) in plans.into_iter().enumerate() {
            if p.status == PlanStatus::Blocked {
                blocked.push(p);
            } else {
                cx.warn(WarningCode::EntryDropped, format!("$[{i}].status"), "a plan that is not blocked was dropped");
            }
        }
        Ok(blocked)
    }
}

/// `trust_unlock`.
pub struct TrustUnlock;
impl Contract for TrustUnlock {
    const FUNCTION: Function = Function::TrustUnlock;
    type Input = TrustUnlockInput;
    type Output = TrustUnlockOutput;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)
    }

    fn enforce(raw: &Value, cx: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        Ok(TrustUnlockOutput {
            success: f.boolean("success")?,
            unlocked_until: f.opt_date("unlocked_until", cx),
            remote_message: f.opt_nonempty_text("remote_message")?,
        })
    }
}

fn plan(f: &Fields<'_>, cx: &mut Enforcer<'_>) -> Result<Plan, ContractViolation> {
    let due_day = match f.opt_nonempty_text("due_day")? {
        None => None,
        Some(text) => match text.parse::<u8>() {
            Ok(day @ 1..=31) => Some(day),
            _ => {
                return Err(ContractViolation::new(
                    ViolationCode::OutOfRange,
                    f.path_of("due_day"),
                    "due day must be 1 to 31",
                ));
            }
        },
    };
    Ok(Plan {
        contract_id: f.text("contract_id")?,
        name: f.text("name")?,
        status: vocabulary(f, "status", PLAN_STATUS_WORDS)?,
        price: f.money("price", cx)?.to_string(),
        due_day,
    })
}
