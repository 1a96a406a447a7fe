//! The DocSales simulator over real HTTP: each test spawns one on `127.0.0.1:0` and talks to it
//! as an adapter would.

use std::error::Error;
use std::time::Duration;

use ponte_erp_sim::Simulator;
use ponte_erp_sim::docsales::{self, CREATION_REQUESTS, CREATIONS, DocSalesConfig};
use ponte_erp_sim::faults::Fault;
use reqwest::StatusCode;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

struct DocSales {
    sim: Simulator,
    http: reqwest::Client,
    token: String,
}

impl DocSales {
    async fn start_with(config: DocSalesConfig) -> Result<Self, Box<dyn Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let token = config.token.clone();
        let sim = docsales::spawn(listener, config).await?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { sim, http, token })
    }

    async fn start() -> Result<Self, Box<dyn Error>> {
        Self::start_with(DocSalesConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    async fn get(&self, path: &str) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let response =
            self.http.get(self.url(path)).header("Authorization", format!("Token {}", self.token)).send().await?;
        Ok((response.status(), response.json().await?))
    }

    async fn create(&self, body: &Value) -> Result<(StatusCode, Value), Box<dyn Error>> {
        let response = self
            .http
            .post(self.url("/api/v1/proposals"))
            .header("Authorization", format!("Token {}", self.token))
            .json(body)
            .send()
            .await?;
        Ok((response.status(), response.json().await?))
    }
}

fn order(document: &str, name: &str) -> Value {
    json!({ "proposal": {
        "template_id": 7, "signature_type": "digital", "payment_method_id": "3", "seller_id": 21,
        "title": "Fibra 300 Mega",
        "customer": { "name": name, "cpf_cnpj": document, "email": "maria.silva@example.com", "phone": "(11) 98765-4321" },
        "items": [{ "product_id": 11, "quantity": 1 }, { "product_id": "13", "unit_price": "0,00" }],
        "signers": [{ "name": name, "email": "maria.silva@example.com", "role_id": 1 }],
    }})
}

#[tokio::test]
async fn the_token_is_required_on_every_endpoint() -> TestResult {
    let ds = DocSales::start().await?;
    for path in ["/api/v1/registration-data", "/api/v1/proposals/44073", "/api/v1/customers/48011/proposals"] {
        let none = ds.http.get(ds.url(path)).send().await?;
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: Value = none.json().await?;
        assert!(body["error"].as_str().is_some_and(|e| e.contains("Token")), "{body}");
        let wrong = ds.http.get(ds.url(path)).header("Authorization", "Token nope").send().await?;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let refused = ds.http.post(ds.url("/api/v1/proposals")).json(&order("71460238001", "Maria")).send().await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    // The bare `token` header and Bearer are accepted too.
    let header = ds.http.get(ds.url("/api/v1/registration-data")).header("token", &ds.token).send().await?;
    assert_eq!(header.status(), StatusCode::OK);
    let bearer = ds.http.get(ds.url("/api/v1/registration-data")).bearer_auth(&ds.token).send().await?;
    assert_eq!(bearer.status(), StatusCode::OK);
    assert_eq!(ds.sim.count(CREATION_REQUESTS), 1, "the refused creation was received");
    assert_eq!(ds.sim.count(CREATIONS), 0);
    Ok(())
}

#[tokio::test]
async fn registration_data_lists_the_six_catalogues() -> TestResult {
    let ds = DocSales::start().await?;
    let (status, data) = ds.get("/api/v1/registration-data").await?;
    assert_eq!(status, StatusCode::OK);
    for list in ["signature_types", "payment_methods", "products", "templates", "signer_roles", "sellers"] {
        assert!(data[list].as_array().is_some_and(|l| !l.is_empty()), "{list}: {data}");
    }
    assert_eq!(data["signature_types"][1], json!({"id": "digital", "name": "Digital"}));
    assert_eq!(data["products"][0]["price"], "99.90");
    assert_eq!(data["templates"][0]["id"], 7);
    Ok(())
}

#[tokio::test]
async fn a_creation_is_found_by_id_uuid_customer_code_and_document() -> TestResult {
    let ds = DocSales::start().await?;
    let (status, created) = ds.create(&order("714.602.380-01", "Maria Aparecida da Silva")).await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_u64().expect("an id");
    assert!(id > docsales::SEED_PROPOSAL_ID);
    let uuid = created["external_uuid"].as_str().expect("a uuid").to_owned();
    assert_eq!(uuid.len(), 36);
    assert_eq!(uuid.as_bytes().get(14), Some(&b'4'), "{uuid}");
    assert_eq!(created["total"], "99.90");
    assert_eq!(created["payment_method"]["name"], "PIX");
    assert_eq!(created["items"][1]["unit_price"], "0.00");
    assert_eq!(created["signers"][0]["role"]["name"], "Parte");

    let (status, by_id) = ds.get(&format!("/api/v1/proposals/{id}")).await?;
    assert_eq!((status, &by_id), (StatusCode::OK, &created));
    let (status, by_uuid) = ds.get(&format!("/api/v1/proposals/{}", uuid.to_uppercase())).await?;
    assert_eq!((status, by_uuid["id"].as_u64()), (StatusCode::OK, Some(id)));

    let customer_id = created["customer"]["id"].as_u64().expect("a customer");
    for key in [customer_id.to_string(), "71460238001".to_owned(), "714.602.380-01".to_owned()] {
        let (status, listing) = ds.get(&format!("/api/v1/customers/{key}/proposals")).await?;
        assert_eq!(status, StatusCode::OK, "{key}");
        assert_eq!(listing["proposals"][0]["external_uuid"].as_str(), Some(uuid.as_str()), "{key}: {listing}");
    }
    // A second order of the same person reuses the customer.
    let (_, again) = ds.create(&order("71460238001", "Maria Aparecida da Silva")).await?;
    assert_eq!(again["customer"]["id"].as_u64(), Some(customer_id));
    assert_ne!(again["external_uuid"], created["external_uuid"]);
    let (_, listing) = ds.get(&format!("/api/v1/customers/{customer_id}/proposals")).await?;
    assert_eq!(listing["proposals"].as_array().map(Vec::len), Some(2));

    // The seeded customer by code and by its alphanumeric CNPJ, masked or not.
    for key in [docsales::SEED_CUSTOMER_CODE, "12.ABC.345/01DE-35", "12abc34501de35", "48011"] {
        let (status, listing) = ds.get(&format!("/api/v1/customers/{}/proposals", key.replace('/', "%2F"))).await?;
        assert_eq!(status, StatusCode::OK, "{key}");
        assert_eq!(listing["proposals"][0]["id"], docsales::SEED_PROPOSAL_ID, "{key}");
    }
    let (status, missing) = ds.get("/api/v1/customers/99999/proposals").await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let (status, _) = ds.get("/api/v1/proposals/00000000-0000-4000-8000-000000000000").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!((ds.sim.count(CREATION_REQUESTS), ds.sim.count(CREATIONS)), (2, 2));
    Ok(())
}

#[tokio::test]
async fn a_creation_naming_unknown_registration_data_is_422_with_every_field() -> TestResult {
    let ds = DocSales::start().await?;
    let body = json!({ "proposal": {
        "template_id": 99, "signature_type": "carrier pigeon", "seller_id": 5,
        "customer": { "cpf_cnpj": "123" },
        "items": [{ "product_id": 11 }, { "product_id": 404, "quantity": 0 }],
        "signers": [{ "name": "X", "email": "x@example.com", "role_id": 9 }],
    }});
    let (status, answer) = ds.create(&body).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let fields: Vec<&str> = answer["errors"].as_object().expect("errors").keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "customer.cpf_cnpj",
            "customer.name",
            "items[1].product_id",
            "items[1].quantity",
            "seller_id",
            "signature_type",
            "signers[0].role_id",
            "template_id"
        ]
    );
    assert!(answer["error"].as_str().is_some_and(|e| e.contains("template_id")), "{answer}");
    let (status, answer) = ds.create(&json!({ "proposal": { "template_id": 7 } })).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer["errors"]["items"].is_array() && answer["errors"]["customer"].is_array(), "{answer}");
    assert_eq!((ds.sim.count(CREATION_REQUESTS), ds.sim.count(CREATIONS)), (2, 0));
    Ok(())
}

#[tokio::test]
async fn the_monthly_limit_counts_successes_only() -> TestResult {
    let ds =
        DocSales::start_with(DocSalesConfig { monthly_limit: 3, created_this_month: 1, ..Default::default() }).await?;
    let (status, _) = ds.create(&json!({ "proposal": { "template_id": 99 } })).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an invalid creation doesn't count");
    for n in 0..2 {
        let (status, answer) = ds.create(&order("71460238001", &format!("Maria {n}"))).await?;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (status, answer) = ds.create(&order("71460238001", "Maria")).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(answer["error"].as_str().is_some_and(|e| e.contains("Limite mensal de 3")), "{answer}");
    assert_eq!((ds.sim.count(CREATION_REQUESTS), ds.sim.count(CREATIONS)), (4, 2));
    // Reads are not limited.
    let (status, _) = ds.get("/api/v1/registration-data").await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn faults_and_admin_counts() -> TestResult {
    let ds = DocSales::start().await?;
    ds.sim.faults().push(Fault::Status { status: 503, times: 1 });
    let response = ds
        .http
        .post(ds.url("/api/v1/proposals"))
        .header("Authorization", format!("Token {}", ds.token))
        .json(&order("71460238001", "Maria"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().await?.contains("<html>"));
    ds.sim.faults().push(Fault::BusinessError { message: "Modelo inativo".into(), times: 1 });
    let (status, answer) = ds.create(&order("71460238001", "Maria")).await?;
    assert_eq!((status, &answer["errors"]["base"][0]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("Modelo inativo")));
    let counts: Value = ds.http.get(ds.url("/__sim/counts")).send().await?.json().await?;
    assert_eq!(counts, json!({ "creation_requests": 2 }), "faulted creations count as received");
    let health: Value = ds.http.get(ds.url("/__sim/health")).send().await?.json().await?;
    assert_eq!(health["erp"], "docsales");
    let (status, unknown) = ds.get("/api/v1/contracts").await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    ds.sim.shutdown().await;
    Ok(())
}
