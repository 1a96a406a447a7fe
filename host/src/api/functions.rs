//! `POST /v1/functions/{function}` and `GET /v1/functions`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ponte_contract::{Access, FUNCTIONS, Function};
use serde_json::json;

use super::{AppState, invocation_id};
use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::quota::QuotaRef;
use crate::store::Caller;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/functions", get(list)).route("/v1/functions/{function}", post(call))
}

/// `POST /v1/functions/{function}`: checks in the order a caller can act on: the key, the
/// function, the scope, the body's type and size, the idempotency key; then the pipeline.
async fn call(
    State(state): State<AppState>,
    caller: Caller,
    Path(function_name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let Ok(function) = function_name.parse::<Function>() else {
        let shown: String = function_name.chars().take(64).collect();
        return Err(Problem::new(ProblemCode::UnknownFunction, format!("`{shown}` is not a function of the contract")));
    };
    let authorized = Host::authorize(&caller, function)?;
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Problem::new(
                ProblemCode::PayloadTooLarge,
                format!("the body is larger than {} bytes", super::MAX_BODY),
            ));
        }
        Err(_) => return Err(Problem::new(ProblemCode::InvalidInput, "the body could not be read")),
    };
    if !body.is_empty() && !super::is_json(&headers) {
        return Err(Problem::new(
            ProblemCode::UnsupportedMediaType,
            "send the body as `Content-Type: application/json`",
        ));
    }
    let idempotency_key =
        if function.spec().access == Access::Write { Some(idempotency_key(function, &headers)?) } else { None };
    let id = invocation_id();
    let answer = state.host.call(authorized, &body, &id, idempotency_key).await?;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    // The answer's JSON text as encoded once by enforcement (shared with the log and the cache).
    let mut response =
        (status, [(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"))], answer.output.body())
            .into_response();
    if status.is_client_error() || status.is_server_error() {
        // A replayed problem keeps its media type.
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
    }
    if let Ok(value) = header::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-invocation-id", value);
    }
    if let Some(served) = answer.served {
        response.headers_mut().insert("x-ponte-cache", header::HeaderValue::from_static(served.as_str()));
    }
    Ok(response)
}

/// A writing function's `Idempotency-Key`: present, 1 to 255 visible ASCII characters.
fn idempotency_key(function: Function, headers: &HeaderMap) -> Result<&str, Problem> {
    match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => Err(Problem::new(
            ProblemCode::IdempotencyKeyRequired,
            format!("`{function}` changes the ERP: send an `Idempotency-Key` header"),
        )),
        Some(Ok(key)) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => Ok(key),
        Some(_) => {
            Err(Problem::new(ProblemCode::InvalidInput, "`Idempotency-Key` must be 1 to 255 visible ASCII characters"))
        }
    }
}

/// `GET /v1/functions`: what this key may call for its tenant, and which plugin serves it.
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let registry = state.host.registry();
    let tenant = registry.tenants.get(&caller.tenant);
    let mut functions = Vec::new();
    for spec in FUNCTIONS.iter().filter(|spec| caller.scopes.iter().any(|s| spec.allows(*s))) {
        let Some((binding, connection)) = tenant.and_then(|t| t.binding(spec.function)) else { continue };
        let manifest = &connection.plugin.manifest;
        let mut entry = json!({
            "name": spec.function.as_str(),
            "seed_name": spec.seed_name,
            "summary": spec.summary,
            "access": spec.access,
            "idempotency_key_required": spec.access == Access::Write,
            "plugin": manifest.name,
            "plugin_version": manifest.version,
            "connection": connection.name,
            "timeout_ms": u64::try_from(binding.timeout.as_millis()).unwrap_or(u64::MAX),
        });
        if let Some((name, quota)) = manifest.quota_of(spec.function) {
            let quota = QuotaRef { tenant: &caller.tenant, connection: &connection.name, name, spec: quota };
            let view = quota.view(&state.host.store).await.map_err(|e| Problem::store_unavailable(&e, ""))?;
            entry["quota"] = json!(view);
        }
        functions.push(entry);
    }
    Ok(axum::Json(json!({
        "tenant": caller.tenant,
        "scopes": caller.scopes,
        "functions": functions,
    }))
    .into_response())
}
