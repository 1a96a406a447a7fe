//! Customers' privacy (LGPD) end to end: the kiosk lookup limit, what a kiosk is shown, the
//! invocation log's retention and erasure by document, with real HTTP into a server over the
//! simulated IXC.

use std::time::Duration;

use ponte_erp_sim::ixc::data::{CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, CUSTOMER_EMAIL, CUSTOMER_NAME, INVOICE_OPEN};
use ponte_host::options::{KioskLookupLimit, PrivacyOptions};
use ponte_tests::{TENANT, TestHost, assert_problem, captured_logs, cpf, ixc_automation, test_options};
use reqwest::Method;
use serde_json::{Value, json};

fn customer(document: &str) -> Value {
    json!({ "customer_document_number": document })
}

#[tokio::test]
async fn a_kiosk_is_shown_a_minimized_customer_and_an_app_everything() {
    let host = TestHost::start().await;
    let app = host.call_with(&host.app_key, "list_totem_invoices", customer(CUSTOMER_CPF), &[]).await;
    let kiosk = host.call_with(&host.totem_key, "list_totem_invoices", customer(CUSTOMER_CPF), &[]).await;
    assert_eq!((app.status.as_u16(), kiosk.status.as_u16()), (200, 200), "{} {}", app.body, kiosk.body);
    let (full, cut) = (&app.body[0], &kiosk.body[0]);
    assert_eq!(full["nome_cliente"], CUSTOMER_NAME);
    assert_eq!(full["document_number"], CUSTOMER_CPF_DIGITS);
    assert_eq!(cut["nome_cliente"], "Maria A. S.", "first name and initials, particles dropped");
    assert_eq!(cut["document_number"], format!("***{}**", &CUSTOMER_CPF_DIGITS[3..9]));
    assert_eq!(cut["linha_digitavel"], full["linha_digitavel"], "what the kiosk needs to pay is whole");
    assert_eq!(cut["pix_code"], full["pix_code"]);

    let contacts = host.call_with(&host.totem_key, "get_customer_contacts", customer(CUSTOMER_CPF), &[]).await;
    assert_eq!(contacts.body[0], json!({"type": "email", "value": "m***@example.com"}), "{}", contacts.body);
    assert_eq!(contacts.body[1]["value"], "+55*******4321");
    assert!(!contacts.body.to_string().contains(CUSTOMER_EMAIL));

    // A cached answer is cut the same way (the cache keeps the whole answer for the app).
    let again = host.call_with(&host.totem_key, "list_totem_invoices", customer(CUSTOMER_CPF), &[]).await;
    assert_eq!(again.body[0]["nome_cliente"], "Maria A. S.");
    host.stop().await;
}

#[tokio::test]
async fn a_tenants_policy_decides_what_its_kiosks_see() {
    let policy = "[privacy.totem]\ncustomer_name = \"initials\"\ncontacts = \"hidden\"\ndocument = \"full\"\n";
    let host = TestHost::builder().automation("acme.toml", ixc_automation(TENANT, policy)).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let invoices = host.call_with(&host.totem_key, "list_totem_invoices", customer(CUSTOMER_CPF), &[]).await;
    assert_eq!(invoices.body[0]["nome_cliente"], "M. A. S.");
    assert_eq!(invoices.body[0]["document_number"], CUSTOMER_CPF_DIGITS);
    let contacts = host.call_with(&host.totem_key, "get_customer_contacts", customer(CUSTOMER_CPF), &[]).await;
    assert_eq!(contacts.body, json!([]));
    host.stop().await;

    let wrong = "[privacy.totem]\ncustomer_name = \"nickname\"\n";
    let host = TestHost::builder().automation("acme.toml", ixc_automation(TENANT, wrong)).start().await;
    let errors = host.config_errors.join("\n");
    assert!(errors.contains("nickname") && errors.contains("first_name"), "{errors}");
    host.stop().await;
}

#[tokio::test]
async fn a_kiosk_key_that_looks_up_too_many_customers_is_locked_out() {
    let limit =
        KioskLookupLimit { max_customers: 3, window: Duration::from_secs(60), lockout: Duration::from_secs(120) };
    let options = ponte_host::invoke::HostOptions {
        privacy: PrivacyOptions { kiosk_lookups: Some(limit), ..PrivacyOptions::default() },
        ..test_options()
    };
    let host = TestHost::builder().options(options).start().await;
    for n in [1, 2, 3, 1, 2] {
        let reply = host.call_with(&host.totem_key, "list_totem_invoices", customer(&cpf(n)), &[]).await;
        assert_ne!(reply.status.as_u16(), 429, "customer {n}: {}", reply.body);
    }
    let fourth = host.call_with(&host.totem_key, "list_totem_invoices", customer(&cpf(4)), &[]).await;
    assert_problem(&fourth, 429, "kiosk_locked");
    let wait: u64 = fourth.headers.get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
    assert!((100..=120).contains(&wait), "Retry-After {wait}");
    // Locked: even a customer it looked up before.
    let known = host.call_with(&host.totem_key, "list_totem_invoices", customer(&cpf(1)), &[]).await;
    assert_problem(&known, 429, "kiosk_locked");
    // The app's key is no kiosk.
    for n in 10..20 {
        let reply = host.call_with(&host.app_key, "list_totem_invoices", customer(&cpf(n)), &[]).await;
        assert_ne!(reply.status.as_u16(), 429, "{}", reply.body);
    }
    let metrics = host.send(host.request(Method::GET, "/metrics")).await;
    let metrics = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(metrics.contains("ponte_kiosk_lockouts_total{tenant=\"acme\"} 1"), "{metrics}");
    let logs = captured_logs();
    assert!(logs.contains("kiosk_locked") && logs.contains("locked out"), "an alert is logged");
    for n in 1..=4 {
        assert!(!logs.contains(&cpf(n)) && !metrics.contains(&cpf(n)), "no document in logs or metrics");
    }
    host.stop().await;
}

#[tokio::test]
async fn the_invocation_log_is_purged_past_its_retention() {
    let options = ponte_host::invoke::HostOptions {
        privacy: PrivacyOptions { invocation_retention: Some(Duration::from_millis(1)), ..PrivacyOptions::default() },
        ..test_options()
    };
    let host = TestHost::builder().options(options).start().await;
    host.call(&host.app_key, "list_invoices", customer(CUSTOMER_CPF)).await;
    assert!(!host.invocations().await.is_empty());
    tokio::time::sleep(Duration::from_millis(5)).await;
    // What the periodic sweep runs.
    let purged = ponte_host::privacy::retention::purge(
        &host.host.store,
        &host.host.metrics,
        host.host.options.privacy.invocation_retention,
    )
    .await;
    assert!(purged >= 1);
    assert!(host.invocations().await.is_empty());
    host.stop().await;
}

/// Every text cell of every table of the SQLite store that contains `needle`, as `table.column`.
async fn cells_containing(host: &TestHost, needle: &str) -> Vec<String> {
    let url = format!("sqlite://{}", host.dir().join("ponte.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the store");
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(&pool)
            .await
            .expect("tables");
    let mut found = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String,)> = sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .fetch_all(&pool)
            .await
            .expect("columns");
        for (column,) in columns {
            let sql =
                format!("SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE '%' || $1 || '%'");
            let (n,): (i64,) = sqlx::query_as(&sql).bind(needle).fetch_one(&pool).await.expect("count");
            if n > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
    }
    pool.close().await;
    found
}

#[tokio::test]
async fn erasure_leaves_nothing_of_the_customer_in_any_table() {
    let host = TestHost::start().await;
    let digest = ponte_host::digest::customer_digest(TENANT, CUSTOMER_CPF);
    // Reads, a write and a posted payment for the customer; another customer's read.
    for function in ["list_invoices", "get_customer", "get_customer_contacts"] {
        assert_eq!(host.call(&host.app_key, function, customer(CUSTOMER_CPF)).await.0.as_u16(), 200, "{function}");
    }
    let payment = json!({"customer_document_number": CUSTOMER_CPF, "boleto_id": INVOICE_OPEN,
        "transaction": {"id": "E18236120202605151200erase00001", "amount": "99.90", "paid_at": "2026-05-15T12:00:00-03:00",
                        "method": "pix", "payer_name": CUSTOMER_NAME}});
    let paid = host.call_with(&host.app_key, "settle_invoice", payment, &[]).await;
    assert_eq!(paid.status.as_u16(), 200, "{}", paid.body);
    let other = cpf(77);
    host.call(&host.app_key, "list_invoices", customer(&other)).await;
    host.host.invocation_log.flush().await;
    assert!(!cells_containing(&host, CUSTOMER_CPF_DIGITS).await.is_empty(), "the log holds the customer");
    assert!(!cells_containing(&host, &digest).await.is_empty());

    // Bad input loses nothing and says why.
    let erase = |document: Value| {
        host.request(Method::POST, &format!("/v1/admin/tenants/{TENANT}/erasures"))
            .bearer_auth(&host.admin_key)
            .json(&document)
    };
    assert_problem(&host.send(erase(json!({"customer_document_number": "123"}))).await, 400, "invalid_document");
    assert_problem(&host.send(erase(json!({"document": CUSTOMER_CPF}))).await, 400, "invalid_input");
    let kiosk = host
        .request(Method::POST, &format!("/v1/admin/tenants/{TENANT}/erasures"))
        .bearer_auth(&host.totem_key)
        .json(&customer(CUSTOMER_CPF));
    assert_eq!(host.send(kiosk).await.status.as_u16(), 403);

    let reply = host.send(erase(customer(CUSTOMER_CPF))).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let erased = &reply.body["erased"];
    assert!(erased["invocations"].as_u64() >= Some(4), "{erased}");
    assert_eq!(erased["idempotency_records"], 1);
    assert_eq!(erased["settlements_redacted"], 1);

    for needle in [CUSTOMER_CPF_DIGITS, CUSTOMER_CPF, CUSTOMER_NAME, CUSTOMER_EMAIL, digest.as_str()] {
        assert_eq!(cells_containing(&host, needle).await, Vec::<String>::new(), "{needle} is left");
    }
    // Another customer's calls stay; the erasure is audited without the document.
    let other_digest = ponte_host::digest::customer_digest(TENANT, &other);
    assert!(!cells_containing(&host, &other_digest).await.is_empty());
    let audit = host.send(host.request(Method::GET, "/v1/admin/audit").bearer_auth(&host.admin_key)).await;
    let text = audit.body.to_string();
    assert!(text.contains("customer.erased") && !text.contains(CUSTOMER_CPF_DIGITS), "{text}");
    host.stop().await;
}
