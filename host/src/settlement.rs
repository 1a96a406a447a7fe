//! Durable settlement: a payment (`settle_invoice`) is posted to the ERP exactly once, across
//! ERP outages, lost responses, host crashes and any number of replicas.
//!
//! # How
//! 1. **Accept** ([`accept`]): the payment is written to the `settlements` table before any ERP
//!    call, claimed by the accepting request. A payment is one settlement per tenant, boleto
//!    and `transaction.id`, whatever the request ids: a bank that delivers the same PIX webhook
//!    twice gets the first settlement's state.
//! 2. **Attempt** ([`attempt`]), inline at once, later by the worker ([`worker`]):
//!    - if an earlier posting's outcome is unknown (`in_doubt`: a timeout, a lost response, a
//!      crash mid-call), ask the ERP first, through the tenant's `get_invoice`, whether the
//!      invoice is paid: paid means posted (never post twice); still open means post again;
//!    - before the first posting, read the invoice's amount due (`open_before`), so that the
//!      check above also recognizes a partial payment, and so an invoice already paid at the
//!      bank is not paid twice;
//!    - mark `in_doubt` (durably), call the plugin's `settle_invoice`, record the outcome.
//! 3. **Retry** with exponential backoff and jitter while the ERP is down; the circuit breaker
//!    ([`crate::breaker`]) defers attempts without spending them. The caller got `202 {"status":
//!    "queued", "settlement_id"}` and polls `GET /v1/settlements/{id}`.
//! 4. **Park** (dead letter) after `max_attempts`, or when the ERP refuses the payment, or when a
//!    posting in doubt can't be verified (no `get_invoice` automation, the invoice vanished):
//!    logged as an error, counted in `ponte_settlements_parked`, and an operator retries or
//!    resolves it (`/v1/admin/settlements`).
//!
//! "Paid" is read from the contract's [`Fatura`](ponte_contract::function::invoices::Fatura):
//! an invoice whose `valor_final` (the amount due now) is `0.00`, or has dropped by at least the
//! payment's amount since `open_before`.
//!
//! Every state change of a claimed settlement is guarded by its lease token
//! ([`crate::store::Store::settlements_claim`]); the lease outlives the attempt's deadlines, so
//! two attempts of one settlement never overlap.

pub mod reconcile;
pub mod worker;

use std::time::Duration;

use chrono::Utc;
use ponte_contract::Function;
use ponte_contract::function::invoices::SettleInvoiceInput;
use ponte_contract::normalize::money::Money;
use serde_json::{Value, json};

use crate::invoke::{Answer, Host, Origin, Outcome, Trace};
pub use crate::options::SettlementOptions;
use crate::output::Output;
use crate::problem::{Problem, ProblemCode};
use crate::store::{Failure, Inserted, NewSettlement, Settlement, SettlementState};

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// What callers see of a settlement (`GET /v1/settlements/{id}`, and the `202` body).
pub fn view(settlement: &Settlement) -> Value {
    let status = match settlement.state {
        SettlementState::Pending | SettlementState::Posting => "queued",
        SettlementState::Posted => "posted",
        SettlementState::Parked => "parked",
        SettlementState::Resolved => "resolved",
    };
    json!({
        "settlement_id": settlement.id,
        "status": status,
        "boleto_id": settlement.boleto_id,
        "transaction_id": settlement.transaction_id,
        "attempts": settlement.attempts,
        "outcome": settlement.outcome,
        "last_error": settlement.last_error,
        "result": settlement.result,
        "created_at": settlement.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "finished_at": settlement.finished_at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    })
}

/// The answer to a `settle_invoice` call for a settlement as it stands: the ERP's output once
/// posted (or refused), else `202` with where it is.
fn answer(settlement: &Settlement) -> Answer {
    match (&settlement.state, &settlement.result) {
        (SettlementState::Posted | SettlementState::Parked, Some(result)) => Answer::ok(Output::from_value(result), 0),
        _ => Answer {
            status: 202,
            output: Output::from_value(&json!({
                "status": if settlement.state == SettlementState::Parked { "parked" } else { "queued" },
                "settlement_id": settlement.id,
            })),
            warnings: 0,
            served: None,
        },
    }
}

/// How long an attempt may hold its settlement: a check of the invoice and the posting, each
/// bounded by its automation's deadline, and a margin.
fn lease(host: &Host, tenant: &str) -> Duration {
    let settle = host.binding_timeout(tenant, Function::SettleInvoice).unwrap_or(Duration::from_secs(30));
    let check = host.binding_timeout(tenant, Function::GetInvoice).unwrap_or(Duration::ZERO);
    settle + check + host.options.settlement.lease_margin
}

/// Accepts a validated `settle_invoice` input for `tenant`: writes it durably, then makes the
/// first attempt at once. Answers the ERP's output when that attempt posted it, `202` when it
/// is queued.
///
/// # Errors
/// `409 idempotency_conflict` when this payment (boleto and transaction id) was accepted with
/// other details; `500 internal` when the store can't take it (then nothing was accepted).
pub(crate) async fn accept(
    host: &Host,
    tenant: &str,
    input: Value,
    input_hash: &str,
    trace: &mut Trace,
) -> Result<Answer, Problem> {
    let parsed: SettleInvoiceInput = serde_json::from_value(input.clone())
        .map_err(|_| Problem::new(ProblemCode::Internal, "the validated payment could not be read"))?;
    let id = uuid::Uuid::now_v7().to_string();
    let token = uuid::Uuid::new_v4().to_string();
    let lease_until = Utc::now().timestamp_millis().saturating_add(millis(lease(host, tenant)));
    let new = NewSettlement {
        id: &id,
        tenant,
        boleto_id: parsed.boleto_id.as_str(),
        transaction_id: &parsed.transaction.id,
        input: &input,
        input_hash,
        customer_key: trace.customer.as_deref(),
        lease_token: &token,
        lease_until,
    };
    let inserted = host
        .store
        .settlement_insert(&new)
        .await
        .map_err(|e| Problem::store_unavailable(&e, "the payment was not accepted, retry it"))?;
    // From here the payment is Ponte's: the answer is stored for the idempotency key whatever
    // happens next.
    trace.executed = true;
    let settlement = match inserted {
        Inserted::Existing(existing) => {
            if existing.input_hash != input_hash {
                return Err(Problem::new(
                    ProblemCode::IdempotencyConflict,
                    format!(
                        "transaction {} for boleto {} was already accepted with other details (settlement {})",
                        existing.transaction_id, existing.boleto_id, existing.id
                    ),
                ));
            }
            trace.outcome = Some(Outcome::Replayed);
            trace.detail = Some(format!("the same payment as settlement {}", existing.id));
            return Ok(answer(&existing));
        }
        Inserted::New(settlement) => settlement,
    };
    host.metrics.settlement(tenant, "accepted");
    let end = attempt(host, &settlement, &token).await;
    let latest = host.store.settlement(&settlement.id).await.ok().flatten().unwrap_or(settlement);
    if !matches!(end, End::Posted) {
        host.settlement_wake.notify_one();
    }
    if let End::Parked(_, Some(problem)) = end {
        // The ERP refused it with a problem the caller can act on (no such invoice for this
        // customer): say so; the settlement stays parked for the operator.
        let detail = format!("{} (settlement {} parked)", problem.detail, latest.id);
        trace.detail = Some(detail.clone());
        return Err(Problem { detail, ..problem });
    }
    let reply = answer(&latest);
    if reply.status == 202 {
        trace.outcome = Some(Outcome::Queued);
        trace.detail = Some(format!("settlement {} queued: {}", latest.id, end.describe()));
    } else {
        trace.detail = Some(format!("settlement {}: {}", latest.id, end.describe()));
    }
    Ok(reply)
}

/// How an attempt ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The ERP has the payment (posted now, or found paid).
    Posted,
    /// Due again later.
    Retry(String),
    /// Deferred without spending the attempt (circuit open).
    Deferred,
    /// Parked for a human; with the problem to answer when the ERP refused the payment with one
    /// (e.g. `not_found`).
    Parked(String, Option<Problem>),
    /// The claim was lost (another attempt owns the settlement now).
    Lost,
    /// The store failed; the lease will run out and the settlement be attempted again.
    StoreFailed,
}

impl End {
    fn describe(&self) -> String {
        match self {
            End::Posted => "posted".into(),
            End::Retry(why) => format!("will retry ({why})"),
            End::Deferred => "deferred: the ERP's circuit is open".into(),
            End::Parked(why, _) => format!("parked for a human ({why})"),
            End::Lost => "taken over by another attempt".into(),
            End::StoreFailed => "the store failed; the lease will run out and it is attempted again".into(),
        }
    }
}

/// What the ERP says of the invoice.
pub(crate) enum InvoiceState {
    /// Nothing is due (or the due amount dropped by the payment's amount).
    Paid,
    /// Still due: this much.
    Open(Money),
    /// The ERP no longer lists it (or lists something unreadable).
    Unknown(&'static str),
}

/// Reads the invoice through the tenant's `get_invoice`, logged as its own invocation (coming
/// from `origin`, described by `why`).
pub(crate) async fn invoice_state(
    host: &Host,
    settlement: &Settlement,
    input: &SettleInvoiceInput,
    open_before: Option<Money>,
    amount: Money,
    (origin, why): (Origin, String),
) -> Result<InvoiceState, Problem> {
    let query = json!({
        "customer_bill_id": input.boleto_id.as_str(),
        "customer_document_number": input.customer_document_number,
    });
    let id = uuid::Uuid::now_v7().to_string();
    let mut trace = Trace::new(&id, &settlement.tenant, Function::GetInvoice, origin);
    trace.detail = Some(why);
    let result = host.execute(&settlement.tenant, Function::GetInvoice, query, &mut trace).await;
    let result = host.record(trace, result.map(|(output, w)| Answer::ok(output, w))).await?;
    let output = result.output.value();
    let Some(fatura) = output.as_array().and_then(|list| list.first()) else {
        return Ok(InvoiceState::Unknown("the ERP no longer lists the invoice"));
    };
    let Some(due) = fatura.get("valor_final").and_then(Value::as_str).and_then(|v| Money::parse(v).ok()) else {
        return Ok(InvoiceState::Unknown("the ERP's invoice has no readable amount due"));
    };
    let dropped_by_payment =
        open_before.and_then(|before| before.checked_sub(due)).is_some_and(|drop| drop.cents() >= amount.cents());
    Ok(if due.is_zero() || due.is_negative() || dropped_by_payment {
        InvoiceState::Paid
    } else {
        InvoiceState::Open(due)
    })
}

/// How an attempt's check of the invoice is logged.
fn checking(s: &Settlement) -> (Origin, String) {
    (Origin::Settlement, format!("settlement {} attempt {}: is the invoice paid?", s.id, s.attempts))
}

/// One attempt at a settlement the caller has claimed with `token`. Never fails: every end is
/// written to the store (or left to the lease when the store itself fails).
pub(crate) async fn attempt(host: &Host, settlement: &Settlement, token: &str) -> End {
    // Held until the attempt ends; an attempt cut off (its future dropped) stays listed, and
    // `release_held` gives its claim back.
    host.held_claims.hold(&settlement.id, token);
    let end = attempt_inner(host, settlement, token).await;
    host.held_claims.ended(&settlement.id, token);
    let event = match &end {
        End::Posted => None,
        End::Retry(_) => Some("retry"),
        End::Deferred => Some("deferred"),
        End::Parked(..) => Some("parked"),
        End::Lost => Some("lost_claim"),
        End::StoreFailed => Some("store_failed"),
    };
    if let Some(event) = event {
        host.metrics.settlement(&settlement.tenant, event);
    }
    match &end {
        End::Parked(why, _) => tracing::error!(
            settlement_id = %settlement.id, tenant = %settlement.tenant, reason = %why,
            "settlement parked: a payment needs a human (retry or resolve it in /v1/admin/settlements)"
        ),
        End::Retry(why) => {
            tracing::warn!(settlement_id = %settlement.id, attempts = settlement.attempts, reason = %why, "settlement will be retried")
        }
        End::Lost | End::StoreFailed => {
            tracing::warn!(settlement_id = %settlement.id, "settlement attempt ended without recording: {}", end.describe())
        }
        End::Posted | End::Deferred => {}
    }
    end
}

async fn attempt_inner(host: &Host, s: &Settlement, token: &str) -> End {
    let store = &host.store;
    let options = &host.options.settlement;
    let tenant = s.tenant.as_str();
    // Records one of the ends below; a lost claim or a failed store says so instead.
    let stored = |result: crate::store::Result<bool>, end: End| match result {
        Ok(true) => end,
        Ok(false) => End::Lost,
        Err(e) => {
            tracing::error!(settlement_id = %s.id, error = %e, "could not record a settlement's progress");
            End::StoreFailed
        }
    };
    let park = |outcome: &'static str, code: &'static str, detail: String, result: Option<Value>| async move {
        let failure = Failure { code, detail: &detail };
        stored(store.settlement_park(&s.id, token, outcome, failure, result.as_ref()).await, End::Parked(detail, None))
    };
    let retry = |problem: Problem| async move {
        let detail = problem.detail.clone();
        if s.attempts >= options.max_attempts {
            let why = format!("{} attempts failed; the last: {} ({detail})", s.attempts, problem.code);
            let failure = Failure { code: problem.code.as_str(), detail: &why };
            let end = End::Parked(why.clone(), None);
            return stored(store.settlement_park(&s.id, token, "attempts_exhausted", failure, None).await, end);
        }
        let next = Utc::now().timestamp_millis().saturating_add(millis(options.backoff(s.attempts)));
        let failure = Failure { code: problem.code.as_str(), detail: &detail };
        stored(store.settlement_retry_later(&s.id, token, next, failure, false).await, End::Retry(detail.clone()))
    };
    let posted = |outcome: &'static str, result: Value| async move {
        let end = stored(store.settlement_posted(&s.id, token, outcome, &result).await, End::Posted);
        if matches!(end, End::Posted) {
            host.metrics.settlement(tenant, outcome);
        }
        end
    };

    // An open circuit: nothing is sent, the attempt is given back.
    if let Some(wait) = host.circuit_key(tenant, Function::SettleInvoice).and_then(|k| host.breakers.open_for(&k)) {
        let next = Utc::now().timestamp_millis().saturating_add(millis(wait));
        let failure = Failure { code: "upstream_unavailable", detail: "the ERP's circuit is open" };
        return stored(store.settlement_retry_later(&s.id, token, next, failure, true).await, End::Deferred);
    }
    let Ok(input) = serde_json::from_value::<SettleInvoiceInput>(s.input.clone()) else {
        return park("unreadable", "internal", "the stored payment could not be read".into(), None).await;
    };
    let Ok(amount) = Money::parse(&input.transaction.amount) else {
        return park("unreadable", "internal", "the stored payment's amount could not be read".into(), None).await;
    };
    let open_before = s.open_before.as_deref().and_then(|v| Money::parse(v).ok());
    let can_check = host.binding_timeout(tenant, Function::GetInvoice).is_ok();
    let mut snapshot: Option<String> = None;

    if s.in_doubt {
        if !can_check {
            let why = "an earlier posting may have reached the ERP and the tenant has no get_invoice automation to \
                       check it: verify in the ERP, then resolve or retry";
            return park("unverifiable", "cannot_verify", why.into(), None).await;
        }
        match invoice_state(host, s, &input, open_before, amount, checking(s)).await {
            Ok(InvoiceState::Paid) => {
                let result = json!({"success": true, "api_response": {
                    "posted": true,
                    "verified_by": "get_invoice",
                    "message": "the ERP shows the invoice paid after a posting whose answer was lost; not posted again",
                }});
                return posted("verified_paid", result).await;
            }
            Ok(InvoiceState::Open(due)) => {
                let due = due.to_string();
                match store.settlement_not_posted(&s.id, token, Some(&due)).await {
                    Ok(true) => snapshot = Some(due),
                    other => return stored(other, End::Lost),
                }
            }
            Ok(InvoiceState::Unknown(why)) => {
                let why = format!("an earlier posting may have reached the ERP and it can't be checked: {why}");
                return park("unverifiable", "cannot_verify", why, None).await;
            }
            Err(problem) => return retry(problem).await,
        }
    } else if open_before.is_none() && can_check {
        match invoice_state(host, s, &input, None, amount, checking(s)).await {
            Ok(InvoiceState::Paid) => {
                let result = json!({"success": true, "api_response": {
                    "posted": false,
                    "reason": "already_paid",
                    "message": "the ERP shows the invoice paid before Ponte posted anything: not posted (reconcile this payment)",
                }});
                tracing::warn!(settlement_id = %s.id, tenant, "invoice already paid before posting: reconcile this payment");
                return posted("already_paid", result).await;
            }
            Ok(InvoiceState::Open(due)) => snapshot = Some(due.to_string()),
            // The plugin's own settle_invoice says what is wrong (not found, cancelled...).
            Ok(InvoiceState::Unknown(_)) => {}
            Err(problem) => return retry(problem).await,
        }
    }

    // From this write on, a crash or a lost answer leaves the settlement in doubt.
    match store.settlement_sending(&s.id, token, snapshot.as_deref()).await {
        Ok(true) => {}
        other => return stored(other, End::Lost),
    }
    let id = uuid::Uuid::now_v7().to_string();
    let mut trace = Trace::new(&id, tenant, Function::SettleInvoice, Origin::Settlement);
    trace.detail = Some(format!("settlement {} attempt {}: posting", s.id, s.attempts));
    let result = host.execute(tenant, Function::SettleInvoice, s.input.clone(), &mut trace).await;
    let result = host.record(trace, result.map(|(output, w)| Answer::ok(output, w))).await;
    match result.map(|answer| answer.output.value()) {
        Ok(output) if output.get("success").and_then(Value::as_bool) == Some(true) => posted("posted", output).await,
        Ok(output) => {
            host.metrics.settlement(tenant, "rejected");
            park("rejected", "upstream_error", "the ERP refused the payment (success false)".into(), Some(output)).await
        }
        Err(problem) => match problem.code {
            ProblemCode::NotFound | ProblemCode::InvalidInput | ProblemCode::InvalidDocument => {
                let failure = Failure { code: problem.code.as_str(), detail: &problem.detail };
                let parked = store.settlement_park(&s.id, token, "rejected", failure, None).await;
                stored(parked, End::Parked(problem.detail.clone(), Some(problem)))
            }
            _ => retry(problem).await,
        },
    }
}

/// At shutdown, once requests and the worker have stopped: gives back the claims of attempts
/// that were cut off before sending their posting, so another replica attempts them at once
/// instead of after their lease. One in doubt keeps its lease (see
/// [`crate::store::Store::settlement_release`]). Returns how many were given back.
pub async fn release_held(host: &Host) -> usize {
    let mut released = 0;
    for (id, token) in host.held_claims.take() {
        match host.store.settlement_release(&id, &token).await {
            Ok(true) => {
                released += 1;
                tracing::info!(settlement_id = %id, "a payment's claim was given back at shutdown; another replica attempts it");
            }
            Ok(false) => {
                tracing::info!(settlement_id = %id, "a payment cut off at shutdown may have been sent: its lease runs out and the next attempt asks the ERP first");
            }
            Err(e) => {
                tracing::warn!(settlement_id = %id, error = %e, "could not give a payment's claim back; its lease runs out")
            }
        }
    }
    released
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half_and_caps() {
        let options = SettlementOptions {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            ..SettlementOptions::default()
        };
        for _ in 0..50 {
            let first = options.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let third = options.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400), "{third:?}");
            let late = options.backoff(40);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000), "{late:?}");
        }
    }
}
