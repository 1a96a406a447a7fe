//! Tenants as data: who may see and change which tenant, the change applied as the next
//! revision (validated as a file, secrets sealed, written with its audit event, loaded before
//! answering), history and rollback. The admin API (`crate::api`) and the console share it.
//!
//! A platform key (tenant `*`) reaches every tenant; a tenant's own admin key reaches its own
//! (it may change it, not create or remove tenants), and any other is `404 unknown_tenant`. A
//! tenant an automation file defines is read-only here (`409 tenant_read_only`).

use serde_json::{Value, json};

use crate::capabilities::config::SettingValue;
use crate::config::ConfigError;
use crate::config::document::{self, BindingDocument, ConnectionDocument, TenantDocument};
use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::registry::Registry;
use crate::store::{Caller, NewAuditEvent, TenantRevision};

fn unavailable(e: crate::store::StoreError) -> Problem {
    Problem::store_unavailable(&e, "nothing was changed")
}

/// `404 unknown_tenant`.
pub fn unknown_tenant(tenant: &str) -> Problem {
    let shown: String = tenant.chars().take(64).collect();
    Problem::new(ProblemCode::UnknownTenant, format!("no tenant `{shown}`"))
}

fn platform_only(what: &str) -> Problem {
    Problem::new(ProblemCode::Forbidden, format!("{what} takes a platform operator's key"))
}

/// Whether `caller` may see and change `tenant` (else it is as absent as a missing one).
///
/// # Errors
/// `404 unknown_tenant` for another tenant than a tenant key's own.
pub fn reach(caller: &Caller, tenant: &str) -> Result<(), Problem> {
    if caller.is_platform() || caller.tenant == tenant { Ok(()) } else { Err(unknown_tenant(tenant)) }
}

/// The tenant an admin acts on where one must be named: a tenant key's own (naming another is
/// `404`), a platform key's named one (naming none is `400`).
///
/// # Errors
/// As said.
pub fn acting_for(caller: &Caller, named: Option<&str>) -> Result<String, Problem> {
    match (caller.is_platform(), named) {
        (true, Some(tenant)) => Ok(tenant.to_owned()),
        (true, None) => {
            Err(Problem::new(ProblemCode::InvalidInput, "a platform key names the tenant: `tenant`")
                .with_field("tenant"))
        }
        (false, Some(tenant)) if tenant != caller.tenant => Err(unknown_tenant(tenant)),
        (false, _) => Ok(caller.tenant.clone()),
    }
}

fn config_problem(errors: Vec<ConfigError>) -> Problem {
    Problem::invalid_configuration(errors.into_iter().map(|e| (e.field.unwrap_or_default(), e.message)).collect())
}

/// Where a tenant is defined, as listed.
pub fn source(registry: &Registry, tenant: &str, stored: Option<&TenantRevision>) -> Option<&'static str> {
    match registry.tenants.get(tenant) {
        Some(t) if t.revision.is_none() => Some("file"),
        Some(_) => Some("api"),
        None if stored.is_some_and(|r| r.document.is_some()) => Some("api"),
        None if registry
            .failed_tenants
            .get(tenant)
            .is_some_and(|e| e.iter().all(|e| !document::is_stored(&e.file))) =>
        {
            Some("file")
        }
        None => None,
    }
}

/// A tenant as listed and shown: where it is defined, the revision serving, whether it loads.
pub fn summary(registry: &Registry, tenant: &str, stored: Option<&TenantRevision>) -> Value {
    let loaded = registry.tenants.get(tenant);
    let errors: Vec<Value> = registry
        .failed_tenants
        .get(tenant)
        .map(|errors| errors.iter().map(|e| json!({"field": e.field, "message": e.message})).collect())
        .unwrap_or_default();
    json!({
        "id": tenant,
        "name": loaded.map(|t| t.automation.name.clone()),
        "source": source(registry, tenant, stored),
        "revision": stored.map(|r| r.revision),
        "serving_revision": loaded.and_then(|t| t.revision),
        "status": if loaded.is_some() { "serving" } else { "failed" },
        "functions": loaded.map(|t| t.automation.functions.keys().map(|f| f.as_str()).collect::<Vec<_>>()).unwrap_or_default(),
        "errors": errors,
    })
}

/// Every tenant `caller` reaches, as listed.
///
/// # Errors
/// When the store can't answer.
pub async fn list(host: &Host, caller: &Caller) -> Result<Vec<Value>, Problem> {
    let registry = host.registry();
    let stored = host.store.current_tenant_revisions().await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    let mut ids: std::collections::BTreeSet<String> = registry.tenants.keys().cloned().collect();
    ids.extend(registry.failed_tenants.keys().cloned());
    ids.extend(stored.iter().filter(|r| r.document.is_some()).map(|r| r.tenant.clone()));
    Ok(ids
        .iter()
        .filter(|id| reach(caller, id).is_ok())
        .map(|id| summary(&registry, id, stored.iter().find(|r| &r.tenant == id)))
        .collect())
}

/// A file-defined tenant's configuration as operators see it (secrets by name only).
fn file_view(registry: &Registry, tenant: &str) -> Value {
    let Some(loaded) = registry.tenants.get(tenant) else { return Value::Null };
    let a = &loaded.automation;
    let connections: serde_json::Map<String, Value> = a
        .connections
        .iter()
        .map(|(name, c)| {
            let settings: serde_json::Map<String, Value> = c
                .settings
                .iter()
                .filter(|(_, v)| !matches!(v, SettingValue::Secret(_)))
                .map(|(k, v)| (k.clone(), Value::from(v.expose())))
                .collect();
            let secrets: Vec<&String> =
                c.settings.iter().filter(|(_, v)| matches!(v, SettingValue::Secret(_))).map(|(k, _)| k).collect();
            (name.clone(), json!({"plugin": c.plugin, "settings": settings, "secrets_set": secrets}))
        })
        .collect();
    let functions: serde_json::Map<String, Value> = a
        .functions
        .iter()
        .map(|(f, b)| {
            let mut binding =
                json!({"use": b.connection, "timeout": humantime::format_duration(b.timeout).to_string()});
            if let Some(ttl) = b.cache_ttl {
                binding["cache_ttl"] = Value::from(humantime::format_duration(ttl).to_string());
            }
            (f.as_str().to_owned(), binding)
        })
        .collect();
    json!({"name": a.name, "connections": connections, "functions": functions})
}

/// One tenant with its document (secrets by name only), and its stored revision.
///
/// # Errors
/// `404 unknown_tenant`, or the store can't answer.
pub async fn show(host: &Host, caller: &Caller, tenant: &str) -> Result<(Value, Option<u64>), Problem> {
    reach(caller, tenant)?;
    let registry = host.registry();
    let stored = stored_revision(host, tenant).await?;
    let Some(source) = source(&registry, tenant, stored.as_ref()) else { return Err(unknown_tenant(tenant)) };
    let mut view = summary(&registry, tenant, stored.as_ref());
    view["document"] = match (source, stored.as_ref().and_then(|r| r.document.as_deref())) {
        ("api", Some(text)) => document::public(&parse_stored(text)?),
        _ => file_view(&registry, tenant),
    };
    Ok((view, stored.as_ref().map(|r| r.revision)))
}

async fn stored_revision(host: &Host, tenant: &str) -> Result<Option<TenantRevision>, Problem> {
    if !crate::config::automation::valid_tenant(tenant) {
        return Ok(None);
    }
    host.store.tenant_revision(tenant, None).await.map_err(|e| Problem::store_unavailable(&e, ""))
}

fn parse_stored(text: &str) -> Result<TenantDocument, Problem> {
    serde_json::from_str(text).map_err(|e| {
        tracing::error!(error = %e, "a stored tenant document is unreadable");
        Problem::new(ProblemCode::Internal, "the stored configuration is unreadable")
    })
}

/// Creates tenant `id` (platform keys).
///
/// # Errors
/// `403` for a tenant key, `409 revision_conflict` when it exists, `422` for a bad document.
pub async fn create(host: &Host, caller: &Caller, id: &str, document: TenantDocument) -> Result<(Value, u64), Problem> {
    if !caller.is_platform() {
        return Err(platform_only("creating a tenant"));
    }
    let stored = stored_revision(host, id).await?;
    if source(&host.registry(), id, stored.as_ref()).is_some() {
        return Err(Problem::new(
            ProblemCode::RevisionConflict,
            format!("tenant `{id}` exists; change it with PUT /v1/admin/tenants/{id}"),
        ));
    }
    if let Some(removed) = &stored {
        // Its history (and its sealed secrets) belong to whoever had it: a new provider gets a
        // new id, and the old one comes back only by rolling it back.
        return Err(Problem::new(
            ProblemCode::RevisionConflict,
            format!(
                "tenant id `{id}` was used before (removed at revision {}): choose another id, or roll it back",
                removed.revision
            ),
        ));
    }
    commit(host, caller, id, None, stored, Change::Document(document)).await
}

/// Applies a change to a tenant (see [`Change`] for who may make which), as of `if_match`
/// (the revision the change was made from) when given.
///
/// # Errors
/// `403`, `404 unknown_tenant`, `409 tenant_read_only` / `revision_conflict`, `422
/// invalid_configuration`, or the store can't answer.
pub async fn change(
    host: &Host,
    caller: &Caller,
    tenant: &str,
    if_match: Option<&str>,
    change: Change,
) -> Result<(Value, u64), Problem> {
    reach(caller, tenant)?;
    let stored = writable(host, caller, tenant).await?;
    let exists = stored.as_ref().is_some_and(|r| r.document.is_some());
    let change = match change {
        Change::Remove if !caller.is_platform() => return Err(platform_only("removing a tenant")),
        Change::Document(_) if !exists && !caller.is_platform() => return Err(platform_only("creating a tenant")),
        Change::Remove | Change::Connection(..) | Change::Function(..) if !exists => {
            return Err(unknown_tenant(tenant));
        }
        Change::RollbackTo(number) => {
            if stored.is_none() || (!exists && !caller.is_platform()) {
                return Err(unknown_tenant(tenant));
            }
            if i64::try_from(number).is_err() {
                return Err(Problem::new(ProblemCode::NotFound, format!("tenant `{tenant}` has no revision {number}")));
            }
            let target = host
                .store
                .tenant_revision(tenant, Some(number))
                .await
                .map_err(|e| Problem::store_unavailable(&e, ""))?
                .ok_or_else(|| {
                    Problem::new(ProblemCode::NotFound, format!("tenant `{tenant}` has no revision {number}"))
                })?;
            if target.document.is_none() && !caller.is_platform() {
                return Err(platform_only("rolling back to a removal"));
            }
            Change::Rollback(target)
        }
        change => change,
    };
    commit(host, caller, tenant, if_match, stored, change).await
}

/// A tenant's revisions, newest first.
///
/// # Errors
/// `404 unknown_tenant`, or the store can't answer.
pub async fn revisions(host: &Host, caller: &Caller, tenant: &str, limit: u32) -> Result<Vec<Value>, Problem> {
    reach(caller, tenant)?;
    if !crate::config::automation::valid_tenant(tenant) {
        return Err(unknown_tenant(tenant));
    }
    let list = host.store.tenant_revisions(tenant, limit).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    if list.is_empty() {
        return Err(unknown_tenant(tenant));
    }
    Ok(list.iter().map(revision_view).collect())
}

/// One revision, with its document (secrets by name only).
///
/// # Errors
/// `404`, or the store can't answer.
pub async fn revision(host: &Host, caller: &Caller, tenant: &str, number: &str) -> Result<Value, Problem> {
    reach(caller, tenant)?;
    let number: u64 = number
        .parse()
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(|| Problem::new(ProblemCode::NotFound, "a revision is a positive integer"))?;
    if !crate::config::automation::valid_tenant(tenant) {
        return Err(unknown_tenant(tenant));
    }
    let found = host
        .store
        .tenant_revision(tenant, Some(number))
        .await
        .map_err(|e| Problem::store_unavailable(&e, ""))?
        .ok_or_else(|| Problem::new(ProblemCode::NotFound, format!("tenant `{tenant}` has no revision {number}")))?;
    let mut view = revision_view(&found);
    view["document"] = match &found.document {
        Some(text) => document::public(&parse_stored(text)?),
        None => Value::Null,
    };
    Ok(view)
}

fn revision_view(r: &TenantRevision) -> Value {
    json!({
        "revision": r.revision,
        "created_at": r.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "actor": r.actor,
        "summary": r.summary,
        "removed": r.document.is_none(),
    })
}

/// The tenant's stored revision, refusing a tenant a file defines.
async fn writable(host: &Host, caller: &Caller, tenant: &str) -> Result<Option<TenantRevision>, Problem> {
    reach(caller, tenant)?;
    let stored = stored_revision(host, tenant).await?;
    if source(&host.registry(), tenant, stored.as_ref()) == Some("file") {
        return Err(Problem::new(
            ProblemCode::TenantReadOnly,
            format!("tenant `{tenant}` is defined by an automation file; change the file"),
        ));
    }
    Ok(stored)
}

/// What a write does to the tenant's document.
pub enum Change {
    /// Replaces it whole.
    Document(TenantDocument),
    /// Sets (`Some`) or removes a connection.
    Connection(String, Option<ConnectionDocument>),
    /// Sets (`Some`) or removes a function's binding.
    Function(String, Option<BindingDocument>),
    /// Back to an earlier revision's document, by number.
    RollbackTo(u64),
    /// Back to this earlier revision's document.
    Rollback(TenantRevision),
    /// Removes the tenant.
    Remove,
}

/// Applies `change` on top of the tenant's current revision: validated, sealed, written with
/// its audit event as the next revision, and loaded before answering.
async fn commit(
    host: &Host,
    caller: &Caller,
    tenant: &str,
    if_match: Option<&str>,
    stored: Option<TenantRevision>,
    change: Change,
) -> Result<(Value, u64), Problem> {
    let current_number = stored.as_ref().map_or(0, |r| r.revision);
    if let Some(expected) = if_match
        && expected.trim().trim_matches('"') != current_number.to_string()
    {
        return Err(Problem::new(
            ProblemCode::RevisionConflict,
            format!("tenant `{tenant}` is at revision {current_number}, not {expected}"),
        ));
    }
    let current = match stored.as_ref().and_then(|r| r.document.as_deref()) {
        Some(text) => Some(parse_stored(text)?),
        None => None,
    };
    let registry = host.registry();
    let manifests = registry.manifests();
    let keyring = &host.options.keyring;
    let (action, next, summary_line) = match change {
        Change::Remove => ("tenant.removed", None, "removed".to_owned()),
        Change::Rollback(target) => {
            let next = match &target.document {
                Some(text) => {
                    let doc = parse_stored(text)?;
                    let automation = document::load(tenant, &doc, &manifests, keyring).map_err(config_problem)?;
                    registry.check(automation).map_err(config_problem)?;
                    Some(doc)
                }
                None => None,
            };
            ("tenant.rolled_back", next, format!("rolled back to revision {}", target.revision))
        }
        Change::RollbackTo(number) => {
            return Err(Problem::new(
                ProblemCode::Internal,
                format!("revision {number} was not read before the change"),
            ));
        }
        change => {
            let input = edit(current.as_ref(), change)?;
            let (doc, automation) =
                document::prepare(tenant, input, current.as_ref(), &manifests, keyring).map_err(config_problem)?;
            registry.check(automation).map_err(config_problem)?;
            let line = describe(current.as_ref(), &doc);
            (if current.is_some() { "tenant.changed" } else { "tenant.created" }, Some(doc), line)
        }
    };
    let private_before = current.as_ref().map(|d| d.allow_private.clone()).unwrap_or_default();
    let private_after = next.as_ref().map(|d| d.allow_private.clone()).unwrap_or_default();
    if !caller.is_platform() && private_after != private_before && !private_after.is_empty() {
        // Internal addresses are the operator's to open: a tenant's admin could otherwise aim its
        // ERP's requests at the host's own network.
        return Err(platform_only("changing `allow_private`"));
    }
    let proxy_before = current.as_ref().and_then(|d| d.egress_proxy.clone());
    let proxy_after = next.as_ref().and_then(|d| d.egress_proxy.clone());
    if !caller.is_platform() && proxy_after != proxy_before && proxy_after.is_some() {
        // Where a tenant's calls leave from is the operator's to decide, as internal addresses are.
        return Err(platform_only("changing `egress_proxy`"));
    }
    let text = next.as_ref().map(|d| serde_json::to_string(d).unwrap_or_default());
    let audit = NewAuditEvent {
        actor: caller.key_id.clone(),
        tenant: Some(tenant.to_owned()),
        action,
        target: tenant.to_owned(),
        before: current.as_ref().map(document::public),
        after: next.as_ref().map(document::public),
    };
    let number = current_number + 1;
    let written = host
        .store
        .put_tenant_revision(tenant, number, text.as_deref(), &summary_line, &audit)
        .await
        .map_err(unavailable)?;
    if !written {
        return Err(Problem::new(
            ProblemCode::RevisionConflict,
            format!("tenant `{tenant}` was changed by someone else meanwhile; read it again and retry"),
        ));
    }
    tracing::info!(tenant = %tenant, revision = number, key = %caller.key_id, change = %summary_line, "tenant configuration changed through the admin API");
    match &next {
        Some(doc) => host.store.ensure_tenant(tenant, &doc.name).await.map_err(unavailable)?,
        None => {
            // A removed tenant's keys stop working (and with them every console session they
            // opened), on every replica.
            let revoked = host.store.revoke_tenant_api_keys(tenant).await.map_err(unavailable)?;
            host.keys.forget_all();
            tracing::info!(tenant = %tenant, keys = revoked, "a removed tenant's keys were revoked");
        }
    }
    crate::reload::reload_stored(host)
        .await
        .map_err(|e| Problem::store_unavailable(&e, "the change is stored and every replica will load it shortly"))?;
    let registry = host.registry();
    let written =
        host.store.tenant_revision(tenant, Some(number)).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    let mut view = summary(&registry, tenant, written.as_ref());
    if let Some(doc) = &next {
        view["document"] = document::public(doc);
    }
    Ok((view, number))
}

/// The document a partial change makes of the current one (in the API's input form: secrets
/// left out are kept by [`document::prepare`]).
fn edit(current: Option<&TenantDocument>, change: Change) -> Result<TenantDocument, Problem> {
    if let Change::Document(doc) = change {
        return Ok(doc);
    }
    let mut doc = current.cloned().ok_or_else(|| Problem::new(ProblemCode::UnknownTenant, "no such tenant"))?;
    // The stored form holds sealed secrets; the input form leaves them out (kept as they are).
    for conn in doc.connections.values_mut() {
        conn.secrets.clear();
    }
    match change {
        Change::Connection(name, Some(conn)) => {
            doc.connections.insert(name, conn);
        }
        Change::Connection(name, None) => {
            if doc.connections.remove(&name).is_none() {
                return Err(Problem::new(ProblemCode::NotFound, format!("no connection `{name}`")));
            }
        }
        Change::Function(function, Some(binding)) => {
            doc.functions.insert(function, binding);
        }
        Change::Function(function, None) => {
            if doc.functions.remove(&function).is_none() {
                return Err(Problem::new(ProblemCode::NotFound, format!("no automation for `{function}`")));
            }
        }
        Change::Document(_) | Change::Rollback(_) | Change::RollbackTo(_) | Change::Remove => {}
    }
    Ok(doc)
}

/// What changed between two documents, in a line: names only, never a secret's value.
fn describe(before: Option<&TenantDocument>, after: &TenantDocument) -> String {
    let Some(before) = before else {
        return format!("created with {} connections and {} functions", after.connections.len(), after.functions.len());
    };
    let mut parts = Vec::new();
    if before.name != after.name {
        parts.push("name".to_owned());
    }
    if before.allow_private != after.allow_private {
        parts.push("allow_private".to_owned());
    }
    if before.egress_proxy != after.egress_proxy {
        parts.push("egress_proxy".to_owned());
    }
    if before.privacy != after.privacy {
        parts.push("privacy".to_owned());
    }
    let names = |a: &TenantDocument, b: &TenantDocument| {
        let mut all: Vec<String> = a.connections.keys().chain(b.connections.keys()).cloned().collect();
        all.sort();
        all.dedup();
        all
    };
    for name in names(before, after) {
        match (before.connections.get(&name), after.connections.get(&name)) {
            (None, Some(_)) => parts.push(format!("connections.{name} added")),
            (Some(_), None) => parts.push(format!("connections.{name} removed")),
            (Some(old), Some(new)) if old != new => {
                let mut what = Vec::new();
                if old.plugin != new.plugin || old.timeout != new.timeout || old.settings != new.settings {
                    what.push("settings".to_owned());
                }
                for key in old.secrets.keys().chain(new.secrets.keys()) {
                    if old.secrets.get(key) != new.secrets.get(key) && !what.contains(&format!("secret {key}")) {
                        what.push(format!("secret {key}"));
                    }
                }
                parts.push(format!("connections.{name} changed ({})", what.join(", ")));
            }
            _ => {}
        }
    }
    let mut functions: Vec<&String> = before.functions.keys().chain(after.functions.keys()).collect();
    functions.sort();
    functions.dedup();
    for function in functions {
        match (before.functions.get(function), after.functions.get(function)) {
            (None, Some(_)) => parts.push(format!("functions.{function} added")),
            (Some(_), None) => parts.push(format!("functions.{function} removed")),
            (Some(a), Some(b)) if a != b => parts.push(format!("functions.{function} changed")),
            _ => {}
        }
    }
    if parts.is_empty() { "no change".to_owned() } else { parts.join("; ") }
}
