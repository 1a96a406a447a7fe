//! The settlement worker: one per host process, any number per database.
//!
//! It wakes every `poll_interval` (or at once when a request queues a settlement, or an attempt
//! ends), claims due settlements under a lease ([`crate::store::Store::settlements_claim`]: `FOR
//! UPDATE SKIP LOCKED` on PostgreSQL, so replicas never claim the same one) for its free slots,
//! and attempts each on its own task. A settlement whose worker died is claimed again once its lease runs out.
//! Once a minute it also sweeps: expired idempotency records and kv entries are deleted, and
//! the parked-settlements gauge is refreshed.

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{attempt, millis};
use crate::invoke::Host;
use crate::metrics::TenantLabels;
use crate::store::SettlementState;

/// How often the worker sweeps expired records and refreshes gauges.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the worker until `shutdown` is cancelled; attempts under way finish first.
///
/// Up to `concurrency` attempts run at once, each on its own task: as soon as one ends, its
/// slot is refilled (a slow ERP call never holds the others back).
pub async fn run(host: Host, shutdown: CancellationToken) {
    let options = host.options.settlement.clone();
    let slots = usize::try_from(options.concurrency.max(1)).unwrap_or(1);
    let mut attempts: JoinSet<()> = JoinSet::new();
    let mut last_sweep: Option<Instant> = None;
    while !shutdown.is_cancelled() {
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_INTERVAL) {
            sweep(&host).await;
            last_sweep = Some(Instant::now());
        }
        while let Some(joined) = attempts.try_join_next() {
            report(joined);
        }
        let free = slots.saturating_sub(attempts.len());
        let claimed = if free > 0 { claim(&host, free).await } else { Vec::new() };
        let full = free > 0 && claimed.len() == free;
        for (settlement, token) in claimed {
            let host = host.clone();
            attempts.spawn(async move {
                attempt(&host, &settlement, &token).await;
            });
        }
        if full {
            // More may be due: claim again as soon as a slot frees.
            if let Some(joined) = attempts.join_next().await {
                report(joined);
            }
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = host.settlement_wake.notified() => {}
            () = tokio::time::sleep(options.poll_interval) => {}
            Some(joined) = attempts.join_next(), if !attempts.is_empty() => report(joined),
        }
    }
    // Attempts under way finish within the shutdown grace; past it they are cut off, and their
    // claims given back by `release_held`.
    let drain = async {
        while let Some(joined) = attempts.join_next().await {
            report(joined);
        }
    };
    if tokio::time::timeout(host.options.listener.shutdown_grace, drain).await.is_err() {
        tracing::warn!("the shutdown grace ran out: settlement attempts still running are cut off");
        attempts.abort_all();
        while attempts.join_next().await.is_some() {}
    }
}

fn report(joined: Result<(), tokio::task::JoinError>) {
    if let Err(e) = joined {
        // The lease runs out and another attempt takes the settlement over.
        tracing::error!(error = %e, "a settlement attempt panicked");
    }
}

/// Claims up to `limit` due settlements, each with the claim's token.
async fn claim(host: &Host, limit: usize) -> Vec<(crate::store::Settlement, String)> {
    let options = &host.options.settlement;
    let token = uuid::Uuid::new_v4().to_string();
    let now = Utc::now().timestamp_millis();
    // One lease for the claim, long enough for the slowest tenant's attempt.
    let lease =
        host.registry().tenants.keys().map(|tenant| super::lease(host, tenant)).max().unwrap_or(options.lease_margin);
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    match host.store.settlements_claim(&token, now, now.saturating_add(millis(lease)), limit).await {
        Ok(claimed) => claimed.into_iter().map(|s| (s, token.clone())).collect(),
        Err(e) => {
            tracing::error!(error = %e, "could not claim due settlements");
            Vec::new()
        }
    }
}

/// Deletes expired records and refreshes the parked gauge.
async fn sweep(host: &Host) {
    host.key_rates.forget_idle();
    host.kiosk_lookups.forget_idle();
    crate::privacy::retention::purge(&host.store, &host.metrics, host.options.privacy.invocation_retention).await;
    let now = Utc::now().timestamp_millis();
    match host.store.idempotency_purge_expired(now).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(purged = n, "expired idempotency records deleted"),
        Err(e) => tracing::warn!(error = %e, "could not purge expired idempotency records"),
    }
    if let Err(e) = host.store.kv_purge_expired().await {
        tracing::warn!(error = %e, "could not purge expired kv entries");
    }
    if let Err(e) = host.store.kv_locks_purge_expired().await {
        tracing::warn!(error = %e, "could not purge expired kv locks");
    }
    match host.store.settlement_counts(SettlementState::Parked).await {
        Ok(counts) => {
            host.metrics.settlements_parked.clear();
            for (tenant, n) in counts {
                if n > 0 {
                    tracing::error!(tenant = %tenant, parked = n, "settlements are parked and need a human");
                }
                host.metrics
                    .settlements_parked
                    .get_or_create(&TenantLabels { tenant })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not count parked settlements"),
    }
}
