//! Settlements over HTTP: callers poll a queued payment; operators list, retry and resolve the
//! parked ones (the dead letters).
//!
//! - `GET /v1/settlements/{id}`: any key of the tenant whose scope may settle (app, totem, admin).
//! - `GET /v1/admin/settlements?state=parked&limit=50`: the tenant's settlements (admin).
//! - `POST /v1/admin/settlements/{id}/retry`: a parked settlement is attempted again, with a
//!   fresh budget of attempts; a posting in doubt is still checked with the ERP first (admin).
//! - `POST /v1/admin/settlements/{id}/resolve` with `{"note": "..."}`: closed by hand (admin).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ponte_contract::Function;
use serde::Deserialize;

use super::admin::{admin, failure};
use super::{AppState, auth};
use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::settlement::view;
use crate::store::{Settlement, SettlementState, StoreError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/settlements/{id}", get(status))
        .route("/v1/admin/settlements", get(list))
        .route("/v1/admin/settlements/{id}/retry", post(retry))
        .route("/v1/admin/settlements/{id}/resolve", post(resolve))
}

fn unavailable(e: &StoreError) -> Problem {
    tracing::error!(error = %e, "settlement store error");
    Problem::new(ProblemCode::Internal, "the host's store is unavailable")
}

fn no_such_settlement() -> Problem {
    Problem::new(ProblemCode::NotFound, "no such settlement")
}

/// `GET /v1/settlements/{id}`.
async fn status(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let caller = match auth::authenticate(&state.host, &headers).await {
        Ok(caller) => caller,
        Err(p) => return failure(p),
    };
    if let Err(p) = Host::authorize(&caller, Function::SettleInvoice) {
        return failure(p);
    }
    match state.host.store.settlement(&id).await {
        // Another tenant's settlement is as absent as a missing one.
        Ok(Some(settlement)) if settlement.tenant == caller.tenant => axum::Json(view(&settlement)).into_response(),
        Ok(_) => failure(no_such_settlement()),
        Err(e) => failure(unavailable(&e)),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/admin/settlements`.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let caller = match admin(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return failure(p),
    };
    let Ok(Query(query)) = query else {
        return failure(Problem::new(ProblemCode::InvalidInput, "`limit` must be a positive integer"));
    };
    let filter = match query.state.as_deref().map(SettlementState::parse) {
        None => None,
        Some(Some(state)) => Some(state),
        Some(None) => {
            return failure(Problem::new(
                ProblemCode::InvalidInput,
                "`state` must be one of pending, posting, posted, parked, resolved",
            ));
        }
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 1000);
    match state.host.store.settlements(&caller.tenant, filter, limit).await {
        Ok(settlements) => axum::Json(settlements.iter().map(view).collect::<Vec<_>>()).into_response(),
        Err(e) => failure(unavailable(&e)),
    }
}

/// `POST /v1/admin/settlements/{id}/retry`.
async fn retry(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let caller = match admin(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return failure(p),
    };
    match state.host.store.settlement_requeue(&caller.tenant, &id).await {
        Ok(Some(settlement)) => {
            tracing::info!(settlement_id = %id, key = %caller.key_id, "parked settlement requeued by an operator");
            state.host.metrics.settlement(&caller.tenant, "requeued");
            state.host.settlement_wake.notify_one();
            axum::Json(view(&settlement)).into_response()
        }
        Ok(None) => failure(not_parked(&state, &caller.tenant, &id).await),
        Err(e) => failure(unavailable(&e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    note: String,
}

/// `POST /v1/admin/settlements/{id}/resolve`.
async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let caller = match admin(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return failure(p),
    };
    let resolution = body
        .ok()
        .and_then(|body| serde_json::from_slice::<Resolution>(&body).ok())
        .filter(|r| !r.note.trim().is_empty() && r.note.len() <= 2000);
    let Some(resolution) = resolution else {
        let mut problem = Problem::new(
            ProblemCode::InvalidInput,
            "send {\"note\": \"...\"}: what was done about this payment (1 to 2000 bytes)",
        );
        problem.field = Some("note".into());
        return failure(problem);
    };
    match state.host.store.settlement_resolve(&caller.tenant, &id, resolution.note.trim()).await {
        Ok(Some(settlement)) => {
            tracing::info!(settlement_id = %id, key = %caller.key_id, "parked settlement resolved by an operator");
            state.host.metrics.settlement(&caller.tenant, "resolved");
            axum::Json(view(&settlement)).into_response()
        }
        Ok(None) => failure(not_parked(&state, &caller.tenant, &id).await),
        Err(e) => failure(unavailable(&e)),
    }
}

/// Why a retry or resolve found nothing to act on: no such settlement, or not parked.
async fn not_parked(state: &AppState, tenant: &str, id: &str) -> Problem {
    match state.host.store.settlement(id).await {
        Ok(Some(Settlement { tenant: owner, state: current, .. })) if owner == tenant => Problem::new(
            ProblemCode::SettlementNotParked,
            format!(
                "settlement {id} is {}, not parked: only parked settlements can be retried or resolved",
                current.as_str()
            ),
        ),
        Ok(_) => no_such_settlement(),
        Err(e) => unavailable(&e),
    }
}
