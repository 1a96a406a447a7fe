//! API keys over HTTP (admin scope): created (the token shown once), listed (never a token or
//! hash), revoked; each action in the audit trail. The work is [`crate::operator::keys`]'s.
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
use crate::operator::keys;
use crate::problem::{Problem, ProblemCode};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/admin/keys", get(list).post(create)).route("/v1/admin/keys/{id}", delete(revoke))
}

#[derive(Deserialize)]
struct Filter {
    tenant: Option<String>,
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
    let keys = keys::list(&state.host, &caller, filter.tenant.as_deref()).await?;
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
    let created = keys::create(&state.host, &caller, body.tenant.as_deref(), &body.scopes, &body.label).await?;
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

/// `DELETE /v1/admin/keys/{id}`: `204`; the key stops working on this replica at once and on
/// the others within a second.
async fn revoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    keys::revoke(&state.host, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
