//! The `quota_usage` table: units of upstream quotas used per tenant connection, quota and
//! period. The rules are [`crate::quota`]'s.

use super::{Result, Store, corrupt};

fn to_u64(used: i64) -> Result<u64> {
    u64::try_from(used).map_err(|_| corrupt("quota usage"))
}

impl Store {
    /// Takes one unit when fewer than `limit` are used; returns the units used after it, or
    /// `None` when the quota is spent. Concurrent calls never take more than `limit` together.
    ///
    /// # Errors
    /// Database errors.
    pub async fn quota_reserve(
        &self,
        tenant: &str,
        connection: &str,
        quota: &str,
        period: &str,
        limit: u32,
    ) -> Result<Option<u64>> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO quota_usage (tenant_id, connection, quota, period, used) VALUES ($1, $2, $3, $4, 0) \
                 ON CONFLICT (tenant_id, connection, quota, period) DO NOTHING",
            )
            .bind(tenant)
            .bind(connection)
            .bind(quota)
            .bind(period)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        let used: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE quota_usage SET used = used + 1 WHERE tenant_id = $1 AND connection = $2 AND quota = $3 \
                 AND period = $4 AND used < $5 RETURNING used",
            )
            .bind(tenant)
            .bind(connection)
            .bind(quota)
            .bind(period)
            .bind(i64::from(limit))
            .fetch_optional(pool)
            .await
        })?;
        used.map(to_u64).transpose()
    }

    /// Gives one unit back; returns the units used after it.
    ///
    /// # Errors
    /// Database errors.
    pub async fn quota_release(&self, tenant: &str, connection: &str, quota: &str, period: &str) -> Result<u64> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE quota_usage SET used = used - 1 WHERE tenant_id = $1 AND connection = $2 AND quota = $3 \
                 AND period = $4 AND used > 0",
            )
            .bind(tenant)
            .bind(connection)
            .bind(quota)
            .bind(period)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        self.quota_used(tenant, connection, quota, period).await
    }

    /// Units used in `period` (0 when none yet).
    ///
    /// # Errors
    /// Database errors.
    pub async fn quota_used(&self, tenant: &str, connection: &str, quota: &str, period: &str) -> Result<u64> {
        let used: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT used FROM quota_usage WHERE tenant_id = $1 AND connection = $2 AND quota = $3 AND period = $4",
            )
            .bind(tenant)
            .bind(connection)
            .bind(quota)
            .bind(period)
            .fetch_optional(pool)
            .await
        })?;
        used.map_or(Ok(0), to_u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(reservations_stop_at_the_limit_per_connection_and_period, concurrent_reservations_never_overshoot);

    async fn reservations_stop_at_the_limit_per_connection_and_period(store: Store) -> anyhow::Result<()> {
        for expected in 1..=3 {
            assert_eq!(store.quota_reserve("acme", "docs", "creations", "2026-11", 3).await?, Some(expected));
        }
        assert_eq!(store.quota_reserve("acme", "docs", "creations", "2026-11", 3).await?, None);
        assert_eq!(store.quota_reserve("acme", "docs", "creations", "2026-12", 3).await?, Some(1), "a new period");
        assert_eq!(store.quota_reserve("acme", "other", "creations", "2026-11", 3).await?, Some(1), "another account");
        assert_eq!(store.quota_reserve("beta", "docs", "creations", "2026-11", 3).await?, Some(1), "another tenant");
        assert_eq!(store.quota_release("acme", "docs", "creations", "2026-11").await?, 2);
        assert_eq!(store.quota_reserve("acme", "docs", "creations", "2026-11", 3).await?, Some(3));
        assert_eq!(store.quota_used("acme", "docs", "creations", "2026-11").await?, 3);
        assert_eq!(store.quota_used("acme", "docs", "creations", "2027-01").await?, 0);
        Ok(())
    }

    async fn concurrent_reservations_never_overshoot(store: Store) -> anyhow::Result<()> {
        let attempts = (0..20).map(|_| {
            let store = store.clone();
            async move { store.quota_reserve("acme", "docs", "creations", "2026-11", 7).await }
        });
        let results = futures_util::future::join_all(attempts).await;
        let taken = results.into_iter().filter(|r| matches!(r, Ok(Some(_)))).count();
        assert_eq!(taken, 7);
        assert_eq!(store.quota_used("acme", "docs", "creations", "2026-11").await?, 7);
        Ok(())
    }
}
