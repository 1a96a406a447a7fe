//! The console at `/console`: the operators' screens, server-rendered (askama templates in
//! `host/templates/console/`), enhanced by htmx served by the host itself (`hx-boost`: links and
//! forms swap the page without a reload; every page and form works without JavaScript).
//!
//! Signed in with an admin key ([`session`]); a tenant's admin sees its tenant, a platform key
//! every tenant. Every action goes through [`crate::operator`], as the admin API's do: the same
//! checks, the same validation, the same audit trail.
//!
//! - `tenants`: tenants, their automations with health (calls, error rate and p95 over the last
//!   hour) and quota left, connections edited through a form generated from the plugin's
//!   manifest, revisions and rollback.
//! - `activity`: the invocation log (filters, a detail view with the upstream exchanges), the
//!   settlements (retry, resolve), the audit trail.
//! - `keys`: API keys created (shown once), listed, revoked.
//! - `try_it`: one function through the full pipeline, from a form generated from its input's
//!   JSON Schema.

mod activity;
mod i18n;
mod keys;
mod session;
mod tenants;
mod try_it;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use i18n::Lang;
use session::Session;

use crate::api::AppState;
use crate::problem::Problem;

/// What every page's frame shows: the language, who is signed in, the session's form token,
/// and a notice or an error.
pub struct Frame {
    /// The language.
    pub l: Lang,
    /// Whether someone is signed in (the navigation and sign-out show).
    pub signed_in: bool,
    /// Who: the key id and tenant.
    pub who: String,
    /// The form token.
    pub csrf: String,
    /// Whether the key is a platform key (tenant choosers show).
    pub platform: bool,
    /// A notice (`?done=`).
    pub notice: String,
    /// An error.
    pub error: String,
}

impl Frame {
    fn of(session: &Session) -> Frame {
        Frame {
            l: session.lang,
            signed_in: true,
            who: format!("{} · {}", session.caller.key_id, session.caller.tenant),
            csrf: session.csrf.clone(),
            platform: session.caller.is_platform(),
            notice: String::new(),
            error: String::new(),
        }
    }

    fn with_notice(mut self, done: Option<&str>) -> Frame {
        if let Some(done) = done {
            let label = self.l.t(done);
            if label != "?" {
                self.notice = label.to_owned();
            }
        }
        self
    }
}

#[derive(askama::Template)]
#[template(path = "console/message.html")]
struct Message {
    frame: Frame,
    heading: String,
}

/// A template rendered, or a plain 500 if it can't be (a bug: the templates are compiled in).
fn render(template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = Html(html).into_response();
            let headers = response.headers_mut();
            // Never framed (clickjacking), nothing of the page's address sent elsewhere, and
            // never kept by a shared cache (pages may show a new key's token).
            headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static(
                    "frame-ancestors 'none'; default-src 'self'; style-src 'self' 'unsafe-inline'",
                ),
            );
            headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
            headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a console page could not be rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

/// A `403` page.
fn forbidden(lang: Lang, why: &str) -> Response {
    let frame = Frame {
        l: lang,
        signed_in: false,
        who: String::new(),
        csrf: String::new(),
        platform: false,
        notice: String::new(),
        error: why.to_owned(),
    };
    let mut response = render(&Message { frame, heading: lang.t("forbidden").to_owned() });
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// A problem an action met, as a page with its status: the detail, and each field's error.
fn failed(session: &Session, problem: &Problem) -> Response {
    let mut frame = Frame::of(session);
    frame.error = if problem.errors.is_empty() {
        problem.detail.clone()
    } else {
        problem.errors.iter().map(|(field, message)| format!("{field}: {message}")).collect::<Vec<_>>().join("\n")
    };
    let mut response = render(&Message { frame, heading: session.lang.t("failed").to_owned() });
    *response.status_mut() = problem.code.status();
    response
}

/// A JSON value as a page shows it: strings bare, null empty.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The ids of the tenants the session reaches (a tenant key: its own).
async fn tenant_ids(state: &AppState, session: &Session) -> Vec<String> {
    if !session.caller.is_platform() {
        return vec![session.caller.tenant.clone()];
    }
    crate::operator::tenants::list(&state.host, &session.caller)
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t["id"].as_str().map(str::to_owned))
        .collect()
}

/// The tenant a page acts on: a tenant key's own; a platform key's choice among `tenants`, else
/// the first.
fn chosen_tenant(session: &Session, asked: Option<&str>, tenants: &[String]) -> String {
    if !session.caller.is_platform() {
        return session.caller.tenant.clone();
    }
    asked
        .filter(|t| tenants.iter().any(|x| x == t))
        .map(str::to_owned)
        .or_else(|| tenants.first().cloned())
        .unwrap_or_default()
}

/// Adds a `Set-Cookie` to a response.
fn add_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = header::HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// After an action: back to `to` with a notice.
fn done(to: &str, notice: &str) -> Response {
    let separator = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{separator}done={notice}")).into_response()
}

/// A form's fields (`application/x-www-form-urlencoded`), repeated names kept.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Fields {
        Fields(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).map(str::trim).unwrap_or_default().to_owned()
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// The console's routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/tenants") }))
        .route("/console/", get(|| async { Redirect::to("/console/tenants") }))
        .route("/console/assets/htmx.min.js", get(htmx))
        .route("/console/assets/console.css", get(css))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .merge(tenants::router())
        .merge(activity::router())
        .merge(keys::router())
        .merge(try_it::router())
}

async fn htmx() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../assets/htmx.min.js"))
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../assets/console.css"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

#[derive(askama::Template)]
#[template(path = "console/sign_in.html")]
struct SignIn {
    frame: Frame,
}

fn sign_in_form(lang: Lang, error: &str, secure: bool) -> Response {
    let token = session::random_token();
    let frame = Frame {
        l: lang,
        signed_in: false,
        who: String::new(),
        csrf: token.clone(),
        platform: false,
        notice: String::new(),
        error: error.to_owned(),
    };
    let mut response = render(&SignIn { frame });
    add_cookie(
        &mut response,
        &session::set_cookie(session::SIGN_IN_COOKIE, &token, std::time::Duration::from_secs(1800), secure),
    );
    if !error.is_empty() {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    response
}

/// `GET /console/sign-in`.
async fn sign_in_page(request: axum::extract::Request) -> Response {
    let (parts, _) = request.into_parts();
    let lang = session::language(&parts);
    let mut response = sign_in_form(lang, "", session::over_tls(&parts.headers));
    remember_language(&parts, &mut response);
    response
}

/// Keeps an explicit `?lang=` in a cookie.
fn remember_language(parts: &axum::http::request::Parts, response: &mut Response) {
    if let Some(lang) = session::asked_language(parts) {
        let cookie = session::set_cookie(
            session::LANG_COOKIE,
            lang.code(),
            std::time::Duration::from_secs(365 * 86400),
            session::over_tls(&parts.headers),
        );
        add_cookie(response, &cookie);
    }
}

/// `POST /console/sign-in`: an admin key for a session.
async fn sign_in(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let lang = session::language(&parts);
    let secure = session::over_tls(&parts.headers);
    let Ok(body) = axum::body::to_bytes(body, crate::api::MAX_BODY).await else {
        return sign_in_form(lang, lang.t("bad_form"), secure);
    };
    let fields = Fields::parse(&body);
    let expected = session::cookie(&parts.headers, session::SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(fields.get("csrf").unwrap_or_default(), expected) {
        return forbidden(lang, lang.t("bad_form"));
    }
    let address = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let caller =
        match crate::api::authenticate(&state.host, fields.get("key").unwrap_or_default().trim(), address).await {
            Ok(caller) => caller,
            Err(problem) if problem.code == crate::problem::ProblemCode::Unauthorized => {
                return sign_in_form(lang, lang.t("bad_key"), secure);
            }
            Err(problem) => return problem.into_response(),
        };
    if !caller.has_scope(ponte_contract::Scope::Admin) {
        return forbidden(lang, lang.t("not_admin"));
    }
    let value = session::random_token();
    let csrf = session::random_token();
    if let Err(e) = state
        .host
        .store
        .create_console_session(&session::hash(&value), &caller.key_id, &csrf, session::SESSION_TTL)
        .await
    {
        return Problem::store_unavailable(&e, "").into_response();
    }
    tracing::info!(key = %caller.key_id, tenant = %caller.tenant, "signed in to the console");
    let mut response = Redirect::to("/console/tenants").into_response();
    for cookie in [
        session::set_cookie(session::SESSION_COOKIE, &value, session::SESSION_TTL, secure),
        session::set_cookie(session::SIGN_IN_COOKIE, "", std::time::Duration::ZERO, secure),
    ] {
        add_cookie(&mut response, &cookie);
    }
    response
}

/// `POST /console/sign-out`.
async fn sign_out(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    if let Err(e) = state.host.store.delete_console_session(&session.id_hash).await {
        return Problem::store_unavailable(&e, "").into_response();
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    add_cookie(
        &mut response,
        &session::set_cookie(session::SESSION_COOKIE, "", std::time::Duration::ZERO, session::over_tls(&headers)),
    );
    response
}
