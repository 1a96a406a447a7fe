//! Traces over OpenTelemetry: every call is a trace, from the caller's request through the
//! plugin to each upstream request, exported over OTLP (HTTP, JSON) when `--otlp-endpoint` is
//! set.
//!
//! ```text
//! http.request  POST /v1/functions/{function}        (the caller's `traceparent` continued)
//! └─ ponte.call  tenant, function, invocation id, plugin, plugin version, outcome
//!    └─ ponte.plugin  plugin, plugin version          (the sandboxed run)
//!       └─ ponte.upstream  method, declared host, status   (one per request to the ERP)
//! ```
//!
//! The spans are tracing's (`tracing::info_span!` where the work happens); this module only
//! turns them into OpenTelemetry spans. What a span may carry is decided where it is made: ids,
//! names, statuses and the manifest's declared host, never a URL's path or query, a header, a
//! document, a name or a secret. Log events are not exported (a plugin's log lines may hold
//! customers' data): only spans from Ponte's own modules are.

use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

/// Why the exporter could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the OTLP exporter could not be built: {0}")]
pub struct TelemetryError(String);

/// The exporting side: keep it for the process's life and [`Traces::shutdown`] it at the end, so
/// the last spans are sent.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Spans batched and sent to the collector at `endpoint` (`http://collector:4318`; the path
    /// `/v1/traces` is added), as service `ponte`.
    ///
    /// # Errors
    /// An endpoint that is not a URL.
    pub fn otlp(endpoint: &str) -> Result<Traces, TelemetryError> {
        let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(url)
            .with_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| TelemetryError(e.to_string()))?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name("ponte")
            .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        Ok(Traces { provider })
    }

    /// The layer that turns Ponte's spans (only spans, only from `ponte` modules) into
    /// OpenTelemetry spans.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("ponte"))
            .with_filter(filter_fn(|meta| meta.is_span() && meta.target().starts_with("ponte")))
    }

    /// Sends what is batched now (tests; shutdown does it too).
    pub fn flush(&self) {
        if let Err(e) = self.provider.force_flush() {
            tracing::warn!(error = %e, "could not send the last traces");
        }
    }

    /// Sends what is left and stops exporting.
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("warning: could not send the last traces: {e}");
        }
    }
}

/// Makes `span` continue the caller's trace when the request carries a W3C `traceparent`.
pub fn continue_callers_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    let context = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(context);
}

/// A request's headers as the propagator reads them.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}
