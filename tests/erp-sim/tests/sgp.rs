//! The SGP simulator over real HTTP: each test spawns one on `127.0.0.1:0` and talks to it as
//! an adapter would.

use std::error::Error;
use std::time::Duration;

use ponte_contract::normalize::boleto::BoletoLine;
use ponte_contract::normalize::pix::PixCode;
use ponte_erp_sim::Simulator;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::sgp::{self, ContractKey, SgpConfig, ValueStyle, data};
use reqwest::StatusCode;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

/// A running simulator and a client that authenticates like an adapter.
struct Sgp {
    sim: Simulator,
    http: reqwest::Client,
    config: SgpConfig,
}

impl Sgp {
    async fn start() -> Result<Self, Box<dyn Error>> {
        Self::start_with(SgpConfig::default()).await
    }

    async fn start_with(config: SgpConfig) -> Result<Self, Box<dyn Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sim = sgp::spawn(listener, config.clone()).await?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { sim, http, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// POST form-urlencoded, `token` and `app` first (what most clients send).
    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Result<reqwest::Response, reqwest::Error> {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("token", &self.config.token).append_pair("app", &self.config.app);
        for (key, value) in fields {
            body.append_pair(key, value);
        }
        self.http
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.finish())
            .send()
            .await
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Result<Value, Box<dyn Error>> {
        let response = self.post_form(path, fields).await?;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        Ok(response.json().await?)
    }

    /// POST JSON with `token` and `app` added to `body`.
    async fn post_json(&self, path: &str, mut body: Value) -> Result<reqwest::Response, reqwest::Error> {
        if let Some(map) = body.as_object_mut() {
            map.insert("token".into(), json!(self.config.token));
            map.insert("app".into(), json!(self.config.app));
        }
        self.http.post(self.url(path)).json(&body).send().await
    }

    async fn json(&self, path: &str, body: Value) -> Result<Value, Box<dyn Error>> {
        let response = self.post_json(path, body).await?;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        Ok(response.json().await?)
    }

    /// GET with `token` and `app` in the query string.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Box<dyn Error>> {
        let mut all = vec![("token", self.config.token.as_str()), ("app", self.config.app.as_str())];
        all.extend_from_slice(query);
        let mut qs = form_urlencoded::Serializer::new(String::new());
        qs.extend_pairs(all);
        let response = self.http.get(format!("{}?{}", self.url(path), qs.finish())).send().await?;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        Ok(response.json().await?)
    }

    async fn titulo(&self, id: &str) -> Result<Value, Box<dyn Error>> {
        let listed = self.form("/api/ura/titulos/", &[("titulo_id", id)]).await?;
        Ok(listed["titulos"][0].clone())
    }

    async fn contract(&self, id: &str) -> Result<Value, Box<dyn Error>> {
        let found = self.form("/api/ura/consultacliente/", &[("contrato", id)]).await?;
        Ok(found["contratos"][0].clone())
    }

    async fn baixa(&self, id: &str, fields: &[(&str, &str)]) -> Result<Value, Box<dyn Error>> {
        self.form(&format!("/api/banco/titulo/{id}/baixar/"), fields).await
    }
}

fn ids(list: &Value, key: &str) -> Vec<u64> {
    list.as_array().map(|items| items.iter().filter_map(|i| i[key].as_u64()).collect()).unwrap_or_default()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[tokio::test]
async fn token_and_app_authenticate_in_a_form_body_a_json_body_or_the_query_string() -> TestResult {
    let sgp = Sgp::start().await?;
    let form = sgp.form("/api/ura/consultacliente/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS)]).await?;
    assert_eq!(form["status"], 1);
    let body = sgp.json("/api/ura/consultacliente/", json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS})).await?;
    assert_eq!(body, form);
    // A client (T4) sends consultacliente as GET with everything in the query string.
    let query = sgp.get("/api/ura/consultacliente/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS)]).await?;
    assert_eq!(query, form);
    // The historical /ws/ura/ root answers the same.
    let ws = sgp.form("/ws/ura/consultacliente/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS)]).await?;
    assert_eq!(ws, form);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_wrong_token_or_app_is_403_and_missing_credentials_are_401() -> TestResult {
    let sgp = Sgp::start().await?;
    let url = sgp.url("/api/ura/consultacliente/");
    let send = |body: Value| sgp.http.post(&url).json(&body).send();

    let wrong_token = send(json!({"token": "nope", "app": sgp::DEMO_APP, "cpfcnpj": "1"})).await?;
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    assert_eq!(wrong_token.json::<Value>().await?, json!({"detail": "Credenciais de autenticação incorretas."}));

    let wrong_app = send(json!({"token": sgp::DEMO_TOKEN, "app": "outro", "cpfcnpj": "1"})).await?;
    assert_eq!(wrong_app.status(), StatusCode::FORBIDDEN);

    let none = send(json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS})).await?;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.headers().contains_key("www-authenticate"));
    assert_eq!(none.json::<Value>().await?["detail"], "As credenciais de autenticação não foram fornecidas.");

    // `Authorization: Token ...` + `App` headers (some clients send them) are not SGP's auth.
    let header_token = sgp
        .http
        .post(&url)
        .header("Authorization", format!("Token {}", sgp::DEMO_TOKEN))
        .header("App", sgp::DEMO_APP)
        .json(&json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS}))
        .send()
        .await?;
    assert_eq!(header_token.status(), StatusCode::UNAUTHORIZED);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn basic_auth_with_an_sgp_user_works_and_a_wrong_password_is_401() -> TestResult {
    let sgp = Sgp::start().await?;
    let url = sgp.url("/api/ura/titulos/");
    let ok = sgp
        .http
        .post(&url)
        .header("Authorization", sgp.config.basic_authorization())
        .json(&json!({"contrato": data::CUSTOMER_CONTRACT}))
        .send()
        .await?;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await?["status"], 1);

    let wrong = SgpConfig { basic_password: "errada".into(), ..SgpConfig::default() };
    let refused = sgp
        .http
        .post(&url)
        .header("Authorization", wrong.basic_authorization())
        .json(&json!({"contrato": data::CUSTOMER_CONTRACT}))
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json::<Value>().await?["detail"], "Usuário e/ou senha inválido(s).");
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn consultacliente_answers_one_row_per_contract() -> TestResult {
    let sgp = Sgp::start().await?;
    let found = sgp.form("/api/ura/consultacliente/", &[("cpfcnpj", data::BLOCKED_CUSTOMER_CPF_DIGITS)]).await?;
    let rows = &found["contratos"];
    assert_eq!(ids(rows, "contratoId"), [204, 205, 206]);
    assert_eq!(ids(rows, "clienteId"), [104, 104, 104], "the customer repeats on every row");
    assert_eq!(ids(rows, "contratoStatus"), [4, 4, 2]);
    assert_eq!(rows[0]["contratoStatusDisplay"], "Suspenso");
    assert_eq!(rows[2]["contratoStatusDisplay"], "Inativo");
    assert_eq!(rows[0]["motivo_status"], "Bloqueio automático por inadimplência");
    assert_eq!(rows[0]["cpfCnpj"], data::BLOCKED_CUSTOMER_CPF, "returned masked");
    assert_eq!(rows[0]["contratoTitulosAReceber"], 2);
    assert_eq!(rows[0]["contratoValorAberto"].to_string(), "199.8", "money is a Python float");

    let maria = sgp.form("/api/ura/consultacliente/", &[("cpfcnpj", data::CUSTOMER_CPF)]).await?;
    let row = &maria["contratos"][0];
    assert_eq!(row["razaoSocial"], data::CUSTOMER_NAME);
    assert_eq!(row["telefones"], json!([data::CUSTOMER_MOBILE, "(11) 3456-7890"]));
    assert_eq!(row["emails"], json!([data::CUSTOMER_EMAIL]));
    assert_eq!(row["dataNascimento"], "1985-07-22");
    assert_eq!(row["endereco_numero"], 123);
    assert_eq!(row["cobVencimento"], 10);
    assert_eq!(row["planointernet"], "Fibra 300 Mega");
    assert_eq!(row["contratoCentralLogin"], data::CUSTOMER_CPF_DIGITS);
    assert_eq!(row["contratoCentralSenha"], data::CUSTOMER_CENTRAL_PASSWORD);

    let by_login = sgp.form("/api/ura/consultacliente/", &[("login", "carlos.lima2")]).await?;
    assert_eq!(ids(&by_login["contratos"], "contratoId"), [205]);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn consultacliente_finds_the_company_by_alphanumeric_cnpj_and_refuses_unknown_cpfs() -> TestResult {
    let sgp = Sgp::start().await?;
    for document in [data::COMPANY_CNPJ_DIGITS, data::COMPANY_CNPJ, "12abc34501de35"] {
        let found = sgp.form("/api/ura/consultacliente/", &[("cpfcnpj", document)]).await?;
        assert_eq!(ids(&found["contratos"], "contratoId"), [203], "{document}");
        assert_eq!(found["contratos"][0]["cpfCnpj"], data::COMPANY_CNPJ);
    }
    let unknown = sgp.form("/api/ura/consultacliente/", &[("cpfcnpj", data::UNKNOWN_CPF)]).await?;
    assert_eq!(unknown, json!({"status": 0, "msg": "Cliente não encontrado.", "contratos": []}));
    let nothing = sgp.form("/api/ura/consultacliente/", &[]).await?;
    assert_eq!(nothing["status"], 0);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn clientes_embeds_titulos_without_link_and_the_contract_key_is_configurable() -> TestResult {
    let sgp = Sgp::start().await?;
    let listed =
        sgp.form("/api/ura/clientes/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS), ("exibir_conexao", "1")]).await?;
    let customer = &listed["clientes"][0];
    assert_eq!(customer["nome"], data::CUSTOMER_NAME);
    assert_eq!(customer["endereco"]["cidade"], "São Paulo");
    assert_eq!(customer["contratos"][0]["contrato"], 201);
    assert_eq!(customer["contratos"][0]["status"], "Ativo");
    assert_eq!(customer["contratos"][0]["servicos"][0]["plano"], json!({"id": 1, "descricao": "Fibra 300 Mega"}));
    assert_eq!(customer["contratos"][0]["servicos"][0]["conexao"]["status"], "online");
    let titulos = customer["titulos"].as_array().cloned().unwrap_or_default();
    assert_eq!(titulos.len(), 6);
    assert!(titulos.iter().all(|t| t.get("link").is_none() && t.get("codigoBarras").is_some()));

    let lean = sgp
        .form(
            "/api/ura/clientes/",
            &[("cliente_id", data::CUSTOMER_ID), ("omitir_titulos", "1"), ("omitir_contatos", "1")],
        )
        .await?;
    assert!(lean["clientes"][0].get("titulos").is_none() && lean["clientes"][0].get("telefones").is_none());

    let all = sgp.form("/api/ura/clientes/", &[("limit", "500")]).await?;
    assert_eq!(all["paginacao"], json!({"offset": 0, "limit": 100, "parcial": 5, "total": 5}));
    sgp.sim.shutdown().await;

    let legacy = Sgp::start_with(SgpConfig { contract_key: ContractKey::Id, ..SgpConfig::default() }).await?;
    let listed = legacy.form("/api/ura/clientes/", &[("contrato", data::COMPANY_CONTRACT)]).await?;
    let contract = &listed["clientes"][0]["contratos"][0];
    assert_eq!((contract["id"].as_u64(), contract.get("contrato")), (Some(203), None));
    legacy.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn titulos_carry_iso_dates_python_float_money_a_valid_line_and_pix() -> TestResult {
    let sgp = Sgp::start().await?;
    let open = sgp.form("/api/ura/titulos/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS), ("status", "abertos")]).await?;
    assert_eq!(ids(&open["titulos"], "id"), [1001, 1006, 1007, 1002], "oldest due first by default");
    assert_eq!(open["paginacao"], json!({"offset": 0, "limit": 250, "parcial": 4, "total": 4}));

    let late = &open["titulos"][0];
    assert_eq!(late["status"], "aberto");
    assert_eq!(late["numeroDocumento"], 51001, "not the id");
    assert_eq!(late["contrato"], 201);
    assert_eq!(late["valor"].to_string(), "99.9");
    assert_eq!(late["valorCorrigido"].to_string(), "103.07", "2% fine + 1% a month for 35 days");
    assert_eq!(late["diasAtraso"], 35);
    assert_eq!(late["dataVencimento"], "2026-04-10");
    assert_eq!(late["dataPagamento"], Value::Null);
    // `codigoBarras` holds the linha digitável (47 digits), not the barcode.
    let line = BoletoLine::parse(text(&late["codigoBarras"]))?;
    assert_eq!(text(&late["codigoBarras"]).len(), 47);
    assert_eq!(line.amount_cents(), Some(9990));
    assert_eq!(line.due_date().map(|d| d.to_string()).as_deref(), Some("2026-04-10"));
    assert!(PixCode::parse(text(&late["codigoPix"]))?.url().is_some());
    assert!(text(&late["link"]).contains("/boleto/1001/"));

    let partial = &open["titulos"][1];
    assert_eq!(
        (partial["valor"].to_string(), partial["valorPago"].to_string()),
        ("129.9".to_owned(), "30.0".to_owned())
    );
    let pix_only = &open["titulos"][2];
    assert_eq!((pix_only["codigoBarras"].as_str(), pix_only["diasAtraso"].as_u64()), (Some(""), Some(0)));
    assert!(PixCode::parse(text(&pix_only["codigoPix"])).is_ok());

    let paid = sgp.titulo(data::INVOICE_PAID).await?;
    assert_eq!((paid["status"].as_str(), paid["dataPagamento"].as_str()), (Some("pago"), Some("2026-03-09")));
    assert_eq!(paid["codigoPix"], "");
    let cancelled = sgp.titulo(data::INVOICE_CANCELLED).await?;
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["dataCancelamento"].as_str()),
        (Some("cancelado"), Some("2026-02-05"))
    );
    let gateway = sgp.titulo(data::COMPANY_INVOICE_GATEWAY).await?;
    assert_eq!((gateway["codigoBarras"].as_str(), gateway["codigoPix"].as_str()), (Some(""), Some("")));
    assert!(text(&gateway["link_cobranca"]).starts_with("https://"));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn titulos_filter_order_and_paginate() -> TestResult {
    let sgp = Sgp::start().await?;
    let page = sgp
        .form(
            "/api/ura/titulos/",
            &[
                ("contrato", data::CUSTOMER_CONTRACT),
                ("ordenar", "id"),
                ("ordenar_ordem", "desc"),
                ("offset", "1"),
                ("limit", "2"),
            ],
        )
        .await?;
    assert_eq!(ids(&page["titulos"], "id"), [1006, 1004]);
    assert_eq!(page["paginacao"], json!({"offset": 1, "limit": 2, "parcial": 2, "total": 6}));

    let april = sgp
        .form(
            "/api/ura/titulos/",
            &[
                ("cpfcnpj", data::BLOCKED_CUSTOMER_CPF_DIGITS),
                ("data_vencimento_inicio", "2026-04-01"),
                ("data_vencimento_fim", "2026-04-30"),
            ],
        )
        .await?;
    assert_eq!(ids(&april["titulos"], "id"), [1010, 1012]);

    let paid = sgp.form("/api/ura/titulos/", &[("cpfcnpj", data::COMPANY_CNPJ_DIGITS), ("status", "pagos")]).await?;
    assert_eq!(ids(&paid["titulos"], "id"), [1009]);
    let capped = sgp.form("/api/ura/titulos/", &[("contrato", data::CUSTOMER_CONTRACT), ("limit", "1000")]).await?;
    assert_eq!(capped["paginacao"]["limit"], 250);
    let none = sgp.form("/api/ura/titulos/", &[("cpfcnpj", data::CUSTOMER_NO_INVOICES_CPF_DIGITS)]).await?;
    assert_eq!((none["status"].as_u64(), none["titulos"].as_array().map(Vec::len)), (Some(1), Some(0)));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn titulos_refuse_bad_filters_with_status_0() -> TestResult {
    let sgp = Sgp::start().await?;
    for fields in [
        vec![("contrato", data::CUSTOMER_CONTRACT), ("data_vencimento_inicio", "01/04/2026")],
        vec![("contrato", data::CUSTOMER_CONTRACT), ("status", "vencidos")],
        vec![("contrato", data::CUSTOMER_CONTRACT), ("ordenar", "nome")],
        vec![("cpfcnpj", data::UNKNOWN_CPF)],
        vec![("contrato", data::CONTRACT_MISSING)],
        vec![],
    ] {
        let answer = sgp.form("/api/ura/titulos/", &fields).await?;
        assert_eq!(answer["status"], 0, "{fields:?}: {answer}");
        assert!(answer["msg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_brazilian_value_style_writes_comma_money_and_dd_mm_yyyy_dates() -> TestResult {
    let sgp = Sgp::start_with(SgpConfig { value_style: ValueStyle::Brazilian, ..SgpConfig::default() }).await?;
    let late = sgp.titulo(data::INVOICE_OPEN_OVERDUE).await?;
    assert_eq!((late["valor"].as_str(), late["valorCorrigido"].as_str()), (Some("99,90"), Some("103,07")));
    assert_eq!(late["dataVencimento"], "10/04/2026");
    let second = sgp
        .form(
            "/api/ura/fatura2via/",
            &[("contrato", data::CUSTOMER_CONTRACT), ("fatura", data::INVOICE_OPEN), ("nao_gerar_os", "1")],
        )
        .await?;
    assert_eq!(
        (second["links"][0]["valor"].as_str(), second["links"][0]["vencimento"].as_str()),
        (Some("99,90"), Some("10/06/2026"))
    );
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fatura2via_opens_an_ocorrencia_on_every_call_unless_nao_gerar_os() -> TestResult {
    let sgp = Sgp::start().await?;
    let count = || async {
        let listed = sgp.form("/api/ura/ocorrencia/list/", &[("contrato", data::CUSTOMER_CONTRACT)]).await?;
        Ok::<_, Box<dyn Error>>(listed["paginacao"]["total"].as_u64().unwrap_or_default())
    };
    assert_eq!(count().await?, 1);
    let quiet =
        sgp.form("/api/ura/fatura2via/", &[("contrato", data::CUSTOMER_CONTRACT), ("nao_gerar_os", "1")]).await?;
    assert_eq!((quiet["status"].as_u64(), quiet["protocolo"].as_str()), (Some(1), Some("")));
    assert_eq!(count().await?, 1);

    let noisy = sgp.form("/api/ura/fatura2via/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS)]).await?;
    let protocol = text(&noisy["protocolo"]).to_owned();
    assert!(protocol.starts_with("20260515") && protocol.len() == 14, "{protocol}");
    assert_eq!(count().await?, 2);
    let listed =
        sgp.form("/api/ura/ocorrencia/list/", &[("contrato", data::CUSTOMER_CONTRACT), ("status", "0")]).await?;
    let opened = &listed["ocorrencias"][1];
    assert_eq!(
        (opened["numero"].as_str(), opened["tipo"].as_str()),
        (Some(protocol.as_str()), Some("Segunda via de fatura"))
    );
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fatura2via_reissues_late_boletos_and_lists_every_open_one_with_the_flag() -> TestResult {
    let sgp = Sgp::start().await?;
    let due_now =
        sgp.form("/api/ura/fatura2via/", &[("contrato", data::CUSTOMER_CONTRACT), ("nao_gerar_os", "1")]).await?;
    assert_eq!(ids(&due_now["links"], "fatura"), [1001, 1006, 1007], "the late ones and the next one due");
    let late = &due_now["links"][0];
    assert_eq!(
        (late["vencimento"].as_str(), late["vencimento_original"].as_str()),
        (Some("2026-05-15"), Some("2026-04-10"))
    );
    assert_eq!(
        (late["valor"].to_string(), late["valor_original"].to_string()),
        ("103.07".to_owned(), "99.9".to_owned())
    );
    let line = BoletoLine::parse(text(&late["linhadigitavel"]))?;
    assert_eq!(line.amount_cents(), Some(10307));
    assert_eq!(line.due_date(), Some(data::reference_date()));
    assert!(text(&late["linhadigitavel"]).contains(' '), "printed with its mask");
    assert!(PixCode::parse(text(&late["codigopix"])).is_ok());
    let pix_only = &due_now["links"][2];
    assert_eq!(pix_only["linhadigitavel"], "");

    let all = sgp
        .form(
            "/api/ura/fatura2via/",
            &[
                ("contrato", data::CUSTOMER_CONTRACT),
                ("faturas_abertas_todas", "1"),
                ("nao_gerar_os", "1"),
                ("link_pdf", "1"),
            ],
        )
        .await?;
    assert_eq!(ids(&all["links"], "fatura"), [1001, 1006, 1007, 1002]);
    assert!(all["links"].as_array().is_some_and(|l| l.iter().all(|l| text(&l["link"]).ends_with(".pdf"))));
    assert_eq!(all["link"], all["links"][3]["link"], "`link` is the newest título's");
    assert_eq!(all["razaoSocial"], data::CUSTOMER_NAME);

    let one = sgp
        .form(
            "/api/ura/fatura2via/",
            &[("cpfcnpj", data::COMPANY_CNPJ_DIGITS), ("fatura", data::COMPANY_INVOICE_GATEWAY), ("nao_gerar_os", "1")],
        )
        .await?;
    assert_eq!(
        (one["links"][0]["linhadigitavel"].as_str(), one["links"][0]["codigopix"].as_str()),
        (Some(""), Some(""))
    );
    assert!(text(&one["links"][0]["link_cobranca"]).starts_with("https://"));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fatura2via_without_open_titulos_is_status_0_with_empty_links() -> TestResult {
    let sgp = Sgp::start().await?;
    let none = sgp
        .form("/api/ura/fatura2via/", &[("cpfcnpj", data::CUSTOMER_NO_INVOICES_CPF_DIGITS), ("nao_gerar_os", "1")])
        .await?;
    assert_eq!((none["status"].as_u64(), none["links"].clone()), (Some(0), json!([])));
    let paid = sgp
        .form(
            "/api/ura/fatura2via/",
            &[("contrato", data::CUSTOMER_CONTRACT), ("fatura", data::INVOICE_PAID), ("nao_gerar_os", "1")],
        )
        .await?;
    assert_eq!(paid["status"], 0);
    let unknown = sgp.form("/api/ura/fatura2via/", &[("cpfcnpj", data::UNKNOWN_CPF)]).await?;
    assert_eq!(unknown, json!({"status": 0, "msg": "Cliente não encontrado."}));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn boleto_links_serve_a_page_and_a_pdf_without_auth_and_a_wrong_key_is_404() -> TestResult {
    let sgp = Sgp::start().await?;
    let listed = sgp
        .form(
            "/api/ura/fatura2via/",
            &[
                ("contrato", data::CUSTOMER_CONTRACT),
                ("fatura", data::INVOICE_OPEN_OVERDUE),
                ("nao_gerar_os", "1"),
                ("link_pdf", "1"),
            ],
        )
        .await?;
    let pdf_link = text(&listed["links"][0]["link"]).to_owned();
    assert_eq!(pdf_link, format!("{}/boleto/1001/{}.pdf", sgp.sim.base_url(), data::boleto_link_key("1001")));
    let pdf = sgp.http.get(&pdf_link).send().await?;
    assert_eq!(pdf.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let bytes = pdf.bytes().await?;
    assert!(bytes.starts_with(b"%PDF"));
    let content = String::from_utf8_lossy(&bytes);
    assert!(content.contains(text(&listed["links"][0]["linhadigitavel"])), "the PDF shows the reissued line");

    let page = sgp.http.get(pdf_link.trim_end_matches(".pdf")).send().await?.text().await?;
    assert!(page.contains("Fatura 1001") && page.contains(".pdf"));
    let wrong = sgp.http.get(format!("{}/boleto/1001/0000000000000000.pdf", sgp.sim.base_url())).send().await?;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_pix_endpoint_gives_a_valid_br_code_and_refuses_paid_and_link_titulos() -> TestResult {
    let sgp = Sgp::start().await?;
    let pix = sgp
        .form(&format!("/api/ura/pagamento/pix/{}", data::INVOICE_PIX), &[("contrato", data::CUSTOMER_CONTRACT)])
        .await?;
    assert_eq!(pix["status"], 1);
    let code = PixCode::parse(text(&pix["codigoPix"]))?;
    assert!(code.url().is_some_and(|u| u.contains(&data::pix_txid(data::INVOICE_PIX).to_ascii_lowercase())));
    assert_eq!(pix["valor"].to_string(), "99.9");

    let via_get = sgp.get(&format!("/api/ura/pagamento/pix/{}", data::INVOICE_PIX), &[]).await?;
    assert_eq!(via_get["codigoPix"], pix["codigoPix"]);
    for (id, contract) in [
        (data::INVOICE_PAID, data::CUSTOMER_CONTRACT),
        (data::COMPANY_INVOICE_GATEWAY, data::COMPANY_CONTRACT),
        (data::INVOICE_OPEN, data::COMPANY_CONTRACT),
        ("777", data::CUSTOMER_CONTRACT),
    ] {
        let refused = sgp.form(&format!("/api/ura/pagamento/pix/{id}"), &[("contrato", contract)]).await?;
        assert_eq!(refused["status"], 0, "{id}");
    }
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_baixa_settles_the_titulo_is_counted_and_a_second_one_is_refused() -> TestResult {
    let sgp = Sgp::start().await?;
    let id = data::INVOICE_OPEN;
    let answer = sgp
        .baixa(
            id,
            &[
                ("data_pagamento", "2026-05-15"),
                ("valor_pago", "99.90"),
                ("forma_pagamento", "PIX"),
                ("observacao", "E2E123"),
            ],
        )
        .await?;
    assert_eq!(answer["status"], 1, "{answer}");
    assert_eq!(sgp.sim.postings(id), 1);
    let titulo = sgp.titulo(id).await?;
    assert_eq!((titulo["status"].as_str(), titulo["dataPagamento"].as_str()), (Some("pago"), Some("2026-05-15")));
    assert_eq!(titulo["valorPago"].to_string(), "99.9");

    let again = sgp.baixa(id, &[("data_pagamento", "2026-05-15"), ("valor_pago", "99.90")]).await?;
    assert_eq!(again["status"], 0);
    assert!(text(&again["msg"]).contains("já está liquidado"));
    assert_eq!(sgp.sim.postings(id), 1, "a refused baixa is not a posting");

    let admin: Value = sgp.http.get(format!("{}/__sim/postings", sgp.sim.base_url())).send().await?.json().await?;
    assert_eq!(admin, json!({ id: 1 }));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_baixa_below_what_is_open_needs_liquidacao_parcial() -> TestResult {
    let sgp = Sgp::start().await?;
    let id = data::INVOICE_PARTIAL;
    let short = sgp.baixa(id, &[("data_pagamento", "2026-05-15"), ("valor_pago", "50.00")]).await?;
    assert_eq!(short["status"], 0);
    assert_eq!(sgp.sim.postings(id), 0);

    let partial = sgp
        .baixa(id, &[("data_pagamento", "2026-05-15"), ("valor_pago", "50,00"), ("liquidacao_parcial", "1")])
        .await?;
    assert_eq!(partial["status"], 1);
    let titulo = sgp.titulo(id).await?;
    assert_eq!((titulo["status"].as_str(), titulo["valorPago"].to_string()), (Some("aberto"), "80.0".to_owned()));

    // The rest, with a discount, settles it.
    let rest =
        sgp.baixa(id, &[("data_pagamento", "2026-05-15"), ("valor_pago", "48.90"), ("desconto", "1.00")]).await?;
    assert_eq!(rest["status"], 1);
    assert_eq!(sgp.titulo(id).await?["status"], "pago");
    assert_eq!(sgp.sim.postings(id), 2);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_baixa_refuses_non_iso_or_future_dates_bad_methods_and_cancelled_titulos() -> TestResult {
    let sgp = Sgp::start().await?;
    for (id, fields) in [
        (data::INVOICE_OPEN, vec![("data_pagamento", "15/05/2026")]),
        (data::INVOICE_OPEN, vec![]),
        (data::INVOICE_OPEN, vec![("data_pagamento", "2026-05-16")]),
        (data::INVOICE_OPEN, vec![("data_pagamento", "2026-05-15"), ("forma_pagamento", "BOLETO")]),
        (data::INVOICE_OPEN, vec![("data_pagamento", "2026-05-15"), ("valor_pago", "abc")]),
        (data::INVOICE_CANCELLED, vec![("data_pagamento", "2026-05-15")]),
        ("777", vec![("data_pagamento", "2026-05-15")]),
    ] {
        let answer = sgp.baixa(id, &fields).await?;
        assert_eq!(answer["status"], 0, "{id} {fields:?}");
    }
    assert_eq!(sgp.sim.postings(data::INVOICE_OPEN), 0);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn paying_the_late_titulos_reactivates_a_suspended_contract() -> TestResult {
    let sgp = Sgp::start().await?;
    for id in [data::BLOCKED_INVOICE_OLDEST, data::BLOCKED_INVOICE_NEWEST] {
        assert_eq!(sgp.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?["contratoStatus"], 4);
        // Without valor_pago the open amount is paid.
        let answer = sgp.baixa(id, &[("data_pagamento", "2026-05-14"), ("forma_pagamento", "dinheiro")]).await?;
        assert_eq!(answer["status"], 1);
    }
    let contract = sgp.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?;
    assert_eq!((contract["contratoStatus"].as_u64(), contract["motivo_status"].as_str()), (Some(1), Some("")));
    assert_eq!(contract["contratoTitulosAReceber"], 0);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn estornar_reopens_a_paid_titulo_and_cancelar_needs_a_motivo() -> TestResult {
    let sgp = Sgp::start().await?;
    let reversed = sgp.form(&format!("/api/banco/titulo/{}/estornar/", data::INVOICE_PAID), &[]).await?;
    assert_eq!(reversed["status"], 1);
    assert_eq!(sgp.titulo(data::INVOICE_PAID).await?["status"], "aberto");
    let nothing = sgp.form(&format!("/api/banco/titulo/{}/estornar/", data::INVOICE_OPEN), &[]).await?;
    assert_eq!(nothing["status"], 0);

    let path = format!("/api/banco/titulo/{}/cancelar/", data::INVOICE_OPEN);
    assert_eq!(sgp.form(&path, &[]).await?["status"], 0);
    assert_eq!(sgp.form(&path, &[("motivo", "Cobrança indevida")]).await?["status"], 1);
    assert_eq!(sgp.titulo(data::INVOICE_OPEN).await?["status"], "cancelado");
    let with_payment =
        sgp.form(&format!("/api/banco/titulo/{}/cancelar/", data::INVOICE_PARTIAL), &[("motivo", "x")]).await?;
    assert_eq!(with_payment["status"], 0);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_payment_promise_releases_an_eligible_contract_once() -> TestResult {
    let sgp = Sgp::start().await?;
    let ok = sgp.json("/api/ura/liberacaopromessa/", json!({"contrato": 204, "enviar_sms": 1})).await?;
    assert_eq!((ok["status"].as_u64(), ok["liberado"].as_bool()), (Some(1), Some(true)), "{ok}");
    assert_eq!(ok["liberado_dias"], data::TRUST_UNLOCK_DAYS);
    assert_eq!(ok["data_promessa"], "2026-05-18");
    assert_eq!((ok["contratoId"].as_u64(), ok["cpfCnpj"].as_str()), (Some(204), Some(data::BLOCKED_CUSTOMER_CPF)));
    assert!(text(&ok["protocolo"]).starts_with("20260515"));

    let contract = sgp.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?;
    assert_eq!(contract["contratoStatus"], 1);
    assert!(text(&contract["motivo_status"]).contains("18/05/2026"));

    // A second promise in the same month is refused.
    let again = sgp.form("/api/ura/liberacaopromessa/", &[("contrato", data::CONTRACT_UNLOCK_ELIGIBLE)]).await?;
    assert_eq!((again["status"].as_u64(), again["liberado"].as_bool()), (Some(0), Some(false)));
    assert!(text(&again["msg"]).contains("15/05/2026"));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_payment_promise_is_refused_for_used_inactive_active_and_missing_contracts() -> TestResult {
    let sgp = Sgp::start().await?;
    for (contract, expected) in [
        (data::CONTRACT_UNLOCK_USED, "01/05/2026"),
        (data::CONTRACT_INACTIVE, "Inativo"),
        (data::CONTRACT_CANCELLED, "Cancelado"),
        (data::CUSTOMER_CONTRACT, "ativo"),
        (data::CONTRACT_MISSING, "não encontrado"),
    ] {
        // Form body on the historical /ws/ura/ root: a Python integration calls it there.
        let answer = sgp.form("/ws/ura/liberacaopromessa/", &[("contrato", contract)]).await?;
        assert_eq!(answer["status"], 0, "{contract}: {answer}");
        assert!(text(&answer["msg"]).contains(expected), "{contract}: {answer}");
    }
    let missing = sgp.form("/api/ura/liberacaopromessa/", &[]).await?;
    assert_eq!(missing["status"], 0);
    assert_eq!(sgp.contract(data::CONTRACT_UNLOCK_USED).await?["contratoStatus"], 4);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn data_promessa_sets_the_days_and_must_be_near() -> TestResult {
    let sgp = Sgp::start().await?;
    for bad in ["2026-05-15", "2026-05-21", "20/05/2026"] {
        let refused = sgp
            .form(
                "/api/ura/liberacaopromessa/",
                &[("contrato", data::CONTRACT_UNLOCK_ELIGIBLE), ("data_promessa", bad)],
            )
            .await?;
        assert_eq!(refused["status"], 0, "{bad}");
    }
    let ok = sgp
        .form(
            "/api/ura/liberacaopromessa/",
            &[("contrato", data::CONTRACT_UNLOCK_ELIGIBLE), ("data_promessa", "2026-05-20")],
        )
        .await?;
    assert_eq!((ok["liberado_dias"].as_u64(), ok["data_promessa"].as_str()), (Some(5), Some("2026-05-20")));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn central_endpoints_take_the_customers_own_login() -> TestResult {
    let sgp = Sgp::start().await?;
    let url = sgp.url("/api/central/titulos/");
    let own = sgp
        .http
        .post(&url)
        .json(&json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS, "senha": data::CUSTOMER_CENTRAL_PASSWORD}))
        .send()
        .await?;
    assert_eq!(own.status(), StatusCode::OK);
    let own: Value = own.json().await?;
    assert!(own.get("status").is_none(), "{{paginacao, faturas}} only");
    assert_eq!(own["paginacao"]["total"], 6);
    let first = &own["faturas"][0];
    assert_eq!(
        (first["id"].as_u64(), first["status"].as_str(), first["statusid"].as_u64()),
        (Some(1004), Some("Cancelado"), Some(3))
    );
    let open = own["faturas"].as_array().and_then(|f| f.iter().find(|f| f["id"] == 1001).cloned()).unwrap_or_default();
    assert_eq!((open["status"].as_str(), open["gerarpix"].as_bool()), (Some("Gerado"), Some(true)));
    assert_eq!(
        (open["vencimento"].as_str(), open["vencimento_atualizado"].as_str()),
        (Some("2026-04-10"), Some("2026-05-15"))
    );
    assert_eq!(open["valorcorrigido"].to_string(), "103.07");
    assert!(BoletoLine::parse(text(&open["linhadigitavel"])).is_ok());

    let by_login = sgp
        .http
        .post(&url)
        .json(&json!({"usuario": data::CUSTOMER_CPF_DIGITS, "senha": data::CUSTOMER_CENTRAL_PASSWORD, "contrato": 999}))
        .send()
        .await?;
    assert_eq!(by_login.json::<Value>().await?["status"], 0, "another customer's contract");

    let wrong = sgp.http.post(&url).json(&json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS, "senha": "x"})).send().await?;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // The customer login only opens the central endpoints.
    let ura = sgp
        .http
        .post(sgp.url("/api/ura/titulos/"))
        .json(&json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS, "senha": data::CUSTOMER_CENTRAL_PASSWORD}))
        .send()
        .await?;
    assert_eq!(ura.status(), StatusCode::UNAUTHORIZED);

    let promise = sgp
        .http
        .post(sgp.url("/api/central/promessapagamento/"))
        .json(&json!({
            "cpfcnpj": data::BLOCKED_CUSTOMER_CPF_DIGITS, "senha": data::BLOCKED_CUSTOMER_CENTRAL_PASSWORD,
            "contrato": data::CONTRACT_UNLOCK_ELIGIBLE,
        }))
        .send()
        .await?
        .json::<Value>()
        .await?;
    assert_eq!(promise["liberado"], true, "{promise}");
    let others = sgp
        .http
        .post(sgp.url("/api/central/promessapagamento/"))
        .json(&json!({"cpfcnpj": data::CUSTOMER_CPF_DIGITS, "senha": data::CUSTOMER_CENTRAL_PASSWORD, "contrato": 205}))
        .send()
        .await?
        .json::<Value>()
        .await?;
    assert_eq!(others["status"], 0);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_json_chamado_opens_an_ocorrencia_with_an_ordem_de_servico() -> TestResult {
    let sgp = Sgp::start().await?;
    let opened = sgp
        .json(
            "/api/ura/chamado/",
            json!({
                "contrato": 201, "ocorrenciatipo": 30, "tipoclassificacoes": [5], "conteudo": "Sem internet desde ontem",
                "setor": 1, "metodo": 3, "contato_nome": "Maria", "contato_telefone": "11987654321",
                "data_hora_agendamento": "2026-05-16 09:30", "motivoos": 6,
            }),
        )
        .await?;
    assert_eq!(opened["status"], 1, "{opened}");
    assert_eq!(opened["contratoId"], 201, "a number for JSON bodies");
    assert_eq!(opened["razaoSocial"], data::CUSTOMER_NAME);
    let protocol = text(&opened["protocolo"]).to_owned();
    assert!(protocol.starts_with("20260515"));

    let listed = sgp.form("/api/ura/ocorrencia/list/", &[("cpfcnpj", data::CUSTOMER_CPF_DIGITS)]).await?;
    let ticket =
        listed["ocorrencias"].as_array().and_then(|o| o.iter().find(|o| o["protocolo"] == protocol.as_str()).cloned());
    let ticket = ticket.unwrap_or_default();
    assert_eq!((ticket["tipo"].as_str(), ticket["status_id"].as_u64()), (Some("Sem conexão"), Some(0)));
    assert_eq!(ticket["classificacoes"], json!([{"id": 5, "descricao": "Quedas frequentes"}]));
    assert_eq!(ticket["conteudo"], "Sem internet desde ontem");

    let orders = sgp.form("/api/ura/ordemservico/list/", &[("contrato", data::CUSTOMER_CONTRACT)]).await?;
    let order =
        orders["result"].as_array().and_then(|o| o.iter().find(|o| o["ocorrencia"] == protocol.as_str()).cloned());
    let order = order.unwrap_or_default();
    assert_eq!(
        (order["motivo"].as_str(), order["data_agendamento"].as_str()),
        (Some("Reparo"), Some("2026-05-16 09:30"))
    );
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_form_chamado_defaults_the_type_and_answers_contrato_id_as_an_array() -> TestResult {
    let sgp = Sgp::start().await?;
    let opened = sgp
        .form(
            "/api/ura/chamado/",
            &[
                ("contrato", data::COMPANY_CONTRACT),
                ("conteudo", "Lentidão"),
                ("tipoclassificacoes", "1,2"),
                ("desativa_os", "1"),
            ],
        )
        .await?;
    assert_eq!(opened["status"], 1, "{opened}");
    assert_eq!(opened["contratoId"], json!([203]));
    let listed = sgp.form("/api/ura/ocorrencia/list/", &[("contrato", data::COMPANY_CONTRACT)]).await?;
    assert_eq!(
        (listed["ocorrencias"][0]["tipo_id"].as_u64(), listed["ocorrencias"][0]["os_id"].clone()),
        (Some(5), Value::Null)
    );
    let orders = sgp.form("/api/ura/ordemservico/list/", &[("contrato", data::COMPANY_CONTRACT)]).await?;
    assert_eq!(orders["result"], json!([]));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_chamado_refuses_unknown_contracts_types_classifications_and_bad_schedules() -> TestResult {
    let sgp = Sgp::start().await?;
    for body in [
        json!({"conteudo": "x"}),
        json!({"contrato": 999}),
        json!({"contrato": "abc"}),
        json!({"contrato": 201, "ocorrenciatipo": 99}),
        json!({"contrato": 201, "tipoclassificacoes": [42]}),
        json!({"contrato": 201, "setor": 9}),
        json!({"contrato": 201, "data_hora_agendamento": "16/05/2026 09:30"}),
    ] {
        let answer = sgp.json("/api/ura/chamado/", body.clone()).await?;
        assert_eq!(answer["status"], 0, "{body}: {answer}");
    }
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn catalogues_are_raw_arrays_of_id_descricao_ativo() -> TestResult {
    let sgp = Sgp::start().await?;
    let types = sgp.get("/api/os/ocorrencia/tipo/list/", &[]).await?;
    assert!(
        types
            .as_array()
            .is_some_and(|t| t.iter().any(|t| *t == json!({"id": 5, "descricao": "Atendimento URA", "ativo": true})))
    );
    assert!(types.as_array().is_some_and(|t| t.iter().any(|t| t["ativo"] == false)));
    for path in [
        "/api/os/ocorrencia/setor/list/",
        "/api/os/ocorrencia/motivo/list/",
        "/api/os/ocorrencia/metodo/list/",
        "/api/ura/classificacoes/list/",
    ] {
        let list = sgp.get(path, &[]).await?;
        assert!(
            list.as_array()
                .is_some_and(|l| !l.is_empty() && l.iter().all(|e| e["id"].is_u64() && e["descricao"].is_string())),
            "{path}"
        );
    }
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn contato_add_adds_a_contact_that_consultacliente_then_returns() -> TestResult {
    let sgp = Sgp::start().await?;
    let added = sgp
        .form(
            "/api/ura/contato/add/",
            &[("contrato", data::CUSTOMER_CONTRACT), ("contato", "(11) 91234-5678"), ("tipo", "celular")],
        )
        .await?;
    assert_eq!(added["status"], 1);
    let email = sgp
        .form(
            "/api/ura/contato/add/",
            &[("contrato", data::CUSTOMER_CONTRACT), ("contato", "maria@trabalho.example"), ("tipo", "email")],
        )
        .await?;
    assert_eq!(email["status"], 1);
    let row = sgp.contract(data::CUSTOMER_CONTRACT).await?;
    assert!(row["telefones"].as_array().is_some_and(|p| p.iter().any(|p| p == "(11) 91234-5678")));
    assert!(row["emails"].as_array().is_some_and(|e| e.iter().any(|e| e == "maria@trabalho.example")));

    for (contato, tipo) in
        [("(11) 91234-5678", "celular"), ("sem-arroba", "email"), ("123", "telefone"), ("x@y.z", "fax")]
    {
        let refused = sgp
            .form(
                "/api/ura/contato/add/",
                &[("contrato", data::CUSTOMER_CONTRACT), ("contato", contato), ("tipo", tipo)],
            )
            .await?;
        assert_eq!(refused["status"], 0, "{contato} {tipo}");
    }
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn plans_list_active_plans_with_text_prices() -> TestResult {
    let sgp = Sgp::start().await?;
    let all = sgp.form("/api/precadastro/plano/list", &[]).await?;
    assert_eq!(ids(&all["planos"], "id"), [1, 2, 3], "the discontinued plan is left out");
    assert_eq!(all["planos"][0], json!({"id": 1, "descricao": "Fibra 300 Mega", "preco": "99.90", "qtd_servicos": 1}));
    let campinas = sgp.get("/api/ura/consultaplano/", &[("pop", "2")]).await?;
    assert_eq!(ids(&campinas["planos"], "id"), [1, 2]);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn listacontrato_filters_by_status_code_and_customer() -> TestResult {
    let sgp = Sgp::start().await?;
    let suspended = sgp.form("/api/ura/listacontrato/", &[("status", "4")]).await?;
    assert_eq!(ids(&suspended["contratos"], "contratoId"), [204, 205]);
    assert_eq!(suspended["contratos"][0]["contratoStatusDisplay"], "Suspenso");
    let with_address =
        sgp.form("/api/ura/listacontrato/", &[("contrato", data::COMPANY_CONTRACT), ("exibir_endereco", "1")]).await?;
    assert_eq!(with_address["contratos"][0]["endereco"]["logradouro"], "Rua Augusta");
    let support = sgp.form("/api/suporte/contrato/list/", &[("cliente_cpfcnpj", data::INACTIVE_CUSTOMER_CPF)]).await?;
    assert_eq!(ids(&support["contratos"], "contratoStatus"), [3]);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() -> TestResult {
    let sgp = Sgp::start().await?;
    let unknown = sgp.post_form("/api/ura/verificaacesso/", &[("contrato", "201")]).await?;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.text().await?.contains("Not Found"));
    let get_titulos = sgp
        .http
        .get(format!("{}?token={}&app={}", sgp.url("/api/ura/titulos/"), sgp::DEMO_TOKEN, sgp::DEMO_APP))
        .send()
        .await?;
    assert_eq!(get_titulos.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get_titulos.json::<Value>().await?["detail"], "Método \"GET\" não é permitido.");
    // Trailing slash or not, the path is the same endpoint.
    let no_slash = sgp.form("/api/ura/titulos", &[("titulo_id", data::INVOICE_OPEN)]).await?;
    assert_eq!(ids(&no_slash["titulos"], "id"), [1002]);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn status_garbage_and_business_error_faults_replace_the_answer() -> TestResult {
    let sgp = Sgp::start().await?;
    let fields = [("cpfcnpj", data::CUSTOMER_CPF_DIGITS)];
    sgp.sim.faults().push(Fault::Status { status: 502, times: 1 });
    sgp.sim.faults().push(Fault::Garbage { times: 1 });
    sgp.sim.faults().push(Fault::BusinessError { message: "Serviço temporariamente indisponível".into(), times: 1 });

    let bad_gateway = sgp.post_form("/api/ura/consultacliente/", &fields).await?;
    assert_eq!(bad_gateway.status(), StatusCode::BAD_GATEWAY);
    assert!(bad_gateway.text().await?.contains("<center>nginx</center>"));
    let garbage = sgp.post_form("/api/ura/consultacliente/", &fields).await?;
    assert_eq!(garbage.status(), StatusCode::OK);
    let body = garbage.text().await?;
    assert!(body.starts_with("<!DOCTYPE html>") && serde_json::from_str::<Value>(&body).is_err());
    let business = sgp.form("/api/ura/consultacliente/", &fields).await?;
    assert_eq!(business, json!({"status": 0, "msg": "Serviço temporariamente indisponível"}));
    assert_eq!(sgp.form("/api/ura/consultacliente/", &fields).await?["status"], 1);
    assert_eq!(sgp.sim.request_count(), 4);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_business_error_fault_does_not_apply_the_baixa() -> TestResult {
    let sgp = Sgp::start().await?;
    sgp.sim.faults().push_for("baixar", Fault::BusinessError { message: "Erro ao liquidar".into(), times: 1 });
    let refused = sgp.baixa(data::INVOICE_OPEN, &[("data_pagamento", "2026-05-15")]).await?;
    assert_eq!(refused["status"], 0);
    assert_eq!(sgp.sim.postings(data::INVOICE_OPEN), 0);
    assert_eq!(sgp.titulo(data::INVOICE_OPEN).await?["status"], "aberto");
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_delay_fault_trips_the_callers_timeout() -> TestResult {
    let sgp = Sgp::start().await?;
    sgp.sim.faults().push_for("titulos", Fault::Delay { ms: 1_000, times: 1 });
    let result = sgp
        .http
        .post(sgp.url("/api/ura/titulos/"))
        .json(&json!({"token": sgp::DEMO_TOKEN, "app": sgp::DEMO_APP, "contrato": 201}))
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_lost_response_applies_the_baixa_and_the_retry_is_refused_as_already_paid() -> TestResult {
    let sgp = Sgp::start().await?;
    let id = data::INVOICE_OPEN_OVERDUE;
    sgp.sim.faults().push_for("baixar", Fault::LoseResponse { times: 1 });
    let fields = [("data_pagamento", "2026-05-15"), ("valor_pago", "103.07"), ("forma_pagamento", "PIX")];
    let lost = async { sgp.post_form(&format!("/api/banco/titulo/{id}/baixar/"), &fields).await?.bytes().await }.await;
    assert!(lost.is_err(), "the caller must not get an answer: {lost:?}");
    assert_eq!(sgp.sim.postings(id), 1);
    assert_eq!(sgp.titulo(id).await?["status"], "pago");

    let retry = sgp.baixa(id, &fields).await?;
    assert_eq!(retry["status"], 0, "a blind retry is refused: the caller must reconcile");
    assert_eq!(sgp.sim.postings(id), 1);
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn admin_endpoints_report_sgp_queue_faults_and_are_not_counted() -> TestResult {
    let sgp = Sgp::start().await?;
    let base = sgp.sim.base_url();
    let queued = sgp
        .http
        .post(format!("{base}/__sim/faults"))
        .json(&json!({"kind": "status", "status": 503, "path_contains": "/boleto/"}))
        .send()
        .await?;
    assert_eq!(queued.status(), StatusCode::NO_CONTENT);
    let link = format!("{base}/boleto/1002/{}.pdf", data::boleto_link_key("1002"));
    assert_eq!(sgp.http.get(&link).send().await?.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(sgp.http.get(&link).send().await?.status(), StatusCode::OK);

    sgp.http.post(format!("{base}/__sim/faults")).json(&json!({"kind": "garbage", "times": 3})).send().await?;
    sgp.http.delete(format!("{base}/__sim/faults")).send().await?;
    let post_plans = sgp.post_form("/api/ura/consultaplano/", &[]).await?;
    assert_eq!(post_plans.status(), StatusCode::METHOD_NOT_ALLOWED, "consultaplano is GET only");
    let health: Value = sgp.http.get(format!("{base}/__sim/health")).send().await?.json().await?;
    assert_eq!((health["erp"].as_str(), health["requests"].as_u64()), (Some("sgp"), Some(3)));
    sgp.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn every_spawn_starts_from_the_same_fresh_data() -> TestResult {
    let first = Sgp::start().await?;
    first.baixa(data::INVOICE_OPEN, &[("data_pagamento", "2026-05-15")]).await?;
    first.json("/api/ura/liberacaopromessa/", json!({"contrato": 204})).await?;
    first.sim.shutdown().await;
    let second = Sgp::start().await?;
    assert_eq!(second.titulo(data::INVOICE_OPEN).await?["status"], "aberto");
    assert_eq!(second.contract(data::CONTRACT_UNLOCK_ELIGIBLE).await?["contratoStatus"], 4);
    assert_eq!(second.sim.postings(data::INVOICE_OPEN), 0);
    second.sim.shutdown().await;
    Ok(())
}
