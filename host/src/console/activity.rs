//! What happened: the invocation log (filters and a detail view with each upstream exchange,
//! redacted as stored), the settlements (parked ones retried or resolved), the audit trail.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use super::session::Session;
use super::{Fields, Frame, chosen_tenant, done, failed, json_text as text, render, tenant_ids};
use crate::api::AppState;
use crate::operator;
use crate::problem::{Problem, ProblemCode};
use crate::store::{InvocationFilter, SettlementState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/invocations", get(invocations))
        .route("/console/invocations/{id}", get(invocation))
        .route("/console/settlements", get(settlements))
        .route("/console/settlements/{id}/retry", post(retry))
        .route("/console/settlements/{id}/resolve", post(resolve))
        .route("/console/audit", get(audit))
}

/// The tenant a page shows and the tenants to choose from.
async fn chosen(state: &AppState, session: &Session, asked: Option<&str>) -> (String, Vec<String>) {
    let tenants = tenant_ids(state, session).await;
    (chosen_tenant(session, asked, &tenants), tenants)
}

#[derive(Deserialize, Default)]
struct LogQuery {
    tenant: Option<String>,
    function: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
    customer: Option<String>,
}

struct InvocationRow {
    id: String,
    started_at: String,
    function: String,
    status: u16,
    outcome: String,
    duration_ms: u64,
    plugin: String,
}

#[derive(askama::Template)]
#[template(path = "console/invocations.html")]
struct InvocationsPage {
    frame: Frame,
    tenant: String,
    tenants: Vec<String>,
    function: String,
    outcome: String,
    since: String,
    until: String,
    customer: String,
    rows: Vec<InvocationRow>,
}

fn time(text: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(text.trim()).map(|t| Some(t.with_timezone(&chrono::Utc))).map_err(|_| {
        Problem::new(ProblemCode::InvalidInput, format!("`{text}` is not a time like 2026-12-04T09:00:00Z"))
    })
}

/// `GET /console/invocations`.
async fn invocations(State(state): State<AppState>, session: Session, Query(query): Query<LogQuery>) -> Response {
    let (tenant, tenants) = chosen(&state, &session, query.tenant.as_deref()).await;
    let text_of = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (function, outcome, since, until) =
        (text_of(&query.function), text_of(&query.outcome), text_of(&query.since), text_of(&query.until));
    let customer = text_of(&query.customer);
    let (since_at, until_at) = match (time(&since), time(&until)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(problem), _) | (_, Err(problem)) => return failed(&session, &problem),
    };
    state.host.invocation_log.flush().await;
    let rows = if tenant.is_empty() {
        Vec::new()
    } else {
        let filter = InvocationFilter {
            tenant: tenant.clone(),
            function: Some(function.clone()).filter(|f| !f.is_empty()),
            outcome: Some(outcome.clone()).filter(|o| !o.is_empty()),
            since: since_at,
            until: until_at,
            // The log keeps the customer's digest, never the document: search by the same.
            customer_key: Some(customer.clone())
                .filter(|c| !c.is_empty())
                .map(|document| crate::digest::customer_digest(&tenant, &document)),
            limit: 200,
        };
        match state.host.store.invocations_matching(&filter).await {
            Ok(rows) => rows,
            Err(e) => return failed(&session, &Problem::store_unavailable(&e, "")),
        }
    };
    let rows = rows
        .into_iter()
        .map(|r| InvocationRow {
            started_at: r.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            id: r.id,
            function: r.function,
            status: r.status,
            outcome: r.outcome,
            duration_ms: r.duration_ms,
            plugin: r.plugin.unwrap_or_default(),
        })
        .collect();
    render(&InvocationsPage {
        frame: Frame::of(&session),
        tenant,
        tenants,
        function,
        outcome,
        since,
        until,
        customer,
        rows,
    })
}

#[derive(askama::Template)]
#[template(path = "console/invocation.html")]
struct InvocationPage {
    frame: Frame,
    id: String,
    tenant: String,
    function: String,
    plugin: String,
    started_at: String,
    duration_ms: u64,
    status: u16,
    outcome: String,
    detail: String,
    warnings: String,
    upstream_calls: String,
    input: String,
    output: String,
}

/// `GET /console/invocations/{id}`.
async fn invocation(State(state): State<AppState>, session: Session, Path(id): Path<String>) -> Response {
    state.host.invocation_log.flush().await;
    let record = match state.host.store.invocation(&id).await {
        Ok(Some(record)) if operator::tenants::reach(&session.caller, &record.tenant).is_ok() => record,
        Ok(_) => return failed(&session, &Problem::new(ProblemCode::NotFound, "no such invocation")),
        Err(e) => return failed(&session, &Problem::store_unavailable(&e, "")),
    };
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    render(&InvocationPage {
        frame: Frame::of(&session),
        started_at: record.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        tenant: record.tenant,
        function: record.function,
        plugin: format!("{} {}", record.plugin.unwrap_or_default(), record.plugin_version.unwrap_or_default()),
        duration_ms: record.duration_ms,
        status: record.status,
        outcome: record.outcome,
        detail: record.detail.unwrap_or_default(),
        warnings: pretty(&record.warnings),
        upstream_calls: pretty(&record.upstream_calls),
        input: record.input.as_ref().map(|p| pretty(&p.value())).unwrap_or_default(),
        output: record.output.as_ref().map(|p| pretty(&p.value())).unwrap_or_default(),
        id,
    })
}

#[derive(Deserialize, Default)]
struct SettlementQuery {
    tenant: Option<String>,
    state: Option<String>,
    done: Option<String>,
}

struct SettlementRow {
    id: String,
    created_at: String,
    boleto_id: String,
    status: String,
    attempts: String,
    last_error: String,
}

#[derive(askama::Template)]
#[template(path = "console/settlements.html")]
struct SettlementsPage {
    frame: Frame,
    tenant: String,
    tenants: Vec<String>,
    state: String,
    states: Vec<&'static str>,
    rows: Vec<SettlementRow>,
    can_act: bool,
}

/// `GET /console/settlements`.
async fn settlements(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<SettlementQuery>,
) -> Response {
    let (tenant, tenants) = chosen(&state, &session, query.tenant.as_deref()).await;
    let wanted = query.state.as_deref().unwrap_or_default();
    let filter = SettlementState::parse(wanted);
    let rows = if tenant.is_empty() {
        Vec::new()
    } else {
        match operator::settlements::list(&state.host, &tenant, filter, 200).await {
            Ok(rows) => rows,
            Err(problem) => return failed(&session, &problem),
        }
    };
    let rows = rows
        .iter()
        .map(|s| SettlementRow {
            id: text(&s["settlement_id"]),
            created_at: text(&s["created_at"]),
            boleto_id: text(&s["boleto_id"]),
            status: text(&s["status"]),
            attempts: text(&s["attempts"]),
            last_error: text(&s["last_error"]),
        })
        .collect();
    render(&SettlementsPage {
        frame: Frame::of(&session).with_notice(query.done.as_deref()),
        can_act: !tenant.is_empty(),
        tenant,
        tenants,
        state: filter.map(|s| s.as_str()).unwrap_or_default().to_owned(),
        states: vec!["pending", "posting", "posted", "parked", "resolved"],
        rows,
    })
}

/// The tenant a settlement form acts for: a tenant key's own, a platform key's named one.
fn tenant_of_form(session: &Session, fields: &Fields) -> String {
    if session.caller.is_platform() { fields.text("tenant") } else { session.caller.tenant.clone() }
}

/// `POST /console/settlements/{id}/retry`.
async fn retry(State(state): State<AppState>, session: Session, Path(id): Path<String>, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    let tenant = tenant_of_form(&session, &fields);
    match operator::settlements::retry(&state.host, &session.caller, &tenant, &id).await {
        Ok(_) => done(&format!("/console/settlements?tenant={tenant}"), "retried"),
        Err(problem) => failed(&session, &problem),
    }
}

/// `POST /console/settlements/{id}/resolve`.
async fn resolve(State(state): State<AppState>, session: Session, Path(id): Path<String>, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    let tenant = tenant_of_form(&session, &fields);
    match operator::settlements::resolve(&state.host, &session.caller, &tenant, &id, &fields.text("note")).await {
        Ok(_) => done(&format!("/console/settlements?tenant={tenant}"), "resolved"),
        Err(problem) => failed(&session, &problem),
    }
}

struct AuditRow {
    at: String,
    actor: String,
    tenant: String,
    action: String,
    target: String,
}

#[derive(askama::Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    frame: Frame,
    rows: Vec<AuditRow>,
}

/// `GET /console/audit`.
async fn audit(State(state): State<AppState>, session: Session) -> Response {
    let tenant = if session.caller.is_platform() { None } else { Some(session.caller.tenant.as_str()) };
    let events = match state.host.store.audit_events(tenant, 200).await {
        Ok(events) => events,
        Err(e) => return failed(&session, &Problem::store_unavailable(&e, "")),
    };
    let rows = events
        .into_iter()
        .map(|e| AuditRow {
            at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor: e.actor,
            tenant: e.tenant.unwrap_or_default(),
            action: e.action,
            target: e.target,
        })
        .collect();
    render(&AuditPage { frame: Frame::of(&session), rows })
}
