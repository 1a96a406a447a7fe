//! Tenants in the console: the list, one tenant's automations (with their health and quota),
//! connections edited through a form generated from the plugin's manifest, and revisions.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use super::session::Session;
use super::{Fields, Frame, done, failed, json_text as text, render};
use crate::api::AppState;
use crate::config::document::{BindingDocument, ConnectionDocument, FullBinding, TenantDocument};
use crate::operator::tenants::{self as ops, Change};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/tenants", get(list).post(create))
        .route("/console/tenants/{tenant}", get(show))
        .route("/console/tenants/{tenant}/functions", post(put_function))
        .route("/console/tenants/{tenant}/functions/{function}/delete", post(delete_function))
        .route("/console/tenants/{tenant}/connections", post(put_connection))
        .route("/console/tenants/{tenant}/connections/{name}", get(connection))
        .route("/console/tenants/{tenant}/connections/{name}/delete", post(delete_connection))
        .route("/console/tenants/{tenant}/rollback", post(rollback))
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    done: Option<String>,
    plugin: Option<String>,
}

struct TenantRow {
    id: String,
    name: String,
    source: String,
    revision: String,
    status: String,
    functions: usize,
}

#[derive(askama::Template)]
#[template(path = "console/tenants.html")]
struct TenantsPage {
    frame: Frame,
    tenants: Vec<TenantRow>,
}

/// `GET /console/tenants`.
async fn list(State(state): State<AppState>, session: Session, Query(query): Query<Done>) -> Response {
    let tenants = match ops::list(&state.host, &session.caller).await {
        Ok(tenants) => tenants,
        Err(problem) => return failed(&session, &problem),
    };
    let tenants = tenants
        .iter()
        .map(|t| TenantRow {
            id: text(&t["id"]),
            name: text(&t["name"]),
            source: text(&t["source"]),
            revision: text(&t["revision"]),
            status: text(&t["status"]),
            functions: t["functions"].as_array().map_or(0, Vec::len),
        })
        .collect();
    render(&TenantsPage { frame: Frame::of(&session).with_notice(query.done.as_deref()), tenants })
}

/// `POST /console/tenants`: a new, empty tenant (platform keys); its connections and
/// automations are added on its page.
async fn create(State(state): State<AppState>, session: Session, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    let id = fields.text("id");
    let document = TenantDocument {
        name: fields.text("name"),
        allow_private: fields
            .text("allow_private")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        connections: BTreeMap::new(),
        functions: BTreeMap::new(),
        privacy: Default::default(),
        egress_proxy: None,
    };
    match ops::create(&state.host, &session.caller, &id, document).await {
        Ok(_) => done(&format!("/console/tenants/{id}"), "saved"),
        Err(problem) => failed(&session, &problem),
    }
}

struct AutomationRow {
    function: String,
    connection: String,
    plugin: String,
    runtime: String,
    timeout: String,
    cache_ttl: String,
    calls: usize,
    error_rate: String,
    p95: String,
    quota: String,
}

struct ConnectionRow {
    name: String,
    plugin: String,
}

struct RevisionRow {
    revision: u64,
    created_at: String,
    actor: String,
    summary: String,
}

#[derive(askama::Template)]
#[template(path = "console/tenant.html")]
struct TenantPage {
    frame: Frame,
    tenant: String,
    name: String,
    source: String,
    revision: u64,
    status: String,
    errors: Vec<String>,
    automations: Vec<AutomationRow>,
    editable: bool,
    connections: Vec<ConnectionRow>,
    plugins: Vec<String>,
    all_functions: Vec<&'static str>,
    revisions: Vec<RevisionRow>,
}

/// Calls, error rate and p95 per function over the last hour.
fn health(outcomes: &[(String, String, u64)]) -> BTreeMap<&str, (usize, String, String)> {
    let mut by_function: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for (function, outcome, ms) in outcomes {
        by_function.entry(function.as_str()).or_default().push((outcome.as_str(), *ms));
    }
    by_function
        .into_iter()
        .map(|(function, calls)| {
            let errors = calls.iter().filter(|(o, _)| *o != "ok").count();
            let mut durations: Vec<u64> = calls.iter().map(|(_, ms)| *ms).collect();
            durations.sort_unstable();
            let p95 = durations[(durations.len() * 95).div_ceil(100).saturating_sub(1).min(durations.len() - 1)];
            let permille = errors * 1000 / calls.len();
            let rate = format!("{}.{}%", permille / 10, permille % 10);
            (function, (calls.len(), rate, format!("{p95} ms")))
        })
        .collect()
}

/// `GET /console/tenants/{tenant}`.
async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    Query(query): Query<Done>,
) -> Response {
    let host = &state.host;
    let (view, revision) = match ops::show(host, &session.caller, &tenant).await {
        Ok(found) => found,
        Err(problem) => return failed(&session, &problem),
    };
    let registry = host.registry();
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let outcomes = host.store.invocation_outcomes(&tenant, since).await.unwrap_or_default();
    let health = health(&outcomes);
    let mut automations = Vec::new();
    if let Some(loaded) = registry.tenants.get(&tenant) {
        for (function, binding) in &loaded.automation.functions {
            let Some(connection) = loaded.connections.get(&binding.connection) else { continue };
            let manifest = &connection.plugin.manifest;
            let quota = match manifest.quota_of(*function) {
                Some((name, spec)) => {
                    let quota = crate::quota::QuotaRef { tenant: &tenant, connection: &connection.name, name, spec };
                    quota.view(&host.store).await.map(|v| format!("{} / {}", v.remaining, v.limit)).unwrap_or_default()
                }
                None => "—".to_owned(),
            };
            let (calls, error_rate, p95) =
                health.get(function.as_str()).cloned().unwrap_or((0, "—".into(), "—".into()));
            automations.push(AutomationRow {
                function: function.as_str().to_owned(),
                connection: binding.connection.clone(),
                plugin: format!("{} {}", manifest.name, manifest.version),
                runtime: format!("{:?}", manifest.runtime).to_lowercase(),
                timeout: humantime::format_duration(binding.timeout).to_string(),
                cache_ttl: binding
                    .cache_ttl
                    .map(|t| humantime::format_duration(t).to_string())
                    .unwrap_or_else(|| "—".into()),
                calls,
                error_rate,
                p95,
                quota,
            });
        }
    }
    let editable = view["source"] == "api";
    let connections = view["document"]["connections"]
        .as_object()
        .map(|c| c.iter().map(|(name, c)| ConnectionRow { name: name.clone(), plugin: text(&c["plugin"]) }).collect())
        .unwrap_or_default();
    let revisions = if editable {
        ops::revisions(host, &session.caller, &tenant, 20)
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| RevisionRow {
                revision: r["revision"].as_u64().unwrap_or_default(),
                created_at: text(&r["created_at"]),
                actor: text(&r["actor"]),
                summary: text(&r["summary"]),
            })
            .collect()
    } else {
        Vec::new()
    };
    let errors = view["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| format!("{}: {}", text(&e["field"]), text(&e["message"]))).collect())
        .unwrap_or_default();
    render(&TenantPage {
        frame: Frame::of(&session).with_notice(query.done.as_deref()),
        name: text(&view["name"]),
        source: text(&view["source"]),
        revision: revision.unwrap_or_default(),
        status: text(&view["status"]),
        errors,
        automations,
        editable,
        connections,
        plugins: registry.plugins.keys().cloned().collect(),
        all_functions: ponte_contract::Function::all().map(|f| f.as_str()).collect(),
        revisions,
        tenant,
    })
}

/// Applies a change from a form and goes back to the tenant's page.
async fn apply(state: &AppState, session: &Session, tenant: &str, fields: &Fields, change: Change) -> Response {
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    match ops::change(&state.host, &session.caller, tenant, None, change).await {
        Ok(_) => done(&format!("/console/tenants/{tenant}"), "saved"),
        Err(problem) => failed(session, &problem),
    }
}

fn optional(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}

/// `POST /console/tenants/{tenant}/functions`.
async fn put_function(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let connection = fields.text("connection");
    let (timeout, cache_ttl) = (optional(fields.text("timeout")), optional(fields.text("cache_ttl")));
    let binding = if timeout.is_none() && cache_ttl.is_none() {
        BindingDocument::Connection(connection)
    } else {
        BindingDocument::Full(FullBinding { connection, timeout, cache_ttl })
    };
    let change = Change::Function(fields.text("function"), Some(binding));
    apply(&state, &session, &tenant, &fields, change).await
}

/// `POST /console/tenants/{tenant}/functions/{function}/delete`.
async fn delete_function(
    State(state): State<AppState>,
    session: Session,
    Path((tenant, function)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    apply(&state, &session, &tenant, &fields, Change::Function(function, None)).await
}

/// `POST /console/tenants/{tenant}/rollback`.
async fn rollback(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let Ok(revision) = fields.text("revision").parse::<u64>() else {
        let problem =
            crate::problem::Problem::new(crate::problem::ProblemCode::InvalidInput, "a revision is a positive integer");
        return failed(&session, &problem);
    };
    apply(&state, &session, &tenant, &fields, Change::RollbackTo(revision)).await
}

struct SettingField {
    name: String,
    description: String,
    required: bool,
    secret: bool,
    default: String,
    value: String,
    set: bool,
}

#[derive(askama::Template)]
#[template(path = "console/connection.html")]
struct ConnectionPage {
    frame: Frame,
    tenant: String,
    name: String,
    is_new: bool,
    plugin: String,
    plugin_description: String,
    timeout: String,
    settings: Vec<SettingField>,
}

/// `GET /console/tenants/{tenant}/connections/{name}` (`new?plugin=ixc` for a new one): the
/// plugin's settings as a form, secret ones as password fields that keep their value when left
/// empty.
async fn connection(
    State(state): State<AppState>,
    session: Session,
    Path((tenant, name)): Path<(String, String)>,
    Query(query): Query<Done>,
) -> Response {
    let (view, _) = match ops::show(&state.host, &session.caller, &tenant).await {
        Ok(found) => found,
        Err(problem) => return failed(&session, &problem),
    };
    let is_new = name == "new";
    let current = if is_new { Value::Null } else { view["document"]["connections"][&name].clone() };
    if !is_new && current.is_null() {
        let problem =
            crate::problem::Problem::new(crate::problem::ProblemCode::NotFound, format!("no connection `{name}`"));
        return failed(&session, &problem);
    }
    let plugin = if is_new { query.plugin.unwrap_or_default() } else { text(&current["plugin"]) };
    let registry = state.host.registry();
    let Some(loaded) = registry.plugins.get(&plugin) else {
        let problem =
            crate::problem::Problem::new(crate::problem::ProblemCode::NotFound, format!("no plugin `{plugin}`"));
        return failed(&session, &problem);
    };
    let manifest = &loaded.manifest;
    let secrets_set: Vec<String> =
        current["secrets_set"].as_array().map(|s| s.iter().map(text).collect()).unwrap_or_default();
    let settings = manifest
        .settings
        .iter()
        .map(|(key, spec)| SettingField {
            name: key.clone(),
            description: spec.description.clone(),
            required: spec.required,
            secret: spec.secret,
            default: spec.default.clone().unwrap_or_default(),
            value: if spec.secret { String::new() } else { text(&current["settings"][key]) },
            set: secrets_set.contains(key),
        })
        .collect();
    render(&ConnectionPage {
        frame: Frame::of(&session),
        tenant,
        name: if is_new { String::new() } else { name },
        is_new,
        plugin: manifest.name.clone(),
        plugin_description: manifest.description.clone(),
        timeout: text(&current["timeout"]),
        settings,
    })
}

/// `POST /console/tenants/{tenant}/connections`: `setting.<name>` fields; a secret left empty
/// keeps its value.
async fn put_connection(
    State(state): State<AppState>,
    session: Session,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let plugin = fields.text("plugin");
    let registry = state.host.registry();
    let secret =
        |key: &str| registry.plugins.get(&plugin).and_then(|p| p.manifest.settings.get(key)).is_some_and(|s| s.secret);
    let mut settings = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for (key, value) in &fields.0 {
        let Some(setting) = key.strip_prefix("setting.") else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if secret(setting) {
            secrets.insert(setting.to_owned(), Some(value.to_owned()));
        } else {
            settings.insert(setting.to_owned(), value.to_owned());
        }
    }
    let document = ConnectionDocument { plugin, timeout: optional(fields.text("timeout")), settings, secrets };
    let change = Change::Connection(fields.text("name"), Some(document));
    apply(&state, &session, &tenant, &fields, change).await
}

/// `POST /console/tenants/{tenant}/connections/{name}/delete`.
async fn delete_connection(
    State(state): State<AppState>,
    session: Session,
    Path((tenant, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    apply(&state, &session, &tenant, &fields, Change::Connection(name, None)).await
}
