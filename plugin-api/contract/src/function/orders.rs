//! Orders and leads from the app's checkout.
//!
//! `order` and `lead` are the app's own objects and pass to the plugin as sent; the host only
//! requires them to be objects. The results carry the ERP's id for the record created.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enforce::{ContractViolation, Enforcer, object};
use crate::validate::{InputError, document_field};
use crate::{Contract, Function};

/// Input of `create_order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderInput {
    /// The order, as the app sends it.
    pub order: Map<String, Value>,
    /// Order information for an observations field.
    #[serde(default)]
    pub message: String,
}

/// Output of `create_order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateOrderOutput {
    /// The order's id in the ERP.
    pub remote_id: String,
    /// The ERP's answer, or `null`.
    pub remote_message: Option<String>,
    /// Whether the order was opened as a ticket.
    pub is_issue: bool,
}

/// Input of `create_order_existing_customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderExistingCustomerInput {
    /// The order, as the app sends it.
    pub order: Map<String, Value>,
    /// Order information for an observations field.
    #[serde(default)]
    pub message: String,
    /// The customer's CPF/CNPJ.
    #[schemars(with = "crate::schema::formats::DocumentText")]
    pub customer_document_number: String,
    /// The customer's user in the app.
    #[schemars(length(min = 1, max = 255), extend("pattern" = crate::validate::TEXT_PATTERN))]
    pub wda_user: String,
}

/// Output of `create_order_existing_customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreateOrderExistingCustomerOutput {
    /// The order's (ticket's) id in the ERP.
    pub remote_id: String,
}

/// Input of `create_lead`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadInput {
    /// The lead, as the app sends it.
    #[schemars(extend("minProperties" = 1))]
    pub lead: Map<String, Value>,
}

/// Output of `create_lead`: nothing (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Empty {}

/// `create_order`.
pub struct CreateOrder;
impl Contract for CreateOrder {
    const FUNCTION: Function = Function::CreateOrder;
    type Input = CreateOrderInput;
    type Output = CreateOrderOutput;

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        Ok(CreateOrderOutput {
            remote_id: f.text("remote_id")?,
            remote_message: f.opt_nonempty_text("remote_message")?,
            is_issue: f.boolean_or_false("is_issue")?,
        })
    }
}

/// `create_order_existing_customer`.
pub struct CreateOrderExistingCustomer;
impl Contract for CreateOrderExistingCustomer {
    const FUNCTION: Function = Function::CreateOrderExistingCustomer;
    type Input = CreateOrderExistingCustomerInput;
    type Output = CreateOrderExistingCustomerOutput;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        document_field("customer_document_number", &mut input.customer_document_number)?;
        crate::validate::text_field("wda_user", &mut input.wda_user, 255)
    }

    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        let f = object(raw, "$")?;
        Ok(CreateOrderExistingCustomerOutput { remote_id: f.text("remote_id")? })
    }
}

/// `create_lead`.
pub struct CreateLead;
impl Contract for CreateLead {
    const FUNCTION: Function = Function::CreateLead;
    type Input = CreateLeadInput;
    type Output = Empty;

    fn validate(input: &mut Self::Input) -> Result<(), InputError> {
        if input.lead.is_empty() {
            return Err(InputError::invalid("lead", "must not be empty"));
        }
        Ok(())
    }

    /// Whatever the ERP answered is the plugin's business; the caller gets `{}`. A list or a
    /// scalar still means the plugin misunderstood the contract.
    fn enforce(raw: &Value, _: &mut Enforcer<'_>) -> Result<Self::Output, ContractViolation> {
        match raw {
            Value::Null => Ok(Empty {}),
            other => object(other, "$").map(|_| Empty {}),
        }
    }
}
