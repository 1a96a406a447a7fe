//! Retention: invocation-log rows (with each call's input, output and upstream exchanges) are
//! deleted once older than `--invocation-log-retention` (default 30 days), by the periodic
//! sweep. Idempotency records have their own retention (`--idempotency-retention`, 24 h).

use std::time::Duration;

use crate::metrics::Metrics;
use crate::store::Store;

/// Deletes the invocation-log rows older than `retention` (`None`: keeps them); returns how
/// many.
pub async fn purge(store: &Store, metrics: &Metrics, retention: Option<Duration>) -> u64 {
    let Some(age) = retention.and_then(|r| chrono::Duration::from_std(r).ok()) else { return 0 };
    let cutoff = (chrono::Utc::now() - age).timestamp_millis();
    match store.invocations_purge_before(cutoff).await {
        Ok(purged) => {
            if purged > 0 {
                metrics.invocations_purged.inc_by(purged);
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
