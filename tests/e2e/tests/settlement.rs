//! The durable settlement queue through real HTTP, on SQLite and on PostgreSQL: payments
//! accepted before any ERP call, retried while the ERP is down, verified after a lost answer or
//! a crash, posted exactly once (counted at the simulator), parked for a human when they can't.

use std::time::Duration;

use ponte_contract::Scope;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::ixc::data::{
    COMPANY_INVOICE_GATEWAY, CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, INVOICE_OPEN, INVOICE_OPEN_OVERDUE,
};
use ponte_host::store::{Inserted, NewSettlement};
use ponte_tests::{Backend, TestHost, assert_problem, ixc_automation, on_both_backends, test_options};
use serde_json::{Value, json};

fn payment(transaction_id: &str, amount: &str, boleto: &str) -> Value {
    json!({
        "transaction": { "id": transaction_id, "amount": amount, "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix" },
        "boleto_id": boleto,
        "customer_document_number": CUSTOMER_CPF,
    })
}

/// Posts a payment as the app does (a kiosk's answer hides the ERP's `api_response`, which these
/// tests read: see `privacy.rs`).
async fn settle(host: &TestHost, body: Value) -> ponte_tests::Reply {
    host.call_with(&host.app_key, "settle_invoice", body, &[]).await
}

async fn start(backend: Backend) -> TestHost {
    TestHost::builder().backend(backend).start().await
}

fn settlement_id(reply: &ponte_tests::Reply) -> String {
    assert_eq!(reply.status.as_u16(), 202, "{}", reply.body);
    assert_eq!(reply.body["status"], "queued", "{}", reply.body);
    reply.body["settlement_id"].as_str().expect("settlement id").to_owned()
}

async fn admin(host: &TestHost, method: reqwest::Method, path: &str, body: Option<Value>) -> ponte_tests::Reply {
    let mut request = host.request(method, path).bearer_auth(&host.admin_key);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    host.send(request).await
}

on_both_backends!(
    a_payment_while_the_erp_is_down_is_queued_then_posted_once,
    a_lost_answer_is_verified_with_the_erp_not_posted_again,
    the_same_payment_under_other_keys_is_one_settlement,
    the_same_transaction_with_other_details_is_a_conflict,
    exhausted_attempts_park_and_an_operator_retries_or_resolves,
    a_doubtful_posting_without_get_invoice_is_parked_not_reposted,
    an_attempt_that_died_is_taken_over_and_checked_first,
    settlements_are_visible_only_to_their_tenant,
);

async fn a_payment_while_the_erp_is_down_is_queued_then_posted_once(backend: Backend) {
    let host = start(backend).await;
    host.sim.faults().push(Fault::Status { status: 503, times: 3 });
    let reply = settle(&host, payment("E-down-1", "99.90", INVOICE_OPEN)).await;
    let id = settlement_id(&reply);
    let settled = host.wait_settled(&id).await;
    assert_eq!(settled["status"], "posted", "{settled}");
    assert_eq!(settled["outcome"], "posted");
    assert_eq!(settled["result"]["success"], true);
    assert!(settled["attempts"].as_u64().unwrap_or(0) >= 2, "{settled}");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);
    let metrics = host.send(host.request(reqwest::Method::GET, "/metrics")).await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(text.contains(r#"ponte_settlements_total{tenant="acme",event="accepted"} 1"#), "{text}");
    assert!(text.contains(r#"ponte_settlements_total{tenant="acme",event="retry"}"#), "{text}");
    assert!(text.contains(r#"ponte_settlements_total{tenant="acme",event="posted"} 1"#), "{text}");
    host.stop().await;
}

async fn a_lost_answer_is_verified_with_the_erp_not_posted_again(backend: Backend) {
    let host = start(backend).await;
    host.sim.faults().push_for("recebimentos_baixas_novo", Fault::LoseResponse { times: 1 });
    let reply = settle(&host, payment("E-lost-1", "99.90", INVOICE_OPEN)).await;
    let id = settlement_id(&reply);
    let settled = host.wait_settled(&id).await;
    assert_eq!(settled["status"], "posted", "{settled}");
    assert_eq!(settled["outcome"], "verified_paid", "{settled}");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1, "posted once, though its answer was lost");
    host.stop().await;
}

async fn the_same_payment_under_other_keys_is_one_settlement(backend: Backend) {
    let host = start(backend).await;
    // A bank delivering one PIX webhook three times at once, each with its own request id.
    let body = payment("E-dup-1", "99.90", INVOICE_OPEN);
    let (a, b, c) = tokio::join!(settle(&host, body.clone()), settle(&host, body.clone()), settle(&host, body.clone()));
    let posted: Vec<&ponte_tests::Reply> = [&a, &b, &c].into_iter().filter(|r| r.status.as_u16() == 200).collect();
    assert!(!posted.is_empty(), "{} {} {}", a.body, b.body, c.body);
    for reply in [&a, &b, &c] {
        assert!(matches!(reply.status.as_u16(), 200 | 202), "{}", reply.body);
    }
    // A later delivery (the CPF written differently) gets the posted answer.
    let mut later = body.clone();
    later["customer_document_number"] = json!(CUSTOMER_CPF_DIGITS);
    let again = settle(&host, later).await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.body);
    assert_eq!(again.body, posted[0].body);
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);
    let list = admin(&host, reqwest::Method::GET, "/v1/admin/settlements", None).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{}", list.body);
    host.stop().await;
}

async fn the_same_transaction_with_other_details_is_a_conflict(backend: Backend) {
    let host = start(backend).await;
    let first = settle(&host, payment("E-conflict", "50.00", INVOICE_OPEN_OVERDUE)).await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    let other = settle(&host, payment("E-conflict", "99.90", INVOICE_OPEN_OVERDUE)).await;
    let problem = assert_problem(&other, 409, "idempotency_conflict");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("E-conflict"), "{problem}");
    assert_eq!(host.sim.postings(INVOICE_OPEN_OVERDUE), 1);
    host.stop().await;
}

async fn exhausted_attempts_park_and_an_operator_retries_or_resolves(backend: Backend) {
    let mut options = test_options();
    options.settlement.max_attempts = 2;
    let host = TestHost::builder().backend(backend).options(options).start().await;
    // Every baixa fails until the faults are cleared (the breaker stays closed: reads answer).
    host.sim.faults().push_for("recebimentos_baixas_novo", Fault::Status { status: 504, times: 100 });
    let first = settlement_id(&settle(&host, payment("E-park-1", "99.90", INVOICE_OPEN)).await);
    let second = settlement_id(&settle(&host, payment("E-park-2", "99.90", INVOICE_OPEN_OVERDUE)).await);
    for id in [&first, &second] {
        let parked = host.wait_settled(id).await;
        assert_eq!(parked["status"], "parked", "{parked}");
        assert_eq!(parked["outcome"], "attempts_exhausted");
        // IXC's 504 is an unreachable ERP to the adapter.
        assert_eq!(parked["last_error"], "upstream_unavailable");
    }
    let list = admin(&host, reqwest::Method::GET, "/v1/admin/settlements?state=parked", None).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(2), "{}", list.body);
    let metrics = host.send(host.request(reqwest::Method::GET, "/metrics")).await;
    assert!(metrics.body.as_str().unwrap_or_default().contains(r#"event="parked""#));

    // Bad operator input gets clear problems.
    let bad_state = admin(&host, reqwest::Method::GET, "/v1/admin/settlements?state=lost", None).await;
    assert_problem(&bad_state, 400, "invalid_input");
    let no_note =
        admin(&host, reqwest::Method::POST, &format!("/v1/admin/settlements/{second}/resolve"), Some(json!({}))).await;
    assert_eq!(assert_problem(&no_note, 400, "invalid_input")["field"], "note");
    let unknown = admin(&host, reqwest::Method::POST, "/v1/admin/settlements/nope/retry", None).await;
    assert_problem(&unknown, 404, "not_found");
    let not_admin = host
        .send(
            host.request(reqwest::Method::POST, &format!("/v1/admin/settlements/{first}/retry"))
                .bearer_auth(&host.app_key),
        )
        .await;
    assert_problem(&not_admin, 403, "forbidden");

    // The ERP is back: the operator retries one (checked with the ERP first: it was in doubt)...
    host.sim.faults().clear();
    let retried = admin(&host, reqwest::Method::POST, &format!("/v1/admin/settlements/{first}/retry"), None).await;
    assert_eq!(retried.status.as_u16(), 200, "{}", retried.body);
    let posted = host.wait_settled(&first).await;
    assert_eq!(posted["status"], "posted", "{posted}");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);
    let again = admin(&host, reqwest::Method::POST, &format!("/v1/admin/settlements/{first}/retry"), None).await;
    assert_problem(&again, 409, "settlement_not_parked");

    // ... and resolves the other by hand.
    let note = json!({"note": "posted by hand in IXC after the bank's statement"});
    let resolved =
        admin(&host, reqwest::Method::POST, &format!("/v1/admin/settlements/{second}/resolve"), Some(note)).await;
    assert_eq!(resolved.status.as_u16(), 200, "{}", resolved.body);
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(host.sim.postings(INVOICE_OPEN_OVERDUE), 0);
    host.stop().await;
}

async fn a_doubtful_posting_without_get_invoice_is_parked_not_reposted(backend: Backend) {
    let automation = ixc_automation("acme", "").replace("get_invoice = \"erp\"\n", "");
    let host = TestHost::builder().backend(backend).automation("acme.toml", automation).start().await;
    host.sim.faults().push_for("recebimentos_baixas_novo", Fault::LoseResponse { times: 1 });
    let id = settlement_id(&settle(&host, payment("E-unverifiable", "99.90", INVOICE_OPEN)).await);
    let parked = host.wait_settled(&id).await;
    assert_eq!(parked["status"], "parked", "{parked}");
    assert_eq!(parked["last_error"], "cannot_verify");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1, "never posted blind a second time");
    host.stop().await;
}

async fn an_attempt_that_died_is_taken_over_and_checked_first(backend: Backend) {
    let host = start(backend).await;
    // A replica accepted this payment, marked it in doubt, posted it, and died before it could
    // record the answer: the row is `posting` under a lease that has run out. (The posting is
    // made first here, so the worker can't take the row over before the ERP has it.)
    let body = payment("E-crash-1", "99.90", INVOICE_OPEN);
    let input = ponte_contract::validate_input(ponte_contract::Function::SettleInvoice, &body).expect("valid");
    let hash = ponte_host::idempotency::request_hash(ponte_contract::Function::SettleInvoice, &input);
    // The dead replica's lease runs out in 300 ms.
    let soon =
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis())
            .expect("millis")
            + 300;
    let new = NewSettlement {
        id: "0192f0c0-0000-7000-8000-00000000c4a5",
        tenant: "acme",
        boleto_id: INVOICE_OPEN,
        transaction_id: "E-crash-1",
        input: &input,
        input_hash: &hash,
        customer_key: None,
        lease_token: "dead-replica",
        lease_until: soon,
    };
    // What the dead replica's posting did at the ERP (here through another payment id).
    let posted =
        host.call_with(&host.app_key, "settle_invoice", payment("E-crash-direct", "99.90", INVOICE_OPEN), &[]).await;
    assert_eq!(posted.status.as_u16(), 200, "{}", posted.body);
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);
    let store = &host.host.store;
    assert!(matches!(store.settlement_insert(&new).await.expect("insert"), Inserted::New(_)));
    assert!(store.settlement_sending(new.id, "dead-replica", Some("99.90")).await.expect("sending"));

    host.host.settlement_wake.notify_one();
    let settled = host.wait_settled(new.id).await;
    assert_eq!(settled["status"], "posted", "{settled}");
    assert_eq!(settled["outcome"], "verified_paid", "{settled}");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1, "taken over, checked, not posted again");
    // A caller resending that payment gets the settlement's answer.
    let resent = settle(&host, body).await;
    assert_eq!(resent.status.as_u16(), 200, "{}", resent.body);
    assert_eq!(resent.body["api_response"]["verified_by"], "get_invoice");
    host.stop().await;
}

async fn settlements_are_visible_only_to_their_tenant(backend: Backend) {
    let host = TestHost::builder().backend(backend).automation("beta.toml", ixc_automation("beta", "")).start().await;
    host.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let id = settlement_id(&settle(&host, payment("E-vis-1", "99.90", INVOICE_OPEN)).await);
    let mine = host
        .send(host.request(reqwest::Method::GET, &format!("/v1/settlements/{id}")).bearer_auth(&host.totem_key))
        .await;
    assert_eq!(mine.status.as_u16(), 200, "{}", mine.body);
    assert_eq!(mine.body["settlement_id"], id.as_str());
    assert_eq!(mine.body["boleto_id"], INVOICE_OPEN);

    host.host.store.ensure_tenant("beta", "Beta").await.expect("tenant");
    let beta = host.host.store.create_api_key("beta", &[Scope::App], "test").await.expect("key").token;
    let theirs =
        host.send(host.request(reqwest::Method::GET, &format!("/v1/settlements/{id}")).bearer_auth(&beta)).await;
    assert_problem(&theirs, 404, "not_found");
    let anonymous = host.send(host.request(reqwest::Method::GET, &format!("/v1/settlements/{id}"))).await;
    assert_problem(&anonymous, 401, "unauthorized");
    // A foreign invoice is refused with the ERP's reason; the payment is parked, not lost.
    let foreign = settle(&host, payment("E-vis-2", "199.90", COMPANY_INVOICE_GATEWAY)).await;
    let problem = assert_problem(&foreign, 404, "not_found");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("parked"), "{problem}");
    host.wait_settled(&id).await;
    host.stop().await;
}
