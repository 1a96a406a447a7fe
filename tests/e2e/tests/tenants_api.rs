//! Tenants as data (`host/src/api/tenants.rs`): a tenant, its connection and automations
//! created over HTTP and served with no restart; a bad change refused with the field's error
//! while the old one serves; rollback; secrets never returned and stored only sealed; the audit
//! trail; file tenants read-only; who may reach what; two replicas sharing PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ponte_erp_sim::ixc::data::CUSTOMER_CPF;
use ponte_host::invoke::HostOptions;
use ponte_host::secret::keyring::Keyring;
use ponte_host::store::scratch::ScratchPostgres;
use ponte_tests::{IXC_TOKEN, Reply, TENANT, TestHost, assert_problem, test_options};
use reqwest::Method;
use serde_json::{Value, json};

async fn admin(host: &TestHost, key: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut request = host.request(method, path).bearer_auth(key);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    host.send(request).await
}

/// A new tenant `beta` on the IXC adapter, against `host`'s simulator, with `functions`.
fn beta(host: &TestHost, functions: Value) -> Value {
    json!({
        "id": "beta",
        "name": "Beta Fibra",
        "allow_private": ["127.0.0.1"],
        "connections": {"erp": {"plugin": "ixc", "timeout": "5s", "settings": {
            "base_url": host.sim.base_url(), "user_id": "1", "token": IXC_TOKEN}}},
        "functions": functions,
    })
}

async fn key_for(host: &TestHost, key: &str, tenant: &str, scope: &str) -> String {
    let reply = admin(
        host,
        key,
        Method::POST,
        "/v1/admin/keys",
        Some(json!({"tenant": tenant, "scopes": [scope], "label": "app"})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["token"].as_str().expect("token").to_owned()
}

async fn list_invoices(host: &TestHost, key: &str) -> (u16, Value) {
    let (status, body) = host.call(key, "list_invoices", json!({"customer_document_number": CUSTOMER_CPF})).await;
    (status.as_u16(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_made_over_the_api_serves_at_once_with_its_secret_sealed_and_every_action_audited() {
    let host = TestHost::start().await;
    let created =
        admin(&host, &host.platform_key, Method::POST, "/v1/admin/tenants", Some(beta(&host, json!({})))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["revision"], 1);
    assert_eq!(created.body["source"], "api");
    assert_eq!(created.body["document"]["connections"]["erp"]["secrets_set"], json!(["token"]));
    assert_eq!(created.headers["etag"], "\"1\"");
    assert!(!created.body.to_string().contains(IXC_TOKEN), "{}", created.body);

    let bound = admin(
        &host,
        &host.platform_key,
        Method::PUT,
        "/v1/admin/tenants/beta/functions/list_invoices",
        Some(json!("erp")),
    )
    .await;
    assert_eq!((bound.status.as_u16(), bound.body["revision"].as_u64()), (200, Some(2)), "{}", bound.body);
    let app = key_for(&host, &host.platform_key, "beta", "app").await;

    // No restart: served now, and listed.
    let (status, invoices) = list_invoices(&host, &app).await;
    assert_eq!(status, 200, "{invoices}");
    assert!(invoices.as_array().is_some_and(|list| !list.is_empty()), "{invoices}");
    let functions = host.send(host.request(Method::GET, "/v1/functions").bearer_auth(&app)).await;
    assert_eq!(functions.body["tenant"], "beta");
    assert_eq!(functions.body["functions"][0]["name"], "list_invoices");

    // Never returned, and the store holds only ciphertext.
    let shown = admin(&host, &host.platform_key, Method::GET, "/v1/admin/tenants/beta", None).await;
    assert_eq!(shown.status, 200);
    assert!(!shown.body.to_string().contains(IXC_TOKEN) && !shown.body.to_string().contains("sealed:"));
    let row = host.host.store.tenant_revision("beta", None).await.expect("store").expect("row");
    let stored = row.document.expect("document");
    assert!(!stored.contains(IXC_TOKEN), "{stored}");
    assert!(stored.contains("\"token\":\"sealed:v1:"), "{stored}");

    // A change that leaves the secret out keeps it; the tenant still serves.
    let renamed = beta(&host, json!({"list_invoices": "erp"}));
    let mut renamed = renamed.as_object().cloned().expect("object");
    renamed.remove("id");
    renamed["name"] = json!("Beta Fibra Óptica");
    renamed["connections"]["erp"]["settings"].as_object_mut().expect("settings").remove("token");
    let changed =
        admin(&host, &host.platform_key, Method::PUT, "/v1/admin/tenants/beta", Some(Value::Object(renamed))).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(list_invoices(&host, &app).await.0, 200);

    let audit = admin(&host, &host.platform_key, Method::GET, "/v1/admin/audit?tenant=beta", None).await;
    let actions: Vec<&str> =
        audit.body["events"].as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["tenant.changed", "api_key.created", "tenant.changed", "tenant.created"]);
    let events = audit.body["events"].to_string();
    assert!(!events.contains(IXC_TOKEN) && !events.contains("sealed:"), "{events}");
    assert_eq!(audit.body["events"][0]["before"]["name"], "Beta Fibra");
    assert_eq!(audit.body["events"][0]["after"]["name"], "Beta Fibra Óptica");
    let platform_id = host.platform_key.split('_').nth(1).expect("key id");
    assert_eq!(audit.body["events"][0]["actor"], platform_id);

    // Removed: its keys are revoked with it, and its id is not handed to someone else.
    let removed = admin(&host, &host.platform_key, Method::DELETE, "/v1/admin/tenants/beta", None).await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let (status, body) = list_invoices(&host, &app).await;
    assert_eq!(status, 401, "{body}");
    let again = admin(&host, &host.platform_key, Method::POST, "/v1/admin/tenants", Some(beta(&host, json!({})))).await;
    let problem = assert_problem(&again, 409, "revision_conflict");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("used before"), "{problem}");
    // The platform can bring it back by rolling back; its keys stay revoked.
    let back =
        admin(&host, &host.platform_key, Method::POST, "/v1/admin/tenants/beta/rollback", Some(json!({"revision": 3})))
            .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(list_invoices(&host, &app).await.0, 401);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_change_is_refused_with_the_files_error_and_rollback_restores_a_revision() {
    let host = TestHost::start().await;
    let key = &host.platform_key;
    let created =
        admin(&host, key, Method::POST, "/v1/admin/tenants", Some(beta(&host, json!({"list_invoices": "erp"})))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let app = key_for(&host, key, "beta", "app").await;
    assert_eq!(list_invoices(&host, &app).await.0, 200);

    // Refused, naming the field with the automation file's own message; nothing changes.
    let bad = admin(
        &host,
        key,
        Method::PUT,
        "/v1/admin/tenants/beta/functions/get_invoice",
        Some(json!({"use": "erp", "cache_ttl": "1m"})),
    )
    .await;
    let problem = assert_problem(&bad, 422, "invalid_configuration");
    assert_eq!(problem["field"], "functions.get_invoice.cache_ttl");
    assert_eq!(problem["errors"][0]["message"], "`get_invoice` must never be served from cache");
    let bad = admin(
        &host,
        key,
        Method::PUT,
        "/v1/admin/tenants/beta/connections/erp",
        Some(json!({"plugin": "ixc", "settings": {"base_url": "${env:HOME}", "colour": "blue"}})),
    )
    .await;
    let problem = assert_problem(&bad, 422, "invalid_configuration");
    assert_eq!(problem["field"], "connections.erp.settings.base_url", "references are for files");
    let bad = admin(
        &host,
        key,
        Method::PUT,
        "/v1/admin/tenants/beta/connections/erp",
        Some(json!({"plugin": "ixc", "settings": {"base_url": host.sim.base_url(), "colour": "blue"}})),
    )
    .await;
    let problem = assert_problem(&bad, 422, "invalid_configuration");
    assert_eq!(problem["field"], "connections.erp.settings.colour");
    assert_eq!(problem["errors"][0]["message"], "plugin `ixc` has no setting `colour`");
    let bad =
        admin(&host, key, Method::PUT, "/v1/admin/tenants/beta/functions/list_plans", Some(json!("nowhere"))).await;
    assert_eq!(assert_problem(&bad, 422, "invalid_configuration")["field"], "functions.list_plans");
    assert_eq!(list_invoices(&host, &app).await.0, 200, "the old configuration keeps serving");
    let revisions = admin(&host, key, Method::GET, "/v1/admin/tenants/beta/revisions", None).await;
    assert_eq!(revisions.body["revisions"].as_array().map(Vec::len), Some(1), "nothing refused was stored");

    // A change that drops the function, then rollback to revision 1.
    let dropped = admin(&host, key, Method::DELETE, "/v1/admin/tenants/beta/functions/list_invoices", None).await;
    assert_eq!(dropped.status, 200, "{}", dropped.body);
    assert_eq!(list_invoices(&host, &app).await.0, 501);
    let stale = admin(&host, key, Method::POST, "/v1/admin/tenants/beta/rollback", Some(json!({"revision": 1}))).await;
    assert_eq!(stale.status, 200, "{}", stale.body);
    assert_eq!(stale.body["revision"], 3);
    assert_eq!(list_invoices(&host, &app).await.0, 200, "revision 1 serves again");
    let revisions = admin(&host, key, Method::GET, "/v1/admin/tenants/beta/revisions", None).await;
    let summaries: Vec<&str> =
        revisions.body["revisions"].as_array().expect("list").iter().filter_map(|r| r["summary"].as_str()).collect();
    assert_eq!(summaries[0], "rolled back to revision 1");
    assert_eq!(summaries[1], "functions.list_invoices removed");
    let one = admin(&host, key, Method::GET, "/v1/admin/tenants/beta/revisions/1", None).await;
    assert_eq!(one.body["document"]["functions"]["list_invoices"], "erp");
    assert!(!one.body.to_string().contains(IXC_TOKEN));

    // A stale If-Match loses; so does a rollback to a revision that doesn't exist.
    let conflict = host
        .send(
            host.request(Method::PUT, "/v1/admin/tenants/beta/functions/get_invoice")
                .bearer_auth(key)
                .header("content-type", "application/json")
                .header("if-match", "\"1\"")
                .body("\"erp\""),
        )
        .await;
    assert_problem(&conflict, 409, "revision_conflict");
    let missing =
        admin(&host, key, Method::POST, "/v1/admin/tenants/beta/rollback", Some(json!({"revision": 99}))).await;
    assert_problem(&missing, 404, "not_found");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_tenants_are_read_only_and_each_key_reaches_only_what_it_may() {
    let host = TestHost::start().await;
    let platform = &host.platform_key;
    let created = admin(&host, platform, Method::POST, "/v1/admin/tenants", Some(beta(&host, json!({})))).await;
    assert_eq!(created.status, 201, "{}", created.body);

    // The file is the source of truth of a tenant it defines.
    let listed = admin(&host, platform, Method::GET, "/v1/admin/tenants", None).await;
    let sources: Vec<(String, String)> = listed.body["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| (t["id"].as_str().unwrap_or("").to_owned(), t["source"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(sources, [(TENANT.to_owned(), "file".to_owned()), ("beta".to_owned(), "api".to_owned())]);
    let shown = admin(&host, platform, Method::GET, &format!("/v1/admin/tenants/{TENANT}"), None).await;
    assert_eq!(shown.body["document"]["connections"]["erp"]["secrets_set"], json!(["token"]));
    assert!(!shown.body.to_string().contains(IXC_TOKEN));
    let refused = admin(
        &host,
        platform,
        Method::PUT,
        &format!("/v1/admin/tenants/{TENANT}/functions/list_plans"),
        Some(json!("erp")),
    )
    .await;
    assert_problem(&refused, 409, "tenant_read_only");
    let again =
        admin(&host, platform, Method::POST, "/v1/admin/tenants", Some(json!({"id": TENANT, "name": "x"}))).await;
    assert_problem(&again, 409, "revision_conflict");

    // A tenant's admin sees and changes its own tenant only, and can't create or remove one.
    let beta_admin = key_for(&host, platform, "beta", "admin").await;
    let own = admin(&host, &beta_admin, Method::GET, "/v1/admin/tenants", None).await;
    assert_eq!(own.body["tenants"].as_array().map(Vec::len), Some(1));
    assert_eq!(own.body["tenants"][0]["id"], "beta");
    assert_problem(
        &admin(&host, &beta_admin, Method::GET, &format!("/v1/admin/tenants/{TENANT}"), None).await,
        404,
        "unknown_tenant",
    );
    let changed =
        admin(&host, &beta_admin, Method::PUT, "/v1/admin/tenants/beta/functions/list_invoices", Some(json!("erp")))
            .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    // Internal addresses and removals are the platform's: a tenant's admin can't open the host's
    // network to its ERP's requests.
    let mut opened = beta(&host, json!({"list_invoices": "erp"}));
    opened.as_object_mut().expect("object").remove("id");
    opened["allow_private"] = json!(["0.0.0.0/0"]);
    let refused = admin(&host, &beta_admin, Method::PUT, "/v1/admin/tenants/beta", Some(opened)).await;
    assert_problem(&refused, 403, "forbidden");
    // A secret kept is never sent to a new address: moving base_url takes the token again.
    let moved = admin(
        &host,
        &beta_admin,
        Method::PUT,
        "/v1/admin/tenants/beta/connections/erp",
        Some(json!({"plugin": "ixc", "settings": {"base_url": "http://attacker.example", "user_id": "1"}})),
    )
    .await;
    assert_eq!(assert_problem(&moved, 422, "invalid_configuration")["field"], "connections.erp.secrets.token");
    let other =
        admin(&host, &beta_admin, Method::POST, "/v1/admin/keys", Some(json!({"tenant": TENANT, "scopes": ["app"]})))
            .await;
    assert_problem(&other, 404, "unknown_tenant");
    assert_problem(
        &admin(&host, &beta_admin, Method::POST, "/v1/admin/tenants", Some(beta(&host, json!({})))).await,
        403,
        "forbidden",
    );
    assert_problem(&admin(&host, &beta_admin, Method::DELETE, "/v1/admin/tenants/beta", None).await, 403, "forbidden");
    let audit = admin(&host, &beta_admin, Method::GET, &format!("/v1/admin/audit?tenant={TENANT}"), None).await;
    assert!(audit.body["events"].as_array().expect("events").iter().all(|e| e["tenant"] == "beta"), "{}", audit.body);

    // A platform key names the tenant whose log and settlements it reads; a tenant's key can't.
    let log = admin(&host, platform, Method::GET, &format!("/v1/admin/invocations?tenant={TENANT}"), None).await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert_problem(&admin(&host, platform, Method::GET, "/v1/admin/invocations", None).await, 400, "invalid_input");
    let parked =
        admin(&host, platform, Method::GET, &format!("/v1/admin/settlements?tenant={TENANT}&state=parked"), None).await;
    assert_eq!(parked.status, 200, "{}", parked.body);
    let other = admin(&host, &beta_admin, Method::GET, &format!("/v1/admin/invocations?tenant={TENANT}"), None).await;
    assert_problem(&other, 404, "unknown_tenant");
    let other =
        admin(&host, &beta_admin, Method::POST, &format!("/v1/admin/settlements/x/retry?tenant={TENANT}"), None).await;
    assert_problem(&other, 404, "unknown_tenant");

    // Callers' keys and no key reach nothing here.
    for path in ["/v1/admin/tenants", "/v1/admin/audit", "/v1/admin/keys", "/v1/admin/tenants/beta/revisions"] {
        assert_problem(&admin(&host, &host.app_key, Method::GET, path, None).await, 403, "forbidden");
        assert_problem(&host.send(host.request(Method::GET, path)).await, 401, "unauthorized");
    }

    // A revoked key is refused at once.
    let app = key_for(&host, &beta_admin, "beta", "app").await;
    assert_eq!(list_invoices(&host, &app).await.0, 200);
    let id = app.split('_').nth(1).expect("id");
    assert_eq!(admin(&host, &beta_admin, Method::DELETE, &format!("/v1/admin/keys/{id}"), None).await.status, 204);
    assert_eq!(list_invoices(&host, &app).await.0, 401);
    let audit = admin(&host, platform, Method::GET, "/v1/admin/audit?tenant=beta&limit=1", None).await;
    assert_eq!(audit.body["events"][0]["action"], "api_key.revoked");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_at_every_admin_endpoint_gets_a_clear_problem_and_changes_nothing() {
    let host = TestHost::start().await;
    let key = &host.platform_key;
    let created =
        admin(&host, key, Method::POST, "/v1/admin/tenants", Some(beta(&host, json!({"list_invoices": "erp"})))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let cases: Vec<(Method, &str, Option<&str>, u16, &str)> = vec![
        (Method::POST, "/v1/admin/tenants", Some("{not json"), 400, "invalid_input"),
        (Method::POST, "/v1/admin/tenants", Some("{\"name\": \"no id\"}"), 400, "invalid_input"),
        (
            Method::POST,
            "/v1/admin/tenants",
            Some("{\"id\": \"Bad Id\", \"name\": \"x\"}"),
            422,
            "invalid_configuration",
        ),
        (
            Method::POST,
            "/v1/admin/tenants",
            Some("{\"id\": \"new\", \"name\": \"x\", \"colour\": 1}"),
            400,
            "invalid_input",
        ),
        (Method::PUT, "/v1/admin/tenants/beta", Some("[]"), 400, "invalid_input"),
        (Method::PUT, "/v1/admin/tenants/beta/connections/erp", Some("{\"plugin\": 7}"), 400, "invalid_input"),
        (
            Method::PUT,
            "/v1/admin/tenants/beta/connections/Bad%20Name",
            Some("{\"plugin\": \"ixc\"}"),
            422,
            "invalid_configuration",
        ),
        (
            Method::PUT,
            "/v1/admin/tenants/beta/functions/list_invoices",
            Some("{\"use\": \"erp\", \"extra\": 1}"),
            400,
            "invalid_input",
        ),
        (
            Method::PUT,
            "/v1/admin/tenants/beta/functions/no_such_function",
            Some("\"erp\""),
            422,
            "invalid_configuration",
        ),
        (Method::DELETE, "/v1/admin/tenants/beta/functions/list_plans", None, 404, "not_found"),
        (Method::DELETE, "/v1/admin/tenants/beta/connections/nowhere", None, 404, "not_found"),
        (Method::POST, "/v1/admin/tenants/beta/rollback", Some("{\"revision\": \"one\"}"), 400, "invalid_input"),
        (Method::GET, "/v1/admin/tenants/beta/revisions/abc", None, 404, "not_found"),
        (Method::GET, "/v1/admin/tenants/beta/revisions?limit=-1", None, 400, "invalid_input"),
        (Method::GET, "/v1/admin/tenants/nobody", None, 404, "unknown_tenant"),
        (Method::PUT, "/v1/admin/tenants/nobody/functions/list_invoices", Some("\"erp\""), 404, "unknown_tenant"),
        (Method::POST, "/v1/admin/keys", Some("{\"tenant\": \"beta\", \"scopes\": []}"), 400, "invalid_input"),
        (Method::POST, "/v1/admin/keys", Some("{\"tenant\": \"beta\", \"scopes\": [\"root\"]}"), 400, "invalid_input"),
        (Method::POST, "/v1/admin/keys", Some("{\"scopes\": [\"app\"]}"), 400, "invalid_input"),
        (
            Method::POST,
            "/v1/admin/keys",
            Some("{\"tenant\": \"nobody\", \"scopes\": [\"app\"]}"),
            404,
            "unknown_tenant",
        ),
        (Method::DELETE, "/v1/admin/keys/000000000000", None, 404, "not_found"),
        (Method::GET, "/v1/admin/audit?limit=x", None, 400, "invalid_input"),
    ];
    for (method, path, body, status, code) in cases {
        let mut request = host.request(method.clone(), path).bearer_auth(key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let reply = host.send(request).await;
        assert_eq!(reply.status.as_u16(), status, "{method} {path} {body:?}: {}", reply.body);
        assert_eq!(reply.body["code"], code, "{method} {path}: {}", reply.body);
    }
    let not_json = host
        .send(
            host.request(Method::PUT, "/v1/admin/tenants/beta/functions/get_invoice").bearer_auth(key).body("\"erp\""),
        )
        .await;
    assert_problem(&not_json, 415, "unsupported_media_type");
    let revisions = admin(&host, key, Method::GET, "/v1/admin/tenants/beta/revisions", None).await;
    assert_eq!(revisions.body["revisions"].as_array().map(Vec::len), Some(1), "nothing was stored: {}", revisions.body);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_replica_sharing_postgres_serves_a_change_within_two_seconds() {
    let scratch = ScratchPostgres::create().await.unwrap_or_else(|e| panic!("{e:#}"));
    // Replicas share the store and the key that seals its secrets.
    let keyring = Arc::new(Keyring::ephemeral());
    let options = HostOptions { keyring, ..test_options() };
    let first = TestHost::builder().database(scratch.url()).options(options.clone()).start().await;
    let second = TestHost::builder().database(scratch.url()).options(options).start().await;

    let created = admin(
        &first,
        &first.platform_key,
        Method::POST,
        "/v1/admin/tenants",
        Some(beta(&first, json!({"list_invoices": "erp"}))),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let app = key_for(&first, &first.platform_key, "beta", "app").await;
    assert_eq!(list_invoices(&first, &app).await.0, 200, "at once on the replica that took it");

    let served_within = |host: &TestHost, app: String, want: u16| {
        let host_url = host.base_url.clone();
        async move {
            let client = reqwest::Client::new();
            let started = Instant::now();
            loop {
                let status = client
                    .post(format!("{host_url}/v1/functions/list_invoices"))
                    .bearer_auth(&app)
                    .header("content-type", "application/json")
                    .body(json!({"customer_document_number": CUSTOMER_CPF}).to_string())
                    .send()
                    .await
                    .expect("call")
                    .status()
                    .as_u16();
                if status == want {
                    return started.elapsed();
                }
                assert!(
                    started.elapsed() < Duration::from_secs(2),
                    "the second replica still answers {status} after 2 s"
                );
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    };
    served_within(&second, app.clone(), 200).await;

    // A change made on the second reaches the first the same way.
    let dropped =
        admin(&second, &second.platform_key, Method::DELETE, "/v1/admin/tenants/beta/functions/list_invoices", None)
            .await;
    assert_eq!(dropped.status, 200, "{}", dropped.body);
    served_within(&first, app.clone(), 501).await;
    let rolled = admin(
        &first,
        &first.platform_key,
        Method::POST,
        "/v1/admin/tenants/beta/rollback",
        Some(json!({"revision": 1})),
    )
    .await;
    assert_eq!(rolled.status, 200, "{}", rolled.body);
    served_within(&second, app, 200).await;
    first.stop().await;
    second.stop().await;
}
