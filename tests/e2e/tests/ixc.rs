//! The IXC adapter (`plugins/ixc`) end to end: real HTTP into a Ponte server whose tenant binds
//! every function of the adapter's manifest to the simulated IXC, and assertions on the
//! normalized answers the contract promises (CONTRACT.md) and on what reached the ERP.

use ponte_contract::normalize::boleto::BoletoLine;
use ponte_contract::normalize::pix::PixCode;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::ixc::IxcConfig;
use ponte_erp_sim::ixc::data::{
    BLOCKED_CUSTOMER_CPF, COMPANY_CNPJ, COMPANY_CNPJ_DIGITS, COMPANY_INVOICE_GATEWAY, CONTRACT_INACTIVE,
    CONTRACT_MISSING, CONTRACT_UNLOCK_ELIGIBLE, CONTRACT_UNLOCK_USED, CUSTOMER_CONTRACT, CUSTOMER_CPF,
    CUSTOMER_CPF_DIGITS, CUSTOMER_EMAIL, CUSTOMER_NAME, CUSTOMER_NO_INVOICES_CPF, INACTIVE_CUSTOMER_CPF,
    INVOICE_CANCELLED, INVOICE_HIDDEN, INVOICE_OPEN, INVOICE_OPEN_OVERDUE, INVOICE_PAID, INVOICE_PARTIAL, INVOICE_PIX,
    UNKNOWN_CPF,
};
use ponte_tests::{IXC_TOKEN, TestHost, assert_problem, captured_logs, ixc_automation};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers

fn customer(document: &str) -> Value {
    json!({ "customer_document_number": document })
}

/// Calls a function and asserts `200`, returning the body.
async fn ok(host: &TestHost, key: &str, function: &str, body: Value) -> Value {
    let reply = host.call_with(key, function, body, &[]).await;
    assert_eq!(reply.status.as_u16(), 200, "{function}: {}", reply.body);
    reply.body
}

/// Calls with the app key and asserts `200`.
async fn app(host: &TestHost, function: &str, body: Value) -> Value {
    ok(host, &host.app_key, function, body).await
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("expected a list, got {value}"))
}

fn remote_ids(value: &Value) -> Vec<String> {
    list(value).iter().map(|f| f["remote_id"].as_str().unwrap_or_default().to_owned()).collect()
}

fn find<'a>(value: &'a Value, remote_id: &str) -> &'a Value {
    list(value).iter().find(|f| f["remote_id"] == remote_id).unwrap_or_else(|| panic!("no {remote_id} in {value}"))
}

fn is_money(text: &Value) -> bool {
    let t = text.as_str().unwrap_or_default();
    let Some((int, cents)) = t.split_once('.') else { return false };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && cents.len() == 2
        && cents.bytes().all(|b| b.is_ascii_digit())
}

fn is_iso_date(text: &Value) -> bool {
    let t = text.as_str().unwrap_or_default();
    t.len() == 10
        && t.as_bytes()[4] == b'-'
        && t.as_bytes()[7] == b'-'
        && t.bytes().filter(u8::is_ascii_digit).count() == 8
}

/// Every Fatura guarantee of CONTRACT.md: all strings, money `"99.90"`, dates ISO, a 47/48-digit
/// line with a 44-digit barcode (or both empty), a PIX code whose CRC checks (or empty).
fn assert_clean_fatura(f: &Value) {
    for key in [
        "document_number",
        "fatura",
        "nome_cliente",
        "valor_inicial",
        "valor_final",
        "juros",
        "multa",
        "emissao",
        "vencimento",
        "historico",
        "link_boleto",
        "linha_digitavel",
        "code_fatura",
        "identifier",
        "remote_id",
        "pix_code",
        "codigo_barras",
    ] {
        assert!(f[key].is_string(), "{key} is not text: {f}");
    }
    let document = f["document_number"].as_str().unwrap_or_default();
    assert!(document.len() == 11 || document.len() == 14, "{f}");
    assert!(document.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()), "{f}");
    for key in ["valor_inicial", "valor_final", "juros", "multa"] {
        assert!(is_money(&f[key]), "{key}: {f}");
    }
    assert!(is_iso_date(&f["vencimento"]) && is_iso_date(&f["emissao"]), "{f}");
    let line = f["linha_digitavel"].as_str().unwrap_or_default();
    let barcode = f["codigo_barras"].as_str().unwrap_or_default();
    if line.is_empty() {
        assert_eq!(barcode, "", "{f}");
    } else {
        assert!(line.len() == 47 || line.len() == 48, "{f}");
        assert!(line.bytes().all(|b| b.is_ascii_digit()), "{f}");
        let parsed = BoletoLine::parse(line).expect("a valid line");
        assert_eq!(parsed.to_barcode().as_str(), barcode);
        assert_eq!(barcode.len(), 44);
    }
    let pix = f["pix_code"].as_str().unwrap_or_default();
    if !pix.is_empty() {
        assert!(PixCode::parse(pix).is_ok(), "invalid pix: {f}");
    }
}

/// The amount a bank boleto line charges, in cents (its last ten digits).
fn line_amount(f: &Value) -> &str {
    let line = f["linha_digitavel"].as_str().unwrap_or_default();
    &line[line.len().saturating_sub(10)..]
}

fn transaction(id: &str, amount: &str, paid_at: &str) -> Value {
    json!({ "id": id, "amount": amount, "paid_at": paid_at, "method": "pix" })
}

fn settle(document: &str, invoice: &str, transaction: Value) -> Value {
    json!({ "customer_document_number": document, "boleto_id": invoice, "transaction": transaction })
}

/// Lists a table straight from the simulated IXC (test-side only), to see what the adapter
/// wrote.
async fn sim_rows(host: &TestHost, table: &str, qtype: &str, query: &str) -> Vec<Value> {
    let auth = IxcConfig { token: IXC_TOKEN.to_owned(), ..IxcConfig::default() }.authorization();
    let response = reqwest::Client::new()
        .post(format!("{}/webservice/v1/{table}", host.sim.base_url()))
        .header("authorization", auth)
        .header("ixcsoft", "listar")
        .json(&json!({ "qtype": qtype, "query": query, "oper": "=", "rp": "1000" }))
        .send()
        .await
        .expect("simulator answers");
    let body: Value = response.json().await.expect("JSON");
    body["registros"].as_array().cloned().unwrap_or_default()
}

/// A host whose connection deadline is `timeout`.
async fn host_with_timeout(timeout: &str) -> TestHost {
    let automation = ixc_automation("acme", "").replace("timeout = \"5s\"", &format!("timeout = \"{timeout}\""));
    assert!(automation.contains(timeout));
    TestHost::builder().automation("acme.toml", automation).start().await
}

// ---------------------------------------------------------------------------------------------
// Invoices

#[tokio::test]
async fn list_invoices_gives_the_open_released_invoices_normalized() {
    let host = TestHost::start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let invoices = app(&host, "list_invoices", customer(CUSTOMER_CPF)).await;

    let mut ids = remote_ids(&invoices);
    ids.sort();
    // Paid (1003), cancelled (1004) and not yet released (1005) invoices are not listed.
    assert_eq!(ids, [INVOICE_OPEN_OVERDUE, INVOICE_OPEN, INVOICE_PARTIAL, INVOICE_PIX]);
    for f in list(&invoices) {
        assert_clean_fatura(f);
        assert_eq!(f["document_number"], CUSTOMER_CPF_DIGITS);
        assert_eq!(f["nome_cliente"], CUSTOMER_NAME);
        assert_eq!(f["historico"], "Fibra 300 Mega");
        assert_eq!(f["link_boleto"], "");
        assert_eq!(f["identifier"], "");
        assert_eq!(f["fatura"], f["remote_id"]);
        assert!(!f["pix_code"].as_str().unwrap_or_default().is_empty(), "every open invoice has a PIX: {f}");
    }

    let overdue = find(&invoices, INVOICE_OPEN_OVERDUE);
    assert_eq!(overdue["valor_inicial"], "99.90");
    assert_eq!(overdue["valor_final"], "99.90");
    assert_eq!(overdue["juros"], "0.00");
    assert_eq!(overdue["multa"], "0.00");
    assert_eq!(overdue["emissao"], "2026-03-31");
    assert_eq!(overdue["vencimento"], "2026-04-10");
    assert_eq!(overdue["code_fatura"], INVOICE_OPEN_OVERDUE);
    assert_eq!(overdue["linha_digitavel"].as_str().map(str::len), Some(47));
    assert_eq!(overdue["codigo_barras"].as_str().map(str::len), Some(44));
    assert_eq!(line_amount(overdue), "0000009990");

    // Partly paid: 129.90 with 30.00 received; the line is reissued for the 99.90 still open.
    let partial = find(&invoices, INVOICE_PARTIAL);
    assert_eq!(partial["valor_inicial"], "129.90");
    assert_eq!(partial["valor_final"], "99.90");
    assert_eq!(line_amount(partial), "0000009990");

    // A PIX invoice whose stored line is garbage: no line, a PIX code.
    let pix = find(&invoices, INVOICE_PIX);
    assert_eq!(pix["linha_digitavel"], "");
    assert_eq!(pix["codigo_barras"], "");
    assert!(pix["pix_code"].as_str().unwrap_or_default().starts_with("000201"));
}

#[tokio::test]
async fn customers_are_found_by_digits_or_masked_document_and_by_contract() {
    let host = TestHost::start().await;
    let masked = app(&host, "list_invoices", customer(CUSTOMER_CPF)).await;
    let digits = app(&host, "list_invoices", customer(CUSTOMER_CPF_DIGITS)).await;
    assert_eq!(masked, digits);

    let by_contract = app(
        &host,
        "list_invoices",
        json!({ "customer_document_number": CUSTOMER_CPF, "contract_id": CUSTOMER_CONTRACT }),
    )
    .await;
    assert_eq!(list(&by_contract).len(), 4);
    // Another customer's contract gives nothing, never their invoices.
    let foreign =
        app(&host, "list_invoices", json!({ "customer_document_number": CUSTOMER_CPF, "contract_id": 203 })).await;
    assert_eq!(foreign, json!([]));
}

#[tokio::test]
async fn totem_invoices_are_open_and_oldest_due_first() {
    let host = TestHost::start().await;
    // The app key: a kiosk key is shown a minimized customer (tests/e2e/tests/privacy.rs).
    let invoices = app(&host, "list_totem_invoices", customer(CUSTOMER_CPF)).await;
    assert_eq!(remote_ids(&invoices), [INVOICE_OPEN_OVERDUE, INVOICE_PARTIAL, INVOICE_PIX, INVOICE_OPEN]);
    let due: Vec<&str> = list(&invoices).iter().map(|f| f["vencimento"].as_str().unwrap_or_default()).collect();
    assert_eq!(due, ["2026-04-10", "2026-05-10", "2026-05-20", "2026-06-10"]);
    list(&invoices).iter().for_each(assert_clean_fatura);
}

#[tokio::test]
async fn the_alphanumeric_cnpj_company_gets_its_gateway_invoice_with_link_and_pix() {
    let host = TestHost::start().await;
    let invoices = app(&host, "list_invoices", customer(COMPANY_CNPJ)).await;
    assert_eq!(remote_ids(&invoices), [COMPANY_INVOICE_GATEWAY]);
    let f = &invoices[0];
    assert_clean_fatura(f);
    assert_eq!(f["document_number"], COMPANY_CNPJ_DIGITS);
    assert_eq!(f["nome_cliente"], "Padaria Pão de Mel Ltda");
    assert_eq!(f["valor_final"], "199.90");
    assert_eq!(f["historico"], "Fibra 1 Giga Empresarial");
    assert_eq!(f["link_boleto"], format!("https://pagamentos.ponte-demo.example/fatura/{COMPANY_INVOICE_GATEWAY}"));
    assert_eq!(f["linha_digitavel"], "");
    assert!(PixCode::parse(f["pix_code"].as_str().unwrap_or_default()).is_ok());

    // The same company by its unmasked CNPJ.
    assert_eq!(app(&host, "list_invoices", customer(COMPANY_CNPJ_DIGITS)).await, invoices);
    let company = app(&host, "get_customer", customer(COMPANY_CNPJ)).await;
    assert_eq!(company["document_number"], COMPANY_CNPJ_DIGITS);
    assert_eq!(company["remote_id"], "103");
}

#[tokio::test]
async fn get_invoice_gives_only_this_customers_released_invoice() {
    let host = TestHost::start().await;
    let get = |id: &str, document: &str| json!({ "customer_bill_id": id, "customer_document_number": document });

    let one = app(&host, "get_invoice", get(INVOICE_OPEN, CUSTOMER_CPF)).await;
    assert_eq!(remote_ids(&one), [INVOICE_OPEN]);
    assert_clean_fatura(&one[0]);
    assert_eq!(one[0]["vencimento"], "2026-06-10");
    assert_eq!(one[0]["valor_final"], "99.90");
    assert_eq!(line_amount(&one[0]), "0000009990");
    // Ids may come as numbers.
    let numeric =
        app(&host, "get_invoice", json!({ "customer_bill_id": 1002, "customer_document_number": CUSTOMER_CPF })).await;
    assert_eq!(remote_ids(&numeric), [INVOICE_OPEN]);

    // A paid invoice is there, with nothing left to pay.
    let paid = app(&host, "get_invoice", get(INVOICE_PAID, CUSTOMER_CPF)).await;
    assert_eq!(paid[0]["valor_final"], "0.00");
    assert_eq!(paid[0]["linha_digitavel"], "");
    assert_eq!(paid[0]["pix_code"], "");

    for (id, document) in [
        (COMPANY_INVOICE_GATEWAY, CUSTOMER_CPF), // another customer's
        (INVOICE_CANCELLED, CUSTOMER_CPF),
        (INVOICE_HIDDEN, CUSTOMER_CPF),
        ("999999", CUSTOMER_CPF),
        (INVOICE_OPEN, UNKNOWN_CPF),
    ] {
        assert_eq!(app(&host, "get_invoice", get(id, document)).await, json!([]), "{id}");
    }
}

#[tokio::test]
async fn boleto_pdf_is_a_pdf_whichever_shape_ixc_answers() {
    for base64_json in [false, true] {
        let ixc = IxcConfig { token: IXC_TOKEN.to_owned(), boleto_base64_json: base64_json, ..IxcConfig::default() };
        let host = TestHost::builder().ixc(ixc).start().await;
        let pdf = ok(&host, &host.totem_key, "get_boleto_pdf", json!({ "boleto_id": INVOICE_OPEN_OVERDUE })).await;
        let text = pdf["base_64"].as_str().unwrap_or_default();
        assert!(text.starts_with("JVBER"), "base64 of %PDF (json shape: {base64_json}): {pdf}");
    }
    let host = TestHost::start().await;
    for id in [INVOICE_PIX, INVOICE_CANCELLED, INVOICE_PAID, INVOICE_HIDDEN, "999999"] {
        let reply = host.call_with(&host.app_key, "get_boleto_pdf", json!({ "boleto_id": id }), &[]).await;
        assert_problem(&reply, 404, "not_found");
    }
}

#[tokio::test]
async fn pdfs_are_refused_to_a_customer_who_does_not_own_them() {
    let host = TestHost::start().await;
    let owner = json!({ "boleto_id": INVOICE_OPEN_OVERDUE, "customer_document_number": CUSTOMER_CPF });
    let pdf = ok(&host, &host.totem_key, "get_boleto_pdf", owner).await;
    assert!(pdf["base_64"].as_str().unwrap_or_default().starts_with("JVBER"));
    for document in [COMPANY_CNPJ, UNKNOWN_CPF] {
        let other = json!({ "boleto_id": INVOICE_OPEN_OVERDUE, "customer_document_number": document });
        let reply = host.call_with(&host.totem_key, "get_boleto_pdf", other, &[]).await;
        assert_problem(&reply, 404, "not_found");
        let note = json!({ "note_id": "7001", "customer_document_number": document });
        let reply = host.call_with(&host.app_key, "get_fiscal_note_pdf", note, &[]).await;
        assert_problem(&reply, 404, "not_found");
    }
    let note = json!({ "note_id": "7001", "customer_document_number": CUSTOMER_CPF });
    let pdf = ok(&host, &host.app_key, "get_fiscal_note_pdf", note).await;
    assert!(pdf["base_64"].as_str().unwrap_or_default().starts_with("JVBER"));
}

// ---------------------------------------------------------------------------------------------
// Payment posting (baixa)

#[tokio::test]
async fn settle_invoice_posts_once_and_the_invoice_is_then_paid() {
    let host = TestHost::start().await;
    let payment = transaction("E18236120202605151200s0000000001", "99.90", "2026-05-15T12:00:00-03:00");
    let reply = app(&host, "settle_invoice", settle(CUSTOMER_CPF, INVOICE_OPEN, payment.clone())).await;
    assert_eq!(reply["success"], true, "{reply}");
    assert_eq!(reply["api_response"]["type"], "success");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);

    // The payment as IXC booked it: dd/mm/yyyy went in, the day and amount are right.
    let baixas = sim_rows(&host, "fn_areceber_baixas", "fn_areceber_baixas.id_receber", INVOICE_OPEN).await;
    assert_eq!(baixas.len(), 1);
    assert_eq!(baixas[0]["data"], "2026-05-15");
    assert_eq!(baixas[0]["valor_total_recebido"], "99.90");
    assert_eq!(baixas[0]["id_conta"], "12");
    assert_eq!(baixas[0]["tipo_recebimento"], "Pix");

    let after = app(
        &host,
        "get_invoice",
        json!({ "customer_bill_id": INVOICE_OPEN, "customer_document_number": CUSTOMER_CPF }),
    )
    .await;
    assert_eq!(after[0]["valor_final"], "0.00");
    assert_eq!(after[0]["linha_digitavel"], "");
    let open = app(&host, "list_invoices", customer(CUSTOMER_CPF)).await;
    assert!(!remote_ids(&open).contains(&INVOICE_OPEN.to_owned()));

    // The same payment again (a second webhook, another request id and Idempotency-Key): the
    // host knows the payment (tenant, boleto, transaction id) and answers what it answered.
    let again = ok(&host, &host.app_key, "settle_invoice", settle(CUSTOMER_CPF, INVOICE_OPEN, payment)).await;
    assert_eq!(again, reply);
    // Another payment of the paid invoice: the host reads the invoice first and posts nothing.
    let other = transaction("NSU-778899", "99.90", "2026-05-15T13:00:00-03:00");
    let other = ok(&host, &host.app_key, "settle_invoice", settle(CUSTOMER_CPF, INVOICE_OPEN, other)).await;
    assert_eq!(other["success"], true);
    assert_eq!(other["api_response"]["reason"], "already_paid", "{other}");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);
}

#[tokio::test]
async fn a_payment_whose_answer_was_lost_is_not_posted_again_on_retry() {
    let host = TestHost::start().await;
    host.sim.faults().push_for("recebimentos_baixas_novo", Fault::LoseResponse { times: 1 });
    let payment = transaction("E00000000202605151200lostanswer01", "50.00", "2026-05-15T12:00:00Z");
    let body = settle(CUSTOMER_CPF, INVOICE_OPEN_OVERDUE, payment);
    let lost = host.call_with(&host.app_key, "settle_invoice", body.clone(), &[]).await;
    assert_eq!(lost.status.as_u16(), 202, "{}", lost.body);
    assert_eq!(lost.body["status"], "queued");
    assert_eq!(host.sim.postings(INVOICE_OPEN_OVERDUE), 1, "IXC took the payment though the answer was lost");

    // The worker asks IXC before posting again: a partial payment (99.90 due, 50.00 paid), so
    // the amount due dropped by the payment: posted, not posted twice.
    let id = lost.body["settlement_id"].as_str().expect("settlement id").to_owned();
    let settled = host.wait_settled(&id).await;
    assert_eq!(settled["status"], "posted", "{settled}");
    assert_eq!(settled["outcome"], "verified_paid", "{settled}");
    let retry = ok(&host, &host.app_key, "settle_invoice", body).await;
    assert_eq!(retry["success"], true);
    assert_eq!(retry["api_response"]["verified_by"], "get_invoice", "{retry}");
    assert_eq!(host.sim.postings(INVOICE_OPEN_OVERDUE), 1);

    // 99.90 - 50.00 is still open, and the line now charges that.
    let after = app(
        &host,
        "get_invoice",
        json!({ "customer_bill_id": INVOICE_OPEN_OVERDUE, "customer_document_number": CUSTOMER_CPF }),
    )
    .await;
    assert_eq!(after[0]["valor_final"], "49.90");
    assert_eq!(line_amount(&after[0]), "0000004990");
}

#[tokio::test]
async fn the_baixa_date_is_the_payment_day_in_brasilia() {
    let host = TestHost::start().await;
    // 01:30 UTC on the 16th is 22:30 on the 15th in Brasília.
    let payment = transaction("E00000000202605160130utc000000001", "99.90", "2026-05-16T01:30:00Z");
    let reply = app(&host, "settle_invoice", settle(CUSTOMER_CPF, INVOICE_OPEN, payment)).await;
    assert_eq!(reply["success"], true);
    let baixas = sim_rows(&host, "fn_areceber_baixas", "fn_areceber_baixas.id_receber", INVOICE_OPEN).await;
    assert_eq!(baixas[0]["data"], "2026-05-15");
}

#[tokio::test]
async fn settling_a_cancelled_or_foreign_invoice_posts_nothing() {
    let host = TestHost::start().await;
    let payment = transaction("E00000000202605151200cancelled001", "99.90", "2026-05-15T12:00:00-03:00");
    let cancelled = app(&host, "settle_invoice", settle(CUSTOMER_CPF, INVOICE_CANCELLED, payment.clone())).await;
    assert_eq!(cancelled["success"], false);
    assert_eq!(cancelled["api_response"]["reason"], "cancelled");

    let foreign = host
        .call_with(&host.app_key, "settle_invoice", settle(CUSTOMER_CPF, COMPANY_INVOICE_GATEWAY, payment.clone()), &[])
        .await;
    assert_problem(&foreign, 404, "not_found");
    let unknown =
        host.call_with(&host.app_key, "settle_invoice", settle(UNKNOWN_CPF, INVOICE_OPEN, payment), &[]).await;
    assert_problem(&unknown, 404, "not_found");
    for id in [INVOICE_CANCELLED, COMPANY_INVOICE_GATEWAY, INVOICE_OPEN] {
        assert_eq!(host.sim.postings(id), 0, "{id}");
    }
}

#[tokio::test]
async fn a_baixa_ixc_refuses_is_success_false_with_its_answer() {
    let host = TestHost::start().await;
    host.sim.faults().push_for(
        "recebimentos_baixas_novo",
        Fault::BusinessError { message: "Conta bancária inativa!<br />".into(), times: 1 },
    );
    let payment = transaction("E00000000202605151200refused0001", "99.90", "2026-05-15T12:00:00-03:00");
    let reply = app(&host, "settle_invoice", settle(CUSTOMER_CPF, INVOICE_OPEN, payment)).await;
    assert_eq!(reply["success"], false);
    assert_eq!(reply["api_response"], json!({ "type": "error", "message": "Conta bancária inativa!<br />" }));
    assert_eq!(host.sim.postings(INVOICE_OPEN), 0);
}

// ---------------------------------------------------------------------------------------------
// Plans and trust unlock

#[tokio::test]
async fn plans_carry_status_price_and_due_day() {
    let host = TestHost::start().await;
    let plans = app(&host, "list_plans", customer(CUSTOMER_CPF)).await;
    assert_eq!(
        plans,
        json!([{ "contract_id": "201", "name": "Fibra 300 Mega", "status": "active", "price": "99.90", "due_day": 10 }])
    );
    let blocked = app(&host, "list_plans", customer(BLOCKED_CUSTOMER_CPF)).await;
    let status: Vec<(&str, &str, &str)> = list(&blocked)
        .iter()
        .map(|p| {
            (
                p["contract_id"].as_str().unwrap_or_default(),
                p["status"].as_str().unwrap_or_default(),
                p["price"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            (CONTRACT_UNLOCK_ELIGIBLE, "blocked", "99.90"),
            (CONTRACT_UNLOCK_USED, "blocked", "129.90"),
            (CONTRACT_INACTIVE, "cancelled", "79.90"),
        ]
    );
    let gone = app(&host, "list_plans", customer(INACTIVE_CUSTOMER_CPF)).await;
    assert_eq!(gone[0]["status"], "cancelled");

    let only_blocked = ok(&host, &host.totem_key, "list_blocked_plans", customer(BLOCKED_CUSTOMER_CPF)).await;
    let ids: Vec<&str> = list(&only_blocked).iter().map(|p| p["contract_id"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids, [CONTRACT_UNLOCK_ELIGIBLE, CONTRACT_UNLOCK_USED]);
    assert_eq!(app(&host, "list_blocked_plans", customer(CUSTOMER_CPF)).await, json!([]));
}

#[tokio::test]
async fn trust_unlock_lifts_an_eligible_block_until_the_date_ixc_gives() {
    let host = TestHost::start().await;
    let body = json!({ "customer_document_number": BLOCKED_CUSTOMER_CPF, "contract_id": CONTRACT_UNLOCK_ELIGIBLE });
    let reply = app(&host, "trust_unlock", body).await;
    assert_eq!(reply["success"], true, "{reply}");
    assert_eq!(reply["unlocked_until"], "2026-05-18");
    assert!(reply["remote_message"].as_str().unwrap_or_default().contains("sucesso"));

    let blocked = app(&host, "list_blocked_plans", customer(BLOCKED_CUSTOMER_CPF)).await;
    let ids: Vec<&str> = list(&blocked).iter().map(|p| p["contract_id"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids, [CONTRACT_UNLOCK_USED]);
}

#[tokio::test]
async fn trust_unlock_refusals_are_answers_and_foreign_contracts_are_not_found() {
    let host = TestHost::start().await;
    let unlock =
        |document: &str, contract: &str| json!({ "customer_document_number": document, "contract_id": contract });
    for (document, contract, code_hint) in [
        (CUSTOMER_CPF, CUSTOMER_CONTRACT, "107: already active"),
        (BLOCKED_CUSTOMER_CPF, CONTRACT_INACTIVE, "109: inactive"),
        (BLOCKED_CUSTOMER_CPF, CONTRACT_UNLOCK_USED, "113: used, unpaid"),
    ] {
        let reply = app(&host, "trust_unlock", unlock(document, contract)).await;
        assert_eq!(reply["success"], false, "{code_hint}: {reply}");
        assert_eq!(reply["unlocked_until"], Value::Null, "{code_hint}");
        let message = reply["remote_message"].as_str().unwrap_or_default();
        assert!(!message.is_empty() && !message.contains('<'), "{code_hint}: {reply}");
    }
    let used = app(&host, "trust_unlock", unlock(BLOCKED_CUSTOMER_CPF, CONTRACT_UNLOCK_USED)).await;
    assert!(used["remote_message"].as_str().unwrap_or_default().contains("01/05/2026"), "{used}");

    for (document, contract) in [
        (BLOCKED_CUSTOMER_CPF, CONTRACT_MISSING),  // IXC's 106
        (BLOCKED_CUSTOMER_CPF, CUSTOMER_CONTRACT), // another customer's contract
        (UNKNOWN_CPF, CUSTOMER_CONTRACT),
    ] {
        let reply = host.call_with(&host.app_key, "trust_unlock", unlock(document, contract), &[]).await;
        assert_problem(&reply, 404, "not_found");
    }
}

// ---------------------------------------------------------------------------------------------
// The customer

#[tokio::test]
async fn customer_registration_contacts_and_pending_issues() {
    let host = TestHost::start().await;
    let maria = app(&host, "get_customer", customer(CUSTOMER_CPF_DIGITS)).await;
    assert_eq!(
        maria,
        json!({
            "remote_id": "101",
            "name": CUSTOMER_NAME,
            "document_number": CUSTOMER_CPF_DIGITS,
            "email": CUSTOMER_EMAIL,
            "phone": "+5511987654321",
            "address": {
                "street": "Rua das Palmeiras", "number": "123", "complement": "Apto 45",
                "neighborhood": "Jardim Paulista", "city": "São Paulo", "state": "SP", "zip_code": "01415001"
            },
            "status": "active"
        })
    );
    assert_eq!(app(&host, "get_customer", customer(BLOCKED_CUSTOMER_CPF)).await["status"], "blocked");
    let carlos = app(&host, "get_customer", customer(BLOCKED_CUSTOMER_CPF)).await;
    assert_eq!(carlos["address"]["state"], "SC");
    assert_eq!(app(&host, "get_customer", customer(INACTIVE_CUSTOMER_CPF)).await["status"], "inactive");

    let contacts = app(&host, "get_customer_contacts", customer(CUSTOMER_CPF)).await;
    assert_eq!(
        contacts,
        json!([
            { "type": "email", "value": CUSTOMER_EMAIL },
            { "type": "phone", "value": "+5511987654321" },
            { "type": "phone", "value": "+551134567890" },
        ])
    );

    assert_eq!(app(&host, "get_pending_issues", customer(CUSTOMER_CPF)).await, json!([]));
    assert_eq!(
        app(&host, "get_pending_issues", customer(BLOCKED_CUSTOMER_CPF)).await,
        json!([
            "Cliente com faturas em atraso: encaminhar ao financeiro.",
            "Negociação de débitos em andamento.",
            "Desbloqueio de confiança já utilizado.",
        ])
    );
}

#[tokio::test]
async fn update_customer_puts_the_full_row_back_with_the_changes() {
    let host = TestHost::start().await;
    let changes = json!({
        "customer_document_number": CUSTOMER_CPF,
        "changes": {
            "email": "Maria.Nova@Example.com",
            "phone": "(19) 99111-2222",
            "address": {
                "street": "Avenida Brasil", "number": "900", "complement": "", "neighborhood": "Centro",
                "city": "Campinas", "state": "sp", "zip_code": "13010-100"
            }
        }
    });
    let reply = app(&host, "update_customer", changes).await;
    assert_eq!(reply["success"], true, "{reply}");

    let maria = app(&host, "get_customer", customer(CUSTOMER_CPF)).await;
    assert_eq!(maria["email"], "maria.nova@example.com");
    assert_eq!(maria["phone"], "+5519991112222");
    assert_eq!(maria["name"], CUSTOMER_NAME);
    assert_eq!(
        maria["address"],
        json!({
            "street": "Avenida Brasil", "number": "900", "complement": "", "neighborhood": "Centro",
            "city": "Campinas", "state": "SP", "zip_code": "13010100"
        })
    );
    // Untouched columns stay (IXC's full-row PUT): the CPF, the birth date, the portal login.
    let rows = sim_rows(&host, "cliente", "cliente.id", "101").await;
    assert_eq!(rows[0]["cnpj_cpf"], CUSTOMER_CPF);
    assert_eq!(rows[0]["data_nascimento"], "1985-07-22");
    assert_eq!(rows[0]["hotsite_email"], CUSTOMER_EMAIL);
    assert_eq!(rows[0]["telefone_celular"], "(19) 99111-2222");

    let nowhere = json!({
        "customer_document_number": CUSTOMER_CPF,
        "changes": { "address": {
            "street": "Rua X", "number": "1", "neighborhood": "Y", "city": "Atlantis", "state": "SP", "zip_code": "01000-000"
        } }
    });
    let refused = app(&host, "update_customer", nowhere).await;
    assert_eq!(refused["success"], false);
    assert!(refused["remote_message"].as_str().unwrap_or_default().contains("Atlantis"));

    let unknown = json!({ "customer_document_number": UNKNOWN_CPF, "changes": { "email": "x@example.com" } });
    let reply = host.call_with(&host.app_key, "update_customer", unknown, &[]).await;
    assert_problem(&reply, 404, "not_found");
}

#[tokio::test]
async fn create_ticket_opens_a_su_ticket_with_a_protocol() {
    let host = TestHost::start().await;
    let body = json!({
        "customer_document_number": CUSTOMER_CPF,
        "subject": "Internet caindo",
        "message": "A conexão cai toda noite.",
        "contract_id": CUSTOMER_CONTRACT
    });
    let ticket = app(&host, "create_ticket", body).await;
    let id = ticket["remote_id"].as_str().unwrap_or_default().to_owned();
    assert!(!id.is_empty());
    assert_eq!(ticket["protocol"], "20260515000002");
    let rows = sim_rows(&host, "su_ticket", "su_ticket.id", &id).await;
    assert_eq!(rows[0]["titulo"], "Internet caindo");
    assert_eq!(rows[0]["menssagem"], "A conexão cai toda noite.");
    assert_eq!(rows[0]["id_cliente"], "101");
    assert_eq!(rows[0]["id_contrato"], CUSTOMER_CONTRACT);

    let foreign = json!({
        "customer_document_number": CUSTOMER_CPF, "subject": "x", "message": "y", "contract_id": CONTRACT_UNLOCK_ELIGIBLE
    });
    assert_problem(&host.call_with(&host.app_key, "create_ticket", foreign, &[]).await, 404, "not_found");
    let unknown = json!({ "customer_document_number": UNKNOWN_CPF, "subject": "x", "message": "y" });
    assert_problem(&host.call_with(&host.app_key, "create_ticket", unknown, &[]).await, 404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// Checkout: leads and orders

#[tokio::test]
async fn create_lead_registers_a_contato_lead() {
    let host = TestHost::start().await;
    let lead = json!({ "lead": { "name": "Paulo Souza", "email": "paulo@example.com", "phone": "+5511955554444", "utm_source": "instagram" } });
    assert_eq!(app(&host, "create_lead", lead).await, json!({}));
    let rows = sim_rows(&host, "contato", "contato.email", "paulo@example.com").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["nome"], "Paulo Souza");
    assert_eq!(rows[0]["lead"], "S");
    assert_eq!(rows[0]["fone_celular"], "(11) 95555-4444");
    assert_eq!(rows[0]["origem_source"], "instagram");
    assert_eq!(rows[0]["data_cadastro"].as_str().map(str::len), Some(10));

    // IXC wants a phone or an e-mail: its refusal is the caller's upstream_error.
    let reply = host.call_with(&host.app_key, "create_lead", json!({ "lead": { "name": "Sem Contato" } }), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("telefones"), "{problem}");
}

#[tokio::test]
async fn orders_become_prospects_or_tickets_for_existing_customers() {
    let host = TestHost::start().await;
    let order = json!({
        "order": {
            "customer": { "name": "Beatriz Lima", "phone": "11 94444-3333", "email": "bia@example.com" },
            "address": { "street": "Rua Augusta", "number": "10", "city": "São Paulo", "state": "SP", "zip_code": "01304-001" },
            "plan_id": "2"
        },
        "message": "Quer instalação no sábado."
    });
    let created = app(&host, "create_order", order).await;
    assert_eq!(created["is_issue"], false);
    let id = created["remote_id"].as_str().unwrap_or_default().to_owned();
    let rows = sim_rows(&host, "crm_canditados", "crm_canditados.id", &id).await;
    assert_eq!(rows[0]["razao"], "Beatriz Lima");
    assert_eq!(rows[0]["cidade"], "3828");
    assert_eq!(rows[0]["id_vd_contrato_desejado"], "2");
    assert_eq!(rows[0]["obs"], "Quer instalação no sábado.");

    let nowhere = json!({ "order": { "name": "Sem Cidade", "phone": "11944443333" }, "message": "" });
    assert_problem(&host.call_with(&host.app_key, "create_order", nowhere, &[]).await, 502, "upstream_error");

    let existing = json!({
        "order": { "plan_id": "3" }, "message": "Upgrade para 1 Giga.",
        "customer_document_number": CUSTOMER_CPF, "wda_user": "maria"
    });
    let ticket = app(&host, "create_order_existing_customer", existing).await;
    let ticket_id = ticket["remote_id"].as_str().unwrap_or_default().to_owned();
    let rows = sim_rows(&host, "su_ticket", "su_ticket.id", &ticket_id).await;
    assert_eq!(rows[0]["id_cliente"], "101");
    assert!(rows[0]["menssagem"].as_str().unwrap_or_default().starts_with("Upgrade para 1 Giga."));
}

// ---------------------------------------------------------------------------------------------
// Catalogues and fiscal notes

#[tokio::test]
async fn catalogues_list_the_active_sellers_and_plans() {
    let host = TestHost::start().await;
    let resellers = app(&host, "list_resellers", json!({})).await;
    assert_eq!(
        resellers,
        json!([
            { "code": "1", "name": "Loja Centro", "taxvat": "", "email": "loja.centro@ponte-demo.example" },
            { "code": "2", "name": "Revenda Norte Telecom", "taxvat": "11222333000181", "email": "contato@revendanorte.example" },
        ])
    );
    let products = app(&host, "list_products", json!({})).await;
    let mut codes: Vec<&str> = list(&products).iter().map(|p| p["codigo"].as_str().unwrap_or_default()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["1", "2", "3"]);
    assert_eq!(find_by(&products, "codigo", "2")["nome"], "Fibra 600 Mega");

    // IXC has no listing for these: the adapter doesn't claim them.
    for function in ["list_due_dates", "list_commercial_origins"] {
        let reply = host.call_with(&host.app_key, function, json!({}), &[]).await;
        assert_problem(&reply, 501, "function_not_configured");
    }
}

fn find_by<'a>(value: &'a Value, key: &str, wanted: &str) -> &'a Value {
    list(value).iter().find(|v| v[key] == wanted).unwrap_or_else(|| panic!("no {key} {wanted} in {value}"))
}

#[tokio::test]
async fn fiscal_notes_are_listed_by_date_and_printed() {
    let host = TestHost::start().await;
    let notes = app(&host, "list_fiscal_notes", customer(CUSTOMER_CPF)).await;
    assert_eq!(
        notes,
        json!([
            { "remote_id": "7002", "number": "1104", "series": "1", "access_key": "", "issued_at": "2026-02-28", "amount": "99.90", "status": "authorized" },
            { "remote_id": "7001", "number": "1203", "series": "1", "access_key": "", "issued_at": "2026-03-31", "amount": "99.90", "status": "authorized" },
        ])
    );
    let since_march = app(
        &host,
        "list_fiscal_notes",
        json!({ "customer_document_number": CUSTOMER_CPF, "from": "01/03/2026", "to": "2026-12-31" }),
    )
    .await;
    assert_eq!(remote_ids(&since_march), ["7001"]);
    assert_eq!(app(&host, "list_fiscal_notes", customer(CUSTOMER_NO_INVOICES_CPF)).await, json!([]));

    let pdf = app(&host, "get_fiscal_note_pdf", json!({ "note_id": "7001" })).await;
    assert!(pdf["base_64"].as_str().unwrap_or_default().starts_with("JVBER"));
    let missing = host.call_with(&host.app_key, "get_fiscal_note_pdf", json!({ "note_id": "1" }), &[]).await;
    assert_problem(&missing, 404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// Unknown and empty customers, scopes

#[tokio::test]
async fn an_unknown_customer_gets_empty_lists_and_404_on_records() {
    let host = TestHost::start().await;
    for function in [
        "list_invoices",
        "list_totem_invoices",
        "get_customer_contacts",
        "get_pending_issues",
        "list_plans",
        "list_blocked_plans",
        "list_fiscal_notes",
    ] {
        assert_eq!(app(&host, function, customer(UNKNOWN_CPF)).await, json!([]), "{function}");
    }
    let reply = host.call_with(&host.app_key, "get_customer", customer(UNKNOWN_CPF), &[]).await;
    assert_problem(&reply, 404, "not_found");
    let existing = json!({ "order": {}, "message": "x", "customer_document_number": UNKNOWN_CPF, "wda_user": "u" });
    let reply = host.call_with(&host.app_key, "create_order_existing_customer", existing, &[]).await;
    assert_problem(&reply, 404, "not_found");
}

#[tokio::test]
async fn a_customer_without_invoices_gets_empty_invoice_lists() {
    let host = TestHost::start().await;
    for function in ["list_invoices", "list_totem_invoices"] {
        assert_eq!(app(&host, function, customer(CUSTOMER_NO_INVOICES_CPF)).await, json!([]), "{function}");
    }
    let plans = app(&host, "list_plans", customer(CUSTOMER_NO_INVOICES_CPF)).await;
    assert_eq!(plans[0]["status"], "active");
    assert_eq!(plans[0]["price"], "129.90");
}

#[tokio::test]
async fn the_totem_key_reaches_the_totem_functions_only() {
    let host = TestHost::start().await;
    let key = host.totem_key.clone();
    let invoice = json!({ "customer_bill_id": INVOICE_OPEN, "customer_document_number": CUSTOMER_CPF });
    for (function, body) in [
        ("list_invoices", customer(CUSTOMER_CPF)),
        ("list_totem_invoices", customer(CUSTOMER_CPF)),
        ("get_invoice", invoice),
        ("get_boleto_pdf", json!({ "boleto_id": INVOICE_OPEN })),
        ("get_customer_contacts", customer(CUSTOMER_CPF)),
        ("list_blocked_plans", customer(BLOCKED_CUSTOMER_CPF)),
        ("trust_unlock", json!({ "customer_document_number": CUSTOMER_CPF, "contract_id": CUSTOMER_CONTRACT })),
    ] {
        ok(&host, &key, function, body).await;
    }
    for function in ["get_customer", "list_plans", "get_pending_issues"] {
        let reply = host.call_with(&key, function, customer(CUSTOMER_CPF), &[]).await;
        assert_problem(&reply, 403, "forbidden");
    }
}

// ---------------------------------------------------------------------------------------------
// Upstream faults

#[tokio::test]
async fn an_ixc_that_is_down_is_503_upstream_unavailable() {
    let host = TestHost::start().await;
    host.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let reply = host.call_with(&host.app_key, "list_invoices", customer(CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 503, "upstream_unavailable");
}

#[tokio::test]
async fn an_ixc_slower_than_the_deadline_is_504_upstream_timeout() {
    let host = host_with_timeout("1s").await;
    host.sim.faults().push(Fault::Delay { ms: 3_000, times: 1 });
    let started = std::time::Instant::now();
    let reply = host.call_with(&host.totem_key, "list_totem_invoices", customer(CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 504, "upstream_timeout");
    assert!(started.elapsed() < std::time::Duration::from_millis(2_500), "answered at the deadline, not after IXC");
}

#[tokio::test]
async fn ixc_html_error_page_is_502_upstream_error_without_html() {
    let host = TestHost::start().await;
    host.sim.faults().push(Fault::Garbage { times: 1 });
    let reply = host.call_with(&host.app_key, "get_customer", customer(CUSTOMER_CPF), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("Ocorreu um erro ao processar"), "{detail}");
    assert!(!detail.contains('<'), "{detail}");

    host.sim.faults().push(Fault::Status { status: 500, times: 1 });
    let reply = host.call_with(&host.app_key, "list_plans", customer(CUSTOMER_CPF), &[]).await;
    assert_problem(&reply, 502, "upstream_error");
}

#[tokio::test]
async fn an_ixc_business_error_is_502_upstream_error_with_its_message() {
    let host = TestHost::start().await;
    host.sim
        .faults()
        .push(Fault::BusinessError { message: "Seu IP não está liberado para efetuar login!".into(), times: 1 });
    let reply = host.call_with(&host.totem_key, "list_totem_invoices", customer(CUSTOMER_CPF), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("Seu IP não está liberado"), "{problem}");
}

#[tokio::test]
async fn refused_credentials_are_502_and_the_token_never_leaks() {
    let host = TestHost::start().await;
    host.sim.faults().push(Fault::Status { status: 401, times: 1 });
    let reply = host.call_with(&host.app_key, "list_invoices", customer(CUSTOMER_CPF), &[]).await;
    let problem = assert_problem(&reply, 502, "upstream_error");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("credentials"), "{problem}");

    let authorization = IxcConfig { token: IXC_TOKEN.to_owned(), ..IxcConfig::default() }.authorization();
    let basic = authorization.trim_start_matches("Basic ");
    let invocations =
        serde_json::to_string(&host.invocations().await.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>())
            .unwrap_or_default();
    for text in [reply.body.to_string(), invocations, captured_logs()] {
        assert!(!text.contains(IXC_TOKEN) && !text.contains(basic), "a secret leaked");
    }
}
