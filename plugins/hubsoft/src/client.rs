//! Hubsoft's transport: the OAuth2 password grant with the token cached in the host's kv and
//! granted once however many calls need it (`kv::cached`/`kv::replace`), Bearer requests
//! refreshed once on a 401, and the `{"status":"error","msg":...}` envelope
//! (ERPS.md §3.2, §3.3).

use std::time::Duration;

pub(crate) use ponte_pdk::helpers::{array, document_key, says_not_found, text};
pub(crate) use ponte_pdk::http::Reply;
use ponte_pdk::http::{Request, Response};
use ponte_pdk::kv::Fresh;
use ponte_pdk::serde_json::{Value, json};
use ponte_pdk::{Error, config, kv, log};

/// A connection to one Hubsoft, from the connection's settings.
pub(crate) struct Hubsoft {
    /// `https://api.<isp>.hubsoft.com.br`, without a trailing `/`.
    base: String,
    client_id: String,
    client_secret: String,
    username: String,
    password: String,
}

/// How much earlier than `expires_in` the cached token is dropped: a tenth, between 1 s and 5 min.
pub(crate) fn cache_ttl(expires_in: u64) -> Option<Duration> {
    let margin = (expires_in / 10).clamp(1, 300);
    let ttl = expires_in.saturating_sub(margin);
    (ttl > 0).then(|| Duration::from_secs(ttl))
}

impl Hubsoft {
    /// Reads `base_url` and the four OAuth2 credentials.
    pub(crate) fn from_config() -> Result<Self, Error> {
        Ok(Hubsoft {
            base: config::require("base_url")?.trim().trim_end_matches('/').to_owned(),
            client_id: config::require("client_id")?.trim().to_owned(),
            client_secret: config::require("client_secret")?,
            username: config::require("username")?.trim().to_owned(),
            password: config::require("password")?,
        })
    }

    /// The kv key of the cached token: one per Hubsoft address, client and user, so a changed
    /// setting never reuses another account's token. No secret goes into it.
    fn token_key(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in format!("{}\n{}\n{}", self.base, self.client_id, self.username).bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("oauth.access_token.{hash:016x}")
    }

    /// The cached token, else a new one: one call of the connection asks for it while the
    /// others wait and reuse it (`kv::cached`), so a cold start under load logs in once.
    fn token(&self) -> Result<String, Error> {
        kv::cached(&self.token_key(), || self.grant())
    }

    /// `POST /oauth/token` (password grant): the token, to be cached a little under
    /// `expires_in` (a token living 1 s or less serves this call only: TTL 0, never stored).
    fn grant(&self) -> Result<Fresh, Error> {
        let body = json!({
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        });
        let response =
            Request::post(self.url("/oauth/token")).header("accept", "application/json").json(&body).send()?;
        match response.status {
            500.. => {
                return Err(Error::unavailable(format!("Hubsoft answered HTTP {} on /oauth/token", response.status)));
            }
            400..=499 => {
                // Only the error code: the body is Hubsoft's, but keep it out of logs anyway.
                let code = response.json::<Value>().ok().map(|b| text(&b["error"])).unwrap_or_default();
                return Err(Error::upstream(format!(
                    "Hubsoft refused the OAuth2 credentials (HTTP {} {code} on /oauth/token); check client_id, client_secret, username and password",
                    response.status
                )));
            }
            _ => {}
        }
        let answer: Value = response.json()?;
        let token = text(&answer["access_token"]);
        if token.is_empty() {
            let message = text(&answer["msg"]);
            return Err(Error::upstream(
                format!("Hubsoft's /oauth/token answered no access_token {message}").trim().to_owned(),
            ));
        }
        let expires_in = text(&answer["expires_in"]).parse::<u64>().unwrap_or(0);
        let ttl_seconds = match cache_ttl(expires_in) {
            Some(ttl) => u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX),
            None => {
                log::warn(format!("Hubsoft's token expires in {expires_in} s: not cached"));
                0
            }
        };
        log::debug(format!("Hubsoft granted a token (expires in {expires_in} s)"));
        Ok(Fresh { value: token, ttl_seconds: Some(ttl_seconds) })
    }

    /// Sends the request `build` makes with a token; on a 401 drops the cached token, asks for
    /// a new one and sends once more (ERPS.md §3.2: re-authenticate on any 401). A second 401
    /// is an error, never a loop.
    fn send(&self, what: &str, build: impl Fn(&str) -> Request) -> Result<Reply, Error> {
        let token = self.token()?;
        let mut response = build(&token).send()?;
        if response.status == 401 {
            log::info(format!("Hubsoft refused the cached token on {what}; authenticating again"));
            // Replaced once, however many calls were refused the same token at once.
            let renewed = kv::replace(&self.token_key(), &token, || self.grant())?;
            response = build(&renewed).send()?;
            if response.status == 401 {
                return Err(Error::upstream(format!("Hubsoft answered HTTP 401 on {what} even with a new token")));
            }
        }
        http_status(&response, what)?;
        envelope(response.json()?)
    }

    /// `GET /api/v1/integracao/{path}?query`.
    pub(crate) fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Reply, Error> {
        let url = self.url(&format!("/api/v1/integracao/{path}"));
        self.send(path, |token| {
            let mut request = Request::get(url.as_str()).header("accept", "application/json").bearer_auth(token);
            for (k, v) in query {
                request = request.query(*k, v.as_str());
            }
            request
        })
    }

    /// `POST /api/v1/integracao/{path}` with a JSON body.
    pub(crate) fn post(&self, path: &str, body: &Value) -> Result<Reply, Error> {
        let url = self.url(&format!("/api/v1/integracao/{path}"));
        self.send(path, |token| {
            Request::post(url.as_str()).header("accept", "application/json").bearer_auth(token).json(body)
        })
    }

    /// Downloads a document Hubsoft links to (a fatura's or a note's PDF; `what` names it in
    /// errors); a relative link is resolved against the base URL.
    pub(crate) fn download(&self, link: &str, what: &str) -> Result<Response, Error> {
        let url = if link.starts_with("http://") || link.starts_with("https://") {
            link.to_owned()
        } else {
            self.url(&format!("/{}", link.trim_start_matches('/')))
        };
        let response = Request::get(url).send()?;
        http_status(&response, what)?;
        Ok(response)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A 5xx is Hubsoft being down; a 4xx Hubsoft refusing.
fn http_status(response: &Response, what: &str) -> Result<(), Error> {
    match response.status {
        500.. => Err(Error::unavailable(format!("Hubsoft answered HTTP {} on {what}", response.status))),
        429 => Err(Error::unavailable(format!("Hubsoft is rate limiting (HTTP 429 on {what})"))),
        400..=499 => Err(Error::upstream(format!("Hubsoft answered HTTP {} on {what}", response.status))),
        _ => Ok(()),
    }
}

/// Business errors come as HTTP 200 `{"status":"error","msg":...}`; anything else is success
/// (documented examples spell it `"suscess"`).
pub(crate) fn envelope(body: Value) -> Result<Reply, Error> {
    if !body.is_object() {
        return Err(Error::upstream("Hubsoft answered something other than a JSON object"));
    }
    if text(&body["status"]).eq_ignore_ascii_case("error") {
        let mut message = text(&body["msg"]);
        if message.is_empty() {
            message = body["errors"].as_array().and_then(|e| e.first()).map(text).unwrap_or_default();
        }
        if message.is_empty() {
            message = "refused without a message".to_owned();
        }
        return Ok(Reply::Refused { service: "Hubsoft", message, body });
    }
    Ok(Reply::Ok(body))
}
