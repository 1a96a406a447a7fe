//! The `tenants` table: one row per internet provider served by this Ponte.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, from_millis, now_millis};

/// The longest tenant id the store accepts, in bytes.
const MAX_TENANT_ID_LEN: usize = 128;
/// The longest tenant name the store accepts, in bytes.
const MAX_TENANT_NAME_LEN: usize = 256;

/// A tenant: an internet provider with its own API keys, automations and logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Stable identifier (the automation file's name), e.g. `acme`: non-empty, no whitespace or
    /// control characters, at most 128 bytes.
    pub id: String,
    /// Display name; updated each time the tenant's automation is loaded.
    pub name: String,
    /// When the tenant was first stored (millisecond precision); never changes.
    #[serde(with = "super::rfc3339")]
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    name: String,
    created_at: i64,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(row: TenantRow) -> Result<Tenant> {
        Ok(Tenant { id: row.id, name: row.name, created_at: from_millis(row.created_at)? })
    }
}

/// Checks a tenant id as the store requires it.
pub(super) fn check_tenant_id(id: &str) -> Result<()> {
    let valid =
        !id.is_empty() && id.len() <= MAX_TENANT_ID_LEN && !id.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(()) } else { Err(StoreError::Invalid("tenant id")) }
}

impl Store {
    /// Creates the tenant `id`, or renames it if it exists (its `created_at` is kept).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (`tenant id`, `tenant name`) for an empty or oversized id or name, or
    /// an id with whitespace or control characters; database errors otherwise.
    pub async fn ensure_tenant(&self, id: &str, name: &str) -> Result<()> {
        check_tenant_id(id)?;
        if name.trim().is_empty() || name.len() > MAX_TENANT_NAME_LEN {
            return Err(StoreError::Invalid("tenant name"));
        }
        let now = now_millis();
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            )
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Every tenant, ordered by id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        let rows = with_pool!(self, |pool| {
            sqlx::query_as::<_, TenantRow>("SELECT id, name, created_at FROM tenants ORDER BY id").fetch_all(pool).await
        })?;
        rows.into_iter().map(Tenant::try_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        ensure_tenant_creates_then_renames_keeping_created_at(sqlite_file),
        tenants_are_listed_by_id,
        malformed_tenant_ids_and_names_are_invalid,
    );

    async fn ensure_tenant_creates_then_renames_keeping_created_at(store: Store) -> anyhow::Result<()> {
        store.ensure_tenant("acme", "Acme").await?;
        let [created] = <[Tenant; 1]>::try_from(store.tenants().await?).expect("one tenant");
        assert_eq!((created.id.as_str(), created.name.as_str()), ("acme", "Acme"));

        store.ensure_tenant("acme", "Acme Telecom").await?;
        let [renamed] = <[Tenant; 1]>::try_from(store.tenants().await?).expect("still one tenant");
        assert_eq!(renamed.name, "Acme Telecom");
        assert_eq!(renamed.created_at, created.created_at);
        Ok(())
    }

    async fn tenants_are_listed_by_id(store: Store) -> anyhow::Result<()> {
        for id in ["zeta", "acme", "mid"] {
            store.ensure_tenant(id, id).await?;
        }
        let ids: Vec<String> = store.tenants().await?.into_iter().map(|tenant| tenant.id).collect();
        assert_eq!(ids, ["acme", "mid", "zeta"]);
        Ok(())
    }

    async fn malformed_tenant_ids_and_names_are_invalid(store: Store) -> anyhow::Result<()> {
        let long = "a".repeat(MAX_TENANT_ID_LEN + 1);
        for id in ["", "has space", "tab\there", "new\nline", long.as_str()] {
            let err = store.ensure_tenant(id, "Name").await.expect_err("malformed id");
            assert!(matches!(err, StoreError::Invalid("tenant id")), "{id:?}: {err:?}");
        }
        let err = store.ensure_tenant("acme", "  ").await.expect_err("blank name");
        assert!(matches!(err, StoreError::Invalid("tenant name")), "{err:?}");
        assert!(store.tenants().await?.is_empty());
        Ok(())
    }

    #[test]
    fn tenant_serializes_created_at_as_rfc3339_millis() -> anyhow::Result<()> {
        let at = DateTime::from_timestamp_millis(1_700_000_000_123).expect("valid timestamp");
        let tenant = Tenant { id: "acme".into(), name: "Acme".into(), created_at: at };
        let json = serde_json::to_value(&tenant)?;
        assert_eq!(json["created_at"], "2023-11-14T22:13:20.123Z");
        assert_eq!(serde_json::from_value::<Tenant>(json)?, tenant);
        Ok(())
    }
}
