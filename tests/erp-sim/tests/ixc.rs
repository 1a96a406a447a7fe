//! The IXC simulator over real HTTP: each test spawns one on `127.0.0.1:0` and talks to it as
//! an adapter would.

use std::error::Error;
use std::time::Duration;

use base64::Engine as _;
use ponte_contract::normalize::boleto::BoletoLine;
use ponte_contract::normalize::pix::PixCode;
use ponte_erp_sim::Simulator;
use ponte_erp_sim::faults::{Chaos, ChaosCounts, Fault};
use ponte_erp_sim::ixc::{self, IxcConfig, data};
use reqwest::StatusCode;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

/// A running simulator and a client that authenticates like an adapter.
struct Ixc {
    sim: Simulator,
    http: reqwest::Client,
    auth: String,
}

impl Ixc {
    async fn start() -> Result<Self, Box<dyn Error>> {
        Self::start_with(IxcConfig::default()).await
    }

    async fn start_with(config: IxcConfig) -> Result<Self, Box<dyn Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let auth = config.authorization();
        let sim = ixc::spawn(listener, config).await?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { sim, http, auth })
    }

    fn url(&self, resource: &str) -> String {
        format!("{}/webservice/v1/{resource}", self.sim.base_url())
    }

    /// A listing as the official PHP client sends it: POST + `ixcsoft: listar`.
    async fn list(&self, table: &str, body: Value) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.url(table))
            .header("Authorization", &self.auth)
            .header("ixcsoft", "listar")
            .json(&body)
            .send()
            .await
    }

    async fn list_json(&self, table: &str, body: Value) -> Result<Value, Box<dyn Error>> {
        let response = self.list(table, body).await?;
        assert_eq!(response.status(), StatusCode::OK);
        Ok(response.json().await?)
    }

    /// A write or action: POST without `ixcsoft: listar`.
    async fn post(&self, resource: &str, body: Value) -> Result<reqwest::Response, reqwest::Error> {
        self.http.post(self.url(resource)).header("Authorization", &self.auth).json(&body).send().await
    }

    async fn post_json(&self, resource: &str, body: Value) -> Result<Value, Box<dyn Error>> {
        let response = self.post(resource, body).await?;
        assert_eq!(response.status(), StatusCode::OK);
        Ok(response.json().await?)
    }

    async fn invoice(&self, id: &str) -> Result<Value, Box<dyn Error>> {
        let listed = self
            .list_json("fn_areceber", json!({"qtype": "fn_areceber.id", "query": id, "oper": "=", "rp": "1"}))
            .await?;
        Ok(listed["registros"][0].clone())
    }

    async fn contract(&self, id: &str) -> Result<Value, Box<dyn Error>> {
        let listed = self
            .list_json("cliente_contrato", json!({"qtype": "cliente_contrato.id", "query": id, "oper": "="}))
            .await?;
        Ok(listed["registros"][0].clone())
    }
}

fn ids(listing: &Value) -> Vec<String> {
    listing["registros"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn baixa(invoice: &str, amount: &str, date: &str) -> Value {
    json!({
        "filial_id": "1", "id_receber": invoice, "conta_": "12", "id_conta": "12", "tipo_recebimento": "Pix",
        "data": date, "valor_parcela": amount, "valor_total_recebido": amount, "previsao": "N",
        "historico": "Pagamento via Ponte",
    })
}

#[tokio::test]
async fn basic_auth_with_the_token_is_accepted_and_anything_else_is_401() -> TestResult {
    let ixc = Ixc::start().await?;
    let body = json!({"qtype": "cliente.id", "query": "1", "oper": ">="});
    assert_eq!(ixc.list("cliente", body.clone()).await?.status(), StatusCode::OK);

    let missing = ixc.http.post(ixc.url("cliente")).header("ixcsoft", "listar").json(&body).send().await?;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);

    let wrong = base64::engine::general_purpose::STANDARD.encode("1:not-the-token");
    let wrong = ixc
        .http
        .post(ixc.url("cliente"))
        .header("Authorization", format!("Basic {wrong}"))
        .header("ixcsoft", "listar")
        .json(&body)
        .send()
        .await?;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_non_basic_auth_scheme_is_400() -> TestResult {
    let ixc = Ixc::start().await?;
    let response = ixc
        .http
        .post(ixc.url("cliente"))
        .header("Authorization", format!("Bearer {}", ixc::DEMO_TOKEN))
        .header("ixcsoft", "listar")
        .json(&json!({}))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_get_listing_needs_the_ixcsoft_listar_header() -> TestResult {
    let ixc = Ixc::start().await?;
    let body = json!({"qtype": "cliente.id", "query": data::CUSTOMER_ID, "oper": "="}).to_string();
    let without = ixc.http.get(ixc.url("cliente")).header("Authorization", &ixc.auth).body(body.clone()).send().await?;
    assert_eq!(without.status(), StatusCode::NOT_FOUND);

    let with = ixc
        .http
        .get(ixc.url("cliente"))
        .header("Authorization", &ixc.auth)
        .header("ixcsoft", "listar")
        .body(body)
        .send()
        .await?;
    assert_eq!(with.status(), StatusCode::OK);
    let listed: Value = with.json().await?;
    assert_eq!(ids(&listed), [data::CUSTOMER_ID]);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn cpf_equality_matches_the_masked_form_only() -> TestResult {
    let ixc = Ixc::start().await?;
    let digits = ixc
        .list_json("cliente", json!({"qtype": "cliente.cnpj_cpf", "query": data::CUSTOMER_CPF_DIGITS, "oper": "="}))
        .await?;
    assert_eq!(digits, json!({"page": "1", "total": 0}), "digits-only finds nothing; registros absent");

    let masked = ixc
        .list_json("cliente", json!({"qtype": "cliente.cnpj_cpf", "query": data::CUSTOMER_CPF, "oper": "="}))
        .await?;
    assert_eq!(masked["total"], json!(1), "cliente's total is a number, as in the official example");
    let customer = &masked["registros"][0];
    assert_eq!(customer["id"], data::CUSTOMER_ID);
    assert_eq!(customer["razao"], data::CUSTOMER_NAME);
    assert_eq!(customer["cidade"], "3828", "city is an id");
    assert_eq!(customer["crm_data_novo"], "0000-00-00", "zero dates as IXC gives them");
    assert!(customer.as_object().is_some_and(|o| o.values().all(Value::is_string)), "every column is a string");

    let company = ixc
        .list_json("cliente", json!({"qtype": "cliente.cnpj_cpf", "query": data::COMPANY_CNPJ, "oper": "="}))
        .await?;
    assert_eq!(ids(&company), [data::COMPANY_ID]);
    assert_eq!(company["registros"][0]["tipo_pessoa"], "J");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn grid_param_ands_conditions_to_list_open_released_invoices() -> TestResult {
    let ixc = Ixc::start().await?;
    let grid = json!([
        {"TB": "fn_areceber.liberado", "OP": "=", "P": "S"},
        {"TB": "fn_areceber.status", "OP": "!=", "P": "R", "P2": "C"},
    ]);
    let listed = ixc
        .list_json(
            "fn_areceber",
            json!({
                "qtype": "fn_areceber.id_cliente", "query": data::CUSTOMER_ID, "oper": "=", "rp": "200000",
                "sortname": "fn_areceber.data_vencimento", "sortorder": "asc", "grid_param": grid.to_string(),
            }),
        )
        .await?;
    assert_eq!(listed["total"], "4");
    assert_eq!(
        ids(&listed),
        [data::INVOICE_OPEN_OVERDUE, data::INVOICE_PARTIAL, data::INVOICE_PIX, data::INVOICE_OPEN],
        "open and partial, released, oldest due first; hidden, paid and cancelled left out"
    );
    let overdue = &listed["registros"][0];
    assert_eq!(overdue["valor"], "99.90");
    assert_eq!(overdue["pagamento_data"], "");
    let line = overdue["linha_digitavel"].as_str().unwrap_or_default();
    let line = BoletoLine::parse(line)?;
    assert_eq!(line.amount_cents(), Some(9990));
    assert_eq!(line.due_date().map(|d| d.to_string()).as_deref(), Some("2026-04-10"));

    // Dates in filters may be dd/mm/yyyy; BE is inclusive.
    let april = ixc
        .list_json(
            "fn_areceber",
            json!({
                "qtype": "fn_areceber.id_cliente", "query": data::CUSTOMER_ID, "oper": "=",
                "grid_param": json!([{"TB": "fn_areceber.data_vencimento", "OP": "BE", "P": "01/04/2026", "P2": "10/04/2026"}]).to_string(),
            }),
        )
        .await?;
    assert_eq!(ids(&april), [data::INVOICE_OPEN_OVERDUE]);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn pages_split_the_total_and_past_the_end_has_no_registros() -> TestResult {
    let ixc = Ixc::start().await?;
    let page = |n: u32| {
        json!({
            "qtype": "fn_areceber.id_cliente", "query": data::CUSTOMER_ID, "oper": "=", "page": n.to_string(),
            "rp": "3", "sortname": "fn_areceber.id", "sortorder": "asc",
        })
    };
    let first = ixc.list_json("fn_areceber", page(1)).await?;
    let third = ixc.list_json("fn_areceber", page(3)).await?;
    let fourth = ixc.list_json("fn_areceber", page(4)).await?;
    assert_eq!(first["total"], "7");
    assert_eq!(ids(&first), ["1001", "1002", "1003"]);
    assert_eq!(third["page"], "3");
    assert_eq!(ids(&third), ["1007"]);
    assert_eq!(fourth, json!({"page": "4", "total": "7"}));
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_column_without_table_prefix_is_a_500_with_the_html_error() -> TestResult {
    let ixc = Ixc::start().await?;
    let response = ixc.list("cliente", json!({"qtype": "cnpj_cpf", "query": data::CUSTOMER_CPF, "oper": "="})).await?;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.text().await?;
    assert!(body.starts_with("<div") && body.contains("#FF0000"), "{body}");
    assert!(body.contains("Ocorreu um erro ao processar"));

    let grid = ixc
        .list("fn_areceber", json!({"grid_param": json!([{"TB": "status", "OP": "=", "P": "A"}]).to_string()}))
        .await?;
    assert_eq!(grid.status(), StatusCode::INTERNAL_SERVER_ERROR);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn an_unknown_resource_is_recurso_nao_disponivel() -> TestResult {
    let ixc = Ixc::start().await?;
    let answer = ixc.list_json("tabela_que_nao_existe", json!({})).await?;
    assert_eq!(answer, json!({"type": "error", "message": "Recurso tabela_que_nao_existe não está disponível!"}));
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn form_urlencoded_listings_work_like_json() -> TestResult {
    let ixc = Ixc::start().await?;
    let response = ixc
        .http
        .post(ixc.url("vd_contratos"))
        .header("Authorization", &ixc.auth)
        .header("ixcsoft", "listar")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("qtype=vd_contratos.ativo&query=S&oper=%3D&sortname=vd_contratos.id&sortorder=desc")
        .send()
        .await?;
    let listed: Value = response.json().await?;
    assert_eq!(ids(&listed), ["3", "2", "1"], "Ativo (capital A) matched case-insensitively");
    assert_eq!(listed["registros"][0]["Ativo"], "S");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn get_boleto_dados_gives_a_valid_line_and_refuses_non_boleto_invoices() -> TestResult {
    let ixc = Ixc::start().await?;
    let dados = ixc
        .post_json(
            "get_boleto",
            json!({"boletos": data::INVOICE_OPEN, "juro": "N", "multa": "N", "atualiza_boleto": "S", "tipo_boleto": "dados"}),
        )
        .await?;
    let slip = &dados[0];
    let line = BoletoLine::parse(slip["linha_digitavel"].as_str().unwrap_or_default())?;
    assert_eq!(line.amount_cents(), Some(9990));
    assert_eq!(slip["valor_boleto"], "99,90");
    assert_eq!(slip["data_vencimento"], "10/06/2026");
    assert_eq!(slip["CPF"], data::CUSTOMER_CPF);
    assert_eq!(slip["nosso_numero"], data::nosso_numero(data::INVOICE_OPEN));

    // Overdue with interest and fine: recomputed to today with a new, still valid, line.
    let updated = ixc
        .post_json(
            "get_boleto",
            json!({"boletos": data::INVOICE_OPEN_OVERDUE, "juro": "S", "multa": "S", "atualiza_boleto": "S", "tipo_boleto": "dados"}),
        )
        .await?;
    let line = BoletoLine::parse(updated[0]["linha_digitavel"].as_str().unwrap_or_default())?;
    assert_eq!(line.due_date(), Some(data::reference_date()));
    assert!(line.amount_cents().is_some_and(|c| c > 9990));

    let pix = ixc.post_json("get_boleto", json!({"boletos": data::INVOICE_PIX, "tipo_boleto": "dados"})).await?;
    assert_eq!(pix["type"], "error");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn get_boleto_arquivo_gives_a_pdf_as_base64_text_or_bytes() -> TestResult {
    let ixc = Ixc::start().await?;
    let request = |base64: &str| json!({"boletos": data::INVOICE_OPEN, "juro": "N", "multa": "N", "atualiza_boleto": "S", "tipo_boleto": "arquivo", "base64": base64});
    let text = ixc.post("get_boleto", request("S")).await?.text().await?;
    let pdf = base64::engine::general_purpose::STANDARD.decode(text.trim())?;
    assert!(pdf.starts_with(b"%PDF"));
    assert!(String::from_utf8_lossy(&pdf).contains(data::INVOICE_OPEN));

    let raw = ixc.post("get_boleto", request("N")).await?;
    assert_eq!(raw.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(raw.bytes().await?.starts_with(b"%PDF"));
    ixc.sim.shutdown().await;

    let json_shape = Ixc::start_with(IxcConfig { boleto_base64_json: true, ..IxcConfig::default() }).await?;
    let answer = json_shape.post_json("get_boleto", request("S")).await?;
    let pdf = base64::engine::general_purpose::STANDARD.decode(answer["base64"].as_str().unwrap_or_default())?;
    assert!(pdf.starts_with(b"%PDF"));
    json_shape.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn get_pix_gives_a_br_code_with_a_valid_crc() -> TestResult {
    let ixc = Ixc::start().await?;
    let answer = ixc.post_json("get_pix", json!({"id_areceber": data::INVOICE_PIX})).await?;
    assert_eq!(answer["type"], "success");
    let code = answer["pix"]["qrCode"]["qrcode"].as_str().unwrap_or_default();
    assert_eq!(answer["pix"]["dadosPix"]["pixCopiaECola"], code);
    let pix = PixCode::parse(code)?;
    assert!(pix.url().is_some());
    assert_eq!(answer["pix"]["dadosPix"]["valor"]["original"], "99.90");
    assert_eq!(answer["pix"]["dadosPix"]["calendario"]["dataDeVencimento"], "2026-05-20");

    let paid = ixc.post_json("get_pix", json!({"id_areceber": data::INVOICE_PAID})).await?;
    assert_eq!(paid["type"], "error");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_baixa_marks_the_invoice_paid_and_a_second_one_is_accepted_and_counted() -> TestResult {
    let ixc = Ixc::start().await?;
    let invoice = data::INVOICE_OPEN_OVERDUE;
    let answer = ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(invoice, "99.90", "15/05/2026")).await?;
    assert_eq!(answer["type"], "success");
    assert!(answer["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(ixc.sim.postings(invoice), 1);

    let row = ixc.invoice(invoice).await?;
    assert_eq!(row["status"], "R");
    assert_eq!(row["valor_aberto"], "0.00");
    assert_eq!(row["valor_recebido"], "99.90");
    assert_eq!(row["pagamento_data"], "2026-05-15");

    // IXC takes the same payment again: the caller must never send it twice.
    let again = ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(invoice, "99,90", "15/05/2026")).await?;
    assert_eq!(again["type"], "success");
    assert_eq!(ixc.sim.postings(invoice), 2);
    assert_eq!(ixc.invoice(invoice).await?["valor_recebido"], "199.80");

    let admin: Value = ixc.http.get(format!("{}/__sim/postings", ixc.sim.base_url())).send().await?.json().await?;
    assert_eq!(admin, json!({ invoice: 2 }));
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_baixa_needs_a_dd_mm_yyyy_date_and_a_valid_amount() -> TestResult {
    let ixc = Ixc::start().await?;
    let iso =
        ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(data::INVOICE_OPEN, "99.90", "2026-05-15")).await?;
    assert_eq!(iso["type"], "error");
    let bad =
        ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(data::INVOICE_OPEN, "abc", "15/05/2026")).await?;
    assert_eq!(bad["type"], "error");
    let cancelled = ixc
        .post_json("fn_areceber_recebimentos_baixas_novo", baixa(data::INVOICE_CANCELLED, "99.90", "15/05/2026"))
        .await?;
    assert_eq!(cancelled["type"], "error");
    assert_eq!(ixc.sim.postings(data::INVOICE_OPEN), 0);

    // A partial payment in Brazilian format leaves the invoice partially paid.
    let partial =
        ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(data::INVOICE_OPEN, "0,20", "15/05/2026")).await?;
    assert_eq!(partial["type"], "success");
    let row = ixc.invoice(data::INVOICE_OPEN).await?;
    assert_eq!((row["status"].as_str(), row["valor_aberto"].as_str()), (Some("P"), Some("99.70")));
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn paying_the_overdue_invoices_lifts_the_automatic_block() -> TestResult {
    let ixc = Ixc::start().await?;
    for invoice in [data::BLOCKED_INVOICE_OLDEST, data::BLOCKED_INVOICE_NEWEST] {
        assert_eq!(ixc.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?["status_internet"], "CA");
        ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(invoice, "99.90", "15/05/2026")).await?;
    }
    let contract = ixc.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?;
    assert_eq!(contract["status_internet"], "A");
    assert_eq!(contract["pago_ate_data"], "2026-05-05");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn status_garbage_and_business_error_faults_replace_the_answer() -> TestResult {
    let ixc = Ixc::start().await?;
    let body = json!({"qtype": "cliente.id", "query": "1", "oper": ">="});
    ixc.sim.faults().push(Fault::Status { status: 503, times: 2 });
    ixc.sim.faults().push(Fault::Garbage { times: 1 });
    ixc.sim
        .faults()
        .push(Fault::BusinessError { message: "Seu IP não está liberado para efetuar login!".into(), times: 1 });
    assert_eq!(ixc.list("cliente", body.clone()).await?.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ixc.list("cliente", body.clone()).await?.status(), StatusCode::SERVICE_UNAVAILABLE);
    let garbage = ixc.list("cliente", body.clone()).await?;
    assert_eq!(garbage.status(), StatusCode::OK);
    assert!(garbage.text().await?.contains("#FF0000"));
    let business: Value = ixc.list("cliente", body.clone()).await?.json().await?;
    assert_eq!(business["type"], "error");
    assert_eq!(ixc.list_json("cliente", body).await?["total"], json!(5));
    assert_eq!(ixc.sim.request_count(), 5);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_delay_fault_trips_the_callers_timeout() -> TestResult {
    let ixc = Ixc::start().await?;
    ixc.sim.faults().push_for("cliente", Fault::Delay { ms: 1_000, times: 1 });
    let result = ixc
        .http
        .post(ixc.url("cliente"))
        .header("Authorization", &ixc.auth)
        .header("ixcsoft", "listar")
        .json(&json!({}))
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_lost_response_applies_the_baixa_but_the_caller_sees_a_failure() -> TestResult {
    let ixc = Ixc::start().await?;
    ixc.sim.faults().push_for("baixas", Fault::LoseResponse { times: 1 });
    let lost = async {
        let response = ixc
            .post("fn_areceber_recebimentos_baixas_novo", baixa(data::INVOICE_OPEN_OVERDUE, "99.90", "15/05/2026"))
            .await?;
        response.bytes().await
    }
    .await;
    assert!(lost.is_err(), "the caller must not get an answer: {lost:?}");
    assert_eq!(ixc.sim.postings(data::INVOICE_OPEN_OVERDUE), 1);
    assert_eq!(ixc.invoice(data::INVOICE_OPEN_OVERDUE).await?["status"], "R");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn faults_can_be_queued_over_http_and_admin_calls_are_not_counted() -> TestResult {
    let ixc = Ixc::start().await?;
    let base = ixc.sim.base_url();
    let queued =
        ixc.http.post(format!("{base}/__sim/faults")).json(&json!({"kind": "status", "status": 504})).send().await?;
    assert_eq!(queued.status(), StatusCode::NO_CONTENT);
    assert_eq!(ixc.list("cliente", json!({})).await?.status(), StatusCode::GATEWAY_TIMEOUT);

    ixc.http.post(format!("{base}/__sim/faults")).json(&json!({"kind": "garbage", "times": 3})).send().await?;
    ixc.http.delete(format!("{base}/__sim/faults")).send().await?;
    assert_eq!(ixc.list("cliente", json!({})).await?.status(), StatusCode::OK);

    let health: Value = ixc.http.get(format!("{base}/__sim/health")).send().await?.json().await?;
    assert_eq!(health["status"], "ok");
    assert_eq!(ixc.sim.request_count(), 2);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn trust_unlock_answers_the_documented_codes() -> TestResult {
    let ixc = Ixc::start().await?;
    let unlock = |id: &str| ixc.post_json("desbloqueio_confianca", json!({"id": id}));

    let ok = unlock(data::CONTRACT_UNLOCK_ELIGIBLE).await?;
    assert_eq!(ok["tipo"], "sucesso", "{ok}");
    let contract = ixc.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?;
    assert_eq!(contract["status_internet"], "A");
    assert_eq!(contract["desbloqueio_confianca_ativo"], "S");
    assert_eq!(contract["nao_bloquear_ate"], "2026-05-18");

    for (contract, code) in [
        (data::CONTRACT_UNLOCK_ELIGIBLE, "113"),
        (data::CONTRACT_UNLOCK_USED, "113"),
        (data::CONTRACT_INACTIVE, "109"),
        (data::CONTRACT_MISSING, "106"),
        (data::CUSTOMER_CONTRACT, "107"),
    ] {
        let answer = unlock(contract).await?;
        assert_eq!((answer["tipo"].as_str(), answer["codigo"].as_str()), (Some("erro"), Some(code)), "{contract}");
    }
    // goixc sends the id as a number.
    let numeric = ixc.post_json("desbloqueio_confianca", json!({"id": 999})).await?;
    assert_eq!(numeric["codigo"], "106");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_lead_needs_a_phone_or_an_email() -> TestResult {
    let ixc = Ixc::start().await?;
    let lead = |extra: Value| {
        let mut body = json!({"nome": "Paulo Teixeira", "data_cadastro": "15/05/2026", "lead": "S"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    let refused = ixc.post_json("contato", lead(json!({}))).await?;
    assert_eq!(refused["type"], "error");
    let bad_date =
        ixc.post_json("contato", lead(json!({"email": "p@example.com", "data_cadastro": "2026-05-15"}))).await?;
    assert_eq!(bad_date["type"], "error");

    let created = ixc.post_json("contato", lead(json!({"fone_whatsapp": "11912345678"}))).await?;
    assert_eq!(created["type"], "success");
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let listed = ixc.list_json("contato", json!({"qtype": "contato.id", "query": id, "oper": "="})).await?;
    assert_eq!(listed["registros"][0]["data_cadastro"], "2026-05-15");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_ticket_needs_menssagem_and_gets_a_protocol() -> TestResult {
    let ixc = Ixc::start().await?;
    let mut ticket = json!({
        "tipo": "C", "id_cliente": data::CUSTOMER_ID, "id_contrato": data::CUSTOMER_CONTRACT, "id_assunto": "1",
        "titulo": "Sem conexão", "id_ticket_setor": "1", "prioridade": "A", "mensagem": "Sem internet desde ontem",
        "su_status": "N",
    });
    let refused = ixc.post_json("su_ticket", ticket.clone()).await?;
    assert_eq!(refused["type"], "error", "`mensagem` with one s is not `menssagem`");

    if let Some(body) = ticket.as_object_mut() {
        body.insert("menssagem".into(), json!("Sem internet desde ontem"));
    }
    let created = ixc.post_json("su_ticket", ticket).await?;
    assert_eq!(created["type"], "success");
    let protocol = created["atualiza_campos"][0]["valor"].as_str().unwrap_or_default().to_owned();
    assert!(protocol.starts_with("20260515") && protocol.len() == 14, "{protocol}");

    let next = ixc.post("gerar_protocolo_atendimento", json!({})).await?.text().await?;
    assert!(next > protocol);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_partial_put_fails_with_html_and_a_full_row_put_updates() -> TestResult {
    let ixc = Ixc::start().await?;
    let customer_url = ixc.url(&format!("cliente/{}", data::CUSTOMER_ID));
    let partial = ixc
        .http
        .put(&customer_url)
        .header("Authorization", &ixc.auth)
        .json(&json!({"email": "nova@example.com"}))
        .send()
        .await?;
    assert_eq!(partial.status(), StatusCode::OK);
    assert!(partial.text().await?.contains("Ocorreu um erro ao processar"));

    let listed =
        ixc.list_json("cliente", json!({"qtype": "cliente.id", "query": data::CUSTOMER_ID, "oper": "="})).await?;
    let mut row = listed["registros"][0].clone();
    if let Some(row) = row.as_object_mut() {
        row.insert("email".into(), json!("nova@example.com"));
    }
    let full: Value =
        ixc.http.put(&customer_url).header("Authorization", &ixc.auth).json(&row).send().await?.json().await?;
    assert_eq!(full["type"], "success", "{full}");
    let after =
        ixc.list_json("cliente", json!({"qtype": "cliente.id", "query": data::CUSTOMER_ID, "oper": "="})).await?;
    assert_eq!(after["registros"][0]["email"], "nova@example.com");
    assert_eq!(after["registros"][0]["data_nascimento"], "1985-07-22");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn every_spawn_starts_from_the_same_fresh_data() -> TestResult {
    let first = Ixc::start().await?;
    first.post_json("fn_areceber_recebimentos_baixas_novo", baixa(data::INVOICE_OPEN, "99.90", "15/05/2026")).await?;
    first.sim.shutdown().await;
    let second = Ixc::start().await?;
    assert_eq!(second.invoice(data::INVOICE_OPEN).await?["status"], "A");
    assert_eq!(second.sim.postings(data::INVOICE_OPEN), 0);
    second.sim.shutdown().await;
    Ok(())
}

/// The adapter's `find_invoice`: the invoice by id, restricted to the customer, as IXC pages.
fn find_invoice_body(id: &str, customer: &str) -> Value {
    json!({
        "qtype": "fn_areceber.id", "query": id, "oper": "=", "page": "1", "rp": "500",
        "sortname": "fn_areceber.id", "sortorder": "asc",
        "grid_param": json!([{"TB": "fn_areceber.id_cliente", "OP": "=", "P": customer}]).to_string(),
    })
}

/// The adapter's `earlier_posting`: the invoice's payments, newest first.
fn payments_body(invoice: &str) -> Value {
    json!({
        "qtype": "fn_movim_finan.id_receber", "query": invoice, "oper": "=", "page": "1", "rp": "500",
        "sortname": "fn_movim_finan.id", "sortorder": "desc",
    })
}

#[tokio::test]
async fn bulk_invoices_are_found_as_the_adapter_looks_them_up_and_paid_once() -> TestResult {
    let started = std::time::Instant::now();
    let ixc = Ixc::start_with(IxcConfig { bulk_invoices: 10_000, ..IxcConfig::default() }).await?;
    eprintln!("spawn with 10,000 bulk invoices: {:?}", started.elapsed());

    // find_customer: the masked CPF, exact text.
    let customer = ixc
        .list_json(
            "cliente",
            json!({"qtype": "cliente.cnpj_cpf", "query": data::BULK_CUSTOMER_CPF, "oper": "=", "rp": "500"}),
        )
        .await?;
    assert_eq!(ids(&customer), [data::BULK_CUSTOMER_ID]);
    assert_eq!(customer["registros"][0]["ativo"], "S");
    let contracts = ixc
        .list_json(
            "cliente_contrato",
            json!({"qtype": "cliente_contrato.id_cliente", "query": data::BULK_CUSTOMER_ID, "oper": "="}),
        )
        .await?;
    assert_eq!(ids(&contracts), [data::BULK_CUSTOMER_CONTRACT]);
    assert_eq!(contracts["registros"][0]["status"], "A");

    // Every bulk invoice is the bulk customer's; none belongs to anyone else.
    let all = ixc
        .list_json(
            "fn_areceber",
            json!({"qtype": "fn_areceber.id_cliente", "query": data::BULK_CUSTOMER_ID, "rp": "1"}),
        )
        .await?;
    assert_eq!(all["total"], "10000");
    assert_eq!(ids(&all), [data::bulk_invoice_id(0)]);
    let not_theirs =
        ixc.list_json("fn_areceber", find_invoice_body(&data::bulk_invoice_id(5), data::CUSTOMER_ID)).await?;
    assert_eq!(not_theirs["total"], "0");

    // list_invoices: one page of 500 of the customer's open invoices, by due date (a scan and
    // a sort of all 10,000 each page).
    let started = std::time::Instant::now();
    let page = ixc
        .list_json(
            "fn_areceber",
            json!({
                "qtype": "fn_areceber.id_cliente", "query": data::BULK_CUSTOMER_ID, "oper": "=", "page": "1",
                "rp": "500", "sortname": "fn_areceber.data_vencimento", "sortorder": "asc",
                "grid_param": json!([
                    {"TB": "fn_areceber.liberado", "OP": "=", "P": "S"},
                    {"TB": "fn_areceber.status", "OP": "IN", "P": "A,P"},
                ]).to_string(),
            }),
        )
        .await?;
    eprintln!("a 500-row page of the bulk customer's open invoices (HTTP round trip): {:?}", started.elapsed());
    assert_eq!((page["total"].as_str(), ids(&page).len()), (Some("10000"), 500));

    let last = data::bulk_invoice_id(9_999);
    assert_eq!(last, "110000");
    let mut timings = Vec::new();
    for n in [0, 4_321, 9_999] {
        let id = data::bulk_invoice_id(n);
        let started = std::time::Instant::now();
        let found = ixc.list_json("fn_areceber", find_invoice_body(&id, data::BULK_CUSTOMER_ID)).await?;
        timings.push(started.elapsed());
        assert_eq!(ids(&found), [id.as_str()]);
        let row = &found["registros"][0];
        assert_eq!((row["status"].as_str(), row["liberado"].as_str()), (Some("A"), Some("S")));
        assert_eq!(row["tipo_recebimento"], "Boleto");
        assert_eq!(row["valor_aberto"], row["valor"]);
        let line = BoletoLine::parse(row["linha_digitavel"].as_str().unwrap_or_default())?;
        assert_eq!(line.amount_cents(), Some(data::bulk_invoice_cents(n)));
        assert_eq!(line.due_date(), Some(data::bulk_invoice_due(n)));
    }
    eprintln!("find_invoice over 10,012 invoices (HTTP round trip): {timings:?}");

    // settle_invoice: look for an earlier posting, post, read back.
    let id = data::bulk_invoice_id(4_321);
    assert_eq!(ixc.list_json("fn_areceber_baixas", payments_body(&id)).await?["total"], "0");
    let amount = ixc.invoice(&id).await?["valor"].as_str().unwrap_or_default().to_owned();
    let started = std::time::Instant::now();
    let posted = ixc.post_json("fn_areceber_recebimentos_baixas_novo", baixa(&id, &amount, "15/05/2026")).await?;
    eprintln!("baixa of a bulk invoice (HTTP round trip): {:?}", started.elapsed());
    assert_eq!(posted["type"], "success", "{posted}");
    let row = ixc.invoice(&id).await?;
    assert_eq!((row["status"].as_str(), row["valor_aberto"].as_str()), (Some("R"), Some("0.00")));
    assert_eq!(row["valor_recebido"].as_str(), Some(amount.as_str()));
    let payments = ixc.list_json("fn_areceber_baixas", payments_body(&id)).await?;
    assert_eq!(payments["total"], "1");
    assert_eq!(ixc.sim.postings(&id), 1);
    assert_eq!(ixc.sim.all_postings(), [(id.clone(), 1)].into_iter().collect());
    assert_eq!(ixc.contract(data::BULK_CUSTOMER_CONTRACT).await?["status_internet"], "A");
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn without_bulk_invoices_there_is_no_bulk_customer() -> TestResult {
    let ixc = Ixc::start().await?;
    let customer = ixc
        .list_json("cliente", json!({"qtype": "cliente.cnpj_cpf", "query": data::BULK_CUSTOMER_CPF, "oper": "="}))
        .await?;
    assert_eq!(customer["total"], json!(0));
    assert_eq!(ixc.invoice(&data::bulk_invoice_id(0)).await?, Value::Null);
    ixc.sim.shutdown().await;
    Ok(())
}

/// What the caller saw of one request under chaos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Answered,
    Unavailable,
    Lost,
}

/// `count` sequential listings of `cliente`, each classified.
async fn run_listings(ixc: &Ixc, count: usize) -> Result<Vec<Outcome>, Box<dyn Error>> {
    let mut outcomes = Vec::with_capacity(count);
    for _ in 0..count {
        let sent = async {
            let response = ixc.list("cliente", json!({"qtype": "cliente.id", "query": "101"})).await?;
            let status = response.status();
            response.bytes().await.map(|_| status)
        }
        .await;
        outcomes.push(match sent {
            Ok(StatusCode::OK) => Outcome::Answered,
            Ok(StatusCode::SERVICE_UNAVAILABLE) => Outcome::Unavailable,
            Ok(other) => return Err(format!("unexpected status {other}").into()),
            Err(_) => Outcome::Lost,
        });
    }
    Ok(outcomes)
}

#[tokio::test]
async fn chaos_with_a_fixed_seed_injects_the_configured_share_deterministically() -> TestResult {
    let ixc = Ixc::start().await?;
    let chaos = Chaos {
        seed: 20_260_515,
        unavailable_per_mille: 100,
        timeout_per_mille: 50,
        timeout_ms: 5,
        lose_response_per_mille: 50,
        path_contains: None,
    };
    ixc.sim.faults().set_chaos(Some(chaos.clone()))?;
    let first = run_listings(&ixc, 400).await?;
    let counts = ixc.sim.faults().chaos_injected();
    let seen = |outcome: Outcome| first.iter().filter(|o| **o == outcome).count() as u64;
    assert_eq!(seen(Outcome::Unavailable), counts.unavailable);
    assert_eq!(seen(Outcome::Lost), counts.lose_response);
    // Roughly 10%, 5%, 5% of 400; exactly these for this seed (SplitMix64 never changes).
    assert_eq!(counts, ChaosCounts { unavailable: 46, timeout: 19, lose_response: 18 });
    assert!((25..=55).contains(&counts.unavailable) && (8..=32).contains(&counts.timeout), "{counts:?}");
    assert!((8..=32).contains(&counts.lose_response), "{counts:?}");
    assert_eq!(ixc.sim.request_count(), 400);

    // The same seed and the same requests: the same faults, in the same places.
    ixc.sim.faults().set_chaos(Some(chaos))?;
    assert_eq!(run_listings(&ixc, 400).await?, first);
    assert_eq!(ixc.sim.faults().chaos_injected(), counts);

    // A queued fault takes its request before chaos draws.
    ixc.sim.faults().set_chaos(Some(Chaos { seed: 1, unavailable_per_mille: 1000, ..Chaos::default() }))?;
    ixc.sim.faults().push(Fault::Garbage { times: 1 });
    let garbage = ixc.list("cliente", json!({})).await?;
    assert_eq!(garbage.status(), StatusCode::OK);
    assert!(garbage.text().await?.contains("#FF0000"));
    assert_eq!(ixc.list("cliente", json!({})).await?.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ixc.sim.faults().chaos_injected().unavailable, 1);
    ixc.sim.faults().set_chaos(None)?;
    assert_eq!(ixc.list("cliente", json!({})).await?.status(), StatusCode::OK);
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chaos_lose_response_applies_the_baixa_but_the_caller_gets_a_connection_error() -> TestResult {
    let ixc = Ixc::start_with(IxcConfig { bulk_invoices: 3, ..IxcConfig::default() }).await?;
    let chaos =
        Chaos { seed: 9, lose_response_per_mille: 1000, path_contains: Some("baixas".into()), ..Chaos::default() };
    ixc.sim.faults().set_chaos(Some(chaos))?;
    let id = data::bulk_invoice_id(2);
    let amount = ixc.invoice(&id).await?["valor"].as_str().unwrap_or_default().to_owned();
    let lost = async {
        let response = ixc.post("fn_areceber_recebimentos_baixas_novo", baixa(&id, &amount, "15/05/2026")).await?;
        response.bytes().await
    }
    .await;
    assert!(lost.is_err(), "the caller must not get an answer: {lost:?}");
    assert_eq!(ixc.sim.postings(&id), 1);
    // Listings don't match the filter: answered, and the baixa is there.
    let row = ixc.invoice(&id).await?;
    assert_eq!((row["status"].as_str(), row["valor_aberto"].as_str()), (Some("R"), Some("0.00")));
    assert_eq!(ixc.sim.faults().chaos_injected(), ChaosCounts { lose_response: 1, ..ChaosCounts::default() });
    ixc.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chaos_is_set_and_removed_over_http() -> TestResult {
    let ixc = Ixc::start().await?;
    let chaos_url = format!("{}/__sim/chaos", ixc.sim.base_url());
    let set = ixc
        .http
        .put(&chaos_url)
        .json(&json!({"seed": 5, "unavailable_per_mille": 1000, "path_contains": "cliente"}))
        .send()
        .await?;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ixc.sim.faults().chaos(),
        Some(Chaos { seed: 5, unavailable_per_mille: 1000, path_contains: Some("cliente".into()), ..Chaos::default() })
    );
    assert_eq!(ixc.list("cliente", json!({})).await?.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ixc.list("fn_areceber", json!({})).await?.status(), StatusCode::OK);
    let shown: Value = ixc.http.get(&chaos_url).send().await?.json().await?;
    assert_eq!(shown["chaos"]["seed"], 5);
    assert_eq!(shown["injected"], json!({"unavailable": 1, "timeout": 0, "lose_response": 0}));
    let health: Value = ixc.http.get(format!("{}/__sim/health", ixc.sim.base_url())).send().await?.json().await?;
    assert_eq!(health["chaos_injected"]["unavailable"], 1);

    for (body, reason) in [
        ("{not json", "invalid chaos"),
        (r#"{"unavailable_per_mille": 10}"#, "seed"),
        (r#"{"seed": 1, "unavailable_permille": 10}"#, "unavailable_permille"),
        (r#"{"seed": 1, "unavailable_per_mille": 500, "lose_response_per_mille": 501}"#, "1001"),
        (r#"{"seed": 1, "timeout_per_mille": 70000}"#, "invalid chaos"),
    ] {
        let refused = ixc.http.put(&chaos_url).header("Content-Type", "application/json").body(body).send().await?;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
        let text = refused.text().await?;
        assert!(text.starts_with("invalid chaos: ") && text.contains(reason), "{body}: {text}");
    }
    assert_eq!(ixc.sim.faults().chaos().map(|c| c.seed), Some(5), "a refused PUT changes nothing");

    let removed = ixc.http.delete(&chaos_url).send().await?;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(ixc.list("cliente", json!({})).await?.status(), StatusCode::OK);
    let shown: Value = ixc.http.get(&chaos_url).send().await?.json().await?;
    assert_eq!(shown["chaos"], Value::Null);
    assert_eq!(shown["injected"]["unavailable"], 1, "removing keeps the counts");
    assert_eq!(ixc.sim.request_count(), 3);
    ixc.sim.shutdown().await;
    Ok(())
}
