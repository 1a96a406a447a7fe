//! The settlement worker: one per host process, any number per database.
//!
//! It wakes every `poll_interval` (or at once when a request queues a settlement), claims due
//! settlements under a lease ([`crate::store::Store::settlements_claim`]: `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so replicas never claim the same one), attempts them concurrently and
//! goes back to sleep. A settlement whose worker died is claimed again once its lease runs out.
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
pub async fn run(host: Host, shutdown: CancellationToken) {
    let options = host.options.settlement.clone();
    let mut last_sweep: Option<Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_INTERVAL) {
            sweep(&host).await;
            last_sweep = Some(Instant::now());
        }
        // Drain: while a full batch comes back there is more due.
        loop {
            let claimed = claim_and_attempt(&host).await;
            if claimed < options.concurrency as usize || shutdown.is_cancelled() {
                break;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = host.settlement_wake.notified() => {}
            () = tokio::time::sleep(options.poll_interval) => {}
        }
    }
}

/// Claims a batch of due settlements and attempts them concurrently; returns how many.
async fn claim_and_attempt(host: &Host) -> usize {
    let options = &host.options.settlement;
    let token = uuid::Uuid::new_v4().to_string();
    let now = Utc::now().timestamp_millis();
    // One lease for the batch, long enough for the slowest tenant's attempt.
    let lease =
        host.registry.tenants.keys().map(|tenant| super::lease(host, tenant)).max().unwrap_or(options.lease_margin);
    let claimed =
        match host.store.settlements_claim(&token, now, now.saturating_add(millis(lease)), options.concurrency).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "could not claim due settlements");
                return 0;
            }
        };
    let count = claimed.len();
    let mut attempts = JoinSet::new();
    for settlement in claimed {
        let host = host.clone();
        let token = token.clone();
        attempts.spawn(async move {
            attempt(&host, &settlement, &token).await;
        });
    }
    while let Some(joined) = attempts.join_next().await {
        if let Err(e) = joined {
            // The lease runs out and another attempt takes the settlement over.
            tracing::error!(error = %e, "a settlement attempt panicked");
        }
    }
    count
}

/// Deletes expired records and refreshes the parked gauge.
async fn sweep(host: &Host) {
    let now = Utc::now().timestamp_millis();
    match host.store.idempotency_purge_expired(now).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(purged = n, "expired idempotency records deleted"),
        Err(e) => tracing::warn!(error = %e, "could not purge expired idempotency records"),
    }
    if let Err(e) = host.store.kv_purge_expired().await {
        tracing::warn!(error = %e, "could not purge expired kv entries");
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
