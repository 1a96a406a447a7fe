//! Problems: every error a caller can get, with its HTTP status and stable code
//! (`application/problem+json`, RFC 9457).
//!
//! The table is CONTRACT.md's, plus `not_found` (the ERP has no such record),
//! `idempotency_in_progress` (a duplicate of a call that is still running, after waiting for it),
//! `no_such_endpoint`, `method_not_allowed` and `internal`.
//! A problem's `detail` is written for the app developer and never carries a stack trace, a
//! path, SQL, or a secret: 5xx details say what happened in general terms, and the
//! `invocation_id` finds the rest in the logs.

use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::runtime::PluginError;

macro_rules! problem_codes {
    ($($variant:ident = $code:literal, $status:literal, $title:literal;)*) => {
        /// The stable codes callers see.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $(#[doc = $title] $variant,)*
        }

        impl ProblemCode {
            /// Every code, for documentation and the OpenAPI document.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The code's text.
            pub fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code,)* }
            }

            /// The HTTP status.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ProblemCode::$variant => StatusCode::from_u16($status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),)*
                }
            }

            /// A short, fixed title.
            pub fn title(self) -> &'static str {
                match self { $(ProblemCode::$variant => $title,)* }
            }
        }
    };
}

problem_codes! {
    InvalidInput = "invalid_input", 400, "The input is invalid";
    InvalidDocument = "invalid_document", 400, "The CPF or CNPJ is invalid";
    Unauthorized = "unauthorized", 401, "A valid API key is required";
    Forbidden = "forbidden", 403, "This key's scope does not include the function";
    UnknownFunction = "unknown_function", 404, "No such function in the contract";
    NotFound = "not_found", 404, "The ERP has no such record";
    NoSuchEndpoint = "no_such_endpoint", 404, "No such endpoint";
    MethodNotAllowed = "method_not_allowed", 405, "Method not allowed";
    IdempotencyConflict = "idempotency_conflict", 409, "The idempotency key was used with another body";
    IdempotencyInProgress = "idempotency_in_progress", 409, "A call with this idempotency key is still running";
    SettlementNotParked = "settlement_not_parked", 409, "Only a parked settlement can be retried or resolved";
    UnknownTenant = "unknown_tenant", 404, "No such tenant";
    InvalidConfiguration = "invalid_configuration", 422, "The configuration is invalid";
    RevisionConflict = "revision_conflict", 409, "The tenant was changed meanwhile";
    TenantReadOnly = "tenant_read_only", 409, "The tenant is defined by a file";
    PayloadTooLarge = "payload_too_large", 413, "The body is too large";
    UnsupportedMediaType = "unsupported_media_type", 415, "The body must be application/json";
    IdempotencyKeyRequired = "idempotency_key_required", 428, "This function requires an Idempotency-Key header";
    RateLimited = "rate_limited", 429, "Too many requests";
    QuotaExhausted = "quota_exhausted", 429, "An upstream quota is spent";
    KioskLocked = "kiosk_locked", 429, "This kiosk key looked up too many customers and is locked for a while";
    ErasureBlocked = "erasure_blocked", 409, "The customer has payments still open";
    ReconciliationRunning = "reconciliation_running", 409, "A reconciliation of this tenant is under way";
    PassthroughDisabled = "passthrough_disabled", 403, "The raw passthrough is off on this host";
    PassthroughRefused = "passthrough_refused", 403, "The plugin or the egress policy does not allow this raw request";
    FunctionNotConfigured = "function_not_configured", 501, "The provider has no automation for this function";
    UpstreamError = "upstream_error", 502, "The upstream service answered an error";
    ContractViolation = "contract_violation", 502, "The adapter's answer could not be normalized";
    PluginFailed = "plugin_failed", 502, "The adapter failed";
    UpstreamUnavailable = "upstream_unavailable", 503, "The upstream service is unavailable";
    Overloaded = "overloaded", 503, "The host is at capacity";
    RequestTimeout = "request_timeout", 408, "The request was not received in time";
    HeadersTooLarge = "headers_too_large", 431, "The request's headers are too large";
    BadRequest = "bad_request", 400, "The request could not be read";
    UpstreamTimeout = "upstream_timeout", 504, "The upstream service did not answer in time";
    Internal = "internal", 500, "Internal error";
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem answered to a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Problem {
    /// Stable code.
    pub code: ProblemCode,
    /// Human explanation, safe to show.
    pub detail: String,
    /// The input field at fault, for `invalid_input` / `invalid_document`.
    pub field: Option<String>,
    /// The invocation, to find it in the logs.
    pub invocation_id: Option<String>,
    /// When to try again (`Retry-After`), for `429` and `503` problems that know it.
    pub retry_after: Option<std::time::Duration>,
    /// Every error found, for `invalid_configuration`: `(field, message)`.
    pub errors: Vec<(String, String)>,
}

impl Problem {
    /// A problem with a detail.
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        Problem { code, detail: detail.into(), field: None, invocation_id: None, retry_after: None, errors: Vec::new() }
    }

    /// Says when to try again (whole seconds, at least one).
    #[must_use]
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The store could not answer: `500 internal`, saying what that means for the caller
    /// (`consequence`, e.g. "nothing was sent to the ERP"; empty for nothing more). The cause is
    /// logged here and never reaches the caller.
    pub fn store_unavailable(cause: &dyn std::fmt::Display, consequence: &str) -> Problem {
        tracing::error!(error = %cause, "the store could not answer");
        let detail = if consequence.is_empty() {
            "the host's store is unavailable".to_owned()
        } else {
            format!("the host's store is unavailable; {consequence}")
        };
        Problem::new(ProblemCode::Internal, detail)
    }

    /// `422 invalid_configuration` listing every error, each with its field (the first also as
    /// `field`).
    pub fn invalid_configuration(errors: Vec<(String, String)>) -> Problem {
        let detail = match errors.as_slice() {
            [] => "the configuration is invalid".to_owned(),
            [(field, message)] => format!("`{field}`: {message}"),
            [(field, message), rest @ ..] => format!("`{field}`: {message} (and {} more)", rest.len()),
        };
        let field = errors.first().map(|(field, _)| field.clone());
        Problem { field, errors, ..Problem::new(ProblemCode::InvalidConfiguration, detail) }
    }

    /// Names the input field at fault.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Attaches the invocation id.
    #[must_use]
    pub fn with_invocation(mut self, id: &str) -> Self {
        self.invocation_id = Some(id.to_owned());
        self
    }

    /// The body, as JSON.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "type": format!("urn:ponte:problem:{}", self.code),
            "title": self.code.title(),
            "status": self.code.status().as_u16(),
            "detail": self.detail,
            "code": self.code.as_str(),
        });
        if let Some(field) = &self.field {
            body["field"] = serde_json::Value::from(field.as_str());
        }
        if !self.errors.is_empty() {
            body["errors"] = self
                .errors
                .iter()
                .map(|(field, message)| serde_json::json!({"field": field, "message": message}))
                .collect();
        }
        if let Some(id) = &self.invocation_id {
            body["invocation_id"] = serde_json::Value::from(id.as_str());
        }
        body
    }
}

impl From<ponte_contract::InputError> for Problem {
    fn from(e: ponte_contract::InputError) -> Self {
        let code = match e.code {
            ponte_contract::InputErrorCode::InvalidInput => ProblemCode::InvalidInput,
            ponte_contract::InputErrorCode::InvalidDocument => ProblemCode::InvalidDocument,
        };
        Problem {
            code,
            detail: e.to_string(),
            field: Some(e.field),
            invocation_id: None,
            retry_after: None,
            errors: Vec::new(),
        }
    }
}

impl From<ponte_contract::ContractViolation> for Problem {
    fn from(v: ponte_contract::ContractViolation) -> Self {
        Problem::new(
            ProblemCode::ContractViolation,
            format!("the adapter's answer breaks the contract at {} ({}: {})", v.path, v.code, v.detail),
        )
    }
}

impl From<PluginError> for Problem {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::Upstream(message) => Problem::new(ProblemCode::UpstreamError, message),
            PluginError::Unavailable(_) => Problem::new(
                ProblemCode::UpstreamUnavailable,
                "the upstream service (ERP, fiscal or sales service) could not be reached",
            ),
            PluginError::UpstreamTimeout => Problem::new(
                ProblemCode::UpstreamTimeout,
                "the upstream service (ERP, fiscal or sales service) did not answer in time",
            ),
            PluginError::Deadline => Problem::new(ProblemCode::UpstreamTimeout, "the call ran past its deadline"),
            PluginError::NotFound(message) => Problem::new(ProblemCode::NotFound, message),
            PluginError::Failed(_) => {
                Problem::new(ProblemCode::PluginFailed, "the adapter failed; the invocation log has the reason")
            }
            PluginError::NotImplemented => Problem::new(
                ProblemCode::FunctionNotConfigured,
                "the provider's adapter does not implement this function",
            ),
            PluginError::ResourceLimit(limit) => {
                Problem::new(ProblemCode::PluginFailed, format!("the adapter was stopped by the host: {limit}"))
            }
            PluginError::RateLimited { retry_after } => {
                let problem = Problem::new(
                    ProblemCode::RateLimited,
                    "the upstream service limits the rate of requests; try again later",
                );
                problem.retry_after(retry_after.unwrap_or(std::time::Duration::from_secs(1)))
            }
        }
    }
}

impl IntoResponse for Problem {
    /// The problem document. One without an invocation id gets a fresh one, so every error a
    /// caller sees can be found in the logs.
    fn into_response(mut self) -> Response {
        if self.invocation_id.is_none() {
            self.invocation_id = Some(new_invocation_id());
        }
        let status = self.code.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(id) = self.invocation_id.as_deref().and_then(|id| HeaderValue::from_str(id).ok()) {
            response.headers_mut().insert("x-invocation-id", id);
        }
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up: a client that waits what it is told is not refused again.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// A fresh invocation id (UUID v7: sortable by time).
pub fn new_invocation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/CONTRACT.md`'s table of problems lists every code with its status, so a client's
    /// author reading it never meets a code it doesn't name.
    #[test]
    fn the_contracts_problem_table_lists_every_code_with_its_status() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/CONTRACT.md")).expect("doc");
        let table = doc.split("| status | code | when |").nth(1).expect("the problem table");
        let mut listed = std::collections::HashMap::new();
        for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let statuses: Vec<&str> = cells[1].split('/').map(str::trim).collect();
            let codes: Vec<&str> = cells[2].split('/').map(|c| c.trim().trim_matches('`')).collect();
            for (i, code) in codes.iter().enumerate() {
                let status = statuses.get(i).or(statuses.first()).copied().unwrap_or_default();
                listed.insert((*code).to_owned(), status.parse::<u16>().expect("a status"));
            }
        }
        for code in ProblemCode::ALL {
            assert_eq!(
                listed.get(code.as_str()),
                Some(&code.status().as_u16()),
                "docs/CONTRACT.md's problem table must list `{code}` with status {}",
                code.status()
            );
        }
        assert_eq!(listed.len(), ProblemCode::ALL.len(), "the table lists a code the host doesn't have");
    }
}
