//! The automation files in the repository's `automations/` load as they are, against the
//! simulators `ponte demo` runs, and serve each function through the plugin they name.

use std::path::PathBuf;

use ponte_erp_sim::ixc::data::CUSTOMER_CPF;
use ponte_tests::{Sim, TestHost};
use serde_json::json;

fn repo_automation(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../automations").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // `ponte demo` supplies PONTE_DEMO_*; the harness names the same simulators' variables
    // without the prefix.
    text.replace("PONTE_DEMO_", "")
}

#[tokio::test]
async fn the_mixed_provider_takes_each_function_from_its_own_service() {
    let automation = repo_automation("mixed.toml").replace("tenant = \"mixed\"", "tenant = \"acme\"");
    let host = TestHost::builder()
        .automation("acme.toml", automation)
        .extra_sim(Sim::plugstorage())
        .extra_sim(Sim::docsales())
        .start()
        .await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);

    let request = host.request(reqwest::Method::GET, "/v1/functions").bearer_auth(&host.app_key);
    let listing = host.send(request).await;
    let functions = listing.body["functions"].as_array().cloned().unwrap_or_default();
    let served_by = |name: &str| {
        functions.iter().find(|f| f["name"] == name).map(|f| (f["plugin"].clone(), f["connection"].clone()))
    };
    assert_eq!(served_by("list_invoices"), Some((json!("ixc"), json!("erp"))));
    assert_eq!(served_by("settle_invoice"), Some((json!("ixc"), json!("erp"))));
    assert_eq!(served_by("list_fiscal_notes"), Some((json!("plugstorage"), json!("fiscal"))));
    assert_eq!(served_by("create_order"), Some((json!("docsales"), json!("sales"))));
    let order = functions.iter().find(|f| f["name"] == "create_order").expect("create_order");
    assert_eq!(order["quota"]["limit"], 200, "{order}");

    let (status, notes) =
        host.call(&host.app_key, "list_fiscal_notes", json!({ "customer_document_number": CUSTOMER_CPF })).await;
    assert_eq!(status.as_u16(), 200, "{notes}");
    assert!(notes.as_array().is_some_and(|n| !n.is_empty()), "{notes}");
    let (status, invoices) =
        host.call(&host.app_key, "list_invoices", json!({ "customer_document_number": CUSTOMER_CPF })).await;
    assert_eq!(status.as_u16(), 200, "{invoices}");
    host.stop().await;
}

#[tokio::test]
async fn the_demo_tenant_loads() {
    let automation = repo_automation("demo.toml").replace("tenant = \"demo\"", "tenant = \"acme\"");
    let host = TestHost::builder().automation("acme.toml", automation).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let (status, body) =
        host.call(&host.app_key, "list_invoices", json!({ "customer_document_number": CUSTOMER_CPF })).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    host.stop().await;
}
