//! IXC Soft's "webservice v1", as ERPS.md §1 describes it, quirks included.
//!
//! # Transport
//!
//! - Everything is under `/webservice/v1/<table_or_action>[/<id>]`.
//! - Auth is HTTP Basic, `base64("<user_id>:<token>")` ([`IxcConfig`]). No `Authorization`
//!   header, a wrong pair or undecodable credentials: **401** with a short HTML page. Another
//!   scheme (`Bearer ...`): **400**. (\[H\] S1)
//! - `ixcsoft: listar` (any case) makes a call a listing, on POST or GET; a **GET without it
//!   is 404** (\[H\] S1). Without it a POST inserts into a table or runs an action; PUT updates
//!   (`/<table>/<id>`), DELETE deletes. Any other `ixcsoft` value means nothing.
//! - Bodies are JSON objects or form-urlencoded; scalars may be strings or numbers.
//! - Business errors are HTTP 200 `{"type":"error","message":...}`. An unknown table or action
//!   is `{"type":"error","message":"Recurso <x> não está disponível!"}`. Malformed queries
//!   (missing `table.` prefix, unknown column) are HTTP 500 with IXC's red HTML `<div>`; a
//!   partial PUT gets that `<div>` with HTTP 200.
//! - JSON answers carry `Content-Type: application/json` (*inferred*: not documented).
//!
//! # What is served
//!
//! - Listings of every table in `schema.rs` (see [`list_query`] for the query language and
//!   the envelope): `cliente`, `fn_areceber`, `cliente_contrato`, `vd_contratos`, `vendedor`,
//!   `su_oss_assunto`, `su_ticket`, `su_oss_chamado`, `contato`, `crm_canditados`, `vd_saida`,
//!   `fn_areceber_baixas` (filtered as `fn_movim_finan.*`), `radusuarios`, `empresa`, and the
//!   *inferred* lookup tables `cidade`, `uf`, `su_ticket_setor`, `condicoes_pagamento`.
//! - Inserts, full-row updates and deletes where IXC documents them (`writes.rs`).
//! - Actions: `get_boleto`, `get_pix`, `fn_areceber_recebimentos_baixas_novo` (the baixa),
//!   `cancelar_financeiro`, `imprimir_nota` (`finance.rs`); `desbloqueio_confianca`,
//!   `cliente_contrato_btn_lib_temp_24722` (`unlock.rs`); `gerar_protocolo_atendimento`;
//!   `fn_areceber_altera` answers 500 as S6 saw. Actions run on POST, or on GET/POST with
//!   `ixcsoft: listar`.
//!
//! The dataset is in [`data`]; every behaviour the docs leave open is marked *inferred* in the
//! module that implements it.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::{Core, FaultFlavor, Simulator, params};

pub mod data;
mod finance;
pub mod list_query;
mod schema;
mod store;
mod unlock;
mod writes;

use params::Params;
use store::Store;

/// How the simulated IXC authenticates and answers.
#[derive(Clone)]
pub struct IxcConfig {
    /// The webservice user's numeric id: the Basic-auth user name.
    pub user_id: String,
    /// The user's webservice token: the Basic-auth password.
    pub token: String,
    /// `get_boleto` with `base64` S answers JSON `{"base64":"..."}` instead of the raw base64
    /// text: the two shapes clients report (ERPS.md §1.5). Default `false` (raw text).
    pub boleto_base64_json: bool,
    /// How many open boletos the bulk customer ([`data::BULK_CUSTOMER_ID`]) has, ids
    /// [`data::bulk_invoice_id`]`(0..n)`; 0 (the default) leaves the bulk customer out of the
    /// dataset altogether. For load and chaos tests: thousands are fine.
    pub bulk_invoices: u32,
}

/// The demo token [`IxcConfig::default`] uses.
pub const DEMO_TOKEN: &str = "ponte-demo-ixc-token-0123456789abcdef";

impl Default for IxcConfig {
    /// User `1`, token [`DEMO_TOKEN`], raw base64 boletos, no bulk invoices.
    fn default() -> Self {
        Self { user_id: "1".to_owned(), token: DEMO_TOKEN.to_owned(), boleto_base64_json: false, bulk_invoices: 0 }
    }
}

impl IxcConfig {
    /// The `Authorization` header value a client sends: `Basic base64(user_id:token)`.
    pub fn authorization(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.user_id, self.token))
        )
    }
}

impl std::fmt::Debug for IxcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IxcConfig")
            .field("user_id", &self.user_id)
            .field("token", &"<redacted>")
            .field("boleto_base64_json", &self.boleto_base64_json)
            .field("bulk_invoices", &self.bulk_invoices)
            .finish()
    }
}

/// Starts a simulated IXC on `listener` with fresh demo data ([`data`]). The listener is
/// already bound, so the simulator answers as soon as this returns.
///
/// # Errors
/// When the listener's local address can't be read.
pub async fn spawn(listener: tokio::net::TcpListener, config: IxcConfig) -> std::io::Result<Simulator> {
    let core = Arc::new(Core::new("ixc"));
    let base_url = format!("http://{}", listener.local_addr()?);
    let store = Mutex::new(data::store(config.bulk_invoices));
    let app = Arc::new(App { config, core: core.clone(), store, base_url });
    crate::serve(listener, core, router(app))
}

/// State of one simulated IXC.
struct App {
    config: IxcConfig,
    core: Arc<Core>,
    /// The database. Locked only inside synchronous code, never across an `.await`.
    store: Mutex<Store>,
    /// `http://127.0.0.1:PORT`, for links the API hands out.
    base_url: String,
}

impl App {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // Every handler leaves the store consistent before it can panic, so a poisoned lock is
        // still usable.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The API routes, wrapped in the fault middleware.
fn router(app: Arc<App>) -> Router {
    let core = app.core.clone();
    crate::with_faults(
        Router::new()
            .route("/webservice/v1/{resource}", any(handle))
            .route("/webservice/v1/{resource}/{id}", any(handle_with_id))
            .with_state(app),
        core,
        FaultFlavor { status: fault_status, garbage: || Reply::HtmlError.into_response(), business_error },
    )
}

fn fault_status(status: StatusCode) -> Response {
    match status.as_u16() {
        401 => Reply::Unauthorized.into_response(),
        500..=599 => (status, html(RED_DIV)).into_response(),
        _ => status.into_response(),
    }
}

fn business_error(message: &str) -> Response {
    Reply::error(message).into_response()
}

async fn handle(
    State(app): State<Arc<App>>,
    Path(resource): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(&app, &resource, None, &method, &headers, &body).into_response()
}

async fn handle_with_id(
    State(app): State<Arc<App>>,
    Path((resource, id)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(&app, &resource, Some(&id), &method, &headers, &body).into_response()
}

/// IXC's actions ("buttons" and helpers), as opposed to tables.
const ACTIONS: &[&str] = &[
    "get_boleto",
    "get_pix",
    "fn_areceber_recebimentos_baixas_novo",
    "cancelar_financeiro",
    "imprimir_nota",
    "desbloqueio_confianca",
    "cliente_contrato_btn_lib_temp_24722",
    "gerar_protocolo_atendimento",
    "fn_areceber_altera",
];

fn dispatch(app: &App, resource: &str, id: Option<&str>, method: &Method, headers: &HeaderMap, body: &[u8]) -> Reply {
    if let Err(reply) = authenticate(&app.config, headers) {
        return reply;
    }
    let listing =
        headers.get("ixcsoft").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("listar"));
    if *method == Method::GET && !listing {
        return Reply::NotFound;
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let params = Params::parse(content_type, body);

    if ACTIONS.contains(&resource) {
        if resource == "fn_areceber_altera" {
            return Reply::ServerError;
        }
        if *method != Method::POST && *method != Method::GET {
            return Reply::unavailable(resource);
        }
        return run_action(app, resource, &params);
    }
    let Some(spec) = schema::table(resource) else {
        return Reply::unavailable(resource);
    };
    let mut store = app.store();
    if listing && (*method == Method::GET || *method == Method::POST) {
        let Some(table) = store.table(spec.name) else {
            return Reply::unavailable(resource);
        };
        return match list_query::ListRequest::parse(table, &params) {
            Ok(request) => Reply::Json(request.run(table)),
            Err(list_query::SqlError(reason)) => {
                tracing::debug!(resource, reason, "listing refused");
                Reply::ServerError
            }
        };
    }
    match *method {
        Method::POST => writes::insert(&mut store, spec, &params),
        Method::PUT => writes::update(&mut store, spec, id, &params),
        Method::DELETE => writes::delete(&mut store, spec, id),
        _ => Reply::NotFound,
    }
}

fn run_action(app: &App, action: &str, params: &Params) -> Reply {
    let mut store = app.store();
    match action {
        "get_boleto" => finance::get_boleto(&store, app.config.boleto_base64_json, params),
        "get_pix" => finance::get_pix(&mut store, &app.base_url, params),
        "fn_areceber_recebimentos_baixas_novo" => finance::baixa(&mut store, &app.core, params),
        "cancelar_financeiro" => finance::cancelar_financeiro(&mut store, params),
        "imprimir_nota" => finance::imprimir_nota(&store, params),
        "desbloqueio_confianca" => unlock::desbloqueio_confianca(&mut store, params),
        "cliente_contrato_btn_lib_temp_24722" => unlock::temporary_release(&mut store, params),
        "gerar_protocolo_atendimento" => Reply::Text(writes::next_protocol(&mut store)),
        _ => Reply::unavailable(action),
    }
}

/// Checks `Authorization: Basic base64(user_id:token)`.
fn authenticate(config: &IxcConfig, headers: &HeaderMap) -> Result<(), Reply> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Reply::Unauthorized);
    };
    let value = value.to_str().map_err(|_| Reply::Unauthorized)?.trim();
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Reply::BadRequest);
    }
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(credentials.trim()).map_err(|_| Reply::Unauthorized)?;
    let expected = format!("{}:{}", config.user_id, config.token);
    if decoded == expected.as_bytes() { Ok(()) } else { Err(Reply::Unauthorized) }
}

/// IXC's generic error, as S6 recorded it from real tenants.
pub(crate) const RED_DIV: &str = "<div style=\"margin:40px; padding:30px; background:#FF0000; border:1px solid #000; \
    color:#FFF; font-weight:bold; font-family:Arial, Helvetica, sans-serif; font-size:12px; text-align:center\">\
    Ocorreu um erro ao processar. Contate o suporte IXC Soft.</div>";

/// What a handler answers.
#[derive(Debug)]
pub(crate) enum Reply {
    /// HTTP 200, JSON.
    Json(Value),
    /// HTTP 200, text (raw base64, protocol numbers).
    Text(String),
    /// HTTP 200, a PDF.
    Pdf(Vec<u8>),
    /// HTTP 200 with the red HTML error.
    HtmlError,
    /// HTTP 500 with the red HTML error.
    ServerError,
    /// HTTP 404 (GET without `ixcsoft: listar`).
    NotFound,
    /// HTTP 401.
    Unauthorized,
    /// HTTP 400 (not Basic auth).
    BadRequest,
}

impl Reply {
    /// HTTP 200 `{"type":"error","message":...}`.
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Reply::Json(json!({ "type": "error", "message": message.into() }))
    }

    /// The answer for an unknown or disabled table/action.
    pub(crate) fn unavailable(resource: &str) -> Self {
        Reply::error(format!("Recurso {resource} não está disponível!"))
    }
}

fn html(body: &'static str) -> ([(header::HeaderName, HeaderValue); 1], &'static str) {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=UTF-8"))], body)
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(value) => match serde_json::to_vec(&value) {
                Ok(bytes) => {
                    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
                }
                Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, html(RED_DIV)).into_response(),
            },
            Reply::Text(text) => {
                ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=UTF-8"))], text).into_response()
            }
            Reply::Pdf(bytes) => {
                ([(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"))], bytes).into_response()
            }
            Reply::HtmlError => html(RED_DIV).into_response(),
            Reply::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, html(RED_DIV)).into_response(),
            Reply::NotFound => (StatusCode::NOT_FOUND, html("<h1>Not Found</h1>")).into_response(),
            Reply::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"IXCSoft\""))],
                html("<h1>401 - Unauthorized</h1>Token ou usuário inválido."),
            )
                .into_response(),
            Reply::BadRequest => (StatusCode::BAD_REQUEST, html("<h1>400 - Bad Request</h1>")).into_response(),
        }
    }
}

/// Strict `dd/mm/yyyy`.
pub(crate) fn parse_br_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    NaiveDate::parse_from_str(t, "%d/%m/%Y").ok()
}

/// Strict `yyyy-mm-dd`.
pub(crate) fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// `2026-05-15`.
pub(crate) fn iso_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `15/05/2026`.
pub(crate) fn br_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}
