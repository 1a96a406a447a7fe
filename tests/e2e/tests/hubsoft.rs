//! The Hubsoft adapter through the real host, for what the conformance suite doesn't show: its
//! OAuth2 token (granted once and cached in kv, renewed when it expires or is revoked, once,
//! never in a loop, its secrets never logged), the lead as a prospect, the fiscal notes' 60-day
//! windows and the plans for sale at a CEP.

use std::time::Duration;

use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::hubsoft::HubsoftConfig;
use ponte_erp_sim::plugstorage::data::NOTE_COMPANY;
use ponte_erp_sim::{catalogue, people};
use ponte_tests::{HUBSOFT_CLIENT_SECRET, HUBSOFT_PASSWORD, Sim, TENANT, TestHost, assert_problem};
use serde_json::{Value, json};

async fn start(sim: Sim) -> TestHost {
    start_with(sim, "").await
}

/// With more settings (`key = "value", ...`).
async fn start_with(sim: Sim, extra: &str) -> TestHost {
    let manifest = ponte_host::config::manifest::load(&ponte_tests::repo_plugins().join("hubsoft")).expect("manifest");
    let bindings: String = manifest.functions.iter().map(|f| format!("{f} = \"erp\"\n")).collect();
    let extra = if extra.is_empty() { String::new() } else { format!(", {extra}") };
    let automation = format!(
        r#"tenant = "{TENANT}"
allow_private = ["127.0.0.1"]
[connections.erp]
plugin = "hubsoft"
timeout = "5s"
settings = {{ base_url = "${{env:HUBSOFT_URL}}", client_id = "${{env:HUBSOFT_CLIENT_ID}}", client_secret = "${{env:HUBSOFT_CLIENT_SECRET}}", username = "${{env:HUBSOFT_USERNAME}}", password = "${{env:HUBSOFT_PASSWORD}}", cash_account_id = "1"{extra} }}
[functions]
{bindings}"#
    );
    let host = TestHost::builder().sim(sim).automation(&format!("{TENANT}.toml"), automation).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    host
}

fn with_ttl(ttl: Duration) -> Sim {
    match Sim::hubsoft() {
        Sim::Hubsoft(config) => Sim::Hubsoft(HubsoftConfig { token_ttl: ttl, ..config }),
        other => other,
    }
}

async fn call(host: &TestHost, function: &str) -> (u16, Value) {
    let reply =
        host.call_with(&host.app_key, function, json!({"customer_document_number": people::CUSTOMER_CPF}), &[]).await;
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn one_token_serves_many_calls() {
    let host = start(Sim::hubsoft()).await;
    for function in ["list_invoices", "list_plans", "get_customer", "get_customer_contacts", "list_totem_invoices"] {
        for _ in 0..2 {
            let (status, body) = call(&host, function).await;
            assert_eq!(status, 200, "{function}: {body}");
        }
    }
    assert_eq!(host.sim.token_grants(), 1);
    host.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_the_call_succeeds() {
    let host = start(with_ttl(Duration::from_secs(2))).await;
    assert_eq!(call(&host, "list_plans").await.0, 200);
    assert_eq!(host.sim.token_grants(), 1);
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let (status, body) = call(&host, "list_plans").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.sim.token_grants(), 2);
    host.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_renewed_once_not_in_a_loop() {
    let host = start(Sim::hubsoft()).await;
    assert_eq!(call(&host, "list_plans").await.0, 200);
    host.sim.revoke_tokens();
    let before = host.sim.request_count();
    let (status, body) = call(&host, "list_plans").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.sim.token_grants(), 2);
    assert_eq!(host.sim.request_count() - before, 3, "refused call, grant, retried call");

    // A Hubsoft that answers 401 to every API call: one renewal, then an error.
    host.sim.faults().push_for("/api/v1/", Fault::Status { status: 401, times: 100 });
    let before = host.sim.request_count();
    let reply = host
        .call_with(&host.app_key, "list_plans", json!({"customer_document_number": people::CUSTOMER_CPF}), &[])
        .await;
    assert_problem(&reply, 502, "upstream_error");
    assert_eq!(host.sim.token_grants(), 3);
    assert_eq!(host.sim.request_count() - before, 3, "refused call, grant, refused retry: no loop");
    host.sim.faults().clear();
    host.stop().await;
}

#[tokio::test]
async fn the_secrets_never_reach_the_logs_or_the_invocation_log() {
    let host = start(Sim::hubsoft()).await;
    assert_eq!(call(&host, "list_invoices").await.0, 200);
    host.sim.revoke_tokens();
    assert_eq!(call(&host, "get_customer").await.0, 200);
    let settle = json!({
        "transaction": { "id": "E2E-HUBSOFT-LOG", "amount": "99.90", "paid_at": "2026-05-15T10:00:00-03:00", "method": "pix" },
        "boleto_id": people::INVOICE_OPEN_OVERDUE,
        "customer_document_number": people::CUSTOMER_CPF,
    });
    let (status, body) = host.call(&host.app_key, "settle_invoice", settle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(host.sim.postings(people::INVOICE_OPEN_OVERDUE), 1);
    let logs = ponte_tests::captured_logs();
    let invocations = format!("{:?}", host.invocations().await);
    assert!(invocations.contains("list_invoices"), "the invocation log is there: {invocations}");
    for secret in [HUBSOFT_CLIENT_SECRET, HUBSOFT_PASSWORD] {
        assert!(!logs.contains(secret), "a secret reached the logs");
        assert!(!invocations.contains(secret), "a secret reached the invocation log");
    }
    host.stop().await;
}

/// What the simulated Hubsoft holds, asked through its own API with a token of our own.
async fn hubsoft_get(host: &TestHost, path: &str, query: &[(&str, &str)]) -> Value {
    let http = reqwest::Client::new();
    let base = host.sim.base_url();
    let grant = json!({
        "grant_type": "password", "client_id": ponte_erp_sim::hubsoft::DEMO_CLIENT_ID,
        "client_secret": HUBSOFT_CLIENT_SECRET, "username": ponte_erp_sim::hubsoft::DEMO_USERNAME,
        "password": HUBSOFT_PASSWORD,
    });
    let token: Value =
        http.post(format!("{base}/oauth/token")).json(&grant).send().await.expect("grant").json().await.expect("json");
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let response = http
        .get(format!("{base}/api/v1/integracao/{path}"))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .expect("simulator");
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_lead_becomes_a_priced_prospect_once_per_cpf() {
    let host = start(Sim::hubsoft()).await;
    let lead = json!({ "lead": {
        "nome": "Paulo Souza", "celular": "(11) 95555-4444", "email": "paulo@example.com", "cpf": people::PROSPECT_CPF,
        "cep": "01310-100", "endereco": "Avenida Paulista", "numero": "1000", "bairro": "Bela Vista",
        "plan_id": "3", "due_date_code": "2", "reseller_code": "2", "utm_source": "Indicacao de cliente",
        "obs": "Prefere contato à tarde",
    } });
    let (status, body) = host.call(&host.app_key, "create_lead", lead.clone()).await;
    assert_eq!((status.as_u16(), body), (200, json!({})));
    let found = hubsoft_get(&host, "prospecto", &[("busca", "cpf_cnpj"), ("termo_busca", people::PROSPECT_CPF)]).await;
    let prospect = &found["prospectos"][0];
    assert_eq!(prospect["nome_razaosocial"], "PAULO SOUZA", "Hubsoft upper-cases names: {found}");
    assert_eq!(prospect["telefone"], "11955554444");
    assert_eq!(prospect["tipo_pessoa"], "pf");
    assert_eq!(
        (&prospect["id_vencimento"], &prospect["id_vendedor"], &prospect["id_origem_cliente"]),
        (&json!(2), &json!(2), &json!(4)),
        "codes from the catalogues; the origin matched by its name, accents aside"
    );
    assert_eq!(prospect["endereco"]["cep"], "01310100");

    // Hubsoft keeps one prospect per CPF: the second is refused with its reason.
    let reply = host.call_with(&host.app_key, "create_lead", lead, &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("já foi cadastrado") && !detail.contains("PAULO"),
        "the fact, never the owner's name: {problem}"
    );

    // A plan the CEP's business unit doesn't offer is refused before anything is created.
    let campinas = json!({ "lead": {
        "nome": "Rita Campos", "celular": "19 98888-7777", "cep": "13010-100", "endereco": "Rua Barão de Jaguara",
        "numero": "5", "bairro": "Centro", "plan_id": "3",
    } });
    let reply = host.call_with(&host.app_key, "create_lead", campinas, &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("no plan 3"), "{problem}");
    let all = hubsoft_get(&host, "prospecto", &[("busca", "nome_razaosocial"), ("termo_busca", "a")]).await;
    assert_eq!(all["prospectos"].as_array().map(Vec::len), Some(1), "{all}");
    host.stop().await;
}

#[tokio::test]
async fn fiscal_notes_are_asked_in_windows_hubsoft_accepts() {
    let host = start(Sim::hubsoft()).await;
    let maria = |from: Option<&str>, to: Option<&str>| {
        let mut input = json!({ "customer_document_number": people::CUSTOMER_CPF });
        if let Some(from) = from {
            input["from"] = json!(from);
        }
        if let Some(to) = to {
            input["to"] = json!(to);
        }
        input
    };
    let expected = json!([
        { "remote_id": "nf_telecom:7001", "number": "1203", "series": "1", "access_key": "", "issued_at": "2026-03-31", "amount": "99.90", "status": "authorized" },
        { "remote_id": "nf_telecom:7002", "number": "1104", "series": "1", "access_key": "", "issued_at": "2026-02-28", "amount": "99.90", "status": "authorized" },
    ]);
    // A note's remote_id also carries its customer and date (`<type>:<id>:<id_cliente>:<date>`),
    // so its PDF is found from the id alone; compare the rest.
    let short = |mut notes: Value| {
        for note in notes.as_array_mut().into_iter().flatten() {
            let id =
                note["remote_id"].as_str().unwrap_or_default().splitn(3, ':').take(2).collect::<Vec<_>>().join(":");
            note["remote_id"] = json!(id);
        }
        notes
    };
    // Five months: three 60-day windows, each one Hubsoft accepts (it refuses more than 60 days).
    let (status, notes) =
        host.call(&host.app_key, "list_fiscal_notes", maria(Some("2026-01-01"), Some("31/05/2026"))).await;
    assert_eq!((status.as_u16(), short(notes)), (200, expected.clone()));
    let (_, all) = host.call(&host.app_key, "list_fiscal_notes", maria(None, None)).await;
    assert_eq!(short(all), expected, "without dates: every note, one request");
    let (_, march) = host.call(&host.app_key, "list_fiscal_notes", maria(Some("2026-03-01"), Some("2026-03-31"))).await;
    assert_eq!(short(march), json!([expected[0]]));

    // The company's NF-e: its key (Hubsoft prefixes it with "NFe") verified, and its PDF.
    let company = json!({ "customer_document_number": people::COMPANY_CNPJ });
    let (_, notes) = host.call(&host.app_key, "list_fiscal_notes", company).await;
    let id = notes[0]["remote_id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("nfe:7003:") && id.ends_with(":2026-04-15"), "{id}");
    assert_eq!(notes[0]["access_key"], NOTE_COMPANY);
    assert_eq!(notes[0]["amount"], "199.90");
    for input in [json!({ "note_id": id }), json!({ "note_id": id, "customer_document_number": people::COMPANY_CNPJ })]
    {
        let (status, pdf) = host.call(&host.app_key, "get_fiscal_note_pdf", input).await;
        assert_eq!(status.as_u16(), 200, "{pdf}");
        assert!(pdf["base_64"].as_str().is_some_and(|b| b.starts_with("JVBER")));
    }
    let hers = json!({ "note_id": id, "customer_document_number": people::CUSTOMER_CPF });
    assert_problem(&host.call_with(&host.app_key, "get_fiscal_note_pdf", hers, &[]).await, 404, "not_found");
    host.stop().await;
}

#[tokio::test]
async fn the_plans_for_sale_are_those_offered_at_the_sales_cep() {
    let names = |list: &Value| -> Vec<String> {
        list.as_array().into_iter().flatten().filter_map(|p| p["nome"].as_str().map(str::to_owned)).collect()
    };
    let everywhere = start(Sim::hubsoft()).await;
    let (_, all) = everywhere.call(&everywhere.app_key, "list_products", json!({})).await;
    assert_eq!(names(&all), catalogue::plans_for_sale().map(|p| p.name.to_owned()).collect::<Vec<_>>());
    everywhere.stop().await;

    let campinas = start_with(Sim::hubsoft(), r#"sales_cep = "13010-100""#).await;
    let (_, there) = campinas.call(&campinas.app_key, "list_products", json!({})).await;
    assert_eq!(names(&there), [catalogue::plan(1).name, catalogue::plan(2).name], "no business plan in Campinas");
    campinas.stop().await;

    let nowhere = start_with(Sim::hubsoft(), r#"sales_cep = "70000-000""#).await;
    let reply = nowhere.call_with(&nowhere.app_key, "list_products", json!({}), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("Nenhuma cidade"), "{problem}");
    nowhere.stop().await;
}

/// `n` calls at once, each a different function so no host-side coalescing could explain a
/// single grant: only the plugin's single-flight token refresh can.
async fn concurrent_calls(host: &TestHost, n: usize) -> Vec<(u16, Value)> {
    let functions = ["list_invoices", "list_plans", "get_customer", "get_customer_contacts", "list_totem_invoices"];
    let calls = (0..n).map(|i| call(host, functions[i % functions.len()]));
    futures_util::future::join_all(calls).await
}

#[tokio::test]
async fn concurrent_calls_on_a_cold_start_share_one_grant() {
    let host = start(Sim::hubsoft()).await;
    // A slow token endpoint: every call reaches it before the first grant is back.
    host.sim.faults().push_for("/oauth/token", Fault::Delay { ms: 300, times: 8 });
    for (status, body) in concurrent_calls(&host, 8).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(host.sim.token_grants(), 1, "one grant for eight concurrent calls");
    host.sim.faults().clear();
    host.stop().await;
}

#[tokio::test]
async fn concurrent_calls_refused_a_revoked_token_renew_it_once() {
    let host = start(Sim::hubsoft()).await;
    assert_eq!(call(&host, "list_plans").await.0, 200);
    host.sim.revoke_tokens();
    host.sim.faults().push_for("/oauth/token", Fault::Delay { ms: 300, times: 8 });
    for (status, body) in concurrent_calls(&host, 8).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(host.sim.token_grants(), 2, "the first grant, then one renewal for eight refused calls");
    host.sim.faults().clear();
    host.stop().await;
}
