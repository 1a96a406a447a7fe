//! The `invocations` table: one row per function call, for audit and debugging.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::tenants::check_tenant_id;
use super::{Result, Store, StoreError, corrupt, from_millis};
use crate::output::Output;

/// The most records [`Store::invocations`] returns at once, whatever limit it is asked for.
pub const MAX_INVOCATIONS_PAGE: u32 = 1000;

/// Which records [`Store::invocations_matching`] returns.
#[derive(Debug, Clone, Default)]
pub struct InvocationFilter {
    /// The tenant.
    pub tenant: String,
    /// Only this function's.
    pub function: Option<String>,
    /// Only this outcome's (`ok`, or a problem code).
    pub outcome: Option<String>,
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before.
    pub until: Option<DateTime<Utc>>,
    /// Only the calls naming this customer ([`crate::digest::customer_digest`]).
    pub customer_key: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// One function call as the invocation log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationRecord {
    /// The call's id: a UUID (v7, so ids sort by time) given by the caller, unique in the log.
    pub id: String,
    /// The tenant the caller acted for.
    pub tenant: String,
    /// The contract function called, e.g. `list_invoices`.
    pub function: String,
    /// The plugin that served the call; `None` when none was reached (e.g. not configured).
    pub plugin: Option<String>,
    /// That plugin's version; `None` with `plugin`.
    pub plugin_version: Option<String>,
    /// When the host started handling the call. Stored at millisecond precision: a finer value
    /// comes back truncated.
    #[serde(with = "super::rfc3339")]
    pub started_at: DateTime<Utc>,
    /// How long the call took, in milliseconds (at most `i64::MAX`).
    pub duration_ms: u64,
    /// The HTTP status returned to the caller.
    pub status: u16,
    /// `ok`, or the problem code returned to the caller (e.g. `upstream_unavailable`).
    pub outcome: String,
    /// A short explanation for operators; never a secret.
    pub detail: Option<String>,
    /// The contract's warnings about the plugin's answer: a JSON array.
    pub warnings: serde_json::Value,
    /// The upstream requests the plugin made (method, host, status, duration): a JSON array.
    pub upstream_calls: serde_json::Value,
    /// SHA-256 of the tenant and the customer's document the input named, if any: the log is
    /// searched by customer without keeping the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_key: Option<String>,
    /// The validated input, when the host keeps payloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Payload>,
    /// The normalized output of a successful call, when the host keeps payloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Payload>,
}

/// An input or output as the invocation log keeps it: its JSON text, or past
/// [`MAX_LOGGED_PAYLOAD`] bytes a note of its size (`{"truncated": true, "bytes": n}`).
///
/// Made once on the call's path, from the value it borrows ([`Payload::of`]) or sharing the
/// answer's text ([`Payload::of_output`]), so a call's answer is neither copied for the log nor
/// encoded again by its writer; serialized as the JSON itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(Output);

impl Payload {
    /// `value`'s JSON, bounded.
    pub fn of(value: &serde_json::Value) -> Payload {
        Payload::of_output(&Output::from_value(value))
    }

    /// An answer's JSON, bounded; shared, not copied.
    pub fn of_output(output: &Output) -> Payload {
        if output.json().len() <= MAX_LOGGED_PAYLOAD {
            Payload(output.clone())
        } else {
            Payload(Output::from_value(&serde_json::json!({"truncated": true, "bytes": output.json().len()})))
        }
    }

    /// Stored JSON text, when it is JSON.
    fn from_json(text: &str) -> Option<Payload> {
        Output::from_json(text).ok().map(Payload)
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        self.0.json()
    }

    /// The payload as a JSON value.
    pub fn value(&self) -> serde_json::Value {
        self.0.value()
    }
}

/// The most bytes of JSON an invocation row keeps of an input or an output.
pub const MAX_LOGGED_PAYLOAD: usize = 64 * 1024;

#[derive(sqlx::FromRow)]
struct InvocationRow {
    id: String,
    tenant_id: String,
    function: String,
    plugin: Option<String>,
    plugin_version: Option<String>,
    started_at: i64,
    duration_ms: i64,
    status: i64,
    outcome: String,
    detail: Option<String>,
    warnings: String,
    upstream_calls: String,
    customer_key: Option<String>,
    input_json: Option<String>,
    output_json: Option<String>,
}

impl TryFrom<InvocationRow> for InvocationRecord {
    type Error = StoreError;
    fn try_from(row: InvocationRow) -> Result<InvocationRecord> {
        let json = |text: &str| serde_json::from_str(text).map_err(|_| corrupt("invocation JSON"));
        let payload = |text: String| Payload::from_json(&text).ok_or_else(|| corrupt("invocation JSON"));
        Ok(InvocationRecord {
            id: row.id,
            tenant: row.tenant_id,
            function: row.function,
            plugin: row.plugin,
            plugin_version: row.plugin_version,
            started_at: from_millis(row.started_at)?,
            duration_ms: u64::try_from(row.duration_ms).map_err(|_| corrupt("invocation duration"))?,
            status: u16::try_from(row.status).map_err(|_| corrupt("invocation status"))?,
            outcome: row.outcome,
            detail: row.detail,
            warnings: json(&row.warnings)?,
            upstream_calls: json(&row.upstream_calls)?,
            customer_key: row.customer_key,
            input: row.input_json.map(payload).transpose()?,
            output: row.output_json.map(payload).transpose()?,
        })
    }
}

/// The most records [`Store::record_invocations`] writes in one statement (15 values each, well
/// under both engines' limits on bound parameters).
pub const MAX_INVOCATION_BATCH: usize = 500;

/// Checks a record before it is written; returns its duration as stored.
fn check_record(record: &InvocationRecord) -> Result<i64> {
    if uuid::Uuid::try_parse(&record.id).is_err() {
        return Err(StoreError::Invalid("invocation id"));
    }
    check_tenant_id(&record.tenant)?;
    if record.function.is_empty() {
        return Err(StoreError::Invalid("function"));
    }
    if record.outcome.is_empty() {
        return Err(StoreError::Invalid("outcome"));
    }
    let duration_ms = i64::try_from(record.duration_ms).map_err(|_| StoreError::Invalid("duration_ms"))?;
    if !record.warnings.is_array() {
        return Err(StoreError::Invalid("warnings"));
    }
    if !record.upstream_calls.is_array() {
        return Err(StoreError::Invalid("upstream_calls"));
    }
    Ok(duration_ms)
}

/// The columns read back, in `InvocationRow`'s order.
const COLUMNS: &str = "id, tenant_id, function, plugin, plugin_version, started_at, duration_ms, status, outcome, \
                       detail, warnings, upstream_calls, customer_key, input_json, output_json";

impl Store {
    /// Appends `record` to the invocation log.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] naming the field: `invocation id` when it isn't a UUID or is
    /// already in the log, `tenant id`, `function` or `outcome` when empty, `duration_ms` beyond
    /// `i64::MAX`, `warnings` or `upstream_calls` when not JSON arrays. Database errors otherwise.
    pub async fn record_invocation(&self, record: &InvocationRecord) -> Result<()> {
        let duration_ms = check_record(record)?;
        let warnings = record.warnings.to_string();
        let upstream_calls = record.upstream_calls.to_string();
        let inserted = with_pool!(self, |pool| {
            sqlx::query(&format!(
                "INSERT INTO invocations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ))
            .bind(&record.id)
            .bind(&record.tenant)
            .bind(&record.function)
            .bind(record.plugin.as_deref())
            .bind(record.plugin_version.as_deref())
            .bind(record.started_at.timestamp_millis())
            .bind(duration_ms)
            .bind(i64::from(record.status))
            .bind(&record.outcome)
            .bind(record.detail.as_deref())
            .bind(&warnings)
            .bind(&upstream_calls)
            .bind(record.customer_key.as_deref())
            .bind(record.input.as_ref().map(Payload::json))
            .bind(record.output.as_ref().map(Payload::json))
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(StoreError::Invalid("invocation id")),
            Err(err) => Err(err.into()),
        }
    }

    /// Appends `records` to the invocation log in one statement (so one transaction), skipping
    /// any whose id is already in the log. Returns how many rows were inserted.
    ///
    /// Up to [`MAX_INVOCATION_BATCH`] records per call; the invocation log's background writer
    /// sends its batches here.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] as [`Store::record_invocation`] for the first malformed record
    /// (nothing is written then), or for more than [`MAX_INVOCATION_BATCH`] records. Database
    /// errors otherwise (nothing is written either).
    pub async fn record_invocations(&self, records: &[InvocationRecord]) -> Result<u64> {
        if records.len() > MAX_INVOCATION_BATCH {
            return Err(StoreError::Invalid("batch size"));
        }
        let Some(_) = records.first() else { return Ok(0) };
        let mut durations = Vec::with_capacity(records.len());
        for record in records {
            durations.push(check_record(record)?);
        }
        let insert = format!("INSERT INTO invocations ({COLUMNS}) ");
        Ok(with_pool!(self, |pool| {
            let mut query = sqlx::QueryBuilder::new(&insert);
            query.push_values(records.iter().zip(&durations), |mut row, (record, duration_ms)| {
                row.push_bind(record.id.clone())
                    .push_bind(record.tenant.clone())
                    .push_bind(record.function.clone())
                    .push_bind(record.plugin.clone())
                    .push_bind(record.plugin_version.clone())
                    .push_bind(record.started_at.timestamp_millis())
                    .push_bind(*duration_ms)
                    .push_bind(i64::from(record.status))
                    .push_bind(record.outcome.clone())
                    .push_bind(record.detail.clone())
                    .push_bind(record.warnings.to_string())
                    .push_bind(record.upstream_calls.to_string())
                    .push_bind(record.customer_key.clone())
                    .push_bind(record.input.as_ref().map(Payload::json))
                    .push_bind(record.output.as_ref().map(Payload::json));
            });
            query.push(" ON CONFLICT (id) DO NOTHING");
            query.build().execute(pool).await.map(|done| done.rows_affected())
        })?)
    }

    /// The newest `limit` records of `tenant`, newest first (by `started_at`, then id).
    /// `limit` is capped at [`MAX_INVOCATIONS_PAGE`]; 0 returns nothing.
    ///
    /// # Errors
    /// Database errors, including a stored row that no longer decodes.
    pub async fn invocations(&self, tenant: &str, limit: u32) -> Result<Vec<InvocationRecord>> {
        let limit = i64::from(limit.min(MAX_INVOCATIONS_PAGE));
        let rows = with_pool!(self, |pool| {
            sqlx::query_as::<_, InvocationRow>(&format!(
                "SELECT {COLUMNS} FROM invocations WHERE tenant_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
            ))
            .bind(tenant)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(InvocationRecord::try_from).collect()
    }

    /// The newest records of a tenant matching `filter`, at most [`MAX_INVOCATIONS_PAGE`].
    ///
    /// # Errors
    /// Database errors.
    pub async fn invocations_matching(&self, filter: &InvocationFilter) -> Result<Vec<InvocationRecord>> {
        check_tenant_id(&filter.tenant)?;
        let limit = i64::from(filter.limit.clamp(1, MAX_INVOCATIONS_PAGE));
        let since = filter.since.map_or(0, |t| t.timestamp_millis());
        let until = filter.until.map_or(i64::MAX, |t| t.timestamp_millis());
        let rows = with_pool!(self, |pool| {
            sqlx::query_as::<_, InvocationRow>(&format!(
                "SELECT {COLUMNS} FROM invocations WHERE tenant_id = $1 AND ($2 = '' OR function = $2) \
                 AND ($3 = '' OR outcome = $3) AND started_at >= $4 AND started_at < $5 \
                 AND ($7 = '' OR customer_key = $7) ORDER BY started_at DESC, id DESC LIMIT $6"
            ))
            .bind(&filter.tenant)
            .bind(filter.function.as_deref().unwrap_or(""))
            .bind(filter.outcome.as_deref().unwrap_or(""))
            .bind(since)
            .bind(until)
            .bind(limit)
            .bind(filter.customer_key.as_deref().unwrap_or(""))
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(InvocationRecord::try_from).collect()
    }

    /// Each call of a tenant since `since` as `(function, outcome, duration_ms)`, newest first
    /// and at most 20,000 (for health figures).
    ///
    /// # Errors
    /// Database errors.
    pub async fn invocation_outcomes(&self, tenant: &str, since: DateTime<Utc>) -> Result<Vec<(String, String, u64)>> {
        check_tenant_id(tenant)?;
        let rows: Vec<(String, String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT function, outcome, duration_ms FROM invocations WHERE tenant_id = $1 AND started_at >= $2 \
                 ORDER BY started_at DESC LIMIT 20000",
            )
            .bind(tenant)
            .bind(since.timestamp_millis())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(|(f, o, d)| (f, o, u64::try_from(d).unwrap_or(0))).collect())
    }

    /// The record with id `id`, if any. Callers that serve this to a tenant must check the
    /// record's `tenant` themselves.
    ///
    /// # Errors
    /// Database errors.
    pub async fn invocation(&self, id: &str) -> Result<Option<InvocationRecord>> {
        let row = with_pool!(self, |pool| {
            sqlx::query_as::<_, InvocationRow>(&format!("SELECT {COLUMNS} FROM invocations WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        row.map(InvocationRecord::try_from).transpose()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        recorded_invocation_reads_back_unchanged(sqlite_file),
        a_payload_past_its_bound_is_kept_as_its_size,
        the_log_is_filtered_by_customer_function_outcome_and_time,
        started_at_is_kept_to_the_millisecond,
        invocations_are_newest_first_limited_and_per_tenant,
        same_instant_invocations_order_by_id,
        unknown_invocation_is_none,
        malformed_or_duplicate_records_are_invalid,
        a_batch_is_written_whole_and_skips_ids_already_logged(sqlite_file),
        a_batch_with_a_malformed_record_writes_nothing,
    );

    /// A record for `tenant` started `offset_ms` after a fixed instant.
    pub(crate) fn record(tenant: &str, offset_ms: i64) -> InvocationRecord {
        let started_at = DateTime::from_timestamp_millis(1_750_000_000_000 + offset_ms).expect("valid timestamp");
        InvocationRecord {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: tenant.into(),
            function: "list_invoices".into(),
            plugin: Some("ixc".into()),
            plugin_version: Some("1.2.0".into()),
            started_at,
            duration_ms: 42,
            status: 200,
            outcome: "ok".into(),
            detail: None,
            warnings: json!([{"code": "field_dropped", "path": "/0/barcode"}]),
            upstream_calls: json!([{"method": "GET", "host": "erp.example", "status": 200, "duration_ms": 30}]),
            customer_key: Some("c0ffee".into()),
            input: Some(Payload::of(&json!({"customer_document_number": "71460238001"}))),
            output: Some(Payload::of(&json!([{"fatura": "1001"}]))),
        }
    }

    async fn recorded_invocation_reads_back_unchanged(store: Store) -> anyhow::Result<()> {
        let mut failed = record("acme", 0);
        failed.plugin = None;
        failed.plugin_version = None;
        failed.status = 502;
        failed.outcome = "upstream_unavailable".into();
        failed.detail = Some("connection refused".into());
        failed.duration_ms = u64::try_from(i64::MAX)?;
        failed.warnings = json!([]);
        // Money in JSON keeps its exact text (serde_json's arbitrary_precision).
        failed.upstream_calls = json!([{"amount": serde_json::from_str::<serde_json::Value>("1234.50")?}]);
        for record in [record("acme", 1), failed] {
            store.record_invocation(&record).await?;
            assert_eq!(store.invocation(&record.id).await?, Some(record.clone()));
        }
        Ok(())
    }

    async fn started_at_is_kept_to_the_millisecond(store: Store) -> anyhow::Result<()> {
        let mut record = record("acme", 0);
        record.started_at += chrono::Duration::microseconds(123_456);
        store.record_invocation(&record).await?;
        let stored = store.invocation(&record.id).await?.expect("recorded");
        assert_eq!(stored.started_at.timestamp_millis(), record.started_at.timestamp_millis());
        assert_eq!(stored.started_at.timestamp_subsec_micros() % 1000, 0);
        Ok(())
    }

    async fn invocations_are_newest_first_limited_and_per_tenant(store: Store) -> anyhow::Result<()> {
        let records: Vec<_> = (0..5).map(|i| record("acme", i * 1000)).collect();
        // Out of order, with another tenant's records in between.
        for index in [3, 0, 4, 1, 2] {
            store.record_invocation(&records[index]).await?;
            store.record_invocation(&record("beta", 10_000)).await?;
        }
        let ids = |list: Vec<InvocationRecord>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let newest_first: Vec<_> = records.iter().rev().map(|r| r.id.clone()).collect();
        assert_eq!(ids(store.invocations("acme", 10).await?), newest_first);
        assert_eq!(ids(store.invocations("acme", 2).await?), newest_first[..2]);
        assert!(store.invocations("acme", 0).await?.is_empty());
        assert_eq!(store.invocations("beta", 100).await?.len(), 5);
        assert!(store.invocations("nobody", 10).await?.is_empty());
        Ok(())
    }

    async fn same_instant_invocations_order_by_id(store: Store) -> anyhow::Result<()> {
        let first = record("acme", 0);
        let second = record("acme", 0);
        assert!(second.id > first.id, "v7 ids increase");
        store.record_invocation(&second).await?;
        store.record_invocation(&first).await?;
        let ids: Vec<_> = store.invocations("acme", 10).await?.into_iter().map(|r| r.id).collect();
        assert_eq!(ids, [second.id, first.id]);
        Ok(())
    }

    async fn unknown_invocation_is_none(store: Store) -> anyhow::Result<()> {
        assert_eq!(store.invocation(&uuid::Uuid::now_v7().to_string()).await?, None);
        Ok(())
    }

    async fn malformed_or_duplicate_records_are_invalid(store: Store) -> anyhow::Result<()> {
        let good = record("acme", 0);
        store.record_invocation(&good).await?;

        type Spoil = fn(&mut InvocationRecord);
        let cases: [(&str, Spoil); 8] = [
            ("invocation id", |r| r.id = "not-a-uuid".into()),
            ("tenant id", |r| r.tenant = String::new()),
            ("function", |r| r.function = String::new()),
            ("outcome", |r| r.outcome = String::new()),
            ("duration_ms", |r| r.duration_ms = u64::MAX),
            ("warnings", |r| r.warnings = json!({"not": "an array"})),
            ("upstream_calls", |r| r.upstream_calls = serde_json::Value::Null),
            ("invocation id", |r| r.started_at = DateTime::UNIX_EPOCH), // same id as `good`
        ];
        for (field, spoil) in cases {
            let mut bad = good.clone();
            spoil(&mut bad);
            let err = store.record_invocation(&bad).await.expect_err("refused");
            assert!(matches!(err, StoreError::Invalid(name) if name == field), "{field}: {err:?}");
        }
        assert_eq!(store.invocations("acme", 10).await?, [good]);
        Ok(())
    }

    #[test]
    fn record_serializes_started_at_as_rfc3339() -> anyhow::Result<()> {
        let record = record("acme", 5);
        let json = serde_json::to_value(&record)?;
        assert_eq!(json["started_at"], "2025-06-15T15:06:40.005Z");
        assert_eq!(serde_json::from_value::<InvocationRecord>(json)?, record);
        Ok(())
    }

    async fn a_batch_is_written_whole_and_skips_ids_already_logged(store: Store) -> anyhow::Result<()> {
        let records: Vec<_> =
            (0..MAX_INVOCATION_BATCH).map(|i| record("acme", i64::try_from(i).unwrap_or(0))).collect();
        store.record_invocation(&records[7]).await?;
        assert_eq!(store.record_invocations(&records).await?, u64::try_from(MAX_INVOCATION_BATCH - 1)?);
        assert_eq!(store.invocations("acme", MAX_INVOCATIONS_PAGE).await?.len(), MAX_INVOCATION_BATCH);
        for record in [&records[0], &records[7], &records[MAX_INVOCATION_BATCH - 1]] {
            assert_eq!(store.invocation(&record.id).await?.as_ref(), Some(record));
        }
        assert_eq!(store.record_invocations(&[]).await?, 0);
        let too_many: Vec<_> = (0..=MAX_INVOCATION_BATCH).map(|_| record("acme", 0)).collect();
        assert!(matches!(store.record_invocations(&too_many).await, Err(StoreError::Invalid("batch size"))));
        Ok(())
    }

    async fn a_batch_with_a_malformed_record_writes_nothing(store: Store) -> anyhow::Result<()> {
        let mut bad = record("acme", 1);
        bad.warnings = json!({"not": "an array"});
        let batch = [record("acme", 0), bad];
        assert!(matches!(store.record_invocations(&batch).await, Err(StoreError::Invalid("warnings"))));
        assert!(store.invocations("acme", 10).await?.is_empty());
        Ok(())
    }

    async fn a_payload_past_its_bound_is_kept_as_its_size(store: Store) -> anyhow::Result<()> {
        let mut big = record("acme", 0);
        big.output = Some(Payload::of(&json!("x".repeat(MAX_LOGGED_PAYLOAD))));
        store.record_invocations(std::slice::from_ref(&big)).await?;
        let back = store.invocation(&big.id).await?.expect("logged");
        assert_eq!(back.output.map(|p| p.value()), Some(json!({"truncated": true, "bytes": MAX_LOGGED_PAYLOAD + 2})));
        assert_eq!(back.input, big.input, "a small one is kept whole");
        Ok(())
    }

    async fn the_log_is_filtered_by_customer_function_outcome_and_time(store: Store) -> anyhow::Result<()> {
        let mut other = record("acme", 10);
        other.customer_key = Some("beef".into());
        other.outcome = "upstream_error".into();
        other.function = "get_invoice".into();
        let first = record("acme", 0);
        store.record_invocations(&[first.clone(), other.clone()]).await?;
        let filter = |f: InvocationFilter| InvocationFilter { tenant: "acme".into(), limit: 10, ..f };
        let ids = |records: Vec<InvocationRecord>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
        let by = |key: &str| filter(InvocationFilter { customer_key: Some(key.into()), ..Default::default() });
        assert_eq!(ids(store.invocations_matching(&by("beef")).await?), [other.id.clone()]);
        assert_eq!(ids(store.invocations_matching(&by("c0ffee")).await?), [first.id.as_str()]);
        let failed = filter(InvocationFilter { outcome: Some("upstream_error".into()), ..Default::default() });
        assert_eq!(ids(store.invocations_matching(&failed).await?), [other.id.clone()]);
        let function = filter(InvocationFilter { function: Some("list_invoices".into()), ..Default::default() });
        assert_eq!(ids(store.invocations_matching(&function).await?), [first.id.as_str()]);
        let later = filter(InvocationFilter { since: Some(other.started_at), ..Default::default() });
        assert_eq!(ids(store.invocations_matching(&later).await?), [other.id.clone()]);
        Ok(())
    }
}
