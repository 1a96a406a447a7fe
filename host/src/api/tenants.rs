//! Tenants as data over HTTP (admin scope): tenants, their connections and their per-function
//! automations, created, changed, removed and rolled back; the work is
//! [`crate::operator::tenants`]'s (shared with the console), this is its HTTP face.
//!
//! | method and path | what |
//! |---|---|
//! | `GET /v1/admin/tenants` | every tenant the key may see, with where it is defined |
//! | `POST /v1/admin/tenants` | create one (platform keys): `{"id": .., <document>}` |
//! | `GET /v1/admin/tenants/{tenant}` | one, its document without secrets' values |
//! | `PUT /v1/admin/tenants/{tenant}` | replace its document (create: platform keys) |
//! | `DELETE /v1/admin/tenants/{tenant}` | remove it (platform keys) |
//! | `PUT`/`DELETE /v1/admin/tenants/{tenant}/connections/{name}` | one connection |
//! | `PUT`/`DELETE /v1/admin/tenants/{tenant}/functions/{function}` | one function's automation |
//! | `GET /v1/admin/tenants/{tenant}/revisions[/{n}]` | its history, one version |
//! | `POST /v1/admin/tenants/{tenant}/rollback` | `{"revision": n}`: a new revision equal to n |
//! | `POST /v1/admin/tenants/{tenant}/erasures` | `{"customer_document_number": ..}`: erase a customer's data |
//! | `POST /v1/admin/tenants/{tenant}/passthrough` | a raw upstream request through a connection (off by default) |
//!
//! A write may send `If-Match: "<revision>"`; another revision made meanwhile is `409
//! revision_conflict`, as is losing a race to another writer. Answers carry `ETag:
//! "<revision>"`.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Admin;
use super::{AppState, JsonBody};
use crate::config::document::{BindingDocument, ConnectionDocument, TenantDocument};
use crate::operator::tenants::{self as ops, Change};
use crate::problem::{Problem, ProblemCode};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/tenants", get(list).post(create))
        .route("/v1/admin/tenants/{tenant}", get(show).put(replace).delete(remove))
        .route("/v1/admin/tenants/{tenant}/connections/{name}", put(put_connection).delete(delete_connection))
        .route("/v1/admin/tenants/{tenant}/functions/{function}", put(put_function).delete(delete_function))
        .route("/v1/admin/tenants/{tenant}/revisions", get(revisions))
        .route("/v1/admin/tenants/{tenant}/revisions/{revision}", get(revision))
        .route("/v1/admin/tenants/{tenant}/rollback", post(rollback))
        .route("/v1/admin/tenants/{tenant}/erasures", post(erase))
        .route("/v1/admin/tenants/{tenant}/passthrough", post(passthrough))
}

/// `POST /v1/admin/tenants/{tenant}/passthrough`: see [`crate::operator::passthrough`].
async fn passthrough(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<crate::operator::passthrough::PassthroughRequest>,
) -> Result<Response, Problem> {
    Ok(axum::Json(crate::operator::passthrough::call(&state.host, &caller, &tenant, body).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErasureRequest {
    customer_document_number: String,
}

/// `POST /v1/admin/tenants/{tenant}/erasures`: erases a customer's data (LGPD); the document
/// travels in the body, never in a URL that proxies log.
async fn erase(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<ErasureRequest>,
) -> Result<Response, Problem> {
    let erased =
        crate::operator::customers::erase(&state.host, &caller, &tenant, &body.customer_document_number).await?;
    Ok(axum::Json(json!({ "erased": erased })).into_response())
}

fn with_etag(mut response: Response, revision: Option<u64>) -> Response {
    if let Some(value) = revision.and_then(|r| header::HeaderValue::from_str(&format!("\"{r}\"")).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// `GET /v1/admin/tenants`.
async fn list(State(state): State<AppState>, Admin(caller): Admin) -> Result<Response, Problem> {
    let tenants = ops::list(&state.host, &caller).await?;
    Ok(axum::Json(json!({ "tenants": tenants })).into_response())
}

/// `GET /v1/admin/tenants/{tenant}`.
async fn show(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
) -> Result<Response, Problem> {
    let (view, revision) = ops::show(&state.host, &caller, &tenant).await?;
    Ok(with_etag(axum::Json(view).into_response(), revision))
}

/// `POST /v1/admin/tenants`.
async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, Problem> {
    let mut body = body;
    let id = match body.as_object_mut().and_then(|o| o.remove("id")) {
        Some(Value::String(id)) => id,
        _ => {
            return Err(Problem::new(
                ProblemCode::InvalidInput,
                "give the new tenant's `id` (lower-case letters, digits and `-`)",
            )
            .with_field("id"));
        }
    };
    let document: TenantDocument = serde_json::from_value(body).map_err(|e| {
        Problem::new(ProblemCode::InvalidInput, format!("the body is not what this endpoint takes: {e}"))
    })?;
    let (view, revision) = ops::create(&state.host, &caller, &id, document).await?;
    Ok((StatusCode::CREATED, with_etag(axum::Json(view).into_response(), Some(revision))).into_response())
}

async fn apply(
    state: &AppState,
    caller: &crate::store::Caller,
    tenant: &str,
    headers: &HeaderMap,
    change: Change,
) -> Result<Response, Problem> {
    let (view, revision) = ops::change(&state.host, caller, tenant, if_match(headers), change).await?;
    Ok(with_etag(axum::Json(view).into_response(), Some(revision)))
}

/// `PUT /v1/admin/tenants/{tenant}`.
async fn replace(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<TenantDocument>,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::Document(body)).await
}

/// `DELETE /v1/admin/tenants/{tenant}`.
async fn remove(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::Remove).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /v1/admin/tenants/{tenant}/connections/{name}`.
async fn put_connection(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ConnectionDocument>,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::Connection(name, Some(body))).await
}

/// `DELETE /v1/admin/tenants/{tenant}/connections/{name}`.
async fn delete_connection(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::Connection(name, None)).await
}

/// `PUT /v1/admin/tenants/{tenant}/functions/{function}`.
async fn put_function(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path((tenant, function)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BindingDocument>,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::Function(function, Some(body))).await
}

/// `DELETE /v1/admin/tenants/{tenant}/functions/{function}`.
async fn delete_function(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path((tenant, function)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::Function(function, None)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rollback {
    #[serde(deserialize_with = "whole_number")]
    revision: u64,
}

/// A positive integer, also written with a zero fraction (`3.0`), as JSON Schema's `integer`
/// allows.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    let text = number.to_string();
    let whole = text.strip_suffix(".0").unwrap_or(&text);
    whole.parse::<u64>().map_err(|_| serde::de::Error::custom(format!("a revision is a positive integer, not {text}")))
}

/// `POST /v1/admin/tenants/{tenant}/rollback`.
async fn rollback(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Rollback>,
) -> Result<Response, Problem> {
    apply(&state, &caller, &tenant, &headers, Change::RollbackTo(body.revision)).await
}

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
}

/// `GET /v1/admin/tenants/{tenant}/revisions?limit=50`.
async fn revisions(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(tenant): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Response, Problem> {
    let Ok(Query(page)) = page else {
        return Err(Problem::new(ProblemCode::InvalidInput, "`limit` must be a positive integer"));
    };
    let rows = ops::revisions(&state.host, &caller, &tenant, super::page_limit(page.limit, 50, 500)?).await?;
    Ok(axum::Json(json!({ "tenant": tenant, "revisions": rows })).into_response())
}

/// `GET /v1/admin/tenants/{tenant}/revisions/{revision}`.
async fn revision(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path((tenant, number)): Path<(String, String)>,
) -> Result<Response, Problem> {
    Ok(axum::Json(ops::revision(&state.host, &caller, &tenant, &number).await?).into_response())
}
