//! SGP's HTTP API (sgp.net.br, by TSMX), as ERPS.md §2 describes it, quirks included.
//!
//! Confidence tags are ERPS.md's: \[H\] official docs/Postman collection (T1, T2), \[M\] two or
//! more clients or one tested client (T3, T4, T5), \[L\] one client or test stubs. Everything
//! marked *inferred* is this simulator's choice where ERPS.md is silent; check those against a
//! real instance before depending on them.
//!
//! # Transport and auth
//!
//! - Paths sit under `/api/...`; the URA ones are also served under `/ws/ura/...` (\[L\]).
//!   Paths match with or without their trailing slash (*inferred*: lenient; the docs write
//!   most with one, `/api/precadastro/plano/list` without). Unknown paths: 404 with Django's
//!   HTML page; a known path with another method: 405 `{"detail":"Método \"X\" não é
//!   permitido."}` (*inferred*, Django REST framework's answers).
//! - **token + app** ([`SgpConfig::token`], [`SgpConfig::app`]) travel **in the request
//!   parameters**: the body (form-urlencoded or JSON: both are read on every endpoint) or the
//!   query string (GET endpoints; on POST the query is read too, body fields winning) (\[H\]
//!   T1, T2). HTTP **Basic** with an SGP user's login and password
//!   ([`SgpConfig::basic_user`]/[`SgpConfig::basic_password`]) works too (\[H\]). Another
//!   `Authorization` scheme (some clients send `Token <token>` plus an `App` header) is ignored.
//! - Refusals are Django REST framework's (*inferred*; one client tested against a real
//!   instance reports the 403, contradicting T5's `{status:0,msg:'Token inválido'}` stubs):
//!   wrong token or app → **403** `{"detail":"Credenciais de autenticação incorretas."}`; wrong
//!   Basic credentials → **401** `{"detail":"Usuário e/ou senha inválido(s)."}`; none at all →
//!   **401** `{"detail":"As credenciais de autenticação não foram fornecidas."}`, both 401s
//!   with `WWW-Authenticate: Basic realm="api"`.
//! - Central do Assinante endpoints (`/api/central/...`) also take the customer's own
//!   `cpfcnpj` + `senha` or `usuario` + `senha` (\[H\] T1), the login and password that
//!   `consultacliente` returns as `contratoCentralLogin`/`contratoCentralSenha`; a wrong pair is
//!   the 403 above (*inferred*). With token + app they need `cpfcnpj` or `contrato` to know
//!   whose data (*inferred*).
//!
//! # Envelopes and formats
//!
//! - Success: HTTP 200, `"status": 1` in the object (\[M\]); business errors: **HTTP 200
//!   `{"status":0,"msg":"..."}`** (\[M\], ERPS.md §6). Catalogue lists (`/api/os/ocorrencia/*`,
//!   `/api/ura/classificacoes/list/`) are raw JSON arrays of `{id, descricao, ativo}`
//!   (*inferred* from a client script); `/api/central/titulos/` answers `{paginacao, faturas}`
//!   without `status` (\[M\] T5).
//! - Ids are JSON numbers. Money in responses is a JSON number written as Python prints a
//!   float (`99.9`, `30.0`, `102.07`: *inferred*, SGP is Django), except plan prices, strings
//!   `"99.90"` (\[M\] T3). Dates are ISO `AAAA-MM-DD`, date-times `AAAA-MM-DD HH:MM:SS`
//!   (*inferred* seconds), absent dates `null` (*inferred*). With [`ValueStyle::Brazilian`] the
//!   títulos' and faturas' money becomes `"99,90"` and their dates `dd/mm/yyyy`, the unverified
//!   style some bot stubs show (ERPS.md §2.2 asks for both).
//! - Request dates must be `AAAA-MM-DD` and date-times `AAAA-MM-DD HH:MM` (\[H\]); anything
//!   else is a business error. Request money is read as `"51.52"` (\[H\]) or `"51,52"`
//!   (*inferred* leniency).
//! - CPF/CNPJ filters accept digits (ERPS.md §6) or the masked form (*inferred*); `cpfCnpj` in
//!   answers is masked, as stored (*inferred*, reported by a tested client).
//!
//! # Endpoints
//!
//! | endpoint | conf. | module |
//! |---|---|---|
//! | `POST /api/ura/consultacliente/` (GET too: \[L\] T4): one row per contract | \[H\] params, \[M\] fields | `customers.rs` |
//! | `POST /api/ura/clientes/` (limit ≤ 100) | \[H\], \[M\] | `customers.rs` |
//! | `POST /api/ura/contato/add/` | \[H\] | `customers.rs` |
//! | `POST /api/ura/listacontrato/`, `POST /api/suporte/contrato/list/` | \[H\] params, fields *inferred* | `customers.rs` |
//! | `GET /api/ura/consultaplano/`, `POST /api/precadastro/plano/list` | \[H\], \[M\] | `customers.rs` |
//! | `POST /api/ura/titulos/` (limit ≤ 250, `paginacao`) | \[H\] params, \[M\] fields | `finance.rs` |
//! | `POST /api/ura/fatura2via/` (opens an ocorrência unless `nao_gerar_os=1`) | \[H\] params, \[M\] fields | `finance.rs` |
//! | `POST /api/ura/pagamento/pix/{fatura}` (GET too: \[L\] T4) | \[H\] path, \[L\] answer | `finance.rs` |
//! | `POST /api/ura/enviafatura/` | \[H\] params, answer *inferred* | `finance.rs` |
//! | `POST /api/banco/titulo/{id}/baixar/`, `/estornar/`, `/cancelar/` | \[H\] params, answer NOT FOUND (*inferred*) | `finance.rs` |
//! | `POST /api/central/titulos/` (customer auth) | \[M\] T5 | `finance.rs` |
//! | `GET /boleto/{id}/{key}` (HTML) and `.pdf` (the `link` of títulos; no auth) | path *inferred* | `finance.rs` |
//! | `POST /api/ura/liberacaopromessa/` (JSON or form), `POST /api/central/promessapagamento/` | \[H\] params, \[M\]/\[L\] fields | `unlock.rs` |
//! | `POST /api/ura/chamado/` (JSON; form too), `POST /api/ura/ocorrencia/list/` (≤ 1000), `POST /api/ura/ordemservico/list/` (≤ 1000) | \[H\], \[M\] | `tickets.rs` |
//! | `GET /api/os/ocorrencia/{tipo,setor,motivo,metodo}/list/`, `GET /api/ura/classificacoes/list/` | \[H\] | `tickets.rs` |
//!
//! Not served (404): everything else in T1's 237 endpoints, among them `verificaacesso` (its
//! fields are NOT FOUND), pre-registration/CRM, fiscal notes, maintenance and notes. A base64
//! boleto PDF is NOT FOUND in SGP's API: the PDF is only reachable through the título's `link`.
//!
//! # Faults
//!
//! The shared [`faults`](crate::faults) apply to every request under `/api/`, `/ws/` and
//! `/boleto/`, as in the IXC simulator. SGP's flavour (*inferred*): [`Fault::Status`] 5xx gets
//! nginx's HTML error page (SGP runs behind nginx), 401/403 DRF's `{"detail":...}`, others an
//! empty body; [`Fault::Garbage`] is HTTP 200 with SGP's HTML login page (what an expired or
//! misrouted session gets); [`Fault::BusinessError`] is HTTP 200 `{"status":0,"msg":...}`.
//!
//! [`Fault::Status`]: crate::faults::Fault::Status
//! [`Fault::Garbage`]: crate::faults::Fault::Garbage
//! [`Fault::BusinessError`]: crate::faults::Fault::BusinessError

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::params::Params;
use crate::payment::{cents_comma, cents_dot, parse_cents};
use crate::{Core, FaultFlavor, Simulator};

mod customers;
pub mod data;
mod finance;
mod store;
mod tickets;
mod unlock;

use store::Store;

/// How the simulated SGP authenticates and formats its answers.
#[derive(Clone)]
pub struct SgpConfig {
    /// The app name the token was generated for (`app`).
    pub app: String,
    /// The integration token (`token`), from Administração → Integrações → Tokens.
    pub token: String,
    /// An SGP user's login, for HTTP Basic.
    pub basic_user: String,
    /// That user's password, for HTTP Basic.
    pub basic_password: String,
    /// How títulos' money and dates are written. Default [`ValueStyle::Iso`].
    pub value_style: ValueStyle,
    /// The key of a contract's id inside `/api/ura/clientes/` `contratos[]`: clients report both
    /// `contrato` and `id` (ERPS.md §2.4, \[M\] T3). Default [`ContractKey::Contrato`].
    pub contract_key: ContractKey,
}

/// How money and dates of títulos and faturas are written (ERPS.md §2.2: ISO and numbers
/// documented; Brazilian strings seen in bot stubs only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueStyle {
    /// `"valor": 99.9`, `"dataVencimento": "2026-04-10"`.
    #[default]
    Iso,
    /// `"valor": "99,90"`, `"dataVencimento": "10/04/2026"`.
    Brazilian,
}

/// The key of a contract's id inside `/api/ura/clientes/`'s `contratos[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContractKey {
    /// `"contrato": 201`.
    #[default]
    Contrato,
    /// `"id": 201`.
    Id,
}

/// The app name [`SgpConfig::default`] uses.
pub const DEMO_APP: &str = "ponte";
/// The token [`SgpConfig::default`] uses.
pub const DEMO_TOKEN: &str = "5f0c2a8e-7d41-4b9a-9c3e-2b6d8f1a4e70";
/// The Basic-auth user [`SgpConfig::default`] uses.
pub const DEMO_BASIC_USER: &str = "ponte.integracao";
/// The Basic-auth password [`SgpConfig::default`] uses.
pub const DEMO_BASIC_PASSWORD: &str = "ponte-demo-sgp-password";

impl Default for SgpConfig {
    /// App [`DEMO_APP`], token [`DEMO_TOKEN`], Basic [`DEMO_BASIC_USER`]/[`DEMO_BASIC_PASSWORD`],
    /// ISO values, `contrato` keys.
    fn default() -> Self {
        Self {
            app: DEMO_APP.to_owned(),
            token: DEMO_TOKEN.to_owned(),
            basic_user: DEMO_BASIC_USER.to_owned(),
            basic_password: DEMO_BASIC_PASSWORD.to_owned(),
            value_style: ValueStyle::default(),
            contract_key: ContractKey::default(),
        }
    }
}

impl SgpConfig {
    /// The `Authorization` header value for HTTP Basic: `Basic base64(user:password)`.
    pub fn basic_authorization(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.basic_user, self.basic_password))
        )
    }
}

impl std::fmt::Debug for SgpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SgpConfig")
            .field("app", &self.app)
            .field("token", &"<redacted>")
            .field("basic_user", &self.basic_user)
            .field("basic_password", &"<redacted>")
            .field("value_style", &self.value_style)
            .field("contract_key", &self.contract_key)
            .finish()
    }
}

/// Starts a simulated SGP on `listener` with fresh demo data ([`data`]). The listener is
/// already bound, so the simulator answers as soon as this returns.
///
/// # Errors
/// When the listener's local address can't be read.
pub async fn spawn(listener: tokio::net::TcpListener, config: SgpConfig) -> std::io::Result<Simulator> {
    let core = Arc::new(Core::new("sgp"));
    let base_url = format!("http://{}", listener.local_addr()?);
    let app = Arc::new(App { config, core: core.clone(), store: Mutex::new(data::store()), base_url });
    crate::serve(listener, core, router(app))
}

/// State of one simulated SGP.
struct App {
    config: SgpConfig,
    core: Arc<Core>,
    /// The database. Locked only inside synchronous code, never across an `.await`.
    store: Mutex<Store>,
    /// `http://127.0.0.1:PORT`, for the links the API hands out.
    base_url: String,
}

impl App {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // Handlers leave the store consistent before anything can panic.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The API routes, wrapped in the fault middleware.
fn router(app: Arc<App>) -> Router {
    let core = app.core.clone();
    crate::with_faults(
        Router::new()
            .route("/api/{*path}", any(handle_api))
            .route("/ws/{*path}", any(handle_ws))
            .route("/boleto/{*path}", any(handle_boleto))
            .with_state(app),
        core,
        FaultFlavor { status: fault_status, garbage: fault_garbage, business_error: fault_business_error },
    )
}

fn fault_status(status: StatusCode) -> Response {
    match status.as_u16() {
        401 => Reply::Detail(StatusCode::UNAUTHORIZED, NO_CREDENTIALS).into_response(),
        403 => Reply::Detail(StatusCode::FORBIDDEN, WRONG_TOKEN).into_response(),
        500..=599 => {
            let reason = status.canonical_reason().unwrap_or("Error");
            let code = status.as_u16();
            let page = format!(
                "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n\
                 <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            (status, html_header(), page).into_response()
        }
        _ => status.into_response(),
    }
}

fn fault_garbage() -> Response {
    (html_header(), LOGIN_PAGE).into_response()
}

fn fault_business_error(message: &str) -> Response {
    Reply::error(message).into_response()
}

/// SGP's login page, what a client gets instead of JSON when a proxy or session misroutes it.
const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"pt-br\">\n<head><meta charset=\"utf-8\"><title>SGP - Login</title></head>\n\
    <body class=\"login\"><form method=\"post\" action=\"/accounts/login/\">\
    <input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"sim\">\
    <input name=\"username\"><input type=\"password\" name=\"password\"><button>Entrar</button></form></body>\n</html>\n";

async fn handle_api(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(&app, &path, &method, uri.query(), &headers, &body).into_response()
}

/// `/ws/ura/...` is the historical root of the URA endpoints (\[L\]); nothing else lives under
/// `/ws/` here.
async fn handle_ws(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !path.starts_with("ura/") {
        return Reply::NotFound.into_response();
    }
    dispatch(&app, &path, &method, uri.query(), &headers, &body).into_response()
}

async fn handle_boleto(State(app): State<Arc<App>>, Path(path): Path<String>, method: Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return Reply::MethodNotAllowed(method.to_string()).into_response();
    }
    let store = app.store();
    finance::boleto_page(&store, &app.base_url, &path).into_response()
}

/// Every endpoint served under `/api/`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    ConsultaCliente,
    Clientes,
    ContatoAdd,
    ListaContrato,
    SuporteContratoList,
    ConsultaPlano,
    PrecadastroPlanos,
    Titulos,
    Fatura2Via,
    Pix(String),
    EnviaFatura,
    Baixar(String),
    Estornar(String),
    Cancelar(String),
    CentralTitulos,
    LiberacaoPromessa,
    CentralPromessa,
    Chamado,
    OcorrenciaList,
    OrdemServicoList,
    Catalogue(tickets::Catalogue),
}

impl Endpoint {
    /// The endpoint at `path` (below `/api/`, trailing slash optional).
    fn resolve(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        use tickets::Catalogue as C;
        Some(match segments.as_slice() {
            ["ura", "consultacliente"] => Endpoint::ConsultaCliente,
            ["ura", "clientes"] => Endpoint::Clientes,
            ["ura", "contato", "add"] => Endpoint::ContatoAdd,
            ["ura", "listacontrato"] => Endpoint::ListaContrato,
            ["suporte", "contrato", "list"] => Endpoint::SuporteContratoList,
            ["ura", "consultaplano"] => Endpoint::ConsultaPlano,
            ["precadastro", "plano", "list"] => Endpoint::PrecadastroPlanos,
            ["ura", "titulos"] => Endpoint::Titulos,
            ["ura", "fatura2via"] => Endpoint::Fatura2Via,
            ["ura", "pagamento", "pix", id] => Endpoint::Pix((*id).to_owned()),
            ["ura", "enviafatura"] => Endpoint::EnviaFatura,
            ["banco", "titulo", id, "baixar"] => Endpoint::Baixar((*id).to_owned()),
            ["banco", "titulo", id, "estornar"] => Endpoint::Estornar((*id).to_owned()),
            ["banco", "titulo", id, "cancelar"] => Endpoint::Cancelar((*id).to_owned()),
            ["central", "titulos"] => Endpoint::CentralTitulos,
            ["ura", "liberacaopromessa"] => Endpoint::LiberacaoPromessa,
            ["central", "promessapagamento"] => Endpoint::CentralPromessa,
            ["ura", "chamado"] => Endpoint::Chamado,
            ["ura", "ocorrencia", "list"] => Endpoint::OcorrenciaList,
            ["ura", "ordemservico", "list"] => Endpoint::OrdemServicoList,
            ["ura", "classificacoes", "list"] => Endpoint::Catalogue(C::Classifications),
            ["os", "ocorrencia", "tipo", "list"] => Endpoint::Catalogue(C::Types),
            ["os", "ocorrencia", "setor", "list"] => Endpoint::Catalogue(C::Sectors),
            ["os", "ocorrencia", "motivo", "list"] => Endpoint::Catalogue(C::Reasons),
            ["os", "ocorrencia", "metodo", "list"] => Endpoint::Catalogue(C::Methods),
            _ => return None,
        })
    }

    /// The methods it answers: the documented one, plus GET where a client uses it (\[L\] T4).
    fn allows(&self, method: &Method) -> bool {
        match self {
            Endpoint::ConsultaCliente | Endpoint::Pix(_) => *method == Method::POST || *method == Method::GET,
            Endpoint::ConsultaPlano | Endpoint::Catalogue(_) => *method == Method::GET,
            _ => *method == Method::POST,
        }
    }

    /// Central do Assinante endpoints also take the customer's own credentials.
    fn is_central(&self) -> bool {
        matches!(self, Endpoint::CentralTitulos | Endpoint::CentralPromessa)
    }
}

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// An integration (token + app, or Basic): sees everything.
    Integration,
    /// A customer logged in with their Central do Assinante credentials.
    Customer(u64),
}

/// One parsed request, as handlers see it.
pub(crate) struct Request {
    /// Query string and body fields, body winning.
    pub params: Params,
    /// The body was form-urlencoded (as opposed to JSON).
    pub form: bool,
}

fn dispatch(app: &App, path: &str, method: &Method, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Reply {
    let Some(endpoint) = Endpoint::resolve(path) else {
        return Reply::NotFound;
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let form = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("x-www-form-urlencoded"))
        || (content_type.is_none() && serde_json::from_slice::<Value>(body).is_err());
    let params = Params::from_query(query.unwrap_or_default()).merged(Params::parse(content_type, body));
    let request = Request { params, form };

    let mut store = app.store();
    let caller = match authenticate(&app.config, &store, endpoint.is_central(), headers, &request.params) {
        Ok(caller) => caller,
        Err(reply) => return reply,
    };
    // Django REST framework authenticates before it looks for the method's handler.
    if !endpoint.allows(method) {
        return Reply::MethodNotAllowed(method.to_string());
    }
    let ctx = Ctx { style: app.config.value_style, base_url: &app.base_url };
    let customer = match caller {
        Caller::Integration => None,
        Caller::Customer(id) => Some(id),
    };
    match endpoint {
        Endpoint::ConsultaCliente => customers::consulta_cliente(&store, &ctx, &request),
        Endpoint::Clientes => customers::clientes(&store, &ctx, app.config.contract_key, &request),
        Endpoint::ContatoAdd => customers::add_contact(&mut store, &request),
        Endpoint::ListaContrato => customers::lista_contrato(&store, &request, false),
        Endpoint::SuporteContratoList => customers::lista_contrato(&store, &request, true),
        Endpoint::ConsultaPlano => customers::consulta_plano(&store, &request),
        Endpoint::PrecadastroPlanos => customers::precadastro_planos(&store),
        Endpoint::Titulos => finance::titulos(&store, &ctx, &request),
        Endpoint::Fatura2Via => finance::fatura2via(&mut store, &ctx, &request),
        Endpoint::Pix(id) => finance::pix(&store, &ctx, &id, &request),
        Endpoint::EnviaFatura => finance::envia_fatura(&store, &request),
        Endpoint::Baixar(id) => finance::baixar(&mut store, &app.core, &id, &request),
        Endpoint::Estornar(id) => finance::estornar(&mut store, &id),
        Endpoint::Cancelar(id) => finance::cancelar(&mut store, &id, &request),
        Endpoint::CentralTitulos => finance::central_titulos(&store, &ctx, customer, &request),
        Endpoint::LiberacaoPromessa => unlock::liberacao_promessa(&mut store, None, &request),
        Endpoint::CentralPromessa => unlock::central_promessa(&mut store, customer, &request),
        Endpoint::Chamado => tickets::chamado(&mut store, &request),
        Endpoint::OcorrenciaList => tickets::ocorrencia_list(&store, &request),
        Endpoint::OrdemServicoList => tickets::ordem_servico_list(&store, &request),
        Endpoint::Catalogue(catalogue) => tickets::catalogue(catalogue),
    }
}

const NO_CREDENTIALS: &str = "As credenciais de autenticação não foram fornecidas.";
const WRONG_TOKEN: &str = "Credenciais de autenticação incorretas.";
const WRONG_BASIC: &str = "Usuário e/ou senha inválido(s).";

/// Checks Basic, then token + app, then (central endpoints) the customer's own login.
fn authenticate(
    config: &SgpConfig,
    store: &Store,
    central: bool,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Caller, Reply> {
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).unwrap_or_default();
            let expected = format!("{}:{}", config.basic_user, config.basic_password);
            return if decoded == expected.as_bytes() {
                Ok(Caller::Integration)
            } else {
                Err(Reply::Detail(StatusCode::UNAUTHORIZED, WRONG_BASIC))
            };
        }
    }
    let token = params.trimmed("token");
    if !token.is_empty() {
        let app = params.trimmed("app");
        return if token == config.token && app == config.app {
            Ok(Caller::Integration)
        } else {
            Err(Reply::Detail(StatusCode::FORBIDDEN, WRONG_TOKEN))
        };
    }
    let password = params.text("senha").unwrap_or_default();
    if central && !password.is_empty() {
        let login = params.trimmed("usuario");
        let customer = if login.is_empty() {
            store.customer_by_document(&params.trimmed("cpfcnpj"))
        } else {
            store.customers.iter().find(|c| c.central_login() == login)
        };
        return match customer {
            Some(c) if c.central_password == password => Ok(Caller::Customer(c.id)),
            _ => Err(Reply::Detail(StatusCode::FORBIDDEN, WRONG_TOKEN)),
        };
    }
    Err(Reply::Detail(StatusCode::UNAUTHORIZED, NO_CREDENTIALS))
}

/// Formatting settings and links, for handlers.
pub(crate) struct Ctx<'a> {
    pub style: ValueStyle,
    pub base_url: &'a str,
}

impl Ctx<'_> {
    /// Money of títulos/faturas in the configured style.
    pub(crate) fn money(&self, cents: u64) -> Value {
        match self.style {
            ValueStyle::Iso => py_money(cents),
            ValueStyle::Brazilian => Value::String(cents_comma(cents)),
        }
    }

    /// A date of títulos/faturas in the configured style.
    pub(crate) fn date(&self, date: NaiveDate) -> Value {
        match self.style {
            ValueStyle::Iso => Value::String(iso_date(date)),
            ValueStyle::Brazilian => Value::String(date.format("%d/%m/%Y").to_string()),
        }
    }

    /// An optional date: `null` when absent.
    pub(crate) fn opt_date(&self, date: Option<NaiveDate>) -> Value {
        date.map_or(Value::Null, |d| self.date(d))
    }
}

/// Money as a JSON number written as Python prints a float: `9990` → `99.9`, `3000` → `30.0`,
/// `10207` → `102.07`.
pub(crate) fn py_money(cents: u64) -> Value {
    let whole = cents / 100;
    let fraction = cents % 100;
    let text = if fraction.is_multiple_of(10) {
        format!("{whole}.{}", fraction / 10)
    } else {
        format!("{whole}.{fraction:02}")
    };
    text.parse::<serde_json::Number>().map_or_else(|_| json!(whole), Value::Number)
}

/// `2026-05-15`.
pub(crate) fn iso_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `15/05/2026`.
pub(crate) fn br_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// Strict `AAAA-MM-DD`.
pub(crate) fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// A boolean parameter: `1`, `true`, `sim`, `s` (any case) are true (*inferred* spellings;
/// the docs use `1`).
pub(crate) fn flag(params: &Params, key: &str) -> bool {
    matches!(params.trimmed(key).to_ascii_lowercase().as_str(), "1" | "true" | "sim" | "s" | "on")
}

/// An optional numeric id parameter: `Ok(None)` when absent or empty, an error when not a
/// number.
pub(crate) fn id_param(params: &Params, key: &str) -> Result<Option<u64>, Reply> {
    let text = params.trimmed(key);
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| Reply::error(format!("Parâmetro {key} inválido: {text}")))
}

/// An optional `AAAA-MM-DD` parameter: an error when present in another form.
pub(crate) fn date_param(params: &Params, key: &str) -> Result<Option<NaiveDate>, Reply> {
    let text = params.trimmed(key);
    if text.is_empty() {
        return Ok(None);
    }
    parse_iso_date(&text)
        .map(Some)
        .ok_or_else(|| Reply::error(format!("Data inválida em {key}: {text}. Use o formato AAAA-MM-DD.")))
}

/// An optional money parameter (`"51.52"`, `"51,52"`).
pub(crate) fn money_param(params: &Params, key: &str) -> Result<Option<u64>, Reply> {
    let text = params.trimmed(key);
    if text.is_empty() {
        return Ok(None);
    }
    parse_cents(&text).map(Some).ok_or_else(|| Reply::error(format!("Valor inválido em {key}: {text}")))
}

/// `offset` and `limit`: defaults, and `limit` capped at `max` (*inferred*: capped, not
/// refused).
pub(crate) fn page_params(params: &Params, default_limit: u64, max: u64) -> Result<(u64, u64), Reply> {
    let offset = id_param(params, "offset")?.unwrap_or(0);
    let limit = id_param(params, "limit")?.unwrap_or(default_limit).min(max);
    Ok((offset, limit))
}

/// `paginacao` and the page of `items`.
pub(crate) fn paginate(items: Vec<Value>, offset: u64, limit: u64) -> (Value, Vec<Value>) {
    let total = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    (json!({ "offset": offset, "limit": limit, "parcial": page.len(), "total": total }), page)
}

/// Money as the text of plan prices: `"99.90"`.
pub(crate) fn price(cents: u64) -> Value {
    Value::String(cents_dot(cents))
}

/// What a handler answers.
#[derive(Debug)]
pub(crate) enum Reply {
    /// HTTP 200, JSON.
    Json(Value),
    /// Django REST framework's `{"detail": ...}` with a status (401 ones carry
    /// `WWW-Authenticate`).
    Detail(StatusCode, &'static str),
    /// HTTP 405 for this method.
    MethodNotAllowed(String),
    /// HTTP 404, Django's page.
    NotFound,
    /// HTTP 200, an HTML page.
    Html(String),
    /// HTTP 200, a PDF.
    Pdf(Vec<u8>),
}

impl Reply {
    /// HTTP 200 `{"status":0,"msg":...}`.
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Reply::Json(json!({ "status": 0, "msg": message.into() }))
    }
}

fn html_header() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))]
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
            Reply::Detail(status, detail) => {
                let mut response = json_response(status, &json!({ "detail": detail }));
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"api\""));
                }
                response
            }
            Reply::MethodNotAllowed(method) => json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({ "detail": format!("Método \"{method}\" não é permitido.") }),
            ),
            Reply::NotFound => (
                StatusCode::NOT_FOUND,
                html_header(),
                "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  \
                 <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n",
            )
                .into_response(),
            Reply::Html(page) => (html_header(), page).into_response(),
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
    fn money_is_written_as_python_floats() {
        assert_eq!(py_money(9990).to_string(), "99.9");
        assert_eq!(py_money(3000).to_string(), "30.0");
        assert_eq!(py_money(10207).to_string(), "102.07");
        assert_eq!(py_money(5).to_string(), "0.05");
        assert_eq!(py_money(0).to_string(), "0.0");
    }

    #[test]
    fn endpoints_resolve_with_or_without_trailing_slash() {
        assert_eq!(Endpoint::resolve("ura/consultacliente/"), Some(Endpoint::ConsultaCliente));
        assert_eq!(Endpoint::resolve("ura/consultacliente"), Some(Endpoint::ConsultaCliente));
        assert_eq!(Endpoint::resolve("banco/titulo/1001/baixar/"), Some(Endpoint::Baixar("1001".into())));
        assert_eq!(Endpoint::resolve("ura/verificaacesso/"), None);
        assert!(Endpoint::resolve("ura/pagamento/pix/1001").is_some_and(|e| e.allows(&Method::GET)));
        assert!(Endpoint::resolve("ura/titulos/").is_some_and(|e| !e.allows(&Method::GET)));
    }

    #[test]
    fn debug_redacts_secrets() {
        let text = format!("{:?}", SgpConfig::default());
        assert!(!text.contains(DEMO_TOKEN) && !text.contains(DEMO_BASIC_PASSWORD), "{text}");
        assert!(text.contains(DEMO_APP));
    }
}
