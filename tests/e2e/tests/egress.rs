//! Egress through a proxy: a tenant's (or the host's) upstream calls leave through an HTTP
//! proxy, under the same policy as direct calls. The proxy is a forwarding proxy on loopback,
//! at 127.0.0.2 (an address of its own, so the tenant's `allow_private` decides about it apart
//! from the simulated ERP at 127.0.0.1).

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use ponte_contract::Scope;
use ponte_erp_sim::ixc::data::CUSTOMER_CPF;
use ponte_tests::{TENANT, TestHost, ixc_automation};
use serde_json::json;

/// A forwarding HTTP proxy that records the absolute URIs it was asked for.
struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = (Arc::clone(&seen), reqwest::Client::builder().no_proxy().build().expect("client"));
        let app = axum::Router::new().fallback(forward).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { url, seen, task }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    State((seen, client)): State<(Arc<Mutex<Vec<String>>>, reqwest::Client)>,
    request: Request,
) -> Response {
    let uri = request.uri().to_string();
    seen.lock().unwrap_or_else(PoisonError::into_inner).push(uri.clone());
    let method = request.method().clone();
    let mut headers = request.headers().clone();
    for hop in ["host", "connection", "proxy-connection", "proxy-authorization"] {
        headers.remove(hop);
    }
    let body = axum::body::to_bytes(request.into_body(), 16 * 1024 * 1024).await.unwrap_or_default();
    let answer = match client.request(method, &uri).headers(headers).body(body).send().await {
        Ok(answer) => answer,
        Err(_) => return Response::builder().status(502).body(Body::empty()).unwrap_or_default(),
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(bytes)).unwrap_or_default()
}

fn customer() -> serde_json::Value {
    json!({ "customer_document_number": CUSTOMER_CPF })
}

#[tokio::test]
async fn a_tenants_calls_leave_through_its_proxy() {
    let proxy = Proxy::start().await;
    let extra = format!("egress_proxy = \"{}\"\n", proxy.url);
    let automation = ixc_automation(TENANT, "").replace(
        "allow_private = [\"127.0.0.1\"]",
        &format!("allow_private = [\"127.0.0.1\", \"127.0.0.2\"]\n{extra}"),
    );
    let host = TestHost::builder().automation("acme.toml", automation).start().await;
    assert!(host.config_errors.is_empty(), "{:?}", host.config_errors);
    let (status, body) = host.call(&host.app_key, "list_invoices", customer()).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(!body.as_array().is_some_and(Vec::is_empty), "{body}");
    let seen = proxy.seen();
    assert!(!seen.is_empty(), "the proxy carried the calls");
    assert!(seen.iter().all(|uri| uri.starts_with(&host.sim.base_url())), "{seen:?}");
    // The invocation log shows the ERP's address, never the proxy's.
    let logged = serde_json::to_string(&host.invocations().await).unwrap_or_default();
    assert!(!logged.contains("127.0.0.2"), "{logged}");
    host.stop().await;
}

#[tokio::test]
async fn a_tenants_proxy_on_an_address_it_may_not_reach_is_refused() {
    let proxy = Proxy::start().await;
    // 127.0.0.2 is not among the tenant's allowed private addresses.
    let automation = ixc_automation(TENANT, "").replace(
        "allow_private = [\"127.0.0.1\"]",
        &format!("allow_private = [\"127.0.0.1\"]\negress_proxy = \"{}\"", proxy.url),
    );
    let host = TestHost::builder().automation("acme.toml", automation).start().await;
    let errors = host.config_errors.join("\n");
    assert!(errors.contains("egress_proxy") && errors.contains("127.0.0.2"), "{errors}");
    let (status, _) = host.call(&host.app_key, "list_invoices", customer()).await;
    assert_ne!(status.as_u16(), 200, "the tenant does not serve");
    assert!(proxy.seen().is_empty());
    host.stop().await;

    // Credentials or a path in a proxy URL are refused with the field, and never echoed.
    let automation = ixc_automation(TENANT, "").replace(
        "allow_private = [\"127.0.0.1\"]",
        "allow_private = [\"127.0.0.1\"]\negress_proxy = \"socks5://user:hunter2@127.0.0.1:1080\"",
    );
    let host = TestHost::builder().automation("acme.toml", automation).start().await;
    let errors = host.config_errors.join("\n");
    assert!(errors.contains("egress_proxy") && !errors.contains("hunter2"), "{errors}");
    host.stop().await;
}

#[tokio::test]
async fn the_hosts_proxy_carries_every_tenant_and_the_policy_still_refuses() {
    let proxy = Proxy::start().await;
    // A tenant whose ERP lives where its policy does not allow (127.0.0.3).
    let beta = r#"tenant = "beta"
name = "Beta"
allow_private = ["127.0.0.1"]
[connections.erp]
plugin = "ixc"
settings = { base_url = "http://127.0.0.3:9", user_id = "1", token = "${env:IXC_TOKEN}" }
[functions]
list_invoices = "erp"
"#;
    let host = TestHost::builder().egress_proxy(&proxy.url).automation("beta.toml", beta).start().await;
    assert!(host.config_errors.is_empty(), "the host's proxy is trusted: {:?}", host.config_errors);
    let (status, body) = host.call(&host.app_key, "list_invoices", customer()).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert!(!proxy.seen().is_empty(), "the host's proxy carried the call");

    host.host.store.ensure_tenant("beta", "Beta").await.expect("tenant");
    let key = host.host.store.create_api_key("beta", &[Scope::App], "test").await.expect("key").token;
    let before = proxy.seen().len();
    let reply = host.call_with(&key, "list_invoices", customer(), &[]).await;
    assert!(reply.status.is_server_error(), "{} {}", reply.status, reply.body);
    host.host.invocation_log.flush().await;
    let logged = host.host.store.invocations("beta", 5).await.expect("the log");
    let why = serde_json::to_string(&logged).unwrap_or_default();
    assert!(why.contains("127.0.0.3") && why.contains("not allowed"), "the log says the policy refused: {why}");
    assert_eq!(proxy.seen().len(), before, "refused before the proxy saw it");
    host.stop().await;
}
