//! The audited raw passthrough: an admin calls an upstream path the contract doesn't cover yet,
//! with a tenant connection's credentials and under its egress policy
//! (`POST /v1/admin/tenants/{tenant}/passthrough`).
//!
//! Off unless the host runs with `--admin-passthrough`; then only what the connection's plugin
//! declares in its manifest's `[passthrough]` ([`PassthroughSpec`]): the base URL, the path
//! prefixes and the methods. The host adds the credentials (the caller never sees them, and can't
//! send its own `Authorization`), sends the request through the connection's client (declared
//! hosts, private-address rules, the tenant's proxy, size and time limits), redacts the answer
//! with the connection's secrets and records the call in the audit trail before sending
//! (`passthrough.requested`; no record, no call) and once answered (`passthrough.answered`, with
//! the status): method and path, never the query's values or a body.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::capabilities::CapabilityError;
use crate::capabilities::http::{HttpCapability, HttpRequest};
use crate::config::manifest::{PassthroughAuth, PassthroughSpec, fill_template};
use crate::invoke::Host;
use crate::problem::{Problem, ProblemCode};
use crate::registry::Connection;
use crate::store::Caller;

/// How long a passthrough request may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// Headers a caller may add; everything else (credentials, framing, method or path overrides
/// such as `X-HTTP-Method-Override`) is the host's or the plugin's to set.
const CALLER_HEADERS: [&str; 5] = ["accept", "accept-language", "if-none-match", "if-modified-since", "cache-control"];

/// A raw request, as an admin sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassthroughRequest {
    /// The tenant's connection whose credentials and policy are used.
    pub connection: String,
    /// `GET`, `POST`, ... (one the plugin allows).
    pub method: String,
    /// The path under the plugin's passthrough base (`/cliente`).
    pub path: String,
    /// Query parameters.
    #[serde(default)]
    pub query: Map<String, Value>,
    /// Extra headers (not credentials).
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// A JSON body, sent as `application/json`.
    #[serde(default)]
    pub body: Option<Value>,
}

fn refused(detail: impl Into<String>) -> Problem {
    Problem::new(ProblemCode::PassthroughRefused, detail)
}

/// Sends `request` for `tenant` (one `caller` reaches) and answers the upstream's status,
/// content type and body (JSON when it is JSON, else text), redacted.
///
/// # Errors
/// `403 passthrough_disabled` when the host doesn't allow it; `404` for a tenant or connection
/// the caller doesn't reach; `403 passthrough_refused` for what the plugin or the egress policy
/// doesn't allow; `400` for a malformed request; `502`/`504` when the upstream fails.
pub async fn call(host: &Host, caller: &Caller, tenant: &str, request: PassthroughRequest) -> Result<Value, Problem> {
    if !host.options.admin_passthrough {
        return Err(Problem::new(
            ProblemCode::PassthroughDisabled,
            "the raw passthrough is off on this host (ponte serve --admin-passthrough turns it on)",
        ));
    }
    super::tenants::reach(caller, tenant)?;
    let registry = host.registry();
    let Some(loaded) = registry.tenants.get(tenant) else {
        return Err(Problem::new(ProblemCode::UnknownTenant, format!("no tenant {tenant}")));
    };
    let Some(connection) = loaded.connections.get(&request.connection) else {
        return Err(Problem::new(
            ProblemCode::NotFound,
            format!("tenant {tenant} has no connection `{}`", request.connection),
        )
        .with_field("connection"));
    };
    let manifest = &connection.plugin.manifest;
    let Some(spec) = manifest.passthrough.as_ref() else {
        return Err(refused(format!(
            "plugin `{}` offers no passthrough (its manifest has no [passthrough])",
            manifest.name
        )));
    };
    let method = request.method.to_ascii_uppercase();
    if !spec.methods.contains(&method) {
        return Err(refused(format!(
            "`{method}` is not one of the methods plugin `{}` allows: {}",
            manifest.name,
            spec.methods.join(", ")
        ))
        .with_field("method"));
    }
    check_path(&request.path, spec)?;
    let upstream = build(connection, spec, &method, &request)?;
    let target = format!("{} {} {}", request.connection, method, request.path);
    // Recorded before anything is sent: a call is in the audit trail even when its caller goes
    // away mid-request; no record, no call.
    let requested = crate::store::NewAuditEvent {
        actor: caller.key_id.clone(),
        tenant: Some(tenant.to_owned()),
        action: "passthrough.requested",
        target: target.clone(),
        before: None,
        after: None,
    };
    host.store
        .record_audit(&requested)
        .await
        .map_err(|e| Problem::store_unavailable(&e, "the call could not be audited, so it was not sent"))?;
    let started = Instant::now();
    let capability =
        HttpCapability::new(connection.upstream.clone(), Instant::now() + DEADLINE, connection.redactor.clone());
    let answer = capability.request(upstream).await;
    let (status, shown) = match answer {
        Ok(response) => {
            let content_type = response
                .headers
                .iter()
                .find(|(name, _)| name == "content-type")
                .map(|(_, value)| value.clone())
                .unwrap_or_default();
            // Parsed before redacting: a secret the upstream wrote with JSON escapes is caught
            // in its plain form.
            let redact = |text: &str| connection.redactor.redact(text);
            let body = match serde_json::from_slice::<Value>(&response.body) {
                Ok(json) => {
                    let text = redact(&json.to_string());
                    serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
                }
                Err(_) => Value::String(redact(&String::from_utf8_lossy(&response.body))),
            };
            (response.status, json!({"status": response.status, "content_type": content_type, "body": body}))
        }
        Err(error) => {
            let problem = match error {
                CapabilityError::Denied(why) => refused(format!("the connection's egress policy refused it: {why}")),
                CapabilityError::Timeout => {
                    Problem::new(ProblemCode::UpstreamTimeout, "the upstream did not answer in time")
                }
                CapabilityError::Invalid(why) => Problem::new(ProblemCode::InvalidInput, why),
                CapabilityError::TooLarge(limit) => Problem::new(
                    ProblemCode::UpstreamError,
                    format!("the upstream's answer is larger than {limit} bytes"),
                ),
                other => Problem::new(ProblemCode::UpstreamUnavailable, connection.redactor.redact(&other.to_string())),
            };
            tracing::warn!(tenant = %tenant, key = %caller.key_id, target = %target, error = %problem.detail, "passthrough call failed");
            let after = json!({"error": problem.code.as_str()});
            super::audit(host, caller, Some(tenant), "passthrough.answered", &target, None, Some(after)).await;
            return Err(problem);
        }
    };
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(tenant = %tenant, key = %caller.key_id, target = %target, status, duration_ms = millis, "passthrough call");
    let after = json!({"status": status, "duration_ms": millis});
    super::audit(host, caller, Some(tenant), "passthrough.answered", &target, None, Some(after)).await;
    Ok(shown)
}

/// Refuses a path that leaves the plugin's prefixes (or tries to: `..`, a scheme, a query).
fn check_path(path: &str, spec: &PassthroughSpec) -> Result<(), Problem> {
    let bad = !path.starts_with('/')
        || path.starts_with("//")
        || path.contains("..")
        || path.contains(['?', '#', '\\', '%'])
        || path.chars().any(|c| c.is_control() || c.is_whitespace());
    if bad {
        return Err(Problem::new(
            ProblemCode::InvalidInput,
            "`path` is a path under the plugin's base: starting with /, no `..`, `%`, `?`, `#`, spaces (send the query in `query`)",
        )
        .with_field("path"));
    }
    let allowed = spec.paths.iter().any(|prefix| {
        path == prefix
            || path.starts_with(prefix.as_str()) && (prefix.ends_with('/') || path[prefix.len()..].starts_with('/'))
    });
    if !allowed {
        return Err(refused(format!("`{path}` is under none of the allowed paths: {}", spec.paths.join(", ")))
            .with_field("path"));
    }
    Ok(())
}

/// The upstream request: the base and path filled in, the query encoded, the credentials added.
fn build(
    connection: &Connection,
    spec: &PassthroughSpec,
    method: &str,
    request: &PassthroughRequest,
) -> Result<HttpRequest, Problem> {
    let setting = |name: &str| connection.config.get(name);
    let unset = |why: String| refused(format!("the connection can't make this request: {why}"));
    let base = fill_template(&spec.base, setting).map_err(unset)?;
    let base_url = url::Url::parse(&base).map_err(|_| refused("the connection's passthrough base is not a URL"))?;
    if base_url.query().is_some() || base_url.fragment().is_some() || base.contains(['?', '#']) {
        return Err(refused("the connection's passthrough base carries a query or fragment"));
    }
    let mut url = url::Url::parse(&format!("{}{}", base.trim_end_matches('/'), request.path))
        .map_err(|_| refused("the connection's base URL and this path make no URL"))?;
    // What is sent stays where the plugin said: the base's origin, under its path and the
    // checked path, whatever the settings hold.
    let under = format!("{}{}", base_url.path().trim_end_matches('/'), request.path);
    if url.origin() != base_url.origin() || url.path() != under || url.query().is_some() || url.fragment().is_some() {
        return Err(refused("the request would leave the plugin's passthrough base"));
    }
    if !request.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &request.query {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(_) | Value::Bool(_) => value.to_string(),
                _ => {
                    return Err(Problem::new(
                        ProblemCode::InvalidInput,
                        format!("query `{name}`: text, a number or a boolean"),
                    )
                    .with_field("query"));
                }
            };
            pairs.append_pair(name, &text);
        }
    }
    let mut headers = Vec::new();
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        let valid_name = !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let Some(text) = value.as_str().filter(|t| !t.chars().any(char::is_control)) else {
            return Err(Problem::new(ProblemCode::InvalidInput, format!("header `{name}`: its value is text"))
                .with_field("headers"));
        };
        if !valid_name || !CALLER_HEADERS.contains(&lower.as_str()) {
            return Err(refused(format!(
                "header `{name}` can't be sent: a caller adds only {}; the host sets credentials and the plugin's headers",
                CALLER_HEADERS.join(", ")
            ))
            .with_field("headers"));
        }
        headers.push((lower, text.to_owned()));
    }
    for (name, value) in &spec.headers {
        headers.push((name.to_ascii_lowercase(), fill_template(value, setting).map_err(unset)?));
    }
    match &spec.auth {
        PassthroughAuth::None => {}
        PassthroughAuth::Basic { user, password } => {
            let user = fill_template(user, setting).map_err(unset)?;
            let password = fill_template(password, setting).map_err(unset)?;
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            headers.push(("authorization".into(), format!("Basic {token}")));
        }
        PassthroughAuth::Bearer(token) => {
            let token = fill_template(token, setting).map_err(unset)?;
            headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        PassthroughAuth::Header { name, value } => {
            headers.push((name.to_ascii_lowercase(), fill_template(value, setting).map_err(unset)?));
        }
    }
    let body = match &request.body {
        Some(body) => {
            headers.push(("content-type".into(), "application/json".into()));
            body.to_string().into_bytes()
        }
        None => Vec::new(),
    };
    Ok(HttpRequest { method: method.to_owned(), url: url.into(), headers, body, timeout: None })
}
