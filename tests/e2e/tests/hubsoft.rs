//! The Hubsoft adapter's OAuth2 token through the real host: granted once and cached in kv,
//! renewed when it expires or is revoked (once, never in a loop), and its secrets never logged.

use std::time::Duration;

use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::hubsoft::HubsoftConfig;
use ponte_erp_sim::people;
use ponte_tests::{HUBSOFT_CLIENT_SECRET, HUBSOFT_PASSWORD, Sim, TENANT, TestHost, assert_problem};
use serde_json::{Value, json};

async fn start(sim: Sim) -> TestHost {
    let manifest = ponte_host::config::manifest::load(&ponte_tests::repo_plugins().join("hubsoft")).expect("manifest");
    let bindings: String = manifest.functions.iter().map(|f| format!("{f} = \"erp\"\n")).collect();
    let automation = format!(
        r#"tenant = "{TENANT}"
allow_private = ["127.0.0.1"]
[connections.erp]
plugin = "hubsoft"
timeout = "5s"
settings = {{ base_url = "${{env:HUBSOFT_URL}}", client_id = "${{env:HUBSOFT_CLIENT_ID}}", client_secret = "${{env:HUBSOFT_CLIENT_SECRET}}", username = "${{env:HUBSOFT_USERNAME}}", password = "${{env:HUBSOFT_PASSWORD}}", cash_account_id = "1" }}
[functions]
{bindings}"#
    );
    let host = TestHost::builder().sim(sim).automation(&format!("{TENANT}.toml"), automation).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host
}

fn with_ttl(ttl: Duration) -> Sim {
    match Sim::hubsoft() {
        Sim::Hubsoft(config) => Sim::Hubsoft(HubsoftConfig { token_ttl: ttl, ..config }),
        other => other,
    }
}

async fn call(host: &TestHost, function: &str) -> (u16, Value) {
    let reply =
        host.call_with(&host.app_key, function, json!({"customer_document_number": people::CUSTOMER_CPF}), &[]).await;
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn one_token_serves_many_calls() {
    let host = start(Sim::hubsoft()).await;
    for function in ["list_invoices", "list_plans", "get_customer", "get_customer_contacts", "list_totem_invoices"] {
        for _ in 0..2 {
            let (status, body) = call(&host, function).await;
            assert_eq!(status, 200, "{function}: {body}");
        }
    }
    assert_eq!(host.sim.token_grants(), 1);
    host.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_the_call_succeeds() {
    let host = start(with_ttl(Duration::from_secs(2))).await;
    assert_eq!(call(&host, "list_plans").await.0, 200);
    assert_eq!(host.sim.token_grants(), 1);
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let (status, body) = call(&host, "list_plans").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.sim.token_grants(), 2);
    host.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_renewed_once_not_in_a_loop() {
    let host = start(Sim::hubsoft()).await;
    assert_eq!(call(&host, "list_plans").await.0, 200);
    host.sim.revoke_tokens();
    let before = host.sim.request_count();
    let (status, body) = call(&host, "list_plans").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.sim.token_grants(), 2);
    assert_eq!(host.sim.request_count() - before, 3, "refused call, grant, retried call");

    // A Hubsoft that answers 401 to every API call: one renewal, then an error.
    host.sim.faults().push_for("/api/v1/", Fault::Status { status: 401, times: 100 });
    let before = host.sim.request_count();
    let reply = host
        .call_with(&host.app_key, "list_plans", json!({"customer_document_number": people::CUSTOMER_CPF}), &[])
        .await;
    assert_problem(&reply, 502, "upstream_error");
    assert_eq!(host.sim.token_grants(), 3);
    assert_eq!(host.sim.request_count() - before, 3, "refused call, grant, refused retry: no loop");
    host.sim.faults().clear();
    host.stop().await;
}

#[tokio::test]
async fn the_secrets_never_reach_the_logs_or_the_invocation_log() {
    let host = start(Sim::hubsoft()).await;
    assert_eq!(call(&host, "list_invoices").await.0, 200);
    host.sim.revoke_tokens();
    assert_eq!(call(&host, "get_customer").await.0, 200);
    let settle = json!({
        "transaction": { "id": "E2E-HUBSOFT-LOG", "amount": "99.90", "paid_at": "2026-05-15T10:00:00-03:00", "method": "pix" },
        "boleto_id": people::INVOICE_OPEN_OVERDUE,
        "customer_document_number": people::CUSTOMER_CPF,
    });
    let (status, body) = host.call(&host.app_key, "settle_invoice", settle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.sim.postings(people::INVOICE_OPEN_OVERDUE), 1);
    let logs = ponte_tests::captured_logs();
    let invocations = format!("{:?}", host.invocations().await);
    assert!(invocations.contains("list_invoices"), "the invocation log is there: {invocations}");
    for secret in [HUBSOFT_CLIENT_SECRET, HUBSOFT_PASSWORD] {
        assert!(!logs.contains(secret), "a secret reached the logs");
        assert!(!invocations.contains(secret), "a secret reached the invocation log");
    }
    host.stop().await;
}

/// `n` calls at once, each a different function so no host-side coalescing could explain a
/// single grant: only the plugin's single-flight token refresh can.
async fn concurrent_calls(host: &TestHost, n: usize) -> Vec<(u16, Value)> {
    let functions = ["list_invoices", "list_plans", "get_customer", "get_customer_contacts", "list_totem_invoices"];
    let calls = (0..n).map(|i| call(host, functions[i % functions.len()]));
    futures_util::future::join_all(calls).await
}

#[tokio::test]
async fn concurrent_calls_on_a_cold_start_share_one_grant() {
    let host = start(Sim::hubsoft()).await;
    // A slow token endpoint: every call reaches it before the first grant is back.
    host.sim.faults().push_for("/oauth/token", Fault::Delay { ms: 300, times: 8 });
    for (status, body) in concurrent_calls(&host, 8).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(host.sim.token_grants(), 1, "one grant for eight concurrent calls");
    host.sim.faults().clear();
    host.stop().await;
}

#[tokio::test]
async fn concurrent_calls_refused_a_revoked_token_renew_it_once() {
    let host = start(Sim::hubsoft()).await;
    assert_eq!(call(&host, "list_plans").await.0, 200);
    host.sim.revoke_tokens();
    host.sim.faults().push_for("/oauth/token", Fault::Delay { ms: 300, times: 8 });
    for (status, body) in concurrent_calls(&host, 8).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(host.sim.token_grants(), 2, "the first grant, then one renewal for eight refused calls");
    host.sim.faults().clear();
    host.stop().await;
}
