//! Retention: invocation-log rows (with each call's input, output and upstream exchanges) are
//! deleted once older than `--invocation-log-retention` (default 30 days), by the periodic
//! sweep. Idempotency records have their own retention (`--idempotency-retention`, 24 h).

use crate::invoke::Host;

/// Deletes the invocation-log rows past the retention period; returns how many.
pub async fn purge(host: &Host) -> u64 {
    let Some(retention) = host.options.privacy.invocation_retention else { return 0 };
    let Ok(age) = chrono::Duration::from_std(retention) else { return 0 };
    let cutoff = (chrono::Utc::now() - age).timestamp_millis();
    match host.store.invocations_purge_before(cutoff).await {
        Ok(purged) => {
            if purged > 0 {
                host.metrics.invocations_purged.inc_by(purged);
                tracing::info!(purged, "invocation-log rows past their retention deleted");
            }
            purged
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not purge the invocation log");
            0
        }
    }
}
