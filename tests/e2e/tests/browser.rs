//! The console in a real browser: headless Chromium driven over WebDriver (chromedriver,
//! started and stopped by the test; `fantoccini` speaks the protocol). An operator signs in,
//! brings a tenant on (a connection from the plugin's form, an automation), runs it in try-it,
//! finds a failed call and opens its detail, retries a parked payment, makes and revokes a key
//! and sees its calls refused, and signs out. Each page's screenshot is saved under
//! `target/console-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them; `CHROMEDRIVER`
//! and `PONTE_TEST_CHROMIUM` name other binaries). Without them the test fails, saying so.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use ponte_erp_sim::faults::Fault;
use ponte_erp_sim::ixc::data::{CUSTOMER_CPF, INVOICE_OPEN};
use ponte_tests::{IXC_TOKEN, TENANT, TestHost, test_options};
use serde_json::json;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = std::process::Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("`{binary}` could not start ({e}): install Debian's chromium and chromium-driver (apt install chromium chromium-driver), or set CHROMEDRIVER")
            });
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not listen within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver { child, port }
    }

    async fn browser(&self) -> Client {
        let chromium = std::env::var("PONTE_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("chromium could not start through chromedriver: {e}"))
    }
}

/// Where screenshots go: the repository's `target/`.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn shot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("save screenshot");
}

async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn click(browser: &Client, css: &str) {
    let element = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    element.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Waits until the page's source holds `text` (htmx swaps pages in place).
async fn see(browser: &Client, text: &str) -> String {
    let started = Instant::now();
    loop {
        let source = browser.source().await.expect("source");
        if source.contains(text) {
            return source;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "never saw {text:?} in {source}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_runs_the_console_in_a_real_browser() {
    let mut options = test_options();
    options.settlement.max_attempts = 2;
    let host = TestHost::builder().options(options).start().await;
    // A payment that parks: the ERP refuses every baixa until the faults are cleared.
    host.sim.faults().push_for("recebimentos_baixas_novo", Fault::Status { status: 504, times: 100 });
    let payment = json!({"boleto_id": INVOICE_OPEN, "customer_document_number": CUSTOMER_CPF, "transaction": {
        "id": "E-browser-1", "amount": "99.90", "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix"}});
    let (_, queued) = host.call(&host.totem_key, "settle_invoice", payment).await;
    let settlement = queued["settlement_id"].as_str().expect("queued").to_owned();
    assert_eq!(host.wait_settled(&settlement).await["status"], "parked");
    host.sim.faults().clear();

    let driver = Driver::start().await;
    let browser = driver.browser().await;
    let base = &host.base_url;

    // No session: the sign-in page.
    browser.goto(&format!("{base}/console/tenants?lang=en")).await.expect("goto");
    see(&browser, "Admin key").await;
    shot(&browser, "01-sign-in").await;
    fill(&browser, "input[name=key]", &host.platform_key).await;
    click(&browser, "form.card button").await;
    see(&browser, "New tenant").await;
    shot(&browser, "02-tenants").await;

    // A tenant, its connection from the plugin's form, an automation.
    fill(&browser, "input[name=id]", "delta").await;
    fill(&browser, "input[name=name]", "Delta Fibra").await;
    fill(&browser, "input[name=allow_private]", "127.0.0.1").await;
    click(&browser, "form[action='/console/tenants'] button").await;
    see(&browser, "Delta Fibra").await;
    browser
        .find(Locator::Css("select[name=plugin]"))
        .await
        .expect("plugins")
        .select_by_value("ixc")
        .await
        .expect("ixc");
    click(&browser, "form[action$='/connections/new'] button").await;
    see(&browser, "setting.token").await;
    shot(&browser, "03-connection-form").await;
    fill(&browser, "input[name=name]", "erp").await;
    fill(&browser, "input[name='setting.base_url']", &host.sim.base_url()).await;
    fill(&browser, "input[name='setting.user_id']", "1").await;
    fill(&browser, "input[name='setting.token']", IXC_TOKEN).await;
    click(&browser, "form[action$='/connections'] button").await;
    see(&browser, "Add or change an automation").await;
    browser
        .find(Locator::Css("select[name=function]"))
        .await
        .expect("functions")
        .select_by_value("list_invoices")
        .await
        .expect("fn");
    click(&browser, "form[action$='/functions'] button").await;
    let page = see(&browser, "ixc 0.1.0").await;
    assert!(!page.contains(IXC_TOKEN), "a secret is never shown");
    shot(&browser, "04-tenant").await;

    // Try it.
    browser.goto(&format!("{base}/console/try?tenant=delta&function=list_invoices")).await.expect("goto");
    fill(&browser, "input[name='field.customer_document_number']", CUSTOMER_CPF).await;
    click(&browser, "form[action='/console/try'][method=post] button").await;
    see(&browser, "linha_digitavel").await;
    shot(&browser, "05-try-it").await;

    // A failed call, found in the log, its detail opened.
    fill(&browser, "input[name='field.customer_document_number']", "111.111.111-11").await;
    click(&browser, "form[action='/console/try'][method=post] button").await;
    see(&browser, "invalid_document").await;
    browser.goto(&format!("{base}/console/invocations?tenant=delta&outcome=invalid_document")).await.expect("goto");
    see(&browser, "invalid_document").await;
    shot(&browser, "06-invocations").await;
    click(&browser, "tbody a").await;
    see(&browser, "Upstream calls").await;
    shot(&browser, "07-invocation").await;

    // The parked payment, retried.
    browser.goto(&format!("{base}/console/settlements?tenant={TENANT}")).await.expect("goto");
    see(&browser, "parked").await;
    shot(&browser, "08-settlements").await;
    click(&browser, "form[action$='/retry'] button").await;
    see(&browser, "Settlement queued again").await;
    assert_eq!(host.wait_settled(&settlement).await["status"], "posted");
    assert_eq!(host.sim.postings(INVOICE_OPEN), 1);

    // A key made, shown once, revoked: its calls refused.
    browser.goto(&format!("{base}/console/keys")).await.expect("goto");
    browser
        .find(Locator::Css("select[name=tenant]"))
        .await
        .expect("tenants")
        .select_by_value("delta")
        .await
        .expect("delta");
    click(&browser, "input[name=scope][value=app]").await;
    fill(&browser, "input[name=label]", "browser").await;
    click(&browser, "form[action='/console/keys'] button").await;
    let page = see(&browser, "new-token").await;
    let token = page.split("id=\"new-token\">").nth(1).and_then(|s| s.split('<').next()).expect("token").to_owned();
    shot(&browser, "09-key-created").await;
    let call = json!({"customer_document_number": CUSTOMER_CPF});
    assert_eq!(host.call(&token, "list_invoices", call.clone()).await.0, 200);
    let id = token.split('_').nth(1).expect("id").to_owned();
    click(&browser, &format!("form[action='/console/keys/{id}/revoke'] button")).await;
    see(&browser, "Key revoked").await;
    assert_eq!(host.call(&token, "list_invoices", call).await.0, 401);
    shot(&browser, "10-key-revoked").await;

    // The audit trail, on a phone-sized screen; then sign out.
    browser.set_window_size(390, 844).await.expect("resize");
    browser.goto(&format!("{base}/console/audit")).await.expect("goto");
    see(&browser, "settlement.retried").await;
    shot(&browser, "11-audit-phone").await;
    click(&browser, "form[action='/console/sign-out'] button").await;
    see(&browser, "Admin key").await;
    browser.goto(&format!("{base}/console/tenants")).await.expect("goto");
    see(&browser, "Admin key").await;

    browser.close().await.expect("close");
    drop(driver);
    host.stop().await;
}
