//! DocSales' API (web.docsales.com): sales documents ("propostas"), as the seed
//! `seeds/docsales-api.pt.txt` describes it. Not an ERP: a third-party service an adapter calls
//! to turn an order into a proposal.
//!
//! The seed names the four endpoints, what each is for, the API token (generated under
//! CONFIGURAÇÕES → Integrações) and the cap: **200 successful creations a month per account**,
//! only successful calls counted. It documents no header, no JSON shape and no error answer
//! (the technical docs at `/api-docs/` are not available offline): everything marked
//! *inferred* below is this simulator's most plausible choice; check those against the real
//! service before depending on them.
//!
//! # Transport and auth
//!
//! - Paths sit under `/api/v1/` (seed). JSON in, JSON out (*inferred*: the docs are Swagger).
//! - The token travels in **`Authorization: Token <token>`** (*inferred*, the Rails/DRF
//!   convention); `Authorization: Bearer <token>` and a bare `token: <token>` header are
//!   accepted too (*inferred* leniency). Missing or wrong: **401**
//!   `{"error":"Token de acesso inválido ou ausente"}` (*inferred*).
//! - Errors are `{"error": "<message in Portuguese>"}`; validation errors add
//!   `"errors": {"<field>": ["<message>", ...]}` with the fields at fault (*inferred*, Rails'
//!   422 shape). Unknown paths and records: **404** `{"error":"Registro não encontrado"}`.
//! - Ids are JSON numbers; a request may send them as numbers or numeric strings (*inferred*).
//!   Money is a string `"99.90"` (*inferred*).
//!
//! # Endpoints
//!
//! | endpoint | what |
//! |---|---|
//! | `GET /api/v1/customers/{customer_id}/proposals` | the customer's proposals (summaries), newest first; `customer_id` is DocSales' id, the customer's code or the CPF/CNPJ (digits or masked) (seed; answer shape *inferred*: `{"customer": {...}, "proposals": [...]}`) |
//! | `GET /api/v1/proposals/{id}` | one proposal in full, by id or `external_uuid` (seed; shape *inferred*) |
//! | `GET /api/v1/registration-data` | `{signature_types, payment_methods, products, templates, signer_roles, sellers}` (seed's six lists; shapes *inferred*) |
//! | `POST /api/v1/proposals` | creates a proposal; **201** with it in full, `external_uuid` generated (seed: "o código interno que o sistema gera quando um documento é criado via API") |
//!
//! # Creation
//!
//! The body is `{"proposal": {...}}` or the object itself (*inferred*, Rails' wrapped params
//! with leniency):
//!
//! ```json
//! {"proposal": {
//!   "template_id": 7, "signature_type": "digital", "payment_method_id": 1, "seller_id": 21,
//!   "title": "Fibra 300 Mega", "notes": "...",
//!   "customer": {"name": "...", "cpf_cnpj": "714.602.380-01", "code": "...", "email": "...", "phone": "..."},
//!   "items": [{"product_id": 11, "quantity": 1, "unit_price": "99.90"}],
//!   "signers": [{"name": "...", "email": "...", "role_id": 1}]
//! }}
//! ```
//!
//! `template_id`, `signature_type`, `customer.name` and at least one item are required;
//! `payment_method_id`, `seller_id`, `signers` optional; every id must be in the registration
//! data. Otherwise **422** with every field at fault (*inferred*). A customer may instead be
//! named by `customer_id` (DocSales' id). A customer whose CPF/CNPJ (or code) DocSales knows is
//! reused, otherwise created (*inferred*). `unit_price` defaults to the product's price.
//!
//! # The monthly limit
//!
//! At most [`DocSalesConfig::monthly_limit`] (default 200, the seed's) successful creations per
//! calendar month (Brasília time, *inferred*; the real clock, unlike the ERP datasets'
//! reference date). The next answers **429** `{"error":"Limite mensal de 200 documentos criados
//! via API atingido. ..."}` (*inferred* status and text). Refused and invalid creations don't
//! count (seed: "São contabilizadas apenas chamadas que foram realizadas com sucesso").
//!
//! For tests the simulator counts, in [`Simulator::count`] and `GET /__sim/counts`:
//! [`CREATION_REQUESTS`], every `POST /api/v1/proposals` received (refused, invalid and
//! faulted ones included), and [`CREATIONS`], the proposals created. A test proves a caller
//! refused a creation *without* calling DocSales by the first staying put.
//!
//! # Faults
//!
//! The shared [`faults`](crate::faults) apply to every request under `/api/`. DocSales' flavour
//! (*inferred*: a Rails app): [`Fault::Status`] 5xx gets Rails' HTML "We're sorry" page, 401
//! the JSON refusal above, others `{"error": "<reason>"}`; [`Fault::Garbage`] is HTTP 200 with
//! the HTML login page; [`Fault::BusinessError`] is 422 `{"error": msg, "errors": {"base": [msg]}}`.
//!
//! [`Fault::Status`]: crate::faults::Fault::Status
//! [`Fault::Garbage`]: crate::faults::Fault::Garbage
//! [`Fault::BusinessError`]: crate::faults::Fault::BusinessError

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value, json};

use crate::payment::{cents_dot, parse_cents};
use crate::people::{COMPANY_CNPJ, COMPANY_ID};
use crate::{Core, FaultFlavor, Simulator};

/// The token [`DocSalesConfig::default`] accepts.
pub const DEMO_TOKEN: &str = "ds_live_2b7e9c41f0a34d8e9b61c5a7d3e2f180";

/// [`Simulator::count`] name: `POST /api/v1/proposals` requests received, whatever came of them.
pub const CREATION_REQUESTS: &str = "creation_requests";
/// [`Simulator::count`] name: proposals created through the API.
pub const CREATIONS: &str = "creations";

/// The seeded customer's DocSales id (the seed's example).
pub const SEED_CUSTOMER_ID: u64 = 48011;
/// The seeded customer's code (its id in the provider's ERP).
pub const SEED_CUSTOMER_CODE: &str = COMPANY_ID;
/// The seeded customer's CNPJ (alphanumeric).
pub const SEED_CUSTOMER_CNPJ: &str = COMPANY_CNPJ;
/// The seeded proposal's id (the seed's example), made in the web app (no `external_uuid`).
pub const SEED_PROPOSAL_ID: u64 = 44073;

/// Registration data: templates (`id`, name).
pub const TEMPLATES: &[(u64, &str)] =
    &[(7, "Proposta comercial - Internet Fibra"), (8, "Contrato de adesão - Empresarial")];
/// Registration data: signature types (`id`, name).
pub const SIGNATURE_TYPES: &[(&str, &str)] = &[("paper", "Papel"), ("digital", "Digital")];
/// Registration data: payment methods (`id`, name).
pub const PAYMENT_METHODS: &[(u64, &str)] =
    &[(1, "Boleto bancário"), (2, "Cartão de crédito"), (3, "PIX"), (4, "Débito automático")];
/// Registration data: products and services (`id`, code, name, price, kind).
pub const PRODUCTS: &[(u64, &str, &str, &str, &str)] = &[
    (11, "FIBRA300", "Fibra 300 Mega", "99.90", "service"),
    (12, "FIBRA600", "Fibra 600 Mega", "129.90", "service"),
    (13, "INSTALACAO", "Taxa de instalação", "150.00", "service"),
    (14, "ROTEADOR", "Roteador Wi-Fi 6 (comodato)", "0.00", "product"),
];
/// Registration data: signer roles (`id`, name).
pub const SIGNER_ROLES: &[(u64, &str)] = &[(1, "Parte"), (2, "Testemunha"), (3, "Representante legal")];
/// Registration data: sellers (`id`, name, e-mail).
pub const SELLERS: &[(u64, &str, &str)] =
    &[(21, "Carlos Vendas", "carlos.vendas@provedor.example"), (22, "Ana Comercial", "ana.comercial@provedor.example")];

/// How the simulated DocSales authenticates and limits creations.
#[derive(Clone)]
pub struct DocSalesConfig {
    /// The API token (CONFIGURAÇÕES → Integrações → TOKEN).
    pub token: String,
    /// Successful creations allowed per calendar month. Default 200 (the seed's).
    pub monthly_limit: u32,
    /// Creations already made this month when the simulator starts (default 0), to reach the
    /// limit without making them all.
    pub created_this_month: u32,
}

impl Default for DocSalesConfig {
    /// Token [`DEMO_TOKEN`], 200 a month, none made yet.
    fn default() -> Self {
        Self { token: DEMO_TOKEN.to_owned(), monthly_limit: 200, created_this_month: 0 }
    }
}

impl std::fmt::Debug for DocSalesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocSalesConfig")
            .field("token", &"<redacted>")
            .field("monthly_limit", &self.monthly_limit)
            .field("created_this_month", &self.created_this_month)
            .finish()
    }
}

/// Starts a simulated DocSales on `listener` with its seed data (one customer,
/// [`SEED_CUSTOMER_ID`], with one proposal, [`SEED_PROPOSAL_ID`]). The listener is already
/// bound, so the simulator answers as soon as this returns.
///
/// # Errors
/// When the listener's local address can't be read.
pub async fn spawn(listener: tokio::net::TcpListener, config: DocSalesConfig) -> std::io::Result<Simulator> {
    let core = Arc::new(Core::new("docsales"));
    let seed =
        now().timestamp_nanos_opt().unwrap_or_default().unsigned_abs() ^ u64::from(listener.local_addr()?.port());
    let state = seed_state(&config, seed);
    let app = Arc::new(App { config, core: core.clone(), state: Mutex::new(state) });
    crate::serve(listener, core, router(app))
}

/// State of one simulated DocSales.
struct App {
    config: DocSalesConfig,
    core: Arc<Core>,
    /// Locked only inside synchronous code, never across an `.await`.
    state: Mutex<Data>,
}

impl App {
    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        // Handlers leave the data consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Customer {
    id: u64,
    code: String,
    name: String,
    cpf_cnpj: String,
    email: String,
    phone: String,
}

impl Customer {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "code": self.code, "name": self.name, "cpf_cnpj": self.cpf_cnpj,
            "email": self.email, "phone": self.phone,
        })
    }
}

struct Data {
    customers: Vec<Customer>,
    /// Proposals in full, as `GET /api/v1/proposals/{id}` answers them.
    proposals: Vec<Value>,
    next_customer: u64,
    next_proposal: u64,
    /// The month (`2026-11`, Brasília) `created_in_month` counts.
    month: String,
    created_in_month: u32,
    /// State of the `external_uuid` generator (splitmix64).
    uuid_state: u64,
}

impl Data {
    fn customer_index(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if let Ok(id) = key.parse::<u64>()
            && let Some(i) = self.customers.iter().position(|c| c.id == id)
        {
            return Some(i);
        }
        if let Some(i) = self.customers.iter().position(|c| !c.code.is_empty() && c.code == key) {
            return Some(i);
        }
        let document = document_key(key);
        (document.len() == 11 || document.len() == 14)
            .then(|| self.customers.iter().position(|c| document_key(&c.cpf_cnpj) == document))
            .flatten()
    }

    fn proposal(&self, key: &str) -> Option<&Value> {
        let key = key.trim();
        self.proposals.iter().find(|p| {
            p["id"].as_u64().is_some_and(|id| id.to_string() == key)
                || p["external_uuid"].as_str().is_some_and(|u| u.eq_ignore_ascii_case(key))
        })
    }

    /// A v4-shaped UUID.
    fn uuid(&mut self) -> String {
        let mut next = || {
            self.uuid_state = self.uuid_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.uuid_state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let (a, b) = (next(), next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

fn seed_state(config: &DocSalesConfig, seed: u64) -> Data {
    let customer = Customer {
        id: SEED_CUSTOMER_ID,
        code: SEED_CUSTOMER_CODE.to_owned(),
        name: "Padaria Pão Quente Ltda".to_owned(),
        cpf_cnpj: SEED_CUSTOMER_CNPJ.to_owned(),
        email: "compras@paoquente.example".to_owned(),
        phone: "(11) 3456-7890".to_owned(),
    };
    let proposal = json!({
        "id": SEED_PROPOSAL_ID,
        "external_uuid": null,
        "number": SEED_PROPOSAL_ID.to_string(),
        "title": "Link dedicado 600 Mega",
        "status": "sent",
        "customer": customer.json(),
        "template": {"id": 8, "name": "Contrato de adesão - Empresarial"},
        "signature_type": {"id": "digital", "name": "Digital"},
        "payment_method": {"id": 1, "name": "Boleto bancário"},
        "seller": {"id": 22, "name": "Ana Comercial", "email": "ana.comercial@provedor.example"},
        "items": [{"product_id": 12, "code": "FIBRA600", "name": "Fibra 600 Mega", "quantity": 1, "unit_price": "129.90", "total": "129.90"}],
        "total": "129.90",
        "signers": [{"name": "João Pereira", "email": "joao@paoquente.example", "role": {"id": 1, "name": "Parte"}}],
        "notes": "",
        "created_at": "2026-05-10T14:32:00-03:00",
        "url": format!("https://web.docsales.com/proposals/{SEED_PROPOSAL_ID}/edit"),
    });
    Data {
        customers: vec![customer],
        proposals: vec![proposal],
        next_customer: SEED_CUSTOMER_ID + 1,
        next_proposal: SEED_PROPOSAL_ID + 1,
        month: current_month(),
        created_in_month: config.created_this_month,
        uuid_state: seed,
    }
}

/// Brasília's offset (UTC−3, no daylight saving since 2019).
const BRASILIA: FixedOffset = match FixedOffset::west_opt(3 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC-3 is a valid offset"),
};

fn brasilia() -> FixedOffset {
    BRASILIA
}

/// The real clock (chrono's `clock` feature is off in this workspace).
fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

fn current_month() -> String {
    now().with_timezone(&brasilia()).format("%Y-%m").to_string()
}

/// The API routes, wrapped in the fault middleware, itself inside the creation counter (so a
/// faulted creation still counts as received).
fn router(app: Arc<App>) -> Router {
    let core = app.core.clone();
    crate::with_faults(
        Router::new()
            .route("/api/v1/customers/{customer_id}/proposals", get(customer_proposals))
            .route("/api/v1/proposals/{id}", get(proposal))
            .route("/api/v1/registration-data", get(registration_data))
            .route("/api/v1/proposals", axum::routing::post(create))
            .route("/api/{*path}", axum::routing::any(not_found))
            .with_state(app),
        core.clone(),
        FaultFlavor { status: fault_status, garbage: fault_garbage, business_error: fault_business_error },
    )
    .layer(axum::middleware::from_fn_with_state(core, count_creations))
}

async fn count_creations(State(core): State<Arc<Core>>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST && request.uri().path().trim_end_matches('/') == "/api/v1/proposals" {
        core.bump(CREATION_REQUESTS);
    }
    next.run(request).await
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

const UNAUTHORIZED: &str = "Token de acesso inválido ou ausente";

fn fault_status(status: StatusCode) -> Response {
    match status.as_u16() {
        401 => unauthorized(),
        500..=599 => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!DOCTYPE html>\n<html><head><title>We're sorry, but something went wrong (500)</title></head>\n\
             <body><div class=\"dialog\"><h1>We're sorry, but something went wrong.</h1></div></body></html>\n",
        )
            .into_response(),
        _ => error(status, status.canonical_reason().unwrap_or("Erro")),
    }
}

fn fault_garbage() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><title>DocSales - Entrar</title></head>\n\
         <body><form action=\"/users/sign_in\" method=\"post\"><input name=\"user[email]\">\
         <input type=\"password\" name=\"user[password]\"><button>Entrar</button></form></body></html>\n",
    )
        .into_response()
}

fn fault_business_error(message: &str) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({ "error": message, "errors": { "base": [message] } })))
        .into_response()
}

/// `Authorization: Token <token>` (or `Bearer`), or a `token` header.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then(|| rest.trim())
        })
        .or_else(|| headers.get("token").and_then(|v| v.to_str().ok()).map(str::trim));
    given.is_some_and(|token| !app.config.token.is_empty() && token == app.config.token)
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, UNAUTHORIZED)
}

async fn not_found(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    error(StatusCode::NOT_FOUND, "Registro não encontrado")
}

async fn customer_proposals(
    State(app): State<Arc<App>>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let data = app.data();
    let Some(index) = data.customer_index(&customer_id) else {
        return error(StatusCode::NOT_FOUND, "Cliente não encontrado");
    };
    let Some(customer) = data.customers.get(index) else {
        return error(StatusCode::NOT_FOUND, "Cliente não encontrado");
    };
    let mut proposals: Vec<Value> = data
        .proposals
        .iter()
        .filter(|p| p["customer"]["id"].as_u64() == Some(customer.id))
        .map(|p| {
            json!({
                "id": p["id"], "external_uuid": p["external_uuid"], "number": p["number"], "title": p["title"],
                "status": p["status"], "total": p["total"], "template": p["template"]["name"],
                "created_at": p["created_at"], "url": p["url"],
            })
        })
        .collect();
    proposals.reverse();
    axum::Json(json!({ "customer": customer.json(), "proposals": proposals })).into_response()
}

async fn proposal(State(app): State<Arc<App>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    match app.data().proposal(&id) {
        Some(p) => axum::Json(p.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "Documento não encontrado"),
    }
}

async fn registration_data(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    axum::Json(json!({
        "signature_types": SIGNATURE_TYPES.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "payment_methods": PAYMENT_METHODS.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "products": PRODUCTS.iter().map(|(id, code, name, price, kind)| {
            json!({"id": id, "code": code, "name": name, "price": price, "kind": kind})
        }).collect::<Vec<_>>(),
        "templates": TEMPLATES.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "signer_roles": SIGNER_ROLES.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "sellers": SELLERS.iter().map(|(id, name, email)| json!({"id": id, "name": name, "email": email})).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// Validation errors by field, Rails style.
#[derive(Default)]
struct Errors(BTreeMap<String, Vec<String>>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: &str) {
        self.0.entry(field.into()).or_default().push(message.to_owned());
    }
}

const REQUIRED: &str = "é obrigatório";
const UNKNOWN: &str = "não encontrado nos dados cadastrais";

/// A scalar as trimmed text (numbers as written); `None` for absent, null, empty, or not a
/// scalar.
fn scalar(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// An id field: required or not, it must then name one of `known`'s ids.
fn id_field<T: Copy>(
    object: &Map<String, Value>,
    field: &str,
    path: &str,
    required: bool,
    known: &[T],
    id_of: impl Fn(&T) -> String,
    errors: &mut Errors,
) -> Option<T> {
    let Some(given) = scalar(object.get(field)) else {
        if required {
            errors.add(path, REQUIRED);
        }
        return None;
    };
    let found = known.iter().find(|k| id_of(k).eq_ignore_ascii_case(&given)).copied();
    if found.is_none() {
        errors.add(path, UNKNOWN);
    }
    found
}

async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&app, &headers) {
        return unauthorized();
    }
    let mut data = app.data();
    let month = current_month();
    if data.month != month {
        data.month = month;
        data.created_in_month = 0;
    }
    if data.created_in_month >= app.config.monthly_limit {
        let limit = app.config.monthly_limit;
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Limite mensal de {limit} documentos criados via API atingido. Para aumentar o limite, \
                 entre em contato com o time de relacionamento do DocSales."
            ),
        );
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => return error(StatusCode::BAD_REQUEST, "Corpo da requisição não é um JSON válido"),
    };
    let object = match parsed.get("proposal").unwrap_or(&parsed) {
        Value::Object(map) => map.clone(),
        _ => {
            let mut errors = Errors::default();
            errors.add("proposal", REQUIRED);
            return invalid(errors);
        }
    };
    let mut errors = Errors::default();
    let template = id_field(&object, "template_id", "template_id", true, TEMPLATES, |t| t.0.to_string(), &mut errors);
    let signature =
        id_field(&object, "signature_type", "signature_type", true, SIGNATURE_TYPES, |s| s.0.to_owned(), &mut errors);
    let payment = id_field(
        &object,
        "payment_method_id",
        "payment_method_id",
        false,
        PAYMENT_METHODS,
        |p| p.0.to_string(),
        &mut errors,
    );
    let seller = id_field(&object, "seller_id", "seller_id", false, SELLERS, |s| s.0.to_string(), &mut errors);

    // The customer: an existing one by DocSales id, or the data of one (reused by document/code).
    let existing = scalar(object.get("customer_id"));
    let customer_data = object.get("customer").and_then(Value::as_object);
    let mut new_customer: Option<Customer> = None;
    let mut customer_index: Option<usize> = None;
    match (existing, customer_data) {
        (Some(id), _) => match id.parse::<u64>().ok().and_then(|id| data.customers.iter().position(|c| c.id == id)) {
            Some(i) => customer_index = Some(i),
            None => errors.add("customer_id", "não encontrado"),
        },
        (None, Some(customer)) => {
            let field = |key: &str| scalar(customer.get(key)).unwrap_or_default();
            let name = field("name");
            if name.is_empty() {
                errors.add("customer.name", REQUIRED);
            }
            let cpf_cnpj = field("cpf_cnpj");
            let key = document_key(&cpf_cnpj);
            if !cpf_cnpj.is_empty() && key.len() != 11 && key.len() != 14 {
                errors.add("customer.cpf_cnpj", "não é um CPF ou CNPJ válido");
            }
            let code = field("code");
            customer_index = data.customers.iter().position(|c| {
                (!key.is_empty() && document_key(&c.cpf_cnpj) == key) || (!code.is_empty() && c.code == code)
            });
            if customer_index.is_none() {
                new_customer =
                    Some(Customer { id: 0, code, name, cpf_cnpj, email: field("email"), phone: field("phone") });
            }
        }
        (None, None) => errors.add("customer", REQUIRED),
    }

    let mut items = Vec::new();
    let mut total_cents: u64 = 0;
    match object.get("items").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, item) in list.iter().enumerate() {
                let Some(item) = item.as_object() else {
                    errors.add(format!("items[{i}]"), "não é um objeto");
                    continue;
                };
                let path = format!("items[{i}].product_id");
                let product = id_field(item, "product_id", &path, true, PRODUCTS, |p| p.0.to_string(), &mut errors);
                let quantity = match scalar(item.get("quantity")) {
                    None => 1,
                    Some(q) => match q.parse::<u64>() {
                        Ok(q) if q > 0 => q,
                        _ => {
                            errors.add(format!("items[{i}].quantity"), "deve ser um número inteiro maior que zero");
                            1
                        }
                    },
                };
                let unit_cents = match scalar(item.get("unit_price")) {
                    None => product.and_then(|p| parse_cents(p.3)).unwrap_or(0),
                    Some(price) => parse_cents(&price).unwrap_or_else(|| {
                        errors.add(format!("items[{i}].unit_price"), "não é um valor válido");
                        0
                    }),
                };
                if let Some((id, code, name, _, _)) = product {
                    let line = unit_cents.saturating_mul(quantity);
                    total_cents = total_cents.saturating_add(line);
                    items.push(json!({
                        "product_id": id, "code": code, "name": name, "quantity": quantity,
                        "unit_price": cents_dot(unit_cents), "total": cents_dot(line),
                    }));
                }
            }
        }
        _ => errors.add("items", "deve ter ao menos um produto ou serviço"),
    }

    let mut signers = Vec::new();
    if let Some(list) = object.get("signers").and_then(Value::as_array) {
        for (i, signer) in list.iter().enumerate() {
            let Some(signer) = signer.as_object() else {
                errors.add(format!("signers[{i}]"), "não é um objeto");
                continue;
            };
            let name = scalar(signer.get("name")).unwrap_or_default();
            let email = scalar(signer.get("email")).unwrap_or_default();
            if name.is_empty() {
                errors.add(format!("signers[{i}].name"), REQUIRED);
            }
            if !email.contains('@') {
                errors.add(format!("signers[{i}].email"), "não é um e-mail válido");
            }
            let path = format!("signers[{i}].role_id");
            let role = id_field(signer, "role_id", &path, true, SIGNER_ROLES, |r| r.0.to_string(), &mut errors);
            if let Some((role_id, role_name)) = role {
                signers.push(json!({"name": name, "email": email, "role": {"id": role_id, "name": role_name}}));
            }
        }
    }

    if !errors.0.is_empty() {
        return invalid(errors);
    }
    let (Some((template_id, template_name)), Some((signature_id, signature_name))) = (template, signature) else {
        // Both are required: a missing one was reported above.
        return invalid(errors);
    };

    let index = match (customer_index, new_customer) {
        (Some(i), _) => i,
        (None, Some(mut customer)) => {
            customer.id = data.next_customer;
            data.next_customer += 1;
            data.customers.push(customer);
            data.customers.len() - 1
        }
        (None, None) => return invalid(errors),
    };
    let customer = data.customers.get(index).map(Customer::json).unwrap_or(Value::Null);
    let id = data.next_proposal;
    data.next_proposal += 1;
    let external_uuid = data.uuid();
    let title = scalar(object.get("title"))
        .unwrap_or_else(|| format!("Proposta {} - {}", id, customer["name"].as_str().unwrap_or_default()));
    let proposal = json!({
        "id": id,
        "external_uuid": external_uuid,
        "number": id.to_string(),
        "title": title,
        "status": "draft",
        "customer": customer,
        "template": {"id": template_id, "name": template_name},
        "signature_type": {"id": signature_id, "name": signature_name},
        "payment_method": payment.map(|(id, name)| json!({"id": id, "name": name})),
        "seller": seller.map(|(id, name, email)| json!({"id": id, "name": name, "email": email})),
        "items": items,
        "total": cents_dot(total_cents),
        "signers": signers,
        "notes": scalar(object.get("notes")).unwrap_or_default(),
        "created_at": now().with_timezone(&brasilia()).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "url": format!("https://web.docsales.com/proposals/{id}/edit"),
    });
    data.proposals.push(proposal.clone());
    data.created_in_month += 1;
    app.core.bump(CREATIONS);
    (StatusCode::CREATED, axum::Json(proposal)).into_response()
}

fn invalid(errors: Errors) -> Response {
    let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
    let message = format!("Não foi possível criar o documento: verifique {}", fields.join(", "));
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({ "error": message, "errors": errors.0 }))).into_response()
}

use crate::people::document_key;
