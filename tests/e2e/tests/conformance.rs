//! The conformance suite: every adapter in the repository, whatever its runtime, against its
//! simulator, through real HTTP, with one table of scenarios per function.
//!
//! Adding an adapter adds one line to [`ADAPTERS`]. Every simulator serves the same people
//! with the same documents and roles (`ponte_erp_sim::ixc::data`), so the expectations here
//! are the contract's, not any ERP's.

use ponte_contract::Function;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::people;
use ponte_erp_sim::sgp;
use ponte_tests::{Sim, TENANT, TestHost, assert_problem};
use serde_json::{Value, json};

/// One adapter under test.
struct Adapter {
    /// The plugin's folder under `plugins/`.
    plugin: &'static str,
    /// Its simulator.
    sim: fn() -> Sim,
    /// The same simulator answering in another of the formats the real ERP is known to use
    /// (Brazilian money and dates, other key names), when there is one.
    messy_sim: Option<fn() -> Sim>,
    /// The connection's settings (TOML inline-table body).
    settings: &'static str,
}

const ADAPTERS: &[Adapter] = &[
    Adapter {
        plugin: "ixc",
        sim: Sim::ixc,
        messy_sim: None,
        settings: r#"base_url = "${env:IXC_URL}", user_id = "1", token = "${env:IXC_TOKEN}""#,
    },
    Adapter {
        plugin: "sgp",
        sim: Sim::sgp,
        messy_sim: Some(sgp_brazilian),
        settings: r#"base_url = "${env:SGP_URL}", token = "${env:SGP_TOKEN}", app = "${env:SGP_APP}""#,
    },
    Adapter {
        plugin: "hubsoft",
        sim: Sim::hubsoft,
        messy_sim: None,
        settings: r#"base_url = "${env:HUBSOFT_URL}", client_id = "${env:HUBSOFT_CLIENT_ID}", client_secret = "${env:HUBSOFT_CLIENT_SECRET}", username = "${env:HUBSOFT_USERNAME}", password = "${env:HUBSOFT_PASSWORD}", cash_account_id = "1""#,
    },
    // Not an ERP: serves only the fiscal functions (a tenant binds the rest to its ERP).
    Adapter {
        plugin: "plugstorage",
        sim: Sim::plugstorage,
        messy_sim: None,
        settings: r#"base_url = "${env:PLUGSTORAGE_URL}", token = "${env:PLUGSTORAGE_TOKEN}", email = "${env:PLUGSTORAGE_EMAIL}", password = "${env:PLUGSTORAGE_PASSWORD}""#,
    },
    // Not an ERP either: fiscal notes over an `x-auth-token` session.
    Adapter {
        plugin: "oobj",
        sim: Sim::oobj,
        messy_sim: None,
        settings: r#"base_url = "${env:OOBJ_URL}", token = "${env:OOBJ_TOKEN}", secret = "${env:OOBJ_SECRET}", cnpj = "${env:OOBJ_CNPJ}""#,
    },
];

fn sgp_brazilian() -> Sim {
    match Sim::sgp() {
        Sim::Sgp(config) => Sim::Sgp(sgp::SgpConfig {
            value_style: sgp::ValueStyle::Brazilian,
            contract_key: sgp::ContractKey::Id,
            ..config
        }),
        other => other,
    }
}

fn functions(adapter: &Adapter) -> Vec<Function> {
    let dir = ponte_tests::repo_plugins().join(adapter.plugin);
    ponte_host::config::manifest::load(&dir).unwrap_or_else(|e| panic!("{}: {e:?}", adapter.plugin)).functions
}

async fn start(adapter: &Adapter, sim: Sim, timeout: &str) -> TestHost {
    let bindings: String = functions(adapter).iter().map(|f| format!("{f} = \"erp\"\n")).collect();
    let automation = format!(
        "tenant = \"{TENANT}\"\nallow_private = [\"127.0.0.1\"]\n[connections.erp]\nplugin = \"{}\"\ntimeout = \"{timeout}\"\nsettings = {{ {} }}\n[functions]\n{bindings}",
        adapter.plugin, adapter.settings
    );
    let host = TestHost::builder().sim(sim).automation(&format!("{TENANT}.toml"), automation).start().await;
    assert!(host.config_errors.is_empty(), "{}: {:?}", adapter.plugin, host.config_errors);
    host
}

fn customer(document: &str) -> Value {
    json!({ "customer_document_number": document })
}

async fn ok(host: &TestHost, adapter: &Adapter, function: Function, input: Value) -> Value {
    let reply = host.call_with(&host.app_key, function.as_str(), input.clone(), &[]).await;
    assert_eq!(reply.status, 200, "{} {function} {input}: {}", adapter.plugin, reply.body);
    reply.body
}

/// The read functions that take only the customer's document.
const CUSTOMER_READS: &[Function] = &[
    Function::ListInvoices,
    Function::ListTotemInvoices,
    Function::GetCustomerContacts,
    Function::GetPendingIssues,
    Function::ListPlans,
    Function::ListBlockedPlans,
    Function::ListFiscalNotes,
];

#[tokio::test]
async fn every_adapter_serves_a_normal_customer() {
    for adapter in ADAPTERS {
        let host = start(adapter, (adapter.sim)(), "5s").await;
        let served = functions(adapter);
        let digits = people::CUSTOMER_CPF_DIGITS;
        for function in CUSTOMER_READS.iter().filter(|f| served.contains(f)) {
            let body = ok(&host, adapter, *function, customer(people::CUSTOMER_CPF)).await;
            assert!(body.is_array(), "{} {function}: {body}", adapter.plugin);
        }
        if served.contains(&Function::ListInvoices) {
            let invoices = ok(&host, adapter, Function::ListInvoices, customer(people::CUSTOMER_CPF)).await;
            let list = invoices.as_array().cloned().unwrap_or_default();
            assert!(!list.is_empty(), "{}: the normal customer has open invoices", adapter.plugin);
            for invoice in &list {
                assert_eq!(invoice["document_number"], digits, "{}: {invoice}", adapter.plugin);
                let line = invoice["linha_digitavel"].as_str().unwrap_or_default();
                let barcode = invoice["codigo_barras"].as_str().unwrap_or_default();
                assert!(line.is_empty() == barcode.is_empty(), "{}: {invoice}", adapter.plugin);
            }
            assert!(
                list.iter().any(|i| i["linha_digitavel"].as_str().is_some_and(|l| l.len() == 47)),
                "{}: at least one boleto line",
                adapter.plugin
            );
            assert!(
                list.iter().any(|i| i["pix_code"].as_str().is_some_and(|p| !p.is_empty())),
                "{}: at least one PIX",
                adapter.plugin
            );
        }
        if served.contains(&Function::ListTotemInvoices) {
            let totem = ok(&host, adapter, Function::ListTotemInvoices, customer(people::CUSTOMER_CPF)).await;
            let dues: Vec<&str> =
                totem.as_array().into_iter().flatten().filter_map(|i| i["vencimento"].as_str()).collect();
            let mut sorted = dues.clone();
            sorted.sort_unstable();
            assert_eq!(dues, sorted, "{}: oldest due first", adapter.plugin);
        }
        if served.contains(&Function::GetCustomer) {
            let body = ok(&host, adapter, Function::GetCustomer, customer(people::CUSTOMER_CPF)).await;
            assert_eq!(body["document_number"], digits, "{}", adapter.plugin);
        }
        if served.contains(&Function::GetCustomerContacts) {
            let contacts = ok(&host, adapter, Function::GetCustomerContacts, customer(people::CUSTOMER_CPF)).await;
            assert!(contacts.as_array().is_some_and(|c| !c.is_empty()), "{}: {contacts}", adapter.plugin);
        }
        if served.contains(&Function::GetInvoice) {
            let input =
                json!({ "customer_bill_id": people::INVOICE_OPEN, "customer_document_number": people::CUSTOMER_CPF });
            let one = ok(&host, adapter, Function::GetInvoice, input).await;
            assert_eq!(one.as_array().map(Vec::len), Some(1), "{}: {one}", adapter.plugin);
            assert_eq!(one[0]["remote_id"], people::INVOICE_OPEN, "{}", adapter.plugin);
        }
        if served.contains(&Function::GetBoletoPdf) {
            let input = json!({ "boleto_id": people::INVOICE_OPEN, "customer_document_number": people::CUSTOMER_CPF });
            let pdf = ok(&host, adapter, Function::GetBoletoPdf, input).await;
            assert!(pdf["base_64"].as_str().is_some_and(|b| b.starts_with("JVBER")), "{}: {pdf}", adapter.plugin);
        }
        if served.contains(&Function::ListFiscalNotes) && served.contains(&Function::GetFiscalNotePdf) {
            fiscal_notes(&host, adapter).await;
        }
        host.stop().await;
    }
}

/// The normal customer's fiscal notes, one's PDF, and the company's note refused to them.
async fn fiscal_notes(host: &TestHost, adapter: &Adapter) {
    let notes = ok(host, adapter, Function::ListFiscalNotes, customer(people::CUSTOMER_CPF)).await;
    let notes = notes.as_array().cloned().unwrap_or_default();
    assert!(!notes.is_empty(), "{}: the normal customer has fiscal notes", adapter.plugin);
    let first = notes[0]["remote_id"].as_str().unwrap_or_default();
    let input = json!({ "note_id": first, "customer_document_number": people::CUSTOMER_CPF });
    let pdf = ok(host, adapter, Function::GetFiscalNotePdf, input).await;
    assert!(pdf["base_64"].as_str().is_some_and(|b| b.starts_with("JVBER")), "{}: {pdf}", adapter.plugin);
    let company = ok(host, adapter, Function::ListFiscalNotes, customer(people::COMPANY_CNPJ)).await;
    let theirs = company[0]["remote_id"].as_str().unwrap_or_default();
    assert!(!theirs.is_empty(), "{}: the company has a fiscal note", adapter.plugin);
    let input = json!({ "note_id": theirs, "customer_document_number": people::CUSTOMER_CPF });
    let reply = host.call_with(&host.app_key, "get_fiscal_note_pdf", input, &[]).await;
    assert_problem(&reply, 404, "not_found");
}

#[tokio::test]
async fn every_adapter_answers_an_unknown_customer_with_nothing() {
    for adapter in ADAPTERS {
        let host = start(adapter, (adapter.sim)(), "5s").await;
        let served = functions(adapter);
        for function in CUSTOMER_READS.iter().filter(|f| served.contains(f)) {
            let body = ok(&host, adapter, *function, customer(people::UNKNOWN_CPF)).await;
            assert_eq!(body, json!([]), "{} {function}", adapter.plugin);
        }
        if served.contains(&Function::GetCustomer) {
            let reply = host.call_with(&host.app_key, "get_customer", customer(people::UNKNOWN_CPF), &[]).await;
            assert_problem(&reply, 404, "not_found");
        }
        if served.contains(&Function::GetInvoice) {
            let input =
                json!({ "customer_bill_id": people::INVOICE_OPEN, "customer_document_number": people::UNKNOWN_CPF });
            assert_eq!(ok(&host, adapter, Function::GetInvoice, input).await, json!([]), "{}", adapter.plugin);
        }
        host.stop().await;
    }
}

#[tokio::test]
async fn every_adapter_serves_customers_without_invoices_and_companies() {
    for adapter in ADAPTERS {
        let host = start(adapter, (adapter.sim)(), "5s").await;
        let served = functions(adapter);
        for function in [Function::ListInvoices, Function::ListTotemInvoices].iter().filter(|f| served.contains(f)) {
            let body = ok(&host, adapter, *function, customer(people::CUSTOMER_NO_INVOICES_CPF)).await;
            assert_eq!(body, json!([]), "{} {function}", adapter.plugin);
            let company = ok(&host, adapter, *function, customer(people::COMPANY_CNPJ)).await;
            for invoice in company.as_array().into_iter().flatten() {
                assert_eq!(invoice["document_number"], people::COMPANY_CNPJ_DIGITS, "{}", adapter.plugin);
            }
        }
        host.stop().await;
    }
}

#[tokio::test]
async fn every_adapter_normalizes_the_erps_other_formats_to_the_same_answer() {
    for adapter in ADAPTERS {
        let Some(messy) = adapter.messy_sim else { continue };
        let clean_host = start(adapter, (adapter.sim)(), "5s").await;
        let messy_host = start(adapter, messy(), "5s").await;
        for function in CUSTOMER_READS.iter().filter(|f| functions(adapter).contains(f)) {
            // Links point at each simulator's own port; everything else must be identical.
            let clean = ok(&clean_host, adapter, *function, customer(people::CUSTOMER_CPF)).await;
            let clean = clean.to_string().replace(&clean_host.sim.base_url(), "{erp}");
            let other = ok(&messy_host, adapter, *function, customer(people::CUSTOMER_CPF)).await;
            let other = other.to_string().replace(&messy_host.sim.base_url(), "{erp}");
            assert_eq!(clean, other, "{} {function}: formats changed the answer", adapter.plugin);
        }
        clean_host.stop().await;
        messy_host.stop().await;
    }
}

#[tokio::test]
async fn every_adapter_maps_upstream_failures_to_the_same_problems() {
    let cases: [(&str, Fault, u16, &str); 4] = [
        ("503", Fault::Status { status: 503, times: 100 }, 503, "upstream_unavailable"),
        ("garbage", Fault::Garbage { times: 100 }, 502, "upstream_error"),
        (
            "business error",
            Fault::BusinessError { message: "Erro interno do ERP".into(), times: 100 },
            502,
            "upstream_error",
        ),
        ("slow", Fault::Delay { ms: 3_000, times: 100 }, 504, "upstream_timeout"),
    ];
    for adapter in ADAPTERS {
        let host = start(adapter, (adapter.sim)(), "1s").await;
        // Invoices where the adapter serves them; a fiscal-only adapter's listing otherwise.
        let probe =
            if functions(adapter).contains(&Function::ListInvoices) { "list_invoices" } else { "list_fiscal_notes" };
        for (name, fault, status, code) in &cases {
            host.sim.faults().clear();
            host.sim.faults().push(fault.clone());
            let reply = host.call_with(&host.app_key, probe, customer(people::CUSTOMER_CPF), &[]).await;
            assert_eq!(reply.status.as_u16(), *status, "{} on {name}: {}", adapter.plugin, reply.body);
            assert_problem(&reply, *status, code);
        }
        host.sim.faults().clear();
        host.stop().await;
    }
}

#[tokio::test]
async fn every_adapter_posts_a_payment_once_and_unlocks_on_trust() {
    for adapter in ADAPTERS {
        let served = functions(adapter);
        let host = start(adapter, (adapter.sim)(), "5s").await;
        if served.contains(&Function::SettleInvoice) {
            let input = json!({
                "transaction": { "id": format!("E2E-{}", adapter.plugin), "amount": "99.90", "paid_at": "2026-05-15T10:00:00-03:00", "method": "pix" },
                "boleto_id": people::INVOICE_OPEN,
                "customer_document_number": people::CUSTOMER_CPF,
            });
            let settled = ok(&host, adapter, Function::SettleInvoice, input).await;
            assert_eq!(settled["success"], true, "{}: {settled}", adapter.plugin);
            assert_eq!(host.sim.postings(people::INVOICE_OPEN), 1, "{}", adapter.plugin);
        }
        if served.contains(&Function::TrustUnlock) {
            let input = json!({ "customer_document_number": people::BLOCKED_CUSTOMER_CPF, "contract_id": people::CONTRACT_UNLOCK_ELIGIBLE });
            let unlocked = ok(&host, adapter, Function::TrustUnlock, input).await;
            assert_eq!(unlocked["success"], true, "{}: {unlocked}", adapter.plugin);
        }
        host.stop().await;
    }
}
