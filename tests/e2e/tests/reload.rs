//! Hot reload (`host/src/reload.rs`): plugins and automations changed on disk are swapped in
//! while calls stream; no call fails; a broken replacement is refused while the previous version
//! serves; a fixed one takes over.

use std::time::{Duration, Instant};

use ponte_host::invoke::HostOptions;
use ponte_tests::{TENANT, TestHost, test_options};
use serde_json::{Value, json};

const MANIFEST: &str = r#"name = "echo"
version = "0.1.0"
runtime = "rhai"
functions = ["list_products"]
"#;

fn script(label: &str) -> String {
    format!("fn list_products(input) {{ [#{{ codigo: 1, nome: \"{label}\" }}] }}\n")
}

fn automation(timeout: &str) -> String {
    format!(
        "tenant = \"{TENANT}\"\n[connections.echo]\nplugin = \"echo\"\ntimeout = \"{timeout}\"\n[functions]\nlist_products = \"echo\"\n"
    )
}

/// Calls `list_products` until `until` holds for its product's name (at most 10 s), asserting
/// every answer is a 200.
async fn until_served(host: &TestHost, until: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let (status, body) = host.call(&host.app_key, "list_products", json!({})).await;
        assert_eq!(status, 200, "{body}");
        let name = body[0]["nome"].as_str().unwrap_or_default().to_owned();
        if until(&name) {
            return name;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still {name} after 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn readyz(host: &TestHost) -> Value {
    host.send(host.request(reqwest::Method::GET, "/readyz")).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_swap_in_under_a_stream_of_calls_and_a_broken_one_never_replaces_a_working_one() {
    let host = TestHost::builder()
        .plugin("echo", MANIFEST, &script("v1"))
        .automation(&format!("{TENANT}.toml"), automation("5s"))
        .reload(Duration::from_millis(100))
        // The stream and the polls together pass the default 100 calls a second per key.
        .options(HostOptions { key_rate: None, ..test_options() })
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let script_file = host.dir().join("plugins/echo/main.rhai");
    until_served(&host, |name| name == "v1").await;
    // The file renamed apart from its tenant (`tenant = ...` inside), as operators may name
    // files: a broken version of it must still be matched to the tenant it served.
    let automations = host.dir().join("automations").join("the-tenants-file.toml");
    std::fs::rename(host.dir().join("automations").join(format!("{TENANT}.toml")), &automations).expect("rename");
    tokio::time::sleep(Duration::from_millis(400)).await;
    until_served(&host, |name| name == "v1").await;

    // A stream of calls (bounded) while the plugin changes twice under it.
    let stream = {
        let client = reqwest::Client::new();
        let url = format!("{}/v1/functions/list_products", host.base_url);
        let key = host.app_key.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let started = Instant::now();
            while seen.len() < 400 && started.elapsed() < Duration::from_secs(8) {
                let reply = client.post(&url).bearer_auth(&key).json(&json!({})).send().await.expect("send");
                let status = reply.status().as_u16();
                let body: Value = reply.json().await.unwrap_or(Value::Null);
                seen.push((status, body[0]["nome"].as_str().unwrap_or_default().to_owned()));
            }
            seen
        })
    };
    std::fs::write(&script_file, script("v2")).expect("write v2");
    until_served(&host, |name| name == "v2").await;
    std::fs::write(&script_file, script("v3")).expect("write v3");
    until_served(&host, |name| name == "v3").await;
    let seen = stream.await.expect("stream");
    let failed: Vec<&(u16, String)> = seen.iter().filter(|(status, _)| *status != 200).collect();
    assert!(failed.is_empty(), "calls failed during reloads: {failed:?}");
    assert!(seen.iter().any(|(_, name)| name == "v2" || name == "v3"), "the stream saw a new version");

    // A script that does not compile: refused, v3 keeps serving, and /readyz says why.
    std::fs::write(&script_file, "fn list_products(input) { [ }\n").expect("write broken");
    let started = Instant::now();
    while readyz(&host).await["config_errors"].as_u64().unwrap_or(0) == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the broken script was never noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = readyz(&host).await;
    assert_eq!(ready["tenants_failed"].as_array().map(Vec::len), Some(1), "{ready}");
    assert_eq!(ready["status"], "ready", "{ready}");
    for _ in 0..20 {
        assert_eq!(until_served(&host, |_| true).await, "v3");
    }

    // An automation that no longer validates: refused too.
    std::fs::write(&script_file, script("v4")).expect("write v4");
    until_served(&host, |name| name == "v4").await;
    std::fs::write(&automations, automation("not a duration")).expect("write bad automation");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(until_served(&host, |_| true).await, "v4");
    assert!(readyz(&host).await["config_errors"].as_u64().unwrap_or(0) > 0);

    // Fixed: the errors go.
    std::fs::write(&automations, automation("3s")).expect("fix automation");
    let started = Instant::now();
    while readyz(&host).await["config_errors"].as_u64().unwrap_or(1) != 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the fixed automation was never loaded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(until_served(&host, |_| true).await, "v4");
    host.stop().await;
}
