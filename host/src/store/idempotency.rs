//! The `idempotency` table: the first answer of each writing call, per tenant, function and
//! `Idempotency-Key`. The rules (what is stored, when a caller waits) live in
//! [`crate::idempotency`]; this module only keeps the records, each change one statement.

use super::{Result, Store, StoreError, now_millis};

/// The longest key the store accepts (the API allows 255 visible ASCII characters).
const MAX_KEY_LEN: usize = 255;

/// Which record: tenant, function and the caller's key.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyKey<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The function's name.
    pub function: &'a str,
    /// The caller's `Idempotency-Key`.
    pub key: &'a str,
}

impl IdempotencyKey<'_> {
    fn check(&self) -> Result<()> {
        if self.key.is_empty() || self.key.len() > MAX_KEY_LEN {
            return Err(StoreError::Invalid("idempotency key"));
        }
        if self.tenant.is_empty() || self.function.is_empty() {
            return Err(StoreError::Invalid("idempotency scope"));
        }
        Ok(())
    }
}

/// A record as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Hex SHA-256 of the function and its canonical input.
    pub request_hash: String,
    /// The invocation that owns (or answered) it.
    pub invocation_id: String,
    /// `None` while the first call runs; its answer once done.
    pub answer: Option<StoredAnswer>,
    /// Until when a running record's owner holds it (stored milliseconds).
    pub lease_until: i64,
}

/// An answer kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body, as text.
    pub body: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    invocation_id: String,
    state: String,
    lease_until: i64,
    status: Option<i64>,
    body: Option<String>,
}

impl Store {
    /// Claims `key` for the invocation `invocation_id`: inserts a `running` record, or replaces
    /// one that has expired, or takes over a `running` one whose lease ran out (its owner died).
    /// Returns whether the claim was taken; when it wasn't, [`Store::idempotency_get`] says why.
    /// `customer_key` is the customer the call names (the invocation log's digest), what erasure
    /// finds the record by.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty or over-long key; database errors otherwise.
    pub async fn idempotency_claim(
        &self,
        key: IdempotencyKey<'_>,
        request_hash: &str,
        invocation_id: &str,
        customer_key: Option<&str>,
        lease_until: i64,
        expires_at: i64,
    ) -> Result<bool> {
        key.check()?;
        let now = now_millis();
        // One statement: insert, or overwrite a row that is expired, or whose running owner's
        // lease is over *and* whose request is the same one (a takeover never changes the body).
        let done = with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO idempotency (tenant_id, function, key, request_hash, state, invocation_id, lease_until, \
                 status, body, created_at, expires_at, customer_key) \
                 VALUES ($1, $2, $3, $4, 'running', $5, $6, NULL, NULL, $7, $8, $9) \
                 ON CONFLICT (tenant_id, function, key) DO UPDATE SET request_hash = excluded.request_hash, \
                 customer_key = excluded.customer_key, \
                 state = 'running', invocation_id = excluded.invocation_id, lease_until = excluded.lease_until, \
                 status = NULL, body = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at \
                 WHERE idempotency.expires_at <= $7 OR (idempotency.state = 'running' AND idempotency.lease_until <= $7 \
                 AND idempotency.request_hash = excluded.request_hash)",
            )
            .bind(key.tenant)
            .bind(key.function)
            .bind(key.key)
            .bind(request_hash)
            .bind(invocation_id)
            .bind(lease_until)
            .bind(now)
            .bind(expires_at)
            .bind(customer_key)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// The live record under `key`, if any (an expired one reads as absent).
    ///
    /// # Errors
    /// As [`Store::idempotency_claim`]; a stored state the store can't read is a database error.
    pub async fn idempotency_get(&self, key: IdempotencyKey<'_>) -> Result<Option<IdempotencyRecord>> {
        key.check()?;
        let row: Option<Row> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT request_hash, invocation_id, state, lease_until, status, body FROM idempotency \
                 WHERE tenant_id = $1 AND function = $2 AND key = $3 AND expires_at > $4",
            )
            .bind(key.tenant)
            .bind(key.function)
            .bind(key.key)
            .bind(now_millis())
            .fetch_optional(pool)
            .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let answer = match (row.state.as_str(), row.status, row.body) {
            ("running", _, _) => None,
            ("done", Some(status), Some(body)) => Some(StoredAnswer {
                status: u16::try_from(status).map_err(|_| super::corrupt("idempotency status"))?,
                body,
            }),
            _ => return Err(super::corrupt("idempotency state")),
        };
        Ok(Some(IdempotencyRecord {
            request_hash: row.request_hash,
            invocation_id: row.invocation_id,
            answer,
            lease_until: row.lease_until,
        }))
    }

    /// Stores the answer of the call that owns `key`. Returns false when the record is no longer
    /// this invocation's (its lease ran out and another took it over).
    ///
    /// # Errors
    /// As [`Store::idempotency_claim`].
    pub async fn idempotency_complete(
        &self,
        key: IdempotencyKey<'_>,
        invocation_id: &str,
        answer: &StoredAnswer,
    ) -> Result<bool> {
        key.check()?;
        let done = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE idempotency SET state = 'done', status = $5, body = $6 \
                 WHERE tenant_id = $1 AND function = $2 AND key = $3 AND invocation_id = $4 AND state = 'running'",
            )
            .bind(key.tenant)
            .bind(key.function)
            .bind(key.key)
            .bind(invocation_id)
            .bind(i64::from(answer.status))
            .bind(&answer.body)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Drops the `running` record this invocation owns: the call ended before anything reached
    /// the ERP, so a retry with the same key must run it afresh.
    ///
    /// # Errors
    /// As [`Store::idempotency_claim`].
    pub async fn idempotency_release(&self, key: IdempotencyKey<'_>, invocation_id: &str) -> Result<()> {
        key.check()?;
        with_pool!(self, |pool| {
            sqlx::query(
                "DELETE FROM idempotency WHERE tenant_id = $1 AND function = $2 AND key = $3 AND invocation_id = $4 \
                 AND state = 'running'",
            )
            .bind(key.tenant)
            .bind(key.function)
            .bind(key.key)
            .bind(invocation_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Deletes every record expired at `now` (stored milliseconds); returns how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn idempotency_purge_expired(&self, now: i64) -> Result<u64> {
        let done = with_pool!(self, |pool| {
            sqlx::query("DELETE FROM idempotency WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        claim_is_taken_once_then_completed_and_read_back,
        expired_lease_is_taken_over_only_for_the_same_request,
        expired_record_is_absent_reclaimable_and_purged,
        release_frees_the_key_and_bad_keys_are_refused,
    );

    fn key(k: &str) -> IdempotencyKey<'_> {
        IdempotencyKey { tenant: "acme", function: "create_ticket", key: k }
    }

    async fn claim_is_taken_once_then_completed_and_read_back(store: Store) -> anyhow::Result<()> {
        let now = now_millis();
        assert!(store.idempotency_claim(key("k1"), "h1", "inv-1", None, now + 60_000, now + 86_400_000).await?);
        assert!(!store.idempotency_claim(key("k1"), "h1", "inv-2", None, now + 60_000, now + 86_400_000).await?);
        let running = store.idempotency_get(key("k1")).await?.expect("record");
        assert_eq!((running.invocation_id.as_str(), running.answer.as_ref()), ("inv-1", None));

        let answer = StoredAnswer { status: 200, body: r#"{"remote_id":"7"}"#.into() };
        assert!(!store.idempotency_complete(key("k1"), "inv-2", &answer).await?, "only the owner completes");
        assert!(store.idempotency_complete(key("k1"), "inv-1", &answer).await?);
        let done = store.idempotency_get(key("k1")).await?.expect("record");
        assert_eq!(done.answer, Some(answer));
        assert_eq!(done.request_hash, "h1");
        Ok(())
    }

    async fn expired_lease_is_taken_over_only_for_the_same_request(store: Store) -> anyhow::Result<()> {
        let now = now_millis();
        assert!(store.idempotency_claim(key("k"), "h1", "dead", None, now - 1, now + 86_400_000).await?);
        assert!(!store.idempotency_claim(key("k"), "h2", "other-body", None, now + 60_000, now + 86_400_000).await?);
        assert!(store.idempotency_claim(key("k"), "h1", "heir", None, now + 60_000, now + 86_400_000).await?);
        assert_eq!(store.idempotency_get(key("k")).await?.expect("record").invocation_id, "heir");
        Ok(())
    }

    async fn expired_record_is_absent_reclaimable_and_purged(store: Store) -> anyhow::Result<()> {
        let now = now_millis();
        assert!(store.idempotency_claim(key("old"), "h1", "inv-1", None, now + 60_000, now - 1).await?);
        assert_eq!(store.idempotency_get(key("old")).await?, None);
        assert!(store.idempotency_claim(key("old"), "h2", "inv-2", None, now + 60_000, now + 1000).await?);
        assert_eq!(store.idempotency_purge_expired(now + 2000).await?, 1);
        assert_eq!(store.idempotency_get(key("old")).await?, None);
        Ok(())
    }

    async fn release_frees_the_key_and_bad_keys_are_refused(store: Store) -> anyhow::Result<()> {
        let now = now_millis();
        assert!(store.idempotency_claim(key("k"), "h", "inv-1", None, now + 60_000, now + 60_000).await?);
        store.idempotency_release(key("k"), "inv-1").await?;
        assert_eq!(store.idempotency_get(key("k")).await?, None);
        let long = "x".repeat(256);
        let err = store.idempotency_claim(key(&long), "h", "i", None, now, now).await.expect_err("too long");
        assert!(matches!(err, StoreError::Invalid("idempotency key")));
        let err = store.idempotency_get(key("")).await.expect_err("empty");
        assert!(matches!(err, StoreError::Invalid("idempotency key")));
        Ok(())
    }
}
