//! API keys over HTTP (admin scope): created (the token shown once), listed (never a token or
//! hash), revoked; each action in the audit trail.
//!
//! A tenant's admin key manages its own tenant's keys; a platform key (tenant `*`) any
//! tenant's, naming it. A platform key is made only on the command line (`ponte keys create
//! --platform`), never over HTTP.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use ponte_contract::Scope;
use serde::Deserialize;
use serde_json::json;

use super::auth::Admin;
use super::{AppState, JsonBody};
use crate::problem::{Problem, ProblemCode};
use crate::store::{Caller, StoreError};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/admin/keys", get(list).post(create)).route("/v1/admin/keys/{id}", delete(revoke))
}

#[derive(Deserialize)]
struct Filter {
    tenant: Option<String>,
}

/// The tenant an admin acts on: its own, or (platform keys) the one named.
fn tenant_of(caller: &Caller, named: Option<&str>) -> Result<String, Problem> {
    match (caller.is_platform(), named) {
        (true, Some(tenant)) => Ok(tenant.to_owned()),
        (true, None) => {
            let mut problem = Problem::new(ProblemCode::InvalidInput, "a platform key names the tenant: `tenant`");
            problem.field = Some("tenant".into());
            Err(problem)
        }
        (false, Some(tenant)) if tenant != caller.tenant => Err(Problem::new(
            ProblemCode::UnknownTenant,
            format!("no tenant `{}`", tenant.chars().take(64).collect::<String>()),
        )),
        (false, _) => Ok(caller.tenant.clone()),
    }
}

/// `GET /v1/admin/keys[?tenant=acme]`: the tenant's keys (a platform key without `tenant`:
/// every key).
async fn list(
    State(state): State<AppState>,
    Admin(caller): Admin,
    filter: Result<Query<Filter>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(filter)) = filter else {
        return Err(Problem::new(ProblemCode::InvalidInput, "the query takes only `tenant`"));
    };
    let tenant = match (caller.is_platform(), filter.tenant.as_deref()) {
        (true, None) => None,
        (_, named) => Some(tenant_of(&caller, named.or(Some(caller.tenant.as_str())))?),
    };
    let keys =
        state.host.store.list_api_keys(tenant.as_deref()).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    Ok(axum::Json(json!({ "keys": keys })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    tenant: Option<String>,
    scopes: Vec<Scope>,
    #[serde(default)]
    label: String,
}

/// `POST /v1/admin/keys` `{"tenant": "acme", "scopes": ["app"], "label": "..."}`: `201` with the
/// token, shown this once.
async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(body): JsonBody<NewKey>,
) -> Result<Response, Problem> {
    let tenant = tenant_of(&caller, body.tenant.as_deref())?;
    let known = state.host.registry().tenants.contains_key(&tenant)
        || state
            .host
            .store
            .tenants()
            .await
            .map_err(|e| Problem::store_unavailable(&e, ""))?
            .iter()
            .any(|t| t.id == tenant);
    if !known || tenant == crate::store::PLATFORM_TENANT {
        return Err(Problem::new(
            ProblemCode::UnknownTenant,
            format!("no tenant `{}`", tenant.chars().take(64).collect::<String>()),
        ));
    }
    if body.label.len() > 200 {
        let mut problem = Problem::new(ProblemCode::InvalidInput, "a label is at most 200 bytes");
        problem.field = Some("label".into());
        return Err(problem);
    }
    let key = match state.host.store.create_api_key(&tenant, &body.scopes, &body.label).await {
        Ok(key) => key,
        Err(StoreError::Invalid(what)) => {
            let mut problem = Problem::new(
                ProblemCode::InvalidInput,
                format!("invalid {what}: give at least one of app, totem, admin"),
            );
            problem.field = Some(if what == "scopes" { "scopes".into() } else { what.to_owned() });
            return Err(problem);
        }
        Err(e) => return Err(Problem::store_unavailable(&e, "no key was created")),
    };
    let after = json!({"id": key.id, "tenant": key.tenant, "scopes": key.scopes, "label": body.label});
    super::audit(&state, &caller, Some(&tenant), "api_key.created", &key.id, None, Some(after)).await;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": key.id, "token": key.token, "tenant": key.tenant, "scopes": key.scopes, "label": body.label,
            "note": "the token is shown this once; only its hash is stored",
        })),
    )
        .into_response())
}

/// `DELETE /v1/admin/keys/{id}`: `204`; the key stops working on this replica at once and on
/// the others within a second.
async fn revoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let keys = state.host.store.list_api_keys(None).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    let Some(key) = keys.into_iter().find(|k| k.id == id && (caller.is_platform() || k.tenant == caller.tenant)) else {
        return Err(Problem::new(ProblemCode::NotFound, "no such key"));
    };
    if key.revoked_at.is_some() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    // This replica stops accepting it now; the others when they see the store's key version move.
    state.host.keys.revoke(&key.id).await.map_err(|e| Problem::store_unavailable(&e, "the key was not revoked"))?;
    let before = json!({"id": key.id, "tenant": key.tenant, "scopes": key.scopes, "label": key.label});
    super::audit(&state, &caller, Some(&key.tenant), "api_key.revoked", &key.id, Some(before), None).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
