//! The DocSales adapter (`plugins/docsales/`) against the DocSales simulator, through real
//! HTTP: orders become proposals, and the manifest's monthly quota (200 successful creations)
//! is enforced by the host before DocSales is called, across a restart.

use ponte_erp_sim::docsales::{self, CREATION_REQUESTS, CREATIONS, DocSalesConfig};
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::people;
use ponte_host::quota::{QuotaPeriod, period_at};
use ponte_tests::{DOCSALES_TOKEN, Sim, TENANT, TestHost, TestHostBuilder, assert_problem};
use serde_json::{Value, json};

/// The quota's name in plugins/docsales/plugin.toml.
const QUOTA: &str = "proposal_creations";
/// The connection's name in [`automation`].
const CONNECTION: &str = "docs";

fn automation(template_id: &str) -> String {
    format!(
        r#"name = "ACME Telecom"
allow_private = ["127.0.0.1"]

[connections.docs]
plugin = "docsales"
timeout = "5s"
settings = {{ base_url = "${{env:DOCSALES_URL}}", token = "${{env:DOCSALES_TOKEN}}", template_id = "{template_id}", signature_type = "digital", payment_method_id = "3", seller_id = "21", product_id = "11", signer_role_id = "1" }}

[functions]
create_order = "docs"
create_order_existing_customer = "docs"
"#
    )
}

fn builder() -> TestHostBuilder {
    TestHost::builder().sim(Sim::docsales()).automation("acme.toml", automation("7"))
}

fn order(n: u32) -> Value {
    json!({
        "order": {
            "customer": { "nome": format!("Maria Aparecida da Silva {n}"), "cpf": people::CUSTOMER_CPF_DIGITS,
                          "email": people::CUSTOMER_EMAIL, "celular": "+5511987654321" },
            "plan": { "plan_name": "Fibra 600 Mega", "valor": "119,90" },
        },
        "message": "Instalação de manhã, por favor",
    })
}

/// A proposal as DocSales shows it.
async fn proposal(host: &TestHost, id: &str) -> Value {
    let url = format!("{}/api/v1/proposals/{id}", host.sim.base_url());
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", format!("Token {DOCSALES_TOKEN}"))
        .send()
        .await
        .expect("simulator");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("json")
}

async fn quota_view(host: &TestHost, function: &str) -> Value {
    let listing = host.send(host.request(reqwest::Method::GET, "/v1/functions").bearer_auth(&host.app_key)).await;
    let functions = listing.body["functions"].as_array().cloned().unwrap_or_default();
    let entry = functions.iter().find(|f| f["name"] == function).expect("the function is listed");
    assert_eq!(entry["plugin"], "docsales");
    entry["quota"].clone()
}

#[tokio::test]
async fn an_order_becomes_a_proposal() {
    let host = builder().start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let (status, body) = host.call(&host.app_key, "create_order", order(1)).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body["is_issue"], false);
    let id = body["remote_id"].as_str().expect("an id").to_owned();
    assert!(body["remote_message"].as_str().is_some_and(|m| m.contains(&id)), "{body}");

    let created = proposal(&host, &id).await;
    assert!(created["external_uuid"].as_str().is_some_and(|u| u.len() == 36), "{created}");
    assert_eq!(created["customer"]["name"], "Maria Aparecida da Silva 1");
    assert_eq!(created["customer"]["cpf_cnpj"], people::CUSTOMER_CPF);
    assert_eq!(created["customer"]["email"], people::CUSTOMER_EMAIL);
    assert_eq!(created["template"]["id"], 7);
    assert_eq!(created["signature_type"]["id"], "digital");
    assert_eq!(created["payment_method"]["id"], 3);
    assert_eq!(created["seller"]["id"], 21);
    assert_eq!(created["items"][0]["product_id"], 12, "the plan named in the order, found by name");
    assert_eq!(created["items"][0]["unit_price"], "119.90");
    assert_eq!(created["signers"][0]["role"]["id"], 1);
    assert_eq!(created["notes"], "Instalação de manhã, por favor");
    assert_eq!((host.sim.count(CREATION_REQUESTS), host.sim.count(CREATIONS)), (1, 1));

    // An order of an existing customer: the seeded company, by its (alphanumeric) CNPJ.
    let input = json!({
        "order": { "plano": "FIBRA300" }, "message": "Upgrade",
        "customer_document_number": people::COMPANY_CNPJ, "wda_user": "joao.app",
    });
    let (status, body) = host.call(&host.app_key, "create_order_existing_customer", input).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let created = proposal(&host, body["remote_id"].as_str().expect("an id")).await;
    assert_eq!(created["customer"]["id"], docsales::SEED_CUSTOMER_ID);
    assert_eq!(created["items"][0]["product_id"], 11);
    assert!(created["notes"].as_str().is_some_and(|n| n.contains("joao.app")), "{created}");
    assert_eq!(quota_view(&host, "create_order").await["used"], 2, "both functions share the quota");

    // An order naming a plan DocSales doesn't have fails before any creation.
    let unknown = json!({ "order": { "nome": "X", "plano": "Fibra 10 Giga" }, "message": "" });
    let reply = host.call_with(&host.app_key, "create_order", unknown, &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("Fibra 10 Giga")), "{problem}");
    assert_eq!(host.sim.count(CREATION_REQUESTS), 2);
    assert_eq!(quota_view(&host, "create_order").await["used"], 2, "the unit came back");
    host.stop().await;
}

#[tokio::test]
async fn the_201st_creation_of_the_month_is_refused_before_docsales_even_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("quota.db").display());
    let first = builder().database(&database).start().await;
    // 199 creations already made this month (Brasília calendar), straight into the store.
    let (period, reset) = period_at(QuotaPeriod::Month, std::time::SystemTime::now().into());
    for _ in 0..199 {
        let used = first.host.store.quota_reserve(TENANT, CONNECTION, QUOTA, &period, 200).await.expect("store");
        assert!(used.is_some());
    }
    assert_eq!(quota_view(&first, "create_order").await["remaining"], 1);

    let (status, body) = first.call(&first.app_key, "create_order", order(200)).await;
    assert_eq!(status.as_u16(), 200, "the 200th: {body}");
    let quota = quota_view(&first, "create_order").await;
    assert_eq!(
        (quota["limit"].as_u64(), quota["used"].as_u64(), quota["remaining"].as_u64()),
        (Some(200), Some(200), Some(0))
    );
    assert_eq!(quota["resets_at"], reset.to_rfc3339());
    assert_eq!(quota_view(&first, "create_order_existing_customer").await["remaining"], 0);

    let received = first.sim.count(CREATION_REQUESTS);
    let requests = first.sim.request_count();
    let refused = first.call_with(&first.app_key, "create_order", order(201), &[]).await;
    let problem = assert_problem(&refused, 429, "quota_exhausted");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("`proposal_creations` (200 per month)"), "{detail}");
    assert!(detail.contains(&format!("resets at {}", reset.to_rfc3339())), "{detail}");
    assert!(detail.contains("DocSales allows 200 successful document creations"), "{detail}");
    let existing = json!({
        "order": { "plano": "FIBRA300" }, "message": "",
        "customer_document_number": people::COMPANY_CNPJ, "wda_user": "joao.app",
    });
    let refused = first.call_with(&first.app_key, "create_order_existing_customer", existing.clone(), &[]).await;
    assert_problem(&refused, 429, "quota_exhausted");
    assert_eq!(first.sim.count(CREATION_REQUESTS), received, "DocSales was not asked to create anything");
    assert_eq!(first.sim.request_count(), requests, "nor anything else");
    first.stop().await;

    let second = builder().database(&database).start().await;
    let refused = second.call_with(&second.app_key, "create_order", order(202), &[]).await;
    assert_problem(&refused, 429, "quota_exhausted");
    assert_eq!(second.sim.count(CREATION_REQUESTS), 0, "the restarted host still refuses before DocSales");
    assert_eq!(quota_view(&second, "create_order").await["remaining"], 0);
    second.stop().await;
}

#[tokio::test]
async fn a_creation_docsales_refuses_gives_its_unit_back() {
    // A template DocSales doesn't have: its 422 lists the field.
    let host = TestHost::builder().sim(Sim::docsales()).automation("acme.toml", automation("99")).start().await;
    let reply = host.call_with(&host.app_key, "create_order", order(1), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("template_id: não encontrado"), "{detail}");
    assert_eq!((host.sim.count(CREATION_REQUESTS), host.sim.count(CREATIONS)), (1, 0));
    let quota = quota_view(&host, "create_order").await;
    assert_eq!((quota["used"].as_u64(), quota["remaining"].as_u64()), (Some(0), Some(200)), "{quota}");
    host.stop().await;
}

#[tokio::test]
async fn docsales_refusals_and_outages_are_mapped() {
    let host = builder().start().await;

    // The token refused: said so, never echoed.
    host.sim.faults().push_for("/api/v1/proposals", Fault::Status { status: 401, times: 1 });
    let reply = host.call_with(&host.app_key, "create_order", order(1), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("refused the API token"), "{detail}");
    assert!(!reply.body.to_string().contains(DOCSALES_TOKEN));
    assert!(!ponte_tests::captured_logs().contains(DOCSALES_TOKEN), "the token never reaches a log");

    // Down: upstream_unavailable.
    host.sim.faults().push_for("/api/v1/proposals", Fault::Status { status: 503, times: 1 });
    let reply = host.call_with(&host.app_key, "create_order", order(2), &[]).await;
    assert_problem(&reply, 503, "upstream_unavailable");
    assert_eq!(quota_view(&host, "create_order").await["used"], 0, "nothing was created: units back");

    // A 2xx without a readable proposal: it may exist, so the unit stays spent.
    host.sim.faults().push_for("/api/v1/proposals", Fault::Garbage { times: 1 });
    let reply = host.call_with(&host.app_key, "create_order", order(3), &[]).await;
    let problem = assert_problem(&reply, 502, "plugin_failed");
    let id = problem["invocation_id"].as_str().unwrap_or_default();
    let logged = host.invocations().await.into_iter().find(|i| i.id == id).expect("the invocation is logged");
    let reason = logged.detail.unwrap_or_default();
    assert!(reason.contains("may have been created"), "{reason}");
    assert_eq!(quota_view(&host, "create_order").await["used"], 1, "an unknown outcome keeps its unit");
    host.stop().await;

    // DocSales' own monthly limit (creations by other integrations of the account count there).
    let spent = DocSalesConfig { token: DOCSALES_TOKEN.to_owned(), created_this_month: 200, ..Default::default() };
    let host = TestHost::builder().sim(Sim::DocSales(spent)).automation("acme.toml", automation("7")).start().await;
    let reply = host.call_with(&host.app_key, "create_order", order(3), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("monthly limit of document creations is reached at DocSales"), "{detail}");
    assert!(detail.contains("Limite mensal de 200"), "{detail}");
    assert_eq!(quota_view(&host, "create_order").await["remaining"], 200);
    host.stop().await;
}
