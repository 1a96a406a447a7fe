//! The Hubsoft simulator over real HTTP: each test spawns one on `127.0.0.1:0` and talks to it
//! as an adapter would (OAuth2 password grant, then Bearer calls).

use std::error::Error;
use std::time::Duration;

use ponte_contract::normalize::boleto::BoletoLine;
use ponte_contract::normalize::pix::PixCode;
use ponte_erp_sim::Simulator;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::hubsoft::{self, HubsoftConfig, data};
use reqwest::StatusCode;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

struct Hubsoft {
    sim: Simulator,
    http: reqwest::Client,
    config: HubsoftConfig,
}

impl Hubsoft {
    async fn start_with(config: HubsoftConfig) -> Result<Self, Box<dyn Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sim = hubsoft::spawn(listener, config.clone()).await?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { sim, http, config })
    }

    async fn start() -> Result<Self, Box<dyn Error>> {
        Self::start_with(HubsoftConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    async fn grant(&self, password: &str) -> Result<reqwest::Response, reqwest::Error> {
        let body = json!({
            "grant_type": "password", "client_id": self.config.client_id, "client_secret": self.config.client_secret,
            "username": self.config.username, "password": password,
        });
        self.http.post(self.url("/oauth/token")).json(&body).send().await
    }

    async fn token(&self) -> Result<String, Box<dyn Error>> {
        let response = self.grant(&self.config.password).await?;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await?;
        Ok(body["access_token"].as_str().unwrap_or_default().to_owned())
    }

    async fn get(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let response = self
            .http
            .get(self.url(&format!("/api/v1/integracao/{path}")))
            .bearer_auth(token)
            .query(query)
            .send()
            .await?;
        Ok((response.status(), response.json().await?))
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Result<Value, Box<dyn Error>> {
        let response = self
            .http
            .post(self.url(&format!("/api/v1/integracao/{path}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        Ok(response.json().await?)
    }
}

#[tokio::test]
async fn the_password_grant_issues_counted_tokens_that_expire_and_can_be_revoked() -> TestResult {
    let hs =
        Hubsoft::start_with(HubsoftConfig { token_ttl: Duration::from_secs(1), ..HubsoftConfig::default() }).await?;
    let refused = hs.grant("wrong").await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json::<Value>().await?["error"], "invalid_credentials");
    let response = hs.grant(&hs.config.password).await?;
    let body: Value = response.json().await?;
    assert_eq!((body["token_type"].clone(), body["expires_in"].clone()), (json!("Bearer"), json!(1)));
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(hs.sim.token_grants(), 1);

    let query = [("busca", "cpf_cnpj"), ("termo_busca", data::CUSTOMER_CPF_DIGITS)];
    assert_eq!(hs.get(&token, "cliente", &query).await?.0, StatusCode::OK);
    let (status, body) = hs.get("nope", "cliente", &query).await?;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({"message": "Unauthenticated."})));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(hs.get(&token, "cliente", &query).await?.0, StatusCode::UNAUTHORIZED, "expired");

    let token = hs.token().await?;
    assert_eq!(hs.get(&token, "cliente", &query).await?.0, StatusCode::OK);
    hs.sim.revoke_tokens();
    assert_eq!(hs.get(&token, "cliente", &query).await?.0, StatusCode::UNAUTHORIZED, "revoked");
    let admin: Value = hs.http.get(hs.url("/__sim/tokens")).send().await?.json().await?;
    assert_eq!(admin, json!({"grants": 2}));
    Ok(())
}

#[tokio::test]
async fn customers_are_found_by_document_with_their_services() -> TestResult {
    let hs = Hubsoft::start().await?;
    let token = hs.token().await?;
    let (_, body) = hs.get(&token, "cliente", &[("busca", "cpf_cnpj"), ("termo_busca", data::CUSTOMER_CPF)]).await?;
    assert_eq!(body["status"], "success");
    let client = &body["clientes"][0];
    assert_eq!(client["cpf_cnpj"], data::CUSTOMER_CPF_DIGITS, "digits only, a masked term matches");
    assert_eq!(client["servicos"][0]["id_cliente_servico"], 201);
    assert_eq!(client["data_cadastro"], "2023-02-14 00:00:00");

    let query = [("busca", "cpf_cnpj"), ("termo_busca", data::BLOCKED_CUSTOMER_CPF_DIGITS)];
    let (_, body) = hs.get(&token, "cliente", &query).await?;
    let prefixes: Vec<&str> = body["clientes"][0]["servicos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["status_prefixo"].as_str())
        .collect();
    assert_eq!(prefixes, ["suspenso_debito", "suspenso_debito"], "inativo hidden by default");
    assert_eq!(body["clientes"][0]["alerta"], true);
    let all = [query[0], query[1], ("inativo", "sim"), ("cancelado", "sim")];
    assert_eq!(hs.get(&token, "cliente", &all).await?.1["clientes"][0]["servicos"].as_array().map(Vec::len), Some(3));

    let (_, body) = hs.get(&token, "cliente", &[("busca", "cpf_cnpj"), ("termo_busca", data::UNKNOWN_CPF)]).await?;
    assert_eq!(body["clientes"], json!([]));
    let (_, body) = hs.get(&token, "cliente", &[("busca", "cpf_cnpj")]).await?;
    assert_eq!(body["status"], "error", "HTTP 200 business error");
    Ok(())
}

#[tokio::test]
async fn faturas_carry_brazilian_dates_numbers_valid_lines_and_pix() -> TestResult {
    let hs = Hubsoft::start().await?;
    let token = hs.token().await?;
    let query = [("busca", "cpf_cnpj"), ("termo_busca", data::CUSTOMER_CPF_DIGITS)];
    let (_, body) = hs.get(&token, "cliente/financeiro", &query).await?;
    let faturas = body["faturas"].as_array().cloned().unwrap_or_default();
    let ids: Vec<String> = faturas.iter().map(|f| f["id_fatura"].to_string()).collect();
    assert_eq!(ids, ["1001", "1006", "1007", "1002"], "pending only, oldest due first");
    let first = &faturas[0];
    assert_eq!(
        (first["data_vencimento"].clone(), first["valor"].to_string()),
        (json!("10/04/2026"), "99.9".to_owned())
    );
    assert!(BoletoLine::parse(first["linha_digitavel"].as_str().unwrap_or_default()).is_ok());
    assert!(PixCode::parse(first["pix_copia_cola"].as_str().unwrap_or_default()).is_ok());
    assert_eq!(faturas[1]["valor_pago"].to_string(), "30");
    assert!(faturas[2]["linha_digitavel"].is_null(), "PIX only");

    let all = [query[0], query[1], ("apenas_pendente", "nao"), ("limit", "50")];
    assert_eq!(hs.get(&token, "cliente/financeiro", &all).await?.1["faturas"].as_array().map(Vec::len), Some(6));
    let (_, body) = hs.get(&token, "cliente/financeiro", &[query[0], query[1], ("limit", "51")]).await?;
    assert_eq!(body["status"], "error");

    let link = first["link"].as_str().unwrap_or_default();
    let pdf = hs.http.get(link).send().await?.bytes().await?;
    assert!(pdf.starts_with(b"%PDF"));
    Ok(())
}

#[tokio::test]
async fn liquidar_counts_postings_and_refuses_a_paid_invoice() -> TestResult {
    let hs = Hubsoft::start().await?;
    let token = hs.token().await?;
    let body = json!({"id_fatura": 1002, "id_caixa_financeiro": 1, "data_pagamento": "2026-05-15", "valor_pago": "99.90", "meio_pagamento": "pix"});
    let answer = hs.post(&token, "financeiro/fatura/liquidar", body.clone()).await?;
    assert_eq!(answer["status"], "suscess");
    assert_eq!(answer["recibo"]["valor_pago"], "99.90");
    let again = hs.post(&token, "financeiro/fatura/liquidar", body).await?;
    assert_eq!(again["status"], "error");
    assert!(again["msg"].as_str().is_some_and(|m| m.contains("quitada")));
    assert_eq!(hs.sim.postings(data::INVOICE_OPEN), 1);
    let bad =
        json!({"id_fatura": 1001, "id_caixa_financeiro": 1, "data_pagamento": "15/05/2026", "valor_pago": "99.90"});
    assert_eq!(hs.post(&token, "financeiro/fatura/liquidar", bad).await?["status"], "error");
    let no_cash = json!({"id_fatura": 1001, "data_pagamento": "2026-05-15", "valor_pago": "99.90"});
    assert_eq!(hs.post(&token, "financeiro/fatura/liquidar", no_cash).await?["status"], "error");
    Ok(())
}

#[tokio::test]
async fn trust_unlock_and_tickets() -> TestResult {
    let hs = Hubsoft::start().await?;
    let token = hs.token().await?;
    let ok = hs
        .post(&token, "cliente/desbloqueio_confianca", json!({"id_cliente_servico": 204, "dias_desbloqueio": 3}))
        .await?;
    assert_eq!(ok["status"], "suscess");
    assert!(ok["msg"].as_str().is_some_and(|m| m.ends_with("18/05/2026")), "{ok}");
    for (service, days) in [(205, 1), (206, 1), (999, 1), (204, 1)] {
        let refused = hs
            .post(
                &token,
                "cliente/desbloqueio_confianca",
                json!({"id_cliente_servico": service, "dias_desbloqueio": days}),
            )
            .await?;
        assert_eq!(refused["status"], "error", "{service}");
    }
    let ticket =
        json!({"id_cliente_servico": 201, "descricao": "Sem conexão", "nome": "Maria", "telefone": "11987654321"});
    let answer = hs.post(&token, "atendimento", ticket).await?;
    assert_eq!(answer["atendimento"]["protocolo"], "20260515000001");
    let missing = hs.post(&token, "atendimento", json!({"id_cliente_servico": 201})).await?;
    assert_eq!(missing["status"], "error");
    assert!(missing["errors"].as_array().is_some_and(|e| e.len() == 3));
    Ok(())
}

#[tokio::test]
async fn faults_use_hubsofts_flavour() -> TestResult {
    let hs = Hubsoft::start().await?;
    hs.sim.faults().push(Fault::Status { status: 503, times: 1 });
    assert_eq!(hs.grant(&hs.config.password).await?.status(), StatusCode::SERVICE_UNAVAILABLE);
    let token = hs.token().await?;
    hs.sim.faults().push(Fault::BusinessError { message: "Erro interno".into(), times: 1 });
    let (status, body) =
        hs.get(&token, "cliente", &[("busca", "cpf_cnpj"), ("termo_busca", data::CUSTOMER_CPF_DIGITS)]).await?;
    assert_eq!(
        (status, body["status"].clone(), body["msg"].clone()),
        (StatusCode::OK, json!("error"), json!("Erro interno"))
    );
    let (status, body) = hs.get(&token, "nada", &[]).await?;
    assert_eq!((status, body["status"].clone()), (StatusCode::NOT_FOUND, json!("error")));
    Ok(())
}
