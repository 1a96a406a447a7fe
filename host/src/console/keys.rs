//! API keys in the console: listed, created (the token shown on the next page only), revoked.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use ponte_contract::Scope;
use serde::Deserialize;

use super::session::Session;
use super::{Fields, Frame, done, failed, render};
use crate::api::AppState;
use crate::operator;
use crate::problem::{Problem, ProblemCode};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/console/keys", get(list).post(create)).route("/console/keys/{id}/revoke", post(revoke))
}

struct KeyRow {
    id: String,
    tenant: String,
    scopes: String,
    label: String,
    created_at: String,
    status: String,
}

#[derive(askama::Template)]
#[template(path = "console/keys.html")]
struct KeysPage {
    frame: Frame,
    rows: Vec<KeyRow>,
    tenants: Vec<String>,
    new_token: String,
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn page(state: &AppState, session: &Session, frame: Frame, new_token: String) -> Response {
    let keys = match operator::keys::list(&state.host, &session.caller, None).await {
        Ok(keys) => keys,
        Err(problem) => return failed(session, &problem),
    };
    let rows = keys
        .into_iter()
        .map(|k| KeyRow {
            status: if k.revoked_at.is_some() { "revoked".into() } else { "active".into() },
            scopes: k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            created_at: k.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            id: k.id,
            tenant: k.tenant,
            label: k.label,
        })
        .collect();
    let tenants = super::tenant_ids(state, session).await;
    // Never kept by a cache (the page may hold a token): every console page says so.
    render(&KeysPage { frame, rows, tenants, new_token })
}

/// `GET /console/keys`.
async fn list(State(state): State<AppState>, session: Session, Query(query): Query<Done>) -> Response {
    let frame = Frame::of(&session).with_notice(query.done.as_deref());
    page(&state, &session, frame, String::new()).await
}

/// `POST /console/keys`: the new key's token is on the answering page, once.
async fn create(State(state): State<AppState>, session: Session, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    let mut scopes = Vec::new();
    for scope in fields.all("scope") {
        match scope.parse::<Scope>() {
            Ok(scope) => scopes.push(scope),
            Err(_) => {
                return failed(&session, &Problem::new(ProblemCode::InvalidInput, format!("unknown scope `{scope}`")));
            }
        }
    }
    let tenant = fields.get("tenant").map(str::to_owned);
    match operator::keys::create(&state.host, &session.caller, tenant.as_deref(), &scopes, &fields.text("label")).await
    {
        Ok(created) => {
            let token = created["token"].as_str().unwrap_or_default().to_owned();
            page(&state, &session, Frame::of(&session), token).await
        }
        Err(problem) => failed(&session, &problem),
    }
}

/// `POST /console/keys/{id}/revoke`.
async fn revoke(State(state): State<AppState>, session: Session, Path(id): Path<String>, body: Bytes) -> Response {
    let fields = Fields::parse(&body);
    if let Some(refused) = session.refuse_unless(fields.get("csrf")) {
        return refused;
    }
    match operator::keys::revoke(&state.host, &session.caller, &id).await {
        Ok(()) => done("/console/keys", "revoked"),
        Err(problem) => failed(&session, &problem),
    }
}
