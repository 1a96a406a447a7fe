//! What operators do, whatever they do it through: the admin API (`crate::api`) and the
//! console (`crate::console`) call the same functions, each of which checks who may, validates,
//! acts, and records the action in the audit trail.
//!
//! - [`tenants`]: tenants as data (revisions, rollback), and who reaches which tenant.
//! - [`keys`]: API keys created, listed, revoked.
//! - [`settlements`]: parked payments retried or resolved.
//! - [`customers`]: a customer's data erased on request.
//! - [`passthrough`]: an upstream path the contract doesn't cover, called raw (off by default).

pub mod customers;
pub mod keys;
pub mod passthrough;
pub mod settlements;
pub mod tenants;

use crate::invoke::Host;
use crate::store::{Caller, NewAuditEvent};

/// Records an operator's action in the audit trail. The action has happened: a store that
/// can't take the record is logged loudly, and the caller still gets the action's answer.
pub async fn audit(
    host: &Host,
    caller: &Caller,
    tenant: Option<&str>,
    action: &'static str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) {
    let event = NewAuditEvent {
        actor: caller.key_id.clone(),
        tenant: tenant.map(str::to_owned),
        action,
        target: target.to_owned(),
        before,
        after,
    };
    if let Err(e) = host.store.record_audit(&event).await {
        tracing::error!(error = %e, action, target, key = %caller.key_id, "an operator action could not be recorded in the audit trail");
    }
}
