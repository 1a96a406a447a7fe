//! The `reconciliations` table: per tenant, when the comparison of its payments with its ERP is
//! next due, the claim of the run under way, and the last run's report.
//!
//! A run is claimed like a settlement: one statement takes the tenant's row if it is due (or an
//! operator forces it) and nobody holds a live lease on it, so replicas sharing the store never
//! run one tenant's reconciliation twice at once. Finishing is guarded by the claim's token: a
//! run whose lease ran out (its replica died, or it was slow) can't overwrite a newer report.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Result, Store, StoreError, from_millis};

/// A tenant's last reconciliation, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconciliationRecord {
    /// The tenant.
    pub tenant: String,
    /// When the next scheduled run is due.
    pub next_run_at: DateTime<Utc>,
    /// When the last run (or the one under way) started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the last run finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether a run holds a live lease now.
    pub running: bool,
    /// The last finished run's report.
    pub report: Option<Value>,
}

/// How a claim ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconciliationClaim {
    /// The caller runs it now.
    Claimed,
    /// Not due yet.
    NotDue,
    /// Another run holds it.
    Running,
}

type Row = (String, i64, Option<i64>, Option<i64>, Option<i64>, Option<String>);

impl Store {
    /// Claims `tenant`'s reconciliation for `token` until `lease_until` (ms), if it is due at
    /// `now` (or `force`) and no live lease holds it. A tenant never seen is due at `first_due`:
    /// its row is created with that time.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty tenant or token; database errors.
    pub async fn reconciliation_claim(
        &self,
        tenant: &str,
        token: &str,
        now: i64,
        lease_until: i64,
        first_due: i64,
        force: bool,
    ) -> Result<ReconciliationClaim> {
        if tenant.is_empty() {
            return Err(StoreError::Invalid("tenant id"));
        }
        if token.is_empty() {
            return Err(StoreError::Invalid("reconciliation token"));
        }
        let due_by = if force { i64::MAX } else { now };
        let claimed = with_pool!(self, |pool| {
            async {
                sqlx::query(
                    "INSERT INTO reconciliations (tenant_id, next_run_at) VALUES ($1, $2) \
                     ON CONFLICT (tenant_id) DO NOTHING",
                )
                .bind(tenant)
                .bind(first_due)
                .execute(pool)
                .await?;
                sqlx::query(
                    "UPDATE reconciliations SET lease_token = $2, lease_until = $3, started_at = $4 \
                     WHERE tenant_id = $1 AND next_run_at <= $5 AND (lease_until IS NULL OR lease_until <= $4)",
                )
                .bind(tenant)
                .bind(token)
                .bind(lease_until)
                .bind(now)
                .bind(due_by)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            }
            .await
        })?;
        if claimed == 1 {
            return Ok(ReconciliationClaim::Claimed);
        }
        let running = self.reconciliation_at(tenant, now).await?.is_some_and(|r| r.running);
        Ok(if running { ReconciliationClaim::Running } else { ReconciliationClaim::NotDue })
    }

    /// Ends the run `token` holds on `tenant`'s reconciliation: stores its report and when the
    /// next run is due, and lets the lease go. Returns whether the claim was still the caller's.
    ///
    /// # Errors
    /// Database errors.
    pub async fn reconciliation_finish(
        &self,
        tenant: &str,
        token: &str,
        finished_at: i64,
        next_run_at: i64,
        report: &Value,
    ) -> Result<bool> {
        let report = report.to_string();
        let done = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE reconciliations SET lease_token = NULL, lease_until = NULL, finished_at = $3, \
                 next_run_at = $4, report = $5 WHERE tenant_id = $1 AND lease_token = $2",
            )
            .bind(tenant)
            .bind(token)
            .bind(finished_at)
            .bind(next_run_at)
            .bind(&report)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Extends the lease `token` holds on `tenant`'s run to `lease_until` (ms). Returns whether
    /// the claim was still the caller's (a run that lost it stops).
    ///
    /// # Errors
    /// Database errors.
    pub async fn reconciliation_renew(&self, tenant: &str, token: &str, lease_until: i64) -> Result<bool> {
        let renewed = with_pool!(self, |pool| {
            sqlx::query("UPDATE reconciliations SET lease_until = $3 WHERE tenant_id = $1 AND lease_token = $2")
                .bind(tenant)
                .bind(token)
                .bind(lease_until)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(renewed == 1)
    }

    /// Lets go of a claim without a report (the run could not start), keeping the schedule.
    ///
    /// # Errors
    /// Database errors.
    pub async fn reconciliation_abandon(&self, tenant: &str, token: &str) -> Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE reconciliations SET lease_token = NULL, lease_until = NULL \
                 WHERE tenant_id = $1 AND lease_token = $2",
            )
            .bind(tenant)
            .bind(token)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// `tenant`'s reconciliation row, if it has one.
    ///
    /// # Errors
    /// Database errors, or a row the store can't read.
    pub async fn reconciliation(&self, tenant: &str) -> Result<Option<ReconciliationRecord>> {
        self.reconciliation_at(tenant, Utc::now().timestamp_millis()).await
    }

    /// [`Store::reconciliation`], a lease counted live as of `now` (ms).
    async fn reconciliation_at(&self, tenant: &str, now: i64) -> Result<Option<ReconciliationRecord>> {
        let row: Option<Row> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, next_run_at, lease_until, started_at, finished_at, report \
                 FROM reconciliations WHERE tenant_id = $1",
            )
            .bind(tenant)
            .fetch_optional(pool)
            .await
        })?;
        let Some((tenant, next_run_at, lease_until, started_at, finished_at, report)) = row else {
            return Ok(None);
        };
        Ok(Some(ReconciliationRecord {
            tenant,
            next_run_at: from_millis(next_run_at)?,
            started_at: started_at.map(from_millis).transpose()?,
            finished_at: finished_at.map(from_millis).transpose()?,
            running: lease_until.is_some_and(|until| until > now),
            report: report
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|_| StoreError::Database(sqlx::Error::Decode("unreadable reconciliation report".into())))?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    store_tests!(
        a_run_is_claimed_once_when_due_and_finished_by_its_owner_only,
        a_forced_run_skips_the_schedule_but_not_a_live_lease,
        a_dead_runs_lease_is_taken_over,
    );

    const NOW: i64 = 1_750_000_000_000;

    async fn a_run_is_claimed_once_when_due_and_finished_by_its_owner_only(store: Store) -> anyhow::Result<()> {
        // A new tenant is first due at `first_due`.
        let claim = store.reconciliation_claim("acme", "a", NOW, NOW + 60_000, NOW + 1_000, false).await?;
        assert_eq!(claim, ReconciliationClaim::NotDue);
        let later = NOW + 1_000;
        assert_eq!(
            store.reconciliation_claim("acme", "a", later, later + 60_000, 0, false).await?,
            ReconciliationClaim::Claimed
        );
        assert_eq!(
            store.reconciliation_claim("acme", "b", later + 1, later + 60_000, 0, false).await?,
            ReconciliationClaim::Running
        );
        assert!(!store.reconciliation_finish("acme", "b", later + 2, later + 10_000, &json!({})).await?);
        let report = json!({"checked": 3, "mismatches": []});
        assert!(store.reconciliation_finish("acme", "a", later + 5, later + 10_000, &report).await?);
        let record = store.reconciliation("acme").await?.expect("a row");
        assert_eq!(record.report, Some(report));
        assert!(!record.running);
        assert_eq!(record.next_run_at.timestamp_millis(), later + 10_000);
        assert_eq!(record.finished_at.map(|at| at.timestamp_millis()), Some(later + 5));
        assert_eq!(
            store.reconciliation_claim("acme", "c", later + 6, later + 60_000, 0, false).await?,
            ReconciliationClaim::NotDue
        );
        assert!(store.reconciliation("beta").await?.is_none());
        Ok(())
    }

    async fn a_forced_run_skips_the_schedule_but_not_a_live_lease(store: Store) -> anyhow::Result<()> {
        let far = NOW + 3_600_000;
        assert_eq!(
            store.reconciliation_claim("acme", "a", NOW, i64::MAX, far, true).await?,
            ReconciliationClaim::Claimed
        );
        assert_eq!(
            store.reconciliation_claim("acme", "b", NOW + 1, i64::MAX, far, true).await?,
            ReconciliationClaim::Running
        );
        assert!(store.reconciliation_renew("acme", "a", i64::MAX).await?);
        assert!(!store.reconciliation_renew("acme", "b", i64::MAX).await?, "not b's");
        store.reconciliation_abandon("acme", "a").await?;
        assert_eq!(
            store.reconciliation_claim("acme", "b", NOW + 2, i64::MAX, far, true).await?,
            ReconciliationClaim::Claimed
        );
        Ok(())
    }

    async fn a_dead_runs_lease_is_taken_over(store: Store) -> anyhow::Result<()> {
        assert_eq!(
            store.reconciliation_claim("acme", "dead", NOW, NOW + 100, NOW, false).await?,
            ReconciliationClaim::Claimed
        );
        assert_eq!(
            store.reconciliation_claim("acme", "b", NOW + 100, NOW + 200, NOW, false).await?,
            ReconciliationClaim::Claimed
        );
        assert!(!store.reconciliation_finish("acme", "dead", NOW + 150, NOW + 1_000, &json!({})).await?);
        Ok(())
    }
}
