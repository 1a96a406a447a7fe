//! The pipeline every plugin call shares, a caller's ([`crate::call`]) or the settlement
//! worker's, and the host's shared state ([`Host`]).
//!
//! ```text
//! tenant's binding ─ bulkhead slot ─ upstream quota ─ circuit closed? ─ plugin runs (sandbox,
//! capabilities, deadline) ─ [a write: the customer's cached reads dropped] ─ contract enforced
//! on its result ─ recorded (metrics, the invocation log, a log line)
//! ```
//!
//! [`Host::execute`] runs a plugin for a tenant with a validated input; [`Host::record`] writes
//! what a call leaves behind. Nothing here knows about HTTP callers, scopes or idempotency keys.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ponte_contract::{EnforceOptions, Function};
use serde_json::Value;
use tracing::Instrument as _;

use crate::breaker::Breakers;
use crate::bulkhead::Bulkheads;
use crate::cache::{ReadCache, ReadKey};
use crate::capabilities::clock::Clock;
use crate::capabilities::http::UpstreamCall;
use crate::capabilities::{CapabilityError, InvocationInfo};
use crate::coalesce::Flights;
use crate::config::automation::FunctionBinding;
use crate::invocation_log::InvocationLog;
use crate::keys::Keys;
use crate::metrics::{CallLabels, FunctionLabels, Metrics, UpstreamLabels};
pub use crate::options::{HostOptions, RedisOptions};
use crate::output::Output;
use crate::problem::{Problem, ProblemCode};
use crate::quota::QuotaRef;
use crate::ratelimit::{AddressRates, KeyRates};
use crate::registry::{Connection, Registry};
use crate::runtime::{Call, PluginError};
use crate::store::{InvocationRecord, Payload, Store};

/// The host's shared state: what every request handler works with.
#[derive(Clone)]
pub struct Host {
    /// The store.
    pub store: Store,
    /// Plugins, tenants and connections: swapped whole when configuration is reloaded
    /// ([`crate::reload`]); a call keeps the version it started with.
    pub registry: Arc<arc_swap::ArcSwap<Registry>>,
    /// Metrics.
    pub metrics: Metrics,
    /// The plugins' clock.
    pub clock: Clock,
    /// Tunables.
    pub options: HostOptions,
    /// Circuit breakers per tenant connection.
    pub breakers: Arc<Breakers>,
    /// How many plugin calls run at once, per tenant connection and in total.
    pub bulkheads: Arc<Bulkheads>,
    /// Requests per API key.
    pub key_rates: Arc<KeyRates>,
    /// Store reads for keys not held in memory, per client address.
    pub address_rates: Arc<AddressRates>,
    /// Wakes the settlement worker when a settlement is queued.
    pub settlement_wake: Arc<tokio::sync::Notify>,
    /// The invocation log's writer (rows leave the response path through it).
    pub invocation_log: InvocationLog,
    /// API keys held in memory, kept in step with the store.
    pub keys: Arc<Keys>,
    /// Answers of cacheable reads, for their automation's `cache_ttl`.
    pub cache: ReadCache,
    /// Reads running now, which identical reads wait for instead of running again.
    pub flights: Arc<Flights<ReadKey, Arc<SharedRun>>>,
    /// Held by whoever loads configuration again ([`crate::reload`]): one reload at a time.
    pub reload_lock: Arc<tokio::sync::Mutex<()>>,
    /// The distinct customers each kiosk key looked up in its window.
    pub kiosk_lookups: Arc<crate::privacy::kiosk::KioskLookups>,
    /// The payment claims this process holds while their attempts run (given back at shutdown).
    pub held_claims: Arc<crate::claims::HeldClaims>,
}

/// A plugin run's result as the callers that shared it see it.
#[derive(Debug)]
pub struct SharedRun {
    /// The normalized output and warning count, or the problem.
    pub result: Result<(Output, usize), Problem>,
    /// The invocation that ran the plugin.
    pub invocation_id: String,
}

impl Host {
    /// A host over a store and a registry, with `options`. Starts the invocation log's writer,
    /// so it must be called inside a tokio runtime.
    pub fn new(store: Store, registry: Registry, options: HostOptions) -> Host {
        let metrics = Metrics::new();
        Host {
            invocation_log: InvocationLog::spawn(
                store.clone(),
                metrics.clone(),
                options.invocation_log_queue,
                options.invocation_log_linger,
            ),
            keys: Keys::spawn(store.clone()),
            cache: ReadCache::memory(options.cache_memory_bytes),
            flights: Arc::new(Flights::default()),
            reload_lock: Arc::new(tokio::sync::Mutex::new(())),
            kiosk_lookups: Arc::new(crate::privacy::kiosk::KioskLookups::new(options.privacy.kiosk_lookups)),
            held_claims: Arc::default(),
            store,
            registry: Arc::new(arc_swap::ArcSwap::from_pointee(registry)),
            metrics,
            clock: Clock::system(),
            breakers: Arc::new(Breakers::new(options.breaker)),
            bulkheads: Arc::new(Bulkheads::new(options.bulkhead)),
            key_rates: Arc::new(KeyRates::new(options.key_rate)),
            address_rates: Arc::new(AddressRates::new(options.unknown_key_rate)),
            options,
            settlement_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

/// The circuit of a tenant's connection: `tenant/connection`.
fn circuit_name(tenant: &str, connection: &str) -> String {
    format!("{tenant}/{connection}")
}

/// A successful call.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status: 200, or 202 for a payment queued for posting. A replayed idempotent
    /// answer keeps the first call's status, a problem's included (then `output` is the
    /// problem's body).
    pub status: u16,
    /// The normalized output (for a replayed problem, the problem's body), as its JSON text.
    pub output: Output,
    /// How many values enforcement dropped or repaired.
    pub warnings: usize,
    /// Where a read's answer came from (`None` for writes).
    pub served: Option<Served>,
}

impl Answer {
    pub(crate) fn ok(output: Output, warnings: usize) -> Answer {
        Answer { status: 200, output, warnings, served: None }
    }
}

/// How a call that answered without a problem was served: its outcome in the invocation log and
/// the `ponte_calls_total` metric (a problem's outcome is its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The plugin ran and answered.
    Ok,
    /// An idempotent replay of the first answer to the same `Idempotency-Key`.
    Replayed,
    /// A payment accepted into the settlement queue (`202`).
    Queued,
    /// Served from the read cache.
    Cached,
    /// Shared the plugin run of an identical read running at the time.
    Coalesced,
}

impl Outcome {
    /// The name in the log and the metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Replayed => "replayed",
            Outcome::Queued => "queued",
            Outcome::Cached => "cached",
            Outcome::Coalesced => "coalesced",
        }
    }
}

/// Where a read's answer came from: the `X-Ponte-Cache` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// The plugin ran for this call.
    Miss,
    /// The read cache, within the automation's `cache_ttl`.
    Hit,
    /// Another caller's identical read, running when this one arrived.
    Coalesced,
}

impl Served {
    /// The header's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Served::Miss => "miss",
            Served::Hit => "hit",
            Served::Coalesced => "coalesced",
        }
    }
}

/// Who a call is logged for: a caller over HTTP, or the settlement worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// An API caller.
    Caller,
    /// The settlement queue (counted in the settlement metrics, not as a caller's call).
    Settlement,
    /// The reconciliation job's reads of invoices (counted in its own metrics).
    Reconciliation,
}

/// What one invocation leaves in the log, filled in as the pipeline goes.
pub(crate) struct Trace {
    pub(crate) id: String,
    tenant: String,
    function: Function,
    origin: Origin,
    started: Instant,
    started_at: DateTime<Utc>,
    pub(crate) plugin: Option<(String, String)>,
    warnings: Vec<ponte_contract::Warning>,
    upstream: Vec<UpstreamCall>,
    /// Replaces the problem's detail in the log (a redacted plugin error, a note).
    pub(crate) detail: Option<String>,
    /// Replaces `ok` as the logged outcome of a successful answer.
    pub(crate) outcome: Option<Outcome>,
    /// Whether anything may have reached the ERP (a plugin ran, or a payment was queued).
    pub(crate) executed: bool,
    /// The customer the input names, as [`crate::digest::customer_digest`] (the log is searched
    /// by it; the document itself is not kept).
    pub(crate) customer: Option<String>,
    /// The validated input, kept for the log when the host keeps payloads.
    pub(crate) input: Option<Payload>,
}

impl Trace {
    pub(crate) fn new(id: &str, tenant: &str, function: Function, origin: Origin) -> Trace {
        Trace {
            id: id.to_owned(),
            tenant: tenant.to_owned(),
            function,
            origin,
            started: Instant::now(),
            started_at: Utc::now(),
            plugin: None,
            customer: None,
            input: None,
            warnings: Vec::new(),
            upstream: Vec::new(),
            detail: None,
            outcome: None,
            executed: false,
        }
    }
}

impl Host {
    /// The deadline of `function` for `tenant`.
    ///
    /// # Errors
    /// `501 function_not_configured` when the tenant has no automation for it.
    pub(crate) fn binding_timeout(&self, tenant: &str, function: Function) -> Result<Duration, Problem> {
        self.binding(tenant, function).map(|(binding, _)| binding.timeout)
    }

    /// What serves `function` for `tenant`, in the configuration loaded now (the caller keeps
    /// it for the whole call, whatever a reload swaps in meanwhile).
    pub(crate) fn binding(
        &self,
        tenant: &str,
        function: Function,
    ) -> Result<(FunctionBinding, Arc<Connection>), Problem> {
        let registry = self.registry.load();
        let Some(loaded) = registry.tenants.get(tenant) else {
            let detail = if registry.failed_tenants.contains_key(tenant) {
                "the provider's automation file failed to load; the operator must fix it"
            } else {
                "the provider has no automation file"
            };
            return Err(Problem::new(ProblemCode::FunctionNotConfigured, detail));
        };
        loaded.binding(function).map(|(binding, connection)| (binding.clone(), Arc::clone(connection))).ok_or_else(
            || {
                Problem::new(
                    ProblemCode::FunctionNotConfigured,
                    format!("the provider has no automation for `{function}`"),
                )
            },
        )
    }

    /// The configuration loaded now.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.load_full()
    }

    /// The circuit key of the connection serving `function` for `tenant`.
    pub(crate) fn circuit_key(&self, tenant: &str, function: Function) -> Option<String> {
        let registry = self.registry.load();
        let (_, connection) = registry.tenants.get(tenant)?.binding(function)?;
        Some(circuit_name(tenant, &connection.name))
    }

    /// Runs `function` for `tenant` with a validated `input` through its automation: the
    /// circuit breaker, the sandboxed plugin, contract enforcement. Returns the normalized
    /// output and how many warnings enforcement raised.
    ///
    /// # Errors
    /// The [`Problem`] to answer.
    pub(crate) async fn execute(
        &self,
        tenant_id: &str,
        function: Function,
        input: Value,
        trace: &mut Trace,
    ) -> Result<(Output, usize), Problem> {
        // The settlement worker's calls name their customer too (erasure finds them by it).
        if trace.customer.is_none() {
            trace.customer = crate::digest::customer_of(&input).map(|d| crate::digest::customer_digest(tenant_id, d));
        }
        if self.options.log_payloads && trace.input.is_none() {
            trace.input = Some(Payload::of(&input));
        }
        let bound = self.binding(tenant_id, function)?;
        self.execute_bound(tenant_id, function, &bound, input, trace).await
    }

    /// [`Host::execute`] with what serves the function already resolved: a caller's call
    /// resolves it once, so its deadline, its idempotency lease and the plugin that runs all
    /// come from one configuration whatever a reload swaps in meanwhile.
    pub(crate) async fn execute_bound(
        &self,
        tenant_id: &str,
        function: Function,
        bound: &(FunctionBinding, Arc<Connection>),
        input: Value,
        trace: &mut Trace,
    ) -> Result<(Output, usize), Problem> {
        let (binding, connection) = bound;
        let manifest = &connection.plugin.manifest;
        trace.plugin = Some((manifest.name.clone(), manifest.version.clone()));
        // The deadline starts now: waiting for a slot uses the call's own time.
        let deadline = Instant::now() + binding.timeout;
        let circuit = circuit_name(tenant_id, &connection.name);
        let _admission = self.bulkheads.admit(&circuit, deadline).await?;

        // An upstream quota the manifest declares: one unit taken before anything is sent.
        let quota = manifest.quota_of(function).map(|(name, spec)| QuotaRef {
            tenant: tenant_id,
            connection: &connection.name,
            name,
            spec,
        });
        let reservation = match &quota {
            Some(quota) => Some(quota.reserve(&self.store, &self.metrics).await?),
            None => None,
        };
        let permit = match self.breakers.permit(&circuit) {
            Ok(permit) => permit,
            Err(wait) => {
                let not_sent = PluginError::Unavailable("circuit open".into());
                if let (Some(quota), Some(reservation)) = (&quota, reservation) {
                    quota.settle(reservation, &self.store, &self.metrics, Err(&not_sent), &[]).await;
                }
                return Err(Problem::new(
                    ProblemCode::UpstreamUnavailable,
                    format!(
                        "the ERP failed repeatedly and is not being called for {}s (circuit open); nothing was sent",
                        wait.as_secs().max(1)
                    ),
                ));
            }
        };

        let info = Arc::new(InvocationInfo {
            id: trace.id.clone(),
            tenant: tenant_id.to_owned(),
            function,
            connection: connection.name.clone(),
            plugin: manifest.name.clone(),
            plugin_version: manifest.version.clone(),
        });
        tracing::Span::current().record("ponte.plugin", manifest.name.as_str());
        tracing::Span::current().record("ponte.plugin.version", manifest.version.as_str());
        let span = tracing::info_span!(
            target: "ponte::plugin_run",
            "ponte.plugin",
            otel.name = %format_args!("plugin {} {function}", manifest.name),
            ponte.tenant = tenant_id,
            ponte.function = function.as_str(),
            ponte.plugin = manifest.name.as_str(),
            ponte.plugin.version = manifest.version.as_str(),
            ponte.invocation_id = trace.id.as_str(),
            otel.status_code = tracing::field::Empty,
        );
        // Made inside the plugin's span, the HTTP capability parents its requests to it.
        let capabilities = span.in_scope(|| {
            connection.capabilities(
                &self.store,
                info,
                deadline,
                self.clock,
                &self.options.keyring,
                self.options.log_payloads,
            )
        });
        let http = capabilities.http.clone();
        trace.executed = true;
        let kv = capabilities.kv.clone();
        let result = connection
            .plugin
            .runtime
            .invoke(Call { function, input: input.clone(), capabilities })
            .instrument(span.clone())
            .await;
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        trace.upstream = http.calls();
        if function.spec().is_write() {
            // Whatever the outcome (a timeout may still have changed the ERP), the customer's
            // cached reads may be stale now: a settlement drops their invoice lists.
            self.cache.invalidate(tenant_id, crate::cache::customer_of(&input)).await;
            self.metrics.cache(tenant_id, function.as_str(), "invalidated");
        }
        let plugin_said = result.as_ref().err().map(ToString::to_string);
        let stopped = http.stopped_by().or_else(|| kv.stopped_by());
        let result = host_limit_decides(result, stopped, &trace.upstream, http.upstream_retry_after());
        let rate_limited = matches!(result, Err(PluginError::RateLimited { .. }));
        let unreached =
            matches!(result, Err(PluginError::Unavailable(_) | PluginError::UpstreamTimeout | PluginError::Deadline));
        if let (Some(quota), Some(reservation)) = (&quota, reservation) {
            quota.settle(reservation, &self.store, &self.metrics, result.as_ref().map(|_| ()), &trace.upstream).await;
        }
        if rate_limited || (unreached && trace.upstream.is_empty()) {
            // Failed without sending anything (gave up waiting for another call's login), or the
            // upstream only asked to slow down: no news of the upstream failing, so no count
            // against it.
            self.breakers.release(permit);
        } else if self.breakers.record(permit, !unreached) {
            tracing::warn!(tenant = tenant_id, connection = %connection.name, "circuit opened: the upstream failed repeatedly");
            self.metrics.circuit_opened(tenant_id, &connection.name);
        }
        let raw = result.map_err(|e| {
            // When a host limit decided the answer, the log keeps what the plugin said too.
            let detail = match plugin_said.filter(|said| *said != e.to_string()) {
                Some(said) => format!("{e} (the plugin said: {said})"),
                None => e.to_string(),
            };
            trace.detail = Some(connection.redactor.redact(&detail));
            Problem::from(e)
        })?;
        let options = EnforceOptions { integer_money: manifest.integer_money };
        let enforced = ponte_contract::enforce_to_json(function, Some(&input), &raw, options).map_err(Problem::from)?;
        let warnings = enforced.warnings.len();
        trace.warnings = enforced.warnings;
        Ok((Output::enforced(enforced.json), warnings))
    }

    /// Writes what a call leaves behind (metrics, the invocation log, a log line) and returns
    /// its result with problems carrying the invocation id.
    pub(crate) async fn record(&self, mut trace: Trace, result: Result<Answer, Problem>) -> Result<Answer, Problem> {
        let elapsed = trace.started.elapsed();
        let (status, outcome) = match &result {
            Ok(answer) => (answer.status, trace.outcome.unwrap_or(Outcome::Ok).as_str()),
            Err(p) => (p.code.status().as_u16(), p.code.as_str()),
        };
        let f = trace.function.as_str().to_owned();
        let tenant = trace.tenant.clone();
        if trace.origin == Origin::Caller {
            self.metrics
                .calls
                .get_or_create(&CallLabels { tenant: tenant.clone(), function: f.clone(), outcome: outcome.into() })
                .inc();
            self.metrics
                .call_seconds
                .get_or_create(&FunctionLabels { tenant: tenant.clone(), function: f.clone() })
                .observe(elapsed.as_secs_f64());
            if let Err(p) = &result {
                self.metrics.error(&tenant, &f, p.code.as_str());
            }
        }
        if !trace.warnings.is_empty() {
            self.metrics
                .warnings
                .get_or_create(&FunctionLabels { tenant: tenant.clone(), function: f.clone() })
                .inc_by(trace.warnings.len() as u64);
        }
        for call in &trace.upstream {
            let labels = UpstreamLabels {
                tenant: tenant.clone(),
                function: f.clone(),
                host: call.host.clone(),
                outcome: call.outcome.as_str().into(),
            };
            self.metrics.upstream_calls.get_or_create(&labels).inc();
            self.metrics.upstream_seconds.get_or_create(&labels).observe(call.duration_ms as f64 / 1000.0);
        }

        let (upstream_calls, warnings, detail) = bounded_log(&trace, &result);
        let record = InvocationRecord {
            id: trace.id.clone(),
            tenant,
            function: f,
            plugin: trace.plugin.as_ref().map(|p| p.0.clone()),
            plugin_version: trace.plugin.as_ref().map(|p| p.1.clone()),
            started_at: trace.started_at,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            status,
            outcome: outcome.to_owned(),
            detail,
            warnings,
            upstream_calls,
            customer_key: trace.customer.clone(),
            // Set only when the host keeps payloads.
            input: trace.input.take(),
            output: match &result {
                Ok(answer) if self.options.log_payloads => Some(Payload::of_output(&answer.output)),
                _ => None,
            },
        };
        match &result {
            Ok(_) => {
                tracing::info!(invocation_id = %trace.id, tenant = %record.tenant, function = %record.function, duration_ms = record.duration_ms, warnings = trace.warnings.len(), outcome, "call ok")
            }
            Err(p) => {
                tracing::warn!(invocation_id = %trace.id, tenant = %record.tenant, function = %record.function, duration_ms = record.duration_ms, code = %p.code, detail = record.detail.as_deref().unwrap_or(""), "call failed")
            }
        }
        // Off the response path: the writer batches rows, and counts any it can't write.
        self.invocation_log.send(record);
        result.map_err(|p| p.with_invocation(&trace.id))
    }
}

/// Upstream requests kept per invocation-log row (the metrics count them all).
pub const MAX_LOGGED_UPSTREAM: usize = 100;
/// Contract warnings kept per invocation-log row.
pub const MAX_LOGGED_WARNINGS: usize = 100;
/// Characters of detail kept per invocation-log row.
pub const MAX_LOGGED_DETAIL: usize = 4096;

/// What an invocation-log row keeps of a call: at most [`MAX_LOGGED_UPSTREAM`] upstream
/// requests (the first ones), [`MAX_LOGGED_WARNINGS`] warnings and [`MAX_LOGGED_DETAIL`]
/// characters of detail, with a note in the detail saying what was left out. A plugin that makes
/// thousands of requests can't grow a row without bound.
fn bounded_log(trace: &Trace, result: &Result<Answer, Problem>) -> (Value, Value, Option<String>) {
    let mut detail = trace.detail.clone().or_else(|| result.as_ref().err().map(|p| p.detail.clone()));
    if let Some(text) = &mut detail
        && text.chars().count() > MAX_LOGGED_DETAIL
    {
        *text = text.chars().take(MAX_LOGGED_DETAIL).collect::<String>() + "… (cut)";
    }
    let mut notes = Vec::new();
    if trace.upstream.len() > MAX_LOGGED_UPSTREAM {
        notes.push(format!(
            "{} of {} upstream requests left out of this log",
            trace.upstream.len() - MAX_LOGGED_UPSTREAM,
            trace.upstream.len()
        ));
    }
    if trace.warnings.len() > MAX_LOGGED_WARNINGS {
        notes.push(format!(
            "{} of {} warnings left out of this log",
            trace.warnings.len() - MAX_LOGGED_WARNINGS,
            trace.warnings.len()
        ));
    }
    if !notes.is_empty() {
        let note = format!("[{}]", notes.join("; "));
        detail = Some(match detail {
            Some(text) => format!("{text} {note}"),
            None => note,
        });
    }
    let upstream = &trace.upstream[..trace.upstream.len().min(MAX_LOGGED_UPSTREAM)];
    let warnings = &trace.warnings[..trace.warnings.len().min(MAX_LOGGED_WARNINGS)];
    (
        serde_json::to_value(upstream).unwrap_or(Value::Array(Vec::new())),
        serde_json::to_value(warnings).unwrap_or(Value::Array(Vec::new())),
        detail,
    )
}

/// The caller's answer when a host limit refused one of the plugin's requests or writes: the
/// limit, not whatever the plugin made of the refusal. A plugin that caught it and answered
/// anyway answered without what was refused (a list cut short, a session not stored), so the
/// answer is not trusted either. A plugin that calls the upstream unavailable when it answered
/// `429` last was rate-limited, and the caller is told so (`429`, not `503`): the upstream
/// isn't failing.
pub(crate) fn host_limit_decides(
    result: Result<Value, PluginError>,
    stopped: Option<CapabilityError>,
    upstream: &[UpstreamCall],
    upstream_retry_after: Option<Duration>,
) -> Result<Value, PluginError> {
    match stopped {
        Some(CapabilityError::Limit(limit)) => return Err(PluginError::ResourceLimit(limit)),
        Some(CapabilityError::RateLimited(retry_after)) => return Err(PluginError::RateLimited { retry_after }),
        _ => {}
    }
    let Err(error) = result else { return result };
    let refused_for_rate = upstream.last().is_some_and(|call| call.status == Some(429));
    match error {
        // Only "unavailable": a plugin that read the 429 and said something specific (DocSales'
        // monthly limit is a 429 too) is believed.
        PluginError::Unavailable(_) | PluginError::UpstreamTimeout if refused_for_rate => {
            Err(PluginError::RateLimited { retry_after: upstream_retry_after })
        }
        other => Err(other),
    }
}
