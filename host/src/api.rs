//! The HTTP API callers use (CONTRACT.md "The HTTP interface").
//!
//! - `functions`: `POST /v1/functions/{function}` and `GET /v1/functions`.
//! - `ops`: `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
//! - `admin`: operator endpoints (admin scope): the invocation log and the audit trail.
//! - `tenants`: tenants, connections and automations as data (admin scope), with revisions.
//! - `keys`: API keys created, listed and revoked (admin scope).
//! - `settlements`: `GET /v1/settlements/{id}` for callers, and the parked-settlement endpoints
//!   for operators.
//! - `auth`: API keys to callers.
//!
//! Every error is a [`Problem`] (`application/problem+json`), including the ones axum would
//! answer by itself (unknown route, wrong method, a panic, the backstop timeout) and a body too
//! slow or too large. (The listener, `crate::server`, does the same for what hyper answers.)

mod admin;
mod auth;
mod functions;
mod keys;
pub mod openapi;
mod ops;
mod settlements;
mod tenants;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};

/// Largest request body accepted.
pub const MAX_BODY: usize = 256 * 1024;
/// No request lives longer than this, whatever its automation says (the longest automation
/// deadline is shorter).
pub const BACKSTOP_TIMEOUT: Duration = Duration::from_secs(150);

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The host (shared: the state is cloned for every request).
    pub host: Arc<Host>,
    /// The OpenAPI document, built once.
    pub openapi: Arc<serde_json::Value>,
}

/// The router, separate from serving it (tests call it without a socket).
pub fn router(host: Host) -> Router {
    router_with(host, Router::new())
}

/// The router with more routes beside the API's (the console's), under the same layers: body
/// limits, the backstop timeout, panics and unknown routes as problems.
pub fn router_with(host: Host, more: Router<AppState>) -> Router {
    let body_timeout = host.options.body_read_timeout;
    let state = AppState { host: Arc::new(host), openapi: Arc::new(openapi::document()) };
    Router::new()
        .merge(functions::router())
        .merge(ops::router())
        .merge(admin::router())
        .merge(settlements::router())
        .merge(tenants::router())
        .merge(keys::router())
        .merge(more)
        .fallback(|| async {
            Problem::new(ProblemCode::NoSuchEndpoint, "no such endpoint").with_invocation(&invocation_id())
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(ProblemCode::MethodNotAllowed, "this endpoint does not take that method")
                .with_invocation(&invocation_id())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| read_body(body_timeout, request, next)))
        .layer(axum::middleware::from_fn(backstop))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            Problem::new(ProblemCode::Internal, "internal error").with_invocation(&invocation_id()).into_response()
        }))
        .layer(axum::middleware::from_fn(trace_request))
        .with_state(state)
}

/// Each request is a span (the root of its trace, or a child of the caller's `traceparent`):
/// method, route template and status; never the path's values or the query.
async fn trace_request(request: Request, next: Next) -> Response {
    use tracing::Instrument as _;
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!(
        target: "ponte::http",
        "http.request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    crate::telemetry::continue_callers_trace(&span, request.headers());
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    if response.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}

/// Reads the request's body whole, within `timeout` and [`MAX_BODY`], before any handler runs:
/// a client trickling a body byte by byte can't hold a request open for longer than `timeout`
/// (a per-chunk timeout would let it), and a body too large is refused as it arrives.
async fn read_body(timeout: Duration, request: Request, next: Next) -> Response {
    use futures_util::StreamExt as _;
    let (parts, body) = request.into_parts();
    let read = async {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ProblemCode::InvalidInput)?;
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(ProblemCode::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    let problem = match tokio::time::timeout(timeout, read).await {
        Ok(Ok(bytes)) => return next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Ok(Err(ProblemCode::PayloadTooLarge)) => {
            Problem::new(ProblemCode::PayloadTooLarge, format!("the body is larger than {MAX_BODY} bytes"))
        }
        Ok(Err(_)) => Problem::new(ProblemCode::InvalidInput, "the body could not be read"),
        Err(_) => Problem::new(
            ProblemCode::RequestTimeout,
            format!("the body did not arrive within {}s", timeout.as_secs_f32()),
        ),
    };
    problem.with_invocation(&invocation_id()).into_response()
}

async fn backstop(request: Request, next: Next) -> Response {
    match tokio::time::timeout(BACKSTOP_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(ProblemCode::UpstreamTimeout, "the request took too long")
            .with_invocation(&invocation_id())
            .into_response(),
    }
}

pub(crate) use crate::problem::new_invocation_id as invocation_id;
pub(crate) use auth::authenticate_token as authenticate;

/// Whether a request says its body is JSON (`application/json` or `application/*+json`).
/// A page size from a query: `default` when absent, else 1 to `max` (what the OpenAPI document
/// states; anything else is refused, never clamped in silence).
pub(crate) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, Problem> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(Problem::new(ProblemCode::InvalidInput, format!("`limit` is 1 to {max}")).with_field("limit")),
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    use axum::http::header;
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).is_some_and(
        |mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        },
    )
}

/// The operator endpoints' JSON body: `Content-Type: application/json` (else `415
/// unsupported_media_type`), parsed into `T` (else `400 invalid_input` saying where and why).
pub(crate) struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let json = is_json(request.headers());
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| Problem::new(ProblemCode::InvalidInput, "the body could not be read"))?;
        if !json {
            return Err(Problem::new(
                ProblemCode::UnsupportedMediaType,
                "send the body as `Content-Type: application/json`",
            ));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            Problem::new(ProblemCode::InvalidInput, format!("the body is not what this endpoint takes: {e}"))
        })
    }
}
