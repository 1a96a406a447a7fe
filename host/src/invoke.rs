//! The invocation pipeline: one caller's call of one function, from validated input to
//! normalized answer, with the invocation log and metrics written whatever happens.
//!
//! ```text
//! function known? ─ scope allows? ─ input valid? ─ tenant automation? ─ plugin runs (sandbox,
//! capabilities, deadline) ─ contract enforced on its result ─ logged ─ answered
//! ```

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use ponte_contract::{EnforceOptions, Function};
use serde_json::Value;

use crate::capabilities::InvocationInfo;
use crate::capabilities::clock::Clock;
use crate::capabilities::http::UpstreamCall;
use crate::metrics::{CallLabels, FunctionLabels, Metrics, UpstreamLabels};
use crate::problem::{Problem, ProblemCode};
use crate::registry::Registry;
use crate::runtime::Call;
use crate::store::{Caller, InvocationRecord, Store};

/// The host's shared state: what every request handler works with.
#[derive(Clone)]
pub struct Host {
    /// The store.
    pub store: Store,
    /// Plugins, tenants and connections.
    pub registry: Arc<Registry>,
    /// Metrics.
    pub metrics: Metrics,
    /// The plugins' clock.
    pub clock: Clock,
}

/// A successful call.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The normalized output.
    pub output: Value,
    /// How many values enforcement dropped or repaired.
    pub warnings: usize,
}

/// What one invocation leaves in the log, filled in as the pipeline goes.
struct Trace {
    plugin: Option<(String, String)>,
    warnings: Vec<ponte_contract::Warning>,
    upstream: Vec<UpstreamCall>,
    detail: Option<String>,
}

impl Host {
    /// Whether `caller` may call `function`.
    ///
    /// # Errors
    /// `403 forbidden` when the key's scopes don't include it.
    pub fn authorize(caller: &Caller, function: Function) -> Result<(), Problem> {
        let spec = function.spec();
        if caller.scopes.iter().any(|s| spec.allows(*s)) {
            Ok(())
        } else {
            Err(Problem::new(ProblemCode::Forbidden, format!("this key's scope does not include `{function}`")))
        }
    }

    /// Calls `function` for `caller` with the raw JSON body (empty means `{}`).
    ///
    /// # Errors
    /// A [`Problem`] carrying `invocation_id`.
    pub async fn call(
        &self,
        caller: &Caller,
        function: Function,
        body: &[u8],
        invocation_id: &str,
    ) -> Result<Answer, Problem> {
        let started = Instant::now();
        let started_at = Utc::now();
        let mut trace = Trace { plugin: None, warnings: Vec::new(), upstream: Vec::new(), detail: None };
        let result = self.run(caller, function, body, invocation_id, &mut trace).await;
        let elapsed = started.elapsed();

        let (status, outcome) = match &result {
            Ok(_) => (200, "ok"),
            Err(p) => (p.code.status().as_u16(), p.code.as_str()),
        };
        let f = function.as_str().to_owned();
        let tenant = caller.tenant.clone();
        self.metrics
            .calls
            .get_or_create(&CallLabels { tenant: tenant.clone(), function: f.clone(), outcome: outcome.into() })
            .inc();
        self.metrics
            .call_seconds
            .get_or_create(&FunctionLabels { tenant: tenant.clone(), function: f.clone() })
            .observe(elapsed.as_secs_f64());
        if !trace.warnings.is_empty() {
            self.metrics
                .warnings
                .get_or_create(&FunctionLabels { tenant: tenant.clone(), function: f.clone() })
                .inc_by(trace.warnings.len() as u64);
        }
        if let Err(p) = &result {
            self.metrics.error(&tenant, &f, p.code.as_str());
        }
        for call in &trace.upstream {
            let labels = UpstreamLabels {
                tenant: tenant.clone(),
                function: f.clone(),
                host: call.host.clone(),
                outcome: call.outcome.into(),
            };
            self.metrics.upstream_calls.get_or_create(&labels).inc();
            self.metrics.upstream_seconds.get_or_create(&labels).observe(call.duration_ms as f64 / 1000.0);
        }

        let record = InvocationRecord {
            id: invocation_id.to_owned(),
            tenant,
            function: f,
            plugin: trace.plugin.as_ref().map(|p| p.0.clone()),
            plugin_version: trace.plugin.as_ref().map(|p| p.1.clone()),
            started_at,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            status,
            outcome: outcome.to_owned(),
            detail: trace.detail.clone().or_else(|| result.as_ref().err().map(|p| p.detail.clone())),
            warnings: serde_json::to_value(&trace.warnings).unwrap_or(Value::Array(Vec::new())),
            upstream_calls: serde_json::to_value(&trace.upstream).unwrap_or(Value::Array(Vec::new())),
        };
        if let Err(e) = self.store.record_invocation(&record).await {
            // The answer stands; losing an audit row is logged loudly, not turned into an error.
            tracing::error!(invocation_id, error = %e, "could not record the invocation");
        }
        match &result {
            Ok(_) => {
                tracing::info!(invocation_id, tenant = %record.tenant, function = %record.function, duration_ms = record.duration_ms, warnings = trace.warnings.len(), "call ok")
            }
            Err(p) => {
                tracing::warn!(invocation_id, tenant = %record.tenant, function = %record.function, duration_ms = record.duration_ms, code = %p.code, detail = record.detail.as_deref().unwrap_or(""), "call failed")
            }
        }
        result.map_err(|p| p.with_invocation(invocation_id))
    }

    async fn run(
        &self,
        caller: &Caller,
        function: Function,
        body: &[u8],
        invocation_id: &str,
        trace: &mut Trace,
    ) -> Result<Answer, Problem> {
        Self::authorize(caller, function)?;
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
        let input = ponte_contract::validate_input_json(function, body).map_err(Problem::from)?;

        let Some(tenant) = self.registry.tenants.get(&caller.tenant) else {
            let detail = if self.registry.failed_tenants.contains_key(&caller.tenant) {
                "the provider's automation file failed to load; the operator must fix it"
            } else {
                "the provider has no automation file"
            };
            return Err(Problem::new(ProblemCode::FunctionNotConfigured, detail));
        };
        let Some((binding, connection)) = tenant.binding(function) else {
            return Err(Problem::new(
                ProblemCode::FunctionNotConfigured,
                format!("the provider has no automation for `{function}`"),
            ));
        };
        let manifest = &connection.plugin.manifest;
        trace.plugin = Some((manifest.name.clone(), manifest.version.clone()));

        let deadline = Instant::now() + binding.timeout;
        let info = Arc::new(InvocationInfo {
            id: invocation_id.to_owned(),
            tenant: caller.tenant.clone(),
            function,
            connection: connection.name.clone(),
            plugin: manifest.name.clone(),
            plugin_version: manifest.version.clone(),
        });
        let capabilities = connection.capabilities(&self.store, info, deadline, self.clock);
        let http = capabilities.http.clone();
        let result = connection.plugin.runtime.invoke(Call { function, input: input.clone(), capabilities }).await;
        trace.upstream = http.calls();
        let raw = result.map_err(|e| {
            trace.detail = Some(connection.redactor.redact(&e.to_string()));
            Problem::from(e)
        })?;
        let options = EnforceOptions { integer_money: manifest.integer_money };
        let enforced = ponte_contract::enforce_value(function, Some(&input), &raw, options).map_err(Problem::from)?;
        let warnings = enforced.warnings.len();
        trace.warnings = enforced.warnings;
        Ok(Answer { output: enforced.output, warnings })
    }
}
