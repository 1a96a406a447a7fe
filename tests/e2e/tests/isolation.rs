//! What both runtimes guarantee whatever the plugin does, proven with the same probe written
//! twice (`tests/plugins/probe-wasm`, a component built with the PDK, and
//! `tests/plugins/probe-rhai`): a fresh instance per call, tenants that never see each other's
//! settings or kv, and a runaway or memory-hungry call that ends alone.

use ponte_tests::{TENANT, TestHost, assert_problem};
use serde_json::json;

const PROBES: [&str; 2] = ["probe-wasm", "probe-rhai"];

fn automation(tenant: &str, plugin: &str, label: &str) -> String {
    format!(
        "tenant = \"{tenant}\"\n[connections.p]\nplugin = \"{plugin}\"\ntimeout = \"1s\"\nsettings = {{ label = \"{label}\" }}\n\
         [functions]\nlist_products = \"p\"\nlist_invoices = \"p\"\nget_pending_issues = \"p\"\n\
         list_commercial_origins = \"p\"\nget_customer = \"p\"\nlist_resellers = \"p\"\n"
    )
}

async fn start(plugin: &str) -> TestHost {
    let host = TestHost::builder()
        .automation(&format!("{TENANT}.toml"), automation(TENANT, plugin, "acme-label"))
        .automation("other.toml", automation("other", plugin, "other-label"))
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{plugin}: {:?}", host.config_errors);
    host
}

const CPF: &str = "714.602.380-01";

#[tokio::test]
async fn every_call_gets_a_fresh_instance() {
    for plugin in PROBES {
        let host = start(plugin).await;
        for _ in 0..3 {
            let (status, body) =
                host.call(&host.app_key, "get_pending_issues", json!({"customer_document_number": CPF})).await;
            assert_eq!(status, 200, "{plugin}: {body}");
            assert_eq!(body, json!(["calls in this instance: 1"]), "{plugin}: state leaked between calls");
        }
        host.stop().await;
    }
}

#[tokio::test]
async fn tenants_on_the_same_plugin_never_see_each_others_settings_or_kv() {
    for plugin in PROBES {
        let host = start(plugin).await;
        host.host.store.ensure_tenant("other", "Other").await.expect("tenant");
        let other =
            host.host.store.create_api_key("other", &[ponte_contract::Scope::App], "o").await.expect("key").token;
        let (_, acme_first) = host.call(&host.app_key, "list_commercial_origins", json!({})).await;
        let (_, other_first) = host.call(&other, "list_commercial_origins", json!({})).await;
        assert_eq!(acme_first, json!([{"code": "acme-label", "description": "none"}]), "{plugin}");
        assert_eq!(
            other_first,
            json!([{"code": "other-label", "description": "none"}]),
            "{plugin}: kv leaked across tenants"
        );
        let (_, acme_second) = host.call(&host.app_key, "list_commercial_origins", json!({})).await;
        assert_eq!(acme_second, json!([{"code": "acme-label", "description": "acme-label"}]), "{plugin}");
        host.stop().await;
    }
}

#[tokio::test]
async fn a_runaway_or_memory_hungry_call_fails_alone() {
    for plugin in PROBES {
        let host = start(plugin).await;
        // A runaway call ends by its deadline or, for a script, its operation budget, whichever
        // the machine's speed reaches first: both are the host's limits, and the caller is told
        // which one.
        let reply = host.call_with(&host.app_key, "get_customer", json!({"customer_document_number": CPF}), &[]).await;
        if reply.status == 502 {
            let body = assert_problem(&reply, 502, "plugin_failed");
            assert!(body["detail"].as_str().is_some_and(|d| d.contains("operations")), "{plugin}: {body}");
        } else {
            assert_problem(&reply, 504, "upstream_timeout");
        }
        let reply = host.call_with(&host.app_key, "list_resellers", json!({}), &[]).await;
        assert_problem(&reply, 502, "plugin_failed");
        // The next call, on the same plugin, is unaffected.
        let (status, body) = host.call(&host.app_key, "list_invoices", json!({"customer_document_number": CPF})).await;
        assert_eq!(status, 200, "{plugin}: {body}");
        assert_eq!(body.as_array().map(Vec::len), Some(20), "{plugin}");
        assert_eq!(body[0]["valor_inicial"], "1234.50", "{plugin}: enforced like any adapter");
        host.stop().await;
    }
}

/// The host keeps running plugins built against an older API version of the same track
/// (plugin-api/wit/README.md): `tests/plugins/legacy-v0-1-0` imports `ponte:plugin/*@0.1.0`
/// and is served by the host's 0.1.1 bindings, its kv included.
#[tokio::test]
async fn a_plugin_built_against_api_0_1_0_still_loads_and_runs() {
    let wasm = ponte_tests::test_plugins().join("legacy-v0-1-0").join("plugin.wasm");
    let bytes = std::fs::read(&wasm).expect("the legacy plugin is built with the workspace");
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("ponte:plugin/kv@0.1.0"), "the fixture imports the 0.1.0 API");
    assert!(!contains("@0.1.1"), "the fixture knows nothing of 0.1.1");

    let automation = format!(
        "tenant = \"{TENANT}\"\n[connections.old]\nplugin = \"legacy-v0-1-0\"\n[functions]\nlist_due_dates = \"old\"\n"
    );
    let host = TestHost::builder().automation(&format!("{TENANT}.toml"), automation).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    for call in 1..=2 {
        let (status, body) = host.call(&host.app_key, "list_due_dates", json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!([{"code": "10", "name": format!("Dia 10 (call {call})")}]));
    }
    host.stop().await;
}
