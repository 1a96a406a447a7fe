//! The OpenAPI 3.1 document, generated from the contract's types.
//!
//! OpenAPI 3.1 speaks JSON Schema 2020-12, which is what `schemars` generates from the contract
//! crate, so the document is assembled here directly from `ponte_contract::schema`: one path per
//! function, its input and output schemas, its problems. (utoipa would mean a second schema
//! derive on every contract type; this keeps the contract the single source.)

use ponte_contract::schema::{OpenApiSchemas, openapi_schemas};
use ponte_contract::{Access, Scope};
use serde_json::{Value, json};

use crate::problem::ProblemCode;

/// The document.
pub fn document() -> Value {
    let OpenApiSchemas { functions, mut definitions } = openapi_schemas();
    definitions.insert("Problem".into(), problem_schema());
    let mut paths = serde_json::Map::new();
    for (function, input, output) in functions {
        let spec = function.spec();
        let scopes: Vec<&str> = spec.scopes().into_iter().map(Scope::as_str).collect();
        let mut problems = vec![
            ProblemCode::InvalidInput,
            ProblemCode::Unauthorized,
            ProblemCode::Forbidden,
            ProblemCode::PayloadTooLarge,
            ProblemCode::UnsupportedMediaType,
            ProblemCode::FunctionNotConfigured,
            ProblemCode::RequestTimeout,
            ProblemCode::RateLimited,
            ProblemCode::UpstreamError,
            ProblemCode::ContractViolation,
            ProblemCode::PluginFailed,
            ProblemCode::UpstreamUnavailable,
            ProblemCode::Overloaded,
            ProblemCode::UpstreamTimeout,
        ];
        let mut parameters = Vec::new();
        if spec.access == Access::Write {
            problems.push(ProblemCode::IdempotencyKeyRequired);
            problems.push(ProblemCode::IdempotencyConflict);
            problems.push(ProblemCode::IdempotencyInProgress);
            parameters.push(json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": true,
                "description": "1 to 255 visible ASCII characters; the same key and body replays the first answer.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255}
            }));
        }
        let mut responses = serde_json::Map::new();
        let mut ok =
            json!({"description": "The normalized result.", "content": {"application/json": {"schema": output}}});
        if spec.access == Access::Read {
            ok["headers"] = json!({"X-Ponte-Cache": {
                "description": "Where the answer came from: `miss` (the plugin ran for this call), `hit` (the read cache, within the automation's `cache_ttl`), `coalesced` (an identical read running when this one arrived shared its plugin run).",
                "schema": {"type": "string", "enum": ["miss", "hit", "coalesced"]}
            }});
        }
        responses.insert("200".into(), ok);
        if function == ponte_contract::Function::SettleInvoice {
            responses.insert(
                "202".into(),
                json!({
                    "description": "Accepted durably and queued: the ERP could not take the payment now. Poll `GET /v1/settlements/{settlement_id}`.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SettlementQueued"}}}
                }),
            );
        }
        for code in problems {
            let status = code.status().as_u16().to_string();
            let entry = responses.entry(status).or_insert_with(|| {
                json!({"description": "", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
            });
            let description = entry["description"].as_str().unwrap_or_default().to_owned();
            let line = format!("`{}`: {}", code.as_str(), code.title());
            entry["description"] =
                Value::from(if description.is_empty() { line } else { format!("{description}; {line}") });
            if matches!(code, ProblemCode::RateLimited | ProblemCode::Overloaded) {
                entry["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}
                }});
            }
        }
        paths.insert(
            format!("/v1/functions/{function}"),
            json!({"post": {
                "operationId": function.as_str(),
                "summary": spec.summary,
                "description": format!(
                    "Seed: *{}*. Scopes: {}. {}{}",
                    spec.seed_name,
                    scopes.join(", "),
                    if spec.access == Access::Write { "Writes to the ERP; requires `Idempotency-Key`. " } else { "Read-only. " },
                    if spec.cacheable { "May be served from cache within the automation's TTL." } else { "Never cached." }
                ),
                "tags": ["functions"],
                "parameters": parameters,
                "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                "responses": responses,
            }}),
        );
    }
    paths.insert(
        "/v1/functions".into(),
        json!({"get": {
            "operationId": "list_functions",
            "summary": "What this key may call for its tenant, and which plugin serves each function.",
            "tags": ["functions"],
            "responses": {"200": {"description": "The callable functions."}, "401": problem_ref("unauthorized")}
        }}),
    );
    paths.insert(
        "/v1/settlements/{id}".into(),
        json!({"get": {
            "operationId": "get_settlement",
            "summary": "Where a payment accepted by `settle_invoice` is: queued, posted, parked (a human is on it) or resolved.",
            "tags": ["settlements"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "The settlement.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Settlement"}}}},
                "401": problem_ref("unauthorized"),
                "403": problem_ref("forbidden"),
                "404": problem_ref("not_found")
            }
        }}),
    );
    paths.insert(
        "/v1/admin/settlements".into(),
        json!({"get": {
            "operationId": "list_settlements",
            "summary": "The tenant's settlements, newest first (admin). `state`: pending, posting, posted, parked, resolved; `limit` 1 to 1000 (50).",
            "tags": ["operations"],
            "parameters": [
                {"name": "state", "in": "query", "required": false, "schema": {"type": "string", "enum": ["pending", "posting", "posted", "parked", "resolved"]}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
            ],
            "responses": {"200": {"description": "Settlements.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Settlement"}}}}}, "400": problem_ref("invalid_input"), "403": problem_ref("forbidden")}
        }}),
    );
    for (action, summary, body) in [
        (
            "retry",
            "Attempt a parked settlement again, with a fresh budget of attempts; a posting in doubt is checked with the ERP first (admin).",
            None,
        ),
        (
            "resolve",
            "Close a parked settlement by hand, saying what was done (admin).",
            Some(
                json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["note"], "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 2000}}}}}}),
            ),
        ),
    ] {
        let mut operation = json!({
            "operationId": format!("{action}_settlement"),
            "summary": summary,
            "tags": ["operations"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "The settlement.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Settlement"}}}},
                "400": problem_ref("invalid_input"),
                "403": problem_ref("forbidden"),
                "404": problem_ref("not_found"),
                "409": problem_ref("settlement_not_parked")
            }
        });
        if let Some(body) = body {
            operation["requestBody"] = body;
        }
        paths.insert(format!("/v1/admin/settlements/{{id}}/{action}"), json!({"post": operation}));
    }
    definitions.insert("Settlement".into(), settlement_schema());
    definitions.insert(
        "SettlementQueued".into(),
        json!({"type": "object", "required": ["status", "settlement_id"], "properties": {
            "status": {"type": "string", "enum": ["queued", "parked"]},
            "settlement_id": {"type": "string"}
        }}),
    );
    for (path, summary) in [
        ("/healthz", "Liveness."),
        ("/readyz", "Readiness: the store answers and automations are loaded."),
        ("/metrics", "Prometheus metrics."),
    ] {
        paths.insert(path.into(), json!({"get": {"summary": summary, "tags": ["operations"], "security": [], "responses": {"200": {"description": "OK"}}}}));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Ponte",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Normalized ERP functions for internet providers' apps, websites and kiosks. Every error is application/problem+json with a stable `code`.",
        },
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "An API key bound to one tenant and its scopes (app, totem, admin)."}},
        },
    })
}

fn problem_ref(code: &str) -> Value {
    json!({"description": format!("`{code}`"), "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn settlement_schema() -> Value {
    let text = json!({"type": "string"});
    let optional_text = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "description": "A payment accepted by `settle_invoice` and where it is.",
        "required": ["settlement_id", "status", "boleto_id", "transaction_id", "attempts", "created_at"],
        "properties": {
            "settlement_id": text,
            "status": {"type": "string", "enum": ["queued", "posted", "parked", "resolved"]},
            "boleto_id": text,
            "transaction_id": text,
            "attempts": {"type": "integer", "minimum": 0},
            "outcome": {"type": ["string", "null"], "description": "posted, verified_paid (found paid after a lost answer), already_paid (paid before Ponte posted: reconcile), rejected, attempts_exhausted, unverifiable, resolved."},
            "last_error": optional_text,
            "result": {"description": "The `settle_invoice` output once posted (or refused by the ERP)."},
            "created_at": text,
            "finished_at": optional_text
        }
    })
}

fn problem_schema() -> Value {
    let codes: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": codes},
            "field": {"type": "string", "description": "The input field at fault (invalid_input, invalid_document)."},
            "invocation_id": {"type": "string", "description": "Finds the call in the invocation log."}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_a_path_with_its_schemas() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        for f in ponte_contract::Function::all() {
            let op = &doc["paths"][format!("/v1/functions/{f}")]["post"];
            assert_eq!(op["operationId"], f.as_str());
            assert!(op["requestBody"]["content"]["application/json"]["schema"].is_object());
            let writes = f.spec().access == Access::Write;
            assert_eq!(op["parameters"].as_array().is_some_and(|p| !p.is_empty()), writes, "{f}");
        }
        assert!(doc["components"]["schemas"]["Fatura"].is_object());
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        let settle = &doc["paths"]["/v1/functions/settle_invoice"]["post"]["responses"];
        assert!(
            settle["202"].is_object()
                && settle["409"]["description"].as_str().is_some_and(|d| d.contains("idempotency_in_progress"))
        );
        assert!(doc["paths"]["/v1/settlements/{id}"]["get"].is_object());
        for action in ["retry", "resolve"] {
            assert!(doc["paths"][format!("/v1/admin/settlements/{{id}}/{action}")]["post"].is_object(), "{action}");
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(doc["components"]["schemas"][name].is_object(), "dangling reference {name}");
        }
    }
}
