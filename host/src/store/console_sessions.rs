//! The `console_sessions` table: who is signed in to the console. Only the SHA-256 of a
//! session's cookie value is stored, so a copy of the table opens no session.

use std::time::Duration;

use super::{Result, Store, StoreError, now_millis};

/// A live console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The admin key it was opened with.
    pub key_id: String,
    /// The token every form of the session carries (CSRF).
    pub csrf: String,
    /// When it ends (stored milliseconds).
    pub expires_at: i64,
}

impl Store {
    /// Opens a session for `key_id` lasting `ttl`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_console_session(&self, id_sha256: &str, key_id: &str, csrf: &str, ttl: Duration) -> Result<()> {
        let now = now_millis();
        let expires = now.saturating_add(i64::try_from(ttl.as_millis()).map_err(|_| StoreError::Invalid("ttl"))?);
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO console_sessions (id_sha256, key_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id_sha256)
            .bind(key_id)
            .bind(csrf)
            .bind(now)
            .bind(expires)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The live session whose cookie hashes to `id_sha256` (an expired one is deleted and
    /// absent).
    ///
    /// # Errors
    /// Database errors.
    pub async fn console_session(&self, id_sha256: &str) -> Result<Option<ConsoleSession>> {
        let row: Option<(String, String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT key_id, csrf, expires_at FROM console_sessions WHERE id_sha256 = $1")
                .bind(id_sha256)
                .fetch_optional(pool)
                .await
        })?;
        match row {
            Some((key_id, csrf, expires_at)) if expires_at > now_millis() => {
                Ok(Some(ConsoleSession { key_id, csrf, expires_at }))
            }
            Some(_) => {
                self.delete_console_session(id_sha256).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Ends a session (signing out); also sweeps every expired one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_console_session(&self, id_sha256: &str) -> Result<()> {
        let now = now_millis();
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM console_sessions WHERE id_sha256 = $1 OR expires_at <= $2")
                .bind(id_sha256)
                .bind(now)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    store_tests!(a_session_lives_until_it_expires_or_signs_out);

    async fn a_session_lives_until_it_expires_or_signs_out(store: Store) -> anyhow::Result<()> {
        store.create_console_session("h1", "abc", "csrf1", Duration::from_secs(60)).await?;
        store.create_console_session("h2", "abc", "csrf2", Duration::ZERO).await?;
        let live = store.console_session("h1").await?.expect("live");
        assert_eq!((live.key_id.as_str(), live.csrf.as_str()), ("abc", "csrf1"));
        assert_eq!(store.console_session("h2").await?, None, "expired");
        assert_eq!(store.console_session("nope").await?, None);
        store.delete_console_session("h1").await?;
        assert_eq!(store.console_session("h1").await?, None, "signed out");
        Ok(())
    }
}
