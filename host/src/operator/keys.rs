//! API keys: created (the token shown once), listed (never a token or hash), revoked; each
//! action audited. A tenant's admin key manages its own tenant's keys; a platform key any
//! tenant's, naming it. Platform keys are made only on the command line.

use ponte_contract::Scope;
use serde_json::{Value, json};

use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::store::{ApiKeyInfo, Caller, PLATFORM_TENANT, StoreError};

fn unknown_tenant(tenant: &str) -> Problem {
    super::tenants::unknown_tenant(tenant)
}

/// The keys `caller` may see: of `tenant`, or (a platform key naming none) every key.
///
/// # Errors
/// As [`tenant_of`], or the store can't answer.
pub async fn list(host: &Host, caller: &Caller, tenant: Option<&str>) -> Result<Vec<ApiKeyInfo>, Problem> {
    let tenant = match (caller.is_platform(), tenant) {
        (true, None) => None,
        (_, named) => Some(super::tenants::acting_for(caller, named.or(Some(caller.tenant.as_str())))?),
    };
    host.store.list_api_keys(tenant.as_deref()).await.map_err(|e| Problem::store_unavailable(&e, ""))
}

/// Creates a key; the answer holds its token, shown this once.
///
/// # Errors
/// `400` for bad scopes or label, `404` for an unknown tenant, or the store can't answer.
pub async fn create(
    host: &Host,
    caller: &Caller,
    tenant: Option<&str>,
    scopes: &[Scope],
    label: &str,
) -> Result<Value, Problem> {
    let tenant = super::tenants::acting_for(caller, tenant)?;
    let known = host.registry().tenants.contains_key(&tenant)
        || host.store.tenants().await.map_err(|e| Problem::store_unavailable(&e, ""))?.iter().any(|t| t.id == tenant);
    if !known || tenant == PLATFORM_TENANT {
        return Err(unknown_tenant(&tenant));
    }
    let key = match host.store.create_api_key(&tenant, scopes, label).await {
        Ok(key) => key,
        Err(StoreError::Invalid(what)) => {
            let why = if what == "scopes" {
                "give at least one of app, totem, admin"
            } else {
                "a label is at most 200 characters, none of them a control character"
            };
            return Err(Problem::new(ProblemCode::InvalidInput, format!("invalid {what}: {why}")).with_field(what));
        }
        Err(e) => return Err(Problem::store_unavailable(&e, "no key was created")),
    };
    let after = json!({"id": key.id, "tenant": key.tenant, "scopes": key.scopes, "label": label});
    super::audit(host, caller, Some(&tenant), "api_key.created", &key.id, None, Some(after)).await;
    Ok(json!({
        "id": key.id, "token": key.token, "tenant": key.tenant, "scopes": key.scopes, "label": label,
        "note": "the token is shown this once; only its hash is stored",
    }))
}

/// Revokes a key `caller` may see: refused at once on this replica, within a second on the
/// others. Revoking a revoked key is done already.
///
/// # Errors
/// `404` for a key it may not see, or the store can't answer.
pub async fn revoke(host: &Host, caller: &Caller, id: &str) -> Result<(), Problem> {
    let key = host.store.api_key(id).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    let Some(key) = key.filter(|k| caller.is_platform() || k.tenant == caller.tenant) else {
        return Err(Problem::new(ProblemCode::NotFound, "no such key"));
    };
    if key.revoked_at.is_some() {
        return Ok(());
    }
    host.keys.revoke(&key.id).await.map_err(|e| Problem::store_unavailable(&e, "the key was not revoked"))?;
    let before = json!({"id": key.id, "tenant": key.tenant, "scopes": key.scopes, "label": key.label});
    super::audit(host, caller, Some(&key.tenant), "api_key.revoked", &key.id, Some(before), None).await;
    Ok(())
}
