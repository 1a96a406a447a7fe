//! Stopping a server: calls in flight finish (within the shutdown grace) and a payment attempt
//! cut off past it gives its claim back, so another replica posts it at once, exactly once.

use std::time::{Duration, Instant};

use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::ixc::data::{CUSTOMER_CPF, INVOICE_OPEN};
use ponte_host::options::ListenerOptions;
use ponte_host::store::SettlementState;
use ponte_host::store::scratch::ScratchPostgres;
use ponte_tests::{TestHost, cpf, test_options};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_in_flight_finish_when_the_server_stops() {
    let host = TestHost::start().await;
    host.sim.faults().push(Fault::Delay { ms: 700, times: 4 });
    let client = reqwest::Client::new();
    let calls: Vec<_> = (0..4)
        .map(|n| {
            let request = client
                .post(format!("{}/v1/functions/list_invoices", host.base_url))
                .bearer_auth(&host.app_key)
                .json(&json!({ "customer_document_number": cpf(n + 1) }))
                .send();
            tokio::spawn(async move { request.await.map(|r| r.status().as_u16()).map_err(|e| e.to_string()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let base_url = host.base_url.clone();
    let started = Instant::now();
    host.stop().await;
    assert!(started.elapsed() >= Duration::from_millis(300), "the stop waited for the calls");
    for call in calls {
        assert_eq!(call.await.expect("task"), Ok(200), "a call in flight is answered, not cut");
    }
    let after = reqwest::Client::new().get(format!("{base_url}/healthz")).send().await;
    assert!(after.is_err(), "a stopped server takes no new connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_cut_off_past_the_grace_is_given_back_and_posted_once_by_another_replica() {
    let database = ScratchPostgres::create().await.expect("a scratch PostgreSQL database");
    let options = ponte_host::invoke::HostOptions {
        listener: ListenerOptions { shutdown_grace: Duration::from_millis(300), ..ListenerOptions::default() },
        ..test_options()
    };
    let first = TestHost::builder().database(database.url()).options(options).start().await;
    // The attempt's first step (is the invoice paid already?) hangs past the grace.
    first.sim.faults().push_for("fn_areceber", Fault::Delay { ms: 5_000, times: 1 });
    let payment = json!({
        "transaction": { "id": "E-shutdown-1", "amount": "99.90", "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix" },
        "boleto_id": INVOICE_OPEN,
        "customer_document_number": CUSTOMER_CPF,
    });
    let request = reqwest::Client::new()
        .post(format!("{}/v1/functions/settle_invoice", first.base_url))
        .bearer_auth(&first.app_key)
        .header("idempotency-key", "shutdown-1")
        .json(&payment)
        .send();
    let call = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = first.host.store.clone();
    // (The stop also waits for the simulator, whose hanging answer outlives the grace.)
    let stopping = tokio::spawn(first.stop());
    let cut = tokio::time::timeout(Duration::from_secs(3), call).await;
    let cut = cut.expect("the grace bounds how long a request keeps the server").expect("task");
    assert!(cut.is_err(), "the cut-off request gets no answer");
    stopping.await.expect("stopped");

    let settlements = store.settlements("acme", None, 10).await.expect("settlements");
    assert_eq!(settlements.len(), 1, "the payment was accepted before the cut");
    let given_back = &settlements[0];
    assert_eq!(given_back.state, SettlementState::Pending, "{given_back:?}");
    assert!(given_back.lease_token.is_none() && !given_back.in_doubt, "{given_back:?}");
    assert_eq!(given_back.attempts, 0, "the attempt that never sent is not counted");

    // Another replica on the same store posts it, once, without waiting for a lease.
    let second = TestHost::builder().database(database.url()).options(test_options()).start().await;
    let started = Instant::now();
    let settled = second.wait_settled(&given_back.id).await;
    assert_eq!(settled["status"], "posted", "{settled}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(second.sim.postings(INVOICE_OPEN), 1);
    second.stop().await;
}
