//! Callers: `Authorization: Bearer <api key>` to a [`Caller`] (tenant and scopes), checked
//! against the keys held in memory ([`crate::keys`]).
//!
//! Handlers take the caller as an extractor: [`Caller`] for any valid key, [`Admin`] for a key
//! with the `admin` scope. Either refuses the request with a problem before the handler runs.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use ponte_contract::Scope;

use super::AppState;
use crate::invoke::Host;
use crate::keys::Refused;
use crate::problem::{Problem, ProblemCode};
use crate::store::Caller;

/// Authenticates a request's key; `address` is the client's (for the limit on store reads for
/// keys the host doesn't hold).
///
/// # Errors
/// `401 unauthorized` for a missing, malformed, unknown or revoked key; `429 rate_limited` (with
/// `Retry-After`) for a key past its request rate, or an address past its reads of keys not held;
/// `500 internal` when the store can't answer.
async fn authenticate(host: &Host, headers: &HeaderMap, address: Option<IpAddr>) -> Result<Caller, Problem> {
    let header = headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok()).unwrap_or("");
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(Problem::new(ProblemCode::Unauthorized, "send the API key as `Authorization: Bearer <key>`"));
    };
    authenticate_token(host, token, address).await
}

/// Authenticates a key given some other way than the header (the console's sign-in form),
/// with the same rates and limits.
///
/// # Errors
/// As [`authenticate`]; an empty token is `401`.
pub(crate) async fn authenticate_token(host: &Host, token: &str, address: Option<IpAddr>) -> Result<Caller, Problem> {
    if token.is_empty() {
        return Err(Problem::new(ProblemCode::Unauthorized, "give an API key"));
    }
    let known = match host.keys.held(token) {
        Some(known) => known,
        None if host.keys.is_real_id(token) => {
            // A key the store has shown to exist, dropped from memory: read it again.
            host.keys.authenticate(token).await.map_err(|e| Problem::store_unavailable(&e, ""))?
        }
        None => {
            // Only the store can tell: that read is what made-up tokens would flood.
            // A call that waits for another's read of the same key reads nothing: no budget.
            let address = address.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
            let admit = || {
                host.address_rates.check(&address).map_err(|wait| {
                    Problem::new(ProblemCode::RateLimited, "too many unknown API keys from this address; slow down")
                        .retry_after(wait)
                })
            };
            host.keys.authenticate_admitted(token, admit).await.map_err(|refused| match refused {
                Refused::Admission(problem) => problem,
                Refused::Store(e) => Problem::store_unavailable(&e, ""),
            })?
        }
    };
    let Some(caller) = known else {
        return Err(Problem::new(ProblemCode::Unauthorized, "unknown or revoked API key"));
    };
    match host.key_rates.check(&caller.key_id) {
        Ok(()) => Ok(caller),
        Err(wait) => {
            let rate = host.key_rates.rate().map_or(0, |r| r.per_second);
            Err(Problem::new(
                ProblemCode::RateLimited,
                format!("this API key sent more than its {rate} requests a second; slow down"),
            )
            .retry_after(wait))
        }
    }
}

/// The client's address, when the request came through the listener.
fn address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, Problem> {
        authenticate(&state.host, &parts.headers, address(parts)).await
    }
}

/// A caller whose key has the `admin` scope: the operator endpoints' extractor.
pub(super) struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, Problem> {
        let caller = authenticate(&state.host, &parts.headers, address(parts)).await?;
        if caller.has_scope(Scope::Admin) {
            Ok(Admin(caller))
        } else {
            Err(Problem::new(ProblemCode::Forbidden, "operator endpoints need an admin key"))
        }
    }
}
