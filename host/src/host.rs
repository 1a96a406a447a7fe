//! Ponte's host: the server every app, website and totem calls for normalized ERP functions.
//!
//! # Layout
//! - [`api`]: the HTTP API (axum): routes, caller auth and scopes, problems, OpenAPI.
//! - [`console`]: the operators' console at `/console` (server-rendered, htmx), signed in with
//!   an admin key.
//! - [`operator`]: what operators do (tenants as data, keys, parked settlements), shared by the
//!   admin API and the console, each action audited.
//! - [`call`]: a caller's call: scope, input, then a read (cache, coalescing) or a write
//!   (idempotency, the settlement queue).
//! - [`invoke`]: the pipeline every plugin call shares (callers' and the settlement worker's):
//!   the tenant's binding, bulkheads, the sandboxed run, contract enforcement, the log.
//! - [`runtime`]: the `Plugin` abstraction and its runtimes (Rhai today, WebAssembly next).
//! - [`capabilities`]: what plugins may ask of the host (http, config, kv, log, clock), written
//!   once for every runtime.
//! - [`config`]: plugin manifests and tenants' automation files, validated with file and line,
//!   and tenants' documents given through the admin API, validated the same way.
//! - [`registry`]: everything loaded: plugins compiled, tenants' connections ready.
//! - [`reload`]: changed plugins and automations swapped in without a restart (files, and
//!   tenants changed through the admin API on any replica); a broken new version refused while
//!   the old one serves.
//! - [`reseal`]: every stored secret re-sealed under a new key (`ponte secrets rotate`).
//! - [`cache`], [`coalesce`]: the read cache (in memory, or Redis shared by replicas) and
//!   identical concurrent reads sharing one plugin run.
//! - [`keys`]: API keys checked in memory, dropped when any replica creates or revokes one.
//! - [`invocation_log`]: the invocation log's background writer (batched, off the response path).
//! - [`quota`]: upstream quotas a manifest declares, counted durably and enforced before the
//!   plugin runs.
//! - [`digest`]: what identifies a request (function + canonical input), for idempotency and the
//!   read cache.
//! - [`idempotency`]: the rules of `Idempotency-Key` on the writing functions.
//! - [`settlement`]: the durable queue that posts payments exactly once, and its worker.
//! - [`privacy`]: customers' personal data (LGPD): the kiosk lookup limit, masking for kiosks,
//!   the invocation log's retention, erasure by document.
//! - [`breaker`]: circuit breakers per tenant connection.
//! - [`store`]: the one place with SQL (SQLite by default, PostgreSQL to scale out): API keys,
//!   the invocation log, kv, idempotency records, the settlement queue, tenants' revisions and
//!   the audit trail.
//! - [`options`]: every tunable, with production defaults.
//! - [`metrics`], [`problem`], [`secret`]: Prometheus metrics, caller-facing errors, secrets,
//!   their redaction, and their sealing at rest (`secret::keyring`).
//! - [`server`]: serving on a bound listener with graceful shutdown.
//! - [`telemetry`]: traces (request, call, plugin run, upstream requests) exported over OTLP.
//! - [`demo`]: `ponte demo`, the whole product on one machine with a simulated ERP.
//! - [`author`]: plugin authors' tools (`ponte invoke`, `ponte plugin new|test|record`): one
//!   plugin through the pipeline without a server, its exchanges recorded or replayed.
//!
//! The contract itself (the functions, their shapes, normalization) is the `ponte-contract`
//! crate; the host applies it and never redefines it.

/// The process's allocator: the system's, with a per-thread meter that gives every script call
/// its memory budget (`ponte_meter`). Set here, in the library, so every binary that links the
/// host (the server, the tests, the benchmarks) enforces budgets.
#[global_allocator]
static ALLOCATOR: ponte_meter::MeteredAllocator = ponte_meter::MeteredAllocator;

pub mod api;
pub mod author;
pub mod breaker;
pub mod bulkhead;
pub mod cache;
pub mod call;
pub mod capabilities;
pub mod claims;
pub mod coalesce;
pub mod config;
pub mod console;
pub mod demo;
pub mod digest;
pub mod idempotency;
pub mod invocation_log;
pub mod invoke;
pub mod keys;
pub mod metrics;
pub mod operator;
pub mod options;
pub mod output;
pub mod privacy;
pub mod problem;
pub mod quota;
pub mod ratelimit;
pub mod registry;
pub mod reload;
pub mod reseal;
pub mod runtime;
pub mod secret;
pub mod server;
pub mod settlement;
pub mod store;
pub mod telemetry;

use anyhow::Context as _;

/// Opens the store, loads plugins and automations, and registers every loaded tenant: what both
/// `ponte serve` and `ponte demo` (and the test harness) start from.
///
/// # Errors
/// When the store can't be opened, or a configured Redis doesn't answer.
pub async fn bootstrap(
    database_url: &str,
    sources: &registry::Sources,
    options: invoke::HostOptions,
) -> anyhow::Result<invoke::Host> {
    let store = store::Store::open(database_url).await.context("failed to open the store")?;
    let mut registry = registry::Registry::load(sources).await;
    let stored =
        store.current_tenant_revisions().await.context("failed to read the tenants defined through the admin API")?;
    registry.load_stored(stored, &options.keyring);
    for (id, tenant) in &registry.tenants {
        store.ensure_tenant(id, &tenant.automation.name).await.context("failed to register a tenant")?;
    }
    tracing::info!(
        plugins = registry.plugins.len(),
        tenants = registry.tenants.len(),
        errors = registry.errors.len(),
        "configuration loaded"
    );
    let redis = options.redis.clone();
    let mut host = invoke::Host::new(store, registry, options);
    if let Some(redis) = redis {
        host.cache = cache::ReadCache::redis(&redis)
            .await
            .map_err(|e| anyhow::anyhow!("failed to connect to the read cache's Redis: {:?}", e.kind()))?;
        tracing::info!(prefix = %redis.prefix, "the read cache is in Redis, shared by the replicas using it");
    }
    Ok(host)
}
