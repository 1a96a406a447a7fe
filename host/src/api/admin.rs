//! Operator endpoints (admin scope): the tenant's invocation log.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ponte_contract::Scope;
use serde::Deserialize;

use super::{AppState, auth, invocation_id};
use crate::problem::{Problem, ProblemCode};
use crate::store::Caller;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/admin/invocations", get(invocations)).route("/v1/admin/invocations/{id}", get(invocation))
}

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
}

pub(super) async fn admin(state: &AppState, headers: &HeaderMap) -> Result<Caller, Problem> {
    let caller = auth::authenticate(&state.host, headers).await?;
    if caller.has_scope(Scope::Admin) {
        Ok(caller)
    } else {
        Err(Problem::new(ProblemCode::Forbidden, "operator endpoints need an admin key"))
    }
}

pub(super) fn failure(problem: Problem) -> Response {
    problem.with_invocation(&invocation_id()).into_response()
}

async fn invocations(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let caller = match admin(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return failure(p),
    };
    let Ok(Query(page)) = page else {
        return failure(Problem::new(ProblemCode::InvalidInput, "`limit` must be a positive integer"));
    };
    let limit = page.limit.unwrap_or(50).clamp(1, crate::store::MAX_INVOCATIONS_PAGE);
    // Rows leave the response path through a background writer: wait for the ones already sent,
    // so an operator always finds the calls this replica has answered.
    state.host.invocation_log.flush().await;
    match state.host.store.invocations(&caller.tenant, limit).await {
        Ok(records) => axum::Json(records).into_response(),
        Err(_) => failure(Problem::new(ProblemCode::Internal, "the host's store is unavailable")),
    }
}

async fn invocation(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let caller = match admin(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return failure(p),
    };
    state.host.invocation_log.flush().await;
    match state.host.store.invocation(&id).await {
        // Another tenant's invocation is as absent as a missing one.
        Ok(Some(record)) if record.tenant == caller.tenant => axum::Json(record).into_response(),
        Ok(_) => failure(Problem::new(ProblemCode::NotFound, "no such invocation")),
        Err(_) => failure(Problem::new(ProblemCode::Internal, "the host's store is unavailable")),
    }
}
