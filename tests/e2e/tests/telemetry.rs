//! Traces over OTLP: a call's spans (request, call, plugin run, each upstream request) reach a
//! collector on loopback with the tenant, function, plugin version and invocation id, in one
//! trace that continues the caller's `traceparent`, and carry no secret and no personal data.
//!
//! One test in its own binary: it installs the process's tracing subscriber itself.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use ponte_erp_sim::ixc::data::{CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, CUSTOMER_NAME};
use ponte_tests::{IXC_TOKEN, TestHost};
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

type Received = Arc<Mutex<Vec<Value>>>;

/// An OTLP/HTTP collector taking JSON on `/v1/traces`.
async fn collector() -> (String, Received, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the collector");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(|State(received): State<Received>, body: Bytes| async move {
                let export: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                received.lock().unwrap_or_else(PoisonError::into_inner).push(export);
                axum::Json(json!({}))
            }),
        )
        .with_state(Arc::clone(&received));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received, task)
}

/// Every span received: name, ids and attributes as `key -> value text`.
fn spans(received: &Received) -> Vec<Value> {
    let exports = received.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut spans = Vec::new();
    for export in exports {
        for resource in export["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                spans.extend(scope["spans"].as_array().into_iter().flatten().cloned());
            }
        }
    }
    spans
}

fn attribute(span: &Value, key: &str) -> Option<String> {
    let found = span["attributes"].as_array()?.iter().find(|a| a["key"] == key)?;
    let value = &found["value"];
    ["stringValue", "intValue", "boolValue"].iter().find_map(|kind| match &value[*kind] {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    })
}

#[tokio::test]
async fn a_calls_spans_reach_the_collector_in_one_trace_without_secrets_or_personal_data() {
    let (url, received, task) = collector().await;
    // Built off the runtime, as `ponte serve` builds it (the exporter's client blocks).
    let traces = std::thread::spawn(move || ponte_host::telemetry::Traces::otlp(&url))
        .join()
        .expect("thread")
        .expect("exporter");
    tracing_subscriber::registry().with(traces.layer()).init();

    let host = TestHost::start().await;
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let reply = host
        .call_with(
            &host.app_key,
            "list_invoices",
            json!({ "customer_document_number": CUSTOMER_CPF }),
            &[("traceparent", &format!("00-{caller_trace}-00f067aa0ba902b7-01"))],
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let invocation_id = reply.headers["x-invocation-id"].to_str().expect("id").to_owned();
    host.stop().await;
    let flushing = std::thread::spawn(move || {
        traces.flush();
        traces
    });
    let traces = flushing.join().expect("flush");

    let mut all = spans(&received);
    for _ in 0..50 {
        if all.iter().any(|s| s["name"].as_str().is_some_and(|n| n.starts_with("GET"))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        all = spans(&received);
    }
    let named = |prefix: &str| -> Vec<&Value> {
        all.iter().filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with(prefix))).collect()
    };
    let request = named("POST /v1/functions/{function}");
    let call = named("call list_invoices");
    let plugin = named("plugin ixc list_invoices");
    let upstream: Vec<&Value> = all
        .iter()
        .filter(|s| attribute(s, "http.request.method").is_some() && attribute(s, "server.address").is_some())
        .collect();
    assert_eq!((request.len(), call.len(), plugin.len()), (1, 1, 1), "{all:#?}");
    assert!(!upstream.is_empty(), "each upstream request is a span: {all:#?}");

    // One trace, the caller's, parent to child.
    for span in all.iter() {
        assert_eq!(span["traceId"], caller_trace, "{span}");
    }
    assert_eq!(call[0]["parentSpanId"], request[0]["spanId"]);
    assert_eq!(plugin[0]["parentSpanId"], call[0]["spanId"]);
    for span in &upstream {
        assert_eq!(span["parentSpanId"], plugin[0]["spanId"], "an upstream request is the plugin run's child");
        assert_eq!(attribute(span, "http.response.status_code").as_deref(), Some("200"));
    }
    assert_eq!(attribute(request[0], "http.route").as_deref(), Some("/v1/functions/{function}"));
    assert_eq!(attribute(request[0], "http.response.status_code").as_deref(), Some("200"));
    for span in [call[0], plugin[0]] {
        assert_eq!(attribute(span, "ponte.tenant").as_deref(), Some("acme"));
        assert_eq!(attribute(span, "ponte.function").as_deref(), Some("list_invoices"));
        assert_eq!(attribute(span, "ponte.invocation_id"), Some(invocation_id.clone()));
        assert_eq!(attribute(span, "ponte.plugin").as_deref(), Some("ixc"));
        assert!(attribute(span, "ponte.plugin.version").is_some_and(|v| !v.is_empty()));
    }
    assert_eq!(attribute(call[0], "ponte.outcome").as_deref(), Some("200"));

    let everything =
        serde_json::to_string(&*received.lock().unwrap_or_else(PoisonError::into_inner)).unwrap_or_default();
    for never in [IXC_TOKEN, CUSTOMER_CPF, CUSTOMER_CPF_DIGITS, CUSTOMER_NAME, "webservice/v1"] {
        assert!(!everything.contains(never), "`{never}` reached the collector");
    }
    std::thread::spawn(move || traces.shutdown()).join().expect("shutdown");
    task.abort();
}
