//! Idempotency of the writing functions (CONTRACT.md): a retried call never writes twice.
//!
//! The rules, all per tenant + function + `Idempotency-Key`:
//! - the first call claims the key (a `running` record with a lease) before anything reaches
//!   the ERP, and stores its answer (status and body) when it ends: the same key with the same
//!   input replays that answer without calling the plugin;
//! - "the same input" is the SHA-256 of the function and its validated input in canonical JSON
//!   (keys sorted, no whitespace): `"714.602.380-01"` and `"71460238001"` are the same request,
//!   a different amount is not, and gets `409 idempotency_conflict`;
//! - a duplicate that arrives while the first still runs waits for its answer (never a second
//!   execution), up to the call's deadline; then `409 idempotency_in_progress`;
//! - a call that ends before its plugin ran (the tenant has no automation for it, the circuit
//!   is open) stores nothing: the key is released and a retry runs afresh;
//! - if the process running the first call dies, its lease runs out and the next call with the
//!   same key and input takes the record over and runs it (what the ERP did with the first is
//!   unknown to Ponte: for payments the settlement queue checks the ERP first; see
//!   [`crate::settlement`]);
//! - records expire after the retention (default 24 h) and are purged by the worker.

use std::time::Duration;

use ponte_contract::Function;

pub use crate::digest::request_hash;
use crate::problem::{Problem, ProblemCode};
use crate::store::{IdempotencyKey, Store, StoredAnswer};

/// How often a waiting duplicate looks at the first call's record again.
const WAIT_POLL: Duration = Duration::from_millis(50);

/// Whether a call runs, or answers what the first call with its key answered.
#[derive(Debug)]
pub enum Begin {
    /// This call owns the key: run it, then [`Claim::complete`] or [`Claim::release`].
    Run(Claim),
    /// The first call's answer, and that call's invocation id.
    Replay(StoredAnswer, String),
}

/// A key this call owns.
#[derive(Debug)]
pub struct Claim {
    tenant: String,
    function: Function,
    key: String,
    invocation_id: String,
}

/// What [`begin`] needs.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The function.
    pub function: Function,
    /// The caller's `Idempotency-Key`.
    pub key: &'a str,
    /// [`request_hash`] of the input.
    pub hash: &'a str,
    /// This call's invocation id.
    pub invocation_id: &'a str,
    /// The customer the call names, as the invocation log names one (what erasure finds it by).
    pub customer: Option<&'a str>,
    /// How long the call may run: its lease, and how long a duplicate waits for it.
    pub lease: Duration,
    /// How long the record is kept.
    pub retention: Duration,
}

/// What the caller is told when the store fails: nothing reached the ERP.
const NOTHING_SENT: &str = "nothing was sent to the ERP";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Claims the request's key, or finds the answer to replay, waiting while a duplicate runs.
///
/// # Errors
/// `409 idempotency_conflict` when the key was used with another input, `409
/// idempotency_in_progress` when the first call is still running after the wait, `500
/// internal` when the store fails.
pub async fn begin(store: &Store, request: Request<'_>) -> Result<Begin, Problem> {
    let key = IdempotencyKey { tenant: request.tenant, function: request.function.as_str(), key: request.key };
    let waited_until = tokio::time::Instant::now() + request.lease;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let lease_until = now.saturating_add(millis(request.lease));
        let expires_at = now.saturating_add(millis(request.retention));
        let claimed = store
            .idempotency_claim(key, request.hash, request.invocation_id, request.customer, lease_until, expires_at)
            .await
            .map_err(|e| Problem::store_unavailable(&e, NOTHING_SENT))?;
        if claimed {
            return Ok(Begin::Run(Claim {
                tenant: request.tenant.to_owned(),
                function: request.function,
                key: request.key.to_owned(),
                invocation_id: request.invocation_id.to_owned(),
            }));
        }
        let record = store.idempotency_get(key).await.map_err(|e| Problem::store_unavailable(&e, NOTHING_SENT))?;
        // Gone between the two statements (expired, or released by its owner): claim again.
        let Some(record) = record else {
            if tokio::time::Instant::now() >= waited_until {
                return Err(Problem::store_unavailable(&"an idempotency record kept vanishing", NOTHING_SENT));
            }
            continue;
        };
        if record.request_hash != request.hash {
            return Err(Problem::new(
                ProblemCode::IdempotencyConflict,
                format!(
                    "this Idempotency-Key was used for a different `{}` request (invocation {}); use a new key \
                     for a new request",
                    request.function, record.invocation_id
                ),
            ));
        }
        if let Some(answer) = record.answer {
            return Ok(Begin::Replay(answer, record.invocation_id));
        }
        if tokio::time::Instant::now() >= waited_until {
            return Err(Problem::new(
                ProblemCode::IdempotencyInProgress,
                format!(
                    "the first call with this Idempotency-Key (invocation {}) is still running; retry later \
                     with the same key to get its answer",
                    record.invocation_id
                ),
            ));
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}

impl Claim {
    fn key(&self) -> IdempotencyKey<'_> {
        IdempotencyKey { tenant: &self.tenant, function: self.function.as_str(), key: &self.key }
    }

    /// Stores the call's answer for replay.
    pub async fn complete(&self, store: &Store, status: u16, body: &str) {
        let answer = StoredAnswer { status, body: body.to_owned() };
        match store.idempotency_complete(self.key(), &self.invocation_id, &answer).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                invocation_id = %self.invocation_id,
                "the idempotency record was taken over before this call ended (it ran past its lease)"
            ),
            Err(e) => {
                tracing::error!(invocation_id = %self.invocation_id, error = %e, "could not store the idempotent answer")
            }
        }
    }

    /// Releases the key: nothing reached the ERP, so a retry must run afresh.
    pub async fn release(&self, store: &Store) {
        if let Err(e) = store.idempotency_release(self.key(), &self.invocation_id).await {
            tracing::error!(invocation_id = %self.invocation_id, error = %e, "could not release an idempotency key");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn hash_ignores_key_order_and_whitespace_but_not_values_or_function() {
        let a = json!({"subject": "Sem sinal", "customer_document_number": "71460238001", "n": [1, {"b": 2, "a": 1}]});
        let b: Value = serde_json::from_str(
            r#"{ "n": [1, {"a": 1, "b": 2}], "customer_document_number": "71460238001", "subject": "Sem sinal" }"#,
        )
        .expect("json");
        assert_eq!(request_hash(Function::CreateTicket, &a), request_hash(Function::CreateTicket, &b));
        let c = json!({"subject": "Sem sinal!", "customer_document_number": "71460238001", "n": [1, {"b": 2, "a": 1}]});
        assert_ne!(request_hash(Function::CreateTicket, &a), request_hash(Function::CreateTicket, &c));
        assert_ne!(request_hash(Function::CreateTicket, &a), request_hash(Function::CreateLead, &a));
        assert_eq!(request_hash(Function::CreateTicket, &a).len(), 64);
    }

    #[test]
    fn canonical_json_escapes_keys_and_keeps_number_text() {
        let mut out = String::new();
        let value: Value = serde_json::from_str(r#"{"z": 1.50, "a\"b": "x"}"#).expect("json");
        crate::digest::canonical(&value, &mut out);
        assert_eq!(out, r#"{"a\"b":"x","z":1.50}"#);
    }
}
