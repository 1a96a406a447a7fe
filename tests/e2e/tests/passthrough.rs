//! The audited raw passthrough through real HTTP: off by default; on, an admin reaches the raw
//! IXC API the plugin declares with the connection's credentials (added by the host, never
//! shown), inside the plugin's methods and paths and the tenant's egress policy; every call in
//! the audit trail before it is sent and once answered.

use ponte_contract::Scope;
use ponte_tests::{TestHost, assert_problem, ixc_automation, test_options};
use serde_json::{Value, json};

async fn passthrough(host: &TestHost, key: &str, tenant: &str, body: Value) -> ponte_tests::Reply {
    let request = host
        .request(reqwest::Method::POST, &format!("/v1/admin/tenants/{tenant}/passthrough"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.to_string());
    host.send(request).await
}

fn list_customers() -> Value {
    json!({
        "connection": "erp",
        "method": "GET",
        "path": "/cliente",
        "body": {"qtype": "cliente.id", "query": "1", "oper": ">=", "rp": "5"},
    })
}

#[tokio::test]
async fn the_passthrough_is_off_unless_the_host_allows_it() {
    let host = TestHost::start().await;
    let reply = passthrough(&host, &host.admin_key, "acme", list_customers()).await;
    assert_problem(&reply, 403, "passthrough_disabled");
    host.stop().await;
}

#[tokio::test]
async fn an_admin_calls_the_raw_api_with_the_connections_credentials_within_the_plugins_rules() {
    let mut options = test_options();
    options.admin_passthrough = true;
    // beta's ERP lives where its policy does not let it go (127.0.0.3 is not allowed).
    let beta = ixc_automation("beta", "").replace("${env:IXC_URL}", "http://127.0.0.3:9");
    let host = TestHost::builder().options(options).automation("beta.toml", beta).start().await;

    let reply = passthrough(&host, &host.admin_key, "acme", list_customers()).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(reply.body["status"], 200, "{}", reply.body);
    let rows = reply.body["body"]["registros"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "the simulator took the host's Basic credentials: {}", reply.body);
    assert!(!reply.body.to_string().contains(ponte_tests::IXC_TOKEN), "the token never comes back");

    // Only what the plugin declares: its methods, paths under its base, no credentials of
    // the caller's, nothing outside the path.
    // A POST to IXC could insert a record or post a payment: the plugin allows GET listings only,
    // and a caller can't add method overrides or its own `ixcsoft` header.
    for method in ["POST", "DELETE"] {
        let mut write = list_customers();
        write["method"] = json!(method);
        assert_problem(&passthrough(&host, &host.admin_key, "acme", write).await, 403, "passthrough_refused");
    }
    for header in ["X-HTTP-Method-Override", "ixcsoft"] {
        let mut override_ = list_customers();
        override_["headers"] = json!({ header: "POST" });
        assert_problem(&passthrough(&host, &host.admin_key, "acme", override_).await, 403, "passthrough_refused");
    }
    for path in ["/../../etc/passwd", "//evil.example/x", "/cliente?x=1", "cliente"] {
        let mut escape = list_customers();
        escape["path"] = json!(path);
        assert_problem(&passthrough(&host, &host.admin_key, "acme", escape).await, 400, "invalid_input");
    }
    let mut own_credentials = list_customers();
    own_credentials["headers"]["Authorization"] = json!("Basic b3RoZXI6dXNlcg==");
    assert_problem(&passthrough(&host, &host.admin_key, "acme", own_credentials).await, 403, "passthrough_refused");
    let mut unknown = list_customers();
    unknown["connection"] = json!("nope");
    assert_problem(&passthrough(&host, &host.admin_key, "acme", unknown).await, 404, "not_found");

    // The tenant's egress policy holds: beta's ERP address is refused before anything is sent.
    let platform = &host.platform_key;
    let refused = passthrough(&host, platform, "beta", list_customers()).await;
    let problem = assert_problem(&refused, 403, "passthrough_refused");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("egress policy"), "{problem}");

    // Another tenant's admin doesn't reach acme; an app key isn't an admin.
    let beta_admin = host.host.store.create_api_key("beta", &[Scope::Admin], "beta").await.expect("key").token;
    assert_problem(&passthrough(&host, &beta_admin, "acme", list_customers()).await, 404, "unknown_tenant");
    assert_problem(&passthrough(&host, &host.app_key, "acme", list_customers()).await, 403, "forbidden");

    // Every call is in the audit trail, with method, path and status, never the body.
    let audit = host.send(host.request(reqwest::Method::GET, "/v1/admin/audit").bearer_auth(&host.admin_key)).await;
    let events: Vec<Value> = audit.body["events"].as_array().cloned().unwrap_or_default();
    let called: Vec<&Value> = events.iter().filter(|e| e["action"] == "passthrough.answered").collect();
    assert!(called.iter().any(|e| e["target"] == "erp GET /cliente" && e["after"]["status"] == 200), "{}", audit.body);
    // Recorded before sending: the one acme call that was sent, not the ones refused before.
    let requested = events.iter().filter(|e| e["action"] == "passthrough.requested").count();
    assert_eq!(requested, 1, "{}", audit.body);
    // beta's call was recorded, then refused by its policy, and that is recorded too.
    let beta_audit = host
        .send(host.request(reqwest::Method::GET, "/v1/admin/audit?tenant=beta").bearer_auth(&host.platform_key))
        .await;
    let beta_events = beta_audit.body.to_string();
    assert!(beta_events.contains("passthrough.requested"), "{beta_events}");
    assert!(beta_events.contains(r#""error":"passthrough_refused""#), "{beta_events}");
    assert!(!audit.body.to_string().contains("qtype"), "no body in the audit trail");
    host.stop().await;
}
