//! Simulators of Brazilian ISP ERPs' HTTP APIs, served on loopback for Ponte's tests and for
//! `ponte demo`.
//!
//! Each simulator reproduces one ERP's real API, shapes and quirks included, as documented in
//! `ERPS.md`: the adapters Ponte runs talk to it exactly as they would to the real thing, so a
//! simulator never smooths an API into something nicer. Where the documentation is silent the
//! simulator picks the most plausible behaviour and says so in its module docs ("inferred").
//!
//! # Using a simulator
//!
//! Bind a listener first (port 0 in tests), then spawn: the server accepts connections as soon
//! as [`ixc::spawn`] (or [`sgp::spawn`]) returns, so a test never sleeps waiting for it.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let sim = ponte_erp_sim::ixc::spawn(listener, ponte_erp_sim::ixc::IxcConfig::default()).await?;
//! let base = sim.base_url(); // "http://127.0.0.1:PORT"; IXC's API is under /webservice/v1/
//! sim.faults().push(ponte_erp_sim::faults::Fault::Status { status: 504, times: 1 });
//! // ... drive Ponte against `base` ...
//! assert_eq!(sim.postings(ponte_erp_sim::ixc::data::INVOICE_OPEN_OVERDUE), 0);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The SGP simulator is started the same way, with [`sgp::SgpConfig`]; its API is under
//! `/api/` and authenticates with `token` + `app` in the request parameters:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let sim = ponte_erp_sim::sgp::spawn(listener, ponte_erp_sim::sgp::SgpConfig::default()).await?;
//! // POST {base}/api/ura/consultacliente/ with token, app and cpfcnpj ...
//! assert_eq!(sim.postings(ponte_erp_sim::sgp::data::INVOICE_OPEN_OVERDUE), 0);
//! # Ok(()) }
//! ```
//!
//! Every `spawn` starts from fresh, deterministic demo data (see each ERP's `data` module); dates
//! are relative to a fixed reference date, never today. Both datasets hold the same people,
//! documents and ids in the same scenario roles, so one set of test documents serves every ERP.
//!
//! # Admin endpoints
//!
//! Besides the ERP's API every simulator serves a few endpoints of its own under `/__sim/`
//! (not part of any ERP, never counted as API requests, never faulted), so a process that only
//! has the URL (`ponte demo`, a shell) can drive it too:
//!
//! | endpoint                 | what                                                            |
//! |--------------------------|-----------------------------------------------------------------|
//! | `GET /__sim/health`      | `{"status":"ok","erp":"ixc","requests":N,"chaos_injected":{...}}` (`"sgp"` for SGP, `"plugstorage"`, `"oobj"`, ...) |
//! | `POST /__sim/faults`     | queue a [`faults::Fault`] (JSON, see [`faults`]); 204           |
//! | `DELETE /__sim/faults`   | clear the fault queue (not the chaos); 204                      |
//! | `PUT /__sim/chaos`       | set the [`faults::Chaos`] (JSON, see [`faults`]); 204; 400 with the reason on bad JSON or rates over 1000 per mille |
//! | `DELETE /__sim/chaos`    | remove the chaos (its counts stay); 204                         |
//! | `GET /__sim/chaos`       | `{"chaos":{...} or null,"injected":{"unavailable":N,"timeout":N,"lose_response":N}}` |
//! | `GET /__sim/postings`    | `{"<invoice id>": count}`: payments posted through the API ([`Simulator::all_postings`]) |
//! | `GET /__sim/tokens`      | `{"grants":N}`: access tokens granted ([`Simulator::token_grants`]; Hubsoft's OAuth2 tokens, Oobj's `x-auth-token`s) |
//! | `DELETE /__sim/tokens`   | revoke every token granted so far ([`Simulator::revoke_tokens`]; Oobj: expire every session); 204 |
//! | `GET /__sim/counts`      | `{"<name>": count}`: a simulator's own counters ([`Simulator::count`]; DocSales: `creation_requests`, `creations`; Oobj: `sessions`, `refreshes`, `unauthorized`, `requests.<endpoint>`) |
//!
//! # Layout
//!
//! - this file: [`Simulator`], the handle every simulator returns, and the pieces they share
//!   (request counting, the fault middleware, the admin endpoints, serving and shutdown);
//! - [`people`] and [`catalogue`]: the customers and the catalogues (plans, sellers, due
//!   dates, commercial origins) every simulator serves, each in its own ERP's shape;
//! - [`faults`]: fault injection;
//! - [`ixc`]: IXC Soft's "webservice v1" (`ixc/data.rs` the dataset, `ixc/list_query.rs` the
//!   list query language, one file per group of actions);
//! - [`sgp`]: SGP's API (`sgp/data.rs` the dataset, `sgp/store.rs` the records, one file per
//!   group of endpoints);
//! - [`hubsoft`]: Hubsoft's integration API with its OAuth2 password grant (`hubsoft/data.rs`
//!   the dataset and records, `hubsoft/api.rs` the endpoints);
//! - [`plugstorage`]: PlugStorage (fiscal XML/PDF storage, not an ERP: the same people's
//!   fiscal notes, every auth refusal of its seed; `plugstorage/data.rs` the documents);
//! - [`docsales`]: DocSales' sales-proposal API (not an ERP: a third-party service adapters
//!   call), with its monthly cap on creations;
//! - [`oobj`]: Oobj's fiscal-document REST API (not an ERP: the same fiscal notes as
//!   PlugStorage's, behind `x-auth-token` sessions that expire, refresh and are counted);
//! - [`fiscal`]: the fiscal notes PlugStorage and Oobj both serve;
//! - `params` (request fields from JSON, form and query strings), `payment` (money in the ERPs'
//!   text forms, valid boleto lines, valid PIX BR Codes) and `pdf` (a minimal PDF writer):
//!   pieces every simulator uses.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod catalogue;
pub mod docsales;
pub mod faults;
pub mod fiscal;
pub mod hubsoft;
pub mod ixc;
pub mod oobj;
pub mod people;
pub mod plugstorage;
pub mod sgp;

mod params;
mod payment;
mod pdf;

use faults::{Chaos, Fault, FaultRequest, Faults};

/// A running simulator. Dropping it stops the server too (without waiting); prefer
/// [`Simulator::shutdown`] to wait until it has stopped.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    core: Arc<Core>,
    /// `None` once shutdown was signalled.
    shutdown: Option<oneshot::Sender<()>>,
    /// The serving task; `None` once awaited.
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// `http://127.0.0.1:PORT` (no trailing slash). IXC's API is under `/webservice/v1/`, SGP's
    /// under `/api/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fault queue: faults pushed here apply to the next API requests.
    pub fn faults(&self) -> &Faults {
        &self.core.faults
    }

    /// How many payments ("baixas") were posted through the API for this invoice, counting
    /// every accepted posting (a second baixa of the same invoice counts twice; a baixa whose
    /// answer was lost by [`Fault::LoseResponse`] counts). Seeded payments don't count.
    pub fn postings(&self, invoice_id: &str) -> u32 {
        self.core.postings(invoice_id)
    }

    /// Every invoice with at least one payment posted through the API, and how many (what
    /// `GET /__sim/postings` answers): a run that must post each invoice exactly once checks
    /// every value is 1.
    pub fn all_postings(&self) -> BTreeMap<String, u32> {
        self.core.lock_postings().clone()
    }

    /// Total API requests received, faulted ones included (the `/__sim/` endpoints excluded).
    pub fn request_count(&self) -> u64 {
        self.core.requests.load(Ordering::Relaxed)
    }

    /// Access tokens granted so far (OAuth2 ERPs such as Hubsoft; Oobj's `x-auth-token`s, new
    /// sessions and refreshes; always 0 for the others), what `GET /__sim/tokens` answers: a
    /// test proves an adapter caches its token with it.
    pub fn token_grants(&self) -> u64 {
        self.core.token_grants.load(Ordering::Relaxed)
    }

    /// Revokes every access token granted so far (what a Hubsoft admin or an upgrade does,
    /// ERPS.md §3.2; Oobj: every session expires now; `DELETE /__sim/tokens`): their next use
    /// answers 401.
    pub fn revoke_tokens(&self) {
        self.core.token_epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// A simulator's own named counter (0 when never counted), e.g.
    /// [`docsales::CREATION_REQUESTS`]: what `GET /__sim/counts` answers one by one.
    pub fn count(&self, name: &str) -> u64 {
        self.core.lock_counts().get(name).copied().unwrap_or(0)
    }

    /// Stops accepting connections, lets in-flight requests finish and waits for the server to
    /// stop.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // A panic in the server task has already been reported by tokio; nothing to add.
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// State every simulator shares with its [`Simulator`] handle.
#[derive(Debug, Default)]
pub(crate) struct Core {
    /// Which ERP, for `/__sim/health`.
    erp: &'static str,
    pub(crate) faults: Faults,
    /// API requests received (admin endpoints excluded).
    requests: AtomicU64,
    /// Payments posted through the API, per invoice id. Never held across an `.await`.
    postings: Mutex<BTreeMap<String, u32>>,
    /// Access tokens granted (OAuth2 simulators).
    pub(crate) token_grants: AtomicU64,
    /// Tokens granted in an earlier epoch are revoked ([`Simulator::revoke_tokens`]).
    pub(crate) token_epoch: AtomicU64,
    /// Named counters a simulator keeps for tests (e.g. DocSales' creation requests). Never
    /// held across an `.await`.
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Core {
    pub(crate) fn new(erp: &'static str) -> Self {
        Self { erp, ..Self::default() }
    }

    /// Counts one accepted payment posting for `invoice_id`.
    pub(crate) fn record_posting(&self, invoice_id: &str) {
        *self.lock_postings().entry(invoice_id.to_owned()).or_default() += 1;
    }

    fn postings(&self, invoice_id: &str) -> u32 {
        self.lock_postings().get(invoice_id).copied().unwrap_or(0)
    }

    /// Adds one to the named counter.
    pub(crate) fn bump(&self, name: &'static str) {
        *self.lock_counts().entry(name).or_default() += 1;
    }

    fn lock_counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, u64>> {
        // Each update is one statement: the map stays consistent.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_postings(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u32>> {
        // Counters stay consistent even if a holder panicked: each update is one statement.
        self.postings.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// FNV-1a, 64 bits: deterministic tokens and link hashes without a dependency.
pub(crate) fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// How one ERP answers the faults that replace a response, so [`fault_layer`] stays generic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultFlavor {
    /// The response for [`Fault::Status`].
    pub status: fn(StatusCode) -> Response,
    /// The response for [`Fault::Garbage`].
    pub garbage: fn() -> Response,
    /// The response for [`Fault::BusinessError`].
    pub business_error: fn(&str) -> Response,
}

/// State of the fault middleware.
#[derive(Debug, Clone)]
struct FaultState {
    core: Arc<Core>,
    flavor: FaultFlavor,
}

/// `routes` behind the fault middleware: every request is counted on `core` and meets the next
/// queued fault, answered in the simulated service's own `flavor`.
pub(crate) fn with_faults(routes: axum::Router, core: Arc<Core>, flavor: FaultFlavor) -> axum::Router {
    routes.layer(axum::middleware::from_fn_with_state(FaultState { core, flavor }, fault_layer))
}

/// Middleware on an ERP's API routes: counts the request and applies the next fault, if any.
async fn fault_layer(State(state): State<FaultState>, request: Request, next: Next) -> Response {
    state.core.requests.fetch_add(1, Ordering::Relaxed);
    let Some(fault) = state.core.faults.take(request.uri().path()) else {
        return next.run(request).await;
    };
    tracing::debug!(path = request.uri().path(), ?fault, "simulator fault");
    match fault {
        Fault::Status { status, .. } => {
            (state.flavor.status)(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
        Fault::Delay { ms, .. } => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            next.run(request).await
        }
        Fault::Garbage { .. } => (state.flavor.garbage)(),
        Fault::BusinessError { message, .. } => (state.flavor.business_error)(&message),
        Fault::LoseResponse { .. } => {
            // The request is applied in full before its answer is thrown away.
            let _applied = next.run(request).await;
            lost_response()
        }
    }
}

/// A response whose body fails before its first byte: hyper then aborts the connection
/// before writing even the status line, so the caller sees the connection close with no
/// response at all (reqwest: `IncompleteMessage`), as when the network drops after the server
/// has done the work.
fn lost_response() -> Response {
    struct Broken;
    impl http_body::Body for Broken {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated lost response",
            ))))
        }
    }
    Response::new(axum::body::Body::new(Broken))
}

/// The `/__sim/` admin endpoints (see the crate docs).
fn admin_router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/__sim/health", get(health))
        .route("/__sim/faults", axum::routing::post(push_fault).delete(clear_faults))
        .route("/__sim/chaos", get(show_chaos).put(set_chaos).delete(clear_chaos))
        .route("/__sim/postings", get(list_postings))
        .route("/__sim/tokens", get(show_tokens).delete(revoke_tokens))
        .route("/__sim/counts", get(list_counts))
        .with_state(core)
}

async fn health(State(core): State<Arc<Core>>) -> Response {
    axum::Json(serde_json::json!({
        "status": "ok",
        "erp": core.erp,
        "requests": core.requests.load(Ordering::Relaxed),
        "chaos_injected": core.faults.chaos_injected(),
    }))
    .into_response()
}

async fn push_fault(State(core): State<Arc<Core>>, body: axum::body::Bytes) -> Response {
    match parse_fault_request(&body) {
        Ok(request) => {
            match request.path_contains {
                Some(path) => core.faults.push_for(&path, request.fault),
                None => core.faults.push(request.fault),
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, format!("invalid fault: {error}\n")).into_response(),
    }
}

/// Parses the admin fault JSON (see [`faults`]).
fn parse_fault_request(body: &[u8]) -> Result<FaultRequest, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

async fn clear_faults(State(core): State<Arc<Core>>) -> StatusCode {
    core.faults.clear();
    StatusCode::NO_CONTENT
}

async fn show_chaos(State(core): State<Arc<Core>>) -> Response {
    axum::Json(serde_json::json!({
        "chaos": core.faults.chaos(),
        "injected": core.faults.chaos_injected(),
    }))
    .into_response()
}

async fn set_chaos(State(core): State<Arc<Core>>, body: axum::body::Bytes) -> Response {
    let applied = parse_chaos(&body).and_then(|chaos| core.faults.set_chaos(Some(chaos)).map_err(|e| e.to_string()));
    match applied {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, format!("invalid chaos: {error}\n")).into_response(),
    }
}

/// Parses the admin chaos JSON (see [`faults`]).
fn parse_chaos(body: &[u8]) -> Result<Chaos, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

async fn clear_chaos(State(core): State<Arc<Core>>) -> StatusCode {
    // Removing is always valid.
    let _ = core.faults.set_chaos(None);
    StatusCode::NO_CONTENT
}

async fn show_tokens(State(core): State<Arc<Core>>) -> Response {
    axum::Json(serde_json::json!({ "grants": core.token_grants.load(Ordering::Relaxed) })).into_response()
}

async fn revoke_tokens(State(core): State<Arc<Core>>) -> StatusCode {
    core.token_epoch.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn list_postings(State(core): State<Arc<Core>>) -> Response {
    let postings = core.lock_postings().clone();
    axum::Json(postings).into_response()
}

async fn list_counts(State(core): State<Arc<Core>>) -> Response {
    let counts = core.lock_counts().clone();
    axum::Json(counts).into_response()
}

/// Serves `api` (already wrapped in the fault middleware) plus the admin endpoints on
/// `listener` until the returned handle is shut down or dropped.
pub(crate) fn serve(listener: tokio::net::TcpListener, core: Arc<Core>, api: Router) -> std::io::Result<Simulator> {
    let addr = listener.local_addr()?;
    let app = api.merge(admin_router(core.clone()));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            // A dropped sender (the handle was dropped) also means "stop".
            let _ = rx.await;
        };
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::warn!(%error, "simulator server stopped with an error");
        }
    });
    Ok(Simulator { addr, core, shutdown: Some(tx), task: Some(task) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_fault_json_parses_every_kind() {
        let parse = |s: &str| parse_fault_request(s.as_bytes());
        assert_eq!(
            parse(r#"{"kind":"status","status":503,"times":2}"#).map(|r| r.fault),
            Ok(Fault::Status { status: 503, times: 2 })
        );
        assert_eq!(parse(r#"{"kind":"delay","ms":250}"#).map(|r| r.fault), Ok(Fault::Delay { ms: 250, times: 1 }));
        let lose = parse(r#"{"kind":"lose_response","path_contains":"baixas"}"#).expect("valid");
        assert_eq!(lose.fault, Fault::LoseResponse { times: 1 });
        assert_eq!(lose.path_contains.as_deref(), Some("baixas"));
        assert!(parse(r#"{"kind":"status"}"#).is_err());
        assert!(parse(r#"{"kind":"nope"}"#).is_err());
        assert!(parse("[]").is_err());
    }
}
