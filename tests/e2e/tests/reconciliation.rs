//! Reconciliation through real HTTP, on SQLite and on PostgreSQL: payments Ponte posted are read
//! back from the simulated IXC; one reversed there (its baixa deleted, as an estorno does) is
//! reported as posted here but open there, one paid there while parked here the other way
//! round; nothing is ever posted by the job; the scheduled run reports by itself.

use std::time::Duration;

use ponte_contract::Scope;
use ponte_erp_sim::ixc::IxcConfig;
use ponte_erp_sim::ixc::data::{CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, INVOICE_OPEN, INVOICE_OPEN_OVERDUE, INVOICE_PAID};
use ponte_host::store::{Failure, Inserted, NewSettlement};
use ponte_tests::{Backend, IXC_TOKEN, TestHost, assert_problem, ixc_automation, on_both_backends, test_options};
use serde_json::{Value, json};

fn payment(transaction_id: &str, amount: &str, boleto: &str) -> Value {
    json!({
        "transaction": { "id": transaction_id, "amount": amount, "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix" },
        "boleto_id": boleto,
        "customer_document_number": CUSTOMER_CPF,
    })
}

async fn admin(host: &TestHost, method: reqwest::Method, path: &str) -> ponte_tests::Reply {
    host.send(host.request(method, path).bearer_auth(&host.admin_key)).await
}

async fn reconcile(host: &TestHost) -> Value {
    let reply = admin(host, reqwest::Method::POST, "/v1/admin/tenants/acme/reconciliation").await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    reply.body
}

/// Deletes the simulated IXC's payment rows (baixas) of `invoice`: the payment reversed there.
async fn reverse_at_the_erp(host: &TestHost, invoice: &str) {
    let auth = IxcConfig { token: IXC_TOKEN.to_owned(), ..IxcConfig::default() }.authorization();
    let client = reqwest::Client::new();
    let listed: Value = client
        .post(format!("{}/webservice/v1/fn_areceber_baixas", host.sim.base_url()))
        .header("authorization", &auth)
        .header("ixcsoft", "listar")
        .json(&json!({ "qtype": "fn_areceber_baixas.id_receber", "query": invoice, "oper": "=", "rp": "1000" }))
        .send()
        .await
        .expect("simulator answers")
        .json()
        .await
        .expect("JSON");
    let rows = listed["registros"].as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "the payment is at the ERP: {listed}");
    for row in rows {
        let id = row["id"].as_str().expect("row id");
        let deleted = client
            .delete(format!("{}/webservice/v1/fn_areceber_baixas/{id}", host.sim.base_url()))
            .header("authorization", &auth)
            .send()
            .await
            .expect("simulator answers");
        assert!(deleted.status().is_success());
    }
}

/// Writes a parked settlement straight into the store, as one whose attempts ran out.
async fn parked(host: &TestHost, id: &str, transaction: &str, boleto: &str) {
    let body = payment(transaction, "99.90", boleto);
    let input = ponte_contract::validate_input(ponte_contract::Function::SettleInvoice, &body).expect("valid");
    let hash = ponte_host::idempotency::request_hash(ponte_contract::Function::SettleInvoice, &input);
    let new = NewSettlement {
        id,
        tenant: "acme",
        boleto_id: boleto,
        transaction_id: transaction,
        input: &input,
        input_hash: &hash,
        customer_key: None,
        lease_token: "the-test",
        lease_until: i64::MAX,
    };
    let store = &host.host.store;
    assert!(matches!(store.settlement_insert(&new).await.expect("insert"), Inserted::New(_)));
    let failure = Failure { code: "upstream_unavailable", detail: "6 attempts failed" };
    assert!(store.settlement_park(id, "the-test", "attempts_exhausted", failure, None).await.expect("park"));
}

async fn metrics(host: &TestHost) -> String {
    let reply = host.send(host.request(reqwest::Method::GET, "/metrics")).await;
    reply.body.as_str().unwrap_or_default().to_owned()
}

on_both_backends!(
    a_payment_reversed_at_the_erp_is_reported_and_never_posted_again,
    the_scheduled_run_reports_by_itself,
);

async fn a_payment_reversed_at_the_erp_is_reported_and_never_posted_again(backend: Backend) {
    // Runs only when asked (no schedule): the report still says when the next run is due (never).
    let mut options = test_options();
    options.reconciliation.interval = None;
    let host = TestHost::builder()
        .backend(backend)
        .options(options)
        .automation("beta.toml", ixc_automation("beta", ""))
        .start()
        .await;
    let never = admin(&host, reqwest::Method::GET, "/v1/admin/tenants/acme/reconciliation").await;
    assert_problem(&never, 404, "not_found");

    for (transaction, amount, boleto) in
        [("E-rec-1", "99.90", INVOICE_OPEN), ("E-rec-2", "99.90", INVOICE_OPEN_OVERDUE)]
    {
        let reply = host.call_with(&host.app_key, "settle_invoice", payment(transaction, amount, boleto), &[]).await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    }
    let clean = reconcile(&host).await;
    assert_eq!((clean["checked"].as_u64(), clean["matched"].as_u64()), (Some(2), Some(2)), "{clean}");
    assert_eq!(clean["mismatches"], json!([]), "{clean}");

    // The ERP reverses one payment; a parked payment was posted there by hand; one parked
    // payment's boleto the ERP doesn't know; one payment arrives for an invoice already paid.
    reverse_at_the_erp(&host, INVOICE_OPEN).await;
    let twice =
        host.call_with(&host.app_key, "settle_invoice", payment("E-rec-twice", "99.90", INVOICE_PAID), &[]).await;
    assert_eq!(twice.status.as_u16(), 200, "{}", twice.body);
    assert_eq!(twice.body["api_response"]["reason"], "already_paid", "{}", twice.body);
    parked(&host, "0192f0c0-0000-7000-8000-0000000000a1", "E-rec-hand", INVOICE_PAID).await;
    parked(&host, "0192f0c0-0000-7000-8000-0000000000a2", "E-rec-ghost", "987654").await;
    let report = reconcile(&host).await;
    assert_eq!(report["checked"], 5, "{report}");
    assert_eq!(report["matched"], 1, "{report}");
    let mismatches = report["mismatches"].as_array().cloned().unwrap_or_default();
    assert_eq!(mismatches.len(), 3, "{report}");
    let paid_twice = mismatches.iter().find(|m| m["kind"] == "paid_before_posting").expect("the payment paid twice");
    assert_eq!(paid_twice["transaction_id"], "E-rec-twice");
    let reversed = mismatches.iter().find(|m| m["kind"] == "posted_but_open").expect("the reversed payment");
    assert_eq!(reversed["boleto_id"], INVOICE_OPEN);
    assert_eq!(reversed["transaction_id"], "E-rec-1");
    assert_eq!(reversed["amount"], "99.90");
    assert_eq!(reversed["ponte_status"], "posted");
    assert_eq!(reversed["erp_amount_due"], "99.90");
    let by_hand = mismatches.iter().find(|m| m["kind"] == "paid_but_not_posted").expect("the payment posted by hand");
    assert_eq!(by_hand["boleto_id"], INVOICE_PAID);
    assert_eq!(by_hand["ponte_status"], "parked");
    let unchecked = report["unchecked"].as_array().cloned().unwrap_or_default();
    assert_eq!(unchecked.len(), 1, "{report}");
    assert_eq!(unchecked[0]["boleto_id"], "987654");
    // Reported, never acted on: the ERP got one posting of each payment and nothing more.
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);
    assert_eq!(host.sim.postings(INVOICE_PAID), 0);
    let text = report.to_string();
    assert!(!text.contains(CUSTOMER_CPF) && !text.contains(CUSTOMER_CPF_DIGITS), "no customer document: {text}");

    // The same report over GET, in the metrics, in the logs and the audit trail.
    let last = admin(&host, reqwest::Method::GET, "/v1/admin/tenants/acme/reconciliation").await;
    assert_eq!(last.status.as_u16(), 200, "{}", last.body);
    assert_eq!(last.body["report"], report);
    assert_eq!(last.body["running"], false);
    assert_eq!(last.body["next_run_at"], Value::Null, "no schedule: never due by itself");
    let text = metrics(&host).await;
    assert!(text.contains(r#"ponte_reconciliation_mismatches{tenant="acme"} 3"#), "{text}");
    assert!(text.contains(r#"ponte_reconciliations_total{tenant="acme",result="clean"} 1"#), "{text}");
    assert!(text.contains(r#"ponte_reconciliations_total{tenant="acme",result="mismatched"} 1"#), "{text}");
    assert!(ponte_tests::captured_logs().contains("reconciliation: Ponte and the ERP disagree"));
    let audit = admin(&host, reqwest::Method::GET, "/v1/admin/audit").await;
    assert!(audit.body.to_string().contains("reconciliation.run"), "{}", audit.body);

    // Another tenant's admin can't read or run it.
    let beta_key = host.host.store.create_api_key("beta", &[Scope::Admin], "beta").await.expect("key").token;
    let foreign = host
        .send(host.request(reqwest::Method::POST, "/v1/admin/tenants/acme/reconciliation").bearer_auth(&beta_key))
        .await;
    assert_problem(&foreign, 404, "unknown_tenant");
    host.stop().await;
}

async fn the_scheduled_run_reports_by_itself(backend: Backend) {
    let mut options = test_options();
    options.reconciliation.interval = Some(Duration::from_millis(200));
    let host = TestHost::builder().backend(backend).options(options).start().await;
    let reply = host.call_with(&host.app_key, "settle_invoice", payment("E-sched-1", "99.90", INVOICE_OPEN), &[]).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    reverse_at_the_erp(&host, INVOICE_OPEN).await;
    // The first run is due one interval after the tenant is first seen; the scheduler looks
    // every interval.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let report = loop {
        let last = admin(&host, reqwest::Method::GET, "/v1/admin/tenants/acme/reconciliation").await;
        let found = last.body["report"]["mismatches"].as_array().is_some_and(|m| !m.is_empty());
        if found {
            break last.body["report"].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no scheduled report: {}", last.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(report["mismatches"][0]["kind"], "posted_but_open", "{report}");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1, "the job never posts");
    host.stop().await;
}
