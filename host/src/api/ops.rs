//! Operations: liveness, readiness, metrics, the OpenAPI document.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { axum::Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(|State(state): State<AppState>| async move { axum::Json((*state.openapi).clone()) }),
        )
}

/// Ready when the store answers and at least one tenant's automation is loaded.
async fn readyz(State(state): State<AppState>) -> Response {
    let registry = state.host.registry();
    let store_ok = state.host.store.ping().await.is_ok();
    let tenants = registry.tenants.len();
    let ready = store_ok && tenants > 0;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "store": if store_ok { "ok" } else { "unavailable" },
        "tenants_loaded": tenants,
        "tenants_failed": registry.failed_tenants.keys().collect::<Vec<_>>(),
        "plugins_loaded": registry.plugins.keys().collect::<Vec<_>>(),
        "config_errors": registry.errors.len(),
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let registry = state.host.registry();
    let metrics = &state.host.metrics;
    metrics.tenants_loaded.set(i64::try_from(registry.tenants.len()).unwrap_or(i64::MAX));
    metrics.config_errors.set(i64::try_from(registry.errors.len()).unwrap_or(i64::MAX));
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render())
        .into_response()
}
