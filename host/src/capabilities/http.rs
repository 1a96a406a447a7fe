//! Outbound HTTP for plugins: the only way a plugin reaches an ERP.
//!
//! Per connection (built when automations load) there is one [`Upstream`]: a reqwest client
//! whose DNS resolver applies the [`EgressPolicy`] to every answer and whose redirect policy
//! re-checks every hop, a semaphore per upstream host, and the upstream's pace when the manifest
//! declares a rate (`[rate_limit]`). Per invocation there is one [`HttpCapability`], which bounds
//! each request by the invocation's deadline, caps the response size and the number of requests,
//! waits for the upstream's pace and honours its `Retry-After` on a 429 when either fits the
//! deadline, and records every request (standard method, URL without query values and with
//! secrets redacted, the declared host it matched, status, duration) for the invocation log and
//! metrics.

pub mod exchange;
pub mod policy;
pub mod proxy;
mod resolver;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde::Serialize;
use tokio::sync::Semaphore;
use tracing::Instrument as _;
use url::Url;

pub use policy::{Denied, EgressPolicy, HostPattern, PrivateAllowance};
pub use proxy::EgressProxy;

use crate::capabilities::CapabilityError;
use crate::ratelimit::Pace;
use crate::secret::Redactor;

/// The methods a plugin may use. Anything else is refused: a method is logged and counted, so it
/// must not be a place to smuggle text.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// How many times a request answered `429` is sent again after the upstream's `Retry-After`.
const MAX_RATE_LIMIT_RETRIES: usize = 3;

/// Limits of one connection's outbound HTTP, and the host's egress proxy.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest response body accepted.
    pub max_response_bytes: usize,
    /// Requests in flight per upstream host at once.
    pub max_concurrency_per_host: usize,
    /// Timeout of one request when the plugin gives none (the invocation's deadline still wins).
    pub default_timeout: Duration,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Requests one invocation may send (every attempt counts).
    pub max_requests_per_call: usize,
    /// The host operator's proxy every connection's calls leave through, unless the tenant
    /// names its own (`--egress-proxy`; `None`: direct).
    pub proxy: Option<crate::secret::Secret>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_response_bytes: 16 * 1024 * 1024,
            max_concurrency_per_host: 16,
            default_timeout: Duration::from_secs(30),
            max_redirects: 5,
            max_requests_per_call: 200,
            proxy: None,
        }
    }
}

/// A request as a plugin asks for it.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute `http(s)` URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (empty for none).
    pub body: Vec<u8>,
    /// Per-request timeout (bounded by the invocation's deadline).
    pub timeout: Option<Duration>,
}

/// An upstream's answer.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// What became of one upstream request (the invocation log's `outcome`, a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamOutcome {
    /// An answer came back (whatever its status).
    Ok,
    /// The egress policy refused it: not sent.
    Denied,
    /// No answer within the call's deadline.
    Timeout,
    /// Never connected: not sent.
    Unreachable,
    /// The connection failed after connecting: the upstream may have received the request.
    Dropped,
    /// The answer was larger than the cap.
    TooLarge,
    /// A malformed request (a method or URL the host refuses): not sent.
    Invalid,
    /// The upstream's pace left no turn before the deadline: not sent.
    RateLimited,
    /// Past the requests allowed per call: not sent.
    Limit,
}

impl UpstreamOutcome {
    /// The name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamOutcome::Ok => "ok",
            UpstreamOutcome::Denied => "denied",
            UpstreamOutcome::Timeout => "timeout",
            UpstreamOutcome::Unreachable => "unreachable",
            UpstreamOutcome::Dropped => "dropped",
            UpstreamOutcome::TooLarge => "too_large",
            UpstreamOutcome::Invalid => "invalid",
            UpstreamOutcome::RateLimited => "rate_limited",
            UpstreamOutcome::Limit => "limit",
        }
    }
}

/// One upstream request, as the invocation log records it.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamCall {
    /// Method.
    pub method: String,
    /// URL with query values elided and secrets redacted.
    pub url: String,
    /// The declared host the URL matched, or `other` (the metric label: never free text).
    pub host: String,
    /// Status code, when there was an answer.
    pub status: Option<u16>,
    /// What became of it.
    pub outcome: UpstreamOutcome,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// The request's body, redacted and cut at [`MAX_LOGGED_BODY`] bytes, when the host keeps
    /// payloads (the first [`MAX_BODIES_LOGGED`] requests of a call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// The answer's body, as `request_body`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
}

/// The most bytes of an upstream body the invocation log keeps.
pub const MAX_LOGGED_BODY: usize = 8 * 1024;
/// The most upstream requests of one call whose bodies the invocation log keeps.
pub const MAX_BODIES_LOGGED: usize = 20;

/// A body as the invocation log keeps it: text, redacted, cut; a note for binary or nothing
/// for an empty body.
fn logged_body(bytes: &[u8], redactor: &Redactor) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some(format!("({} bytes, not text)", bytes.len()));
    };
    let mut cut = text.len().min(MAX_LOGGED_BODY);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut shown = redactor.redact(&text[..cut]);
    if cut < text.len() {
        shown.push_str(&format!("… (cut: {} bytes in all)", text.len()));
    }
    Some(shown)
}

/// One connection's outbound HTTP: the policy-bound client and the per-host limits.
pub struct Upstream {
    client: reqwest::Client,
    policy: Arc<EgressPolicy>,
    limits: HttpLimits,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
    pace: Option<Pace>,
    /// Plugin authors' tools only: record or replay whole exchanges ([`exchange`]).
    tap: std::sync::OnceLock<Arc<exchange::Tap>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("policy", &self.policy).field("limits", &self.limits).finish()
    }
}

impl Upstream {
    /// Builds the client of one connection.
    ///
    /// # Errors
    /// If the TLS backend can't initialise.
    pub fn new(policy: EgressPolicy, limits: HttpLimits) -> Result<Self, reqwest::Error> {
        Self::with_pace(policy, limits, None)
    }

    /// Builds the client of one connection whose upstream takes requests at `pace`.
    ///
    /// # Errors
    /// If the TLS backend can't initialise.
    pub fn with_pace(policy: EgressPolicy, limits: HttpLimits, pace: Option<Pace>) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(policy);
        let redirect_policy = {
            let policy = Arc::clone(&policy);
            let max = limits.max_redirects;
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= max {
                    return attempt.error(Denied(format!("more than {max} redirects")));
                }
                match policy.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(denied) => attempt.error(Denied(format!("redirect refused: {denied}"))),
                }
            })
        };
        let builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(resolver::PolicyResolver::new(Arc::clone(&policy))))
            .redirect(redirect_policy);
        // A proxy is the tenant's or the host's (`proxy`), never taken from the environment
        // behind the operator's back.
        let builder = match policy.proxy() {
            Some(proxy) => builder.proxy(proxy.reqwest()?),
            None => builder.no_proxy(),
        };
        let client = builder
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("ponte/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Upstream {
            client,
            policy,
            limits,
            per_host: Mutex::new(HashMap::new()),
            pace,
            tap: std::sync::OnceLock::new(),
        })
    }

    /// Records every exchange, or replays recorded ones instead of sending (plugin authors'
    /// tools; never set by the server). The policy still decides what may be sent.
    ///
    /// # Errors
    /// The tap given, when one is already set.
    pub fn set_tap(&self, tap: Arc<exchange::Tap>) -> Result<(), Arc<exchange::Tap>> {
        self.tap.set(tap)
    }

    /// The connection's policy.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    fn semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut map = self.per_host.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            map.entry(host.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.limits.max_concurrency_per_host))),
        )
    }
}

/// The HTTP capability of one invocation.
#[derive(Clone)]
pub struct HttpCapability {
    upstream: Arc<Upstream>,
    deadline: Instant,
    redactor: Arc<Redactor>,
    state: Arc<Mutex<CallState>>,
    /// Whether the invocation log keeps request and answer bodies.
    keep_bodies: bool,
    /// The span current when the capability was made (the plugin's run): each upstream request
    /// is a child of it, whatever thread the plugin asks from.
    span: tracing::Span,
}

/// What one invocation did with its HTTP capability.
#[derive(Default)]
struct CallState {
    calls: Vec<UpstreamCall>,
    /// Requests attempted (sent or refused for a limit), against `max_requests_per_call`.
    attempts: usize,
    /// The host limit that refused a request, if one did: it decides the caller's answer
    /// whatever the plugin made of the refusal.
    stopped: Option<CapabilityError>,
    /// The `Retry-After` of the last 429 the upstream answered.
    retry_after: Option<Duration>,
}

impl HttpCapability {
    /// The capability of one invocation over a connection's upstream.
    pub fn new(upstream: Arc<Upstream>, deadline: Instant, redactor: Arc<Redactor>) -> Self {
        HttpCapability {
            upstream,
            deadline,
            redactor,
            state: Arc::new(Mutex::new(CallState::default())),
            keep_bodies: false,
            span: tracing::Span::current(),
        }
    }

    /// Keeps (or not) each request's and answer's body, redacted and bounded, in what the
    /// invocation log records.
    #[must_use]
    pub fn keeping_bodies(mut self, keep: bool) -> Self {
        self.keep_bodies = keep;
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CallState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The requests made so far.
    pub fn calls(&self) -> Vec<UpstreamCall> {
        self.state().calls.clone()
    }

    /// What the upstream's last `429` asked to wait (`Retry-After` in seconds, at most an hour),
    /// to pass on to the caller.
    pub fn upstream_retry_after(&self) -> Option<Duration> {
        self.state().retry_after
    }

    /// The host limit that refused one of this invocation's requests (`Limit` for the requests
    /// per call, `RateLimited` for the upstream's pace), if any.
    pub fn stopped_by(&self) -> Option<CapabilityError> {
        self.state().stopped.clone()
    }

    /// Sends a request under the connection's policy.
    ///
    /// # Errors
    /// A [`CapabilityError`]: `Denied` for the policy, `Timeout`, `Unreachable`, `TooLarge`,
    /// `Invalid` for a malformed request. An upstream's 4xx/5xx is not an error here: the
    /// plugin decides what it means.
    pub async fn request(&self, request: HttpRequest) -> Result<HttpResponse, CapabilityError> {
        let parsed = Url::parse(&request.url);
        let (shown, host) = match &parsed {
            Ok(url) => (
                self.redactor.redact(&policy::display_url(url)),
                self.redactor.redact(&self.upstream.policy.label(url)),
            ),
            Err(_) => ("(unparsable URL)".to_owned(), policy::OTHER_HOST.to_owned()),
        };
        let upper = request.method.to_ascii_uppercase();
        let method = METHODS.iter().find(|m| **m == upper).copied();
        let mut retries = 0;
        loop {
            let started = Instant::now();
            // What a trace may show of a request: its method, the manifest's declared host it
            // matched and its status; never the path, query, headers or body.
            let span = tracing::info_span!(
                target: "ponte::upstream",
                parent: &self.span,
                "ponte.upstream",
                otel.name = %format_args!("{} {host}", method.unwrap_or("INVALID")),
                otel.kind = "client",
                http.request.method = method.unwrap_or("INVALID"),
                server.address = %host,
                http.response.status_code = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
            );
            let result = self.attempt(parsed.clone(), method, &request).instrument(span.clone()).await;
            match &result {
                Ok(response) => {
                    span.record("http.response.status_code", response.status);
                }
                Err(_) => {
                    span.record("otel.status_code", "ERROR");
                }
            }
            let asked = result.as_ref().ok().filter(|r| r.status == 429).and_then(asked_retry_after);
            if let Some(asked) = asked {
                self.state().retry_after = Some(asked);
            }
            // The upstream says when; when that fits the deadline, wait and send again.
            let retry_after = asked.filter(|wait| {
                retries < MAX_RATE_LIMIT_RETRIES
                    && *wait <= Duration::from_secs(60)
                    && Instant::now() + *wait < self.deadline
            });
            self.log(method, &shown, &host, (&request, &result), started);
            if let Some(wait) = retry_after {
                // The upstream says when; it fits the deadline: wait and send again (a 429 is a
                // refusal before any processing, so sending again is safe for every method).
                retries += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
            return result.map_err(|e| match e.error {
                CapabilityError::Denied(m) => CapabilityError::Denied(self.redactor.redact(&m)),
                CapabilityError::Unreachable(m) => CapabilityError::Unreachable(self.redactor.redact(&m)),
                other => other,
            });
        }
    }

    /// Records one attempt for the invocation log, metrics and the server log.
    fn log(
        &self,
        method: Option<&'static str>,
        shown: &str,
        host: &str,
        (request, result): (&HttpRequest, &Result<HttpResponse, SendError>),
        started: Instant,
    ) {
        let (status, outcome) = match result {
            Ok(r) => (Some(r.status), UpstreamOutcome::Ok),
            Err(SendError { error: CapabilityError::Denied(_), .. }) => (None, UpstreamOutcome::Denied),
            Err(SendError { error: CapabilityError::Timeout, .. }) => (None, UpstreamOutcome::Timeout),
            Err(SendError { error: CapabilityError::Unreachable(_), maybe_delivered: true }) => {
                (None, UpstreamOutcome::Dropped)
            }
            Err(SendError { error: CapabilityError::Unreachable(_), maybe_delivered: false }) => {
                (None, UpstreamOutcome::Unreachable)
            }
            Err(SendError { error: CapabilityError::TooLarge(_), .. }) => (None, UpstreamOutcome::TooLarge),
            Err(SendError { error: CapabilityError::RateLimited(_), .. }) => (None, UpstreamOutcome::RateLimited),
            Err(SendError { error: CapabilityError::Limit(_), .. }) => (None, UpstreamOutcome::Limit),
            Err(SendError { error: CapabilityError::Invalid(_) | CapabilityError::Storage, .. }) => {
                (None, UpstreamOutcome::Invalid)
            }
        };
        let method = method.unwrap_or("INVALID");
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(target: "ponte::upstream", %method, url = %shown, %host, ?status, outcome = outcome.as_str(), duration_ms, "upstream request");
        let mut state = self.state();
        if let Err(SendError { error: error @ (CapabilityError::RateLimited(_) | CapabilityError::Limit(_)), .. }) =
            result
        {
            state.stopped.get_or_insert_with(|| error.clone());
        }
        // Past the per-call cap nothing is sent; one line says so instead of one per refusal.
        if outcome == UpstreamOutcome::Limit && state.calls.last().is_some_and(|c| c.outcome == UpstreamOutcome::Limit)
        {
            return;
        }
        let bodies = self.keep_bodies && state.calls.len() < MAX_BODIES_LOGGED;
        state.calls.push(UpstreamCall {
            method: method.to_owned(),
            url: shown.to_owned(),
            host: host.to_owned(),
            status,
            outcome,
            duration_ms,
            request_body: if bodies { logged_body(&request.body, &self.redactor) } else { None },
            response_body: match result {
                Ok(answer) if bodies => logged_body(&answer.body, &self.redactor),
                _ => None,
            },
        });
    }

    /// One attempt: the per-call cap, the policy, the upstream's pace, then the send.
    async fn attempt(
        &self,
        url: Result<Url, url::ParseError>,
        method: Option<&'static str>,
        request: &HttpRequest,
    ) -> Result<HttpResponse, SendError> {
        {
            let mut state = self.state();
            let max = self.upstream.limits.max_requests_per_call;
            if state.attempts >= max {
                return Err(CapabilityError::Limit(format!("more than {max} upstream requests in one call")).into());
            }
            state.attempts += 1;
        }
        let url = url.map_err(|e| CapabilityError::Invalid(format!("bad URL: {e}")))?;
        let method = method.ok_or_else(|| {
            CapabilityError::Invalid(format!("the HTTP method must be one of {}", METHODS.join(", ")))
        })?;
        self.upstream.policy.check_url(&url).map_err(|d| CapabilityError::Denied(d.0))?;
        if self.upstream.policy.proxy().is_some() && self.upstream.tap.get().is_none() {
            // The proxy resolves the name: judge its addresses here, as the resolver would.
            proxy::check_target(&self.upstream.policy, &url).await.map_err(|d| CapabilityError::Denied(d.0))?;
        }
        if let Some(pace) = &self.upstream.pace {
            pace.turn(self.deadline).await.map_err(|wait| CapabilityError::RateLimited(Some(wait)))?;
        }
        let Some(tap) = self.upstream.tap.get() else { return self.send(url, method, request).await };
        let result = match tap.answer(method, &url, &self.redactor.redact(url.as_str()), &request.body) {
            Some(answer) => answer.map_err(SendError::from),
            None => self.send(url.clone(), method, request).await,
        };
        let kept = result.as_ref().map_err(|e| &e.error);
        tap.keep(exchange::Exchange::new(method, &url, request, kept, &self.redactor));
        result
    }

    async fn send(&self, url: Url, method: &str, request: &HttpRequest) -> Result<HttpResponse, SendError> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| CapabilityError::Invalid("bad HTTP method".into()))?;
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(CapabilityError::Timeout.into());
        }
        let timeout = request.timeout.unwrap_or(self.upstream.limits.default_timeout).min(remaining);

        let host_key = format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0));
        let semaphore = self.upstream.semaphore(&host_key);
        let _permit = tokio::time::timeout(timeout, semaphore.acquire_owned())
            .await
            .map_err(|_| CapabilityError::Timeout)?
            .map_err(|_| CapabilityError::Unreachable("upstream limiter closed".into()))?;
        // From here on a failure may come after the upstream received the request.

        let mut builder = self.upstream.client.request(method, url).timeout(timeout);
        for (name, value) in &request.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| CapabilityError::Invalid("bad header name".into()))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| CapabilityError::Invalid(format!("bad value for header {name}")))?;
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let send = async {
            let response = builder.send().await.map_err(classify)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let max = self.upstream.limits.max_response_bytes;
            if response.content_length().is_some_and(|len| len > max as u64) {
                return Err(CapabilityError::TooLarge(max).into());
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(classify)?;
                if body.len() + chunk.len() > max {
                    return Err(CapabilityError::TooLarge(max).into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(HttpResponse { status, headers, body })
        };
        // The reqwest timeout covers the request; this also covers reading a slow body.
        tokio::time::timeout(timeout, send)
            .await
            .map_err(|_| SendError { error: CapabilityError::Timeout, maybe_delivered: true })?
    }
}

/// What a `429`'s `Retry-After` asks to wait: whole seconds (the HTTP-date form is read as
/// unknown), at most an hour.
fn asked_retry_after(response: &HttpResponse) -> Option<Duration> {
    let seconds: u64 = response
        .headers
        .iter()
        .find(|(name, _)| name == "retry-after")
        .and_then(|(_, value)| value.trim().parse().ok())?;
    Some(Duration::from_secs(seconds.min(3600)))
}

/// A failed send, and whether the upstream may have received the request before it failed
/// (a dropped connection after connecting, a lost answer): what decides whether an upstream
/// quota unit may be given back.
struct SendError {
    error: CapabilityError,
    maybe_delivered: bool,
}

impl From<CapabilityError> for SendError {
    /// A failure before anything was sent.
    fn from(error: CapabilityError) -> Self {
        SendError { error, maybe_delivered: false }
    }
}

/// Maps reqwest's error onto the capability's, finding policy denials in the source chain (the
/// resolver's and the redirect policy's).
fn classify(error: reqwest::Error) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(denied) = e.downcast_ref::<Denied>() {
            return CapabilityError::Denied(denied.0.clone()).into();
        }
        source = e.source();
    }
    if error.is_timeout() {
        SendError { error: CapabilityError::Timeout, maybe_delivered: true }
    } else if error.is_connect() {
        CapabilityError::Unreachable("connection failed".into()).into()
    } else if error.is_redirect() {
        CapabilityError::Denied("redirect refused".into()).into()
    } else {
        SendError {
            error: CapabilityError::Unreachable("the upstream connection failed".into()),
            maybe_delivered: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_body_is_redacted_cut_and_never_binary() {
        let redactor = Redactor::new([&crate::secret::Secret::new("s3cr3t-token")]);
        assert_eq!(logged_body(b"", &redactor), None);
        assert_eq!(logged_body(b"{\"token\":\"s3cr3t-token\"}", &redactor).as_deref(), Some("{\"token\":\"***\"}"));
        assert_eq!(logged_body(&[0xff, 0xfe, 0x00], &redactor).as_deref(), Some("(3 bytes, not text)"));
        let long = "é".repeat(MAX_LOGGED_BODY);
        let shown = logged_body(long.as_bytes(), &redactor).expect("text");
        assert!(shown.ends_with(&format!("… (cut: {} bytes in all)", long.len())), "{}", &shown[shown.len() - 40..]);
        assert!(shown.len() < MAX_LOGGED_BODY + 64);
    }
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A loopback upstream answering every request with `body`, chunked or with a length.
    async fn upstream(body: Vec<u8>, chunked: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let head = if chunked {
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_owned()
                    } else {
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                    };
                    let _ = socket.write_all(head.as_bytes()).await;
                    if chunked {
                        for chunk in body.chunks(64 * 1024) {
                            let _ = socket.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await;
                            let _ = socket.write_all(chunk).await;
                            let _ = socket.write_all(b"\r\n").await;
                        }
                        let _ = socket.write_all(b"0\r\n\r\n").await;
                    } else {
                        let _ = socket.write_all(&body).await;
                    }
                });
            }
        });
        url
    }

    fn capability(url: &str, max: usize) -> HttpCapability {
        let policy = EgressPolicy::new(
            vec![HostPattern::parse(url).expect("pattern")],
            vec![PrivateAllowance::parse("127.0.0.1").expect("allowance")],
        );
        let limits = HttpLimits { max_response_bytes: max, ..HttpLimits::default() };
        let upstream = Arc::new(Upstream::new(policy, limits).expect("client"));
        HttpCapability::new(upstream, Instant::now() + Duration::from_secs(5), Arc::new(Redactor::default()))
    }

    #[tokio::test]
    async fn answers_over_the_size_cap_are_refused_with_or_without_a_length() {
        for chunked in [false, true] {
            let url = upstream(vec![b'x'; 300 * 1024], chunked).await;
            let http = capability(&url, 256 * 1024);
            let result = http
                .request(HttpRequest { method: "GET".into(), url: format!("{url}/big"), ..HttpRequest::default() })
                .await;
            assert_eq!(result.err(), Some(CapabilityError::TooLarge(256 * 1024)), "chunked: {chunked}");
            let calls = http.calls();
            assert_eq!(calls[0].outcome, UpstreamOutcome::TooLarge);
        }
        let url = upstream(vec![b'y'; 1000], true).await;
        let small = capability(&url, 256 * 1024)
            .request(HttpRequest {
                method: "GET".into(),
                url: format!("{url}/small?token=abc"),
                ..HttpRequest::default()
            })
            .await
            .expect("answer");
        assert_eq!((small.status, small.body.len()), (200, 1000));
    }

    #[tokio::test]
    async fn logged_calls_never_show_query_values() {
        let url = upstream(b"{}".to_vec(), false).await;
        let http = capability(&url, 1024);
        let _ = http
            .request(HttpRequest {
                method: "get".into(),
                url: format!("{url}/x?token=s3cr3t"),
                ..HttpRequest::default()
            })
            .await;
        let call = &http.calls()[0];
        assert_eq!(call.method, "GET");
        assert!(call.url.ends_with("/x?token=…") && !call.url.contains("s3cr3t"), "{}", call.url);
    }
}
