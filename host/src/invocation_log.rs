//! The invocation log's writer: rows leave the response path through a bounded channel and
//! reach the store in batches, one statement (so one transaction) per batch.
//!
//! ```text
//! call ─ record ─ try_send ─┬─ [channel, bounded] ─ writer task ─ store.record_invocations(batch)
//!                           └─ full: counted as dropped (metric + log), the call goes on
//! ```
//!
//! Once a row arrives, the writer gathers what follows for up to a *linger* (default 100 ms,
//! [`crate::options::DEFAULT_INVOCATION_LOG_LINGER`]) or until a batch is full, then writes them
//! together: under load a commit (an `fsync` on SQLite) carries hundreds of rows instead of a
//! handful. Without it the writer and the database's own thread took a fifth of the host's CPU
//! in the load driver (`bench/load`). A flush ends the gathering at once.
//!
//! A call never waits for the store to log it. What a call can't log is never lost silently:
//! a row that doesn't fit in the channel, or that the store refused after its retries, is counted
//! in `ponte_invocation_log_dropped_total{reason}` and named in an error log line (its invocation
//! id, tenant and function), so "written + dropped = calls" always holds.
//!
//! Idempotency records and the settlement queue are not written here: their durability is the
//! point, so they are written before the caller is answered.
//!
//! [`InvocationLog::flush`] waits until every row sent before it is in the store (or counted as
//! dropped): the admin API's reads and a graceful shutdown use it, so an operator reading the log
//! on the replica that served a call always finds it there.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{InvocationRecord, MAX_INVOCATION_BATCH, Store, StoreError};

/// The channel's default capacity: rows waiting for the writer.
pub use crate::options::DEFAULT_INVOCATION_LOG_QUEUE as DEFAULT_QUEUE;

/// How long the writer waits before retrying a batch the store refused, one entry per retry.
const RETRY_BACKOFF: [Duration; 3] = [Duration::from_millis(50), Duration::from_millis(250), Duration::from_secs(1)];

/// At most one "rows dropped" warning per this many milliseconds (the metric counts them all).
const WARN_EVERY_MS: u64 = 1000;

enum Message {
    Row(Box<InvocationRecord>),
    Flush(oneshot::Sender<()>),
}

/// The sending side: cheap to clone, shared by every request handler.
#[derive(Clone)]
pub struct InvocationLog {
    tx: mpsc::Sender<Message>,
    shared: Arc<Shared>,
}

struct Shared {
    metrics: Metrics,
    started: Instant,
    last_warning_ms: AtomicU64,
}

impl InvocationLog {
    /// Starts the writer task over `store` with room for `queue` rows waiting (at least 1),
    /// gathering each batch for up to `linger` (zero: writes what is waiting at once).
    /// The task ends once every clone of the returned handle is dropped and the rows are written.
    ///
    /// Must be called inside a tokio runtime.
    pub fn spawn(store: Store, metrics: Metrics, queue: usize, linger: Duration) -> InvocationLog {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let shared = Arc::new(Shared { metrics, started: Instant::now(), last_warning_ms: AtomicU64::new(0) });
        tokio::spawn(write(store, rx, shared.clone(), linger));
        InvocationLog { tx, shared }
    }

    /// Hands `record` to the writer without waiting. When the channel is full the row is counted
    /// as dropped and logged, and the call goes on.
    pub fn send(&self, record: InvocationRecord) {
        match self.tx.try_send(Message::Row(Box::new(record))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(Message::Row(record))) => {
                self.shared.dropped("queue_full", std::slice::from_ref(&*record));
            }
            Err(mpsc::error::TrySendError::Closed(Message::Row(record))) => {
                self.shared.dropped("closed", std::slice::from_ref(&*record));
            }
            Err(_) => {}
        }
    }

    /// Waits until every row sent before this call is written or counted as dropped.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            // An error means the writer is gone, and with it everything it could write.
            let _ = wait.await;
        }
    }
}

impl Shared {
    /// Counts `records` as dropped for `reason` and says so (at most once a second, naming the
    /// first row; the metric counts every one).
    fn dropped(&self, reason: &'static str, records: &[InvocationRecord]) {
        let Some(first) = records.first() else { return };
        self.metrics.invocation_log_dropped(reason, records.len() as u64);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_warning_ms.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= WARN_EVERY_MS)
            && self.last_warning_ms.compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::error!(
                reason,
                rows = records.len(),
                invocation_id = %first.id,
                tenant = %first.tenant,
                function = %first.function,
                "invocation-log rows dropped (counted in ponte_invocation_log_dropped_total)"
            );
        }
    }
}

/// The writer: takes what is waiting, gathers what follows for up to `linger` (until a batch is
/// full or a flush asks), writes it in one statement, answers the flushes that were queued
/// behind those rows, and goes back to waiting.
async fn write(store: Store, mut rx: mpsc::Receiver<Message>, shared: Arc<Shared>, linger: Duration) {
    let mut batch = Vec::with_capacity(MAX_INVOCATION_BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let until = tokio::time::Instant::now() + linger;
        let mut next = Some(first);
        loop {
            while let Some(message) = next.take() {
                match message {
                    Message::Row(record) => batch.push(*record),
                    Message::Flush(done) => flushes.push(done),
                }
                if batch.len() < MAX_INVOCATION_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if linger.is_zero() || !flushes.is_empty() || batch.len() >= MAX_INVOCATION_BATCH {
                break;
            }
            // `Err`: the linger is over; `Ok(None)`: every sender is gone, so nothing follows.
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(message)) => next = Some(message),
                Ok(None) | Err(_) => break,
            }
        }
        write_batch(&store, &batch, &shared).await;
        batch.clear();
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes one batch, retrying a failed write after each of [`RETRY_BACKOFF`]'s waits; what still
/// fails is counted as dropped. A malformed row (a bug, not the store's fault) is left out and
/// the rest written.
async fn write_batch(store: &Store, batch: &[InvocationRecord], shared: &Shared) {
    if batch.is_empty() {
        return;
    }
    let mut waits = RETRY_BACKOFF.iter();
    loop {
        match store.record_invocations(batch).await {
            Ok(_) => return,
            Err(StoreError::Invalid(field)) => {
                tracing::error!(field, "an invocation-log batch held a malformed row; writing the rows one by one");
                for record in batch {
                    if let Err(e) = store.record_invocation(record).await {
                        tracing::error!(invocation_id = %record.id, error = %e, "invocation-log row refused");
                        shared.dropped("store_error", std::slice::from_ref(record));
                    }
                }
                return;
            }
            Err(e) => match waits.next() {
                Some(wait) => {
                    tracing::warn!(error = %e, rows = batch.len(), "the store refused an invocation-log batch; retrying");
                    tokio::time::sleep(*wait).await;
                }
                None => {
                    tracing::error!(error = %e, rows = batch.len(), "the store refused an invocation-log batch");
                    shared.dropped("store_error", batch);
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(tenant: &str) -> InvocationRecord {
        InvocationRecord {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: tenant.into(),
            function: "list_invoices".into(),
            plugin: Some("ixc".into()),
            plugin_version: Some("1.0.0".into()),
            // The store keeps milliseconds.
            started_at: chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
                .unwrap_or_default(),
            duration_ms: 1,
            status: 200,
            outcome: "ok".into(),
            detail: None,
            warnings: serde_json::json!([]),
            upstream_calls: serde_json::json!([]),
            customer_key: None,
            input: None,
            output: None,
        }
    }

    fn dropped(metrics: &Metrics) -> u64 {
        metrics
            .render()
            .lines()
            .filter(|line| line.starts_with("ponte_invocation_log_dropped_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    #[tokio::test]
    async fn every_row_sent_arrives_in_batches_and_flush_waits_for_them() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let metrics = Metrics::new();
        let log = InvocationLog::spawn(store.clone(), metrics.clone(), 4096, Duration::from_millis(100));
        let sent: Vec<_> = (0..1500).map(|_| record("acme")).collect();
        for row in &sent {
            log.send(row.clone());
        }
        log.flush().await;
        assert_eq!(store.invocations("acme", 1000).await?.len(), 1000, "a page is 1000 rows");
        for row in [&sent[0], &sent[777], &sent[1499]] {
            assert_eq!(store.invocation(&row.id).await?.as_ref(), Some(row));
        }
        assert_eq!(dropped(&metrics), 0);
        Ok(())
    }

    /// Rows are gathered for the linger and written together; a flush doesn't wait for it, and
    /// rows left when the linger ends are written without one.
    #[tokio::test]
    async fn rows_gather_for_the_linger_and_a_flush_ends_it() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let metrics = Metrics::new();
        let log = InvocationLog::spawn(store.clone(), metrics.clone(), 64, Duration::from_secs(30));
        log.send(record("acme"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        log.send(record("acme"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(store.invocations("acme", 10).await?.is_empty(), "still gathering");
        tokio::time::timeout(Duration::from_secs(5), log.flush())
            .await
            .map_err(|_| anyhow::anyhow!("the flush waited for the linger"))?;
        assert_eq!(store.invocations("acme", 10).await?.len(), 2);

        let short = InvocationLog::spawn(store.clone(), metrics.clone(), 64, Duration::from_millis(50));
        short.send(record("beta"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while store.invocations("beta", 10).await?.is_empty() {
            assert!(Instant::now() < deadline, "the row never arrived after the linger");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(dropped(&metrics), 0);
        Ok(())
    }

    /// The store is held by another writer: rows beyond the channel's room are counted as
    /// dropped at once (sending never waits), and every row is either written or counted.
    #[tokio::test]
    async fn a_full_channel_counts_rows_instead_of_blocking() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("log.db").display());
        let store = Store::open(&url).await?;
        let blocker = Store::open(&url).await?;
        let lock = blocker.hold_write_lock_for_tests().await?;
        let metrics = Metrics::new();
        let log = InvocationLog::spawn(store.clone(), metrics.clone(), 8, Duration::ZERO);
        let sent: Vec<_> = (0..200).map(|_| record("acme")).collect();
        let sending = tokio::time::timeout(Duration::from_secs(5), async {
            for row in &sent {
                log.send(row.clone());
                tokio::task::yield_now().await;
            }
        });
        sending.await.map_err(|_| anyhow::anyhow!("sending blocked on a stuck store"))?;
        let dropped_while_stuck = dropped(&metrics);
        assert!(dropped_while_stuck >= 200 - 8 - u64::try_from(MAX_INVOCATION_BATCH)?.min(8) - 1);
        drop(lock);
        log.flush().await;
        let written = u64::try_from(store.invocations("acme", 1000).await?.len())?;
        assert_eq!(written + dropped(&metrics), 200, "every row is written or counted");
        assert!(written >= 1);
        Ok(())
    }
}
