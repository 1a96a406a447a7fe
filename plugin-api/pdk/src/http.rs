//! Outbound HTTP through the host: a small request builder over the WIT `http.send` import.
//!
//! The host enforces the plugin manifest's `hosts` allowlist, refuses internal addresses the
//! tenant has not allowed, caps the answer's size and bounds every request by the call's
//! deadline. A 4xx or 5xx is an answer ([`Response`]), not an error; [`HttpError`] means there
//! is no answer at all.
//!
//! ```no_run
//! use std::time::Duration;
//! use ponte_pdk::http::Request;
//!
//! # fn demo() -> Result<(), ponte_pdk::Error> {
//! let reply = Request::post("https://erp.example.com/api/ura/titulos/")
//!     .form(&[("token", "t0k3n"), ("app", "ponte"), ("cpfcnpj", "71460238001")])
//!     .timeout(Duration::from_secs(10))
//!     .send()?
//!     .error_for_status()?;
//! let body: serde_json::Value = reply.json()?;
//! # let _ = body;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::ponte::plugin::http as wit;
use crate::error::Error;

/// An answer that passed the HTTP checks, as ERPs that report business errors inside an HTTP
/// 200 give it (`{"status": "error", "msg": ...}` and the like): accepted, or refused with the
/// service's message and its whole body.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The service accepted the request: its whole JSON answer.
    Ok(serde_json::Value),
    /// The service refused it.
    Refused {
        /// The service's name, for messages (`"SGP"`, `"Hubsoft"`).
        service: &'static str,
        /// Its message.
        message: String,
        /// Its whole answer.
        body: serde_json::Value,
    },
}

impl Reply {
    /// The answer, or [`Error::UpstreamError`] with the service's message when it refused.
    ///
    /// # Errors
    /// [`Error::UpstreamError`] for a refusal.
    pub fn accepted(self) -> Result<serde_json::Value, Error> {
        match self {
            Reply::Ok(value) => Ok(value),
            Reply::Refused { service, message, .. } => Err(Error::upstream(format!("{service}: {message}"))),
        }
    }
}

/// An HTTP request, built step by step and sent with [`Request::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    /// The URL as given, without the pairs added by [`Request::query`].
    url: String,
    /// Query pairs appended to the URL when the request is sent, in order.
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Option<Duration>,
    /// Why a builder step failed (a value that could not be serialized to JSON); `send`
    /// returns it as [`HttpError::Invalid`] instead of sending.
    error: Option<String>,
}

impl Request {
    /// A request with any method (`"GET"`, `"POST"`, ...) to an absolute `http(s)` URL.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: None,
            error: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new("GET", url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        Request::new("POST", url)
    }

    /// A `PUT` request.
    pub fn put(url: impl Into<String>) -> Self {
        Request::new("PUT", url)
    }

    /// A `PATCH` request.
    pub fn patch(url: impl Into<String>) -> Self {
        Request::new("PATCH", url)
    }

    /// A `DELETE` request.
    pub fn delete(url: impl Into<String>) -> Self {
        Request::new("DELETE", url)
    }

    /// Adds a header (after any others of the same name).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a query pair, percent-encoded (`application/x-www-form-urlencoded`) and appended to
    /// the URL's own query when sent.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the body to `value` as JSON, and `content-type: application/json` unless a
    /// content type was set.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => self.body = body,
            Err(e) => self.error = Some(format!("the JSON body could not be serialized: {e}")),
        }
        self.default_content_type("application/json")
    }

    /// Sets the body to `pairs`, URL-encoded, and `content-type:
    /// application/x-www-form-urlencoded` unless a content type was set.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        self.body = encode_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))).into_bytes();
        self.default_content_type("application/x-www-form-urlencoded")
    }

    /// Sets the body as is (set the content type with [`Request::header`]).
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = bytes.into();
        self
    }

    /// Bounds this request (rounded up to whole milliseconds); the call's deadline still wins.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds `authorization: Basic base64(user:password)`.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        self.header("authorization", basic_auth(user, password))
    }

    /// Adds `authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// Sends the request through the host and waits for the whole answer.
    ///
    /// # Errors
    /// An [`HttpError`] when there is no answer: the host's policy refused the request, the
    /// upstream timed out or could not be reached, the answer was over the host's size cap, or
    /// the request is malformed. `?` turns it into the matching [`Error`].
    pub fn send(self) -> Result<Response, HttpError> {
        if let Some(reason) = self.error {
            return Err(HttpError::Invalid(reason));
        }
        crate::host::http_send(&self)
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The URL that is sent: the given URL with the [`query`](Request::query) pairs appended
    /// (before any `#fragment`).
    pub fn url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let (base, fragment) = match self.url.split_once('#') {
            Some((base, fragment)) => (base, Some(fragment)),
            None => (self.url.as_str(), None),
        };
        let separator = match base.find('?') {
            None => "?",
            Some(i) if i + 1 == base.len() || base.ends_with('&') => "",
            Some(_) => "&",
        };
        let pairs = encode_pairs(self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match fragment {
            Some(fragment) => format!("{base}{separator}{pairs}#{fragment}"),
            None => format!("{base}{separator}{pairs}"),
        }
    }

    /// The headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header (the name compared case-insensitively).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The per-request timeout, if set.
    pub fn timeout_value(&self) -> Option<Duration> {
        self.timeout
    }

    fn default_content_type(self, content_type: &str) -> Self {
        if self.header_value("content-type").is_some() { self } else { self.header("content-type", content_type) }
    }

    /// The WIT record the host receives.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn to_wit(&self) -> wit::Request {
        wit::Request {
            method: self.method.clone(),
            url: self.url(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            timeout_ms: self.timeout.map(|t| {
                let ms = t.as_millis() + u128::from(t.subsec_nanos() % 1_000_000 != 0);
                u32::try_from(ms).unwrap_or(u32::MAX)
            }),
        }
    }
}

/// An upstream's answer: any status, the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case, as the host gives them) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as received.
    pub body: Vec<u8>,
}

impl Response {
    /// Parses the body as JSON (a leading UTF-8 byte-order mark is ignored).
    ///
    /// # Errors
    /// [`Error::UpstreamError`] when the body is not the JSON `T` expects: the ERP answered
    /// something its API does not document (an HTML error page, a truncated body).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let body = self.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.body);
        serde_json::from_slice(body).map_err(|e| {
            Error::UpstreamError(format!(
                "the answer (HTTP {}) is not the JSON expected: {e}; it starts with {:?}",
                self.status,
                excerpt(body)
            ))
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of a header (the name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The response if its status is below 400; otherwise the error for the caller: a 5xx is
    /// [`Error::UpstreamUnavailable`], a 4xx [`Error::UpstreamError`].
    ///
    /// # Errors
    /// As above, with the status in the message.
    pub fn error_for_status(self) -> Result<Self, Error> {
        match self.status {
            500.. => Err(Error::UpstreamUnavailable(format!("the ERP answered HTTP {}", self.status))),
            400..=499 => Err(Error::UpstreamError(format!("the ERP answered HTTP {}", self.status))),
            _ => Ok(self),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn from_wit(response: wit::Response) -> Self {
        Response { status: response.status, headers: response.headers, body: response.body }
    }
}

/// Why a request got no answer: the cases of the WIT `http.error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The host's policy refused the request (a host not in the manifest, an internal address);
    /// the text says which rule.
    Denied(String),
    /// The upstream did not answer in time, or the call's deadline passed.
    Timeout,
    /// The upstream could not be reached (DNS, connection refused, TLS).
    Unreachable(String),
    /// The answer exceeded the host's size cap (bytes).
    TooLarge(u64),
    /// The request is malformed (bad URL, header or method, a body that could not be built).
    Invalid(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Denied(m) => write!(f, "request refused by the host: {m}"),
            HttpError::Timeout => f.write_str("the upstream did not answer in time"),
            HttpError::Unreachable(m) => write!(f, "the upstream could not be reached: {m}"),
            HttpError::TooLarge(n) => write!(f, "the answer exceeded {n} bytes"),
            HttpError::Invalid(m) => write!(f, "invalid request: {m}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<wit::Error> for HttpError {
    fn from(error: wit::Error) -> Self {
        match error {
            wit::Error::Denied(m) => HttpError::Denied(m),
            wit::Error::Timeout => HttpError::Timeout,
            wit::Error::Unreachable(m) => HttpError::Unreachable(m),
            wit::Error::TooLarge(n) => HttpError::TooLarge(n),
            wit::Error::Invalid(m) => HttpError::Invalid(m),
        }
    }
}

/// The value of an `authorization` header for HTTP Basic: `Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// `application/x-www-form-urlencoded` encoding of `pairs` (`a=1&b=x+y`).
pub fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        encode_component(name, &mut out);
        out.push('=');
        encode_component(value, &mut out);
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` text into its pairs (invalid escapes are kept
/// as they are; invalid UTF-8 is replaced).
pub fn decode_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn encode_component(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
    }
}

fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).and_then(|&h| hex(h)), bytes.get(i + 2).and_then(|&l| hex(l))) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The first characters of a body, for error messages.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(64)]).chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_pairs_are_encoded_and_appended_before_the_fragment() {
        let request =
            Request::get("https://erp.example.com/api/x").query("cpf", "714.602.380-01").query("q", "a b&c=d/é");
        assert_eq!(request.url(), "https://erp.example.com/api/x?cpf=714.602.380-01&q=a+b%26c%3Dd%2F%C3%A9");
        let request = Request::get("https://e.com/x?token=1#top").query("app", "ponte");
        assert_eq!(request.url(), "https://e.com/x?token=1&app=ponte#top");
        assert_eq!(Request::get("https://e.com/x?").query("a", "1").url(), "https://e.com/x?a=1");
        assert_eq!(Request::get("https://e.com/x").url(), "https://e.com/x");
    }

    #[test]
    fn json_body_sets_the_content_type_unless_one_was_given() {
        let request = Request::post("https://e.com").json(&json!({"contrato": 308, "tipoclassificacoes": [5]}));
        assert_eq!(request.header_value("Content-Type"), Some("application/json"));
        assert_eq!(request.body_bytes(), br#"{"contrato":308,"tipoclassificacoes":[5]}"#);
        let request = Request::post("https://e.com").header("content-type", "application/vnd.x+json").json(&[1, 2]);
        assert_eq!(request.headers(), [("content-type".to_owned(), "application/vnd.x+json".to_owned())]);
    }

    #[test]
    fn form_body_is_url_encoded_and_round_trips() {
        let request =
            Request::post("https://e.com").form(&[("token", "a+b/c"), ("nome", "João da Silva"), ("vazio", "")]);
        assert_eq!(request.header_value("content-type"), Some("application/x-www-form-urlencoded"));
        let body = std::str::from_utf8(request.body_bytes()).expect("ascii");
        assert_eq!(body, "token=a%2Bb%2Fc&nome=Jo%C3%A3o+da+Silva&vazio=");
        assert_eq!(
            decode_pairs(body),
            [
                ("token".into(), "a+b/c".into()),
                ("nome".into(), "João da Silva".into()),
                ("vazio".into(), String::new())
            ]
        );
        assert_eq!(decode_pairs("a=%zz&b=%4"), [("a".into(), "%zz".into()), ("b".into(), "%4".into())]);
    }

    #[test]
    fn the_wit_record_carries_method_url_headers_body_and_timeout() {
        let request = Request::post("https://e.com/p")
            .query("a", "1")
            .bearer_auth("xyz")
            .body(b"raw".to_vec())
            .timeout(Duration::from_micros(1500));
        let wit = request.to_wit();
        assert_eq!(wit.method, "POST");
        assert_eq!(wit.url, "https://e.com/p?a=1");
        assert_eq!(wit.headers, [("authorization".to_owned(), "Bearer xyz".to_owned())]);
        assert_eq!(wit.body, b"raw");
        assert_eq!(wit.timeout_ms, Some(2), "rounded up");
        assert_eq!(
            Request::get("https://e.com").timeout(Duration::from_secs(u64::MAX)).to_wit().timeout_ms,
            Some(u32::MAX)
        );
        assert_eq!(Request::get("https://e.com").to_wit().timeout_ms, None);
    }

    #[test]
    fn basic_auth_is_the_standard_header() {
        assert_eq!(basic_auth("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let request = Request::get("https://e.com").basic_auth("u", "p");
        assert_eq!(request.header_value("Authorization"), Some("Basic dTpw"));
    }

    #[test]
    fn a_body_that_cannot_be_serialized_is_an_invalid_request_not_a_send() {
        let mut map = std::collections::BTreeMap::new();
        map.insert((1, 2), "tuple keys are not JSON");
        assert!(matches!(Request::post("https://e.com").json(&map).send(), Err(HttpError::Invalid(_))));
    }

    #[test]
    fn response_helpers() {
        let response = Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"\xEF\xBB\xBF{\"status\":1}".to_vec(),
        };
        assert_eq!(response.header("Content-Type"), Some("application/json"));
        assert_eq!(response.json::<serde_json::Value>(), Ok(json!({"status": 1})));
        assert!(response.is_success());

        let html = Response { status: 200, headers: vec![], body: b"<html><body>Erro interno</body></html>".to_vec() };
        assert!(matches!(html.json::<serde_json::Value>(), Err(Error::UpstreamError(m)) if m.contains("<html>")));
        assert_eq!(html.text(), "<html><body>Erro interno</body></html>");
    }

    #[test]
    fn error_for_status_maps_5xx_and_4xx() {
        let with = |status| Response { status, headers: vec![], body: vec![] }.error_for_status();
        assert!(with(200).is_ok());
        assert!(with(302).is_ok());
        assert!(matches!(with(503), Err(Error::UpstreamUnavailable(m)) if m.contains("503")));
        assert!(matches!(with(401), Err(Error::UpstreamError(m)) if m.contains("401")));
    }

    #[test]
    fn wit_errors_cross_into_http_errors() {
        assert_eq!(HttpError::from(wit::Error::Timeout), HttpError::Timeout);
        assert_eq!(HttpError::from(wit::Error::TooLarge(9)), HttpError::TooLarge(9));
        assert_eq!(HttpError::from(wit::Error::Denied("x".into())), HttpError::Denied("x".into()));
    }
}
