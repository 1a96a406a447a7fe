//! The PlugStorage simulator over real HTTP: each test spawns one on `127.0.0.1:0` and talks to
//! it as an adapter would (`token` in the query, `Authorization: Basic`).

use std::error::Error;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ponte_contract::normalize::access_key::AccessKey;
use ponte_erp_sim::Simulator;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::plugstorage::{self, AuthCase, Link, Partner, PlugStorageConfig, data};
use reqwest::StatusCode;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

struct Plug {
    sim: Simulator,
    http: reqwest::Client,
    config: PlugStorageConfig,
}

impl Plug {
    async fn start_with(config: PlugStorageConfig) -> Result<Self, Box<dyn Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sim = plugstorage::spawn(listener, config.clone()).await?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { sim, http, config })
    }

    async fn start() -> Result<Self, Box<dyn Error>> {
        Self::start_with(PlugStorageConfig::demo()).await
    }

    /// GET `/api/<route>` with the token first, then `query`, and the Basic header.
    async fn get(&self, route: &str, query: &[(&str, &str)]) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let mut pairs = vec![("token", self.config.token.as_str())];
        pairs.extend_from_slice(query);
        let response = self
            .http
            .get(format!("{}/api/{route}", self.sim.base_url()))
            .query(&pairs)
            .header("Authorization", self.config.basic_authorization())
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    async fn keys(&self, query: &[(&str, &str)]) -> Result<Value, Box<dyn Error>> {
        let (status, body) = self.get("invoices/keys", query).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["error"], false);
        Ok(body["data"].clone())
    }
}

const ALL_YEAR: [(&str, &str); 2] = [("date_ini", "2026-01-01"), ("date_end", "2026-12-31")];

#[tokio::test]
async fn keys_lists_the_providers_notes_with_valid_keys() -> TestResult {
    let plug = Plug::start().await?;
    let data = plug.keys(&[ALL_YEAR[0], ALL_YEAR[1], ("transaction", "sent")]).await?;
    assert_eq!((data["count"].as_u64(), data["total"].as_u64()), (Some(5), Some(5)));
    assert_eq!(data["last_id"], 7005);
    let invoices = data["invoices"].as_array().cloned().unwrap_or_default();
    for invoice in &invoices {
        let key = invoice["key"].as_str().unwrap_or_default();
        assert!(AccessKey::parse(key).is_ok(), "{invoice}");
        assert_eq!(invoice["cnpj_emitter"], data::PROVIDER_CNPJ_DIGITS);
    }
    let first = &invoices[0];
    assert_eq!(first["key"], data::NOTE_MARIA_MARCH);
    assert_eq!(first["mod"], "NFCOM");
    assert_eq!(first["number"], "1203");
    assert_eq!(first["serie"], "1");
    assert_eq!(first["date_emission"], "2026-03-31");
    assert_eq!(first["value"], json!(99.9));
    assert_eq!(first["situation"], "AUTORIZADA");
    assert_eq!(first["cpf_cnpj_destinatario"], data::CUSTOMER_CPF_DIGITS);
    // Received notes: none; another account's document: none.
    let received = plug.keys(&[ALL_YEAR[0], ALL_YEAR[1], ("transaction", "received")]).await?;
    assert_eq!(received["count"], 0);
    let other = plug.keys(&[ALL_YEAR[0], ALL_YEAR[1], ("cpf_cnpj", "11222333000181")]).await?;
    assert_eq!(other["count"], 0);
    plug.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn keys_filters_by_dates_and_model_and_pages_with_last_id() -> TestResult {
    let plug = Plug::start().await?;
    let march = plug.keys(&[("date_ini", "2026-03-01"), ("date_end", "2026-03-31")]).await?;
    assert_eq!(march["total"], 2);
    let nfe = plug.keys(&[ALL_YEAR[0], ALL_YEAR[1], ("mod", "NFE")]).await?;
    assert_eq!(nfe["invoices"][0]["key"], data::NOTE_COMPANY);
    assert_eq!(nfe["total"], 1);
    let first = plug.keys(&[ALL_YEAR[0], ALL_YEAR[1], ("limit", "2")]).await?;
    assert_eq!(
        (first["count"].as_u64(), first["total"].as_u64(), first["last_id"].as_u64()),
        (Some(2), Some(5), Some(7002))
    );
    let next = plug.keys(&[ALL_YEAR[0], ALL_YEAR[1], ("limit", "2"), ("last_id", "7002")]).await?;
    assert_eq!(next["invoices"][0]["id"], 7003);
    let (status, body) = plug.get("v2/invoices/keys", &[("date_ini", "31/03/2026"), ALL_YEAR[1]]).await?;
    assert_eq!((status, body["error"].clone()), (StatusCode::BAD_REQUEST, json!(true)), "{body}");
    plug.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn export_gives_the_pdf_and_the_xml() -> TestResult {
    let plug = Plug::start().await?;
    let key = data::NOTE_COMPANY;
    let (status, pdf) = plug.get("invoices/export", &[("invoice_key", key), ("mode", "PDF")]).await?;
    assert_eq!(status, StatusCode::OK, "{pdf}");
    let encoded = pdf["data"]["xml"]["data"]["pdf"].as_str().unwrap_or_default();
    assert!(STANDARD.decode(encoded)?.starts_with(b"%PDF"));
    let (_, xml) =
        plug.get("v2/invoices/export", &[("invoice_key", key), ("mode", "XML"), ("return_type", "ENCODE")]).await?;
    let text = String::from_utf8(STANDARD.decode(xml["data"]["xml"].as_str().unwrap_or_default())?)?;
    assert!(text.contains("<dest><CNPJ>12ABC34501DE35</CNPJ>"), "{text}");
    let (status, raw) =
        plug.get("invoices/export", &[("invoice_key", key), ("mode", "XML"), ("return_type", "XML")]).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(raw.as_str().is_some_and(|x| x.starts_with("<?xml")), "{raw}");
    let (status, missing) = plug.get("invoices/export", &[("invoice_key", &"3".repeat(44)), ("mode", "PDF")]).await?;
    assert_eq!((status, missing["error"].clone()), (StatusCode::NOT_FOUND, json!(true)));
    let (status, short) = plug.get("invoices/export", &[("invoice_key", "123"), ("mode", "PDF")]).await?;
    assert_eq!(
        (status, short["message"].clone()),
        (StatusCode::BAD_REQUEST, json!("O campo deve conter 44 caracteres"))
    );
    plug.sim.shutdown().await;
    Ok(())
}

/// Every refusal of the seed, with its exact message, over HTTP.
#[tokio::test]
async fn every_auth_refusal_is_a_401_with_the_seeds_message() -> TestResult {
    let expected = |case: AuthCase| json!({ "error": true, "message": case.message() });
    let demo = PlugStorageConfig::demo();
    let with_state = |partner, link| PlugStorageConfig { partner, link, ..PlugStorageConfig::demo() };
    // (sim config, the client's config, the case)
    let cases: Vec<(PlugStorageConfig, PlugStorageConfig, AuthCase)> = vec![
        (demo.clone(), PlugStorageConfig { token: String::new(), ..demo.clone() }, AuthCase::TokenMissing),
        (demo.clone(), PlugStorageConfig { token: "0".repeat(40), ..demo.clone() }, AuthCase::TokenInvalid),
        (with_state(Partner::Inactive, Link::Active), demo.clone(), AuthCase::PartnerInactive),
        (with_state(Partner::TrialExpired, Link::Active), demo.clone(), AuthCase::PartnerTrialExpired),
        (
            demo.clone(),
            PlugStorageConfig { email: String::new(), password: String::new(), ..demo.clone() },
            AuthCase::CredentialsMissing,
        ),
        (demo.clone(), PlugStorageConfig { email: "outro@example.com".into(), ..demo.clone() }, AuthCase::UserNotFound),
        (demo.clone(), PlugStorageConfig { password: "errada".into(), ..demo.clone() }, AuthCase::WrongPassword),
        (with_state(Partner::Active, Link::OtherSoftwareHouse), demo.clone(), AuthCase::LinkedElsewhere),
        (with_state(Partner::Active, Link::Inactive), demo.clone(), AuthCase::LinkInactive),
        (with_state(Partner::Active, Link::TrialExpired), demo.clone(), AuthCase::LinkTrialExpired),
    ];
    assert_eq!(cases.len(), AuthCase::ALL.len());
    for (sim_config, client, case) in cases {
        let plug = Plug::start_with(sim_config).await?;
        let client = Plug { config: client, ..plug };
        for route in ["invoices/keys", "invoices/export"] {
            let (status, body) = client.get(route, &[ALL_YEAR[0], ALL_YEAR[1]]).await?;
            assert_eq!((status, body), (StatusCode::UNAUTHORIZED, expected(case)), "{case:?} on {route}");
        }
        client.sim.shutdown().await;
    }
    // No Authorization header at all.
    let plug = Plug::start().await?;
    let response = plug
        .http
        .get(format!("{}/api/invoices/keys", plug.sim.base_url()))
        .query(&[("token", plugstorage::DEMO_TOKEN)])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.json::<Value>().await?, expected(AuthCase::CredentialsMissing));
    plug.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn faults_unknown_routes_and_admin_endpoints() -> TestResult {
    let plug = Plug::start().await?;
    plug.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let (status, _) = plug.get("invoices/keys", &ALL_YEAR).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    plug.sim.faults().push(Fault::BusinessError { message: "Falha".into(), times: 1 });
    let (status, body) = plug.get("invoices/keys", &ALL_YEAR).await?;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, json!({ "error": true, "message": "Falha" })));
    let (status, body) = plug.get("nope", &[]).await?;
    assert_eq!((status, body["error"].clone()), (StatusCode::NOT_FOUND, json!(true)));
    let health: Value = plug.http.get(format!("{}/__sim/health", plug.sim.base_url())).send().await?.json().await?;
    assert_eq!((health["erp"].clone(), health["requests"].clone()), (json!("plugstorage"), json!(3)));
    plug.sim.shutdown().await;
    Ok(())
}
