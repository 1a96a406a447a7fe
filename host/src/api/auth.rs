//! Callers: `Authorization: Bearer <api key>` to a [`Caller`] (tenant and scopes), checked
//! against the keys held in memory ([`crate::keys`]).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::store::Caller;

/// Authenticates a request's key.
///
/// # Errors
/// `401 unauthorized` for a missing, malformed, unknown or revoked key; `429 rate_limited` (with
/// `Retry-After`) for a key past its request rate; `500 internal` when the store can't answer.
pub(crate) async fn authenticate(host: &Host, headers: &HeaderMap) -> Result<Caller, Problem> {
    let header = headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok()).unwrap_or("");
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(Problem::new(ProblemCode::Unauthorized, "send the API key as `Authorization: Bearer <key>`"));
    };
    match host.keys.authenticate(token).await {
        Ok(Some(caller)) => match host.key_rates.check(&caller.key_id) {
            Ok(()) => Ok(caller),
            Err(wait) => {
                let rate = host.key_rates.rate().map_or(0, |r| r.per_second);
                Err(Problem::new(
                    ProblemCode::RateLimited,
                    format!("this API key sent more than its {rate} requests a second; slow down"),
                )
                .retry_after(wait))
            }
        },
        Ok(None) => Err(Problem::new(ProblemCode::Unauthorized, "unknown or revoked API key")),
        Err(e) => {
            tracing::error!(error = %e, "the store could not authenticate a key");
            Err(Problem::new(ProblemCode::Internal, "the host's store is unavailable"))
        }
    }
}
