//! Whole upstream exchanges, for plugin authors' tools: `ponte invoke` prints them, `ponte
//! plugin test --replay` answers a plugin's requests from them instead of the network.
//!
//! A connection's [`Upstream`](super::Upstream) has no tap in production (the invocation log
//! keeps only method, URL, status and duration). With a [`Tap`] set, every request the policy
//! lets through is kept in full, redacted (the connection's secrets in every form the redactor
//! knows, in text and binary bodies alike, and credential headers whatever they hold; a token
//! the upstream mints and returns in a JSON body is no configured secret and is kept), and may
//! be answered by the tap instead of
//! the network: from recorded exchanges, matched on method and URL in order, or with a failure.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::{HttpRequest, HttpResponse};
use crate::capabilities::CapabilityError;
use crate::secret::{REDACTED, Redactor};

/// Headers whose values are credentials, redacted whatever they hold (a session token the
/// upstream minted is no configured secret, yet must not land in a fixture from a header).
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-api-token",
    "api-key",
    "apikey",
    "token",
    "x-token",
    "x-auth-token",
    "x-access-token",
];

/// One request and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the plugin sent.
    pub request: RecordedRequest,
    /// The upstream's answer, when one came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    /// Why there was no answer (`timeout`, `unreachable: ...`), when none came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A request as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The whole URL, query included, redacted.
    pub url: String,
    /// Headers as sent, redacted.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(default, flatten)]
    pub body: Body,
}

/// A response as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// Status code.
    pub status: u16,
    /// Headers (names lower-cased), redacted.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(default, flatten)]
    pub body: Body,
}

/// A body: text when it is UTF-8, base64 otherwise (a PDF).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// The body as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, when it is not text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

impl Body {
    fn of(bytes: &[u8], redactor: &Redactor) -> Body {
        match std::str::from_utf8(bytes) {
            Ok("") => Body::default(),
            Ok(text) => Body { body: Some(redactor.redact(text)), body_base64: None },
            // Not UTF-8 (a PDF, a Latin-1 answer of a PHP ERP): redacted through its Latin-1
            // view, where every byte is one character, so the bytes that are no secret are kept
            // exactly.
            Err(_) => {
                let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
                let redacted = redactor.redact(&latin1);
                let bytes: Vec<u8> = redacted.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect();
                Body { body: None, body_base64: Some(STANDARD.encode(bytes)) }
            }
        }
    }

    /// The bytes.
    ///
    /// # Errors
    /// When `body_base64` is not base64.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        match (&self.body, &self.body_base64) {
            (_, Some(encoded)) => STANDARD.decode(encoded).map_err(|_| "`body_base64` is not base64".to_owned()),
            (Some(text), None) => Ok(text.clone().into_bytes()),
            (None, None) => Ok(Vec::new()),
        }
    }
}

fn headers(headers: &[(String, String)], redactor: &Redactor) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                REDACTED.to_owned()
            } else {
                redactor.redact(value)
            };
            (name.clone(), value)
        })
        .collect()
}

impl Exchange {
    /// One exchange, redacted.
    pub fn new(
        method: &str,
        url: &url::Url,
        request: &HttpRequest,
        result: Result<&HttpResponse, &CapabilityError>,
        redactor: &Redactor,
    ) -> Exchange {
        let request = RecordedRequest {
            method: method.to_owned(),
            url: redactor.redact(url.as_str()),
            headers: headers(&request.headers, redactor),
            body: Body::of(&request.body, redactor),
        };
        match result {
            Ok(response) => Exchange {
                request,
                response: Some(RecordedResponse {
                    status: response.status,
                    headers: headers(&response.headers, redactor),
                    body: Body::of(&response.body, redactor),
                }),
                error: None,
            },
            Err(error) => Exchange { request, response: None, error: Some(redactor.redact(&error.to_string())) },
        }
    }
}

/// A connection's tap: every exchange is kept (redacted); requests may be answered here instead
/// of the network, from recorded exchanges ([`Tap::replay`]) or with a failure
/// ([`Tap::fail_with`]) to see what a plugin makes of an upstream in trouble.
#[derive(Debug, Default)]
pub struct Tap {
    kept: Mutex<Vec<Exchange>>,
    answers: Mutex<Answers>,
}

/// What a stand-in upstream is: a function from a request (method, URL, body) to its answer.
pub type Respond = dyn Fn(&str, &url::Url, &[u8]) -> HttpResponse + Send + Sync;

/// A stand-in upstream: answers requests without the network.
#[derive(Clone)]
pub struct Responder(pub Arc<Respond>);

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder")
    }
}

/// Where a tapped connection's answers come from.
#[derive(Debug, Default)]
enum Answers {
    /// The network.
    #[default]
    Network,
    /// Recorded exchanges, each used once, in order; a request made more often than recorded
    /// gets the last matching answer again; a request with none is `unreachable`.
    Replay { exchanges: Vec<Exchange>, used: Vec<bool> },
    /// Every request fails this way, nothing is sent.
    Fail(Failure),
    /// A stand-in upstream answers.
    Serve(Responder),
}

/// How an upstream in trouble answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Every request is answered with this status and an HTML error page.
    Status(u16),
    /// No request connects.
    Unreachable,
    /// Every request times out.
    Timeout,
}

impl Tap {
    /// A tap that sends to the network.
    pub fn new() -> Tap {
        Tap::default()
    }

    /// From now on, answers from `exchanges` instead of the network.
    pub fn replay(&self, exchanges: Vec<Exchange>) {
        let used = vec![false; exchanges.len()];
        *lock(&self.answers) = Answers::Replay { exchanges, used };
    }

    /// From now on, every request fails with `failure`.
    pub fn fail_with(&self, failure: Failure) {
        *lock(&self.answers) = Answers::Fail(failure);
    }

    /// From now on, `responder` answers every request instead of the network.
    pub fn serve(&self, responder: Responder) {
        *lock(&self.answers) = Answers::Serve(responder);
    }

    /// From now on, requests go to the network.
    pub fn use_network(&self) {
        *lock(&self.answers) = Answers::Network;
    }

    /// Every exchange kept so far, and forgets them.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *lock(&self.kept))
    }

    pub(super) fn keep(&self, exchange: Exchange) {
        lock(&self.kept).push(exchange);
    }

    /// The answer to a request when it does not go to the network (its URL redacted as
    /// recording redacted it): `None` when it does.
    pub(super) fn answer(
        &self,
        method: &str,
        url: &url::Url,
        redacted_url: &str,
        body: &[u8],
    ) -> Option<Result<HttpResponse, CapabilityError>> {
        let mut answers = lock(&self.answers);
        match &mut *answers {
            Answers::Network => None,
            Answers::Serve(responder) => Some(Ok((responder.0)(method, url, body))),
            Answers::Fail(Failure::Status(status)) => Some(Ok(HttpResponse {
                status: *status,
                headers: vec![("content-type".into(), "text/html".into())],
                body: format!("<html><body><h1>Error {status}</h1><p>Internal error</p></body></html>").into_bytes(),
            })),
            Answers::Fail(Failure::Unreachable) => Some(Err(CapabilityError::Unreachable("connection refused".into()))),
            Answers::Fail(Failure::Timeout) => Some(Err(CapabilityError::Timeout)),
            Answers::Replay { exchanges, used } => Some(replayed(exchanges, used, method, redacted_url)),
        }
    }
}

fn replayed(
    exchanges: &[Exchange],
    used: &mut [bool],
    method: &str,
    url: &str,
) -> Result<HttpResponse, CapabilityError> {
    let matches = |e: &Exchange| e.request.method == method && e.request.url == url;
    let found = exchanges
        .iter()
        .enumerate()
        .find(|(i, e)| !used[*i] && matches(e))
        .or_else(|| exchanges.iter().enumerate().rev().find(|(_, e)| matches(e)));
    let Some((index, exchange)) = found else {
        return Err(CapabilityError::Unreachable(format!("no recorded exchange for {method} {url}")));
    };
    used[index] = true;
    match (&exchange.response, &exchange.error) {
        (Some(response), _) => Ok(HttpResponse {
            status: response.status,
            headers: response.headers.clone(),
            body: response.body.bytes().map_err(CapabilityError::Invalid)?,
        }),
        (None, error) => {
            Err(CapabilityError::Unreachable(error.clone().unwrap_or_else(|| "no answer recorded".into())))
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn secrets_and_credential_headers_never_reach_an_exchange() {
        let redactor = Redactor::new([&Secret::new("s3cr3t-token")]);
        let request = HttpRequest {
            method: "POST".into(),
            url: String::new(),
            headers: vec![("Authorization".into(), "Basic whatever".into()), ("X-Token".into(), "s3cr3t-token".into())],
            body: b"{\"token\":\"s3cr3t-token\"}".to_vec(),
            timeout: None,
        };
        let url = url::Url::parse("https://erp.example/api?key=s3cr3t-token&q=1").expect("url");
        let response = HttpResponse {
            status: 200,
            headers: vec![("set-cookie".into(), "session=abc".into())],
            body: [b"\xff\x00 s3cr3t-token ".as_slice(), &[0xe3]].concat(),
        };
        let exchange = Exchange::new("POST", &url, &request, Ok(&response), &redactor);
        let text = serde_json::to_string(&exchange).expect("json");
        assert!(!text.contains("s3cr3t") && !text.contains("whatever") && !text.contains("abc"), "{text}");
        let back: Exchange = serde_json::from_str(&text).expect("round trip");
        assert_eq!(back, exchange);
        assert_eq!(
            back.response.expect("response").body.bytes(),
            Ok([b"\xff\x00 *** ".as_slice(), &[0xe3]].concat()),
            "a binary body keeps its bytes, not the secret"
        );
    }

    #[test]
    fn replay_answers_in_order_and_names_what_it_lacks() {
        let answer = |status| Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: "https://erp/x".into(),
                headers: vec![],
                body: Body::default(),
            },
            response: Some(RecordedResponse { status, headers: vec![], body: Body::default() }),
            error: None,
        };
        let tap = Tap::new();
        let url = url::Url::parse("https://erp/x").expect("url");
        assert!(tap.answer("GET", &url, "https://erp/x", b"").is_none(), "the network by default");
        tap.replay(vec![answer(401), answer(200)]);
        let status = |tap: &Tap, method| {
            tap.answer(method, &url, "https://erp/x", b"").expect("not the network").map(|r| r.status)
        };
        assert_eq!(status(&tap, "GET"), Ok(401));
        assert_eq!(status(&tap, "GET"), Ok(200));
        assert_eq!(status(&tap, "GET"), Ok(200));
        let missing = status(&tap, "POST").expect_err("none");
        assert!(missing.to_string().contains("no recorded exchange for POST https://erp/x"), "{missing}");
        tap.fail_with(Failure::Status(503));
        assert_eq!(status(&tap, "GET"), Ok(503));
        tap.fail_with(Failure::Timeout);
        assert_eq!(status(&tap, "GET"), Err(CapabilityError::Timeout));
    }
}
