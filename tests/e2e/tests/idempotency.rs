//! `Idempotency-Key` on the writing functions, through real HTTP, each rule on SQLite and on
//! PostgreSQL (`name::sqlite`, `name::postgres`).

use std::time::Duration;

use ponte_contract::Scope;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::ixc::data::{CUSTOMER_CONTRACT, CUSTOMER_CPF, CUSTOMER_CPF_DIGITS};
use ponte_tests::{Backend, TestHost, assert_problem, ixc_automation, on_both_backends, test_options};
use serde_json::{Value, json};

fn ticket(subject: &str) -> Value {
    json!({
        "customer_document_number": CUSTOMER_CPF,
        "subject": subject,
        "message": "A conexão cai toda noite.",
        "contract_id": CUSTOMER_CONTRACT,
    })
}

async fn start(backend: Backend) -> TestHost {
    TestHost::builder().backend(backend).start().await
}

async fn ticket_with_key(host: &TestHost, key: &str, body: Value) -> ponte_tests::Reply {
    host.call_with(&host.app_key, "create_ticket", body, &[("idempotency-key", key)]).await
}

on_both_backends!(
    same_key_and_body_replay_the_first_answer_without_calling_the_erp,
    same_key_with_another_body_is_a_conflict_and_calls_nothing,
    keys_are_scoped_per_tenant_and_function,
    concurrent_duplicates_run_once_and_all_get_the_first_answer,
    a_call_that_never_reached_the_erp_releases_its_key,
    an_error_after_the_erp_was_called_is_replayed_too,
    records_expire_after_the_retention,
);

async fn same_key_and_body_replay_the_first_answer_without_calling_the_erp(backend: Backend) {
    let host = start(backend).await;
    let first = ticket_with_key(&host, "ticket-1", ticket("Internet caindo")).await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    let requests = host.sim.request_count();

    // The same request, written differently: keys reordered, the CPF without punctuation.
    let same = json!({
        "contract_id": CUSTOMER_CONTRACT,
        "message": "A conexão cai toda noite.",
        "subject": "Internet caindo",
        "customer_document_number": CUSTOMER_CPF_DIGITS,
    });
    let again = ticket_with_key(&host, "ticket-1", same).await;
    assert_eq!(again.status.as_u16(), 200);
    assert_eq!(again.body, first.body, "the first answer, the same remote id and protocol");
    assert_eq!(host.sim.request_count(), requests, "the ERP was not called again");

    let log = host.invocations().await;
    let replay = log.iter().find(|r| r.outcome == "replayed").expect("the replay is in the invocation log");
    assert_eq!(replay.function, "create_ticket");
    assert!(replay.detail.as_deref().unwrap_or_default().contains("idempotent replay"), "{replay:?}");
    host.stop().await;
}

async fn same_key_with_another_body_is_a_conflict_and_calls_nothing(backend: Backend) {
    let host = start(backend).await;
    let first = ticket_with_key(&host, "ticket-2", ticket("Internet caindo")).await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    let requests = host.sim.request_count();
    let other = ticket_with_key(&host, "ticket-2", ticket("Sem sinal")).await;
    let problem = assert_problem(&other, 409, "idempotency_conflict");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("different `create_ticket` request"), "{problem}");
    assert_eq!(host.sim.request_count(), requests);
    // The first answer is still there for its own body.
    let again = ticket_with_key(&host, "ticket-2", ticket("Internet caindo")).await;
    assert_eq!(again.body, first.body);
    host.stop().await;
}

async fn keys_are_scoped_per_tenant_and_function(backend: Backend) {
    let host = TestHost::builder().backend(backend).automation("beta.toml", ixc_automation("beta", "")).start().await;
    host.host.store.ensure_tenant("beta", "Beta").await.expect("tenant");
    let beta = host.host.store.create_api_key("beta", &[Scope::App], "test").await.expect("key").token;

    let acme = ticket_with_key(&host, "shared-key", ticket("Internet caindo")).await;
    assert_eq!(acme.status.as_u16(), 200, "{}", acme.body);
    let other_tenant =
        host.call_with(&beta, "create_ticket", ticket("Internet caindo"), &[("idempotency-key", "shared-key")]).await;
    assert_eq!(other_tenant.status.as_u16(), 200, "{}", other_tenant.body);
    assert_ne!(other_tenant.body["remote_id"], acme.body["remote_id"], "beta's call ran: a ticket of its own");

    let lead = json!({ "lead": { "name": "Paulo Souza", "email": "paulo@example.com", "phone": "+5511955554444" } });
    let other_function = host.call_with(&host.app_key, "create_lead", lead, &[("idempotency-key", "shared-key")]).await;
    assert_eq!(other_function.status.as_u16(), 200, "{}", other_function.body);
    assert_eq!(other_function.body, json!({}));
    host.stop().await;
}

async fn concurrent_duplicates_run_once_and_all_get_the_first_answer(backend: Backend) {
    let host = start(backend).await;
    // How many ERP requests one ticket takes.
    let before = host.sim.request_count();
    let single = ticket_with_key(&host, "probe", ticket("Sondagem")).await;
    assert_eq!(single.status.as_u16(), 200, "{}", single.body);
    let per_ticket = host.sim.request_count() - before;

    // The ticket insert is slow this time: the duplicates arrive while the first call runs.
    host.sim.faults().push_for("su_ticket", Fault::Delay { ms: 600, times: 1 });
    let before = host.sim.request_count();
    let calls = (0..5).map(|_| ticket_with_key(&host, "burst", ticket("Internet caindo")));
    let replies = futures_util::future::join_all(calls).await;
    let first = &replies[0];
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    for reply in &replies {
        assert_eq!(reply.status, first.status);
        assert_eq!(reply.body, first.body, "every duplicate gets the one answer");
    }
    assert_eq!(host.sim.request_count() - before, per_ticket, "the ERP saw one ticket's requests");
    host.stop().await;
}

async fn a_call_that_never_reached_the_erp_releases_its_key(backend: Backend) {
    let host = start(backend).await;
    // Five unreachable answers in a row open the connection's circuit.
    host.sim.faults().push(Fault::Status { status: 503, times: 5 });
    for _ in 0..5 {
        let reply = host
            .call_with(&host.app_key, "list_invoices", json!({"customer_document_number": CUSTOMER_CPF}), &[])
            .await;
        assert_eq!(reply.status.as_u16(), 503, "{}", reply.body);
    }
    let requests = host.sim.request_count();
    let refused = ticket_with_key(&host, "after-outage", ticket("Internet caindo")).await;
    let problem = assert_problem(&refused, 503, "upstream_unavailable");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("circuit open"), "{problem}");
    assert_eq!(host.sim.request_count(), requests, "nothing was sent");

    // The circuit half-opens after its cooldown; the same key then runs for real.
    tokio::time::sleep(test_options().breaker.cooldown + Duration::from_millis(100)).await;
    let ran = ticket_with_key(&host, "after-outage", ticket("Internet caindo")).await;
    assert_eq!(ran.status.as_u16(), 200, "{}", ran.body);
    assert!(ran.body["remote_id"].is_string());
    host.stop().await;
}

async fn an_error_after_the_erp_was_called_is_replayed_too(backend: Backend) {
    let host = start(backend).await;
    // The ERP answered an error: what it did is its answer, and a retry with the same key gets
    // that answer rather than a second try (a new key is a new request).
    host.sim.faults().push_for("su_ticket", Fault::BusinessError { message: "Assunto inválido".into(), times: 1 });
    let failed = ticket_with_key(&host, "t-err", ticket("Internet caindo")).await;
    let problem = assert_problem(&failed, 502, "upstream_error");
    let requests = host.sim.request_count();
    let again = ticket_with_key(&host, "t-err", ticket("Internet caindo")).await;
    assert_eq!(again.status.as_u16(), 502);
    assert_eq!(again.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    assert_eq!(again.body, problem, "the first problem, its invocation id included");
    assert_eq!(host.sim.request_count(), requests);
    let fresh = ticket_with_key(&host, "t-err-2", ticket("Internet caindo")).await;
    assert_eq!(fresh.status.as_u16(), 200, "{}", fresh.body);
    host.stop().await;
}

async fn records_expire_after_the_retention(backend: Backend) {
    let mut options = test_options();
    options.idempotency_retention = Duration::from_millis(300);
    let host = TestHost::builder().backend(backend).options(options).start().await;
    let first = ticket_with_key(&host, "short-lived", ticket("Internet caindo")).await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Expired: the key is free again, another body is a new request, not a conflict.
    let later = ticket_with_key(&host, "short-lived", ticket("Sem sinal")).await;
    assert_eq!(later.status.as_u16(), 200, "{}", later.body);
    assert_ne!(later.body["remote_id"], first.body["remote_id"]);
    host.stop().await;
}
