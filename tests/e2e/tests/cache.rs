//! The hot path's promises through real HTTP: cached reads served without the plugin and expired
//! after their TTL, writes never cached, a settlement dropping the customer's cached lists,
//! identical concurrent reads sharing one plugin run, the invocation log arriving whole under
//! load, and revoked keys refused at once here and within a poll on another replica.

use std::time::Duration;

use futures_util::StreamExt as _;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::ixc::data::{CUSTOMER_CPF, INVOICE_OPEN};
use ponte_host::invoke::{HostOptions, RedisOptions};
use ponte_host::store::scratch::ScratchPostgres;
use ponte_tests::{TestHost, ixc_automation, test_options};
use serde_json::{Value, json};

/// The IXC automation with `cache_ttl` on the invoice lists.
fn cached_automation(ttl: &str) -> String {
    ixc_automation(ponte_tests::TENANT, "")
        .replace("list_invoices = \"erp\"", &format!("list_invoices = {{ use = \"erp\", cache_ttl = \"{ttl}\" }}"))
        .replace(
            "list_totem_invoices = \"erp\"",
            &format!("list_totem_invoices = {{ use = \"erp\", cache_ttl = \"{ttl}\" }}"),
        )
}

async fn start(ttl: &str) -> TestHost {
    let host = TestHost::builder().automation("acme.toml", cached_automation(ttl)).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host
}

fn customer() -> Value {
    json!({"customer_document_number": CUSTOMER_CPF})
}

fn cache_header(reply: &ponte_tests::Reply) -> &str {
    reply.headers.get("x-ponte-cache").and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn metric(host: &TestHost, result: &str) -> u64 {
    let text = host.send(host.request(reqwest::Method::GET, "/metrics")).await;
    let text = text.body.as_str().map(str::to_owned).unwrap_or_default();
    text.lines()
        .filter(|line| line.starts_with("ponte_cache_total{") && line.contains(&format!("result=\"{result}\"")))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn a_cached_read_is_served_without_the_plugin_until_its_ttl() {
    let host = start("1s").await;
    let first = host.call_with(&host.app_key, "list_invoices", customer(), &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(cache_header(&first), "miss");
    let sent = host.sim.request_count();

    // The same read, with the document spelled differently: the same normalized input.
    let digits: String = CUSTOMER_CPF.chars().filter(char::is_ascii_digit).collect();
    let second = host.call_with(&host.app_key, "list_invoices", json!({"customer_document_number": digits}), &[]).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(cache_header(&second), "hit");
    assert_eq!(second.body, first.body, "the cached answer is the answer");
    assert_eq!(host.sim.request_count(), sent, "a hit never reaches the ERP");
    assert_eq!(metric(&host, "hit").await, 1);

    let logged = host.invocations().await;
    let hit = logged.iter().find(|r| r.outcome == "cached").expect("the hit is logged as cached");
    assert_eq!(hit.status, 200);
    assert_eq!(hit.upstream_calls, json!([]));
    assert!(hit.detail.as_deref().unwrap_or_default().contains("served from the cache"), "{hit:?}");

    // The totem's list is another function: its own entry.
    let totem = host.call_with(&host.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(cache_header(&totem), "miss");

    tokio::time::sleep(Duration::from_millis(1300)).await;
    let expired = host.call_with(&host.app_key, "list_invoices", customer(), &[]).await;
    assert_eq!(expired.status, 200);
    assert_eq!(cache_header(&expired), "miss", "past its TTL the plugin runs again");
    assert!(host.sim.request_count() > sent);
    host.stop().await;
}

#[tokio::test]
async fn without_a_cache_ttl_nothing_is_cached_and_failures_never_are() {
    let host = TestHost::start().await;
    for _ in 0..2 {
        let reply = host.call_with(&host.app_key, "list_invoices", customer(), &[]).await;
        assert_eq!(cache_header(&reply), "miss");
    }
    host.stop().await;

    let host = start("1m").await;
    host.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let failed = host.call_with(&host.app_key, "list_invoices", customer(), &[]).await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    let next = host.call_with(&host.app_key, "list_invoices", customer(), &[]).await;
    assert_eq!(next.status, 200, "a failure is never served from the cache: {}", next.body);
    assert_eq!(cache_header(&next), "miss");
    host.stop().await;
}

#[tokio::test]
async fn a_write_is_never_cached_and_a_settlement_drops_the_customers_cached_lists() {
    let host = start("1m").await;
    let before = host.call_with(&host.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(before.body.as_array().is_some_and(|l| l.iter().any(|i| i["remote_id"] == INVOICE_OPEN)));
    let again = host.call_with(&host.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(cache_header(&again), "hit");

    let amount = before
        .body
        .as_array()
        .and_then(|l| l.iter().find(|i| i["remote_id"] == INVOICE_OPEN))
        .map(|i| i["valor_final"].clone())
        .expect("amount");
    let payment = json!({
        "transaction": { "id": "E-cache-1", "amount": amount, "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix" },
        "boleto_id": INVOICE_OPEN,
        "customer_document_number": CUSTOMER_CPF,
    });
    let settled = host.call_with(&host.totem_key, "settle_invoice", payment, &[]).await;
    assert!([200, 202].contains(&settled.status.as_u16()), "{}", settled.body);
    assert!(settled.headers.get("x-ponte-cache").is_none(), "a write has no cache status");
    if settled.status == 202 {
        let id = settled.body["settlement_id"].as_str().expect("id").to_owned();
        host.wait_settled(&id).await;
    }

    let after = host.call_with(&host.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(cache_header(&after), "miss", "the settlement dropped the cached list");
    assert!(
        after.body.as_array().is_some_and(|l| l.iter().all(|i| i["remote_id"] != INVOICE_OPEN)),
        "the paid invoice is no longer open: {}",
        after.body
    );
    assert!(metric(&host, "invalidated").await >= 1);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_concurrent_reads_share_one_plugin_run() {
    // No cache: coalescing alone. The ERP is slow, so every call arrives while the first runs.
    let host = TestHost::start().await;
    host.sim.faults().push(Fault::Delay { ms: 500, times: 1 });
    let before = host.sim.request_count();
    let calls = (0..50).map(|_| host.call_with(&host.totem_key, "list_totem_invoices", customer(), &[]));
    let replies = futures_util::future::join_all(calls).await;
    let first = &replies[0].body;
    let mut coalesced = 0;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(&reply.body, first);
        coalesced += usize::from(cache_header(reply) == "coalesced");
    }
    let runs = replies.len() - coalesced;
    let sent = host.sim.request_count() - before;
    // One run's requests (the adapter's lookups and listing), however many callers.
    let one_run = {
        let solo = host.sim.request_count();
        host.call_with(&host.totem_key, "list_totem_invoices", customer(), &[]).await;
        host.sim.request_count() - solo
    };
    assert_eq!(runs, 1, "fifty identical reads, one plugin run");
    assert_eq!(sent, one_run, "and one run's upstream requests");
    let logged = host.invocations().await;
    assert_eq!(logged.iter().filter(|r| r.outcome == "coalesced").count(), 49, "each caller has its own log row");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invocation_log_row_arrives_under_load() {
    // No per-key rate: a call refused at the door (429) is not an invocation.
    let host = TestHost::builder().options(HostOptions { key_rate: None, ..test_options() }).start().await;
    let calls = (0..400u32).map(|n| {
        let host = &host;
        async move {
            let reply = host
                .call_with(
                    &host.app_key,
                    "list_invoices",
                    json!({"customer_document_number": ponte_tests::cpf(n)}),
                    &[],
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.headers.get("x-invocation-id").map(|v| v.to_str().unwrap_or("").to_owned())
        }
    });
    let replies = futures_util::stream::iter(calls).buffer_unordered(32).collect::<Vec<_>>().await;
    assert_eq!(replies.len(), 400);
    let logged = host.invocations().await;
    assert_eq!(logged.len(), 400, "every call has its row");
    host.stop().await;
}

/// A key revoked through one replica is refused there at once, and on another replica sharing
/// the PostgreSQL store within its poll of the key table.
#[tokio::test]
async fn a_revoked_key_is_refused_here_at_once_and_on_another_replica_soon() {
    let scratch = ScratchPostgres::create().await.unwrap_or_else(|e| panic!("{e:#}"));
    let first = TestHost::builder().database(scratch.url()).start().await;
    let second = TestHost::builder().database(scratch.url()).options(test_options()).start().await;
    let key =
        first.host.store.create_api_key(ponte_tests::TENANT, &[ponte_contract::Scope::App], "app").await.expect("key");
    for host in [&first, &second] {
        let (status, body) = host.call(&key.token, "list_invoices", customer()).await;
        assert_eq!(status, 200, "{body}");
    }
    assert!(second.host.keys.revoke(&key.id).await.expect("revoke"));
    assert_eq!(second.call(&key.token, "list_invoices", customer()).await.0, 401, "refused at once where revoked");
    let revoked = std::time::Instant::now();
    loop {
        let (status, _) = first.call(&key.token, "list_invoices", customer()).await;
        if status == 401 {
            break;
        }
        assert!(revoked.elapsed() < Duration::from_secs(5), "the other replica still accepts the revoked key");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    println!("the other replica refused the key {:?} after its revocation", revoked.elapsed());
    second.stop().await;
    first.stop().await;
    drop(scratch);
}

/// The Redis every machine runs (`PONTE_TEST_REDIS_URL` names another); the test fails, never
/// skips, without it.
fn redis_options() -> HostOptions {
    let url = std::env::var("PONTE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    // A prefix of its own, so concurrent tests never share entries.
    let prefix = format!("ponte-test-{}:", uuid::Uuid::new_v4());
    HostOptions { redis: Some(RedisOptions { url: ponte_host::secret::Secret::new(url), prefix }), ..test_options() }
}

/// Two replicas sharing one Redis: what one read is served to the other, and a settlement
/// through one drops the customer's lists for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_redis_share_cached_reads_and_their_invalidation() {
    let options = redis_options();
    let start = |options: HostOptions| async move {
        let host = TestHost::builder().automation("acme.toml", cached_automation("1m")).options(options).start().await;
        assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
        host
    };
    let one = start(options.clone()).await;
    let two = start(options).await;

    let first = one.call_with(&one.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(cache_header(&first), "miss");
    let sent = two.sim.request_count();
    let shared = two.call_with(&two.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(cache_header(&shared), "hit", "the other replica reads what the first cached");
    assert_eq!(shared.body, first.body);
    assert_eq!(two.sim.request_count(), sent);

    let amount = first
        .body
        .as_array()
        .and_then(|l| l.iter().find(|i| i["remote_id"] == INVOICE_OPEN))
        .map(|i| i["valor_final"].clone())
        .expect("amount");
    let payment = json!({
        "transaction": { "id": "E-redis-1", "amount": amount, "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix" },
        "boleto_id": INVOICE_OPEN,
        "customer_document_number": CUSTOMER_CPF,
    });
    let settled = two.call_with(&two.totem_key, "settle_invoice", payment, &[]).await;
    assert!([200, 202].contains(&settled.status.as_u16()), "{}", settled.body);
    if settled.status == 202 {
        let id = settled.body["settlement_id"].as_str().expect("id").to_owned();
        two.wait_settled(&id).await;
    }
    let after = one.call_with(&one.totem_key, "list_totem_invoices", customer(), &[]).await;
    assert_eq!(cache_header(&after), "miss", "the write on one replica dropped the list on the other");
    two.stop().await;
    one.stop().await;
}

#[tokio::test]
async fn a_redis_that_does_not_answer_stops_the_start_with_a_clear_error() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = dead.local_addr().expect("addr").port();
    drop(dead);
    let options = HostOptions {
        redis: Some(RedisOptions {
            url: ponte_host::secret::Secret::new(format!("redis://:s3cr3t-pass@127.0.0.1:{port}/0")),
            prefix: "ponte:".into(),
        }),
        ..test_options()
    };
    let sources = ponte_host::registry::Sources {
        plugins: vec![],
        automations: tempfile::tempdir().expect("dir").path().to_owned(),
        vars: ponte_host::config::vars::Vars::none(),
        http_limits: Default::default(),
    };
    let error = match ponte_host::bootstrap("sqlite::memory:", &sources, options).await {
        Ok(_) => panic!("started without its Redis"),
        Err(e) => format!("{e:#}"),
    };
    assert!(error.contains("Redis"), "{error}");
    assert!(!error.contains("s3cr3t-pass"), "the URL's password never reaches an error: {error}");
}
