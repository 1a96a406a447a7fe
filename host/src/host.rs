//! Ponte's host: the server every app, website and totem calls for normalized ERP functions.
//!
//! # Layout
//! - [`api`]: the HTTP API (axum): routes, caller auth and scopes, problems, OpenAPI.
//! - [`invoke`]: the pipeline of one call: validate, run the tenant's plugin, enforce the
//!   contract, log.
//! - [`runtime`]: the `Plugin` abstraction and its runtimes (Rhai today, WebAssembly next).
//! - [`capabilities`]: what plugins may ask of the host (http, config, kv, log, clock), written
//!   once for every runtime.
//! - [`config`]: plugin manifests and tenants' automation files, validated with file and line.
//! - [`registry`]: everything loaded: plugins compiled, tenants' connections ready.
//! - [`store`]: the one place with SQL (SQLite by default, or PostgreSQL): API keys, the
//!   invocation log, kv.
//! - [`metrics`], [`problem`], [`secret`]: Prometheus metrics, caller-facing errors, secrets
//!   and their redaction.
//! - [`server`]: serving on a bound listener with graceful shutdown.
//! - [`demo`]: `ponte demo`, the whole product on one machine with a simulated ERP.
//!
//! The contract itself (the functions, their shapes, normalization) is the `ponte-contract`
//! crate; the host applies it and never redefines it.

pub mod api;
pub mod capabilities;
pub mod config;
pub mod demo;
pub mod invoke;
pub mod metrics;
pub mod problem;
pub mod registry;
pub mod runtime;
pub mod secret;
pub mod server;
pub mod store;

use anyhow::Context as _;

/// Opens the store, loads plugins and automations, and registers every loaded tenant: what both
/// `ponte serve` and `ponte demo` (and the test harness) start from.
///
/// # Errors
/// When the store can't be opened.
pub async fn bootstrap(database_url: &str, sources: &registry::Sources) -> anyhow::Result<invoke::Host> {
    let store = store::Store::open(database_url).await.context("failed to open the store")?;
    let registry = registry::Registry::load(sources).await;
    for (id, tenant) in &registry.tenants {
        store.ensure_tenant(id, &tenant.automation.name).await.context("failed to register a tenant")?;
    }
    tracing::info!(
        plugins = registry.plugins.len(),
        tenants = registry.tenants.len(),
        errors = registry.errors.len(),
        "configuration loaded"
    );
    Ok(invoke::Host {
        store,
        registry: std::sync::Arc::new(registry),
        metrics: metrics::Metrics::new(),
        clock: capabilities::clock::Clock::system(),
    })
}
