//! Parked settlements (the payments no attempt could post) handled by a person: retried with a
//! fresh budget of attempts (a posting in doubt is still checked with the ERP first), or
//! resolved by hand with a note; each action audited.

use serde_json::json;

use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::settlement::view;
use crate::store::{Caller, Settlement, SettlementState, StoreError};

fn unavailable(e: StoreError) -> Problem {
    Problem::store_unavailable(&e, "")
}

/// A tenant's settlements, newest first, of one state or all.
///
/// # Errors
/// When the store can't answer.
pub async fn list(
    host: &Host,
    tenant: &str,
    state: Option<SettlementState>,
    limit: u32,
) -> Result<Vec<serde_json::Value>, Problem> {
    let settlements = host.store.settlements(tenant, state, limit.clamp(1, 1000)).await.map_err(unavailable)?;
    Ok(settlements.iter().map(view).collect())
}

/// Attempts a parked settlement of `tenant` (one `caller` reaches) again.
///
/// # Errors
/// `404` for no such settlement or tenant, `409 settlement_not_parked`, or the store can't
/// answer.
pub async fn retry(host: &Host, caller: &Caller, tenant: &str, id: &str) -> Result<serde_json::Value, Problem> {
    super::tenants::reach(caller, tenant)?;
    let Some(settlement) = host.store.settlement_requeue(tenant, id).await.map_err(unavailable)? else {
        return Err(not_parked(host, tenant, id).await);
    };
    tracing::info!(settlement_id = %id, key = %caller.key_id, "parked settlement requeued by an operator");
    let shown = view(&settlement);
    let after = Some(shown.clone());
    super::audit(host, caller, Some(tenant), "settlement.retried", id, Some(json!({"status": "parked"})), after).await;
    host.metrics.settlement(tenant, "requeued");
    host.settlement_wake.notify_one();
    Ok(shown)
}

/// Closes a parked settlement of `tenant` (one `caller` reaches) by hand, with what was done
/// (1 to 2000 characters).
///
/// # Errors
/// `400` for a missing note, `404`, `409 settlement_not_parked`, or the store can't answer.
pub async fn resolve(
    host: &Host,
    caller: &Caller,
    tenant: &str,
    id: &str,
    note: &str,
) -> Result<serde_json::Value, Problem> {
    super::tenants::reach(caller, tenant)?;
    if note.chars().count() > 2000 {
        return Err(Problem::new(ProblemCode::InvalidInput, "a note is at most 2000 characters").with_field("note"));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(Problem::new(
            ProblemCode::InvalidInput,
            "send {\"note\": \"...\"}: what was done about this payment (1 to 2000 characters)",
        )
        .with_field("note"));
    }
    let Some(settlement) = host.store.settlement_resolve(tenant, id, note).await.map_err(unavailable)? else {
        return Err(not_parked(host, tenant, id).await);
    };
    tracing::info!(settlement_id = %id, key = %caller.key_id, "parked settlement resolved by an operator");
    let shown = view(&settlement);
    let after = Some(shown.clone());
    super::audit(host, caller, Some(tenant), "settlement.resolved", id, Some(json!({"status": "parked"})), after).await;
    host.metrics.settlement(tenant, "resolved");
    Ok(shown)
}

/// Why a retry or resolve found nothing to act on: no such settlement, or not parked.
async fn not_parked(host: &Host, tenant: &str, id: &str) -> Problem {
    match host.store.settlement(id).await {
        Ok(Some(Settlement { tenant: owner, state: current, .. })) if owner == tenant => Problem::new(
            ProblemCode::SettlementNotParked,
            format!(
                "settlement {id} is {}, not parked: only parked settlements can be retried or resolved",
                current.as_str()
            ),
        ),
        Ok(_) => Problem::new(ProblemCode::NotFound, "no such settlement"),
        Err(e) => unavailable(e),
    }
}

/// Compares `tenant`'s recent payments with what its ERP shows, now (see
/// [`crate::settlement::reconcile`]); audited with its counts.
///
/// # Errors
/// `404` for a tenant the caller doesn't reach; as [`crate::settlement::reconcile::reconcile`].
pub async fn reconcile(host: &Host, caller: &Caller, tenant: &str) -> Result<serde_json::Value, Problem> {
    super::tenants::reach(caller, tenant)?;
    let report = crate::settlement::reconcile::reconcile(host, tenant).await?;
    let counts = json!({
        "checked": report.checked,
        "matched": report.matched,
        "mismatches": report.mismatches.len(),
        "unchecked": report.unchecked.len(),
    });
    super::audit(host, caller, Some(tenant), "reconciliation.run", tenant, None, Some(counts)).await;
    serde_json::to_value(&report)
        .map_err(|_| Problem::new(ProblemCode::Internal, "the reconciliation's report could not be written"))
}

/// `tenant`'s last reconciliation: its report, whether one runs now, when the next is due.
///
/// # Errors
/// `404` for a tenant the caller doesn't reach or one never reconciled; the store can't answer.
pub async fn last_reconciliation(host: &Host, caller: &Caller, tenant: &str) -> Result<serde_json::Value, Problem> {
    super::tenants::reach(caller, tenant)?;
    let record = host.store.reconciliation(tenant).await.map_err(unavailable)?;
    let Some(record) = record.filter(|r| r.report.is_some() || r.running) else {
        return Err(Problem::new(ProblemCode::NotFound, "no reconciliation has run for this tenant yet"));
    };
    let at = |when: chrono::DateTime<chrono::Utc>| when.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // "Never" is stored as the last representable instant.
    let never = crate::settlement::reconcile::NEVER;
    let next = (record.next_run_at.timestamp_millis() < never).then(|| at(record.next_run_at));
    Ok(json!({
        "tenant": record.tenant,
        "running": record.running,
        "next_run_at": next,
        "report": record.report,
    }))
}
