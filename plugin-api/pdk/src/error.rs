//! [`Error`]: why a call failed, as the host understands it.

use std::fmt;

use crate::bindings::exports::ponte::plugin::adapter::Error as WitError;
use crate::http::HttpError;
use crate::kv::KvError;

/// `Result` with the PDK's [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call failed: the cases of the WIT `adapter.error` variant. Each becomes one problem
/// code for the caller (`502 upstream_error`, `503 upstream_unavailable`, `504 upstream_timeout`,
/// `404 not_found`, `501 function_not_configured`, `502 plugin_failed`).
///
/// Host capability errors convert into it, so `?` works on [`http`](crate::http),
/// [`kv`](crate::kv) and [`config::require`](crate::config::require):
///
/// | capability error | becomes |
/// |---|---|
/// | [`HttpError::Timeout`] | [`Error::UpstreamTimeout`] |
/// | [`HttpError::Unreachable`] | [`Error::UpstreamUnavailable`] |
/// | [`HttpError::TooLarge`] | [`Error::UpstreamError`] |
/// | [`HttpError::Denied`], [`HttpError::Invalid`] | [`Error::Failed`] (the plugin asked for something it may not) |
/// | [`KvError`] | [`Error::Failed`] |
///
/// Messages reach the invocation log (redacted by the host) and, for upstream errors, the
/// caller's problem `detail`: say what the ERP answered, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The ERP refused or answered an error (a business error, a 4xx, an answer that is not
    /// what its API documents).
    UpstreamError(String),
    /// The ERP is down or unreachable (a 5xx, a refused connection).
    UpstreamUnavailable(String),
    /// The ERP did not answer in time.
    UpstreamTimeout,
    /// The record asked for does not exist in the ERP.
    NotFound(String),
    /// The plugin does not implement this function: every [`Adapter`](crate::Adapter) method's
    /// default.
    NotImplemented,
    /// The plugin failed: a bug, a missing setting, a refused capability.
    Failed(String),
}

impl Error {
    /// An [`Error::UpstreamError`].
    pub fn upstream(message: impl Into<String>) -> Self {
        Error::UpstreamError(message.into())
    }

    /// An [`Error::UpstreamUnavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Error::UpstreamUnavailable(message.into())
    }

    /// An [`Error::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::NotFound(message.into())
    }

    /// An [`Error::Failed`].
    pub fn failed(message: impl Into<String>) -> Self {
        Error::Failed(message.into())
    }

    /// The error's code, as the Rhai runtime's `fail(code, ...)` names it (`upstream_error`,
    /// `upstream_unavailable`, `upstream_timeout`, `not_found`, `not_implemented`, `failed`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::UpstreamError(_) => "upstream_error",
            Error::UpstreamUnavailable(_) => "upstream_unavailable",
            Error::UpstreamTimeout => "upstream_timeout",
            Error::NotFound(_) => "not_found",
            Error::NotImplemented => "not_implemented",
            Error::Failed(_) => "failed",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UpstreamError(m) => write!(f, "the upstream answered an error: {m}"),
            Error::UpstreamUnavailable(m) => write!(f, "the upstream is unavailable: {m}"),
            Error::UpstreamTimeout => f.write_str("the upstream did not answer in time"),
            Error::NotFound(m) => write!(f, "not found upstream: {m}"),
            Error::NotImplemented => f.write_str("the plugin does not implement this function"),
            Error::Failed(m) => write!(f, "the plugin failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<HttpError> for Error {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Timeout => Error::UpstreamTimeout,
            HttpError::Unreachable(m) => Error::UpstreamUnavailable(m),
            HttpError::TooLarge(limit) => {
                Error::UpstreamError(format!("the answer exceeded the host's {limit}-byte cap"))
            }
            HttpError::Denied(m) => Error::Failed(format!("outbound request refused by the host: {m}")),
            HttpError::Invalid(m) => Error::Failed(format!("invalid request: {m}")),
        }
    }
}

impl From<KvError> for Error {
    fn from(error: KvError) -> Self {
        Error::Failed(error.to_string())
    }
}

impl From<Error> for WitError {
    fn from(error: Error) -> Self {
        match error {
            Error::UpstreamError(m) => WitError::UpstreamError(m),
            Error::UpstreamUnavailable(m) => WitError::UpstreamUnavailable(m),
            Error::UpstreamTimeout => WitError::UpstreamTimeout,
            Error::NotFound(m) => WitError::NotFound(m),
            Error::NotImplemented => WitError::NotImplemented,
            Error::Failed(m) => WitError::Failed(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_errors_map_as_the_host_maps_capability_errors() {
        assert_eq!(Error::from(HttpError::Timeout), Error::UpstreamTimeout);
        assert_eq!(Error::from(HttpError::Unreachable("refused".into())), Error::UpstreamUnavailable("refused".into()));
        assert!(matches!(Error::from(HttpError::TooLarge(1024)), Error::UpstreamError(m) if m.contains("1024")));
        assert!(
            matches!(Error::from(HttpError::Denied("host not allowed".into())), Error::Failed(m) if m.contains("host not allowed"))
        );
        assert!(matches!(Error::from(HttpError::Invalid("bad url".into())), Error::Failed(m) if m.contains("bad url")));
    }

    #[test]
    fn kv_errors_are_the_plugins_failure() {
        assert!(matches!(Error::from(KvError::Storage), Error::Failed(_)));
        assert!(
            matches!(Error::from(KvError::Invalid("key too long".into())), Error::Failed(m) if m.contains("key too long"))
        );
    }

    #[test]
    fn every_case_crosses_to_its_wit_case() {
        let cases = [
            (Error::upstream("a"), WitError::UpstreamError("a".into())),
            (Error::unavailable("b"), WitError::UpstreamUnavailable("b".into())),
            (Error::UpstreamTimeout, WitError::UpstreamTimeout),
            (Error::not_found("c"), WitError::NotFound("c".into())),
            (Error::NotImplemented, WitError::NotImplemented),
            (Error::failed("d"), WitError::Failed("d".into())),
        ];
        for (error, wit) in cases {
            assert_eq!(format!("{:?}", WitError::from(error)), format!("{wit:?}"));
        }
    }

    #[test]
    fn codes_are_the_rhai_runtimes() {
        assert_eq!(Error::upstream("x").code(), "upstream_error");
        assert_eq!(Error::UpstreamTimeout.code(), "upstream_timeout");
        assert_eq!(Error::NotImplemented.code(), "not_implemented");
    }
}
