//! Operator endpoints (admin scope): the tenant's invocation log, and the audit trail.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::auth::Admin;
use crate::problem::{Problem, ProblemCode};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/invocations", get(invocations))
        .route("/v1/admin/invocations/{id}", get(invocation))
        .route("/v1/admin/audit", get(audit))
}

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
    tenant: Option<String>,
}

/// `GET /v1/admin/invocations?limit=50[&tenant=acme]`: the tenant's newest calls (a platform
/// key names the tenant).
async fn invocations(
    State(state): State<AppState>,
    Admin(caller): Admin,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(page)) = page else {
        return Err(Problem::new(ProblemCode::InvalidInput, "`limit` must be a positive integer"));
    };
    let tenant = crate::operator::tenants::acting_for(&caller, page.tenant.as_deref())?;
    let limit = super::page_limit(page.limit, 50, crate::store::MAX_INVOCATIONS_PAGE)?;
    // Rows leave the response path through a background writer: wait for the ones already sent,
    // so an operator always finds the calls this replica has answered.
    state.host.invocation_log.flush().await;
    let records = state.host.store.invocations(&tenant, limit).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
    Ok(axum::Json(records).into_response())
}

/// `GET /v1/admin/invocations/{id}`: one call, with its upstream requests.
async fn invocation(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    state.host.invocation_log.flush().await;
    match state.host.store.invocation(&id).await.map_err(|e| Problem::store_unavailable(&e, ""))? {
        // Another tenant's invocation is as absent as a missing one (a platform key reaches all).
        Some(record) if crate::operator::tenants::reach(&caller, &record.tenant).is_ok() => {
            Ok(axum::Json(record).into_response())
        }
        _ => Err(Problem::new(ProblemCode::NotFound, "no such invocation")),
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    tenant: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/admin/audit?tenant=acme&limit=100`: operators' actions, newest first: a tenant
/// key's own tenant's; a platform key's of every tenant (and the platform's own) or of `tenant`.
async fn audit(
    State(state): State<AppState>,
    Admin(caller): Admin,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(query)) = query else {
        return Err(Problem::new(
            ProblemCode::InvalidInput,
            "the query takes `tenant` and `limit` (a positive integer)",
        ));
    };
    let tenant = if caller.is_platform() { query.tenant } else { Some(caller.tenant.clone()) };
    let events = state
        .host
        .store
        .audit_events(tenant.as_deref(), super::page_limit(query.limit, 100, crate::store::MAX_AUDIT_PAGE)?)
        .await
        .map_err(|e| Problem::store_unavailable(&e, ""))?;
    Ok(axum::Json(serde_json::json!({ "events": events })).into_response())
}
