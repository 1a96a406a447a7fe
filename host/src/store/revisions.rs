//! The `tenant_revisions` table (tenants defined through the admin API, every version kept) and
//! the `audit_events` table (who did what to the platform, and when).
//!
//! A tenant's configuration is the document of its newest revision; a change is a new row, never
//! an update, so any earlier version can be read back and rolled back to. Revisions are numbered
//! per tenant, and a write names the revision it makes: two operators changing the same tenant at
//! once can't both win (the second is told, [`Store::put_tenant_revision`] answers `false`).
//! Each revision is written in one transaction with the audit event that tells of it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tenants::check_tenant_id;
use super::{Result, Store, StoreError, corrupt, from_millis, now_millis};

/// The most rows a page of revisions or audit events holds.
pub const MAX_AUDIT_PAGE: u32 = 500;

/// One version of a tenant's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRevision {
    /// The tenant.
    pub tenant: String,
    /// 1, 2, 3... per tenant.
    pub revision: u64,
    /// The document (JSON text, secrets sealed); `None`: removed at this revision.
    pub document: Option<String>,
    /// Who made it (an API key id, or `cli`).
    pub actor: String,
    /// What changed, in a line.
    pub summary: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    tenant_id: String,
    revision: i64,
    document: Option<String>,
    actor: String,
    summary: String,
    created_at: i64,
}

impl TryFrom<RevisionRow> for TenantRevision {
    type Error = StoreError;
    fn try_from(row: RevisionRow) -> Result<TenantRevision> {
        Ok(TenantRevision {
            tenant: row.tenant_id,
            revision: u64::try_from(row.revision).map_err(|_| corrupt("revision number"))?,
            document: row.document,
            actor: row.actor,
            summary: row.summary,
            created_at: from_millis(row.created_at)?,
        })
    }
}

/// An operator action, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// UUID v7 (sorts by time).
    pub id: String,
    /// When.
    #[serde(with = "super::rfc3339")]
    pub at: DateTime<Utc>,
    /// Who: the API key id, or `cli`.
    pub actor: String,
    /// The tenant concerned (`None`: platform-wide).
    pub tenant: Option<String>,
    /// What, e.g. `tenant.changed`, `api_key.revoked`, `settlement.retried`.
    pub action: String,
    /// What was acted on: a tenant, key or settlement id.
    pub target: String,
    /// The state before (secrets left out), when there was one.
    pub before: Option<serde_json::Value>,
    /// The state after (secrets left out), when there is one.
    pub after: Option<serde_json::Value>,
}

/// An audit event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// Who.
    pub actor: String,
    /// The tenant concerned.
    pub tenant: Option<String>,
    /// What.
    pub action: &'static str,
    /// What was acted on.
    pub target: String,
    /// Before, without secrets.
    pub before: Option<serde_json::Value>,
    /// After, without secrets.
    pub after: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    actor: String,
    tenant_id: Option<String>,
    action: String,
    target: String,
    before_json: Option<String>,
    after_json: Option<String>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<AuditEvent> {
        let json = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t).map_err(|_| corrupt("audit JSON"))).transpose()
        };
        Ok(AuditEvent {
            id: row.id,
            at: from_millis(row.at)?,
            actor: row.actor,
            tenant: row.tenant_id,
            action: row.action,
            target: row.target,
            before: json(row.before_json)?,
            after: json(row.after_json)?,
        })
    }
}

const REVISION_COLUMNS: &str = "tenant_id, revision, document, actor, summary, created_at";
const AUDIT_INSERT: &str = "INSERT INTO audit_events (id, at, actor, tenant_id, action, target, before_json, after_json) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

fn to_i64(n: u64, what: &'static str) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(what))
}

impl Store {
    /// A number that changes whenever any tenant gets a new revision: replicas compare it to
    /// notice a change made elsewhere without reading the documents.
    ///
    /// # Errors
    /// Database errors.
    pub async fn config_version(&self) -> Result<u64> {
        let (count,): (i64,) =
            with_pool!(self, |pool| { sqlx::query_as("SELECT COUNT(*) FROM tenant_revisions").fetch_one(pool).await })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The newest revision of every tenant ever defined through the admin API (a removed one's
    /// has no document), ordered by tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn current_tenant_revisions(&self) -> Result<Vec<TenantRevision>> {
        const SQL: &str = "SELECT r.tenant_id, r.revision, r.document, r.actor, r.summary, r.created_at \
             FROM tenant_revisions r JOIN (SELECT tenant_id, MAX(revision) AS newest FROM tenant_revisions \
             GROUP BY tenant_id) n ON r.tenant_id = n.tenant_id AND r.revision = n.newest ORDER BY r.tenant_id";
        let rows = with_pool!(self, |pool| sqlx::query_as::<_, RevisionRow>(SQL).fetch_all(pool).await)?;
        rows.into_iter().map(TenantRevision::try_from).collect()
    }

    /// One revision of a tenant, or its newest with `None`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tenant_revision(&self, tenant: &str, revision: Option<u64>) -> Result<Option<TenantRevision>> {
        check_tenant_id(tenant)?;
        let row = match revision {
            Some(n) => {
                let n = to_i64(n, "revision")?;
                let sql =
                    format!("SELECT {REVISION_COLUMNS} FROM tenant_revisions WHERE tenant_id = $1 AND revision = $2");
                with_pool!(self, |pool| sqlx::query_as::<_, RevisionRow>(&sql)
                    .bind(tenant)
                    .bind(n)
                    .fetch_optional(pool)
                    .await)?
            }
            None => {
                let sql = format!(
                    "SELECT {REVISION_COLUMNS} FROM tenant_revisions WHERE tenant_id = $1 ORDER BY revision DESC LIMIT 1"
                );
                with_pool!(self, |pool| sqlx::query_as::<_, RevisionRow>(&sql).bind(tenant).fetch_optional(pool).await)?
            }
        };
        row.map(TenantRevision::try_from).transpose()
    }

    /// A tenant's revisions, newest first, at most `limit` (capped at [`MAX_AUDIT_PAGE`]).
    ///
    /// # Errors
    /// Database errors.
    pub async fn tenant_revisions(&self, tenant: &str, limit: u32) -> Result<Vec<TenantRevision>> {
        check_tenant_id(tenant)?;
        let limit = i64::from(limit.clamp(1, MAX_AUDIT_PAGE));
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM tenant_revisions WHERE tenant_id = $1 ORDER BY revision DESC LIMIT $2"
        );
        let rows = with_pool!(self, |pool| sqlx::query_as::<_, RevisionRow>(&sql)
            .bind(tenant)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(TenantRevision::try_from).collect()
    }

    /// Writes revision `revision` of `tenant` (`document` `None`: removed) with the audit event
    /// telling of it, in one transaction. `false` when that revision already exists: someone
    /// else changed the tenant first, and nothing was written.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad tenant id or revision 0; database errors.
    pub async fn put_tenant_revision(
        &self,
        tenant: &str,
        revision: u64,
        document: Option<&str>,
        summary: &str,
        audit: &NewAuditEvent,
    ) -> Result<bool> {
        check_tenant_id(tenant)?;
        if revision == 0 {
            return Err(StoreError::Invalid("revision"));
        }
        let revision = to_i64(revision, "revision")?;
        let now = now_millis();
        let (before, after) = audit_json(audit)?;
        let id = uuid::Uuid::now_v7().to_string();
        let written = with_pool!(self, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO tenant_revisions (tenant_id, revision, document, actor, summary, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, revision) DO NOTHING",
                )
                .bind(tenant)
                .bind(revision)
                .bind(document)
                .bind(&audit.actor)
                .bind(summary)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok::<bool, sqlx::Error>(false);
                }
                sqlx::query(AUDIT_INSERT)
                    .bind(&id)
                    .bind(now)
                    .bind(&audit.actor)
                    .bind(audit.tenant.as_deref())
                    .bind(audit.action)
                    .bind(&audit.target)
                    .bind(before.as_deref())
                    .bind(after.as_deref())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        })?;
        Ok(written)
    }

    /// Replaces a stored revision's document with the same document re-sealed under a new key
    /// (`ponte secrets rotate`); only if it is still `expected`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn reseal_tenant_revision(
        &self,
        tenant: &str,
        revision: u64,
        expected: &str,
        document: &str,
    ) -> Result<bool> {
        let revision = to_i64(revision, "revision")?;
        let done = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE tenant_revisions SET document = $1 WHERE tenant_id = $2 AND revision = $3 AND document = $4",
            )
            .bind(document)
            .bind(tenant)
            .bind(revision)
            .bind(expected)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Every revision that has a document, oldest first (for re-sealing).
    ///
    /// # Errors
    /// Database errors.
    pub async fn all_tenant_revisions(&self) -> Result<Vec<TenantRevision>> {
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM tenant_revisions WHERE document IS NOT NULL ORDER BY tenant_id, revision"
        );
        let rows = with_pool!(self, |pool| sqlx::query_as::<_, RevisionRow>(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(TenantRevision::try_from).collect()
    }

    /// Records an operator action.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_audit(&self, event: &NewAuditEvent) -> Result<()> {
        let (before, after) = audit_json(event)?;
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_millis();
        with_pool!(self, |pool| {
            sqlx::query(AUDIT_INSERT)
                .bind(&id)
                .bind(now)
                .bind(&event.actor)
                .bind(event.tenant.as_deref())
                .bind(event.action)
                .bind(&event.target)
                .bind(before.as_deref())
                .bind(after.as_deref())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The newest audit events, of one tenant or (`None`) of all, at most `limit` (capped at
    /// [`MAX_AUDIT_PAGE`]).
    ///
    /// # Errors
    /// Database errors.
    pub async fn audit_events(&self, tenant: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>> {
        let limit = i64::from(limit.clamp(1, MAX_AUDIT_PAGE));
        let columns = "id, at, actor, tenant_id, action, target, before_json, after_json";
        let rows = match tenant {
            Some(tenant) => {
                let sql = format!("SELECT {columns} FROM audit_events WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2");
                with_pool!(self, |pool| sqlx::query_as::<_, AuditRow>(&sql)
                    .bind(tenant)
                    .bind(limit)
                    .fetch_all(pool)
                    .await)?
            }
            None => {
                let sql = format!("SELECT {columns} FROM audit_events ORDER BY id DESC LIMIT $1");
                with_pool!(self, |pool| sqlx::query_as::<_, AuditRow>(&sql).bind(limit).fetch_all(pool).await)?
            }
        };
        rows.into_iter().map(AuditEvent::try_from).collect()
    }
}

fn audit_json(event: &NewAuditEvent) -> Result<(Option<String>, Option<String>)> {
    let text = |v: &Option<serde_json::Value>| {
        v.as_ref().map(|v| serde_json::to_string(v).map_err(|_| StoreError::Invalid("audit JSON"))).transpose()
    };
    Ok((text(&event.before)?, text(&event.after)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    store_tests!(
        revisions_are_kept_and_the_newest_serves(sqlite_file),
        a_revision_taken_first_is_not_overwritten_and_leaves_no_audit,
        audit_events_are_listed_newest_first_per_tenant,
        resealing_replaces_only_the_expected_document,
    );

    fn audit(tenant: &str, action: &'static str) -> NewAuditEvent {
        NewAuditEvent {
            actor: "abc123".into(),
            tenant: Some(tenant.into()),
            action,
            target: tenant.into(),
            before: None,
            after: Some(serde_json::json!({"name": tenant})),
        }
    }

    async fn revisions_are_kept_and_the_newest_serves(store: Store) -> anyhow::Result<()> {
        assert_eq!(store.config_version().await?, 0);
        assert!(
            store
                .put_tenant_revision("acme", 1, Some("{\"v\":1}"), "created", &audit("acme", "tenant.created"))
                .await?
        );
        assert!(
            store
                .put_tenant_revision("acme", 2, Some("{\"v\":2}"), "changed", &audit("acme", "tenant.changed"))
                .await?
        );
        assert!(store.put_tenant_revision("zeta", 1, Some("{}"), "created", &audit("zeta", "tenant.created")).await?);
        assert!(store.put_tenant_revision("zeta", 2, None, "removed", &audit("zeta", "tenant.removed")).await?);
        assert_eq!(store.config_version().await?, 4);

        let current = store.current_tenant_revisions().await?;
        let summary: Vec<(&str, u64, Option<&str>)> =
            current.iter().map(|r| (r.tenant.as_str(), r.revision, r.document.as_deref())).collect();
        assert_eq!(summary, [("acme", 2, Some("{\"v\":2}")), ("zeta", 2, None)]);
        let first = store.tenant_revision("acme", Some(1)).await?.expect("kept");
        assert_eq!((first.document.as_deref(), first.actor.as_str()), (Some("{\"v\":1}"), "abc123"));
        assert_eq!(store.tenant_revision("acme", None).await?.map(|r| r.revision), Some(2));
        assert_eq!(store.tenant_revision("nobody", None).await?, None);
        let listed: Vec<u64> = store.tenant_revisions("acme", 10).await?.iter().map(|r| r.revision).collect();
        assert_eq!(listed, [2, 1]);
        Ok(())
    }

    async fn a_revision_taken_first_is_not_overwritten_and_leaves_no_audit(store: Store) -> anyhow::Result<()> {
        assert!(
            store.put_tenant_revision("acme", 1, Some("{\"a\":1}"), "first", &audit("acme", "tenant.created")).await?
        );
        assert!(
            !store
                .put_tenant_revision("acme", 1, Some("{\"b\":1}"), "second", &audit("acme", "tenant.created"))
                .await?
        );
        let kept = store.tenant_revision("acme", Some(1)).await?.expect("kept");
        assert_eq!(kept.document.as_deref(), Some("{\"a\":1}"));
        assert_eq!(store.audit_events(Some("acme"), 10).await?.len(), 1, "the refused write left no event");
        assert!(matches!(
            store.put_tenant_revision("acme", 0, None, "", &audit("acme", "tenant.removed")).await,
            Err(StoreError::Invalid("revision"))
        ));
        Ok(())
    }

    async fn audit_events_are_listed_newest_first_per_tenant(store: Store) -> anyhow::Result<()> {
        store.record_audit(&audit("acme", "api_key.created")).await?;
        store.record_audit(&audit("zeta", "api_key.created")).await?;
        store.record_audit(&NewAuditEvent { tenant: None, ..audit("acme", "api_key.revoked") }).await?;
        let events = store.audit_events(None, 10).await?;
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].action, "api_key.revoked");
        assert_eq!(events[0].tenant, None);
        assert_eq!(events[2].after, Some(serde_json::json!({"name": "acme"})));
        let acme = store.audit_events(Some("acme"), 10).await?;
        assert_eq!(acme.iter().map(|e| e.target.as_str()).collect::<Vec<_>>(), ["acme"]);
        Ok(())
    }

    async fn resealing_replaces_only_the_expected_document(store: Store) -> anyhow::Result<()> {
        store.put_tenant_revision("acme", 1, Some("old"), "created", &audit("acme", "tenant.created")).await?;
        assert!(!store.reseal_tenant_revision("acme", 1, "other", "new").await?);
        assert!(store.reseal_tenant_revision("acme", 1, "old", "new").await?);
        assert_eq!(store.all_tenant_revisions().await?[0].document.as_deref(), Some("new"));
        Ok(())
    }
}
