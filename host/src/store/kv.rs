//! The `kv` table: string values under `(namespace, key)`, with an optional expiry; the durable
//! side of the plugins' kv/cache capability.
//!
//! The store doesn't interpret namespaces; the capability layer composes them (e.g. tenant and
//! plugin) so that tenants can't reach each other's entries. An expired entry reads as absent and
//! is deleted when read; [`Store::kv_purge_expired`] sweeps the ones nobody reads again.

use std::time::Duration;

use super::{Result, Store, StoreError, now_millis};

/// The longest namespace or key the store accepts, in bytes.
const MAX_NAME_LEN: usize = 512;

/// Checks a namespace and key as the store requires them.
fn check_names(namespace: &str, key: &str) -> Result<()> {
    if namespace.is_empty() || namespace.len() > MAX_NAME_LEN {
        return Err(StoreError::Invalid("kv namespace"));
    }
    if key.len() > MAX_NAME_LEN {
        return Err(StoreError::Invalid("kv key"));
    }
    Ok(())
}

/// Whether an entry with `expires_at` is still live at `now` (all in stored milliseconds).
fn is_live(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_none_or(|at| at > now)
}

impl Store {
    /// How many live entries `namespace` holds, and their keys' and values' bytes, leaving out
    /// `except_key` (the entry a write is about to replace).
    ///
    /// # Errors
    /// As [`Store::kv_get`].
    pub async fn kv_usage(&self, namespace: &str, except_key: &str) -> Result<(u64, u64)> {
        check_names(namespace, except_key)?;
        let now = now_millis();
        let (count, bytes): (i64, i64) = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(OCTET_LENGTH(key) + OCTET_LENGTH(value)), 0) AS BIGINT) \
                 FROM kv WHERE namespace = $1 AND key <> $2 AND (expires_at IS NULL OR expires_at > $3)",
            )
            .bind(namespace)
            .bind(except_key)
            .bind(now)
            .fetch_one(pool)
            .await
        })?;
        Ok((u64::try_from(count).unwrap_or(0), u64::try_from(bytes).unwrap_or(0)))
    }

    /// The value under `(namespace, key)`, or `None` if there is none or it has expired.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (`kv namespace`, `kv key`) for an empty namespace or a name over
    /// 512 bytes; database errors otherwise.
    pub async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<String>> {
        self.kv_get_at(namespace, key, now_millis()).await
    }

    /// [`Store::kv_get`] as of `now` (stored milliseconds), so tests can move the clock.
    async fn kv_get_at(&self, namespace: &str, key: &str, now: i64) -> Result<Option<String>> {
        check_names(namespace, key)?;
        let row: Option<(String, Option<i64>)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT value, expires_at FROM kv WHERE namespace = $1 AND key = $2")
                .bind(namespace)
                .bind(key)
                .fetch_optional(pool)
                .await
        })?;
        match row {
            Some((value, expires_at)) if is_live(expires_at, now) => Ok(Some(value)),
            Some(_) => {
                // Only if still expired: a concurrent `kv_set` may have just renewed it.
                with_pool!(self, |pool| {
                    sqlx::query("DELETE FROM kv WHERE namespace = $1 AND key = $2 AND expires_at <= $3")
                        .bind(namespace)
                        .bind(key)
                        .bind(now)
                        .execute(pool)
                        .await
                        .map(|done| done.rows_affected())
                })?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Stores `value` under `(namespace, key)`, replacing any value and expiry there. With a
    /// `ttl`, the entry reads as absent once `ttl` has passed (a zero `ttl` expires at once);
    /// without one it stays until deleted.
    ///
    /// # Errors
    /// As [`Store::kv_get`].
    pub async fn kv_set(&self, namespace: &str, key: &str, value: &str, ttl: Option<Duration>) -> Result<()> {
        self.kv_set_at(namespace, key, value, ttl, now_millis()).await
    }

    /// [`Store::kv_set`] as of `now` (stored milliseconds).
    async fn kv_set_at(&self, namespace: &str, key: &str, value: &str, ttl: Option<Duration>, now: i64) -> Result<()> {
        check_names(namespace, key)?;
        // A TTL too long for the column (hundreds of millions of years) means "practically never".
        let expires_at = ttl.map(|ttl| now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)));
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO kv (namespace, key, value, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            )
            .bind(namespace)
            .bind(key)
            .bind(value)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Deletes the entry under `(namespace, key)`. Returns whether a live entry was there (an
    /// expired one is deleted too, but counts as absent, as [`Store::kv_get`] would say).
    ///
    /// # Errors
    /// As [`Store::kv_get`].
    pub async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool> {
        self.kv_delete_at(namespace, key, now_millis()).await
    }

    /// [`Store::kv_delete`] as of `now` (stored milliseconds).
    async fn kv_delete_at(&self, namespace: &str, key: &str, now: i64) -> Result<bool> {
        check_names(namespace, key)?;
        let deleted: Option<(Option<i64>,)> = with_pool!(self, |pool| {
            sqlx::query_as("DELETE FROM kv WHERE namespace = $1 AND key = $2 RETURNING expires_at")
                .bind(namespace)
                .bind(key)
                .fetch_optional(pool)
                .await
        })?;
        Ok(deleted.is_some_and(|(expires_at,)| is_live(expires_at, now)))
    }

    /// Deletes every expired entry, returning how many; for a periodic sweeper, since expired
    /// entries that are never read again are otherwise kept.
    ///
    /// # Errors
    /// Database errors.
    pub async fn kv_purge_expired(&self) -> Result<u64> {
        self.kv_purge_expired_at(now_millis()).await
    }

    /// [`Store::kv_purge_expired`] as of `now` (stored milliseconds).
    async fn kv_purge_expired_at(&self, now: i64) -> Result<u64> {
        let purged = with_pool!(self, |pool| {
            sqlx::query("DELETE FROM kv WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(purged)
    }
}

impl Store {
    /// Every sealed kv value (namespace, key, value), for re-sealing under a new key.
    ///
    /// # Errors
    /// Database errors.
    pub async fn kv_sealed_entries(&self) -> Result<Vec<(String, String, String)>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT namespace, key, value FROM kv WHERE value LIKE 'sealed:%' ORDER BY namespace, key")
                .fetch_all(pool)
                .await
        })?;
        Ok(rows)
    }

    /// Replaces a kv value only if it is still `expected` (its expiry kept); whether it did.
    ///
    /// # Errors
    /// Database errors.
    pub async fn kv_replace_value(&self, namespace: &str, key: &str, expected: &str, value: &str) -> Result<bool> {
        check_names(namespace, key)?;
        let done = with_pool!(self, |pool| {
            sqlx::query("UPDATE kv SET value = $1 WHERE namespace = $2 AND key = $3 AND value = $4")
                .bind(value)
                .bind(namespace)
                .bind(key)
                .bind(expected)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        set_get_overwrite_delete(sqlite_file),
        namespaces_are_separate,
        entry_expires_after_its_ttl_and_is_deleted_when_read,
        overwrite_replaces_the_expiry,
        zero_ttl_expires_at_once_and_huge_ttl_practically_never,
        deleting_an_expired_entry_reports_absent,
        purge_removes_only_expired_entries,
        empty_namespace_or_oversized_names_are_invalid,
    );

    const NOW: i64 = 1_750_000_000_000;

    /// Rows physically in `kv`, expired or not.
    async fn stored_rows(store: &Store) -> anyhow::Result<i64> {
        Ok(with_pool!(store, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM kv").fetch_one(pool).await)?)
    }

    async fn set_get_overwrite_delete(store: Store) -> anyhow::Result<()> {
        assert_eq!(store.kv_get("acme/ixc", "token").await?, None);
        store.kv_set("acme/ixc", "token", "first", None).await?;
        assert_eq!(store.kv_get("acme/ixc", "token").await?.as_deref(), Some("first"));
        store.kv_set("acme/ixc", "token", "second", Some(Duration::from_secs(60))).await?;
        assert_eq!(store.kv_get("acme/ixc", "token").await?.as_deref(), Some("second"));
        assert!(store.kv_delete("acme/ixc", "token").await?);
        assert_eq!(store.kv_get("acme/ixc", "token").await?, None);
        assert!(!store.kv_delete("acme/ixc", "token").await?, "already gone");
        Ok(())
    }

    async fn namespaces_are_separate(store: Store) -> anyhow::Result<()> {
        store.kv_set("acme/ixc", "token", "acme's", None).await?;
        store.kv_set("beta/ixc", "token", "beta's", None).await?;
        assert_eq!(store.kv_get("acme/ixc", "token").await?.as_deref(), Some("acme's"));
        assert!(store.kv_delete("beta/ixc", "token").await?);
        assert_eq!(store.kv_get("acme/ixc", "token").await?.as_deref(), Some("acme's"));
        Ok(())
    }

    async fn entry_expires_after_its_ttl_and_is_deleted_when_read(store: Store) -> anyhow::Result<()> {
        store.kv_set_at("ns", "k", "v", Some(Duration::from_millis(1500)), NOW).await?;
        assert_eq!(store.kv_get_at("ns", "k", NOW + 1499).await?.as_deref(), Some("v"));
        assert_eq!(store.kv_get_at("ns", "k", NOW + 1500).await?, None);
        assert_eq!(stored_rows(&store).await?, 0, "deleted lazily on read");
        Ok(())
    }

    async fn overwrite_replaces_the_expiry(store: Store) -> anyhow::Result<()> {
        store.kv_set_at("ns", "k", "short", Some(Duration::from_secs(1)), NOW).await?;
        store.kv_set_at("ns", "k", "forever", None, NOW).await?;
        assert_eq!(store.kv_get_at("ns", "k", i64::MAX).await?.as_deref(), Some("forever"));
        store.kv_set_at("ns", "k", "short again", Some(Duration::from_secs(1)), NOW).await?;
        assert_eq!(store.kv_get_at("ns", "k", NOW + 1000).await?, None);
        Ok(())
    }

    async fn zero_ttl_expires_at_once_and_huge_ttl_practically_never(store: Store) -> anyhow::Result<()> {
        store.kv_set_at("ns", "zero", "v", Some(Duration::ZERO), NOW).await?;
        assert_eq!(store.kv_get_at("ns", "zero", NOW).await?, None);
        store.kv_set_at("ns", "huge", "v", Some(Duration::MAX), NOW).await?;
        assert_eq!(store.kv_get_at("ns", "huge", i64::MAX - 1).await?.as_deref(), Some("v"));
        Ok(())
    }

    async fn deleting_an_expired_entry_reports_absent(store: Store) -> anyhow::Result<()> {
        store.kv_set_at("ns", "k", "v", Some(Duration::from_secs(1)), NOW).await?;
        assert!(!store.kv_delete_at("ns", "k", NOW + 1000).await?);
        assert_eq!(stored_rows(&store).await?, 0);
        Ok(())
    }

    async fn purge_removes_only_expired_entries(store: Store) -> anyhow::Result<()> {
        store.kv_set_at("ns", "expired", "v", Some(Duration::from_secs(1)), NOW).await?;
        store.kv_set_at("ns", "later", "v", Some(Duration::from_secs(60)), NOW).await?;
        store.kv_set_at("ns", "forever", "v", None, NOW).await?;
        assert_eq!(store.kv_purge_expired_at(NOW + 1000).await?, 1);
        assert_eq!(stored_rows(&store).await?, 2);
        assert_eq!(store.kv_get_at("ns", "later", NOW + 1000).await?.as_deref(), Some("v"));
        Ok(())
    }

    async fn empty_namespace_or_oversized_names_are_invalid(store: Store) -> anyhow::Result<()> {
        let long = "k".repeat(MAX_NAME_LEN + 1);
        let err = store.kv_set("", "k", "v", None).await.expect_err("empty namespace");
        assert!(matches!(err, StoreError::Invalid("kv namespace")), "{err:?}");
        let err = store.kv_get("ns", &long).await.expect_err("long key");
        assert!(matches!(err, StoreError::Invalid("kv key")), "{err:?}");
        // An empty key is a key like any other.
        store.kv_set("ns", "", "v", None).await?;
        assert_eq!(store.kv_get("ns", "").await?.as_deref(), Some("v"));
        Ok(())
    }
}
