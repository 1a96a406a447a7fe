//! The `kv_locks` table: named locks under a kv namespace, each held by one invocation until it
//! releases it or its lease expires; the durable side of [`KvCapability::lock`].
//!
//! Taking a lock is one statement on both engines: insert the row, or take over a row whose lease
//! has expired (`ON CONFLICT ... DO UPDATE ... WHERE expires_at <= now`). One row affected means
//! the caller holds it. Waiting is the capability's business (it polls); the store never blocks.
//!
//! [`KvCapability::lock`]: crate::capabilities::kv::KvCapability::lock

use std::time::Duration;

use super::{Result, Store, StoreError, now_millis};

/// The longest namespace, name or owner the store accepts, in bytes.
const MAX_NAME_LEN: usize = 512;

fn check(namespace: &str, name: &str, owner: &str) -> Result<()> {
    if namespace.is_empty() || namespace.len() > MAX_NAME_LEN {
        return Err(StoreError::Invalid("kv namespace"));
    }
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(StoreError::Invalid("kv lock name"));
    }
    if owner.is_empty() || owner.len() > MAX_NAME_LEN {
        return Err(StoreError::Invalid("kv lock owner"));
    }
    Ok(())
}

impl Store {
    /// Takes the lock `(namespace, name)` for `owner` for at most `lease`, if nobody else holds
    /// it (an expired lease counts as free). Returns whether `owner` holds it now; taking a lock
    /// one already holds renews its lease and answers `true`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty or over-long namespace, name or owner; database
    /// errors otherwise.
    pub async fn kv_try_lock(&self, namespace: &str, name: &str, owner: &str, lease: Duration) -> Result<bool> {
        self.kv_try_lock_at(namespace, name, owner, lease, now_millis()).await
    }

    /// [`Store::kv_try_lock`] as of `now` (stored milliseconds), so tests can move the clock.
    async fn kv_try_lock_at(
        &self,
        namespace: &str,
        name: &str,
        owner: &str,
        lease: Duration,
        now: i64,
    ) -> Result<bool> {
        check(namespace, name, owner)?;
        let expires_at = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let taken = with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO kv_locks (namespace, name, owner, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (namespace, name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
                 WHERE kv_locks.expires_at <= $5 OR kv_locks.owner = excluded.owner",
            )
            .bind(namespace)
            .bind(name)
            .bind(owner)
            .bind(expires_at)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(taken == 1)
    }

    /// Releases the lock `(namespace, name)` if `owner` holds it; whether it did. A lock another
    /// invocation took over after `owner`'s lease expired is left alone.
    ///
    /// # Errors
    /// As [`Store::kv_try_lock`].
    pub async fn kv_unlock(&self, namespace: &str, name: &str, owner: &str) -> Result<bool> {
        check(namespace, name, owner)?;
        let released = with_pool!(self, |pool| {
            sqlx::query("DELETE FROM kv_locks WHERE namespace = $1 AND name = $2 AND owner = $3")
                .bind(namespace)
                .bind(name)
                .bind(owner)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(released == 1)
    }

    /// Deletes every lock whose lease has expired (their holders' hosts died before releasing
    /// them), returning how many; for the periodic sweeper, since an expired lock is otherwise
    /// only replaced when someone takes it again.
    ///
    /// # Errors
    /// Database errors.
    pub async fn kv_locks_purge_expired(&self) -> Result<u64> {
        self.kv_locks_purge_expired_at(now_millis()).await
    }

    /// [`Store::kv_locks_purge_expired`] as of `now` (stored milliseconds).
    async fn kv_locks_purge_expired_at(&self, now: i64) -> Result<u64> {
        let purged = with_pool!(self, |pool| {
            sqlx::query("DELETE FROM kv_locks WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        one_holder_at_a_time,
        an_expired_lease_is_taken_over_and_its_old_owner_cannot_release_it,
        retaking_a_held_lock_renews_it,
        locks_are_per_namespace_and_name,
        bad_names_are_invalid,
        purge_removes_only_expired_locks,
    );

    const NOW: i64 = 1_750_000_000_000;
    const LEASE: Duration = Duration::from_secs(10);

    async fn one_holder_at_a_time(store: Store) -> anyhow::Result<()> {
        assert!(store.kv_try_lock_at("acme/erp", "login", "call-1", LEASE, NOW).await?);
        assert!(!store.kv_try_lock_at("acme/erp", "login", "call-2", LEASE, NOW + 1).await?);
        assert!(!store.kv_unlock("acme/erp", "login", "call-2").await?, "not call-2's to release");
        assert!(store.kv_unlock("acme/erp", "login", "call-1").await?);
        assert!(store.kv_try_lock_at("acme/erp", "login", "call-2", LEASE, NOW + 2).await?);
        Ok(())
    }

    async fn an_expired_lease_is_taken_over_and_its_old_owner_cannot_release_it(store: Store) -> anyhow::Result<()> {
        assert!(store.kv_try_lock_at("ns", "login", "dead-host-call", LEASE, NOW).await?);
        assert!(!store.kv_try_lock_at("ns", "login", "call-2", LEASE, NOW + 9_999).await?);
        assert!(store.kv_try_lock_at("ns", "login", "call-2", LEASE, NOW + 10_000).await?);
        assert!(!store.kv_unlock("ns", "login", "dead-host-call").await?);
        assert!(!store.kv_try_lock_at("ns", "login", "call-3", LEASE, NOW + 10_001).await?, "call-2 holds it");
        Ok(())
    }

    async fn retaking_a_held_lock_renews_it(store: Store) -> anyhow::Result<()> {
        assert!(store.kv_try_lock_at("ns", "login", "call-1", LEASE, NOW).await?);
        assert!(store.kv_try_lock_at("ns", "login", "call-1", LEASE, NOW + 9_000).await?);
        assert!(!store.kv_try_lock_at("ns", "login", "call-2", LEASE, NOW + 12_000).await?, "renewed to NOW+19s");
        Ok(())
    }

    async fn locks_are_per_namespace_and_name(store: Store) -> anyhow::Result<()> {
        assert!(store.kv_try_lock_at("acme/erp", "login", "a", LEASE, NOW).await?);
        assert!(store.kv_try_lock_at("beta/erp", "login", "b", LEASE, NOW).await?);
        assert!(store.kv_try_lock_at("acme/erp", "catalogue", "c", LEASE, NOW).await?);
        Ok(())
    }

    async fn bad_names_are_invalid(store: Store) -> anyhow::Result<()> {
        let err = store.kv_try_lock("", "l", "o", LEASE).await.expect_err("empty namespace");
        assert!(matches!(err, StoreError::Invalid("kv namespace")), "{err:?}");
        let err = store.kv_try_lock("ns", "", "o", LEASE).await.expect_err("empty name");
        assert!(matches!(err, StoreError::Invalid("kv lock name")), "{err:?}");
        let err = store.kv_unlock("ns", "l", &"o".repeat(MAX_NAME_LEN + 1)).await.expect_err("long owner");
        assert!(matches!(err, StoreError::Invalid("kv lock owner")), "{err:?}");
        Ok(())
    }

    async fn purge_removes_only_expired_locks(store: Store) -> anyhow::Result<()> {
        assert!(store.kv_try_lock_at("ns", "dead", "a", LEASE, NOW).await?);
        assert!(store.kv_try_lock_at("ns", "live", "b", LEASE, NOW + 5_000).await?);
        assert_eq!(store.kv_locks_purge_expired_at(NOW + 10_000).await?, 1);
        assert!(!store.kv_try_lock_at("ns", "live", "c", LEASE, NOW + 10_000).await?, "still b's");
        assert!(store.kv_unlock("ns", "live", "b").await?);
        Ok(())
    }
}
