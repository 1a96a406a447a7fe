//! The console at `/console` through HTTP as a browser speaks it (forms, cookies, redirects):
//! signing in and out, sessions and their cookies, CSRF on every action, who reaches what, and
//! the operator's flow: a tenant, a connection from the plugin's manifest, an automation, a try,
//! the call in the invocation log, a key made and revoked.

use ponte_erp_sim::ixc::data::CUSTOMER_CPF;
use ponte_tests::{IXC_TOKEN, TENANT, TestHost};
use reqwest::{Method, StatusCode, redirect};

/// A browser of one: its cookies, no redirects followed (so the test sees them).
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: StatusCode,
    location: String,
    set_cookies: Vec<String>,
    html: String,
}

impl Page {
    /// The form token the page's forms carry.
    fn csrf(&self) -> String {
        let after = self.html.split("name=\"csrf\" value=\"").nth(1).unwrap_or_default();
        after.split('"').next().unwrap_or_default().to_owned()
    }
}

impl Browser {
    fn new(host: &TestHost) -> Browser {
        let client = reqwest::Client::builder().redirect(redirect::Policy::none()).build().expect("client");
        Browser { client, base: host.base_url.clone(), cookies: Vec::new() }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            request = request.header("cookie", cookie);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(form) = form {
            let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
            request = request.header("content-type", "application/x-www-form-urlencoded").body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let html = response.text().await.expect("body");
        Page { status, location, set_cookies, html }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None, &[]).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form), &[]).await
    }

    async fn sign_in(&mut self, key: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        let csrf = form.csrf();
        self.post("/console/sign-in", &[("csrf", &csrf), ("key", key)]).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_and_no_admin_key_reach_no_page_or_action() {
    let host = TestHost::start().await;
    let mut browser = Browser::new(&host);
    for path in [
        "/console",
        "/console/tenants",
        "/console/keys",
        "/console/invocations",
        "/console/settlements",
        "/console/try",
        "/console/audit",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location.starts_with("/console/"), "{path}: {}", page.location);
        if path != "/console" {
            assert_eq!(page.location, "/console/sign-in", "{path}");
        }
    }
    let keys_before = host.host.store.list_api_keys(None).await.expect("keys").len();
    let page = browser.post("/console/keys", &[("csrf", "x"), ("scope", "app")]).await;
    assert_eq!((page.status, page.location.as_str()), (StatusCode::SEE_OTHER, "/console/sign-in"));
    assert_eq!(host.host.store.list_api_keys(None).await.expect("keys").len(), keys_before, "nothing done");

    // A caller's key can't sign in; a made-up one neither; a form without its token is refused.
    assert_eq!(browser.sign_in(&host.app_key).await.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.sign_in("ponte_000000000000_madeup").await.status, StatusCode::UNAUTHORIZED);
    let page = browser.post("/console/sign-in", &[("key", &host.admin_key)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no token");
    assert!(!browser.cookies.iter().any(|(k, _)| k == "ponte_session"));

    // The assets are served by the host itself.
    let htmx = browser.get("/console/assets/htmx.min.js").await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(htmx.html.contains("htmx"));
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_is_strict_ends_on_sign_out_and_when_its_key_is_revoked() {
    let host = TestHost::start().await;
    let mut browser = Browser::new(&host);
    let signed = browser.sign_in(&host.admin_key).await;
    assert_eq!((signed.status, signed.location.as_str()), (StatusCode::SEE_OTHER, "/console/tenants"));
    let session = signed.set_cookies.iter().find(|c| c.starts_with("ponte_session=")).expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=28800"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    let page = browser.get("/console/tenants").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(TENANT));
    // Portuguese by default, English on request (and remembered).
    assert!(page.html.contains("Provedores"), "{}", page.html);
    let english = browser.get("/console/tenants?lang=en").await;
    assert!(english.html.contains("Tenants") && english.html.contains("Sign out"));

    // An action without the session's token does nothing.
    let keys_before = host.host.store.list_api_keys(None).await.expect("keys").len();
    let refused = browser.post("/console/keys", &[("csrf", "wrong"), ("scope", "app")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(host.host.store.list_api_keys(None).await.expect("keys").len(), keys_before);

    // Behind TLS the cookie is Secure.
    let mut secure = Browser::new(&host);
    let form = secure.send(Method::GET, "/console/sign-in", None, &[("x-forwarded-proto", "https")]).await;
    let csrf = form.csrf();
    let signed = secure
        .send(
            Method::POST,
            "/console/sign-in",
            Some(&[("csrf", &csrf), ("key", &host.admin_key)]),
            &[("x-forwarded-proto", "https")],
        )
        .await;
    assert!(
        signed.set_cookies.iter().any(|c| c.starts_with("ponte_session=") && c.contains("; Secure")),
        "{:?}",
        signed.set_cookies
    );

    // Sign-out ends it.
    let csrf = page.csrf();
    let out = browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location.as_str()), (StatusCode::SEE_OTHER, "/console/sign-in"));
    assert_eq!(browser.get("/console/tenants").await.status, StatusCode::SEE_OTHER);

    // A revoked key ends every session opened with it.
    assert_eq!(secure.get("/console/tenants").await.status, StatusCode::OK);
    let id = host.admin_key.split('_').nth(1).expect("id");
    host.host.keys.revoke(id).await.expect("revoke");
    assert_eq!(secure.get("/console/tenants").await.status, StatusCode::SEE_OTHER);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_brings_a_tenant_on_tries_it_and_finds_the_call() {
    let host = TestHost::start().await;
    let mut browser = Browser::new(&host);
    assert_eq!(browser.sign_in(&host.platform_key).await.status, StatusCode::SEE_OTHER);
    let tenants = browser.get("/console/tenants").await;
    let csrf = tenants.csrf();

    let created = browser
        .post(
            "/console/tenants",
            &[("csrf", &csrf), ("id", "gamma"), ("name", "Gamma Net"), ("allow_private", "127.0.0.1")],
        )
        .await;
    assert_eq!(
        (created.status, created.location.as_str()),
        (StatusCode::SEE_OTHER, "/console/tenants/gamma?done=saved")
    );

    // The connection's form comes from the plugin's manifest: the token is a password field.
    let form = browser.get("/console/tenants/gamma/connections/new?plugin=ixc").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(form.html.contains("type=\"password\" name=\"setting.token\""), "{}", form.html);
    assert!(form.html.contains("name=\"setting.base_url\""));
    let base_url = host.sim.base_url();
    let saved = browser
        .post(
            "/console/tenants/gamma/connections",
            &[
                ("csrf", &csrf),
                ("plugin", "ixc"),
                ("name", "erp"),
                ("timeout", "5s"),
                ("setting.base_url", &base_url),
                ("setting.user_id", "1"),
                ("setting.token", IXC_TOKEN),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let edit = browser.get("/console/tenants/gamma/connections/erp").await;
    assert!(!edit.html.contains(IXC_TOKEN), "a secret is never shown back");
    let bound = browser
        .post(
            "/console/tenants/gamma/functions",
            &[("csrf", &csrf), ("function", "list_invoices"), ("connection", "erp")],
        )
        .await;
    assert_eq!(bound.status, StatusCode::SEE_OTHER, "{}", bound.html);
    // A bad automation is refused with its field, and nothing changes.
    let bad = browser
        .post(
            "/console/tenants/gamma/functions",
            &[("csrf", &csrf), ("function", "get_invoice"), ("connection", "erp"), ("cache_ttl", "1m")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("functions.get_invoice.cache_ttl"), "{}", bad.html);

    let page = browser.get("/console/tenants/gamma").await;
    assert!(page.html.contains("list_invoices") && page.html.contains("ixc 0.1.0"), "{}", page.html);

    // Try it: the function's form, run through the pipeline.
    let form = browser.get("/console/try?tenant=gamma&function=list_invoices").await;
    assert!(form.html.contains("name=\"field.customer_document_number\""), "{}", form.html);
    let tried = browser
        .post(
            "/console/try",
            &[
                ("csrf", &csrf),
                ("tenant", "gamma"),
                ("function", "list_invoices"),
                ("field.customer_document_number", CUSTOMER_CPF),
            ],
        )
        .await;
    assert_eq!(tried.status, StatusCode::OK);
    assert!(tried.html.contains("linha_digitavel"), "{}", tried.html);
    // A bad input is the contract's problem, shown.
    let refused = browser
        .post(
            "/console/try",
            &[
                ("csrf", &csrf),
                ("tenant", "gamma"),
                ("function", "list_invoices"),
                ("field.customer_document_number", "123"),
            ],
        )
        .await;
    assert!(refused.html.contains("invalid_document"), "{}", refused.html);

    // The calls in the invocation log, and one's detail with its upstream exchanges.
    let log = browser.get("/console/invocations?tenant=gamma&outcome=invalid_document").await;
    assert!(log.html.contains("invalid_document") && !log.html.contains(">ok<"), "{}", log.html);
    // By customer: the log keeps a digest of the document, so any way of writing it finds the call.
    let digits: String = CUSTOMER_CPF.chars().filter(char::is_ascii_digit).collect();
    let by_customer = browser.get(&format!("/console/invocations?tenant=gamma&customer={digits}")).await;
    assert!(by_customer.html.contains(">ok<"), "{}", by_customer.html);
    let stranger = browser.get("/console/invocations?tenant=gamma&customer=529.982.247-25").await;
    assert!(!stranger.html.contains(">ok<"), "{}", stranger.html);
    let log = browser.get("/console/invocations?tenant=gamma&outcome=ok").await;
    let id = log
        .html
        .split("/console/invocations/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an invocation")
        .to_owned();
    let detail = browser.get(&format!("/console/invocations/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.html.contains("/webservice/v1/cliente"), "{}", detail.html);
    // What was asked and what was answered, normalized.
    assert!(detail.html.contains("id=\"invocation-input\"") && detail.html.contains("customer_document_number"));
    assert!(detail.html.contains("id=\"invocation-output\"") && detail.html.contains("linha_digitavel"));
    // Each upstream exchange with its bodies (the IXC listing's answer), the credentials never.
    assert!(detail.html.contains("response_body") && detail.html.contains("registros"), "{}", detail.html);
    assert!(!detail.html.contains(IXC_TOKEN));

    // A key made here is shown once and works; revoked here, it is refused.
    let made = browser
        .post("/console/keys", &[("csrf", &csrf), ("tenant", "gamma"), ("scope", "app"), ("label", "app")])
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let token =
        made.html.split("id=\"new-token\">").nth(1).and_then(|s| s.split('<').next()).expect("token").to_owned();
    let (status, _) =
        host.call(&token, "list_invoices", serde_json::json!({"customer_document_number": CUSTOMER_CPF})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!browser.get("/console/keys").await.html.contains(&token), "shown once");
    let id = token.split('_').nth(1).expect("id");
    let revoked = browser.post(&format!("/console/keys/{id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let (status, _) =
        host.call(&token, "list_invoices", serde_json::json!({"customer_document_number": CUSTOMER_CPF})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Everything above is in the audit trail.
    let audit = browser.get("/console/audit").await;
    for action in ["tenant.created", "tenant.changed", "api_key.created", "api_key.revoked"] {
        assert!(audit.html.contains(action), "{action}");
    }
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_try_counts_against_its_keys_rate_as_a_call_does() {
    let options = ponte_host::invoke::HostOptions {
        key_rate: Some(ponte_host::ratelimit::KeyRate { per_second: 1, burst: 1 }),
        ..ponte_tests::test_options()
    };
    let host = TestHost::builder().options(options).start().await;
    let mut browser = Browser::new(&host);
    // Signing in reads the key once: its one request of the second.
    assert_eq!(browser.sign_in(&host.admin_key).await.status, StatusCode::SEE_OTHER);
    let form = browser.get("/console/try?function=list_invoices").await;
    let csrf = form.csrf();
    let run =
        [("csrf", csrf.as_str()), ("function", "list_invoices"), ("field.customer_document_number", CUSTOMER_CPF)];
    let first = browser.post("/console/try", &run).await;
    let second = browser.post("/console/try", &run).await;
    assert!(
        [first.status, second.status].contains(&StatusCode::TOO_MANY_REQUESTS),
        "{} then {}",
        first.status,
        second.status
    );
    host.stop().await;
}
