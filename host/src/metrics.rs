//! Prometheus metrics, one registry per server (so tests can run several in one process).
//!
//! Labels are tenant ids, function names, problem codes and upstream host names: never keys,
//! settings, customers' documents or anything a secret could hide in.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// Tenant id.
    pub tenant: String,
    /// Function name.
    pub function: String,
    /// `ok` or the problem code.
    pub outcome: String,
}

/// Labels of a call's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FunctionLabels {
    /// Tenant id.
    pub tenant: String,
    /// Function name.
    pub function: String,
}

/// Labels of an error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// Tenant id (`-` before a caller is known).
    pub tenant: String,
    /// Function name (`-` when there is none).
    pub function: String,
    /// Problem code.
    pub code: String,
}

/// Labels of an upstream request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    /// Tenant id.
    pub tenant: String,
    /// Function name.
    pub function: String,
    /// Upstream host.
    pub host: String,
    /// `ok`, `denied`, `timeout`, `unreachable`, `too_large`, `invalid`.
    pub outcome: String,
}

/// Labels of a tenant connection (a configured upstream).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConnectionLabels {
    /// Tenant id.
    pub tenant: String,
    /// The automation's connection name.
    pub connection: String,
}

/// Labels of a settlement event.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SettlementLabels {
    /// Tenant id.
    pub tenant: String,
    /// `accepted`, `posted`, `verified_paid`, `already_paid`, `retry`, `deferred`, `parked`,
    /// `rejected`, `requeued`, `resolved`.
    pub event: String,
}

/// Labels of an upstream quota.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QuotaLabels {
    /// Tenant id.
    pub tenant: String,
    /// The automation's connection name (the upstream account).
    pub connection: String,
    /// The quota's name in the plugin's manifest.
    pub quota: String,
}

/// Labels of a read served (or not) from the cache.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// Tenant id.
    pub tenant: String,
    /// Function name.
    pub function: String,
    /// `hit` (served from the cache), `miss` (the plugin ran), `coalesced` (shared another
    /// caller's plugin run), `invalidated` (a write dropped the customer's cached reads).
    pub result: String,
}

/// Labels of invocation-log rows dropped.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    /// `queue_full` (the writer fell behind), `store_error` (the store refused the row after
    /// retries), `closed` (the writer had stopped).
    pub reason: String,
}

/// Labels of a per-tenant gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabels {
    /// Tenant id.
    pub tenant: String,
}

/// Labels of reconciliation runs.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconciliationLabels {
    /// Tenant id.
    pub tenant: String,
    /// `clean` (everything checked matched), `mismatched` (at least one mismatch), `incomplete`
    /// (no mismatch, but some payments could not be checked).
    pub result: String,
}

/// The server's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// Calls by tenant, function and outcome.
    pub calls: Family<CallLabels, Counter>,
    /// Call latency by tenant and function.
    pub call_seconds: Family<FunctionLabels, Histogram>,
    /// Errors by tenant, function and code.
    pub errors: Family<ErrorLabels, Counter>,
    /// Upstream requests by tenant, function, host and outcome.
    pub upstream_calls: Family<UpstreamLabels, Counter>,
    /// Upstream latency by tenant, function, host and outcome.
    pub upstream_seconds: Family<UpstreamLabels, Histogram>,
    /// Contract warnings (values dropped or repaired) by tenant and function.
    pub warnings: Family<FunctionLabels, Counter>,
    /// Circuits opened, by tenant and connection.
    pub circuits_opened: Family<ConnectionLabels, Counter>,
    /// Settlement events by tenant.
    pub settlements: Family<SettlementLabels, Counter>,
    /// Parked settlements (dead letters waiting for a human) by tenant, as of the worker's last
    /// sweep: alert on anything above zero.
    pub settlements_parked: Family<TenantLabels, Gauge>,
    /// Units left of each upstream quota in its current period, as of its last use.
    pub quota_remaining: Family<QuotaLabels, Gauge>,
    /// Reads by cache result.
    pub cache: Family<CacheLabels, Counter>,
    /// Invocation-log rows that could not be written, by reason.
    pub invocation_log_dropped: Family<DropLabels, Counter>,
    /// Tenants whose automation is loaded.
    pub tenants_loaded: Gauge,
    /// Kiosk (totem-only) keys locked out for looking up too many distinct customers.
    pub kiosk_lockouts: Family<TenantLabels, Counter>,
    /// Invocation-log rows purged for their age (retention).
    pub invocations_purged: Counter,
    /// Customers whose data was erased on request.
    pub erasures: Family<TenantLabels, Counter>,
    /// Configuration errors at the last load.
    pub config_errors: Gauge,
    /// Reconciliation runs by tenant and result.
    pub reconciliations: Family<ReconciliationLabels, Counter>,
    /// Mismatches between Ponte's payments and the ERP found by the tenant's last
    /// reconciliation: alert on anything above zero.
    pub reconciliation_mismatches: Family<TenantLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ponte");
        let calls = Family::<CallLabels, Counter>::default();
        let call_seconds =
            Family::<FunctionLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let errors = Family::<ErrorLabels, Counter>::default();
        let upstream_calls = Family::<UpstreamLabels, Counter>::default();
        let upstream_seconds =
            Family::<UpstreamLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let warnings = Family::<FunctionLabels, Counter>::default();
        let circuits_opened = Family::<ConnectionLabels, Counter>::default();
        let settlements = Family::<SettlementLabels, Counter>::default();
        let settlements_parked = Family::<TenantLabels, Gauge>::default();
        let quota_remaining = Family::<QuotaLabels, Gauge>::default();
        let cache = Family::<CacheLabels, Counter>::default();
        let invocation_log_dropped = Family::<DropLabels, Counter>::default();
        let tenants_loaded = Gauge::default();
        let config_errors = Gauge::default();
        let kiosk_lockouts = Family::<TenantLabels, Counter>::default();
        let invocations_purged = Counter::default();
        let erasures = Family::<TenantLabels, Counter>::default();
        let reconciliations = Family::<ReconciliationLabels, Counter>::default();
        let reconciliation_mismatches = Family::<TenantLabels, Gauge>::default();
        registry.register("calls", "Function calls by outcome", calls.clone());
        registry.register("call_duration_seconds", "Function call latency", call_seconds.clone());
        registry.register("errors", "Problems answered, by code", errors.clone());
        registry.register("upstream_requests", "Requests to ERPs and services", upstream_calls.clone());
        registry.register(
            "upstream_duration_seconds",
            "Latency of requests to ERPs and services",
            upstream_seconds.clone(),
        );
        registry.register("contract_warnings", "Values dropped or repaired by contract enforcement", warnings.clone());
        registry.register(
            "circuits_opened",
            "Circuits opened after repeated upstream failures",
            circuits_opened.clone(),
        );
        registry.register("settlements", "Settlement queue events", settlements.clone());
        registry.register(
            "settlements_parked",
            "Settlements parked for a human (dead letters), as of the last sweep",
            settlements_parked.clone(),
        );
        registry.register(
            "quota_remaining",
            "Units left of an upstream quota in its current period",
            quota_remaining.clone(),
        );
        registry.register("cache", "Reads served from the cache, coalesced, or run", cache.clone());
        registry.register(
            "invocation_log_dropped",
            "Invocation-log rows not written (the writer fell behind or the store refused them)",
            invocation_log_dropped.clone(),
        );
        registry.register("tenants_loaded", "Tenants whose automation is loaded", tenants_loaded.clone());
        registry.register("config_errors", "Configuration errors at the last load", config_errors.clone());
        registry.register(
            "kiosk_lockouts",
            "Totem keys locked out for looking up too many distinct customers",
            kiosk_lockouts.clone(),
        );
        registry.register(
            "invocations_purged",
            "Invocation-log rows deleted for their age (retention)",
            invocations_purged.clone(),
        );
        registry.register("erasures", "Customers whose stored data was erased on request", erasures.clone());
        registry.register(
            "reconciliations",
            "Reconciliations of posted payments against the ERP, by result",
            reconciliations.clone(),
        );
        registry.register(
            "reconciliation_mismatches",
            "Payments the last reconciliation found posted here but open at the ERP, or the reverse",
            reconciliation_mismatches.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            calls,
            call_seconds,
            errors,
            upstream_calls,
            upstream_seconds,
            warnings,
            circuits_opened,
            settlements,
            settlements_parked,
            quota_remaining,
            cache,
            invocation_log_dropped,
            tenants_loaded,
            config_errors,
            kiosk_lockouts,
            invocations_purged,
            erasures,
            reconciliations,
            reconciliation_mismatches,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Counts a circuit opened.
    pub fn circuit_opened(&self, tenant: &str, connection: &str) {
        self.circuits_opened
            .get_or_create(&ConnectionLabels { tenant: tenant.to_owned(), connection: connection.to_owned() })
            .inc();
    }

    /// Counts a settlement event.
    pub fn settlement(&self, tenant: &str, event: &str) {
        self.settlements.get_or_create(&SettlementLabels { tenant: tenant.to_owned(), event: event.to_owned() }).inc();
    }

    /// Counts `rows` invocation-log rows dropped for `reason`.
    pub fn invocation_log_dropped(&self, reason: &str, rows: u64) {
        self.invocation_log_dropped.get_or_create(&DropLabels { reason: reason.to_owned() }).inc_by(rows);
    }

    /// Counts a read's cache result.
    pub fn cache(&self, tenant: &str, function: &str, result: &str) {
        self.cache
            .get_or_create(&CacheLabels {
                tenant: tenant.to_owned(),
                function: function.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Counts an error answered.
    pub fn error(&self, tenant: &str, function: &str, code: &str) {
        self.errors
            .get_or_create(&ErrorLabels {
                tenant: tenant.to_owned(),
                function: function.to_owned(),
                code: code.to_owned(),
            })
            .inc();
    }
}
