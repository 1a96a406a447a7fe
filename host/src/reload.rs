//! Hot reload: `ponte serve` notices changed plugins and automations and swaps them in without
//! a restart.
//!
//! Every `interval` the watcher takes a fingerprint of the plugin folders and the automations
//! folder (each file's path, size and modification time); when it changes, the whole
//! configuration is loaded again exactly as at start ([`Registry::load`]) and swapped in at once.
//! A call keeps the configuration it started with (it holds its connection), so calls in flight
//! finish on the old version and the next ones run the new.
//!
//! A broken new version never replaces a working one: a tenant whose file now fails to load (or
//! whose plugin now fails to compile) keeps serving its previous configuration, and the errors
//! are logged and counted (`GET /readyz` lists the tenant under `tenants_failed`, `/metrics` has
//! `ponte_config_errors`) until a fixed version loads. A tenant whose file was removed is
//! removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::invoke::Host;
use crate::registry::{Registry, Sources};

/// How deep the watcher looks inside a plugin folder (its scripts may sit in sub-folders).
const MAX_DEPTH: usize = 4;
/// The most files fingerprinted (a folder with more is read only this far).
const MAX_FILES: usize = 20_000;

/// Watches `sources` every `interval` and swaps in what changed, until the host's process ends.
pub async fn watch(host: Host, sources: Sources, interval: Duration) {
    let mut seen = fingerprint(&sources);
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(50)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let now = tokio::task::spawn_blocking({
            let sources = sources.clone();
            move || fingerprint(&sources)
        })
        .await
        .unwrap_or_default();
        if now == seen {
            continue;
        }
        seen = now;
        reload(&host, &sources).await;
    }
}

/// Loads the configuration again (the files, then the tenants defined through the admin API)
/// and swaps it in, keeping the previous version of every tenant the new one fails for. Returns
/// what was swapped in.
pub async fn reload(host: &Host, sources: &Sources) -> Arc<Registry> {
    let _one_at_a_time = host.reload_lock.lock().await;
    let mut fresh = Registry::load(sources).await;
    match host.store.current_tenant_revisions().await {
        Ok(revisions) => fresh.load_stored(revisions, &host.options.keyring),
        Err(e) => {
            // Keep the stored tenants as they are rather than drop them for a store hiccup.
            tracing::error!(error = %e, "the tenants defined through the admin API could not be read; they keep their configuration");
            for (id, tenant) in host.registry().tenants.iter().filter(|(_, t)| t.revision.is_some()) {
                fresh.tenants.entry(id.clone()).or_insert_with(|| tenant.clone());
            }
        }
    }
    swap_in(host, fresh).await
}

/// Loads the tenants defined through the admin API again (the files' stay as they are) and
/// swaps them in: after a change through the API, on this replica at once and on the others
/// when their [`watch_store`] notices it.
///
/// # Errors
/// When the store can't be read (nothing changes then).
pub async fn reload_stored(host: &Host) -> Result<Arc<Registry>, crate::store::StoreError> {
    let _one_at_a_time = host.reload_lock.lock().await;
    let revisions = host.store.current_tenant_revisions().await?;
    let mut fresh = host.registry().without_stored();
    fresh.load_stored(revisions, &host.options.keyring);
    Ok(swap_in(host, fresh).await)
}

/// Watches the store's configuration version every `interval` and loads the tenants defined
/// through the admin API again when another replica (or this one) changed one, until `stop`.
pub async fn watch_store(host: Host, interval: Duration, stop: tokio_util::sync::CancellationToken) {
    // Nothing seen yet: the first tick loads the stored tenants again, so a change made between
    // this host's start and this task's first read is never missed.
    let mut seen = None;
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(50)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = match host.store.config_version().await {
            Ok(now) => now,
            Err(e) => {
                tracing::warn!(error = %e, "the configuration version could not be read");
                continue;
            }
        };
        if seen == Some(now) {
            continue;
        }
        match reload_stored(&host).await {
            Ok(_) => seen = Some(now),
            Err(e) => tracing::warn!(error = %e, "the tenants defined through the admin API could not be reloaded"),
        }
    }
}

/// Merges `fresh` with what serves now, registers new tenants in the store, and swaps it in.
async fn swap_in(host: &Host, fresh: Registry) -> Arc<Registry> {
    let previous = host.registry();
    let (merged, kept) = merge(&previous, fresh);
    for (id, tenant) in &merged.tenants {
        if !previous.tenants.contains_key(id)
            && let Err(e) = host.store.ensure_tenant(id, &tenant.automation.name).await
        {
            tracing::error!(tenant = %id, error = %e, "a reloaded tenant could not be registered in the store");
        }
    }
    for tenant in &kept {
        tracing::warn!(tenant = %tenant, "the new configuration of this tenant failed to load; it keeps serving the previous one");
    }
    tracing::info!(
        plugins = merged.plugins.len(),
        tenants = merged.tenants.len(),
        errors = merged.errors.len(),
        kept_previous = kept.len(),
        "configuration reloaded"
    );
    let merged = Arc::new(merged);
    host.registry.store(Arc::clone(&merged));
    merged
}

/// `fresh`, with every tenant that loaded before and fails now put back as it was (with the
/// plugin versions it used), and every plugin that loaded before and fails now kept under its
/// name. Returns it and the tenants kept.
fn merge(previous: &Registry, mut fresh: Registry) -> (Registry, Vec<String>) {
    let mut kept = Vec::new();
    // A failed file is known by its name (it may not have parsed far enough to name its
    // tenant); the tenant it served before is the one loaded from that file.
    let failed: Vec<String> = fresh.failed_tenants.keys().cloned().collect();
    for stem in failed {
        let before = previous.tenants.iter().find(|(id, tenant)| {
            **id == stem || tenant.automation.file.file_stem().and_then(|s| s.to_str()) == Some(stem.as_str())
        });
        if let Some((id, old)) = before
            && !fresh.tenants.contains_key(id)
        {
            fresh.tenants.insert(id.clone(), old.clone());
            kept.push(id.clone());
        }
    }
    for (name, plugin) in &previous.plugins {
        if !fresh.plugins.contains_key(name) && plugin.manifest.file.exists() {
            fresh.plugins.insert(name.clone(), Arc::clone(plugin));
        }
    }
    (fresh, kept)
}

/// Each file's size and modification time, by path, under the plugin folders and the
/// automations folder.
fn fingerprint(sources: &Sources) -> BTreeMap<PathBuf, (u64, Option<SystemTime>)> {
    let mut files = BTreeMap::new();
    for folder in sources.plugins.iter().chain(std::iter::once(&sources.automations)) {
        walk(folder, 0, &mut files);
    }
    files
}

/// Each file's size and modification time under one folder (build output skipped), as the
/// watcher sees it; `ponte dev` watches a Rust plugin's sources with it.
pub(crate) fn files_under(dir: &Path) -> BTreeMap<PathBuf, (u64, Option<SystemTime>)> {
    let mut files = BTreeMap::new();
    walk(dir, 0, &mut files);
    files
}

fn walk(dir: &Path, depth: usize, files: &mut BTreeMap<PathBuf, (u64, Option<SystemTime>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if files.len() >= MAX_FILES {
            return;
        }
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            // Build output is not configuration (a Rust plugin's target/ changes constantly).
            if depth < MAX_DEPTH && entry.file_name() != "target" {
                walk(&path, depth + 1, files);
            }
        } else {
            files.insert(path, (meta.len(), meta.modified().ok()));
        }
    }
}
