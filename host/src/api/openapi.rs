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
            ProblemCode::InvalidDocument,
            ProblemCode::Unauthorized,
            ProblemCode::Forbidden,
            ProblemCode::PayloadTooLarge,
            ProblemCode::UnsupportedMediaType,
            ProblemCode::FunctionNotConfigured,
            ProblemCode::RequestTimeout,
            ProblemCode::RateLimited,
            ProblemCode::QuotaExhausted,
            ProblemCode::NotFound,
            ProblemCode::Internal,
            ProblemCode::UpstreamError,
            ProblemCode::ContractViolation,
            ProblemCode::PluginFailed,
            ProblemCode::UpstreamUnavailable,
            ProblemCode::Overloaded,
            ProblemCode::UpstreamTimeout,
        ];
        if spec.allows(Scope::Totem) {
            problems.push(ProblemCode::KioskLocked);
        }
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
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
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
            if matches!(code, ProblemCode::RateLimited | ProblemCode::Overloaded | ProblemCode::KioskLocked) {
                entry["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}
                }});
            }
        }
        // A function whose input has no required field also takes an empty body.
        let body_required = input
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| definitions.get(r.trim_start_matches("#/components/schemas/")))
            .or(input.as_object().map(|_| input.as_value()))
            .and_then(|schema| schema.get("required"))
            .and_then(Value::as_array)
            .is_some_and(|required| !required.is_empty());
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
                "requestBody": {"required": body_required, "content": {"application/json": {"schema": input}}},
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
                {"name": "tenant", "in": "query", "required": false, "description": "Required with a platform key; a tenant's key reads its own.", "schema": {"type": "string"}},
                {"name": "state", "in": "query", "required": false, "schema": {"type": "string", "enum": ["pending", "posting", "posted", "parked", "resolved"]}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
            ],
            "responses": {"200": {"description": "Settlements.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Settlement"}}}}}, "400": problem_ref("invalid_input"), "403": problem_ref("forbidden"), "404": problem_ref("unknown_tenant")}
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
                json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["note"], "additionalProperties": false, "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "\\S"}}}}}}),
            ),
        ),
    ] {
        let mut operation = json!({
            "operationId": format!("{action}_settlement"),
            "summary": summary,
            "tags": ["operations"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                           {"name": "tenant", "in": "query", "required": false, "description": "Required with a platform key.", "schema": {"type": "string"}}],
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
    admin_paths(&mut paths, &mut definitions);
    complete_responses(&mut paths);
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

/// A response of problems: `codes` joined under their (shared) status.
/// What every operation may answer, added where an operation doesn't say it already: a key's
/// refusal and rate, the host's own fault, and a body's form and size where there is one.
fn complete_responses(paths: &mut serde_json::Map<String, Value>) {
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for operation in item.values_mut() {
            let public = operation.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty);
            let has_body = operation.get("requestBody").is_some();
            let has_query = operation
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            let mut add = |status: &str, code: &str| {
                responses.entry(status.to_owned()).or_insert_with(|| problems(&[code]));
            };
            if !public {
                add("401", "unauthorized");
                add("403", "forbidden");
                add("429", "rate_limited");
            }
            if !public {
                add("500", "internal");
            }
            if has_body {
                add("400", "invalid_input");
                add("413", "payload_too_large");
                add("415", "unsupported_media_type");
            }
            if has_query {
                add("400", "invalid_input");
            }
        }
    }
}

/// What a passthrough's `path` may be (ECMA-262): under the base, no `..`, no second leading
/// slash, no query, fragment, escapes, spaces or control characters.
const PASSTHROUGH_PATH_PATTERN: &str = r"^(?!.*\.\.)(?!//)/[^?#%\\\s\u0000-\u001f\u007f-\u009f]*$";

fn problems(codes: &[&str]) -> Value {
    let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    json!({"description": listed.join("; "), "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// The operator endpoints: tenants as data, API keys, the audit trail, the invocation log.
fn admin_paths(paths: &mut serde_json::Map<String, Value>, definitions: &mut serde_json::Map<String, Value>) {
    let duration = json!({"type": "string", "description": "A duration: `500ms`, `10s`, `5m`.", "examples": ["10s"]});
    let text_map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    definitions.insert(
        "TenantDocument".into(),
        json!({
            "type": "object",
            "description": "A tenant's configuration: an automation file's structure in JSON. Values are literal (`${env:..}` references are refused). A setting the plugin's manifest marks secret may be given under `settings` or `secrets`; it is stored sealed and never returned.",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 256},
                "allow_private": {"type": "array", "items": {"type": "string"}, "description": "Internal addresses the tenant's ERPs may live at: `127.0.0.1`, `10.0.0.0/8`."},
                "connections": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ConnectionDocument"}},
                "functions": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/BindingDocument"}, "description": "Which connection serves each contract function."},
                "egress_proxy": {"type": "string", "description": "An HTTP(S) proxy the tenant's upstream calls leave through (`http://10.0.0.5:3128`, without credentials; setting it takes a platform key). Its address is judged by `allow_private` as an ERP's is."},
                "privacy": {"$ref": "#/components/schemas/PrivacyPolicy"}
            }
        }),
    );
    let rule = |values: &[&str], default: &str, what: &str| json!({"type": "string", "enum": values, "default": default, "description": what});
    definitions.insert(
        "PrivacyPolicy".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "description": "What kiosks (keys whose only scope is `totem`) are shown of customers, applied by the host after normalization whatever the plugin returns. Defaults minimize.",
            "properties": {
                "totem": {"type": "object", "additionalProperties": false, "properties": {
                    "customer_name": rule(&["full", "first_name", "initials"], "first_name", "`nome_cliente` of a person's invoices: `Maria S. O.` or `M. S. O.` (a company's name is shown)."),
                    "contacts": rule(&["full", "masked", "hidden"], "masked", "`get_customer_contacts`: `m***@gmail.com`, `+55*******4321`, or none."),
                    "document": rule(&["full", "masked"], "masked", "A person's CPF shown back on invoices: `***602380**`."),
                    "erp_response": rule(&["full", "hidden"], "hidden", "The ERP's raw answer: `settle_invoice`'s `api_response` (`{}`) and `trust_unlock`'s `remote_message` (`null`).")
                }}
            }
        }),
    );
    definitions.insert(
        "ConnectionDocument".into(),
        json!({
            "type": "object",
            "required": ["plugin"],
            "additionalProperties": false,
            "properties": {
                "plugin": {"type": "string"},
                "timeout": duration,
                "settings": text_map,
                "secrets": {"type": "object", "additionalProperties": {"type": ["string", "null"]}, "description": "Secret settings in clear (write-only). Left out: the stored value is kept; `null`: removed."}
            }
        }),
    );
    definitions.insert(
        "BindingDocument".into(),
        json!({"oneOf": [
            {"type": "string", "description": "The connection's name."},
            {"type": "object", "required": ["use"], "additionalProperties": false, "properties": {
                "use": {"type": "string"}, "timeout": duration, "cache_ttl": duration
            }}
        ]}),
    );
    definitions.insert(
        "Tenant".into(),
        json!({
            "type": "object",
            "required": ["id", "source", "status"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": ["string", "null"]},
                "source": {"type": ["string", "null"], "enum": ["file", "api", null], "description": "`file`: an automation file defines it (read-only here); `api`: the admin API."},
                "revision": {"type": ["integer", "null"], "description": "The newest stored revision (also the `ETag`)."},
                "serving_revision": {"type": ["integer", "null"]},
                "status": {"type": "string", "enum": ["serving", "failed"]},
                "functions": {"type": "array", "items": {"type": "string"}},
                "errors": {"type": "array", "items": {"type": "object"}},
                "document": {"description": "The document without secrets' values: each connection lists `secrets_set`."}
            }
        }),
    );
    let tenant_ok = json!({"description": "The tenant.", "headers": {"ETag": {"description": "The revision, quoted: send it back as `If-Match`.", "schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tenant"}}}});
    let tenant_param = json!({"name": "tenant", "in": "path", "required": true, "schema": {"type": "string"}});
    let if_match = json!({"name": "If-Match", "in": "header", "required": false, "description": "The revision this change was made from; another one meanwhile is `409 revision_conflict`.", "schema": {"type": "string"}});
    let body = |schema: Value| json!({"required": true, "content": {"application/json": {"schema": schema}}});
    let common = |mut responses: serde_json::Map<String, Value>| {
        for (status, code) in
            [("401", "unauthorized"), ("403", "forbidden"), ("429", "rate_limited"), ("500", "internal")]
        {
            responses.entry(status).or_insert_with(|| problems(&[code]));
        }
        Value::Object(responses)
    };
    let write_responses = |ok: (&str, Value)| {
        let mut r = serde_json::Map::new();
        r.insert(ok.0.into(), ok.1);
        r.insert("400".into(), problems(&["invalid_input"]));
        r.insert("404".into(), problems(&["unknown_tenant", "not_found"]));
        r.insert("409".into(), problems(&["revision_conflict", "tenant_read_only"]));
        r.insert("413".into(), problems(&["payload_too_large"]));
        r.insert("415".into(), problems(&["unsupported_media_type"]));
        r.insert("422".into(), problems(&["invalid_configuration"]));
        common(r)
    };
    let read_responses = |ok: Value| {
        let mut r = serde_json::Map::new();
        r.insert("200".into(), ok);
        r.insert("400".into(), problems(&["invalid_input"]));
        r.insert("404".into(), problems(&["unknown_tenant", "not_found"]));
        common(r)
    };
    // A tenant document with its id: one object (an `allOf` can't add a property to a schema
    // that refuses unknown ones).
    let mut new_tenant = definitions.get("TenantDocument").cloned().unwrap_or_else(|| json!({"type": "object"}));
    new_tenant["properties"]["id"] = json!({"type": "string", "pattern": "^[a-z0-9-]{1,64}$"});
    match new_tenant.get_mut("required").and_then(Value::as_array_mut) {
        Some(required) => required.push(Value::from("id")),
        None => new_tenant["required"] = json!(["id"]),
    }
    paths.insert(
        "/v1/admin/tenants".into(),
        json!({
            "get": {"operationId": "list_tenants", "summary": "Every tenant the key reaches (a platform key: all), with where it is defined and whether it loads (admin).", "tags": ["tenants"],
                    "responses": read_responses(json!({"description": "Tenants.", "content": {"application/json": {"schema": {"type": "object", "properties": {"tenants": {"type": "array", "items": {"$ref": "#/components/schemas/Tenant"}}}}}}}))},
            "post": {"operationId": "create_tenant", "summary": "Create a tenant (platform key): revision 1, served at once.", "tags": ["tenants"],
                     "requestBody": body(new_tenant), "responses": write_responses(("201", tenant_ok.clone()))}
        }),
    );
    paths.insert(
        "/v1/admin/tenants/{tenant}".into(),
        json!({
            "get": {"operationId": "get_tenant", "summary": "A tenant and its document (secrets by name only).", "tags": ["tenants"], "parameters": [tenant_param],
                    "responses": read_responses(tenant_ok.clone())},
            "put": {"operationId": "replace_tenant", "summary": "Replace a tenant's document (creating it takes a platform key); secrets left out are kept.", "tags": ["tenants"],
                    "parameters": [tenant_param, if_match], "requestBody": body(json!({"$ref": "#/components/schemas/TenantDocument"})), "responses": write_responses(("200", tenant_ok.clone()))},
            "delete": {"operationId": "remove_tenant", "summary": "Remove a tenant (platform key); its history stays and a rollback brings it back.", "tags": ["tenants"],
                       "parameters": [tenant_param, if_match], "responses": write_responses(("204", json!({"description": "Removed."})))}
        }),
    );
    for (part, schema, what) in [
        ("connections/{name}", "ConnectionDocument", "a connection"),
        ("functions/{function}", "BindingDocument", "a function's automation"),
    ] {
        let name = if part.starts_with("connections") { "name" } else { "function" };
        let param = json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
        paths.insert(
            format!("/v1/admin/tenants/{{tenant}}/{part}"),
            json!({
                "put": {"operationId": format!("put_{}", if name == "name" { "connection" } else { "automation" }), "summary": format!("Set {what}: a new revision."), "tags": ["tenants"],
                        "parameters": [tenant_param, param, if_match], "requestBody": body(json!({"$ref": format!("#/components/schemas/{schema}")})), "responses": write_responses(("200", tenant_ok.clone()))},
                "delete": {"operationId": format!("delete_{}", if name == "name" { "connection" } else { "automation" }), "summary": format!("Remove {what}: a new revision."), "tags": ["tenants"],
                           "parameters": [tenant_param, param, if_match], "responses": write_responses(("200", tenant_ok.clone()))}
            }),
        );
    }
    let revision_item = json!({"type": "object", "properties": {"revision": {"type": "integer"}, "created_at": {"type": "string"}, "actor": {"type": "string"}, "summary": {"type": "string"}, "removed": {"type": "boolean"}, "document": {}}});
    paths.insert(
        "/v1/admin/tenants/{tenant}/revisions".into(),
        json!({"get": {"operationId": "list_revisions", "summary": "A tenant's revisions, newest first: who, when, what changed.", "tags": ["tenants"],
            "parameters": [tenant_param, {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": read_responses(json!({"description": "Revisions.", "content": {"application/json": {"schema": {"type": "object", "properties": {"revisions": {"type": "array", "items": revision_item}}}}}}))}}),
    );
    paths.insert(
        "/v1/admin/tenants/{tenant}/revisions/{revision}".into(),
        json!({"get": {"operationId": "get_revision", "summary": "One revision, with its document (secrets by name only).", "tags": ["tenants"],
            "parameters": [tenant_param, {"name": "revision", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": u64::MAX}}],
            "responses": read_responses(json!({"description": "The revision.", "content": {"application/json": {"schema": revision_item}}}))}}),
    );
    paths.insert(
        "/v1/admin/tenants/{tenant}/rollback".into(),
        json!({"post": {"operationId": "rollback_tenant", "summary": "A new revision equal to an earlier one (checked against today's plugins).", "tags": ["tenants"],
            "parameters": [tenant_param, if_match],
            "requestBody": body(json!({"type": "object", "required": ["revision"], "additionalProperties": false, "properties": {"revision": {"type": "integer", "minimum": 1, "maximum": u64::MAX}}})),
            "responses": write_responses(("200", tenant_ok))}}),
    );
    paths.insert(
        "/v1/admin/tenants/{tenant}/erasures".into(),
        json!({"post": {"operationId": "erase_customer", "summary": "Erase a customer's data (LGPD): their invocation-log rows, idempotency records, cached reads and the personal part of their finished payments (the financial record stays). Refused, changing nothing, while one of their payments is being posted or waits for an operator. Audited with the counts, never the document.", "tags": ["privacy"],
            "parameters": [tenant_param],
            "requestBody": body(json!({"type": "object", "required": ["customer_document_number"], "additionalProperties": false, "properties": {
                "customer_document_number": {"$ref": "#/components/schemas/DocumentText"}}})),
            "responses": common(serde_json::Map::from_iter([
                ("200".to_owned(), json!({"description": "What was erased.", "content": {"application/json": {"schema": {"type": "object", "required": ["erased"], "properties": {"erased": {"type": "object", "properties": {
                    "invocations": {"type": "integer", "minimum": 0}, "idempotency_records": {"type": "integer", "minimum": 0}, "settlements_redacted": {"type": "integer", "minimum": 0}}}}}}}})),
                ("400".to_owned(), problems(&["invalid_input", "invalid_document"])),
                ("404".to_owned(), problems(&["unknown_tenant"])),
                ("409".to_owned(), problems(&["erasure_blocked"])),
                ("413".to_owned(), problems(&["payload_too_large"])),
                ("415".to_owned(), problems(&["unsupported_media_type"])),
            ]))}}),
    );
    definitions.insert(
        "ReconciliationReport".into(),
        json!({"type": "object", "description": "One comparison of a tenant's posted and parked payments with what its ERP shows (through `get_invoice`). Names payments, never customers.",
            "required": ["tenant", "started_at", "finished_at", "since", "checked", "matched", "truncated", "mismatches", "unchecked"],
            "properties": {
                "tenant": {"type": "string"},
                "started_at": {"type": "string", "format": "date-time"},
                "finished_at": {"type": "string", "format": "date-time"},
                "since": {"type": "string", "format": "date-time", "description": "Payments accepted since then were compared."},
                "checked": {"type": "integer", "minimum": 0},
                "matched": {"type": "integer", "minimum": 0},
                "truncated": {"type": "boolean", "description": "More payments fell in the window than one run checks; the oldest were left out."},
                "mismatches": {"type": "array", "items": {"type": "object", "required": ["kind", "settlement_id", "boleto_id", "transaction_id", "amount", "ponte_status", "explanation"], "properties": {
                    "kind": {"type": "string", "enum": ["posted_but_open", "paid_but_not_posted", "paid_before_posting"]},
                    "settlement_id": {"type": "string"}, "boleto_id": {"type": "string"}, "transaction_id": {"type": "string"},
                    "amount": {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$"},
                    "ponte_status": {"type": "string", "enum": ["posted", "parked"]},
                    "outcome": {"type": ["string", "null"]},
                    "erp_amount_due": {"type": ["string", "null"]},
                    "explanation": {"type": "string"}}}},
                "unchecked": {"type": "array", "items": {"type": "object", "required": ["settlement_id", "boleto_id", "reason"], "properties": {
                    "settlement_id": {"type": "string"}, "boleto_id": {"type": "string"}, "reason": {"type": "string"}}}}
            }}),
    );
    paths.insert(
        "/v1/admin/tenants/{tenant}/reconciliation".into(),
        json!({
            "get": {"operationId": "get_reconciliation", "summary": "The tenant's last reconciliation: every payment posted here but open at the ERP, or paid there but parked here; whether one runs now; when the next is due.", "tags": ["operations"],
                "parameters": [tenant_param],
                "responses": read_responses(json!({"description": "The last report.", "content": {"application/json": {"schema": {"type": "object", "required": ["tenant", "running", "report"], "properties": {
                    "tenant": {"type": "string"}, "running": {"type": "boolean"},
                    "next_run_at": {"type": ["string", "null"], "format": "date-time"},
                    "report": {"oneOf": [{"$ref": "#/components/schemas/ReconciliationReport"}, {"type": "null"}]}}}}}}))},
            "post": {"operationId": "run_reconciliation", "summary": "Compare the tenant's recent payments with its ERP now and answer the report (one get_invoice per payment; never posts anything). Audited.", "tags": ["operations"],
                "parameters": [tenant_param],
                "responses": common(serde_json::Map::from_iter([
                    ("200".to_owned(), json!({"description": "The report.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReconciliationReport"}}}})),
                    ("404".to_owned(), problems(&["unknown_tenant"])),
                    ("409".to_owned(), problems(&["reconciliation_running"])),
                    ("501".to_owned(), problems(&["function_not_configured"])),
                ]))}
        }),
    );
    paths.insert(
        "/v1/admin/tenants/{tenant}/passthrough".into(),
        json!({"post": {"operationId": "passthrough", "summary": "Call the raw upstream API a connection's plugin declares (`[passthrough]` in its manifest), with the connection's credentials (added by the host) and under its egress policy, for what the contract doesn't cover yet. Off unless the host runs with `--admin-passthrough`. Audited (method and path, never the query's values or a body).", "tags": ["operations"],
            "parameters": [tenant_param],
            "requestBody": body(json!({"type": "object", "required": ["connection", "method", "path"], "additionalProperties": false, "properties": {
                "connection": {"type": "string", "description": "The tenant's connection (its automation's `[connections.<name>]`)."},
                "method": {"type": "string", "pattern": "^([Gg][Ee][Tt]|[Pp][Oo][Ss][Tt]|[Pp][Uu][Tt]|[Pp][Aa][Tt][Cc][Hh]|[Dd][Ee][Ll][Ee][Tt][Ee])$", "description": "In any case; one the plugin allows."},
                "path": {"type": "string", "pattern": PASSTHROUGH_PATH_PATTERN, "description": "Under the plugin's base URL, inside one of its allowed prefixes; no `..`."},
                "query": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
                "headers": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}, "additionalProperties": {"type": "string", "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}, "description": "Extra headers; never credentials (`Authorization`, `Cookie`, `Proxy-*`) or framing."},
                "body": {"description": "A JSON body, sent as application/json."}}})),
            "responses": common(serde_json::Map::from_iter([
                ("200".to_owned(), json!({"description": "The upstream's answer, redacted with the connection's secrets.", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "content_type", "body"], "properties": {
                    "status": {"type": "integer"}, "content_type": {"type": "string"}, "body": {"description": "JSON when the upstream answered JSON, else its text."}}}}}})),
                ("400".to_owned(), problems(&["invalid_input"])),
                ("403".to_owned(), problems(&["forbidden", "passthrough_disabled", "passthrough_refused"])),
                ("404".to_owned(), problems(&["unknown_tenant", "not_found"])),
                ("413".to_owned(), problems(&["payload_too_large"])),
                ("415".to_owned(), problems(&["unsupported_media_type"])),
                ("502".to_owned(), problems(&["upstream_error"])),
                ("503".to_owned(), problems(&["upstream_unavailable"])),
                ("504".to_owned(), problems(&["upstream_timeout"])),
            ]))}}),
    );
    let key_info = json!({"type": "object", "properties": {"id": {"type": "string"}, "tenant": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string", "enum": ["app", "totem", "admin"]}}, "label": {"type": "string"}, "created_at": {"type": "string"}, "revoked_at": {"type": ["string", "null"]}}});
    paths.insert(
        "/v1/admin/keys".into(),
        json!({
            "get": {"operationId": "list_keys", "summary": "API keys (never a token): the tenant's, or a platform key's choice of `tenant` (all without).", "tags": ["keys"],
                    "parameters": [{"name": "tenant", "in": "query", "required": false, "schema": {"type": "string"}}],
                    "responses": read_responses(json!({"description": "Keys.", "content": {"application/json": {"schema": {"type": "object", "properties": {"keys": {"type": "array", "items": key_info}}}}}}))},
            "post": {"operationId": "create_key", "summary": "Create a key; the token is in this answer only.", "tags": ["keys"],
                     "requestBody": body(json!({"type": "object", "required": ["scopes"], "additionalProperties": false, "properties": {
                         "tenant": {"type": ["string", "null"], "description": "Required with a platform key; a tenant's key makes keys for its own tenant (absent or null)."},
                         "scopes": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["app", "totem", "admin"]}},
                         "label": {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$", "description": "At most 200 characters, no control characters."}}})),
                     "responses": write_responses(("201", json!({"description": "The key, with its token (shown once).", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "token"], "properties": {"id": {"type": "string"}, "token": {"type": "string"}}}}}})))}
        }),
    );
    paths.insert(
        "/v1/admin/keys/{id}".into(),
        json!({"delete": {"operationId": "revoke_key", "summary": "Revoke a key: refused at once on this replica, within a second on the others.", "tags": ["keys"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": common(serde_json::Map::from_iter([("204".to_owned(), json!({"description": "Revoked."})), ("404".to_owned(), problems(&["not_found"]))]))}}),
    );
    paths.insert(
        "/v1/admin/audit".into(),
        json!({"get": {"operationId": "list_audit_events", "summary": "Operators' actions, newest first: who, when, what, before and after without secrets. A tenant's key sees its tenant's; a platform key all, or `tenant`'s.", "tags": ["operations"],
            "parameters": [{"name": "tenant", "in": "query", "required": false, "schema": {"type": "string"}}, {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": read_responses(json!({"description": "Events.", "content": {"application/json": {"schema": {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "at": {"type": "string"}, "actor": {"type": "string"}, "tenant": {"type": ["string", "null"]}, "action": {"type": "string"}, "target": {"type": "string"}, "before": {}, "after": {}}}}}}}}}))}}),
    );
    paths.insert(
        "/v1/admin/invocations".into(),
        json!({"get": {"operationId": "list_invocations", "summary": "The tenant's newest calls, with their upstream requests (redacted).", "tags": ["operations"],
            "parameters": [{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                           {"name": "tenant", "in": "query", "required": false, "description": "Required with a platform key; a tenant's key reads its own.", "schema": {"type": "string"}}],
            "responses": read_responses(json!({"description": "Invocations.", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}))}}),
    );
    paths.insert(
        "/v1/admin/invocations/{id}".into(),
        json!({"get": {"operationId": "get_invocation", "summary": "One call.", "tags": ["operations"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": read_responses(json!({"description": "The invocation.", "content": {"application/json": {"schema": {"type": "object"}}}}))}}),
    );
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
            "field": {"type": "string", "description": "The input field at fault (invalid_input, invalid_document, invalid_configuration)."},
            "errors": {"type": "array", "description": "Every error found (invalid_configuration).", "items": {"type": "object", "required": ["field", "message"], "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
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
        for (path, method) in [
            ("/v1/admin/tenants", "post"),
            ("/v1/admin/tenants/{tenant}", "put"),
            ("/v1/admin/tenants/{tenant}/connections/{name}", "delete"),
            ("/v1/admin/tenants/{tenant}/functions/{function}", "put"),
            ("/v1/admin/tenants/{tenant}/rollback", "post"),
            ("/v1/admin/tenants/{tenant}/erasures", "post"),
            ("/v1/admin/tenants/{tenant}/reconciliation", "get"),
            ("/v1/admin/tenants/{tenant}/reconciliation", "post"),
            ("/v1/admin/keys", "post"),
            ("/v1/admin/keys/{id}", "delete"),
            ("/v1/admin/audit", "get"),
        ] {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path}");
            assert!(op["responses"]["401"].is_object() && op["responses"]["403"].is_object(), "{method} {path}");
        }
        assert_eq!(
            doc["paths"]["/v1/admin/tenants/{tenant}"]["put"]["responses"]["422"]["description"],
            "`invalid_configuration`"
        );
    }

    #[test]
    fn every_operation_documents_the_answers_any_request_may_get() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let responses = &operation["responses"];
                let public = operation["security"].as_array().is_some_and(Vec::is_empty);
                let mut expected = Vec::new();
                if !public {
                    expected.extend(["401", "403", "429", "500"]);
                }
                if operation.get("requestBody").is_some() {
                    expected.extend(["400", "413", "415"]);
                }
                for status in expected {
                    assert!(responses[status].is_object(), "{method} {path} does not document {status}");
                }
            }
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
