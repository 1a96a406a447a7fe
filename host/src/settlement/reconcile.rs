//! Reconciliation: the payments Ponte posted compared with what the ERP shows, per tenant, on a
//! schedule ([`run`]) or when an operator asks ([`reconcile`]). It reads, it never posts.
//!
//! Each payment accepted within the window ([`ReconciliationOptions::window`]) that ended
//! posted or parked is read back through the tenant's `get_invoice`, with the same reading of
//! "paid" the settlement queue uses ([`super::invoice_state`]: nothing due, or the amount due
//! dropped by the payment since Ponte first read it). Two disagreements are reported:
//!
//! - **`posted_but_open`**: Ponte posted it (or found it paid), the ERP shows it due again: the
//!   payment was reversed (an *estorno*), deleted, or posted on another invoice.
//! - **`paid_but_not_posted`**: Ponte has it parked (never posted, or not verified), the ERP
//!   shows it paid: someone posted it by hand, or a posting in doubt did land; resolve it.
//! - **`paid_before_posting`**: the invoice was already paid when the payment arrived
//!   (`already_paid`), so Ponte posted nothing: the customer paid twice.
//!
//! Payments that can't be read back (the ERP no longer lists the invoice, the ERP failed, the
//! customer's data was erased) are listed as unchecked with the reason. Every run's report is
//! kept (the last per tenant, `GET /v1/admin/tenants/{tenant}/reconciliation`), every mismatch
//! is logged as an error, and `ponte_reconciliation_mismatches{tenant}` holds the last run's
//! count. Reports name payments (ids, amounts), never a customer's document or name.
//!
//! Replicas sharing a store run each tenant's reconciliation once: a run is claimed under a
//! lease ([`crate::store::Store::reconciliation_claim`]).

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use ponte_contract::Function;
use ponte_contract::function::invoices::SettleInvoiceInput;
use ponte_contract::normalize::money::Money;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{InvoiceState, invoice_state, millis};
use crate::invoke::{Host, Origin};
use crate::metrics::{ReconciliationLabels, TenantLabels};
pub use crate::options::ReconciliationOptions;
use crate::problem::{Problem, ProblemCode};
use crate::store::{ReconciliationClaim, Settlement, SettlementState};

/// How long a run holds its tenant before another replica may take it over (a run reads one
/// invoice at a time; one that takes longer only risks a second, harmless, run).
const LEASE: Duration = Duration::from_secs(15 * 60);

/// How often the scheduler looks for tenants whose reconciliation is due.
const TICK: Duration = Duration::from_secs(30);

/// "Never due" as stored (9999-12-31T23:59:59Z, the last instant every store and chrono read):
/// the next run of a host whose schedule is off.
pub const NEVER: i64 = 253_402_300_799_000;

/// The most payments one run checks, whatever `--reconcile-max` says.
const MAX_PER_RUN: u32 = 9_999;

/// What a disagreement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchKind {
    /// Ponte posted the payment; the ERP shows the invoice due.
    PostedButOpen,
    /// Ponte has the payment parked; the ERP shows the invoice paid.
    PaidButNotPosted,
    /// The ERP had the invoice paid before Ponte could post this payment (`already_paid`): the
    /// customer paid twice, and this money is in no invoice.
    PaidBeforePosting,
}

/// One payment on which Ponte and the ERP disagree.
#[derive(Debug, Clone, Serialize)]
pub struct Mismatch {
    /// What disagrees.
    pub kind: MismatchKind,
    /// The settlement.
    pub settlement_id: String,
    /// The boleto, in the ERP.
    pub boleto_id: String,
    /// The payment's id at the payment provider.
    pub transaction_id: String,
    /// The payment's amount.
    pub amount: String,
    /// Where Ponte has it: `posted` or `parked`.
    pub ponte_status: SettlementState,
    /// How Ponte's settlement ended (`posted`, `verified_paid`, `already_paid`, `rejected`...).
    pub outcome: Option<String>,
    /// What the ERP shows due on the invoice now, when it shows it open.
    pub erp_amount_due: Option<String>,
    /// What to do about it.
    pub explanation: &'static str,
}

/// A payment that could not be compared.
#[derive(Debug, Clone, Serialize)]
pub struct Unchecked {
    /// The settlement.
    pub settlement_id: String,
    /// The boleto, in the ERP.
    pub boleto_id: String,
    /// Why (redacted like every problem).
    pub reason: String,
}

/// One run's findings.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The tenant.
    pub tenant: String,
    /// When the run started and ended (RFC 3339).
    pub started_at: String,
    /// When the run ended.
    pub finished_at: String,
    /// Payments accepted since this instant were looked at.
    pub since: String,
    /// Payments compared with the ERP (matched, mismatched or unchecked).
    pub checked: usize,
    /// Payments on which both agree.
    pub matched: usize,
    /// More payments fell in the window than one run checks: the oldest were left out.
    pub truncated: bool,
    /// Every disagreement.
    pub mismatches: Vec<Mismatch>,
    /// Every payment that could not be compared.
    pub unchecked: Vec<Unchecked>,
}

impl Report {
    /// `clean`, `mismatched` or `incomplete`: the metric's `result`.
    fn result(&self) -> &'static str {
        if !self.mismatches.is_empty() {
            "mismatched"
        } else if !self.unchecked.is_empty() {
            "incomplete"
        } else {
            "clean"
        }
    }
}

/// What comparing one payment found.
enum Finding {
    Matched,
    Mismatch(Mismatch),
    Unchecked(String),
}

fn rfc3339(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Runs `tenant`'s reconciliation now, for an operator: whether or not it is due, unless a run
/// is under way.
///
/// # Errors
/// `404 unknown_tenant`, `501 function_not_configured` without a `get_invoice` automation,
/// `409 reconciliation_running`, or the store can't take the report.
pub async fn reconcile(host: &Host, tenant: &str) -> Result<Report, Problem> {
    if !host.registry().tenants.contains_key(tenant) {
        return Err(Problem::new(ProblemCode::UnknownTenant, format!("no tenant {tenant}")));
    }
    host.binding_timeout(tenant, Function::GetInvoice).map_err(|_| {
        Problem::new(
            ProblemCode::FunctionNotConfigured,
            "reconciliation reads invoices through get_invoice, and this tenant has no automation for it",
        )
    })?;
    match run_claimed(host, tenant, true).await? {
        Some(report) => Ok(report),
        None => Err(Problem::new(
            ProblemCode::ReconciliationRunning,
            "a reconciliation of this tenant is under way (here or on another replica): read its report when it ends",
        )),
    }
}

/// The scheduler: until `shutdown`, runs each tenant's reconciliation when it is due (every
/// [`ReconciliationOptions::interval`], first one interval after the tenant is first seen).
/// Tenants without `get_invoice` or `settle_invoice` automations are skipped.
pub async fn run(host: Host, shutdown: CancellationToken) {
    let Some(interval) = host.options.reconciliation.interval else {
        return;
    };
    let tick = TICK.min(interval);
    loop {
        let registry = host.registry();
        for tenant in registry.tenants.keys() {
            if shutdown.is_cancelled() {
                return;
            }
            let reads = host.binding_timeout(tenant, Function::GetInvoice).is_ok();
            let settles = host.binding_timeout(tenant, Function::SettleInvoice).is_ok();
            if !(reads && settles) {
                continue;
            }
            let run = run_claimed(&host, tenant, false);
            tokio::select! {
                () = shutdown.cancelled() => return,
                result = run => if let Err(problem) = result {
                    tracing::warn!(tenant = %tenant, error = %problem, "a scheduled reconciliation could not run");
                },
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
    }
}

/// Claims `tenant`'s run (due, or `force`d) and runs it; `None` when it is not due or another
/// run holds it.
async fn run_claimed(host: &Host, tenant: &str, force: bool) -> Result<Option<Report>, Problem> {
    let options = host.options.reconciliation;
    let unavailable = |e| Problem::store_unavailable(&e, "the reconciliation did not run");
    let token = uuid::Uuid::new_v4().to_string();
    let now = Utc::now().timestamp_millis();
    let next = |from: i64| options.interval.map_or(NEVER, |every| from.saturating_add(millis(every)).min(NEVER));
    let claim = host
        .store
        .reconciliation_claim(tenant, &token, now, now.saturating_add(millis(LEASE)), next(now), force)
        .await
        .map_err(unavailable)?;
    if claim != ReconciliationClaim::Claimed {
        return Ok(None);
    }
    let since = now.saturating_sub(millis(options.window));
    let max_settlements = options.max_settlements.min(MAX_PER_RUN);
    let mut settlements = match host.store.settlements_to_reconcile(tenant, since, max_settlements + 1).await {
        Ok(settlements) => settlements,
        Err(e) => {
            let _ = host.store.reconciliation_abandon(tenant, &token).await;
            return Err(unavailable(e));
        }
    };
    let max = usize::try_from(max_settlements).unwrap_or(usize::MAX);
    let truncated = settlements.len() > max;
    settlements.truncate(max);
    let mut report = Report {
        tenant: tenant.to_owned(),
        started_at: rfc3339(now),
        finished_at: String::new(),
        since: rfc3339(since),
        checked: settlements.len(),
        matched: 0,
        truncated,
        mismatches: Vec::new(),
        unchecked: Vec::new(),
    };
    let mut renewed = std::time::Instant::now();
    for settlement in &settlements {
        // A long run keeps its claim; one that lost it (another replica took over) stops.
        if renewed.elapsed() >= LEASE / 3 {
            let until = Utc::now().timestamp_millis().saturating_add(millis(LEASE));
            match host.store.reconciliation_renew(tenant, &token, until).await {
                Ok(true) => renewed = std::time::Instant::now(),
                Ok(false) => {
                    tracing::warn!(tenant = %tenant, "a reconciliation lost its claim to another run and stops");
                    return Ok(None);
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        match compare(host, settlement).await {
            Finding::Matched => report.matched += 1,
            Finding::Mismatch(mismatch) => report.mismatches.push(mismatch),
            Finding::Unchecked(reason) => report.unchecked.push(Unchecked {
                settlement_id: settlement.id.clone(),
                boleto_id: settlement.boleto_id.clone(),
                reason,
            }),
        }
    }
    let finished = Utc::now().timestamp_millis();
    report.finished_at = rfc3339(finished);
    let stored = serde_json::to_value(&report).unwrap_or(Value::Null);
    match host.store.reconciliation_finish(tenant, &token, finished, next(finished), &stored).await {
        Ok(true) => {}
        Ok(false) => {
            // Another run took over; its report (and alerts) are the ones that count.
            tracing::warn!(tenant = %tenant, "a reconciliation outlived its claim; another run's report is kept");
            return Ok(None);
        }
        Err(e) => return Err(unavailable(e)),
    }
    for mismatch in &report.mismatches {
        tracing::error!(
            tenant = %tenant,
            settlement_id = %mismatch.settlement_id,
            boleto_id = %mismatch.boleto_id,
            kind = ?mismatch.kind,
            erp_amount_due = ?mismatch.erp_amount_due,
            "reconciliation: Ponte and the ERP disagree on a payment; {}", mismatch.explanation
        );
    }
    host.metrics
        .reconciliations
        .get_or_create(&ReconciliationLabels { tenant: tenant.to_owned(), result: report.result().to_owned() })
        .inc();
    host.metrics
        .reconciliation_mismatches
        .get_or_create(&TenantLabels { tenant: tenant.to_owned() })
        .set(i64::try_from(report.mismatches.len()).unwrap_or(i64::MAX));
    tracing::info!(
        tenant = %tenant,
        checked = report.checked,
        matched = report.matched,
        mismatches = report.mismatches.len(),
        unchecked = report.unchecked.len(),
        "reconciliation finished"
    );
    Ok(Some(report))
}

/// Compares one payment with what the ERP shows.
async fn compare(host: &Host, s: &Settlement) -> Finding {
    if s.input.get("erased").and_then(Value::as_bool) == Some(true) {
        return Finding::Unchecked("the customer's data was erased: the invoice can't be looked up".into());
    }
    let Ok(input) = serde_json::from_value::<SettleInvoiceInput>(s.input.clone()) else {
        return Finding::Unchecked("the stored payment could not be read".into());
    };
    let Ok(amount) = Money::parse(&input.transaction.amount) else {
        return Finding::Unchecked("the stored payment's amount could not be read".into());
    };
    let open_before = s.open_before.as_deref().and_then(|v| Money::parse(v).ok());
    let why = format!("reconciliation of settlement {} ({})", s.id, s.state.as_str());
    let state = match invoice_state(host, s, &input, open_before, amount, (Origin::Reconciliation, why)).await {
        Ok(state) => state,
        // The code and its fixed title only: a detail may quote the ERP's text.
        Err(problem) => return Finding::Unchecked(format!("{}: {}", problem.code, problem.code.title())),
    };
    let mismatch = |kind, due: Option<String>, explanation| Mismatch {
        kind,
        settlement_id: s.id.clone(),
        boleto_id: s.boleto_id.clone(),
        transaction_id: s.transaction_id.clone(),
        amount: amount.to_string(),
        ponte_status: s.state,
        outcome: s.outcome.clone(),
        erp_amount_due: due,
        explanation,
    };
    match (s.state, state) {
        (_, InvoiceState::Unknown(why)) => Finding::Unchecked(why.to_owned()),
        (SettlementState::Posted, InvoiceState::Paid) if s.outcome.as_deref() == Some("already_paid") => {
            Finding::Mismatch(mismatch(
                MismatchKind::PaidBeforePosting,
                None,
                "the invoice was already paid when this payment arrived, so Ponte posted nothing: the customer \
                 paid twice; refund or credit it in the ERP, then resolve it there",
            ))
        }
        (SettlementState::Posted, InvoiceState::Paid) | (SettlementState::Parked, InvoiceState::Open(_)) => {
            Finding::Matched
        }
        (SettlementState::Posted, InvoiceState::Open(due)) => Finding::Mismatch(mismatch(
            MismatchKind::PostedButOpen,
            Some(due.to_string()),
            "the ERP shows the invoice due again: the payment was reversed or removed there; check it in the ERP \
             (Ponte does not post it again by itself)",
        )),
        (SettlementState::Parked, InvoiceState::Paid) => Finding::Mismatch(mismatch(
            MismatchKind::PaidButNotPosted,
            None,
            "the ERP shows the invoice paid while Ponte has the payment parked: confirm it there, then resolve the \
             settlement",
        )),
        (other, _) => Finding::Unchecked(format!("the settlement is {}, not posted or parked", other.as_str())),
    }
}
