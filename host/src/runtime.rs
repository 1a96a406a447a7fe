//! Plugin runtimes: one [`Plugin`] abstraction, one implementation per runtime.
//!
//! A runtime knows how to run a plugin's code for one function call with the capabilities it is
//! given; it knows nothing of HTTP callers, API keys or the store. The invocation pipeline
//! (`crate::invoke`) validates input before and enforces the contract after.
//!
//! - [`rhai`]: Rhai scripts, compiled once per plugin version, run on the script threads under
//!   operation, depth, size, memory and wall-clock limits.
//! - [`wasm`]: WebAssembly components on wasmtime, a fresh instance per call, under memory and
//!   wall-clock limits, yielding to other calls at every epoch tick.
//!
//! Both runtimes give a call the same memory budget: [`DEFAULT_MEMORY`] unless the plugin's
//! manifest asks for another, never more than [`MAX_MEMORY`].

pub mod rhai;
pub mod wasm;

use std::future::Future;
use std::pin::Pin;

use ponte_contract::Function;
use serde_json::Value;

use crate::capabilities::{Capabilities, CapabilityError};

pub use crate::config::manifest::{DEFAULT_MEMORY, MAX_MEMORY};

/// One function call for a plugin.
pub struct Call {
    /// The function.
    pub function: Function,
    /// The validated, normalized input.
    pub input: Value,
    /// What the plugin may use, bound to this call's tenant, connection and deadline.
    pub capabilities: Capabilities,
}

/// A boxed future, as plugins return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A loaded plugin, ready to run calls. Implementations are cheap to call concurrently.
pub trait Plugin: Send + Sync + 'static {
    /// Runs one call and returns the plugin's raw result (the host enforces the contract on it).
    fn invoke(&self, call: Call) -> BoxFuture<'_, Result<Value, PluginError>>;

    /// The functions the plugin's code actually defines (checked against its manifest at load).
    fn defined_functions(&self) -> Vec<Function>;
}

/// Why a plugin call failed. Each variant maps to one problem code for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The ERP refused or answered an error (`502 upstream_error`).
    #[error("the upstream answered an error: {0}")]
    Upstream(String),
    /// The upstream (the ERP or service the plugin calls) could not be reached or is down
    /// (`503 upstream_unavailable`).
    #[error("the upstream is unavailable: {0}")]
    Unavailable(String),
    /// The upstream did not answer in time (`504 upstream_timeout`).
    #[error("the upstream did not answer in time")]
    UpstreamTimeout,
    /// The plugin ran past its deadline (`504 upstream_timeout`).
    #[error("the plugin ran past its deadline")]
    Deadline,
    /// The record asked for does not exist in the ERP (`404 not_found`).
    #[error("not found upstream: {0}")]
    NotFound(String),
    /// The plugin's code broke: a script error, a trap, a limit, a refused capability
    /// (`502 plugin_failed`).
    #[error("the plugin failed: {0}")]
    Failed(String),
    /// The plugin does not implement this function (`501 function_not_configured`).
    #[error("the plugin does not implement this function")]
    NotImplemented,
    /// The call went past one of the host's hard limits (memory, upstream requests): ended by
    /// the host (`502 plugin_failed`, with the limit named for the caller). The message never
    /// carries plugin text.
    #[error("the plugin went past a limit: {0}")]
    ResourceLimit(String),
    /// The upstream limits the rate of requests and the call could not wait for its turn within
    /// its deadline (`429 rate_limited`, with `Retry-After`).
    #[error("the upstream's rate limit was reached")]
    RateLimited {
        /// When the upstream will take requests again, when known.
        retry_after: Option<std::time::Duration>,
    },
}

impl PluginError {
    /// The error a plugin raises by code (`fail("upstream_error", "...")` in Rhai, the error
    /// variant in WIT). Unknown codes are the plugin's bug.
    pub fn from_code(code: &str, message: String) -> Self {
        match code {
            "upstream_error" => PluginError::Upstream(message),
            "upstream_unavailable" => PluginError::Unavailable(message),
            "upstream_timeout" => PluginError::UpstreamTimeout,
            "not_found" => PluginError::NotFound(message),
            "not_implemented" => PluginError::NotImplemented,
            "rate_limited" => PluginError::RateLimited { retry_after: None },
            other => PluginError::Failed(format!("unknown error code `{other}`: {message}")),
        }
    }

    /// The codes plugins may raise, for documentation and the runtimes' checks.
    pub const CODES: [&'static str; 6] =
        ["upstream_error", "upstream_unavailable", "upstream_timeout", "not_found", "not_implemented", "rate_limited"];
}

impl From<CapabilityError> for PluginError {
    /// A capability error the plugin did not handle: the policy's refusals are the plugin's
    /// fault, transport failures the ERP's.
    fn from(error: CapabilityError) -> Self {
        match error {
            CapabilityError::Denied(m) => PluginError::Failed(format!("outbound request refused: {m}")),
            CapabilityError::Timeout => PluginError::UpstreamTimeout,
            CapabilityError::Unreachable(m) => PluginError::Unavailable(m),
            CapabilityError::TooLarge(n) => PluginError::Upstream(format!("the ERP's answer exceeded {n} bytes")),
            CapabilityError::Invalid(m) => PluginError::Failed(format!("invalid capability use: {m}")),
            CapabilityError::Storage => PluginError::Failed("host storage unavailable".into()),
            CapabilityError::Limit(m) => PluginError::ResourceLimit(m),
            CapabilityError::RateLimited(retry_after) => PluginError::RateLimited { retry_after },
        }
    }
}
