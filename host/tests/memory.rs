//! The process's memory stays bounded under attack: a real `ponte serve` (this crate's binary,
//! in its own process, so its peak resident memory is its own) runs scripts that keep 16 MiB
//! strings alive without end and nest values without end, many at once, and its peak resident
//! memory must stay under what `docs/security.md` promises: the host's own memory plus, per
//! call running at once, the budget and what one operation may allocate past it.
//!
//! Before per-call budgets, one such call held 1.15 GiB and four held 4.4 GiB.

use std::time::{Duration, Instant};

use ponte_contract::Scope;
use ponte_host::store::Store;
use serde_json::json;
use tokio::process::Command;

const MANIFEST: &str = r#"
name = "hog"
version = "0.1.0"
runtime = "rhai"
functions = ["list_plans", "list_products"]
"#;

/// `list_plans` keeps 16 MiB strings alive; `list_products` nests arrays without end.
const SCRIPT: &str = r#"
fn list_plans(input) {
    let s = "x";
    while s.len() < 16777216 { s += s; }
    let keep = [];
    let i = 0;
    loop { keep.push(s + i); i += 1; }
}
fn list_products(input) { let a = []; loop { a = [a]; } }
"#;

/// Calls at once: one tenant connection's whole bulkhead (16 by default).
const AT_ONCE: usize = 16;
/// Per call: the 64 MiB budget, plus one operation's overshoot (a 16 MiB string copied while
/// the array holding the others grows) and the thread's stack, generously.
const PER_CALL: u64 = 112 * 1024 * 1024;
/// The host itself: runtime, wasm engine, store, buffers.
const HOST: u64 = 512 * 1024 * 1024;

fn peak_resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server's /proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_however_many_hungry_calls_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(plugins.join("hog")).expect("plugin dir");
    std::fs::write(plugins.join("hog/plugin.toml"), MANIFEST).expect("manifest");
    std::fs::write(plugins.join("hog/main.rhai"), SCRIPT).expect("script");
    let automations = dir.path().join("automations");
    std::fs::create_dir_all(&automations).expect("automations dir");
    std::fs::write(
        automations.join("acme.toml"),
        "[connections.h]\nplugin = \"hog\"\ntimeout = \"5s\"\n[functions]\nlist_plans = \"h\"\nlist_products = \"h\"\n",
    )
    .expect("automation");
    let database = format!("sqlite://{}", dir.path().join("ponte.db").display());
    let store = Store::open(&database).await.expect("store");
    store.ensure_tenant("acme", "ACME").await.expect("tenant");
    let key = store.create_api_key("acme", &[Scope::App], "memory").await.expect("key").token;
    store.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database)
        .env("PONTE_PLUGINS", &plugins)
        .env("PONTE_AUTOMATIONS", &automations)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start ponte");
    let pid = child.id().expect("pid");
    let client = reqwest::Client::new();
    let ready_by = Instant::now() + Duration::from_secs(60);
    while !client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < ready_by, "ponte did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for (function, input) in
        [("list_plans", json!({"customer_document_number": "714.602.380-01"})), ("list_products", json!({}))]
    {
        let calls = (0..AT_ONCE).map(|_| {
            client
                .post(format!("{base}/v1/functions/{function}"))
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body(input.to_string())
                .send()
        });
        for response in futures_util::future::join_all(calls).await {
            let response = response.expect("the server answers");
            // The budget (502) or the deadline (504) ends each one; the server lives on.
            assert!([502, 504].contains(&response.status().as_u16()), "{function}: {}", response.status());
        }
    }
    let health = client.get(format!("{base}/healthz")).send().await.expect("alive");
    assert!(health.status().is_success());
    let peak = peak_resident_bytes(pid);
    let bound = HOST + PER_CALL * AT_ONCE as u64;
    assert!(peak < bound, "peak resident memory {} MiB, bound {} MiB", peak >> 20, bound >> 20);
    eprintln!("peak resident memory under {AT_ONCE} hungry calls: {} MiB (bound {} MiB)", peak >> 20, bound >> 20);
    child.kill().await.expect("stop ponte");
}
