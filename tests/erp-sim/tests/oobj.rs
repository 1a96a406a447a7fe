//! The Oobj simulator over real HTTP: each test spawns one on `127.0.0.1:0` and talks to it as
//! an adapter would (a session from `POST /api/authenticate`, then `x-auth-token` on every call).

use std::error::Error;
use std::time::Duration;

use ponte_contract::normalize::access_key::AccessKey;
use ponte_erp_sim::Simulator;
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::fiscal;
use ponte_erp_sim::oobj::{self, OobjConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

struct Oobj {
    sim: Simulator,
    http: reqwest::Client,
}

/// A status, the `x-auth-token` response header, and the body (JSON, or the text as a string).
struct Answer {
    status: StatusCode,
    token_header: Option<String>,
    body: Value,
}

impl Oobj {
    async fn start_with(config: OobjConfig) -> Result<Self, Box<dyn Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sim = oobj::spawn(listener, config).await?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { sim, http })
    }

    async fn start() -> Result<Self, Box<dyn Error>> {
        Self::start_with(OobjConfig::default()).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer, Box<dyn Error>> {
        let mut request = self.http.request(method, format!("{}/api/{path}", self.sim.base_url()));
        if let Some(token) = token {
            request = request.header("x-auth-token", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let token_header = response.headers().get("x-auth-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().await?;
        Ok(Answer { status, token_header, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    async fn authenticate(&self, token: &str, secret: &str) -> Result<Answer, Box<dyn Error>> {
        self.send(Method::POST, "authenticate", None, Some(json!({ "token": token, "secret": secret }))).await
    }

    /// A new session's token.
    async fn session(&self) -> Result<String, Box<dyn Error>> {
        let answer = self.authenticate(oobj::DEMO_TOKEN, oobj::DEMO_SECRET).await?;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        Ok(answer.body["token"].as_str().unwrap_or_default().to_owned())
    }

    async fn report(&self, token: &str, page: usize, body: Value) -> Result<Value, Box<dyn Error>> {
        let answer =
            self.send(Method::POST, &format!("relatorios/emitidos?page={page}"), Some(token), Some(body)).await?;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        Ok(answer.body)
    }
}

fn error(status: u16, message: &str) -> Value {
    json!({ "message": message, "error": { "status_code": status } })
}

fn document_path(key: &str, suffix: &str) -> String {
    let model = &key[20..22];
    format!("empresas/{}/docs/prod/{model}/{key}{suffix}", fiscal::PROVIDER_CNPJ_DIGITS)
}

#[tokio::test]
async fn a_session_is_created_described_refreshed_and_counted() -> TestResult {
    let oobj = Oobj::start().await?;
    let created = oobj.authenticate(oobj::DEMO_TOKEN, oobj::DEMO_SECRET).await?;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token = created.body["token"].as_str().unwrap_or_default().to_owned();
    assert!(token.starts_with("eyJhbGciOiJIUzUxMiJ9."), "{token}");
    assert_eq!(created.token_header.as_deref(), Some(token.as_str()), "the token is in the header too");
    assert_eq!(created.body["expiresIn"], 1800);

    let me = oobj.send(Method::GET, "me", Some(&token), None).await?;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["empresas"], json!([fiscal::PROVIDER_CNPJ_DIGITS]));
    assert!(me.body["expiresIn"].as_u64().is_some_and(|s| s > 1700 && s <= 1800), "{}", me.body);
    assert!(!me.body.to_string().contains(oobj::DEMO_SECRET));

    let refreshed = oobj.send(Method::GET, "refresh", Some(&token), None).await?;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let new_token = refreshed.body["token"].as_str().unwrap_or_default().to_owned();
    assert!(!new_token.is_empty() && new_token != token);
    let old = oobj.send(Method::GET, "me", Some(&token), None).await?;
    assert_eq!((old.status, old.body), (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_SESSION_INVALID)));
    let again = oobj.send(Method::GET, "refresh", Some(&token), None).await?;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "a replaced token can't be refreshed");
    assert_eq!(oobj.send(Method::GET, "me", Some(&new_token), None).await?.status, StatusCode::OK);

    let sim = &oobj.sim;
    assert_eq!((sim.count(oobj::SESSIONS), sim.count(oobj::REFRESHES)), (1, 1));
    assert_eq!(sim.count(oobj::UNAUTHORIZED), 2);
    assert_eq!((sim.count(oobj::REQUESTS_ME), sim.count(oobj::REQUESTS_REFRESH)), (3, 2));
    assert_eq!(sim.count(oobj::REQUESTS_AUTHENTICATE), 1);
    assert_eq!(sim.token_grants(), 2);
    let counts: Value = oobj.http.get(format!("{}/__sim/counts", sim.base_url())).send().await?.json().await?;
    assert_eq!((counts["sessions"].clone(), counts["refreshes"].clone()), (json!(1), json!(1)));
    oobj.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused_without_echoing_the_secret() -> TestResult {
    let oobj = Oobj::start().await?;
    let wrong = oobj.authenticate(oobj::DEMO_TOKEN, "not-the-secret-123").await?;
    assert_eq!(
        (wrong.status, wrong.body.clone()),
        (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_CREDENTIALS_INVALID))
    );
    assert!(!wrong.body.to_string().contains("not-the-secret-123"));
    let stranger = oobj.authenticate("someone-else", oobj::DEMO_SECRET).await?;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    let missing = oobj.authenticate(oobj::DEMO_TOKEN, "").await?;
    assert_eq!((missing.status, missing.body), (StatusCode::BAD_REQUEST, error(400, oobj::MSG_CREDENTIALS_MISSING)));
    let get = oobj.send(Method::GET, "authenticate", None, None).await?;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(oobj.sim.count(oobj::SESSIONS), 0);
    assert_eq!(oobj.sim.token_grants(), 0);
    oobj.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn every_api_call_needs_a_live_session() -> TestResult {
    let oobj = Oobj::start_with(OobjConfig { session_ttl: Duration::from_secs(1), ..OobjConfig::default() }).await?;
    let all = json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS });
    let none = oobj.send(Method::POST, "relatorios/emitidos", None, Some(all.clone())).await?;
    assert_eq!((none.status, none.body), (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_SESSION_MISSING)));
    let unknown = oobj.send(Method::GET, &document_path(fiscal::NOTE_COMPANY, "/pdf"), Some("eyJ.x.y"), None).await?;
    assert_eq!((unknown.status, unknown.body), (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_SESSION_INVALID)));

    // A session expires with its lifetime...
    let token = oobj.session().await?;
    assert_eq!(oobj.report(&token, 0, all.clone()).await?["totalElements"], 5);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let expired = oobj.send(Method::POST, "relatorios/emitidos", Some(&token), Some(all.clone())).await?;
    assert_eq!((expired.status, expired.body), (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_SESSION_EXPIRED)));
    assert_eq!(oobj.send(Method::GET, "refresh", Some(&token), None).await?.status, StatusCode::UNAUTHORIZED);
    oobj.sim.shutdown().await;

    // ... and every session at once when the test says so.
    let oobj = Oobj::start().await?;
    let first = oobj.session().await?;
    let second = oobj.session().await?;
    oobj.sim.revoke_tokens();
    for token in [&first, &second] {
        let answer = oobj.send(Method::GET, "me", Some(token), None).await?;
        assert_eq!((answer.status, answer.body), (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_SESSION_EXPIRED)));
    }
    let third = oobj.session().await?;
    assert_eq!(oobj.send(Method::GET, "me", Some(&third), None).await?.status, StatusCode::OK);
    assert_eq!((oobj.sim.count(oobj::SESSIONS), oobj.sim.count(oobj::UNAUTHORIZED)), (3, 2));
    // The admin endpoint does the same.
    let revoked = oobj.http.delete(format!("{}/__sim/tokens", oobj.sim.base_url())).send().await?;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(oobj.send(Method::GET, "me", Some(&third), None).await?.status, StatusCode::UNAUTHORIZED);
    oobj.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_report_lists_filters_and_pages_the_issued_documents() -> TestResult {
    let oobj = Oobj::start().await?;
    let token = oobj.session().await?;
    let all = oobj.report(&token, 0, json!({ "cnpj": fiscal::PROVIDER_CNPJ, "comXml": false })).await?;
    assert_eq!((all["totalElements"].clone(), all["numberOfElements"].clone()), (json!(5), json!(5)));
    assert_eq!((all["size"].clone(), all["last"].clone()), (json!(20), json!(true)));
    let first = &all["content"][0];
    assert_eq!(
        *first,
        json!({
            "id": 7001, "chaveAcesso": fiscal::NOTE_MARIA_MARCH, "modelo": 62, "serie": 1, "numero": 1203,
            "dataEmissao": "2026-03-31T10:00:00-03:00", "valorTotal": 99.9, "situacao": "AUTORIZADO",
            "cnpjEmitente": fiscal::PROVIDER_CNPJ_DIGITS, "cpfCnpjDestinatario": fiscal::CUSTOMER_CPF_DIGITS,
            "nomeDestinatario": fiscal::CUSTOMER_NAME, "ambiente": "prod",
        })
    );
    for item in all["content"].as_array().into_iter().flatten() {
        assert!(AccessKey::parse(item["chaveAcesso"].as_str().unwrap_or_default()).is_ok(), "{item}");
    }

    let maria = oobj
        .report(
            &token,
            0,
            json!({
                "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "cpfCnpjDestinatario": fiscal::CUSTOMER_CPF,
                "dataInicial": "2026-02-01T03:00:00.000Z", "dataFinal": "2026-03-31T23:59:59.999-03:00",
            }),
        )
        .await?;
    let keys: Vec<&str> =
        maria["content"].as_array().into_iter().flatten().filter_map(|n| n["chaveAcesso"].as_str()).collect();
    assert_eq!(keys, [fiscal::NOTE_MARIA_MARCH, fiscal::NOTE_MARIA_FEBRUARY]);
    let cancelled = oobj
        .report(&token, 0, json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "dataFinal": "2026-01-31", "comXml": true }))
        .await?;
    assert_eq!(cancelled["content"][0]["situacao"], "CANCELADO");
    assert!(cancelled["content"][0]["xml"].as_str().is_some_and(|x| x.contains("<dest><CPF>71460238001</CPF>")));
    let company = oobj
        .report(&token, 0, json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "cpfCnpjDestinatario": fiscal::COMPANY_CNPJ, "modelo": "55" }))
        .await?;
    assert_eq!(company["content"][0]["chaveAcesso"], fiscal::NOTE_COMPANY);
    assert_eq!(company["content"][0]["valorTotal"], json!(199.9));
    let nfcom = oobj.report(&token, 0, json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "modelo": "NFCOM" })).await?;
    assert_eq!(nfcom["totalElements"], 4);
    let beyond = oobj.report(&token, 1, json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS })).await?;
    assert_eq!((beyond["numberOfElements"].clone(), beyond["empty"].clone()), (json!(0), json!(true)));
    let nobody = oobj
        .report(&token, 0, json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "cpfCnpjDestinatario": fiscal::UNKNOWN_CPF }))
        .await?;
    assert_eq!(nobody["totalElements"], 0);

    for (body, status) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({ "cnpj": "11222333000181" }), StatusCode::FORBIDDEN),
        (json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "dataInicial": "31/03/2026" }), StatusCode::BAD_REQUEST),
        (json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS, "modelo": "boleto" }), StatusCode::BAD_REQUEST),
    ] {
        let answer = oobj.send(Method::POST, "relatorios/emitidos", Some(&token), Some(body.clone())).await?;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert_eq!(answer.body["error"]["status_code"], status.as_u16(), "{}", answer.body);
    }
    assert_eq!(oobj.sim.count(oobj::REQUESTS_EMITIDOS), 11);
    assert_eq!(oobj.sim.count(oobj::SESSIONS), 1);
    oobj.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_documents_answer_and_pdf_by_its_key() -> TestResult {
    let oobj = Oobj::start().await?;
    let token = oobj.session().await?;
    let answer = oobj.send(Method::GET, &document_path(fiscal::NOTE_COMPANY, ""), Some(&token), None).await?;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["codigoStatus"], 100);
    assert!(answer.body["conteudo"].as_str().is_some_and(|x| x.contains("<dest><CNPJ>12ABC34501DE35</CNPJ>")));

    let response = oobj
        .http
        .get(format!("{}/api/{}", oobj.sim.base_url(), document_path(fiscal::NOTE_MARIA_MARCH, "/pdf")))
        .header("x-auth-token", &token)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(response.bytes().await?.starts_with(b"%PDF"));

    let cnpj = fiscal::PROVIDER_CNPJ_DIGITS;
    let key = fiscal::NOTE_MARIA_MARCH;
    for (path, status) in [
        (format!("empresas/11222333000181/docs/prod/62/{key}/pdf"), StatusCode::FORBIDDEN),
        (format!("empresas/{cnpj}/docs/teste/62/{key}/pdf"), StatusCode::BAD_REQUEST),
        (format!("empresas/{cnpj}/docs/prod/62/123/pdf"), StatusCode::BAD_REQUEST),
        (format!("empresas/{cnpj}/docs/prod/55/{key}/pdf"), StatusCode::NOT_FOUND),
        (format!("empresas/{cnpj}/docs/hom/62/{key}"), StatusCode::NOT_FOUND),
        (format!("empresas/{cnpj}/docs/prod/62/{}", "3".repeat(44)), StatusCode::NOT_FOUND),
        ("nada".to_owned(), StatusCode::NOT_FOUND),
    ] {
        let answer = oobj.send(Method::GET, &path, Some(&token), None).await?;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
    }
    let post = oobj.send(Method::POST, &document_path(key, "/pdf"), Some(&token), None).await?;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!((oobj.sim.count(oobj::REQUESTS_PDF), oobj.sim.count(oobj::REQUESTS_DOCUMENTO)), (6, 3));
    oobj.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn authenticate_is_rate_limited() -> TestResult {
    let oobj = Oobj::start_with(OobjConfig { authenticate_limit: 2, ..OobjConfig::default() }).await?;
    oobj.session().await?;
    oobj.session().await?;
    let third = oobj.authenticate(oobj::DEMO_TOKEN, oobj::DEMO_SECRET).await?;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        third.body,
        json!({ "message": "Too Many Requests", "error": { "status_code": 429, "retry_after": 300 } })
    );
    assert_eq!((oobj.sim.count(oobj::SESSIONS), oobj.sim.count(oobj::REQUESTS_AUTHENTICATE)), (2, 3));
    oobj.sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn faults_use_oobjs_flavour_and_still_count() -> TestResult {
    let oobj = Oobj::start().await?;
    oobj.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let down = oobj.authenticate(oobj::DEMO_TOKEN, oobj::DEMO_SECRET).await?;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.body.as_str().is_some_and(|t| t.contains("nginx")), "{}", down.body);
    oobj.sim.faults().push(Fault::Garbage { times: 1 });
    let garbage = oobj.authenticate(oobj::DEMO_TOKEN, oobj::DEMO_SECRET).await?;
    assert_eq!(garbage.status, StatusCode::OK);
    assert!(garbage.body.as_str().is_some_and(|t| t.contains("<html")), "{}", garbage.body);
    let token = oobj.session().await?;
    oobj.sim.faults().push(Fault::BusinessError { message: "Falha ao gerar relatório".into(), times: 1 });
    let answer = oobj
        .send(Method::POST, "relatorios/emitidos", Some(&token), Some(json!({ "cnpj": fiscal::PROVIDER_CNPJ_DIGITS })))
        .await?;
    assert_eq!((answer.status, answer.body), (StatusCode::BAD_REQUEST, error(400, "Falha ao gerar relatório")));
    oobj.sim.faults().push(Fault::Status { status: 401, times: 1 });
    let refused = oobj.send(Method::GET, "me", Some(&token), None).await?;
    assert_eq!((refused.status, refused.body), (StatusCode::UNAUTHORIZED, error(401, oobj::MSG_SESSION_INVALID)));
    assert_eq!(oobj.sim.count(oobj::REQUESTS_AUTHENTICATE), 3, "faulted requests count");
    assert_eq!(oobj.sim.count(oobj::SESSIONS), 1, "a faulted authenticate creates nothing");
    let health: Value = oobj.http.get(format!("{}/__sim/health", oobj.sim.base_url())).send().await?.json().await?;
    assert_eq!((health["erp"].clone(), health["requests"].clone()), (json!("oobj"), json!(5)));
    oobj.sim.shutdown().await;
    Ok(())
}
