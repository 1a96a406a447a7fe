//! What the store keeps about customers, removed: by age (the invocation log's retention) and
//! by customer (erasure, LGPD art. 18).
//!
//! A customer is named by the invocation log's digest (SHA-256 of the tenant and the document,
//! [`crate::digest::customer_digest`]) in `invocations.customer_key`,
//! `idempotency.customer_key` and `settlements.customer_key`. Erasure:
//! - deletes the customer's invocations (their input, output and upstream exchanges with them)
//!   and idempotency records (a stored answer is the customer's data);
//! - keeps each finished payment's financial record (boleto, payment id, amount, when, how it
//!   ended: what exactly-once posting and the provider's books need) and drops everything else
//!   of it: the document, the payment's `extra` details, the ERP's answer, the last failure's
//!   text and the operator's note;
//! - refuses, changing nothing, while one of the customer's payments is still being posted or
//!   waits for a human (pending, posting, parked): it would lose a payment. Rows written before
//!   the digest columns existed are found by the document in the payment's input.

use serde_json::Value;

use super::{Result, SettlementState, Store};

/// What erasure did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    /// Invocation-log rows deleted.
    pub invocations: u64,
    /// Idempotency records deleted.
    pub idempotency_records: u64,
    /// Finished payments kept as a financial record without personal data.
    pub settlements_redacted: u64,
}

/// Why erasure changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureRefused {
    /// These payments (ids) are still being posted or wait for a human.
    OpenSettlements(Vec<String>),
}

type SettlementRow = (String, String, String, Option<String>);

impl Store {
    /// Deletes the invocation-log rows that started before `cutoff` (stored milliseconds), with
    /// their payloads and upstream exchanges; returns how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn invocations_purge_before(&self, cutoff: i64) -> Result<u64> {
        Ok(with_pool!(self, |pool| {
            sqlx::query("DELETE FROM invocations WHERE started_at < $1")
                .bind(cutoff)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?)
    }

    /// Erases what the store keeps of `tenant`'s customer `customer_key` (see the module docs),
    /// in one transaction. `names_customer` tells whether a settlement's input (a row written
    /// before digests were stored) is this customer's.
    ///
    /// # Errors
    /// Database errors; `Ok(Err(..))` when erasure was refused and nothing changed.
    pub async fn erase_customer(
        &self,
        tenant: &str,
        customer_key: &str,
        names_customer: &(dyn Fn(&Value) -> bool + Sync),
    ) -> Result<std::result::Result<Erased, ErasureRefused>> {
        Ok(with_pool!(self, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let rows: Vec<SettlementRow> = sqlx::query_as(
                    "SELECT id, state, input, customer_key FROM settlements \
                     WHERE tenant_id = $1 AND (customer_key = $2 OR customer_key IS NULL) ORDER BY id",
                )
                .bind(tenant)
                .bind(customer_key)
                .fetch_all(&mut *tx)
                .await?;
                let theirs: Vec<(String, SettlementState, Value)> = rows
                    .into_iter()
                    .filter_map(|(id, state, input, key)| {
                        let input: Value = serde_json::from_str(&input).unwrap_or(Value::Null);
                        let state = SettlementState::parse(&state)?;
                        let matches = key.as_deref() == Some(customer_key) || (key.is_none() && names_customer(&input));
                        matches.then_some((id, state, input))
                    })
                    .collect();
                let open: Vec<String> =
                    theirs.iter().filter(|(_, state, _)| !state.is_final()).map(|(id, _, _)| id.clone()).collect();
                if !open.is_empty() {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(Err(ErasureRefused::OpenSettlements(open)));
                }
                let mut erased = Erased::default();
                for (id, _, input) in &theirs {
                    sqlx::query(
                        "UPDATE settlements SET input = $1, result = NULL, last_detail = NULL, note = NULL, \
                         customer_key = NULL WHERE id = $2",
                    )
                    .bind(financial_record(input).to_string())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    erased.settlements_redacted += 1;
                }
                erased.invocations = sqlx::query("DELETE FROM invocations WHERE tenant_id = $1 AND customer_key = $2")
                    .bind(tenant)
                    .bind(customer_key)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                erased.idempotency_records =
                    sqlx::query("DELETE FROM idempotency WHERE tenant_id = $1 AND customer_key = $2")
                        .bind(tenant)
                        .bind(customer_key)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                tx.commit().await?;
                Ok(Ok(erased))
            }
            .await
        })?)
    }
}

/// A finished payment's input without personal data: the boleto, the payment's id, amount,
/// time and method; the document emptied (the input keeps its shape), `extra` dropped.
fn financial_record(input: &Value) -> Value {
    let mut kept = serde_json::Map::new();
    if let Some(boleto) = input.get("boleto_id") {
        kept.insert("boleto_id".into(), boleto.clone());
    }
    kept.insert("customer_document_number".into(), Value::String(String::new()));
    if let Some(transaction) = input.get("transaction").and_then(Value::as_object) {
        let fields = ["id", "amount", "paid_at", "method"];
        let transaction: serde_json::Map<String, Value> = transaction
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        kept.insert("transaction".into(), Value::Object(transaction));
    }
    kept.insert("erased".into(), Value::Bool(true));
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{IdempotencyKey, InvocationRecord, NewSettlement};

    store_tests!(old_invocations_are_purged, erasure_removes_the_customer_and_keeps_the_books);

    fn invocation(id: &str, customer: Option<&str>, started_ms: i64) -> InvocationRecord {
        let mut record = crate::store::invocations::tests::record("acme", 0);
        record.id = id.to_owned();
        record.customer_key = customer.map(str::to_owned);
        record.started_at = chrono::DateTime::from_timestamp_millis(started_ms).unwrap_or_default();
        record
    }

    async fn old_invocations_are_purged(store: Store) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        store.record_invocation(&invocation("0192f0c0-0000-7000-8000-000000000001", None, now - 10_000)).await?;
        store.record_invocation(&invocation("0192f0c0-0000-7000-8000-000000000002", None, now)).await?;
        assert_eq!(store.invocations_purge_before(now - 5_000).await?, 1);
        let left = store.invocations("acme", 10).await?;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, "0192f0c0-0000-7000-8000-000000000002");
        Ok(())
    }

    async fn erasure_removes_the_customer_and_keeps_the_books(store: Store) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        let theirs = Some("digest-a");
        store.record_invocation(&invocation("0192f0c0-0000-7000-8000-00000000000a", theirs, now)).await?;
        store.record_invocation(&invocation("0192f0c0-0000-7000-8000-00000000000b", Some("digest-b"), now)).await?;
        let key = |k| IdempotencyKey { tenant: "acme", function: "create_ticket", key: k };
        store.idempotency_claim(key("k-a"), "h", "i-a", theirs, now + 60_000, now + 60_000).await?;
        store.idempotency_claim(key("k-b"), "h", "i-b", Some("digest-b"), now + 60_000, now + 60_000).await?;
        let input = json!({"boleto_id": "1002", "customer_document_number": "71460238001",
                           "transaction": {"id": "E1", "amount": "99.90", "paid_at": "2026-05-15T12:00:00-03:00",
                                           "method": "pix", "extra": {"payer": "Maria"}}});
        let new = |id, transaction, customer_key| NewSettlement {
            id,
            tenant: "acme",
            boleto_id: "1002",
            transaction_id: transaction,
            input: &input,
            input_hash: "hash",
            customer_key,
            lease_token: "t",
            lease_until: now + 60_000,
        };
        store.settlement_insert(&new("0192f0c0-0000-7000-8000-0000000000c1", "E1", theirs)).await?;
        // A row from before the digest column: found by its input.
        store.settlement_insert(&new("0192f0c0-0000-7000-8000-0000000000c2", "E2", None)).await?;
        let by_document = |v: &Value| v.get("customer_document_number").and_then(Value::as_str) == Some("71460238001");

        // Both payments are still posting: nothing changes.
        let refused = store.erase_customer("acme", "digest-a", &by_document).await?;
        assert_eq!(
            refused,
            Err(ErasureRefused::OpenSettlements(vec![
                "0192f0c0-0000-7000-8000-0000000000c1".into(),
                "0192f0c0-0000-7000-8000-0000000000c2".into()
            ]))
        );
        assert_eq!(store.invocations("acme", 10).await?.len(), 2, "nothing erased while refused");

        for id in ["0192f0c0-0000-7000-8000-0000000000c1", "0192f0c0-0000-7000-8000-0000000000c2"] {
            assert!(
                store
                    .settlement_posted(id, "t", "posted", &json!({"success": true, "api_response": {"nome": "Maria"}}))
                    .await?
            );
        }
        let erased = store.erase_customer("acme", "digest-a", &by_document).await?;
        assert_eq!(erased, Ok(Erased { invocations: 1, idempotency_records: 1, settlements_redacted: 2 }));

        let left = store.invocations("acme", 10).await?;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].customer_key.as_deref(), Some("digest-b"), "another customer's calls stay");
        assert!(store.idempotency_get(key("k-a")).await?.is_none());
        assert!(store.idempotency_get(key("k-b")).await?.is_some());
        let kept = store.settlement("0192f0c0-0000-7000-8000-0000000000c1").await?.expect("the record stays");
        assert_eq!(kept.transaction_id, "E1");
        assert_eq!(kept.state, SettlementState::Posted);
        assert_eq!(kept.result, None);
        let text = kept.input.to_string();
        assert!(!text.contains("71460238001") && !text.contains("Maria"), "{text}");
        assert_eq!(kept.input["transaction"]["amount"], "99.90");
        // Erasing again finds nothing more.
        assert_eq!(store.erase_customer("acme", "digest-a", &by_document).await?, Ok(Erased::default()));
        Ok(())
    }
}
