//! The HTTP interface's guarantees, through real HTTP: every problem code of the CONTRACT
//! table that the host itself decides, the outbound HTTP policy, secrets, tenant isolation,
//! and the operational endpoints. Adapter-specific behaviour is in `ixc.rs`.

use std::io::{Read as _, Write as _};

use ponte_contract::Scope;
use ponte_tests::{IXC_TOKEN, TENANT, TestHost, assert_problem, captured_logs};
use reqwest::Method;
use serde_json::{Value, json};

const CPF: &str = "714.602.380-01";

/// A test plugin whose every function misbehaves in one way.
const PROBE_MANIFEST: &str = r#"
name = "probe"
version = "9.9.9"
runtime = "rhai"
functions = ["list_invoices", "list_plans", "get_customer", "get_pending_issues", "get_customer_contacts",
             "list_resellers", "list_due_dates", "list_products", "list_commercial_origins", "get_invoice"]
hosts = ["{base_url}", "http://169.254.169.254", "{redirect_url}", "http://127.0.0.2:9"]
[settings.base_url]
[settings.redirect_url]
required = false
[settings.label]
default = "unset"
[settings.token]
secret = true
"#;

const PROBE_SCRIPT: &str = r#"
fn list_invoices(input) {
    [#{ document_number: input.customer_document_number, fatura: "1", valor_inicial: "abc",
        valor_final: "1,00", vencimento: "2026-01-01", remote_id: "1" }]
}
fn list_plans(input) { loop { } }
fn get_customer(input) { let zero = 0; 1 / zero }
fn get_pending_issues(input) { http(#{ url: "https://example.com/" }); [] }
fn get_customer_contacts(input) { http(#{ url: config("base_url") + "/webservice/v1/cliente" }); [] }
fn list_resellers(input) { http(#{ url: "http://169.254.169.254/latest/meta-data/" }); [] }
fn list_due_dates(input) { http(#{ url: config("redirect_url") }); [] }
fn list_products(input) {
    log("using token " + config("token"));
    log("header " + basic_auth("1", config("token")));
    fail("upstream_error", "the ERP refused token " + config("token"));
}
fn list_commercial_origins(input) {
    let before = kv_get("marker");
    kv_set("marker", config("label"));
    [#{ code: "1", description: if before == () { "none" } else { before } }]
}
fn get_invoice(input) { fail("upstream_unavailable", "the ERP is down") }
"#;

fn probe_automation(tenant: &str, allow_private: &str, extra_settings: &str, label: &str) -> String {
    format!(
        r#"tenant = "{tenant}"
allow_private = [{allow_private}]
[connections.p]
plugin = "probe"
timeout = "700ms"
settings = {{ base_url = "${{env:IXC_URL}}", token = "${{env:IXC_TOKEN}}", label = "{label}" {extra_settings} }}
[functions]
list_invoices = "p"
list_plans = "p"
get_customer = "p"
get_pending_issues = "p"
get_customer_contacts = "p"
list_resellers = "p"
list_due_dates = "p"
list_products = "p"
list_commercial_origins = "p"
get_invoice = "p"
"#
    )
}

async fn probe_host(redirect_url: &str) -> TestHost {
    let host = TestHost::builder()
        .plugin("probe", PROBE_MANIFEST, PROBE_SCRIPT)
        .automation(
            &format!("{TENANT}.toml"),
            probe_automation(TENANT, "", &format!(", redirect_url = \"{redirect_url}\""), "acme-label"),
        )
        .automation("other.toml", probe_automation("other", "", "", "other-label"))
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host
}

fn post(host: &TestHost, function: &str) -> reqwest::RequestBuilder {
    host.request(Method::POST, &format!("/v1/functions/{function}"))
}

#[tokio::test]
async fn callers_without_a_valid_key_get_401() {
    let host = TestHost::start().await;
    let body = json!({"customer_document_number": CPF}).to_string();
    let no_key =
        host.send(post(&host, "list_invoices").header("content-type", "application/json").body(body.clone())).await;
    assert_problem(&no_key, 401, "unauthorized");
    for key in ["ponte_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "garbage", ""] {
        let reply = host
            .send(
                post(&host, "list_invoices")
                    .bearer_auth(key)
                    .header("content-type", "application/json")
                    .body(body.clone()),
            )
            .await;
        assert_problem(&reply, 401, "unauthorized");
    }
    let basic = host.send(post(&host, "list_invoices").basic_auth("user", Some("pass")).body(body.clone())).await;
    assert_problem(&basic, 401, "unauthorized");

    let id = host.app_key.split('_').nth(1).expect("key id").to_owned();
    assert!(host.host.store.revoke_api_key(&id).await.expect("revoke"));
    let reply = host.call_with(&host.app_key, "list_invoices", json!({"customer_document_number": CPF}), &[]).await;
    assert_problem(&reply, 401, "unauthorized");
    let list = host.send(host.request(Method::GET, "/v1/functions").bearer_auth(&host.app_key)).await;
    assert_problem(&list, 401, "unauthorized");
    host.stop().await;
}

#[tokio::test]
async fn scope_function_and_configuration_errors() {
    let host = TestHost::builder()
        .automation(
            &format!("{TENANT}.toml"),
            ponte_tests::ixc_automation(TENANT, "").replace("\nlist_invoices = \"erp\"", ""),
        )
        .start()
        .await;
    // The totem's key may not open tickets.
    let reply = host
        .call_with(
            &host.totem_key,
            "create_ticket",
            json!({"customer_document_number": CPF, "subject": "x", "message": "y"}),
            &[],
        )
        .await;
    assert_problem(&reply, 403, "forbidden");
    let reply = host.call_with(&host.app_key, "list_faturas", json!({}), &[]).await;
    assert_problem(&reply, 404, "unknown_function");
    // list_invoices is not in this tenant's automation.
    let reply = host.call_with(&host.app_key, "list_invoices", json!({"customer_document_number": CPF}), &[]).await;
    assert_problem(&reply, 501, "function_not_configured");
    host.stop().await;
}

#[tokio::test]
async fn bad_input_is_rejected_before_any_plugin_runs() {
    let host = TestHost::start().await;
    let before = host.sim.request_count();
    let reply = host
        .call_with(&host.app_key, "list_invoices", json!({"customer_document_number": "714.602.380-02"}), &[])
        .await;
    let body = assert_problem(&reply, 400, "invalid_document");
    assert_eq!(body["field"], "customer_document_number");
    let reply =
        host.call_with(&host.app_key, "list_invoices", json!({"customer_document_number": 71460238001_u64}), &[]).await;
    assert_problem(&reply, 400, "invalid_input");
    let reply = host.call_with(&host.app_key, "list_invoices", json!({}), &[]).await;
    let body = assert_problem(&reply, 400, "invalid_input");
    assert!(body["detail"].as_str().unwrap_or("").contains("customer_document_number"), "{body}");
    let reply =
        host.call_with(&host.app_key, "list_invoices", json!({"customer_document_number": CPF, "cpf": 1}), &[]).await;
    assert_problem(&reply, 400, "invalid_input");

    let not_json = host
        .send(
            post(&host, "list_invoices")
                .bearer_auth(&host.app_key)
                .header("content-type", "application/json")
                .body("{nope"),
        )
        .await;
    assert_problem(&not_json, 400, "invalid_input");
    let text = host
        .send(post(&host, "list_invoices").bearer_auth(&host.app_key).header("content-type", "text/plain").body("{}"))
        .await;
    assert_problem(&text, 415, "unsupported_media_type");
    let huge = format!("{{\"customer_document_number\": \"{CPF}\", \"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let large = host
        .send(
            post(&host, "list_invoices")
                .bearer_auth(&host.app_key)
                .header("content-type", "application/json")
                .body(huge),
        )
        .await;
    assert_problem(&large, 413, "payload_too_large");
    let reply = host
        .send(
            post(&host, "create_ticket")
                .bearer_auth(&host.app_key)
                .header("content-type", "application/json")
                .body(json!({"customer_document_number": CPF, "subject": "x", "message": "y"}).to_string()),
        )
        .await;
    assert_problem(&reply, 428, "idempotency_key_required");
    let reply = host
        .call_with(
            &host.app_key,
            "create_ticket",
            json!({"customer_document_number": CPF, "subject": "x", "message": "y"}),
            &[("idempotency-key", "has space")],
        )
        .await;
    assert_problem(&reply, 400, "invalid_input");
    assert_eq!(host.sim.request_count(), before, "no bad input reached the ERP");
    host.stop().await;
}

#[tokio::test]
async fn plugin_failures_map_to_their_codes_and_only_that_call() {
    let host = probe_host("http://127.0.0.1:9/").await;
    let cpf = json!({"customer_document_number": CPF});
    let reply = host.call_with(&host.app_key, "list_invoices", cpf.clone(), &[]).await;
    let body = assert_problem(&reply, 502, "contract_violation");
    assert!(body["detail"].as_str().unwrap_or("").contains("valor_inicial"), "{body}");
    let reply = host.call_with(&host.app_key, "list_plans", cpf.clone(), &[]).await;
    assert_problem(&reply, 504, "upstream_timeout");
    let reply = host.call_with(&host.app_key, "get_customer", cpf.clone(), &[]).await;
    assert_problem(&reply, 502, "plugin_failed");
    let reply = host.call_with(&host.app_key, "list_products", json!({}), &[]).await;
    assert_problem(&reply, 502, "upstream_error");
    let reply = host
        .call_with(&host.app_key, "get_invoice", json!({"customer_bill_id": "1", "customer_document_number": CPF}), &[])
        .await;
    assert_problem(&reply, 503, "upstream_unavailable");
    // The host is fine afterwards.
    let (status, _) = host.call(&host.app_key, "list_commercial_origins", json!({})).await;
    assert_eq!(status, 200);
    host.stop().await;
}

async fn refused(host: &TestHost, function: &str, body: Value, reason: &str) {
    let reply = host.call_with(&host.app_key, function, body, &[]).await;
    let problem = assert_problem(&reply, 502, "plugin_failed");
    let id = problem["invocation_id"].as_str().unwrap_or_default().to_owned();
    host.host.invocation_log.flush().await;
    let record = host.host.store.invocation(&id).await.expect("store").expect("logged");
    let detail = record.detail.unwrap_or_default();
    assert!(detail.contains("outbound request refused") && detail.contains(reason), "{function}: {detail}");
}

#[tokio::test]
async fn outbound_requests_outside_the_policy_are_refused() {
    // An upstream that redirects into a disallowed internal address.
    let redirector = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let redirect_url = format!("http://{}/", redirector.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in redirector.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:9/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    // The tenant allows 127.0.0.1 (its ERP) but nothing else internal.
    let host = TestHost::builder()
        .plugin("probe", PROBE_MANIFEST, PROBE_SCRIPT)
        .automation(
            &format!("{TENANT}.toml"),
            probe_automation(TENANT, "\"127.0.0.1\"", &format!(", redirect_url = \"{redirect_url}\""), "a"),
        )
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let cpf = json!({"customer_document_number": CPF});
    refused(&host, "get_pending_issues", cpf.clone(), "host not in the plugin's manifest").await;
    refused(&host, "list_resellers", json!({}), "internal address").await;
    refused(&host, "list_due_dates", json!({}), "redirect refused").await;
    host.stop().await;

    // Without the tenant's allowance, even the manifest's own loopback ERP is refused.
    let host = probe_host("http://127.0.0.1:9/").await;
    refused(&host, "get_customer_contacts", cpf, "internal address").await;
    host.stop().await;
}

#[tokio::test]
async fn secrets_never_reach_logs_errors_or_the_invocation_log() {
    let host = probe_host("http://127.0.0.1:9/").await;
    let reply = host.call_with(&host.app_key, "list_products", json!({}), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(!problem.to_string().contains(IXC_TOKEN), "{problem}");
    assert!(problem["detail"].as_str().unwrap_or("").contains("***"), "the ERP's message is kept, redacted: {problem}");
    let records = host.invocations().await;
    let logged = serde_json::to_string(&records).expect("json");
    assert!(!logged.contains(IXC_TOKEN), "invocation log leaks the token");
    let logs = captured_logs();
    assert!(logs.contains("using token ***"), "the plugin's log line is kept, redacted");
    assert!(!logs.contains(IXC_TOKEN), "logs leak the token");
    let basic = ponte_host_basic("1", IXC_TOKEN);
    assert!(!logs.contains(&basic), "logs leak the Basic credentials");
    let metrics = host.send(host.request(Method::GET, "/metrics")).await;
    assert!(!metrics.body.to_string().contains(IXC_TOKEN));
    host.stop().await;
}

fn ponte_host_basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[tokio::test]
async fn tenants_never_see_each_others_data() {
    let host = probe_host("http://127.0.0.1:9/").await;
    host.host.store.ensure_tenant("other", "Other").await.expect("tenant");
    let other = host.host.store.create_api_key("other", &[Scope::App, Scope::Admin], "other").await.expect("key").token;

    // Same plugin, same kv key: each tenant sees only its own value.
    let (_, first) = host.call(&host.app_key, "list_commercial_origins", json!({})).await;
    assert_eq!(first[0]["description"], "none");
    let (_, other_first) = host.call(&other, "list_commercial_origins", json!({})).await;
    assert_eq!(other_first[0]["description"], "none", "tenant `other` must not see acme's kv");
    let (_, second) = host.call(&host.app_key, "list_commercial_origins", json!({})).await;
    assert_eq!(second[0]["description"], "acme-label");
    let (_, other_second) = host.call(&other, "list_commercial_origins", json!({})).await;
    assert_eq!(other_second[0]["description"], "other-label");

    // The invocation log is per tenant, and one tenant can't read another's entry by id.
    let acme_log = host.send(host.request(Method::GET, "/v1/admin/invocations").bearer_auth(&host.admin_key)).await;
    let acme_ids: Vec<String> =
        acme_log.body.as_array().into_iter().flatten().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect();
    assert!(!acme_ids.is_empty());
    assert!(acme_log.body.as_array().into_iter().flatten().all(|r| r["tenant"] == TENANT));
    let stolen = host
        .send(host.request(Method::GET, &format!("/v1/admin/invocations/{}", acme_ids[0])).bearer_auth(&other))
        .await;
    assert_problem(&stolen, 404, "not_found");
    let not_admin = host.send(host.request(Method::GET, "/v1/admin/invocations").bearer_auth(&host.app_key)).await;
    assert_problem(&not_admin, 403, "forbidden");
    let bad_limit =
        host.send(host.request(Method::GET, "/v1/admin/invocations?limit=abc").bearer_auth(&host.admin_key)).await;
    assert_problem(&bad_limit, 400, "invalid_input");
    let no_key = host.send(host.request(Method::GET, "/v1/admin/invocations")).await;
    assert_problem(&no_key, 401, "unauthorized");
    host.stop().await;
}

#[tokio::test]
async fn functions_list_shows_what_the_key_may_call_and_who_serves_it() {
    let host = TestHost::start().await;
    let app = host.send(host.request(Method::GET, "/v1/functions").bearer_auth(&host.app_key)).await;
    assert_eq!(app.status, 200);
    let names = |reply: &ponte_tests::Reply| -> Vec<String> {
        reply.body["functions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str().map(str::to_owned))
            .collect()
    };
    let app_names = names(&app);
    assert!(app_names.contains(&"list_invoices".to_owned()));
    let first = &app.body["functions"][0];
    assert_eq!(first["plugin"], "ixc");
    assert!(first["plugin_version"].is_string());
    let totem = host.send(host.request(Method::GET, "/v1/functions").bearer_auth(&host.totem_key)).await;
    let totem_names = names(&totem);
    assert!(!totem_names.is_empty());
    for name in &totem_names {
        let f: ponte_contract::Function = name.parse().expect("function");
        assert!(f.spec().allows(Scope::Totem), "{name} shown to the totem");
    }
    assert!(totem_names.len() < app_names.len());
    host.stop().await;
}

#[tokio::test]
async fn operational_endpoints() {
    let host = TestHost::start().await;
    let health = host.send(host.request(Method::GET, "/healthz")).await;
    assert_eq!(health.status, 200);
    let ready = host.send(host.request(Method::GET, "/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["tenants_loaded"], 1);
    let openapi = host.send(host.request(Method::GET, "/openapi.json")).await;
    assert_eq!(openapi.body["openapi"], "3.1.0");
    assert!(
        openapi.body["paths"]["/v1/functions/settle_invoice"]["post"]["parameters"][0]["name"] == "Idempotency-Key"
    );

    let _ = host.call(&host.app_key, "list_invoices", json!({"customer_document_number": CPF})).await;
    let _ = host.call(&host.app_key, "list_invoices", json!({"customer_document_number": "1"})).await;
    let metrics = host.send(host.request(Method::GET, "/metrics")).await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(text.contains("ponte_calls_total{tenant=\"acme\",function=\"list_invoices\",outcome=\"ok\"}"), "{text}");
    assert!(
        text.contains("ponte_errors_total{tenant=\"acme\",function=\"list_invoices\",code=\"invalid_document\"}"),
        "{text}"
    );
    assert!(text.contains("ponte_call_duration_seconds_bucket"), "{text}");
    assert!(text.contains("ponte_upstream_requests_total{"), "{text}");

    let unknown = host.send(host.request(Method::GET, "/nope")).await;
    assert_problem(&unknown, 404, "no_such_endpoint");
    let method = host.send(host.request(Method::GET, "/v1/functions/list_invoices")).await;
    assert_problem(&method, 405, "method_not_allowed");
    host.stop().await;
}

#[tokio::test]
async fn a_bad_automation_file_does_not_take_down_other_tenants() {
    let host = TestHost::builder()
        .automation("broken.toml", "tenant = \"broken\"\n[functions]\nlist_invoices = \"nowhere\"\n")
        .start()
        .await;
    assert_eq!(host.config_errors.len(), 1, "{:?}", host.config_errors);
    assert!(host.config_errors[0].contains("broken.toml:3"), "{:?}", host.config_errors);
    let (status, _) = host.call(&host.app_key, "list_invoices", json!({"customer_document_number": CPF})).await;
    assert_eq!(status, 200);
    host.host.store.ensure_tenant("broken", "Broken").await.expect("tenant");
    let key = host.host.store.create_api_key("broken", &[Scope::App], "b").await.expect("key").token;
    let reply = host.call_with(&key, "list_invoices", json!({"customer_document_number": CPF}), &[]).await;
    let body = assert_problem(&reply, 501, "function_not_configured");
    assert!(body["detail"].as_str().unwrap_or("").contains("failed to load"), "{body}");
    host.stop().await;
}
