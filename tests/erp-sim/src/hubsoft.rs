//! Hubsoft's integration API, as ERPS.md §3 describes it, quirks included.
//!
//! Confidence tags are ERPS.md's (\[H\] the official docs and Postman collection, U1; \[M\]
//! U2/U3). Everything marked *inferred* is this simulator's choice where ERPS.md is silent.
//!
//! # Auth (OAuth2 password grant)
//!
//! - `POST /oauth/token` with `{grant_type:"password", client_id, client_secret, username,
//!   password}` (JSON; a form body is read too, *inferred*) → `{token_type:"Bearer",
//!   expires_in, access_token, refresh_token}` (\[H\]). `expires_in` is
//!   [`HubsoftConfig::token_ttl`] in seconds (Hubsoft's is 2592000, 30 days). Every grant is
//!   counted ([`Simulator::token_grants`](crate::Simulator::token_grants)).
//! - Wrong credentials: HTTP 401 `{"error":"invalid_credentials","error_description":...,
//!   "message":...}` (\[H\]); another `grant_type` (a `refresh_token` grant is not documented):
//!   HTTP 400 `{"error":"unsupported_grant_type",...}` (*inferred*, Laravel Passport's).
//! - Every `/api/v1/integracao/...` call needs `Authorization: Bearer <access_token>`; none, an
//!   unknown, expired or revoked token: HTTP 401 `{"message":"Unauthenticated."}` (\[H\] the
//!   401; the body is Laravel's, *inferred*). Revocation: [`Simulator::revoke_tokens`](crate::Simulator::revoke_tokens).
//!
//! # Envelope and formats
//!
//! - Success: HTTP 200 `{"status":"success","msg":...,<payload>}`; the liquidation and the
//!   trust unlock spell it `"suscess"`, as some documented examples do (\[H\]). Business errors:
//!   HTTP 200 `{"status":"error","msg":...,"errors":[...]}` (\[H\]).
//! - `/cliente/financeiro`: dates `dd/mm/yyyy`, `valor` a JSON number written as PHP prints a
//!   float (`99.9`, `30`) (\[H\]). Clients: `data_cadastro` `"2023-02-14 00:00:00"` (\[H\]).
//!   Documents are digits only (\[H\]); a masked search term also matches (*inferred*).
//! - Paging: `limit` per customer (clientes 1–100 default 5; financeiro and atendimento 1–50
//!   default 20) (\[H\]); a limit out of range is a business error (*inferred*).
//!
//! # Endpoints
//!
//! | endpoint | conf. |
//! |---|---|
//! | `POST /oauth/token` | \[H\] |
//! | `GET /api/v1/integracao/cliente` (`busca` cpf_cnpj, codigo_cliente, id_cliente_servico, nome_razaosocial; `termo_busca`; `limit`; `cancelado`/`inativo` sim/nao) | \[H\]; `endereco_cadastral` and `servicos[].dia_vencimento` *inferred* |
//! | `GET /api/v1/integracao/cliente/financeiro` (`busca` cpf_cnpj, codigo_cliente, id_cliente_servico; `apenas_pendente` sim/nao default sim; `limit`; `order_by` data_vencimento; `order_type` asc/desc) | \[H\], `quitado`/`status` \[M\] |
//! | `POST /api/v1/integracao/financeiro/fatura/liquidar` | \[H\] |
//! | `POST /api/v1/integracao/cliente/desbloqueio_confianca` | \[H\] |
//! | `POST /api/v1/integracao/atendimento` | \[H\] |
//! | `GET /api/v1/integracao/configuracao/servico` (`id_servico_tecnologia`), `/vendedor`, `/vencimento`, `/origem_cliente` (`sales.rs`) | \[H\]; technology ids *inferred* |
//! | `GET /api/v1/integracao/prospecto/create?cep=`, `POST /api/v1/integracao/prospecto`, `GET /api/v1/integracao/prospecto` (`busca` nome_razaosocial, cpf_cnpj) (`sales.rs`) | \[H\]; validation messages and the business units' CEPs *inferred* |
//! | `GET /api/v1/integracao/cliente/nota_fiscal` (`busca=id_cliente`, `termo_busca`, `data_inicio`/`data_fim` ≤ 60 days) (`fiscal.rs`) | \[H\]; see `fiscal.rs` for what is *inferred* |
//! | `GET /pdf/fatura/{hash}`: the `link` of a fatura, a PDF, no auth | path \[H\], no auth *inferred* |
//! | `GET /pdf/nota_fiscal/{hash}`: the `link` of a fiscal note, a PDF, no auth | *inferred* |
//!
//! Not served (404 `{"status":"error","msg":"Rota não encontrada"}`, *inferred*): everything
//! else, among them the global `/financeiro/fatura` and `/nota_fiscal/*`, and the other
//! configuration catalogues.
//!
//! # Faults
//!
//! The shared [`faults`](crate::faults) apply to every request (the token endpoint included).
//! Hubsoft's flavour (*inferred*): [`Fault::Status`] 5xx is nginx's HTML page, 401 Laravel's
//! `{"message":"Unauthenticated."}`, others an empty body; [`Fault::Garbage`] is HTTP 200 with
//! an HTML login page; [`Fault::BusinessError`] is HTTP 200 `{"status":"error","msg":...}`.
//!
//! [`Fault::Status`]: crate::faults::Fault::Status
//! [`Fault::Garbage`]: crate::faults::Fault::Garbage
//! [`Fault::BusinessError`]: crate::faults::Fault::BusinessError

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use crate::params::Params;
use crate::{Core, FaultFlavor, Simulator};

mod api;
pub mod data;
mod fiscal;
mod sales;

use data::Store;

/// How the simulated Hubsoft authenticates.
#[derive(Clone)]
pub struct HubsoftConfig {
    /// OAuth2 `client_id`.
    pub client_id: String,
    /// OAuth2 `client_secret`.
    pub client_secret: String,
    /// The integration user's e-mail (`username`).
    pub username: String,
    /// Its password.
    pub password: String,
    /// How long an access token lives (`expires_in`). Default 30 days, Hubsoft's.
    pub token_ttl: Duration,
}

/// The client id [`HubsoftConfig::default`] uses.
pub const DEMO_CLIENT_ID: &str = "7";
/// The client secret [`HubsoftConfig::default`] uses.
pub const DEMO_CLIENT_SECRET: &str = "hubsoft-demo-client-secret-Wc3kq9";
/// The username [`HubsoftConfig::default`] uses.
pub const DEMO_USERNAME: &str = "integracao@ponte-demo.example";
/// The password [`HubsoftConfig::default`] uses.
pub const DEMO_PASSWORD: &str = "hubsoft-demo-password-7Hx2";

impl Default for HubsoftConfig {
    fn default() -> Self {
        Self {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            username: DEMO_USERNAME.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            token_ttl: Duration::from_secs(2_592_000),
        }
    }
}

impl std::fmt::Debug for HubsoftConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubsoftConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

/// Starts a simulated Hubsoft on `listener` with fresh demo data ([`data`]).
///
/// # Errors
/// When the listener's local address can't be read.
pub async fn spawn(listener: tokio::net::TcpListener, config: HubsoftConfig) -> std::io::Result<Simulator> {
    let core = Arc::new(Core::new("hubsoft"));
    let base_url = format!("http://{}", listener.local_addr()?);
    let app = Arc::new(App {
        config,
        core: core.clone(),
        store: Mutex::new(data::store()),
        tokens: Mutex::new(HashMap::new()),
        base_url,
    });
    crate::serve(listener, core, router(app))
}

/// One issued token: when it expires and the revocation epoch it was granted in.
struct Token {
    expires: Instant,
    epoch: u64,
}

/// State of one simulated Hubsoft.
struct App {
    config: HubsoftConfig,
    core: Arc<Core>,
    /// Locked only inside synchronous code, never across an `.await`.
    store: Mutex<Store>,
    tokens: Mutex<HashMap<String, Token>>,
    base_url: String,
}

impl App {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, Token>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn router(app: Arc<App>) -> Router {
    let core = app.core.clone();
    crate::with_faults(
        Router::new()
            .route("/oauth/token", any(token))
            .route("/api/v1/integracao/{*path}", any(handle_api))
            .route("/pdf/fatura/{hash}", any(handle_pdf))
            .route("/pdf/nota_fiscal/{hash}", any(handle_note_pdf))
            .with_state(app),
        core,
        FaultFlavor { status: fault_status, garbage: fault_garbage, business_error: fault_business_error },
    )
}

fn fault_status(status: StatusCode) -> Response {
    match status.as_u16() {
        401 => Reply::Unauthenticated.into_response(),
        500..=599 => {
            let reason = status.canonical_reason().unwrap_or("Error");
            let code = status.as_u16();
            let page = format!(
                "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n\
                 <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))], page).into_response()
        }
        _ => status.into_response(),
    }
}

fn fault_garbage() -> Response {
    let page = "<!DOCTYPE html><html lang=\"pt-BR\"><head><title>Hubsoft - Login</title></head>\
                <body><form method=\"POST\" action=\"/login\"><input name=\"email\"><input type=\"password\" name=\"password\"></form></body></html>";
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=UTF-8"))], page).into_response()
}

fn fault_business_error(message: &str) -> Response {
    Reply::error(message).into_response()
}

/// `POST /oauth/token`.
async fn token(State(app): State<Arc<App>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    if method != Method::POST {
        return Reply::MethodNotAllowed.into_response();
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let params = Params::parse(content_type, &body);
    if params.trimmed("grant_type") != "password" {
        return Reply::Status(
            StatusCode::BAD_REQUEST,
            json!({
                "error": "unsupported_grant_type",
                "error_description": "The authorization grant type is not supported by the authorization server.",
                "message": "The authorization grant type is not supported by the authorization server."
            }),
        )
        .into_response();
    }
    let config = &app.config;
    let valid = params.trimmed("client_id") == config.client_id
        && params.text("client_secret").unwrap_or_default() == config.client_secret
        && params.trimmed("username") == config.username
        && params.text("password").unwrap_or_default() == config.password;
    if !valid {
        return Reply::Status(
            StatusCode::UNAUTHORIZED,
            json!({
                "error": "invalid_credentials",
                "error_description": "The user credentials were incorrect.",
                "message": "The user credentials were incorrect."
            }),
        )
        .into_response();
    }
    let grant = app.core.token_grants.fetch_add(1, Ordering::Relaxed) + 1;
    let access_token = format!("hs.{grant:04}.{:016x}", fnv(&format!("{}-{grant}", app.base_url)));
    let epoch = app.core.token_epoch.load(Ordering::Relaxed);
    let expires = Instant::now() + config.token_ttl;
    app.tokens().insert(access_token.clone(), Token { expires, epoch });
    Reply::Status(
        StatusCode::OK,
        json!({
            "token_type": "Bearer",
            "expires_in": config.token_ttl.as_secs(),
            "access_token": access_token,
            "refresh_token": format!("hsr.{grant:04}.{:016x}", fnv(&format!("refresh-{grant}"))),
        }),
    )
    .into_response()
}

/// Whether the request carries a live token.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let epoch = app.core.token_epoch.load(Ordering::Relaxed);
    app.tokens().get(token.trim()).is_some_and(|t| t.epoch == epoch && t.expires > Instant::now())
}

async fn handle_api(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&app, &headers) {
        return Reply::Unauthenticated.into_response();
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let params = Params::from_query(uri.query().unwrap_or_default()).merged(Params::parse(content_type, &body));
    let path = path.trim_matches('/');
    let mut store = app.store();
    let ctx = api::Ctx { base_url: &app.base_url, core: &app.core };
    match (method, path) {
        (Method::GET, "cliente") => api::clientes(&store, &params),
        (Method::GET, "cliente/financeiro") => api::financeiro(&store, &ctx, &params),
        (Method::POST, "financeiro/fatura/liquidar") => api::liquidar(&mut store, &ctx, &params),
        (Method::POST, "cliente/desbloqueio_confianca") => api::desbloqueio(&mut store, &params),
        (Method::POST, "atendimento") => api::atendimento(&mut store, &params),
        (Method::GET, "cliente/nota_fiscal") => fiscal::notas(&store, &app.base_url, &params),
        (Method::GET, "configuracao/servico") => sales::servicos(&params),
        (Method::GET, "configuracao/vendedor") => sales::vendedores(),
        (Method::GET, "configuracao/vencimento") => sales::vencimentos(),
        (Method::GET, "configuracao/origem_cliente") => sales::origens(),
        (Method::GET, "prospecto/create") => sales::planos_prospecto(&params),
        (Method::POST, "prospecto") => sales::criar_prospecto(&mut store, &params),
        (Method::GET, "prospecto") => sales::buscar_prospectos(&store, &params),
        (
            _,
            "cliente"
            | "cliente/financeiro"
            | "financeiro/fatura/liquidar"
            | "cliente/desbloqueio_confianca"
            | "atendimento"
            | "cliente/nota_fiscal"
            | "configuracao/servico"
            | "configuracao/vendedor"
            | "configuracao/vencimento"
            | "configuracao/origem_cliente"
            | "prospecto/create"
            | "prospecto",
        ) => Reply::MethodNotAllowed,
        _ => Reply::NotFound,
    }
    .into_response()
}

async fn handle_note_pdf(Path(hash): Path<String>, method: Method) -> Response {
    if method != Method::GET {
        return Reply::MethodNotAllowed.into_response();
    }
    fiscal::pdf(&hash).into_response()
}

async fn handle_pdf(State(app): State<Arc<App>>, Path(hash): Path<String>, method: Method) -> Response {
    if method != Method::GET {
        return Reply::MethodNotAllowed.into_response();
    }
    let store = app.store();
    api::pdf(&store, &hash).into_response()
}

pub(crate) use crate::fnv;

/// What a handler answers.
#[derive(Debug)]
pub(crate) enum Reply {
    /// HTTP 200, JSON.
    Json(Value),
    /// Any status, JSON.
    Status(StatusCode, Value),
    /// HTTP 401 `{"message":"Unauthenticated."}`.
    Unauthenticated,
    /// HTTP 405.
    MethodNotAllowed,
    /// HTTP 404.
    NotFound,
    /// HTTP 200, a PDF.
    Pdf(Vec<u8>),
}

impl Reply {
    /// HTTP 200 `{"status":"error","msg":...,"errors":[msg]}`.
    pub(crate) fn error(message: impl Into<String>) -> Self {
        let message = message.into();
        Reply::Json(json!({ "status": "error", "msg": message, "errors": [message] }))
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(value) => json_response(StatusCode::OK, &value),
            Reply::Status(status, value) => json_response(status, &value),
            Reply::Unauthenticated => {
                json_response(StatusCode::UNAUTHORIZED, &json!({ "message": "Unauthenticated." }))
            }
            Reply::MethodNotAllowed => json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({ "message": "The method is not supported for this route." }),
            ),
            Reply::NotFound => {
                json_response(StatusCode::NOT_FOUND, &json!({ "status": "error", "msg": "Rota não encontrada" }))
            }
            Reply::Pdf(bytes) => {
                ([(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"))], bytes).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let text = format!("{:?}", HubsoftConfig::default());
        assert!(!text.contains(DEMO_CLIENT_SECRET) && !text.contains(DEMO_PASSWORD), "{text}");
        assert!(text.contains(DEMO_USERNAME));
    }
}
