//! Signing in to the console: an admin key exchanged for a session cookie.
//!
//! - The cookie (`ponte_session`) holds 32 random bytes; the store keeps only their SHA-256
//!   (`console_sessions`), with the admin key's id, the session's form token and its end (8
//!   hours after sign-in). `HttpOnly`, `SameSite=Strict`, `Path=/console`, and `Secure` when the
//!   request came over TLS (`X-Forwarded-Proto: https` from the proxy in front).
//! - Every form of a session carries its token (`csrf`), compared in constant time before any
//!   action; the sign-in form carries one bound to a short-lived cookie of its own (double
//!   submit), so a page elsewhere can't sign a browser in with the attacker's key either.
//! - Each request reads the session and its key again: a key revoked, or one that lost the
//!   admin scope, ends every session opened with it at once.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ponte_contract::Scope;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::i18n::Lang;
use crate::api::AppState;
use crate::store::Caller;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ponte_session";
/// The sign-in form's token cookie.
pub const SIGN_IN_COOKIE: &str = "ponte_sign_in";
/// The language cookie.
pub const LANG_COOKIE: &str = "ponte_lang";
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session cookie's value.
pub fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two tokens are equal, in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A cookie's value.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request came over TLS (as the proxy in front says).
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for the console.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/console; Max-Age={}; HttpOnly; SameSite=Strict{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The language of a request: `?lang=`, else the cookie, else `Accept-Language` (Portuguese
/// unless English comes first).
pub fn language(parts: &Parts) -> Lang {
    asked_language(parts)
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
        .or_else(|| parts.headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::parse))
        .unwrap_or(Lang::Pt)
}

/// The language a request's `?lang=` asks for, if any.
pub fn asked_language(parts: &Parts) -> Option<Lang> {
    let query = parts.uri.query().unwrap_or_default();
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == "lang").and_then(|(_, v)| Lang::parse(v))
}

/// A signed-in operator: the session's admin key as a caller, its form token, its language.
#[derive(Debug, Clone)]
pub struct Session {
    /// The admin key's caller (tenant `*` for a platform key).
    pub caller: Caller,
    /// The session's form token.
    pub csrf: String,
    /// The language pages are shown in.
    pub lang: Lang,
    /// The hash of the cookie (to end the session).
    pub id_hash: String,
}

impl Session {
    /// Checks a form's token: `None` when it is the session's, else the `403` page to answer.
    pub fn refuse_unless(&self, token: Option<&str>) -> Option<Response> {
        if token.is_some_and(|t| same(t, &self.csrf)) {
            None
        } else {
            Some(super::forbidden(self.lang, self.lang.t("bad_form")))
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    /// No session, an expired one, or one whose key was revoked or lost the admin scope: to
    /// the sign-in page (for a form's post too: nothing is done).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, Response> {
        let to_sign_in = || Redirect::to("/console/sign-in").into_response();
        let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(to_sign_in()) };
        let id_hash = hash(value);
        let store = &state.host.store;
        let session = match store.console_session(&id_hash).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(to_sign_in()),
            Err(e) => return Err(crate::problem::Problem::store_unavailable(&e, "").into_response()),
        };
        let caller = match store.credential(&session.key_id).await {
            Ok(Some(credential)) => credential.caller(),
            Ok(None) => None,
            Err(e) => return Err(crate::problem::Problem::store_unavailable(&e, "").into_response()),
        };
        let Some(caller) = caller.filter(|c| c.has_scope(Scope::Admin)) else {
            let _ = store.delete_console_session(&id_hash).await;
            return Err(to_sign_in());
        };
        Ok(Session { caller, csrf: session.csrf, lang: language(parts), id_hash })
    }
}
