//! Upstream quotas a plugin declares in its manifest (`[quotas.*]`): counted durably per tenant
//! connection, refused with `429 quota_exhausted` before the upstream is called, visible in
//! `GET /v1/functions` and the metrics, kept across a host restart.

use ponte_erp_sim::faults::Fault;
use ponte_tests::{Backend, TestHost, TestHostBuilder, assert_problem, on_both_backends};
use serde_json::{Value, json};

/// A plugin whose `create_lead` reads one IXC record (a request the simulator counts) and is
/// capped at 3 successful calls a month.
const MANIFEST: &str = r#"
name = "capped"
version = "0.1.0"
runtime = "rhai"
functions = ["create_lead"]
hosts = ["{base_url}"]

[settings.base_url]
[settings.user_id]
[settings.token]
secret = true

[quotas.creations]
functions = ["create_lead"]
limit = 3
period = "month"
description = "the service allows 3 creations a month per account"
"#;

const SCRIPT: &str = r#"
fn create_lead(input) {
    let response = http(#{
        method: "POST",
        url: config("base_url") + "/webservice/v1/cliente",
        headers: #{ "Authorization": basic_auth(config("user_id"), config("token")), "ixcsoft": "listar" },
        json: #{ qtype: "cliente.id", query: "101", oper: "=", page: "1", rp: "1" },
    });
    if response.status >= 500 { fail("upstream_unavailable", "the service is down"); }
    #{}
}
"#;

fn automation() -> String {
    r#"name = "ACME Telecom"
allow_private = ["127.0.0.1"]

[connections.docs]
plugin = "capped"
timeout = "5s"
settings = { base_url = "${env:IXC_URL}", user_id = "1", token = "${env:IXC_TOKEN}" }

[functions]
create_lead = "docs"
"#
    .to_owned()
}

fn builder(backend: Backend) -> TestHostBuilder {
    TestHost::builder().backend(backend).plugin("capped", MANIFEST, SCRIPT).automation("acme.toml", automation())
}

fn lead(n: u32) -> Value {
    json!({ "lead": { "name": format!("Lead {n}"), "email": format!("lead{n}@example.com") } })
}

async fn quota_in_functions(host: &TestHost) -> Value {
    let request = host.request(reqwest::Method::GET, "/v1/functions").bearer_auth(&host.app_key);
    let listing = host.send(request).await;
    let functions = listing.body["functions"].as_array().cloned().unwrap_or_default();
    let entry = functions.iter().find(|f| f["name"] == "create_lead").expect("create_lead is listed");
    assert_eq!(entry["plugin"], "capped");
    entry["quota"].clone()
}

on_both_backends!(
    the_call_past_the_quota_is_refused_before_the_upstream,
    a_failed_call_gives_its_unit_back,
    a_call_whose_answer_was_lost_keeps_its_unit
);

async fn the_call_past_the_quota_is_refused_before_the_upstream(backend: Backend) {
    let host = builder(backend).start().await;
    for n in 0..3 {
        let (status, body) = host.call(&host.app_key, "create_lead", lead(n)).await;
        assert_eq!(status.as_u16(), 200, "{body}");
    }
    let quota = quota_in_functions(&host).await;
    assert_eq!(
        (quota["limit"].as_u64(), quota["used"].as_u64(), quota["remaining"].as_u64()),
        (Some(3), Some(3), Some(0))
    );
    assert!(quota["resets_at"].as_str().unwrap_or_default().ends_with("T00:00:00-03:00"), "{quota}");

    let requests = host.sim.request_count();
    let refused = host.call_with(&host.app_key, "create_lead", lead(3), &[]).await;
    let problem = assert_problem(&refused, 429, "quota_exhausted");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("`creations` (3 per month)") && detail.contains("resets at"), "{detail}");
    assert_eq!(host.sim.request_count(), requests, "the upstream was not called");
    let metrics = host.send(host.request(reqwest::Method::GET, "/metrics")).await;
    let text = metrics.body.as_str().unwrap_or_default();
    assert!(text.contains(r#"ponte_quota_remaining{tenant="acme",connection="docs",quota="creations"} 0"#), "{text}");
    host.stop().await;
}

async fn a_failed_call_gives_its_unit_back(backend: Backend) {
    let host = builder(backend).start().await;
    host.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let failed = host.call_with(&host.app_key, "create_lead", lead(0), &[]).await;
    assert_problem(&failed, 503, "upstream_unavailable");
    assert_eq!(quota_in_functions(&host).await["used"], 0, "nothing was created: the unit is back");
    let (status, _) = host.call(&host.app_key, "create_lead", lead(1)).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(quota_in_functions(&host).await["remaining"], 2);
    host.stop().await;
}

async fn a_call_whose_answer_was_lost_keeps_its_unit(backend: Backend) {
    let host = builder(backend).start().await;
    // The service does the work, then the connection drops before its answer.
    host.sim.faults().push(Fault::LoseResponse { times: 1 });
    let lost = host.call_with(&host.app_key, "create_lead", lead(0), &[]).await;
    assert_problem(&lost, 503, "upstream_unavailable");
    assert_eq!(quota_in_functions(&host).await["used"], 1, "the service may have created it: the unit is kept");
    let invocations = format!("{:?}", host.invocations().await);
    assert!(invocations.contains("dropped"), "the upstream call says the connection dropped: {invocations}");
    host.stop().await;
}

#[tokio::test]
async fn the_count_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("quota.db").display());
    let first = builder(Backend::Sqlite).database(&database).start().await;
    for n in 0..3 {
        let (status, body) = first.call(&first.app_key, "create_lead", lead(n)).await;
        assert_eq!(status.as_u16(), 200, "{body}");
    }
    first.stop().await;

    let second = builder(Backend::Sqlite).database(&database).start().await;
    let requests = second.sim.request_count();
    let refused = second.call_with(&second.app_key, "create_lead", lead(3), &[]).await;
    assert_problem(&refused, 429, "quota_exhausted");
    assert_eq!(second.sim.request_count(), requests);
    second.stop().await;
}
