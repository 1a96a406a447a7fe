//! PlugStorage's HTTP API (TecnoSpeed's fiscal XML/PDF storage), as the seeds
//! `plugstorage-guide.pt.txt` (the guide) and `plugstorage-auth-errors.pt.txt` (the auth
//! errors) describe it.
//!
//! Confidence tags: \[H\] the seeds (TecnoSpeed's own articles); \[M\] two or more public client
//! integrations agree; \[L\] one client. Everything marked *inferred* is this simulator's choice
//! where nothing says; check it against the real service before depending on it.
//!
//! # Transport and auth
//!
//! - The root is `<base>/api/` (\[H\]: `https://app.plugstorage.com.br/api/`); the routes are
//!   served under `/api/` and, the same, under `/api/v2/` (\[M\] clients use both).
//! - Every request carries the software house's **`token`** in the query string and the
//!   client's **`Authorization: Basic base64(email:senha)`** (\[H\]). Checks run in the seed's
//!   order, each refusal a **401** `{"error": true, "message": "..."}` with the seed's exact
//!   message (\[H\]; the order between groups is *inferred*):
//!
//! | case | [`AuthCase`] | message |
//! |---|---|---|
//! | no `token` | [`AuthCase::TokenMissing`] | [`MSG_TOKEN_MISSING`] |
//! | unknown `token` | [`AuthCase::TokenInvalid`] | [`MSG_TOKEN_INVALID`] |
//! | partner account inactive | [`AuthCase::PartnerInactive`] | [`MSG_PARTNER_INACTIVE`] |
//! | partner trial expired | [`AuthCase::PartnerTrialExpired`] | [`MSG_PARTNER_TRIAL_EXPIRED`] |
//! | no Basic credentials (no header, another scheme, not base64, or empty email and password: *inferred*) | [`AuthCase::CredentialsMissing`] | [`MSG_CREDENTIALS_MISSING`] |
//! | unknown e-mail | [`AuthCase::UserNotFound`] | [`MSG_USER_NOT_FOUND`] |
//! | wrong password | [`AuthCase::WrongPassword`] | [`MSG_WRONG_PASSWORD`] |
//! | user linked to another software house | [`AuthCase::LinkedElsewhere`] | [`MSG_LINKED_ELSEWHERE`] |
//! | link not active | [`AuthCase::LinkInactive`] | [`MSG_LINK_INACTIVE`] |
//! | link trial expired | [`AuthCase::LinkTrialExpired`] | [`MSG_LINK_TRIAL_EXPIRED`] |
//!
//! The partner's and the link's states are [`PlugStorageConfig::partner`] and
//! [`PlugStorageConfig::link`]. The seed lists no "inactive user" case: none is served.
//!
//! # Endpoints
//!
//! | endpoint | conf. |
//! |---|---|
//! | `GET /api/invoices/keys`: the stored documents, 30 a page | params \[M\], fields \[M\] except the recipient's (*inferred*) |
//! | `GET /api/invoices/export`: one document's XML or PDF | params \[M\], PDF path \[L\] |
//!
//! `invoices/keys` reads `date_ini` and `date_end` (`AAAA-MM-DD`, both required: *inferred*,
//! every client sends them; a missing or malformed one is 400 `{"error": true, "message":
//! "Parâmetro date_ini inválido."}`), `mod` (`NFE`, `NFCE`, `NFCOM`, `CTE`; absent: all,
//! *inferred*), `transaction` (`sent`, the notes the account issued, or `received`, notes
//! against its CNPJ: every note here is `sent`; absent: `sent`, *inferred*), `cpf_cnpj` (the
//! account's own document; another one lists nothing, *inferred*), `limit` (at most 30, the
//! default) and `last_id` (the `last_id` of the previous page). The answer:
//! `{"error": false, "message": "...", "data": {"invoices": [...], "count", "total", "last_id"}}`
//! (\[M\]), each invoice `{id, key, mod, number, serie, date_emission, value, situation,
//! cnpj_emitter, razao_social, fantasia}` (\[M\]: `value` a JSON number) plus the recipient's
//! `cpf_cnpj_destinatario` and `nome_destinatario` (*inferred*: an adapter must filter notes by
//! customer, and the route's own documentation is not in the seeds).
//!
//! `invoices/export` reads `invoice_key` (44 digits, else 400 `"O campo deve conter 44
//! caracteres"`, \[L\] from the "destinadas" route), `mode` (`XML`, `PDF`; \[M\]), `return_type`
//! (`ENCODE`: base64 in JSON, `XML`: the raw XML; \[M\]) and ignores `downloaded` and `resume`.
//! Answers: PDF `{"error": false, "message", "data": {"xml": {"data": {"pdf": "<base64>"}}}}`
//! (\[L\], one client reads it there); XML `{"error": false, "message", "data": {"xml":
//! "<base64>"}}` (\[M\]); raw XML as `application/xml`. An unknown key: 404 `{"error": true,
//! "message": "Nota não encontrada."}` (*inferred*).
//!
//! Unknown paths: 404 `{"error": true, "message": "Rota não encontrada."}`; another method:
//! 405 likewise (*inferred*).
//!
//! # Faults
//!
//! The shared [`faults`](crate::faults) apply to every `/api/` request. PlugStorage's flavour
//! (*inferred*): [`Fault::Status`] 401 is the invalid-token refusal, 5xx a proxy's HTML error
//! page, others an empty body; [`Fault::Garbage`] is HTTP 200 with the web portal's HTML login
//! page; [`Fault::BusinessError`] is HTTP 400 `{"error": true, "message": ...}`.
//!
//! [`Fault::Status`]: crate::faults::Fault::Status
//! [`Fault::Garbage`]: crate::faults::Fault::Garbage
//! [`Fault::BusinessError`]: crate::faults::Fault::BusinessError

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::params::Params;
use crate::{Core, FaultFlavor, Simulator};

pub mod data;

/// 401: no `token` in the query string.
pub const MSG_TOKEN_MISSING: &str = "Parâmetro token não informado.";
/// 401: a `token` no partner has.
pub const MSG_TOKEN_INVALID: &str = "Token de integração inválido: não corresponde a nenhum parceiro.";
/// 401: the partner's account is inactive.
pub const MSG_PARTNER_INACTIVE: &str =
    "A conta do Parceiro está inativa no Plug Storage, entre em contato para mais informações.";
/// 401: the partner's trial account expired.
pub const MSG_PARTNER_TRIAL_EXPIRED: &str =
    "Conta Trial da Software House expirou, entre em contato com seu Parceiro para mais informações.";
/// 401: no e-mail and password.
pub const MSG_CREDENTIALS_MISSING: &str = "Não foram enviadas credenciais (email e senha)";
/// 401: unknown e-mail.
pub const MSG_USER_NOT_FOUND: &str = "Usuário informado não localizado";
/// 401: wrong password.
pub const MSG_WRONG_PASSWORD: &str = "Credenciais inválidas: Senha incorreta.";
/// 401: the user belongs to another software house.
pub const MSG_LINKED_ELSEWHERE: &str = "Não existe vínculo entre o usuário e Software House informados.";
/// 401: the partner-user link is not active (the seed's text, ending where it ends).
pub const MSG_LINK_INACTIVE: &str =
    "Não foi possível concluir a operação pois o status do vínculo entre parceiro e usuário está igual a ";
/// 401: the partner-user link's trial ended.
pub const MSG_LINK_TRIAL_EXPIRED: &str = "Não foi possível concluir a operação pois os dias de demonstração cessaram.";

/// Every auth refusal of the seed, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthCase {
    /// No `token`.
    TokenMissing,
    /// Unknown `token`.
    TokenInvalid,
    /// Partner account inactive.
    PartnerInactive,
    /// Partner trial expired.
    PartnerTrialExpired,
    /// No Basic credentials.
    CredentialsMissing,
    /// Unknown e-mail.
    UserNotFound,
    /// Wrong password.
    WrongPassword,
    /// The user is linked to another software house.
    LinkedElsewhere,
    /// The link is not active.
    LinkInactive,
    /// The link's trial expired.
    LinkTrialExpired,
}

impl AuthCase {
    /// Every case, in check order.
    pub const ALL: [AuthCase; 10] = [
        AuthCase::TokenMissing,
        AuthCase::TokenInvalid,
        AuthCase::PartnerInactive,
        AuthCase::PartnerTrialExpired,
        AuthCase::CredentialsMissing,
        AuthCase::UserNotFound,
        AuthCase::WrongPassword,
        AuthCase::LinkedElsewhere,
        AuthCase::LinkInactive,
        AuthCase::LinkTrialExpired,
    ];

    /// The seed's message.
    pub fn message(self) -> &'static str {
        match self {
            AuthCase::TokenMissing => MSG_TOKEN_MISSING,
            AuthCase::TokenInvalid => MSG_TOKEN_INVALID,
            AuthCase::PartnerInactive => MSG_PARTNER_INACTIVE,
            AuthCase::PartnerTrialExpired => MSG_PARTNER_TRIAL_EXPIRED,
            AuthCase::CredentialsMissing => MSG_CREDENTIALS_MISSING,
            AuthCase::UserNotFound => MSG_USER_NOT_FOUND,
            AuthCase::WrongPassword => MSG_WRONG_PASSWORD,
            AuthCase::LinkedElsewhere => MSG_LINKED_ELSEWHERE,
            AuthCase::LinkInactive => MSG_LINK_INACTIVE,
            AuthCase::LinkTrialExpired => MSG_LINK_TRIAL_EXPIRED,
        }
    }
}

/// The partner's (software house's) account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Partner {
    /// Active.
    #[default]
    Active,
    /// Inactive.
    Inactive,
    /// A trial that expired.
    TrialExpired,
}

/// The link between the partner and the client user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Link {
    /// Active.
    #[default]
    Active,
    /// The user belongs to another software house.
    OtherSoftwareHouse,
    /// Not active.
    Inactive,
    /// A trial link whose days ended.
    TrialExpired,
}

/// The token [`PlugStorageConfig::default`] accepts.
pub const DEMO_TOKEN: &str = "9b1c4e7a2f3d8e6b0a5c1d4f7e2b9a8c3d6f0e1a";
/// The client e-mail [`PlugStorageConfig::default`] accepts.
pub const DEMO_EMAIL: &str = "fiscal@ponte-demo.example";
/// That client's password.
pub const DEMO_PASSWORD: &str = "ponte-demo-plugstorage-password";

/// How the simulated PlugStorage authenticates.
#[derive(Clone, Default)]
pub struct PlugStorageConfig {
    /// The software house's integration token.
    pub token: String,
    /// The client user's e-mail (compared without case).
    pub email: String,
    /// The client user's password.
    pub password: String,
    /// The partner's account state.
    pub partner: Partner,
    /// The partner-user link's state.
    pub link: Link,
}

impl PlugStorageConfig {
    /// [`DEMO_TOKEN`], [`DEMO_EMAIL`], [`DEMO_PASSWORD`], everything active.
    pub fn demo() -> Self {
        Self {
            token: DEMO_TOKEN.to_owned(),
            email: DEMO_EMAIL.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            ..Self::default()
        }
    }

    /// The `Authorization` header value: `Basic base64(email:password)`.
    pub fn basic_authorization(&self) -> String {
        format!("Basic {}", STANDARD.encode(format!("{}:{}", self.email, self.password)))
    }
}

impl std::fmt::Debug for PlugStorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlugStorageConfig")
            .field("token", &"<redacted>")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("partner", &self.partner)
            .field("link", &self.link)
            .finish()
    }
}

/// Starts a simulated PlugStorage on `listener` with the documents of [`data`].
///
/// # Errors
/// When the listener's local address can't be read.
pub async fn spawn(listener: tokio::net::TcpListener, config: PlugStorageConfig) -> std::io::Result<Simulator> {
    let core = Arc::new(Core::new("plugstorage"));
    let app = Arc::new(App { config, notes: data::notes() });
    let api = crate::with_faults(
        Router::new().route("/api/{*path}", any(handle)).with_state(app),
        core.clone(),
        FaultFlavor { status: fault_status, garbage: fault_garbage, business_error: fault_business_error },
    );
    crate::serve(listener, core, api)
}

struct App {
    config: PlugStorageConfig,
    notes: Vec<data::Note>,
}

/// `{"error": true, "message": ...}` with a status.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": true, "message": message }))).into_response()
}

fn fault_status(status: StatusCode) -> Response {
    match status.as_u16() {
        401 => error(StatusCode::UNAUTHORIZED, MSG_TOKEN_INVALID),
        500..=599 => {
            let code = status.as_u16();
            let reason = status.canonical_reason().unwrap_or("Error");
            let page = format!(
                "<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>\n"
            );
            (status, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")], page).into_response()
        }
        _ => status.into_response(),
    }
}

fn fault_garbage() -> Response {
    let page = "<!DOCTYPE html><html lang=\"pt-br\"><head><title>PlugStorage - Login</title></head>\
                <body><form method=\"post\" action=\"/login\"><input name=\"email\"><input type=\"password\" name=\"senha\">\
                <button>Entrar</button></form></body></html>\n";
    ([(header::CONTENT_TYPE, "text/html; charset=UTF-8")], page).into_response()
}

fn fault_business_error(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

async fn handle(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let route = path.strip_prefix("v2/").unwrap_or(&path).trim_end_matches('/');
    if route != "invoices/keys" && route != "invoices/export" {
        return error(StatusCode::NOT_FOUND, "Rota não encontrada.");
    }
    if method != Method::GET {
        return error(StatusCode::METHOD_NOT_ALLOWED, "Método não permitido.");
    }
    let params = Params::from_query(uri.query().unwrap_or(""));
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some(case) = refusal(&app.config, &params, auth) {
        return error(StatusCode::UNAUTHORIZED, case.message());
    }
    if route == "invoices/keys" { keys(&app, &params) } else { export(&app, &params) }
}

/// The auth case a request falls in, or `None` when it is let through.
pub(crate) fn refusal(config: &PlugStorageConfig, params: &Params, authorization: Option<&str>) -> Option<AuthCase> {
    let token = params.trimmed("token");
    if token.is_empty() {
        return Some(AuthCase::TokenMissing);
    }
    if token != config.token {
        return Some(AuthCase::TokenInvalid);
    }
    match config.partner {
        Partner::Inactive => return Some(AuthCase::PartnerInactive),
        Partner::TrialExpired => return Some(AuthCase::PartnerTrialExpired),
        Partner::Active => {}
    }
    let Some((email, password)) = basic_credentials(authorization) else {
        return Some(AuthCase::CredentialsMissing);
    };
    if !email.eq_ignore_ascii_case(&config.email) {
        return Some(AuthCase::UserNotFound);
    }
    if password != config.password {
        return Some(AuthCase::WrongPassword);
    }
    match config.link {
        Link::OtherSoftwareHouse => Some(AuthCase::LinkedElsewhere),
        Link::Inactive => Some(AuthCase::LinkInactive),
        Link::TrialExpired => Some(AuthCase::LinkTrialExpired),
        Link::Active => None,
    }
}

/// `email` and `password` of a `Basic` header; `None` when there are none to read.
fn basic_credentials(authorization: Option<&str>) -> Option<(String, String)> {
    let value = authorization?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (email, password) = decoded.split_once(':')?;
    if email.is_empty() && password.is_empty() {
        return None;
    }
    Some((email.to_owned(), password.to_owned()))
}

/// Page size of `invoices/keys` (\[M\]: clients page while `count` is 30).
const PAGE: usize = 30;

/// A required `AAAA-MM-DD` parameter, or the refusal's message.
fn date_param(params: &Params, name: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&params.trimmed(name), "%Y-%m-%d").map_err(|_| format!("Parâmetro {name} inválido."))
}

/// `GET invoices/keys`.
fn keys(app: &App, params: &Params) -> Response {
    let (from, to) = match (date_param(params, "date_ini"), date_param(params, "date_end")) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let model = params.trimmed("mod").to_ascii_uppercase();
    let transaction = params.trimmed("transaction").to_ascii_lowercase();
    if !transaction.is_empty() && transaction != "sent" && transaction != "received" {
        return error(StatusCode::BAD_REQUEST, "Parâmetro transaction inválido.");
    }
    let account = params.trimmed("cpf_cnpj").chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    let limit = params.trimmed("limit").parse::<usize>().map_or(PAGE, |n| n.clamp(1, PAGE));
    let after = params.trimmed("last_id").parse::<u64>().unwrap_or(0);
    // Every stored note was issued by the account itself: none is "received".
    let listed = transaction != "received" && (account.is_empty() || account == data::PROVIDER_CNPJ_DIGITS);
    let matching: Vec<&data::Note> = app
        .notes
        .iter()
        .filter(|_| listed)
        .filter(|n| model.is_empty() || n.mod_name() == model)
        .filter(|n| NaiveDate::parse_from_str(n.issued, "%Y-%m-%d").is_ok_and(|d| d >= from && d <= to))
        .collect();
    let page: Vec<&data::Note> = matching.iter().copied().filter(|n| n.id > after).take(limit).collect();
    let invoices: Vec<Value> = page.iter().map(|n| listing(n)).collect();
    let last_id = page.last().map_or(Value::Null, |n| json!(n.id));
    axum::Json(json!({
        "error": false,
        "message": "Consulta realizada com sucesso.",
        "data": { "invoices": invoices, "count": page.len(), "total": matching.len(), "last_id": last_id },
    }))
    .into_response()
}

fn listing(note: &data::Note) -> Value {
    // `value` is a JSON number, as PHP's json_encode writes a float (99.9).
    let value: f64 = crate::payment::cents_dot(note.cents).parse().unwrap_or(0.0);
    json!({
        "id": note.id,
        "key": note.key,
        "mod": note.mod_name(),
        "number": note.number.to_string(),
        "serie": note.series.to_string(),
        "date_emission": note.issued,
        "value": value,
        "situation": note.situation,
        "cnpj_emitter": data::PROVIDER_CNPJ_DIGITS,
        "razao_social": data::PROVIDER_NAME,
        "fantasia": "Ponte Fibra",
        "cpf_cnpj_destinatario": note.dest_document,
        "nome_destinatario": note.dest_name,
    })
}

/// `GET invoices/export`.
fn export(app: &App, params: &Params) -> Response {
    let key = params.trimmed("invoice_key");
    if key.len() != 44 {
        return error(StatusCode::BAD_REQUEST, "O campo deve conter 44 caracteres");
    }
    let Some(note) = app.notes.iter().find(|n| n.key == key) else {
        return error(StatusCode::NOT_FOUND, "Nota não encontrada.");
    };
    let mode = params.trimmed("mode").to_ascii_uppercase();
    let return_type = params.trimmed("return_type").to_ascii_uppercase();
    match mode.as_str() {
        "PDF" => axum::Json(json!({
            "error": false,
            "message": "PDF gerado com sucesso.",
            "data": { "xml": { "data": { "pdf": STANDARD.encode(data::pdf(note)) } } },
        }))
        .into_response(),
        "XML" | "" if return_type == "XML" => {
            ([(header::CONTENT_TYPE, "application/xml; charset=UTF-8")], data::xml(note)).into_response()
        }
        "XML" | "" => axum::Json(json!({
            "error": false,
            "message": "XML encontrado.",
            "data": { "xml": STANDARD.encode(data::xml(note)) },
        }))
        .into_response(),
        _ => error(StatusCode::BAD_REQUEST, "Parâmetro mode inválido."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_is_reachable_in_order() {
        let ok = PlugStorageConfig::demo();
        let basic = ok.basic_authorization();
        let with_token = |t: &str| Params::from_query(&format!("token={t}"));
        let good = with_token(DEMO_TOKEN);
        let case = |config: &PlugStorageConfig, params: &Params, auth: Option<&str>| refusal(config, params, auth);
        assert_eq!(case(&ok, &Params::default(), Some(&basic)), Some(AuthCase::TokenMissing));
        assert_eq!(case(&ok, &with_token("nope"), Some(&basic)), Some(AuthCase::TokenInvalid));
        let partner = |partner| PlugStorageConfig { partner, ..PlugStorageConfig::demo() };
        assert_eq!(case(&partner(Partner::Inactive), &good, Some(&basic)), Some(AuthCase::PartnerInactive));
        assert_eq!(case(&partner(Partner::TrialExpired), &good, Some(&basic)), Some(AuthCase::PartnerTrialExpired));
        assert_eq!(case(&ok, &good, None), Some(AuthCase::CredentialsMissing));
        assert_eq!(case(&ok, &good, Some("Bearer x")), Some(AuthCase::CredentialsMissing));
        assert_eq!(case(&ok, &good, Some("Basic Og==")), Some(AuthCase::CredentialsMissing));
        let other = PlugStorageConfig { email: "x@y.z".into(), ..PlugStorageConfig::demo() }.basic_authorization();
        assert_eq!(case(&ok, &good, Some(&other)), Some(AuthCase::UserNotFound));
        let wrong = PlugStorageConfig { password: "no".into(), ..PlugStorageConfig::demo() }.basic_authorization();
        assert_eq!(case(&ok, &good, Some(&wrong)), Some(AuthCase::WrongPassword));
        let link = |link| PlugStorageConfig { link, ..PlugStorageConfig::demo() };
        assert_eq!(case(&link(Link::OtherSoftwareHouse), &good, Some(&basic)), Some(AuthCase::LinkedElsewhere));
        assert_eq!(case(&link(Link::Inactive), &good, Some(&basic)), Some(AuthCase::LinkInactive));
        assert_eq!(case(&link(Link::TrialExpired), &good, Some(&basic)), Some(AuthCase::LinkTrialExpired));
        assert_eq!(case(&ok, &good, Some(&basic)), None);
    }
}
