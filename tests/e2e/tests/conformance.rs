//! The conformance suite: every adapter in the repository, whatever its runtime, against its
//! simulator, through real HTTP, with one table of scenarios per function.
//!
//! Adding an adapter adds one line to [`ADAPTERS`]. Every simulator serves the same people
//! with the same documents and roles (`ponte_erp_sim::people`) and the same catalogues
//! (`ponte_erp_sim::catalogue`), so the expectations here are the contract's, not any ERP's.
//! Each scenario runs on the adapters whose manifest serves its functions: an ERP adapter, a
//! fiscal-only service (PlugStorage), an orders-only service (DocSales).

use ponte_contract::Function;
use ponte_erp_sim::catalogue::{self, DueDay};
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::people;
use ponte_erp_sim::sgp;
use ponte_tests::{Sim, TENANT, TestHost, assert_problem};
use serde_json::{Value, json};

/// One adapter under test.
struct Adapter {
    /// The plugin's folder under `plugins/` (or `tests/plugins/`).
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
    // The IXC script as it stood before the Rhai prelude, frozen: a plugin written against an
    // older API must keep passing whatever the host adds (the API only grows).
    Adapter {
        plugin: "legacy-rhai-ixc",
        sim: Sim::ixc,
        messy_sim: None,
        settings: r#"base_url = "${env:IXC_URL}", user_id = "1", token = "${env:IXC_TOKEN}""#,
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
    // Not an ERP: serves only the order functions (proposals; a tenant binds the rest to its ERP).
    Adapter {
        plugin: "docsales",
        sim: Sim::docsales,
        messy_sim: None,
        settings: r#"base_url = "${env:DOCSALES_URL}", token = "${env:DOCSALES_TOKEN}", template_id = "7", signature_type = "digital", payment_method_id = "3", seller_id = "21", signer_role_id = "1""#,
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
    let mut dir = ponte_tests::repo_plugins().join(adapter.plugin);
    if !dir.exists() {
        dir = ponte_tests::test_plugins().join(adapter.plugin);
    }
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
        // Invoices where the adapter serves them; a fiscal-only adapter's listing, an orders-only
        // adapter's order otherwise.
        let served = functions(adapter);
        let (probe, input) = if served.contains(&Function::ListInvoices) {
            ("list_invoices", customer(people::CUSTOMER_CPF))
        } else if served.contains(&Function::ListFiscalNotes) {
            ("list_fiscal_notes", customer(people::CUSTOMER_CPF))
        } else {
            ("create_order", new_customer_order())
        };
        for (name, fault, status, code) in &cases {
            host.sim.faults().clear();
            host.sim.faults().push(fault.clone());
            let reply = host.call_with(&host.app_key, probe, input.clone(), &[]).await;
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

// ---------------------------------------------------------------------------------------------
// Catalogues: every adapter serving one lists the shared catalogue (`ponte_erp_sim::catalogue`).

/// The catalogue functions (no input).
const CATALOGUES: &[Function] =
    &[Function::ListProducts, Function::ListResellers, Function::ListDueDates, Function::ListCommercialOrigins];

/// A listing's entries sorted by `key` (ERPs list in their own order; the contract sets none).
fn sorted_by(list: &Value, key: &str) -> Vec<Value> {
    let mut entries = list.as_array().cloned().unwrap_or_default();
    entries.sort_by_key(|e| e[key].as_str().unwrap_or_default().parse::<u64>().unwrap_or(u64::MAX));
    entries
}

#[tokio::test]
async fn every_adapter_lists_the_shared_catalogues() {
    for adapter in ADAPTERS {
        let served = functions(adapter);
        if !CATALOGUES.iter().any(|f| served.contains(f)) {
            continue;
        }
        let host = start(adapter, (adapter.sim)(), "5s").await;
        let name = adapter.plugin;
        if served.contains(&Function::ListProducts) {
            let products = ok(&host, adapter, Function::ListProducts, json!({})).await;
            let expected: Vec<Value> =
                catalogue::plans_for_sale().map(|p| json!({ "codigo": p.id.to_string(), "nome": p.name })).collect();
            assert_eq!(sorted_by(&products, "codigo"), expected, "{name}: the plans for sale");
        }
        if served.contains(&Function::ListResellers) {
            let resellers = sorted_by(&ok(&host, adapter, Function::ListResellers, json!({})).await, "code");
            let active: Vec<&catalogue::Seller> = catalogue::SELLERS.iter().filter(|s| s.active).collect();
            assert_eq!(resellers.len(), active.len(), "{name}: the active sellers: {resellers:?}");
            for (listed, seller) in resellers.iter().zip(active) {
                assert_eq!((&listed["code"], &listed["name"]), (&json!(seller.id.to_string()), &json!(seller.name)));
                // An ERP that keeps no CPF/CNPJ or e-mail of its sellers (Hubsoft) says `""`.
                let taxvat: String = seller.taxvat.chars().filter(char::is_ascii_alphanumeric).collect();
                assert!(listed["taxvat"] == "" || listed["taxvat"] == taxvat.as_str(), "{name}: {listed}");
                assert!(listed["email"] == "" || listed["email"] == seller.email, "{name}: {listed}");
            }
        }
        if served.contains(&Function::ListDueDates) {
            let dates = sorted_by(&ok(&host, adapter, Function::ListDueDates, json!({})).await, "code");
            assert_eq!(dates.len(), catalogue::DUE_DATES.len(), "{name}: {dates:?}");
            for (listed, option) in dates.iter().zip(catalogue::DUE_DATES) {
                assert_eq!(listed["code"], option.id.to_string(), "{name}");
                match option.day {
                    DueDay::Day(day) => assert_eq!(listed["name"], day.to_string(), "{name}"),
                    // The last day is named the ERP's way (Hubsoft: "ultimo_dia"); never empty.
                    DueDay::LastDay => assert!(listed["name"].as_str().is_some_and(|n| !n.is_empty()), "{name}"),
                }
            }
        }
        if served.contains(&Function::ListCommercialOrigins) {
            let origins = ok(&host, adapter, Function::ListCommercialOrigins, json!({})).await;
            let expected: Vec<Value> = catalogue::COMMERCIAL_ORIGINS
                .iter()
                .map(|o| json!({ "code": o.id.to_string(), "description": o.description }))
                .collect();
            assert_eq!(sorted_by(&origins, "code"), expected, "{name}");
        }
        // Catalogues take no input: anything else is the caller's mistake, refused by the host.
        for function in CATALOGUES.iter().filter(|f| served.contains(f)) {
            let before = host.sim.request_count();
            let reply = host.call_with(&host.app_key, function.as_str(), json!({ "filter": "x" }), &[]).await;
            assert_problem(&reply, 400, "invalid_input");
            assert_eq!(host.sim.request_count(), before, "{name} {function}: refused before any upstream call");
        }
        host.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Checkout: leads and orders. Writing functions: the harness sends a fresh Idempotency-Key.

/// A lead with everything the ERPs ask for (a prospect in Hubsoft, a `contato` in IXC), in
/// the app's own words, for [`people::PROSPECT_CPF`] at a São Paulo address.
fn lead() -> Value {
    json!({ "lead": {
        "customer": { "name": "Paulo Souza", "email": "paulo.souza@example.com", "phone": "+55 11 95555-4444",
                      "cpf": people::PROSPECT_CPF },
        "address": { "zip_code": "01310-100", "street": "Avenida Paulista", "number": "1000",
                     "neighborhood": "Bela Vista", "city": "São Paulo", "state": "SP" },
        "plan_id": catalogue::plan(2).id.to_string(),
        "utm_source": "instagram",
    } })
}

/// Whether a case reaches the upstream: never (the host refuses it first), always, or as the
/// adapter chooses (it may refuse before calling).
type Upstream = Option<bool>;

/// The path of the request by which `plugin` writes `function` upstream, so a fault refuses the
/// write itself and not a lookup an adapter makes before it (Hubsoft reads its catalogues
/// before posting a prospect, IXC looks up the order's city).
fn write_path(plugin: &str, function: Function) -> &'static str {
    match (plugin, function) {
        ("ixc" | "legacy-rhai-ixc", Function::CreateLead) => "/contato",
        ("ixc" | "legacy-rhai-ixc", Function::CreateOrder) => "/crm_canditados",
        ("hubsoft", Function::CreateLead) => "/prospecto",
        ("docsales", Function::CreateOrder) => "/proposals",
        (plugin, function) => panic!("conformance: add {plugin}'s write path for {function}"),
    }
}

/// What the host refuses before any plugin runs, and what each ERP refuses: (case, input,
/// status, code, whether the upstream is called).
fn lead_cases() -> Vec<(&'static str, Value, u16, &'static str, Upstream)> {
    vec![
        ("a lead", lead(), 200, "", Some(true)),
        ("no lead", json!({}), 400, "invalid_input", Some(false)),
        ("an empty lead", json!({ "lead": {} }), 400, "invalid_input", Some(false)),
        ("a lead that is not an object", json!({ "lead": "Paulo" }), 400, "invalid_input", Some(false)),
        ("an unknown field", json!({ "lead": { "name": "Paulo" }, "source": "x" }), 400, "invalid_input", Some(false)),
        // Every ERP wants a way to reach the lead (IXC a phone or an e-mail; Hubsoft a phone, an
        // address and a plan): its refusal is the caller's upstream_error.
        ("a name only", json!({ "lead": { "name": "Sem Contato" } }), 502, "upstream_error", None),
    ]
}

/// Checks [`Upstream`] against the simulator's request count before and after.
fn assert_upstream(expected: Upstream, before: u64, host: &TestHost, what: &str) {
    if let Some(expected) = expected {
        assert_eq!(host.sim.request_count() > before, expected, "{what}: upstream called?");
    }
}

#[tokio::test]
async fn every_adapter_creates_a_lead_or_says_why_not() {
    for adapter in ADAPTERS.iter().filter(|a| functions(a).contains(&Function::CreateLead)) {
        let host = start(adapter, (adapter.sim)(), "5s").await;
        let name = adapter.plugin;
        for (case, input, status, code, upstream) in lead_cases() {
            let before = host.sim.request_count();
            let reply = host.call_with(&host.app_key, "create_lead", input, &[]).await;
            if status == 200 {
                assert_eq!(reply.status, 200, "{name} {case}: {}", reply.body);
                assert_eq!(reply.body, json!({}), "{name} {case}: the contract's output is empty");
            } else {
                assert_problem(&reply, status, code);
            }
            assert_upstream(upstream, before, &host, &format!("{name} {case} ({})", reply.body));
        }
        // The ERP refusing the write: the same problem everywhere.
        let refused = Fault::BusinessError { message: "Cadastro bloqueado".into(), times: 100 };
        host.sim.faults().push_for(write_path(name, Function::CreateLead), refused);
        let reply = host.call_with(&host.app_key, "create_lead", lead(), &[]).await;
        assert_problem(&reply, 502, "upstream_error");
        host.sim.faults().clear();
        host.stop().await;
    }
}

/// An order of a buyer who is not a customer yet, naming the plan by its name (the one key
/// every service shares: DocSales has its own product ids).
fn new_customer_order() -> Value {
    json!({
        "order": {
            "customer": { "name": "Beatriz Lima", "cpf": people::PROSPECT_CPF, "email": "bia@example.com",
                          "phone": "+55 11 94444-3333" },
            "address": { "street": "Rua Augusta", "number": "10", "neighborhood": "Consolação", "city": "São Paulo",
                         "state": "SP", "zip_code": "01304-001" },
            "plan": { "plan_name": catalogue::plan(2).name },
        },
        "message": "Quer instalação no sábado.",
    })
}

/// An order of an existing customer (the main one).
fn existing_customer_order() -> Value {
    json!({
        "order": { "customer": { "name": people::CUSTOMER_NAME }, "plan": { "plan_name": catalogue::plan(2).name } },
        "message": "Upgrade para 600 Mega.",
        "customer_document_number": people::CUSTOMER_CPF,
        "wda_user": "maria.app",
    })
}

/// Orders: (case, function, input, status, code, whether the upstream is called).
fn order_cases() -> Vec<(&'static str, Function, Value, u16, &'static str, Upstream)> {
    let mut invalid_document = existing_customer_order();
    invalid_document["customer_document_number"] = json!("714.602.380-02");
    let mut no_user = existing_customer_order();
    if let Some(fields) = no_user.as_object_mut() {
        fields.remove("wda_user");
    }
    let mut nameless = new_customer_order();
    if let Some(buyer) = nameless["order"]["customer"].as_object_mut() {
        buyer.remove("name");
    }
    vec![
        ("an order", Function::CreateOrder, new_customer_order(), 200, "", Some(true)),
        ("no order", Function::CreateOrder, json!({ "message": "x" }), 400, "invalid_input", Some(false)),
        (
            "an order that is not an object",
            Function::CreateOrder,
            json!({ "order": [1] }),
            400,
            "invalid_input",
            Some(false),
        ),
        (
            "an unknown field",
            Function::CreateOrder,
            json!({ "order": {}, "coupon": "x" }),
            400,
            "invalid_input",
            Some(false),
        ),
        // Every service needs the buyer's name (IXC's `razao`, DocSales' customer): refused,
        // by the service or by the adapter before calling it, as the caller's upstream_error.
        ("a buyer without a name", Function::CreateOrder, nameless, 502, "upstream_error", None),
        (
            "an existing customer's order",
            Function::CreateOrderExistingCustomer,
            existing_customer_order(),
            200,
            "",
            Some(true),
        ),
        ("a bad CPF", Function::CreateOrderExistingCustomer, invalid_document, 400, "invalid_document", Some(false)),
        ("no app user", Function::CreateOrderExistingCustomer, no_user, 400, "invalid_input", Some(false)),
    ]
}

#[tokio::test]
async fn every_adapter_takes_an_order_or_says_why_not() {
    let orders = [Function::CreateOrder, Function::CreateOrderExistingCustomer];
    for adapter in ADAPTERS.iter().filter(|a| orders.iter().any(|f| functions(a).contains(f))) {
        let host = start(adapter, (adapter.sim)(), "5s").await;
        let served = functions(adapter);
        let name = adapter.plugin;
        for (case, function, input, status, code, upstream) in order_cases() {
            if !served.contains(&function) {
                continue;
            }
            let before = host.sim.request_count();
            let reply = host.call_with(&host.app_key, function.as_str(), input, &[]).await;
            if status != 200 {
                assert_problem(&reply, status, code);
            } else if function == Function::CreateOrder {
                assert_eq!(reply.status, 200, "{name} {case}: {}", reply.body);
                let mut keys: Vec<&str> =
                    reply.body.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
                keys.sort_unstable();
                assert_eq!(keys, ["is_issue", "remote_id", "remote_message"], "{name} {case}: {}", reply.body);
                assert!(reply.body["remote_id"].as_str().is_some_and(|id| !id.is_empty()), "{name}: {}", reply.body);
                assert!(
                    reply.body["remote_message"].is_null() || reply.body["remote_message"].is_string(),
                    "{name}: {}",
                    reply.body
                );
                assert_eq!(reply.body["is_issue"], false, "{name}: a new customer's order is no ticket");
            } else {
                assert_eq!(reply.status, 200, "{name} {case}: {}", reply.body);
                let id = reply.body["remote_id"].as_str().unwrap_or_default();
                assert!(!id.is_empty(), "{name} {case}: {}", reply.body);
                assert_eq!(reply.body, json!({ "remote_id": id }), "{name} {case}: the contract's output only");
            }
            assert_upstream(upstream, before, &host, &format!("{name} {case} ({})", reply.body));
        }
        // The service refusing the order: the same problem everywhere.
        if functions(adapter).contains(&Function::CreateOrder) {
            let refused = Fault::BusinessError { message: "Pedido recusado".into(), times: 100 };
            host.sim.faults().push_for(write_path(name, Function::CreateOrder), refused);
            let reply = host.call_with(&host.app_key, "create_order", new_customer_order(), &[]).await;
            assert_problem(&reply, 502, "upstream_error");
        }
        host.sim.faults().clear();
        host.stop().await;
    }
}
