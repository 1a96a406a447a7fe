//! A fake host, for an adapter's native unit tests (`cargo test` on the build machine).
//!
//! On wasm the capability wrappers call the host's imports; on any other target they call the
//! [`FakeHost`] that [`FakeHost::run`] installs on the current thread. Outside `run` they
//! panic: a native build has no host.
//!
//! ```
//! use ponte_pdk::http::{HttpError, Request};
//! use ponte_pdk::testing::{FakeHost, json_response};
//! use ponte_pdk::{config, Error};
//!
//! fn fetch_status() -> Result<i64, Error> {
//!     let base = config::require("base_url")?;
//!     let reply = Request::get(format!("{base}/status")).send()?.error_for_status()?;
//!     let body: serde_json::Value = reply.json()?;
//!     Ok(body["status"].as_i64().unwrap_or(0))
//! }
//!
//! let host = FakeHost::new()
//!     .setting("base_url", "https://erp.example.com")
//!     .on_http(|request| {
//!         assert_eq!(request.url(), "https://erp.example.com/status");
//!         Ok(json_response(200, serde_json::json!({"status": 1})))
//!     });
//! let (result, host) = host.run(fetch_status);
//! assert_eq!(result, Ok(1));
//! assert_eq!(host.requests.len(), 1);
//!
//! let (result, _) = FakeHost::new()
//!     .setting("base_url", "https://erp.example.com")
//!     .on_http(|_| Err(HttpError::Timeout))
//!     .run(fetch_status);
//! assert_eq!(result, Err(Error::UpstreamTimeout));
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::http::{HttpError, Request, Response};
use crate::log::Level;

/// What a fake upstream answers to each request.
pub type Responder = Box<dyn FnMut(&Request) -> Result<Response, HttpError>>;

/// The host a plugin sees in native tests: settings, a kv store, a clock, a log and an HTTP
/// responder, all in memory. Fields are public so a test can inspect what the plugin did.
pub struct FakeHost {
    /// What `config::get` answers.
    pub config: BTreeMap<String, String>,
    /// The kv store's values.
    pub kv: BTreeMap<String, String>,
    /// The TTL (seconds) each kv value was last set with.
    pub kv_ttls: BTreeMap<String, Option<u32>>,
    /// The kv locks the plugin holds.
    pub kv_locks: BTreeSet<String>,
    /// kv locks "another call" holds for the whole run: `kv::lock` on them answers `false`.
    pub kv_busy: BTreeSet<String>,
    /// How many times the plugin took a kv lock.
    pub kv_locks_taken: u32,
    /// Every log line written, in order.
    pub logs: Vec<(Level, String)>,
    /// Every HTTP request sent, in order.
    pub requests: Vec<Request>,
    /// What `clock::now` answers (default `2026-05-15T12:00:00Z`).
    pub now: String,
    /// What `clock::today` answers (default `2026-05-15`).
    pub today: String,
    /// Answers HTTP requests; `None` answers every request with [`HttpError::Unreachable`].
    responder: Option<Responder>,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost::new()
    }
}

impl fmt::Debug for FakeHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeHost")
            .field("config", &self.config.keys().collect::<Vec<_>>())
            .field("kv", &self.kv)
            .field("logs", &self.logs.len())
            .field("requests", &self.requests.len())
            .field("now", &self.now)
            .field("today", &self.today)
            .finish_non_exhaustive()
    }
}

impl FakeHost {
    /// An empty host: no settings, no kv values, no upstream.
    pub fn new() -> Self {
        FakeHost {
            config: BTreeMap::new(),
            kv: BTreeMap::new(),
            kv_ttls: BTreeMap::new(),
            kv_locks: BTreeSet::new(),
            kv_busy: BTreeSet::new(),
            kv_locks_taken: 0,
            logs: Vec::new(),
            requests: Vec::new(),
            now: "2026-05-15T12:00:00Z".to_owned(),
            today: "2026-05-15".to_owned(),
            responder: None,
        }
    }

    /// Sets a setting.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.config.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sets what answers HTTP requests.
    pub fn on_http(mut self, responder: impl FnMut(&Request) -> Result<Response, HttpError> + 'static) -> Self {
        self.responder = Some(Box::new(responder));
        self
    }

    /// Sets the clock: `now` (RFC 3339) and `today` (`YYYY-MM-DD`).
    pub fn clock(mut self, now: &str, today: &str) -> Self {
        self.now = now.to_owned();
        self.today = today.to_owned();
        self
    }

    /// Runs `f` with this host installed on the current thread, then gives the host back (with
    /// what the plugin did: requests, logs, kv).
    ///
    /// # Panics
    /// When a host is already installed on this thread (runs don't nest). A panic in `f`
    /// uninstalls the host and propagates.
    pub fn run<R>(self, f: impl FnOnce() -> R) -> (R, FakeHost) {
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            assert!(current.is_none(), "ponte_pdk::testing: FakeHost::run does not nest");
            *current = Some(self);
        });
        struct Uninstall;
        impl Drop for Uninstall {
            fn drop(&mut self) {
                // `try_with`: the thread-local may already be gone when a thread unwinds.
                let _ = CURRENT.try_with(|current| current.borrow_mut().take());
            }
        }
        let guard = Uninstall;
        let result = f();
        let host = CURRENT.with(|current| current.borrow_mut().take()).expect("installed above");
        drop(guard);
        (result, host)
    }
}

/// A response with a JSON body and `content-type: application/json`.
pub fn json_response(status: u16, body: serde_json::Value) -> Response {
    Response {
        status,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: body.to_string().into_bytes(),
    }
}

/// A response with a text body (`text/html` when it starts with `<`, else `text/plain`).
pub fn text_response(status: u16, body: &str) -> Response {
    let content_type = if body.trim_start().starts_with('<') { "text/html" } else { "text/plain" };
    Response {
        status,
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body: body.as_bytes().to_vec(),
    }
}

/// A request's URL-encoded form body (or query string, when the body is empty) as a map; the
/// last value of a repeated name wins.
pub fn form_fields(request: &Request) -> BTreeMap<String, String> {
    let text = if request.body_bytes().is_empty() {
        request.url().split_once('?').map(|(_, q)| q.split('#').next().unwrap_or("").to_owned()).unwrap_or_default()
    } else {
        String::from_utf8_lossy(request.body_bytes()).into_owned()
    };
    crate::http::decode_pairs(&text).into_iter().collect()
}

thread_local! {
    static CURRENT: RefCell<Option<FakeHost>> = const { RefCell::new(None) };
}

/// Runs `f` on the installed host.
///
/// # Panics
/// When no host is installed (a capability used outside [`FakeHost::run`]).
pub(crate) fn with_current<R>(f: impl FnOnce(&mut FakeHost) -> R) -> R {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        let host = current.as_mut().unwrap_or_else(|| {
            panic!("ponte_pdk: a host capability was used outside a Ponte host; in native tests, use testing::FakeHost::run")
        });
        f(host)
    })
}

/// Records the request and asks the responder, which runs with the host released (so it may
/// inspect nothing but the request, and can't deadlock on the host).
pub(crate) fn send(request: &Request) -> Result<Response, HttpError> {
    let responder = with_current(|host| {
        host.requests.push(request.clone());
        host.responder.take()
    });
    let Some(mut responder) = responder else {
        return Err(HttpError::Unreachable("the FakeHost has no HTTP responder".to_owned()));
    };
    let answer = responder(request);
    with_current(|host| host.responder = Some(responder));
    answer
}
