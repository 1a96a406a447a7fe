//! SGP's transport: base URL, the two auth methods, form/JSON/query requests, and the answer's
//! envelope (`HTTP 200` with `{"status":0,"msg":"..."}` for a business error).

pub(crate) use ponte_pdk::helpers::{array, document_key, says_not_found, text};
pub(crate) use ponte_pdk::http::Reply;
use ponte_pdk::http::{Request, Response};
use ponte_pdk::serde_json::{Map, Value};
use ponte_pdk::{Error, config};

/// How requests authenticate (ERPS.md §2.2).
enum Auth {
    /// `token` + `app` next to the other parameters: in the body of a POST (form or JSON), in
    /// the query string of a GET. SGP's recommended method.
    Token { token: String, app: String },
    /// HTTP Basic with an SGP user's login and password.
    Basic { header: String },
}

/// A connection to one SGP, from the connection's settings.
pub(crate) struct Sgp {
    /// `https://<isp>.sgp.net.br`, without a trailing `/`.
    base: String,
    auth: Auth,
}

impl Sgp {
    /// Reads `base_url` and the credentials: `token` + `app`, else `username` + `password`.
    pub(crate) fn from_config() -> Result<Self, Error> {
        let base = config::require("base_url")?.trim().trim_end_matches('/').to_owned();
        let setting = |name: &str| config::get(name).filter(|v| !v.trim().is_empty());
        let auth = match (setting("token"), setting("app"), setting("username"), setting("password")) {
            (Some(token), Some(app), _, _) => Auth::Token { token, app },
            (Some(_), None, _, _) => return Err(Error::failed("the setting `app` must accompany `token`")),
            (None, _, Some(user), Some(password)) => {
                Auth::Basic { header: ponte_pdk::helpers::basic_auth(&user, &password) }
            }
            _ => return Err(Error::failed("configure `token` and `app`, or `username` and `password`")),
        };
        Ok(Sgp { base, auth })
    }

    /// `POST path` with `fields` URL-encoded (what most SGP clients send).
    pub(crate) fn post_form(&self, path: &str, fields: &[(&str, String)]) -> Result<Reply, Error> {
        let mut pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = match &self.auth {
            Auth::Token { token, app } => {
                pairs.push(("token", token));
                pairs.push(("app", app));
                Request::post(self.url(path))
            }
            Auth::Basic { header } => Request::post(self.url(path)).header("authorization", header.as_str()),
        };
        self.send(path, request.form(&pairs))
    }

    /// `POST path` with `body` as JSON (`/api/ura/chamado/` takes arrays; JSON is what every
    /// client agrees `liberacaopromessa` accepts).
    pub(crate) fn post_json(&self, path: &str, mut body: Map<String, Value>) -> Result<Reply, Error> {
        let request = match &self.auth {
            Auth::Token { token, app } => {
                body.insert("token".into(), Value::String(token.clone()));
                body.insert("app".into(), Value::String(app.clone()));
                Request::post(self.url(path))
            }
            Auth::Basic { header } => Request::post(self.url(path)).header("authorization", header.as_str()),
        };
        self.send(path, request.json(&body))
    }

    /// `GET path?query` (token and app in the query string).
    pub(crate) fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Reply, Error> {
        let mut request = Request::get(self.url(path));
        for (k, v) in query {
            request = request.query(*k, v.as_str());
        }
        let request = match &self.auth {
            Auth::Token { token, app } => request.query("token", token.as_str()).query("app", app.as_str()),
            Auth::Basic { header } => request.header("authorization", header.as_str()),
        };
        self.send(path, request)
    }

    /// Downloads a document SGP links to (a boleto), with the connection's Basic credentials
    /// when it uses them. A relative link is resolved against the base URL.
    pub(crate) fn download(&self, link: &str) -> Result<Response, Error> {
        let url = if link.starts_with("http://") || link.starts_with("https://") {
            link.to_owned()
        } else {
            self.url(&format!("/{}", link.trim_start_matches('/')))
        };
        let request = match &self.auth {
            Auth::Basic { header } => Request::get(url).header("authorization", header.as_str()),
            Auth::Token { .. } => Request::get(url),
        };
        let response = request.send()?;
        http_status(&response, "the boleto link")?;
        Ok(response)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn send(&self, path: &str, request: Request) -> Result<Reply, Error> {
        let response = request.send()?;
        http_status(&response, path)?;
        envelope(response.json()?)
    }
}

/// A 5xx is SGP being down; a 4xx SGP refusing (401/403: the credentials).
fn http_status(response: &Response, what: &str) -> Result<(), Error> {
    match response.status {
        500.. => Err(Error::unavailable(format!("SGP answered HTTP {} on {what}", response.status))),
        401 | 403 => Err(Error::upstream(format!(
            "SGP refused the credentials (HTTP {} on {what}); check the token and app",
            response.status
        ))),
        400..=499 => Err(Error::upstream(format!("SGP answered HTTP {} on {what}", response.status))),
        _ => Ok(()),
    }
}

/// SGP's business errors come as HTTP 200: `{"status":0,"msg":"..."}`, on some endpoints
/// `status: false` or `success: false`.
fn envelope(body: Value) -> Result<Reply, Error> {
    let refused = match &body {
        Value::Object(map) => {
            let status_refuses = match map.get("status") {
                Some(Value::Number(n)) => n.as_i64() == Some(0),
                Some(Value::Bool(b)) => !b,
                Some(Value::String(s)) => s.trim() == "0",
                _ => false,
            };
            status_refuses || map.get("success") == Some(&Value::Bool(false))
        }
        _ => false,
    };
    if !refused {
        return Ok(Reply::Ok(body));
    }
    let message = ["msg", "message", "mensagem", "erro", "error"]
        .iter()
        .map(|key| text(&body[*key]))
        .find(|m| !m.is_empty())
        .unwrap_or_else(|| "refused without a message".to_owned());
    Ok(Reply::Refused { service: "SGP", message, body })
}

/// The first non-empty text among `keys` of `record` (SGP's key spelling drifts: `contratoId`
/// / `contrato` / `id`, `codigoPix` / `codigopix`).
pub(crate) fn first(record: &Value, keys: &[&str]) -> String {
    keys.iter().map(|key| text(&record[*key])).find(|t| !t.is_empty()).unwrap_or_default()
}
