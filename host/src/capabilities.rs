//! What a plugin may ask of the host, written once and bound into every runtime.
//!
//! Each capability is one module with one type:
//!
//! - [`http`]: outbound HTTP under the host's policy (manifest allowlist, private-address
//!   blocking after DNS and on every redirect, size cap, timeouts, per-upstream concurrency,
//!   redacted logging of every call).
//! - [`config`]: the connection's settings and secrets.
//! - [`kv`]: a small durable key-value store, namespaced per tenant and connection (tokens).
//! - [`log`]: plugin log lines, redacted and bounded.
//! - [`clock`]: the time, in UTC and in Brasília.
//!
//! Lifecycle (after Spin's factors): what is per process (the HTTP client pool, the store) is
//! built once; what is per tenant connection (the egress policy, the settings, the redactor) is
//! built when automations load; [`Capabilities`] is built per invocation and dropped with it.
//! Runtimes never reach around it: a Rhai function or a wasm import is a thin adapter over a
//! method here.

pub mod clock;
pub mod config;
pub mod http;
pub mod kv;
pub mod log;

use std::sync::Arc;
use std::time::Instant;

use ponte_contract::Function;

use crate::secret::Redactor;

/// Who is calling, for logs and metrics: never secret.
#[derive(Debug, Clone)]
pub struct InvocationInfo {
    /// The invocation's id (also in the caller's problem responses).
    pub id: String,
    /// The tenant.
    pub tenant: String,
    /// The function.
    pub function: Function,
    /// The connection (the automation's named plugin binding).
    pub connection: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub plugin_version: String,
}

/// Everything a plugin may use during one invocation.
#[derive(Clone)]
pub struct Capabilities {
    /// Identity of the call.
    pub info: Arc<InvocationInfo>,
    /// When the invocation must end; capabilities never wait past it.
    pub deadline: Instant,
    /// Outbound HTTP.
    pub http: http::HttpCapability,
    /// Settings and secrets.
    pub config: config::ConfigCapability,
    /// Key-value store.
    pub kv: kv::KvCapability,
    /// Log lines.
    pub log: log::LogCapability,
    /// Time.
    pub clock: clock::Clock,
    /// The connection's redactor, for whatever else leaves the sandbox (error messages).
    pub redactor: Arc<Redactor>,
}

/// A capability's refusal or failure, as the plugin sees it (a typed guest error, never a
/// trap: STYLE.md §4). Runtimes hand it to the script or guest, which may handle it; if it
/// propagates, the host turns it into the caller's problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapabilityError {
    /// The host's policy refused the request (host outside the manifest, private address).
    #[error("refused by the host's policy: {0}")]
    Denied(String),
    /// The upstream didn't answer in time, or the invocation's deadline passed.
    #[error("timed out")]
    Timeout,
    /// The upstream could not be reached.
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    /// The upstream's answer exceeded the size cap.
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    /// The plugin asked for something malformed (a bad URL, header or key).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The host's store failed.
    #[error("host storage unavailable")]
    Storage,
    /// The call reached one of the host's hard limits (upstream requests per call, kv keys or
    /// bytes per connection); the message names it and never carries plugin text.
    #[error("host limit reached: {0}")]
    Limit(String),
    /// The upstream's declared rate limit leaves no turn for this request before the call's
    /// deadline.
    #[error("the upstream's rate limit leaves no turn before the deadline")]
    RateLimited(Option<std::time::Duration>),
}

/// Capabilities for unit tests: an in-memory store, no settings, no outbound hosts allowed.
#[cfg(test)]
pub(crate) async fn test_capabilities(deadline: Instant, settings: &[(&str, &str)]) -> Capabilities {
    test_capabilities_with(deadline, settings, http::EgressPolicy::default()).await
}

/// [`test_capabilities`] with an egress policy (a loopback upstream, say).
#[cfg(test)]
pub(crate) async fn test_capabilities_with(
    deadline: Instant,
    settings: &[(&str, &str)],
    policy: http::EgressPolicy,
) -> Capabilities {
    use std::collections::BTreeMap;
    let store = crate::store::Store::open("sqlite::memory:").await.expect("store");
    let info = Arc::new(InvocationInfo {
        id: "00000000-0000-7000-8000-000000000000".into(),
        tenant: "t".into(),
        function: Function::ListProducts,
        connection: "c".into(),
        plugin: "p".into(),
        plugin_version: "0".into(),
    });
    let config = config::ConfigCapability::new(
        settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), config::SettingValue::Plain((*v).to_owned())))
            .collect::<BTreeMap<_, _>>(),
    );
    let redactor = Arc::new(Redactor::default());
    let upstream = Arc::new(
        http::Upstream::new(policy, http::HttpLimits { max_requests_per_call: usize::MAX, ..Default::default() })
            .expect("client"),
    );
    Capabilities {
        info: Arc::clone(&info),
        deadline,
        http: http::HttpCapability::new(upstream, deadline, Arc::clone(&redactor)),
        config,
        kv: kv::KvCapability::new(
            store,
            std::sync::Arc::new(crate::secret::keyring::Keyring::ephemeral()),
            "t",
            "c",
            &info.id,
            deadline,
        ),
        log: log::LogCapability::new(info, Arc::clone(&redactor)),
        clock: clock::Clock::system(),
        redactor,
    }
}
