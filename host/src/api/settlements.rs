//! Settlements over HTTP: callers poll a queued payment; operators list, retry and resolve the
//! parked ones (the dead letters).
//!
//! - `GET /v1/settlements/{id}`: any key of the tenant whose scope may settle (app, totem, admin).
//! - `GET /v1/admin/settlements?state=parked&limit=50`: the tenant's settlements (admin; a
//!   platform key names the tenant with `tenant=`, here and in retry and resolve).
//! - `POST /v1/admin/settlements/{id}/retry`: a parked settlement is attempted again, with a
//!   fresh budget of attempts; a posting in doubt is still checked with the ERP first (admin).
//! - `POST /v1/admin/settlements/{id}/resolve` with `{"note": "..."}`: closed by hand (admin).
//! - `GET /v1/admin/tenants/{tenant}/reconciliation`: the last comparison of the tenant's
//!   payments with its ERP; `POST` runs one now (admin; [`crate::settlement::reconcile`]).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ponte_contract::Function;
use serde::Deserialize;

use super::AppState;
use super::auth::Admin;
use crate::invoke::Host;
use crate::operator;
use crate::problem::{Problem, ProblemCode};
use crate::settlement::view;
use crate::store::{Caller, SettlementState, StoreError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/settlements/{id}", get(status))
        .route("/v1/admin/settlements", get(list))
        .route("/v1/admin/settlements/{id}/retry", post(retry))
        .route("/v1/admin/settlements/{id}/resolve", post(resolve))
        .route("/v1/admin/tenants/{tenant}/reconciliation", get(last_reconciliation).post(reconcile))
}

/// `GET /v1/admin/tenants/{tenant}/reconciliation`.
async fn last_reconciliation(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
) -> Result<Response, Problem> {
    Ok(axum::Json(operator::settlements::last_reconciliation(&state.host, &caller, &tenant).await?).into_response())
}

/// `POST /v1/admin/tenants/{tenant}/reconciliation`: runs one now and answers its report.
async fn reconcile(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
) -> Result<Response, Problem> {
    Ok(axum::Json(operator::settlements::reconcile(&state.host, &caller, &tenant).await?).into_response())
}

fn unavailable(e: StoreError) -> Problem {
    Problem::store_unavailable(&e, "")
}

fn no_such_settlement() -> Problem {
    Problem::new(ProblemCode::NotFound, "no such settlement")
}

/// `GET /v1/settlements/{id}`.
async fn status(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, Problem> {
    Host::authorize(&caller, Function::SettleInvoice)?;
    match state.host.store.settlement(&id).await.map_err(unavailable)? {
        // Another tenant's settlement is as absent as a missing one.
        Some(settlement) if settlement.tenant == caller.tenant => Ok(axum::Json(view(&settlement)).into_response()),
        _ => Err(no_such_settlement()),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<u32>,
    tenant: Option<String>,
}

#[derive(Deserialize)]
struct TenantQuery {
    tenant: Option<String>,
}

/// `GET /v1/admin/settlements`.
async fn list(
    State(state): State<AppState>,
    Admin(caller): Admin,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(query)) = query else {
        return Err(Problem::new(ProblemCode::InvalidInput, "`limit` must be a positive integer"));
    };
    let filter = match query.state.as_deref().map(SettlementState::parse) {
        None => None,
        Some(Some(state)) => Some(state),
        Some(None) => {
            return Err(Problem::new(
                ProblemCode::InvalidInput,
                "`state` must be one of pending, posting, posted, parked, resolved",
            ));
        }
    };
    let tenant = operator::tenants::acting_for(&caller, query.tenant.as_deref())?;
    let settlements =
        operator::settlements::list(&state.host, &tenant, filter, super::page_limit(query.limit, 50, 1000)?).await?;
    Ok(axum::Json(settlements).into_response())
}

/// `POST /v1/admin/settlements/{id}/retry`.
async fn retry(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    query: Result<Query<TenantQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let named = query.ok().and_then(|Query(q)| q.tenant);
    let tenant = operator::tenants::acting_for(&caller, named.as_deref())?;
    Ok(axum::Json(operator::settlements::retry(&state.host, &caller, &tenant, &id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    note: String,
}

/// `POST /v1/admin/settlements/{id}/resolve`.
async fn resolve(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    query: Result<Query<TenantQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let named = query.ok().and_then(|Query(q)| q.tenant);
    let tenant = operator::tenants::acting_for(&caller, named.as_deref())?;
    let note = body.ok().and_then(|body| serde_json::from_slice::<Resolution>(&body).ok()).map(|r| r.note);
    let settlement =
        operator::settlements::resolve(&state.host, &caller, &tenant, &id, note.as_deref().unwrap_or_default()).await?;
    Ok(axum::Json(settlement).into_response())
}
