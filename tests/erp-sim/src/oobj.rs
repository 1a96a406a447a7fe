//! Oobj's REST API (fiscal documents: emission, reception, reports), as far as an adapter
//! needs it to list a customer's fiscal notes and download their PDFs.
//!
//! **Where this comes from.** The seed (`seeds/oobj-rest-api.pt.txt`, Oobj's own article) only
//! *lists* the services: authentication with a Token (user) and a Secret (password) supplied by
//! Oobj support, exchanged for an `x-auth-token` that "represents your temporary work session",
//! through three endpoints ("Criar Nova Sessão", "Obter informações da Sessão", "Atualiza o
//! Token de acesso"); "Download de PDF (Documento Auxiliar)"; the report "Listar os documentos
//! emitidos". It gives no path, body or answer. Everything below is **reconstructed** from that
//! list, completed with what Oobj's public pages show in passing (not their reference docs,
//! which the seeds don't include): confidence tags \[H\] the seed; \[M\] a public Oobj page
//! (`docs-api.oobj.com.br` "Conceitos fundamentais": the three auth paths in its rate-limit
//! table, the `429` body; its curl examples: the `x-auth-token` header, a JWT whose `exp - iat`
//! is 1800 s, the `/api/empresas/{empresa}/docs/{ambiente}/{codModelo}/...` family; Oobj's
//! knowledge-base article "Relatórios na API Rest": `POST /api/relatorios/emitidos` with
//! `cnpj`, `dataInicial`, `dataFinal`, `modelo`, `comXml`, pages of 20 with the page in the URL
//! and the page's and the total counts in the answer); everything else is *inferred*, this
//! simulator's most plausible choice. Check the \[M\] and *inferred* parts against the real
//! service before depending on them.
//!
//! # Sessions
//!
//! | endpoint | what | conf. |
//! |---|---|---|
//! | `POST /api/authenticate` | create a session: JSON `{"token", "secret"}` → 200 `{"token": "<jwt>", "expiresIn": 1800, "expiraEm": "<RFC 3339>"}`, the token also in the `x-auth-token` response header | path \[M\], shapes *inferred* |
//! | `GET /api/me` | the session's information: `{"aplicativo", "empresas": [cnpj], "emitidoEm", "expiraEm", "expiresIn"}` (seconds left) | path \[M\], shape *inferred* |
//! | `GET /api/refresh` | a live session's token exchanged for a new one (a full lifetime again, same shape as `authenticate`); the old token stops working at once | path \[M\], old token dropped *inferred* |
//!
//! Every other `/api/` request needs the header **`x-auth-token`** (\[H\]\[M\]). Missing, unknown
//! (never issued, or replaced by a refresh) or expired (its lifetime, [`OobjConfig::session_ttl`],
//! default 1800 s as in the public example's JWT, passed; or every session expired at once by
//! [`Simulator::revoke_tokens`]): **401** with one of [`MSG_SESSION_MISSING`],
//! [`MSG_SESSION_INVALID`], [`MSG_SESSION_EXPIRED`]. A wrong token or secret on `authenticate`:
//! **401** [`MSG_CREDENTIALS_INVALID`] (the secret is never echoed); none given: **400**
//! [`MSG_CREDENTIALS_MISSING`]. More than [`OobjConfig::authenticate_limit`] `authenticate`
//! requests in 5 minutes (Oobj's table says 100, \[M\]): **429** `{"message": "Too Many
//! Requests", "error": {"status_code": 429, "retry_after": 300}}` (\[M\]).
//!
//! Errors are `{"message": "<Portuguese>", "error": {"status_code": N}}`, the shape of the
//! documented 429 (\[M\]; the other messages *inferred*).
//!
//! # Documents
//!
//! | endpoint | what | conf. |
//! |---|---|---|
//! | `POST /api/relatorios/emitidos?page=N` | the issued documents, 20 a page (`page` from 0) | path, fields named \[M\]; the rest *inferred* |
//! | `GET /api/empresas/{empresa}/docs/{ambiente}/{codModelo}/{chaveAcesso}` | one document's SEFAZ answer ("Obter retorno da Sefaz"), its XML in `conteudo` | path \[M\], fields *inferred* |
//! | `GET /api/empresas/{empresa}/docs/{ambiente}/{codModelo}/{chaveAcesso}/pdf` | its DANFE / DANFE-COM, `application/pdf` ("Download de PDF") | *inferred* |
//!
//! The report's JSON body: `cnpj` (the emitter, required; a company the account may not manage
//! is **403** `"Usuário sem permissão para a empresa <cnpj>."`), `dataInicial` / `dataFinal`
//! (RFC 3339 date-times as `2021-08-01T23:00:16.221Z`, or plain dates, read as Brasília dates;
//! optional), `modelo` (`55`, `62`, ... or `NFE`, `NFCOM`; absent: every model), `comXml`
//! (`true` adds each document's XML as `xml`) and `cpfCnpjDestinatario` (the recipient,
//! *inferred*: an adapter must filter by customer, and the article's list is cut short). The
//! answer is a Spring page (*inferred* from "the page's count and the total at the end"):
//! `{"content": [...], "number", "size": 20, "numberOfElements", "totalElements", "totalPages",
//! "first", "last", "empty"}`, each document `{id, chaveAcesso, modelo, serie, numero,
//! dataEmissao ("2026-03-31T10:00:00-03:00"), valorTotal (a JSON number, 99.9), situacao
//! ("AUTORIZADO", "CANCELADO"), cnpjEmitente, cpfCnpjDestinatario, nomeDestinatario, ambiente}`.
//!
//! The document routes check, in order: the company (403), `ambiente` (`prod` or `hom`, else
//! 400), the key (44 characters, else 400), then the document itself (same key, same model,
//! in `prod`: homologation holds nothing; else **404** `"Documento não encontrado."`).
//!
//! The documents are the shared [`fiscal`] notes (the same as PlugStorage's).
//! Unknown paths: 404; another method: 405 (after the session check, as a servlet filter runs
//! first).
//!
//! # Counters
//!
//! [`Simulator::count`] (and `GET /__sim/counts`): [`SESSIONS`] created, [`REFRESHES`] done,
//! [`UNAUTHORIZED`] requests refused for their session, and every request received per endpoint
//! ([`REQUESTS_AUTHENTICATE`], [`REQUESTS_ME`], [`REQUESTS_REFRESH`], [`REQUESTS_EMITIDOS`],
//! [`REQUESTS_DOCUMENTO`], [`REQUESTS_PDF`]; faulted ones included).
//! [`Simulator::token_grants`] counts every token issued (sessions and refreshes).
//!
//! # Faults
//!
//! The shared [`faults`](crate::faults) apply to every `/api/` request, `authenticate`
//! included. Oobj's flavour (*inferred*): [`Fault::Status`] 401 is the invalid-session refusal,
//! 429 the rate-limit body, 5xx nginx's HTML page, others the JSON error; [`Fault::Garbage`] is
//! HTTP 200 with the web portal's HTML login page; [`Fault::BusinessError`] is HTTP 400 with
//! the JSON error.
//!
//! [`Fault::Status`]: crate::faults::Fault::Status
//! [`Fault::Garbage`]: crate::faults::Fault::Garbage
//! [`Fault::BusinessError`]: crate::faults::Fault::BusinessError

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::fiscal::{self, Note, PROVIDER_CNPJ_DIGITS};
use crate::params::Params;
use crate::{Core, FaultFlavor, Simulator};

/// [`Simulator::count`] name: sessions created by `POST /api/authenticate`.
pub const SESSIONS: &str = "sessions";
/// [`Simulator::count`] name: tokens exchanged by `GET /api/refresh`.
pub const REFRESHES: &str = "refreshes";
/// [`Simulator::count`] name: requests refused with 401 for a missing, unknown or expired
/// session (not the refused credentials of `authenticate`).
pub const UNAUTHORIZED: &str = "unauthorized";
/// [`Simulator::count`] name: `POST /api/authenticate` requests received.
pub const REQUESTS_AUTHENTICATE: &str = "requests.authenticate";
/// [`Simulator::count`] name: `GET /api/me` requests received.
pub const REQUESTS_ME: &str = "requests.me";
/// [`Simulator::count`] name: `GET /api/refresh` requests received.
pub const REQUESTS_REFRESH: &str = "requests.refresh";
/// [`Simulator::count`] name: `POST /api/relatorios/emitidos` requests received.
pub const REQUESTS_EMITIDOS: &str = "requests.emitidos";
/// [`Simulator::count`] name: `GET /api/empresas/.../{chaveAcesso}` requests received.
pub const REQUESTS_DOCUMENTO: &str = "requests.documento";
/// [`Simulator::count`] name: `GET /api/empresas/.../{chaveAcesso}/pdf` requests received.
pub const REQUESTS_PDF: &str = "requests.pdf";

/// 401: no `x-auth-token` header.
pub const MSG_SESSION_MISSING: &str = "Cabeçalho x-auth-token não informado.";
/// 401: an `x-auth-token` that is not a live session (never issued, or replaced by a refresh).
pub const MSG_SESSION_INVALID: &str = "x-auth-token inválido.";
/// 401: the session's lifetime passed.
pub const MSG_SESSION_EXPIRED: &str = "Sessão expirada. Crie uma nova sessão.";
/// 401 on `authenticate`: wrong token or secret.
pub const MSG_CREDENTIALS_INVALID: &str = "Token ou secret inválido.";
/// 400 on `authenticate`: token or secret missing.
pub const MSG_CREDENTIALS_MISSING: &str = "Informe o token e o secret do aplicativo.";
/// 404 on the document routes.
pub const MSG_DOCUMENT_NOT_FOUND: &str = "Documento não encontrado.";

/// Documents per report page (\[M\]: "de forma paginada com 20 elementos").
pub const PAGE_SIZE: usize = 20;

/// The window [`OobjConfig::authenticate_limit`] counts in (\[M\]: "Limite em 5 min.").
const RATE_WINDOW: Duration = Duration::from_secs(300);

/// The application token [`OobjConfig::default`] accepts.
pub const DEMO_TOKEN: &str = "3f9c1a7e5b2d48c6a0e4b8d2f6c1a9e3";
/// The secret [`OobjConfig::default`] accepts.
pub const DEMO_SECRET: &str = "oobj-demo-secret-Qm4x8Rz2";

/// How the simulated Oobj authenticates.
#[derive(Clone)]
pub struct OobjConfig {
    /// The application's Token ("usuário", supplied by Oobj support).
    pub token: String,
    /// Its Secret ("senha").
    pub secret: String,
    /// How long a session (an `x-auth-token`) lives. Default 1800 s (the public example's JWT).
    pub session_ttl: Duration,
    /// `authenticate` requests allowed per 5 minutes before 429. Default 100 (Oobj's table).
    pub authenticate_limit: u32,
    /// A report that ignores `cpfCnpjDestinatario` and holds this many more of the company's
    /// NFCom notes, to other people: the case the adapter must not answer cut short (the filter
    /// is *inferred*). Default 0: the filter applies and there are no extra notes.
    pub unfiltered_extra_notes: usize,
}

impl Default for OobjConfig {
    /// [`DEMO_TOKEN`], [`DEMO_SECRET`], 1800 s sessions, 100 sessions per 5 minutes.
    fn default() -> Self {
        Self {
            token: DEMO_TOKEN.to_owned(),
            secret: DEMO_SECRET.to_owned(),
            session_ttl: Duration::from_secs(1800),
            authenticate_limit: 100,
            unfiltered_extra_notes: 0,
        }
    }
}

impl std::fmt::Debug for OobjConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OobjConfig")
            .field("token", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("session_ttl", &self.session_ttl)
            .field("authenticate_limit", &self.authenticate_limit)
            .field("unfiltered_extra_notes", &self.unfiltered_extra_notes)
            .finish()
    }
}

/// Starts a simulated Oobj on `listener` serving the shared [`fiscal`] notes.
///
/// # Errors
/// When the listener's local address can't be read.
pub async fn spawn(listener: tokio::net::TcpListener, config: OobjConfig) -> std::io::Result<Simulator> {
    let core = Arc::new(Core::new("oobj"));
    let application = format!("{:016x}", crate::fnv(&format!("oobj-app-{}", listener.local_addr()?)));
    let notes = with_extra_notes(fiscal::notes(), config.unfiltered_extra_notes);
    let app =
        Arc::new(App { config, core: core.clone(), application, notes, sessions: Mutex::new(Sessions::default()) });
    let api = crate::with_faults(
        Router::new().route("/api/{*path}", any(handle)).with_state(app),
        core.clone(),
        FaultFlavor { status: fault_status, garbage: fault_garbage, business_error: fault_business_error },
    )
    .layer(axum::middleware::from_fn_with_state(core.clone(), count_requests));
    crate::serve(listener, core, api)
}

/// State of one simulated Oobj.
struct App {
    config: OobjConfig,
    core: Arc<Core>,
    /// The application's id (a JWT's `sub`).
    application: String,
    notes: Vec<Note>,
    /// Locked only inside synchronous code, never across an `.await`.
    sessions: Mutex<Sessions>,
}

/// The live sessions and the `authenticate` rate window.
#[derive(Default)]
struct Sessions {
    by_token: HashMap<String, Session>,
    /// Tokens issued so far (each token's `jti`).
    issued: u64,
    /// When each `authenticate` of the last [`RATE_WINDOW`] arrived.
    recent_authentications: VecDeque<Instant>,
}

struct Session {
    issued_at: SystemTime,
    expires: Instant,
    /// The [`Core::token_epoch`] it was issued in; an older one is expired.
    epoch: u64,
}

/// Why a request's session was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Missing,
    Invalid,
    Expired,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Refusal::Missing => MSG_SESSION_MISSING,
            Refusal::Invalid => MSG_SESSION_INVALID,
            Refusal::Expired => MSG_SESSION_EXPIRED,
        }
    }
}

impl App {
    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        // Every update is complete before anything can panic.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The request's session token, when it is live.
    fn session<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, Refusal> {
        let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
        if token.is_empty() {
            return Err(Refusal::Missing);
        }
        let epoch = self.core.token_epoch.load(Ordering::Relaxed);
        match self.sessions().by_token.get(token) {
            None => Err(Refusal::Invalid),
            Some(s) if s.epoch != epoch || s.expires <= Instant::now() => Err(Refusal::Expired),
            Some(_) => Ok(token),
        }
    }

    /// Issues a new token (replacing `replaced`, when a refresh), and answers it. Two refreshes
    /// of one token racing: the first replaces it, the second is refused as for a replaced one.
    fn issue(&self, replaced: Option<&str>) -> Response {
        let ttl = self.config.session_ttl;
        let now = SystemTime::now();
        let epoch = self.core.token_epoch.load(Ordering::Relaxed);
        let token = {
            let mut sessions = self.sessions();
            if let Some(old) = replaced
                && sessions.by_token.remove(old).is_none()
            {
                drop(sessions);
                self.core.bump(UNAUTHORIZED);
                return error(StatusCode::UNAUTHORIZED, MSG_SESSION_INVALID);
            }
            sessions.issued += 1;
            let jti = sessions.issued;
            let token = jwt(&self.application, now, ttl, jti);
            sessions.by_token.insert(token.clone(), Session { issued_at: now, expires: Instant::now() + ttl, epoch });
            token
        };
        self.core.token_grants.fetch_add(1, Ordering::Relaxed);
        self.core.bump(if replaced.is_some() { REFRESHES } else { SESSIONS });
        let body = json!({ "token": token, "expiresIn": ttl.as_secs(), "expiraEm": brasilia_time(now + ttl) });
        let mut response = axum::Json(body).into_response();
        if let Ok(value) = HeaderValue::from_str(&token) {
            response.headers_mut().insert("x-auth-token", value);
        }
        response
    }
}

/// A JWT-shaped token (`HS512` header, `{sub, aud, exp, iat, jti}`, an opaque signature), as
/// the public example's.
fn jwt(application: &str, now: SystemTime, ttl: Duration, jti: u64) -> String {
    let iat = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    let payload = json!({ "sub": application, "aud": "web", "exp": iat + ttl.as_secs(), "iat": iat, "jti": jti });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signature: Vec<u8> =
        (0..8).flat_map(|i| crate::fnv(&format!("{payload}.{i}")).to_be_bytes()).collect::<Vec<u8>>();
    format!("eyJhbGciOiJIUzUxMiJ9.{payload}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Brasília's offset (UTC−3, no daylight saving since 2019).
const BRASILIA: FixedOffset = match FixedOffset::west_opt(3 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC-3 is a valid offset"),
};

fn brasilia_time(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).with_timezone(&BRASILIA).to_rfc3339()
}

/// `{"message": ..., "error": {"status_code": N}}` with that status.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "message": message, "error": { "status_code": status.as_u16() } }))).into_response()
}

fn too_many_requests() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({ "message": "Too Many Requests", "error": { "status_code": 429, "retry_after": 300 } })),
    )
        .into_response()
}

fn fault_status(status: StatusCode) -> Response {
    match status.as_u16() {
        401 => error(StatusCode::UNAUTHORIZED, MSG_SESSION_INVALID),
        429 => too_many_requests(),
        500..=599 => {
            let code = status.as_u16();
            let reason = status.canonical_reason().unwrap_or("Error");
            let page = format!(
                "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n\
                 <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
        _ => error(status, status.canonical_reason().unwrap_or("Erro")),
    }
}

fn fault_garbage() -> Response {
    let page = "<!DOCTYPE html><html lang=\"pt-BR\"><head><title>Oobj - Acesso</title></head>\
                <body><form method=\"post\" action=\"/login\"><input name=\"usuario\"><input type=\"password\" name=\"senha\">\
                <button>Entrar</button></form></body></html>\n";
    ([(header::CONTENT_TYPE, "text/html; charset=UTF-8")], page).into_response()
}

fn fault_business_error(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// Which endpoint a path is, for its [`Simulator::count`] counter.
fn endpoint(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "authenticate"] => Some(REQUESTS_AUTHENTICATE),
        ["api", "me"] => Some(REQUESTS_ME),
        ["api", "refresh"] => Some(REQUESTS_REFRESH),
        ["api", "relatorios", "emitidos"] => Some(REQUESTS_EMITIDOS),
        ["api", "empresas", _, "docs", _, _, _] => Some(REQUESTS_DOCUMENTO),
        ["api", "empresas", _, "docs", _, _, _, "pdf"] => Some(REQUESTS_PDF),
        _ => None,
    }
}

/// Counts every request per endpoint, outside the fault middleware (a faulted request counts).
async fn count_requests(State(core): State<Arc<Core>>, request: Request, next: Next) -> Response {
    if let Some(name) = endpoint(request.uri().path()) {
        core.bump(name);
    }
    next.run(request).await
}

async fn handle(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method_not_allowed = || error(StatusCode::METHOD_NOT_ALLOWED, "Método não permitido.");
    if segments == ["authenticate"] {
        return if method == Method::POST { authenticate(&app, &headers, &body) } else { method_not_allowed() };
    }
    let token = match app.session(&headers) {
        Ok(token) => token,
        Err(refusal) => {
            app.core.bump(UNAUTHORIZED);
            return error(StatusCode::UNAUTHORIZED, refusal.message());
        }
    };
    let get = method == Method::GET;
    match segments.as_slice() {
        ["me"] if get => me(&app, token),
        ["refresh"] if get => app.issue(Some(token)),
        ["relatorios", "emitidos"] if method == Method::POST => {
            let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            emitidos(&app, &Params::from_query(uri.query().unwrap_or("")), &Params::parse(content_type, &body))
        }
        ["empresas", company, "docs", environment, model, key] if get => {
            document(&app, company, environment, model, key).map_or_else(IntoResponse::into_response, retorno)
        }
        ["empresas", company, "docs", environment, model, key, "pdf"] if get => {
            document(&app, company, environment, model, key).map_or_else(IntoResponse::into_response, pdf)
        }
        ["me"]
        | ["refresh"]
        | ["relatorios", "emitidos"]
        | ["empresas", _, "docs", _, _, _]
        | ["empresas", _, "docs", _, _, _, "pdf"] => method_not_allowed(),
        _ => error(StatusCode::NOT_FOUND, "Recurso não encontrado."),
    }
}

/// `POST /api/authenticate`.
fn authenticate(app: &App, headers: &HeaderMap, body: &[u8]) -> Response {
    {
        let mut sessions = app.sessions();
        let now = Instant::now();
        while sessions.recent_authentications.front().is_some_and(|at| now.duration_since(*at) >= RATE_WINDOW) {
            sessions.recent_authentications.pop_front();
        }
        if sessions.recent_authentications.len() >= app.config.authenticate_limit as usize {
            return too_many_requests();
        }
        sessions.recent_authentications.push_back(now);
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let params = Params::parse(content_type, body);
    let token = params.trimmed("token");
    let secret = params.text("secret").unwrap_or_default();
    if token.is_empty() || secret.is_empty() {
        return error(StatusCode::BAD_REQUEST, MSG_CREDENTIALS_MISSING);
    }
    if app.config.token.is_empty() || token != app.config.token || secret != app.config.secret {
        return error(StatusCode::UNAUTHORIZED, MSG_CREDENTIALS_INVALID);
    }
    app.issue(None)
}

/// `GET /api/me`.
fn me(app: &App, token: &str) -> Response {
    let sessions = app.sessions();
    let Some(session) = sessions.by_token.get(token) else {
        return error(StatusCode::UNAUTHORIZED, MSG_SESSION_INVALID);
    };
    let left = session.expires.saturating_duration_since(Instant::now());
    axum::Json(json!({
        "aplicativo": app.application,
        "empresas": [PROVIDER_CNPJ_DIGITS],
        "emitidoEm": brasilia_time(session.issued_at),
        "expiraEm": brasilia_time(session.issued_at + app.config.session_ttl),
        "expiresIn": left.as_secs(),
    }))
    .into_response()
}

use crate::people::document_key;

/// A route's refusal: the status and the message of its [`error`] answer.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        error(self.0, &self.1)
    }
}

/// 403 unless the account manages `company` (only the provider).
fn check_company(company: &str) -> Result<(), Refused> {
    let company = document_key(company);
    if company == PROVIDER_CNPJ_DIGITS {
        Ok(())
    } else {
        Err(Refused(StatusCode::FORBIDDEN, format!("Usuário sem permissão para a empresa {company}.")))
    }
}

/// A report date: a plain date or an RFC 3339 date-time, as a Brasília date.
fn report_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&BRASILIA).date_naive()))
}

/// The `modelo` filter: `55`, `62`, ... or `NFE`, `NFCE`, `NFCOM`, `CTE`; `Err` when unknown.
fn model_filter(text: &str) -> Result<Option<u8>, ()> {
    let text = text.trim().to_ascii_uppercase().replace(['-', ' '], "");
    match text.as_str() {
        "" => Ok(None),
        "NFE" => Ok(Some(55)),
        "NFCE" => Ok(Some(65)),
        "NFCOM" => Ok(Some(62)),
        "CTE" => Ok(Some(57)),
        "MDFE" => Ok(Some(58)),
        digits => digits.parse::<u8>().map(Some).map_err(|_| ()),
    }
}

/// Oobj's spelling of a note's situation (*inferred*).
fn situacao(note: &Note) -> &'static str {
    if note.situation.starts_with("CANCEL") { "CANCELADO" } else { "AUTORIZADO" }
}

/// `POST /api/relatorios/emitidos`.
/// `notes` and `extra` copies of an NFCom note of someone else, with ids of their own.
fn with_extra_notes(mut notes: Vec<Note>, extra: usize) -> Vec<Note> {
    let Some(model) = notes.iter().find(|n| n.model == 62).cloned() else { return notes };
    let first_id = notes.iter().map(|n| n.id).max().unwrap_or(0) + 1;
    notes.extend((0..extra as u64).map(|i| Note {
        id: first_id + i,
        dest_document: crate::people::UNKNOWN_CPF,
        ..model.clone()
    }));
    notes
}

fn emitidos(app: &App, query: &Params, body: &Params) -> Response {
    let cnpj = body.trimmed("cnpj");
    if cnpj.is_empty() {
        return error(StatusCode::BAD_REQUEST, "O campo cnpj é obrigatório.");
    }
    if let Err(refused) = check_company(&cnpj) {
        return refused.into_response();
    }
    let mut bounds = [None, None];
    for (slot, name) in bounds.iter_mut().zip(["dataInicial", "dataFinal"]) {
        let text = body.trimmed(name);
        if text.is_empty() {
            continue;
        }
        match report_date(&text) {
            Some(date) => *slot = Some(date),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("O campo {name} é inválido: use o formato 2021-08-01T23:00:16.221Z."),
                );
            }
        }
    }
    let Ok(model) = model_filter(&body.trimmed("modelo")) else {
        return error(StatusCode::BAD_REQUEST, "O campo modelo é inválido.");
    };
    let with_xml =
        matches!(body.raw("comXml"), Some(Value::Bool(true))) || body.trimmed("comXml").eq_ignore_ascii_case("true");
    let recipient = document_key(&body.trimmed("cpfCnpjDestinatario"));
    let Ok(page) = query.text("page").map_or(Ok(0), |p| p.trim().parse::<usize>()) else {
        return error(StatusCode::BAD_REQUEST, "O parâmetro page é inválido.");
    };
    let [from, to] = bounds;
    let matching: Vec<&Note> = app
        .notes
        .iter()
        .filter(|n| model.is_none_or(|m| m == n.model))
        .filter(|n| {
            app.config.unfiltered_extra_notes > 0 || recipient.is_empty() || document_key(n.dest_document) == recipient
        })
        .filter(|n| {
            NaiveDate::parse_from_str(n.issued, "%Y-%m-%d")
                .is_ok_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t))
        })
        .collect();
    let total = matching.len();
    let content: Vec<Value> =
        matching.iter().skip(page.saturating_mul(PAGE_SIZE)).take(PAGE_SIZE).map(|n| listing(n, with_xml)).collect();
    let total_pages = total.div_ceil(PAGE_SIZE);
    axum::Json(json!({
        "content": content,
        "number": page,
        "size": PAGE_SIZE,
        "numberOfElements": content.len(),
        "totalElements": total,
        "totalPages": total_pages,
        "first": page == 0,
        "last": page + 1 >= total_pages,
        "empty": content.is_empty(),
    }))
    .into_response()
}

fn listing(note: &Note, with_xml: bool) -> Value {
    // `valorTotal` is a JSON number, as Jackson writes a BigDecimal (99.9 from 99.90: *inferred*).
    let value = crate::payment::json_money(note.cents);
    let mut item = json!({
        "id": note.id,
        "chaveAcesso": note.key,
        "modelo": note.model,
        "serie": note.series,
        "numero": note.number,
        "dataEmissao": format!("{}T10:00:00-03:00", note.issued),
        "valorTotal": value,
        "situacao": situacao(note),
        "cnpjEmitente": PROVIDER_CNPJ_DIGITS,
        "cpfCnpjDestinatario": note.dest_document,
        "nomeDestinatario": note.dest_name,
        "ambiente": "prod",
    });
    if with_xml {
        item["xml"] = Value::String(fiscal::xml(note));
    }
    item
}

/// The note a document route names, or the refusal.
fn document<'a>(app: &'a App, company: &str, environment: &str, model: &str, key: &str) -> Result<&'a Note, Refused> {
    check_company(company)?;
    if environment != "prod" && environment != "hom" {
        return Err(Refused(StatusCode::BAD_REQUEST, "Ambiente inválido: use hom ou prod.".to_owned()));
    }
    if key.len() != 44 {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            "Chave de acesso inválida: deve conter 44 caracteres.".to_owned(),
        ));
    }
    app.notes
        .iter()
        .filter(|_| environment == "prod")
        .find(|n| n.key == key && model.parse::<u8>().is_ok_and(|m| m == n.model))
        .ok_or_else(|| Refused(StatusCode::NOT_FOUND, MSG_DOCUMENT_NOT_FOUND.to_owned()))
}

/// The document's SEFAZ answer, with its XML in `conteudo`.
fn retorno(note: &Note) -> Response {
    let (code, reason) =
        if situacao(note) == "CANCELADO" { (101, "Cancelamento homologado") } else { (100, "Autorizado o uso") };
    axum::Json(json!({
        "chaveAcesso": note.key,
        "ambiente": "prod",
        "modelo": note.model,
        "serie": note.series,
        "numero": note.number,
        "situacao": situacao(note),
        "codigoStatus": code,
        "motivoStatus": reason,
        "conteudo": fiscal::xml(note),
    }))
    .into_response()
}

/// The document's PDF.
fn pdf(note: &Note) -> Response {
    let disposition = format!("attachment; filename=\"{}.pdf\"", note.key);
    (
        [(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        fiscal::pdf(note, "Oobj"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_credentials() {
        let text = format!("{:?}", OobjConfig::default());
        assert!(!text.contains(DEMO_TOKEN) && !text.contains(DEMO_SECRET), "{text}");
    }

    #[test]
    fn endpoints_are_named_by_path() {
        assert_eq!(endpoint("/api/authenticate"), Some(REQUESTS_AUTHENTICATE));
        assert_eq!(endpoint("/api/relatorios/emitidos"), Some(REQUESTS_EMITIDOS));
        let key = fiscal::NOTE_MARIA_MARCH;
        assert_eq!(endpoint(&format!("/api/empresas/1/docs/prod/62/{key}")), Some(REQUESTS_DOCUMENTO));
        assert_eq!(endpoint(&format!("/api/empresas/1/docs/prod/62/{key}/pdf")), Some(REQUESTS_PDF));
        assert_eq!(endpoint("/api/nope"), None);
    }

    #[test]
    fn report_dates_read_in_brasilia() {
        let date = |s: &str| report_date(s).map(|d| d.to_string());
        assert_eq!(date("2026-03-31").as_deref(), Some("2026-03-31"));
        assert_eq!(date("2026-04-01T02:00:00.000Z").as_deref(), Some("2026-03-31"));
        assert_eq!(date("2021-08-19T23:00:16.221Z").as_deref(), Some("2021-08-19"));
        assert_eq!(date("31/03/2026"), None);
        assert_eq!(model_filter("nfcom"), Ok(Some(62)));
        assert_eq!(model_filter("55"), Ok(Some(55)));
        assert_eq!(model_filter(""), Ok(None));
        assert!(model_filter("xyz").is_err());
    }

    #[test]
    fn tokens_look_like_the_documented_jwt() {
        let token =
            jwt("abc", SystemTime::UNIX_EPOCH + Duration::from_secs(1_629_288_906), Duration::from_secs(1800), 1);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "eyJhbGciOiJIUzUxMiJ9");
        let payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url")).expect("json");
        assert_eq!((payload["iat"].as_u64(), payload["exp"].as_u64()), (Some(1_629_288_906), Some(1_629_290_706)));
        assert_ne!(token, jwt("abc", SystemTime::UNIX_EPOCH, Duration::from_secs(1800), 2));
    }
}
