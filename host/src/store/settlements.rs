//! The `settlements` table: the durable queue of payments to post (`settle_invoice`).
//!
//! A settlement is written before any ERP call and moves through
//!
//! ```text
//! posting (claimed by the accepting request) ─┬─> posted
//!        ^                                    ├─> pending ──(due)──> posting (claimed by a worker)
//!        └────────── lease ran out ───────────┤
//!                                             └─> parked ──> pending (admin retry) / resolved (admin)
//! ```
//!
//! Every change of a `posting` row is guarded by the claim's `lease_token`, so a worker whose
//! lease ran out (it was slow, or its process died and another replica took over) can never
//! overwrite what the new owner decided. Claims take due rows with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so any number of replicas share one queue; SQLite serializes writers, so the
//! same single `UPDATE ... RETURNING` statement is already exclusive there.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{Result, Store, StoreError, corrupt, from_millis, now_millis};

/// Where a settlement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt holds it under a lease.
    Posting,
    /// The ERP has the payment.
    Posted,
    /// Attempts are over or the ERP refused it: a human must look (dead letter).
    Parked,
    /// A human closed it by hand.
    Resolved,
}

impl SettlementState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementState::Pending => "pending",
            SettlementState::Posting => "posting",
            SettlementState::Posted => "posted",
            SettlementState::Parked => "parked",
            SettlementState::Resolved => "resolved",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => SettlementState::Pending,
            "posting" => SettlementState::Posting,
            "posted" => SettlementState::Posted,
            "parked" => SettlementState::Parked,
            "resolved" => SettlementState::Resolved,
            _ => return None,
        })
    }

    /// Whether no worker will touch it again.
    pub fn is_final(self) -> bool {
        matches!(self, SettlementState::Posted | SettlementState::Resolved)
    }
}

/// A settlement as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settlement {
    /// UUID v7: the `settlement_id` callers poll.
    pub id: String,
    /// The tenant.
    pub tenant: String,
    /// The paid boleto's id in the ERP.
    pub boleto_id: String,
    /// The payment's id at the payment provider.
    pub transaction_id: String,
    /// The validated `settle_invoice` input.
    #[serde(skip)]
    pub input: Value,
    /// Hash of `input`, to tell a resend from a conflicting payment.
    #[serde(skip)]
    pub input_hash: String,
    /// Where it is.
    pub state: SettlementState,
    /// Attempts claimed so far.
    pub attempts: u32,
    /// A posting was sent and its outcome is not known yet.
    pub in_doubt: bool,
    /// The invoice's amount due before Ponte first posted, when it was read.
    pub open_before: Option<String>,
    /// When the next attempt is due (while pending).
    #[serde(with = "super::rfc3339")]
    pub next_attempt_at: DateTime<Utc>,
    /// The current claim's token (while posting).
    #[serde(skip)]
    pub lease_token: Option<String>,
    /// The last failure's problem code.
    pub last_error: Option<String>,
    /// The last failure, explained (redacted).
    pub last_detail: Option<String>,
    /// How it ended.
    pub outcome: Option<String>,
    /// The `settle_invoice` output, once posted.
    pub result: Option<Value>,
    /// The operator's note, when resolved by hand.
    pub note: Option<String>,
    /// When it was accepted.
    #[serde(with = "super::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(with = "super::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// When it was posted, or resolved.
    #[serde(with = "super::rfc3339::option")]
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    boleto_id: String,
    transaction_id: String,
    input: String,
    input_hash: String,
    state: String,
    attempts: i64,
    in_doubt: i64,
    open_before: Option<String>,
    next_attempt_at: i64,
    lease_token: Option<String>,
    last_error: Option<String>,
    last_detail: Option<String>,
    outcome: Option<String>,
    result: Option<String>,
    note: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

/// The columns read back, in `Row`'s order.
const COLUMNS: &str = "id, tenant_id, boleto_id, transaction_id, input, input_hash, state, attempts, in_doubt, \
                       open_before, next_attempt_at, lease_token, last_error, last_detail, outcome, result, note, \
                       created_at, updated_at, finished_at";

impl TryFrom<Row> for Settlement {
    type Error = StoreError;
    fn try_from(row: Row) -> Result<Settlement> {
        let json = |text: &str| serde_json::from_str::<Value>(text).map_err(|_| corrupt("settlement JSON"));
        Ok(Settlement {
            input: json(&row.input)?,
            result: row.result.as_deref().map(json).transpose()?,
            state: SettlementState::parse(&row.state).ok_or_else(|| corrupt("settlement state"))?,
            attempts: u32::try_from(row.attempts).map_err(|_| corrupt("settlement attempts"))?,
            in_doubt: row.in_doubt != 0,
            next_attempt_at: from_millis(row.next_attempt_at)?,
            created_at: from_millis(row.created_at)?,
            updated_at: from_millis(row.updated_at)?,
            finished_at: row.finished_at.map(from_millis).transpose()?,
            id: row.id,
            tenant: row.tenant_id,
            boleto_id: row.boleto_id,
            transaction_id: row.transaction_id,
            input_hash: row.input_hash,
            open_before: row.open_before,
            lease_token: row.lease_token,
            last_error: row.last_error,
            last_detail: row.last_detail,
            outcome: row.outcome,
            note: row.note,
        })
    }
}

/// A payment to accept.
#[derive(Debug, Clone)]
pub struct NewSettlement<'a> {
    /// UUID v7.
    pub id: &'a str,
    /// The tenant.
    pub tenant: &'a str,
    /// The paid boleto's id.
    pub boleto_id: &'a str,
    /// The payment's id at the payment provider.
    pub transaction_id: &'a str,
    /// The validated input.
    pub input: &'a Value,
    /// Its hash.
    pub input_hash: &'a str,
    /// The customer it is for, as the invocation log names one (what erasure finds it by).
    pub customer_key: Option<&'a str>,
    /// The accepting request's claim: the row is written `posting` under it.
    pub lease_token: &'a str,
    /// Until when that claim holds (stored milliseconds).
    pub lease_until: i64,
}

/// What [`Store::settlement_insert`] found.
#[derive(Debug, Clone)]
pub enum Inserted {
    /// A new settlement, claimed by the caller.
    New(Settlement),
    /// This payment (tenant, boleto, transaction id) was accepted before: that settlement.
    Existing(Settlement),
}

/// How an attempt that did not post ends.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// The problem code.
    pub code: &'a str,
    /// A redacted explanation.
    pub detail: &'a str,
}

impl Store {
    /// Accepts a payment: writes it `posting` under the caller's claim, unless the same payment
    /// (tenant, boleto, transaction id) is already there, whatever its state.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty id, tenant, boleto or transaction id; database errors.
    pub async fn settlement_insert(&self, new: &NewSettlement<'_>) -> Result<Inserted> {
        for (value, what) in [
            (new.id, "settlement id"),
            (new.tenant, "tenant id"),
            (new.boleto_id, "boleto id"),
            (new.transaction_id, "transaction id"),
        ] {
            if value.is_empty() {
                return Err(StoreError::Invalid(what));
            }
        }
        let now = now_millis();
        let input = new.input.to_string();
        let inserted = with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO settlements (id, tenant_id, boleto_id, transaction_id, input, input_hash, state, attempts, \
                 in_doubt, next_attempt_at, lease_token, lease_until, created_at, updated_at, customer_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'posting', 1, 0, $7, $8, $9, $7, $7, $10) \
                 ON CONFLICT (tenant_id, boleto_id, transaction_id) DO NOTHING",
            )
            .bind(new.id)
            .bind(new.tenant)
            .bind(new.boleto_id)
            .bind(new.transaction_id)
            .bind(&input)
            .bind(new.input_hash)
            .bind(now)
            .bind(new.lease_token)
            .bind(new.lease_until)
            .bind(new.customer_key)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if inserted == 1 {
            let settlement = self.settlement(new.id).await?.ok_or(StoreError::NotFound)?;
            return Ok(Inserted::New(settlement));
        }
        let row: Row = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM settlements WHERE tenant_id = $1 AND boleto_id = $2 AND transaction_id = $3"
            ))
            .bind(new.tenant)
            .bind(new.boleto_id)
            .bind(new.transaction_id)
            .fetch_one(pool)
            .await
        })?;
        Ok(Inserted::Existing(row.try_into()?))
    }

    /// The settlement with this id.
    ///
    /// # Errors
    /// Database errors, or a row the store can't read.
    pub async fn settlement(&self, id: &str) -> Result<Option<Settlement>> {
        let row: Option<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM settlements WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        row.map(Settlement::try_from).transpose()
    }

    /// A tenant's settlements, newest first, optionally in one state; at most `limit` (≤ 1000).
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlements(
        &self,
        tenant: &str,
        state: Option<SettlementState>,
        limit: u32,
    ) -> Result<Vec<Settlement>> {
        let limit = i64::from(limit.min(1000));
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM settlements WHERE tenant_id = $1 AND ($2 IS NULL OR state = $2) \
                 ORDER BY created_at DESC, id DESC LIMIT $3"
            ))
            .bind(tenant)
            .bind(state.map(SettlementState::as_str))
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(Settlement::try_from).collect()
    }

    /// What a reconciliation compares with the ERP: `tenant`'s settlements accepted at or after
    /// `since` (ms) that are posted or parked, newest first; at most `limit` (≤ 10 000).
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlements_to_reconcile(&self, tenant: &str, since: i64, limit: u32) -> Result<Vec<Settlement>> {
        let limit = i64::from(limit.min(10_000));
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM settlements WHERE tenant_id = $1 AND state IN ('posted', 'parked') \
                 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT $3"
            ))
            .bind(tenant)
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(Settlement::try_from).collect()
    }

    /// Claims up to `limit` settlements that are due at `now`: pending ones whose time has come,
    /// and posting ones whose lease ran out (their owner died). Each gets `token`, a lease until
    /// `lease_until` and one more attempt.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlements_claim(
        &self,
        token: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Settlement>> {
        let lock = if self.is_postgres() { " FOR UPDATE SKIP LOCKED" } else { "" };
        let rows: Vec<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE settlements SET state = 'posting', lease_token = $1, lease_until = $2, \
                 attempts = attempts + 1, updated_at = $3 \
                 WHERE id IN (SELECT id FROM settlements WHERE (state = 'pending' AND next_attempt_at <= $3) \
                 OR (state = 'posting' AND lease_until <= $3) ORDER BY next_attempt_at LIMIT $4{lock}) \
                 RETURNING {COLUMNS}"
            ))
            .bind(token)
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter().map(Settlement::try_from).collect()
    }

    /// Records, before a posting is sent, that its outcome is now in doubt, with the invoice's
    /// amount due before Ponte first posted (kept once known). False when the claim was lost.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_sending(&self, id: &str, token: &str, open_before: Option<&str>) -> Result<bool> {
        let params = vec![Param::Text(open_before.map(str::to_owned))];
        self.guarded("in_doubt = 1, open_before = COALESCE(open_before, $3)", id, token, params).await
    }

    /// Records that the ERP was asked and the earlier posting did not land. False when the
    /// claim was lost.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_not_posted(&self, id: &str, token: &str, open_before: Option<&str>) -> Result<bool> {
        let params = vec![Param::Text(open_before.map(str::to_owned))];
        self.guarded("in_doubt = 0, open_before = COALESCE(open_before, $3)", id, token, params).await
    }

    /// Ends the claim with the payment posted (`outcome` says how it is known) and `result`
    /// answered to callers from now on. False when the claim was lost.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_posted(&self, id: &str, token: &str, outcome: &str, result: &Value) -> Result<bool> {
        let result = result.to_string();
        self.guarded(
            "state = 'posted', in_doubt = 0, outcome = $3, result = $4, finished_at = $5, lease_token = NULL, \
             lease_until = NULL",
            id,
            token,
            vec![Param::Text(Some(outcome.to_owned())), Param::Text(Some(result)), Param::Int(now_millis())],
        )
        .await
    }

    /// Ends the claim with the settlement due again at `next_attempt_at`. `refund_attempt`
    /// gives the attempt back (nothing was tried, e.g. the circuit was open). False when the
    /// claim was lost.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_retry_later(
        &self,
        id: &str,
        token: &str,
        next_attempt_at: i64,
        failure: Failure<'_>,
        refund_attempt: bool,
    ) -> Result<bool> {
        let refund = i64::from(refund_attempt);
        self.guarded(
            "state = 'pending', next_attempt_at = $3, last_error = $4, last_detail = $5, \
             attempts = attempts - $6, lease_token = NULL, lease_until = NULL",
            id,
            token,
            vec![
                Param::Int(next_attempt_at),
                Param::Text(Some(failure.code.to_owned())),
                Param::Text(Some(failure.detail.to_owned())),
                Param::Int(refund),
            ],
        )
        .await
    }

    /// Ends the claim with the settlement parked for a human, with `result` when the ERP
    /// answered one. False when the claim was lost.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_park(
        &self,
        id: &str,
        token: &str,
        outcome: &str,
        failure: Failure<'_>,
        result: Option<&Value>,
    ) -> Result<bool> {
        let result = result.map(Value::to_string);
        self.guarded(
            "state = 'parked', outcome = $3, last_error = $4, last_detail = $5, result = $6, lease_token = NULL, \
             lease_until = NULL",
            id,
            token,
            vec![
                Param::Text(Some(outcome.to_owned())),
                Param::Text(Some(failure.code.to_owned())),
                Param::Text(Some(failure.detail.to_owned())),
                Param::Text(result),
            ],
        )
        .await
    }

    /// An operator's retry: a parked settlement of `tenant` is due again now with a fresh budget
    /// of attempts (a posting in doubt is still verified first). `None` when there is no parked
    /// settlement with that id for that tenant.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_requeue(&self, tenant: &str, id: &str) -> Result<Option<Settlement>> {
        let now = now_millis();
        let row: Option<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE settlements SET state = 'pending', attempts = 0, next_attempt_at = $3, updated_at = $3, \
                 outcome = NULL WHERE id = $1 AND tenant_id = $2 AND state = 'parked' RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(tenant)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        row.map(Settlement::try_from).transpose()
    }

    /// Gives back a claim whose attempt was cut off before it sent the posting (a shutdown past
    /// its grace): the settlement is due again at once, for any replica, and the attempt it
    /// never made is not counted. A settlement in doubt (its posting may have been sent) is
    /// left under its lease: the next attempt after it runs out asks the ERP first.
    ///
    /// # Errors
    /// As [`Store::settlement`].
    pub async fn settlement_release(&self, id: &str, token: &str) -> Result<bool> {
        let now = now_millis();
        let done = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE settlements SET state = 'pending', lease_token = NULL, lease_until = NULL, \
                 next_attempt_at = $3, updated_at = $3, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
                 WHERE id = $1 AND lease_token = $2 AND state = 'posting' AND in_doubt = 0",
            )
            .bind(id)
            .bind(token)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// An operator closes a parked settlement of `tenant` by hand, with a note saying what was
    /// done. `None` when there is no parked settlement with that id for that tenant.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (`note`) for an empty note or one over 2000 bytes; as
    /// [`Store::settlement`] otherwise.
    pub async fn settlement_resolve(&self, tenant: &str, id: &str, note: &str) -> Result<Option<Settlement>> {
        if note.trim().is_empty() || note.len() > 2000 {
            return Err(StoreError::Invalid("note"));
        }
        let now = now_millis();
        let row: Option<Row> = with_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE settlements SET state = 'resolved', outcome = 'resolved', note = $3, finished_at = $4, \
                 updated_at = $4 WHERE id = $1 AND tenant_id = $2 AND state = 'parked' RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(tenant)
            .bind(note)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        row.map(Settlement::try_from).transpose()
    }

    /// How many settlements each tenant has in `state`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn settlement_counts(&self, state: SettlementState) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT tenant_id, COUNT(*) FROM settlements WHERE state = $1 GROUP BY tenant_id")
                .bind(state.as_str())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter()
            .map(|(tenant, n)| Ok((tenant, u64::try_from(n).map_err(|_| corrupt("settlement count"))?)))
            .collect()
    }

    /// An `UPDATE` of one `posting` row under its claim: `set` assigns columns from `$3` on,
    /// bound from `params` in order; `updated_at` is set too. Returns whether the claim held.
    async fn guarded(&self, set: &str, id: &str, token: &str, params: Vec<Param>) -> Result<bool> {
        let sql = format!(
            "UPDATE settlements SET {set}, updated_at = {now} WHERE id = $1 AND lease_token = $2 AND state = 'posting'",
            now = now_millis()
        );
        let done = with_pool!(self, |pool| {
            let mut query = sqlx::query(&sql).bind(id).bind(token);
            for param in params {
                query = match param {
                    Param::Text(text) => query.bind(text),
                    Param::Int(int) => query.bind(int),
                };
            }
            query.execute(pool).await.map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }
}

/// A value bound by [`Store::guarded`].
enum Param {
    Text(Option<String>),
    Int(i64),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // Each of these runs on SQLite and on PostgreSQL (see `store_tests!`).
    store_tests!(
        a_payment_is_one_settlement_claimed_by_its_acceptor,
        claims_take_due_and_abandoned_settlements_once,
        every_change_needs_the_current_claim,
        parked_settlements_are_requeued_or_resolved_by_operators,
    );

    fn new<'a>(id: &'a str, transaction: &'a str, input: &'a Value, lease_until: i64) -> NewSettlement<'a> {
        NewSettlement {
            id,
            tenant: "acme",
            boleto_id: "1002",
            transaction_id: transaction,
            input,
            input_hash: "hash",
            customer_key: None,
            lease_token: "first",
            lease_until,
        }
    }

    async fn a_payment_is_one_settlement_claimed_by_its_acceptor(store: Store) -> anyhow::Result<()> {
        let input = json!({"boleto_id": "1002"});
        let now = now_millis();
        let Inserted::New(first) = store.settlement_insert(&new("s1", "tx1", &input, now + 60_000)).await? else {
            anyhow::bail!("the first insert is new");
        };
        assert_eq!((first.state, first.attempts, first.in_doubt), (SettlementState::Posting, 1, false));
        assert_eq!(first.input, input);
        let Inserted::Existing(again) = store.settlement_insert(&new("s2", "tx1", &input, now + 60_000)).await? else {
            anyhow::bail!("the same payment is the same settlement");
        };
        assert_eq!(again.id, "s1");
        assert!(matches!(store.settlement_insert(&new("s3", "tx2", &input, now)).await?, Inserted::New(_)));
        let err = store.settlement_insert(&new("s4", "", &input, now)).await.expect_err("empty transaction id");
        assert!(matches!(err, StoreError::Invalid("transaction id")));
        assert_eq!(store.settlements("acme", None, 10).await?.len(), 2);
        assert_eq!(store.settlements("acme", Some(SettlementState::Posted), 10).await?.len(), 0);
        assert!(store.settlements("other", None, 10).await?.is_empty());
        Ok(())
    }

    async fn claims_take_due_and_abandoned_settlements_once(store: Store) -> anyhow::Result<()> {
        let input = json!({});
        let now = now_millis();
        store.settlement_insert(&new("live", "tx-live", &input, now + 60_000)).await?;
        store.settlement_insert(&new("dead", "tx-dead", &input, now - 1)).await?;
        store.settlement_insert(&new("later", "tx-later", &input, now + 60_000)).await?;
        let failure = Failure { code: "upstream_unavailable", detail: "down" };
        assert!(store.settlement_retry_later("later", "first", now + 60_000, failure, false).await?);

        let claimed = store.settlements_claim("worker", now, now + 30_000, 10).await?;
        let ids: Vec<&str> = claimed.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["dead"], "only the abandoned one is due");
        assert_eq!(claimed[0].attempts, 2);
        assert!(store.settlements_claim("other", now, now + 30_000, 10).await?.is_empty(), "claimed once");
        let later = store.settlements_claim("worker", now + 61_000, now + 90_000, 10).await?;
        assert!(later.iter().any(|s| s.id == "later"));
        Ok(())
    }

    async fn every_change_needs_the_current_claim(store: Store) -> anyhow::Result<()> {
        let input = json!({});
        let now = now_millis();
        store.settlement_insert(&new("s", "tx", &input, now - 1)).await?;
        let claimed = store.settlements_claim("heir", now, now + 30_000, 1).await?;
        assert_eq!(claimed.len(), 1);
        // The first owner's lease ran out: it can no longer change anything.
        assert!(!store.settlement_sending("s", "first", Some("99.90")).await?);
        assert!(!store.settlement_posted("s", "first", "posted", &json!({"success": true})).await?);
        assert!(store.settlement_sending("s", "heir", Some("99.90")).await?);
        assert!(store.settlement_sending("s", "heir", Some("10.00")).await?, "the first amount read is kept");
        let sending = store.settlement("s").await?.expect("row");
        assert!(sending.in_doubt);
        assert_eq!(sending.open_before.as_deref(), Some("99.90"));
        assert!(store.settlement_not_posted("s", "heir", None).await?);
        assert!(!store.settlement("s").await?.expect("row").in_doubt);
        let result = json!({"success": true, "api_response": {"id": "9"}});
        assert!(store.settlement_posted("s", "heir", "posted", &result).await?);
        let posted = store.settlement("s").await?.expect("row");
        assert_eq!((posted.state, posted.outcome.as_deref()), (SettlementState::Posted, Some("posted")));
        assert_eq!(posted.result, Some(result));
        assert!(posted.finished_at.is_some() && posted.lease_token.is_none());
        assert!(!store.settlement_posted("s", "heir", "posted", &json!({})).await?, "a posted one is final");
        Ok(())
    }

    async fn parked_settlements_are_requeued_or_resolved_by_operators(store: Store) -> anyhow::Result<()> {
        let input = json!({});
        let now = now_millis();
        for id in ["a", "b"] {
            store.settlement_insert(&new(id, id, &input, now + 60_000)).await?;
            let failure = Failure { code: "upstream_timeout", detail: "slow" };
            assert!(store.settlement_park(id, "first", "attempts_exhausted", failure, None).await?);
        }
        assert_eq!(store.settlement_counts(SettlementState::Parked).await?, vec![("acme".to_owned(), 2)]);
        assert!(store.settlement_requeue("other", "a").await?.is_none(), "another tenant's is not found");
        let requeued = store.settlement_requeue("acme", "a").await?.expect("parked");
        assert_eq!((requeued.state, requeued.attempts), (SettlementState::Pending, 0));
        assert!(store.settlement_requeue("acme", "a").await?.is_none(), "no longer parked");
        let err = store.settlement_resolve("acme", "b", "  ").await.expect_err("a note is required");
        assert!(matches!(err, StoreError::Invalid("note")));
        let resolved = store.settlement_resolve("acme", "b", "posted by hand in the ERP").await?.expect("parked");
        assert_eq!(resolved.state, SettlementState::Resolved);
        assert_eq!(resolved.note.as_deref(), Some("posted by hand in the ERP"));
        assert!(store.settlement_counts(SettlementState::Parked).await?.is_empty());
        Ok(())
    }
}
