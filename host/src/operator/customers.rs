//! A customer's data erased on request (LGPD art. 18): by an admin of their tenant (or a
//! platform operator) through `POST /v1/admin/tenants/{tenant}/erasures`, or `ponte erase`.
//! What is removed is [`crate::privacy::erasure`]'s; the action is audited with its counts,
//! never the document.

use serde_json::json;

use crate::invoke::Host;
use crate::metrics::TenantLabels;
use crate::problem::Problem;
use crate::store::{Caller, Erased};

/// Erases `tenant`'s customer with `document` (one `caller` reaches).
///
/// # Errors
/// `404` for a tenant the caller doesn't reach; as [`crate::privacy::erasure::erase`].
pub async fn erase(host: &Host, caller: &Caller, tenant: &str, document: &str) -> Result<Erased, Problem> {
    super::tenants::reach(caller, tenant)?;
    // Rows of calls already answered are written first, so none lands after the erasure.
    host.invocation_log.flush().await;
    let erased = crate::privacy::erasure::erase(&host.store, Some(&host.cache), tenant, document).await?;
    if let Ok(document) = ponte_contract::normalize::document::Document::parse(document) {
        host.kiosk_lookups.forget_customer(&crate::digest::customer_digest(tenant, document.as_str()));
    }
    host.metrics.erasures.get_or_create(&TenantLabels { tenant: tenant.to_owned() }).inc();
    tracing::info!(
        tenant = %tenant,
        key = %caller.key_id,
        invocations = erased.invocations,
        idempotency_records = erased.idempotency_records,
        settlements_redacted = erased.settlements_redacted,
        "a customer's data was erased on request"
    );
    super::audit(host, caller, Some(tenant), "customer.erased", "customer", None, Some(json!(erased))).await;
    Ok(erased)
}
