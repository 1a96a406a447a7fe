//! The host functions a Rhai script may call. Each is a thin adapter over a capability; the
//! behaviour (policy, limits, redaction) lives in `crate::capabilities`, once for every runtime.
//!
//! | function | what it does |
//! |---|---|
//! | `config(name)` | a setting of the connection (secrets too), or `()` when unset |
//! | `setting(name, fallback)` | a setting's trimmed text, or `fallback` when it is unset or blank |
//! | `http(request)` | an HTTP request (see below); returns `#{status, ok, headers, body}` |
//! | `parse_json(text)`, `to_json(value)` | JSON, numbers with fractions as decimals |
//! | `fail(code, message)` | ends the call with an error: `upstream_error`, `upstream_unavailable`, `upstream_timeout`, `not_found`, `not_implemented`, `rate_limited` |
//! | `kv_get(key)`, `kv_set(key, value[, ttl_seconds])`, `kv_delete(key)` | the connection's key-value store |
//! | `kv_cached(key, producer)` | the value under `key`; when absent, `producer` (a closure returning `#{value, ttl_seconds}` or a string; `ttl_seconds: 0` uses the value for this call only) makes it, one call of the connection at a time, the others wait and reuse it (`ponte_contract::single_flight`) |
//! | `kv_replace(key, stale, producer)` | the upstream refused `stale`: a new value, produced once; another call's replacement is reused |
//! | `kv_lock(name, wait_ms)`, `kv_unlock(name)` | the connection's named locks, under the two above (released when the call ends) |
//! | `log(msg)`, `log_warn(msg)`, `log_error(msg)`, `print(msg)` | log lines (redacted) |
//! | `now()`, `today()` | UTC now (RFC 3339), today's date in Brasília (`YYYY-MM-DD`) |
//!
//! The helpers that need no capability (text, normalizers, encodings) are the [prelude](super::prelude).
//!
//! `http` takes `#{method, url, headers: #{..}, query: #{..}, body, json, form: #{..},
//! timeout_ms, response: "text" | "base64"}`: `body` is sent as is (a map or array is sent as
//! JSON), `json` as JSON, `form` URL-encoded; the answer's `body` is text, or base64 with
//! `response: "base64"` (any other value is refused before sending), and its header names are
//! lower-case. A refusal or transport failure throws
//! `#{kind: "capability", code, message}` (`denied`, `timeout`, `unreachable`, `too_large`,
//! `invalid`, `limit`, `rate_limited`), which a script may catch; uncaught, the host maps it to
//! the caller's error. A host limit (`limit`: too many requests in one call, kv full;
//! `rate_limited`: the upstream's pace leaves no turn before the deadline) decides the caller's
//! answer even when the script catches it.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ponte_contract::single_flight::{self, Fresh, LockingKv, SingleFlightError};
use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext, Position};

use super::{CallContext, convert, current};
use crate::capabilities::CapabilityError;
use crate::capabilities::http::HttpRequest;
use crate::capabilities::log::Level;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// The most values `parse_json` reads from one text (about 50 MiB parsed, at most).
const MAX_JSON_VALUES: usize = 500_000;

pub(super) fn register(engine: &mut Engine) {
    engine.register_fn("config", |name: &str| -> RhaiResult<Dynamic> {
        let ctx = current()?;
        Ok(ctx.capabilities.config.get(name).map_or(Dynamic::UNIT, |v| Dynamic::from(v.to_owned())))
    });
    engine.register_fn("setting", |name: &str, fallback: Dynamic| -> RhaiResult<Dynamic> {
        let ctx = current()?;
        Ok(ctx
            .capabilities
            .config
            .get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map_or(fallback, |v| Dynamic::from(v.to_owned())))
    });
    engine.register_fn("http", http);
    engine.register_fn("parse_json", |text: &str| -> RhaiResult<Dynamic> {
        // Parsing is one operation: a 16 MiB text of tiny values would expand twentyfold before
        // any limit saw it. Every value but the first follows a `,`, `[` or `{`, so counting those
        // bounds the values (and the memory) before parsing.
        let values = text.bytes().filter(|b| matches!(b, b',' | b'[' | b'{')).count();
        if values > MAX_JSON_VALUES {
            return Err(runtime_error(format!("parse_json: more than {MAX_JSON_VALUES} values")));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| runtime_error(format!("parse_json: not JSON ({e})")))?;
        Ok(convert::to_dynamic(&value))
    });
    engine.register_fn("to_json", |value: Dynamic| -> RhaiResult<String> {
        convert::to_json(&value).map(|v| v.to_string()).map_err(|e| runtime_error(e.to_string()))
    });
    engine.register_fn("fail", |code: &str, message: &str| -> RhaiResult<()> { Err(plugin_error(code, message)) });
    engine.register_fn("kv_get", |key: &str| -> RhaiResult<Dynamic> {
        let ctx = current()?;
        let value = ctx.wait(ctx.capabilities.kv.get(key), Clone::clone).map_err(throw)?;
        Ok(value.map_or(Dynamic::UNIT, Dynamic::from))
    });
    engine.register_fn("kv_set", |key: &str, value: &str| -> RhaiResult<()> {
        let ctx = current()?;
        ctx.wait(ctx.capabilities.kv.set(key, value, None), Clone::clone).map_err(throw)
    });
    engine.register_fn("kv_set", |key: &str, value: &str, ttl_seconds: i64| -> RhaiResult<()> {
        let ctx = current()?;
        let ttl = Duration::from_secs(u64::try_from(ttl_seconds).map_err(|_| runtime_error("kv_set: negative ttl"))?);
        ctx.wait(ctx.capabilities.kv.set(key, value, Some(ttl)), Clone::clone).map_err(throw)
    });
    engine.register_fn("kv_delete", |key: &str| -> RhaiResult<bool> {
        let ctx = current()?;
        ctx.wait(ctx.capabilities.kv.delete(key), Clone::clone).map_err(throw)
    });
    engine.register_fn("kv_lock", |name: &str, wait_ms: i64| -> RhaiResult<bool> {
        let wait = Duration::from_millis(u64::try_from(wait_ms).map_err(|_| runtime_error("kv_lock: negative wait"))?);
        let ctx = current()?;
        ctx.wait(ctx.capabilities.kv.lock(name, wait), Clone::clone).map_err(throw)
    });
    engine.register_fn("kv_unlock", |name: &str| -> RhaiResult<bool> {
        let ctx = current()?;
        ctx.wait(ctx.capabilities.kv.unlock(name), Clone::clone).map_err(throw)
    });
    engine.register_fn("kv_cached", |context: NativeCallContext, key: &str, producer: FnPtr| -> RhaiResult<String> {
        let kv = ScriptKv(current()?);
        single_flight::cached(&kv, key, single_flight::DEFAULT_WAIT_MS, || produce(&context, &producer))
            .map_err(single_flight_error)
    });
    engine.register_fn(
        "kv_replace",
        |context: NativeCallContext, key: &str, stale: &str, producer: FnPtr| -> RhaiResult<String> {
            let kv = ScriptKv(current()?);
            single_flight::replace(&kv, key, stale, single_flight::DEFAULT_WAIT_MS, || produce(&context, &producer))
                .map_err(single_flight_error)
        },
    );
    for (name, level) in [("log", Level::Info), ("log_warn", Level::Warn), ("log_error", Level::Error)] {
        engine.register_fn(name, move |message: &str| -> RhaiResult<()> {
            current()?.capabilities.log.write(level, message);
            Ok(())
        });
    }
    engine.register_fn("now", || -> RhaiResult<String> { Ok(current()?.capabilities.clock.now().to_rfc3339()) });
    engine.register_fn("today", || -> RhaiResult<String> { Ok(current()?.capabilities.clock.today()) });
    super::prelude::register(engine);
    register_size_guards(engine);
}

/// Rhai checks a value's size after the operation that made it: a single `replace`, `split` or
/// `to_chars` on a string at the size limit could allocate gigabytes before the check (or the
/// memory budget, checked between operations) sees it. These replace the built-ins of the same
/// name (the engine's own functions are found before its packages') with versions that compute
/// the result's size first and refuse past the engine's limits.
fn register_size_guards(engine: &mut Engine) {
    use super::{MAX_ARRAY, MAX_STRING};
    use rhai::{Array, ImmutableString};

    fn replaced(text: &str, find: &str, with: &str) -> RhaiResult<ImmutableString> {
        let grows_by = with.len().saturating_sub(find.len());
        let size = text.len().saturating_add(text.matches(find).count().saturating_mul(grows_by));
        if size > MAX_STRING {
            return Err(runtime_error(format!("replace: the result would be longer than {MAX_STRING} bytes")));
        }
        Ok(text.replace(find, with).into())
    }
    fn pieces(count: usize, what: &str) -> RhaiResult<()> {
        if count > MAX_ARRAY {
            return Err(runtime_error(format!("{what}: the result would have more than {MAX_ARRAY} items")));
        }
        Ok(())
    }
    fn strings<'a>(parts: impl Iterator<Item = &'a str>) -> Array {
        parts.map(|p| Dynamic::from(p.to_owned())).collect()
    }

    engine.register_fn("replace", |text: &mut ImmutableString, find: &str, with: &str| -> RhaiResult<()> {
        *text = replaced(text, find, with)?;
        Ok(())
    });
    engine.register_fn("replace", |text: &mut ImmutableString, find: &str, with: char| -> RhaiResult<()> {
        *text = replaced(text, find, with.encode_utf8(&mut [0; 4]))?;
        Ok(())
    });
    engine.register_fn("replace", |text: &mut ImmutableString, find: char, with: &str| -> RhaiResult<()> {
        *text = replaced(text, find.encode_utf8(&mut [0; 4]), with)?;
        Ok(())
    });
    engine.register_fn("to_chars", |text: ImmutableString| -> RhaiResult<Array> {
        pieces(text.chars().count(), "to_chars")?;
        Ok(text.chars().map(Dynamic::from_char).collect())
    });
    engine.register_fn("split", |text: ImmutableString| -> RhaiResult<Array> {
        pieces(text.split_whitespace().count(), "split")?;
        Ok(strings(text.split_whitespace()))
    });
    engine.register_fn("split", |text: ImmutableString, delimiter: &str| -> RhaiResult<Array> {
        // As the built-in: an empty text, or one without the delimiter, is one piece.
        if text.is_empty() || (!delimiter.is_empty() && !text.contains(delimiter)) {
            return Ok(vec![Dynamic::from(text)]);
        }
        pieces(text.matches(delimiter).count().saturating_add(1), "split")?;
        Ok(strings(text.split(delimiter)))
    });
    engine.register_fn("split", |text: ImmutableString, delimiter: char| -> RhaiResult<Array> {
        pieces(text.matches(delimiter).count().saturating_add(1), "split")?;
        Ok(strings(text.split(delimiter)))
    });
    engine.register_fn("split", |text: ImmutableString, delimiter: &str, segments: i64| -> RhaiResult<Array> {
        let segments = usize::try_from(segments.max(1)).unwrap_or(usize::MAX);
        pieces(text.matches(delimiter).count().saturating_add(1).min(segments), "split")?;
        Ok(strings(text.splitn(segments, delimiter)))
    });
    engine.register_fn("split", |text: ImmutableString, delimiter: char, segments: i64| -> RhaiResult<Array> {
        let segments = usize::try_from(segments.max(1)).unwrap_or(usize::MAX);
        pieces(text.matches(delimiter).count().saturating_add(1).min(segments), "split")?;
        Ok(strings(text.splitn(segments, delimiter)))
    });
}

fn http(request: Map) -> RhaiResult<Map> {
    let ctx = current()?;
    let text = |key: &str| request.get(key).filter(|v| !v.is_unit()).map(|v| v.to_string());
    let method = text("method").unwrap_or_else(|| "GET".into());
    let mut url = url::Url::parse(&text("url").ok_or_else(|| runtime_error("http: `url` is required"))?)
        .map_err(|e| runtime_error(format!("http: bad url ({e})")))?;
    if let Some(query) = request.get("query").and_then(|q| q.read_lock::<Map>()).filter(|q| !q.is_empty()) {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query.iter() {
            pairs.append_pair(k, &v.to_string());
        }
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(map) = request.get("headers").and_then(|h| h.read_lock::<Map>()) {
        headers.extend(map.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    }
    let has_header =
        |headers: &[(String, String)], name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut body = Vec::new();
    let json_body = request.get("json").or_else(|| request.get("body").filter(|b| b.is_map() || b.is_array()));
    if let Some(value) = json_body {
        let json = convert::to_json(value).map_err(|e| runtime_error(format!("http: {e}")))?;
        body = json.to_string().into_bytes();
        if !has_header(&headers, "content-type") {
            headers.push(("content-type".into(), "application/json".into()));
        }
    } else if let Some(form) = request.get("form").and_then(|f| f.read_lock::<Map>()) {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in form.iter() {
            serializer.append_pair(k, &v.to_string());
        }
        body = serializer.finish().into_bytes();
        if !has_header(&headers, "content-type") {
            headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        }
    } else if let Some(b) = text("body") {
        body = b.into_bytes();
    }
    let timeout = match request.get("timeout_ms").map(|t| t.as_int()) {
        Some(Ok(ms)) => Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0))),
        Some(Err(_)) => return Err(runtime_error("http: `timeout_ms` must be an integer")),
        None => None,
    };
    let as_base64 = match text("response").as_deref() {
        None | Some("text") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(runtime_error(format!(
                "http: `response` must be \"text\" (the default) or \"base64\" (binary bodies, a PDF), not {other:?}"
            )));
        }
    };
    let request = HttpRequest { method, url: url.to_string(), headers, body, timeout };
    ctx.wait(ctx.capabilities.http.request(request), |answer| match answer {
        Ok(response) => Ok(response_map(response, as_base64)),
        Err(error) => Err(throw(error.clone())),
    })
}

/// An upstream's answer as the script sees it: `#{status, ok, headers, body}`.
fn response_map(response: &crate::capabilities::http::HttpResponse, as_base64: bool) -> Map {
    let mut out = Map::new();
    out.insert("status".into(), Dynamic::from_int(i64::from(response.status)));
    out.insert("ok".into(), Dynamic::from_bool((200..300).contains(&response.status)));
    let mut headers = Map::new();
    for (k, v) in &response.headers {
        headers.insert(k.as_str().into(), Dynamic::from(v.clone()));
    }
    out.insert("headers".into(), Dynamic::from_map(headers));
    let body =
        if as_base64 { STANDARD.encode(&response.body) } else { String::from_utf8_lossy(&response.body).into_owned() };
    out.insert("body".into(), Dynamic::from(body));
    out
}

/// The kv of the call running on this thread, for the single-flight protocol.
struct ScriptKv(Arc<CallContext>);

impl LockingKv for ScriptKv {
    type Error = CapabilityError;

    fn get(&self, key: &str) -> Result<Option<String>, CapabilityError> {
        self.0.wait(self.0.capabilities.kv.get(key), Clone::clone)
    }

    fn set(&self, key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), CapabilityError> {
        let ttl = ttl_seconds.map(|s| Duration::from_secs(u64::from(s)));
        self.0.wait(self.0.capabilities.kv.set(key, value, ttl), Clone::clone)
    }

    fn lock(&self, name: &str, wait_ms: u32) -> Result<bool, CapabilityError> {
        self.0.wait(self.0.capabilities.kv.lock(name, Duration::from_millis(u64::from(wait_ms))), Clone::clone)
    }

    fn unlock(&self, name: &str) -> Result<bool, CapabilityError> {
        self.0.wait(self.0.capabilities.kv.unlock(name), Clone::clone)
    }
}

/// Runs a script's producer: it answers `#{value, ttl_seconds}` (`ttl_seconds` optional) or the
/// value alone, as text.
fn produce(context: &NativeCallContext, producer: &FnPtr) -> RhaiResult<Fresh> {
    let made: Dynamic = producer.call_within_context(context, ())?;
    if let Some(map) = made.read_lock::<Map>() {
        let value = map
            .get("value")
            .filter(|v| v.is_string())
            .map(ToString::to_string)
            .ok_or_else(|| runtime_error("kv producer: `value` must be a string"))?;
        let ttl_seconds = match map.get("ttl_seconds").filter(|t| !t.is_unit()).map(Dynamic::as_int) {
            None => None,
            Some(Ok(seconds)) if seconds < 0 => return Err(runtime_error("kv producer: negative `ttl_seconds`")),
            Some(Ok(seconds)) => Some(u32::try_from(seconds).unwrap_or(u32::MAX)),
            Some(Err(_)) => return Err(runtime_error("kv producer: `ttl_seconds` must be an integer")),
        };
        return Ok(Fresh { value, ttl_seconds });
    }
    if made.is_string() {
        return Ok(Fresh { value: made.to_string(), ttl_seconds: None });
    }
    Err(runtime_error("kv producer: return #{value, ttl_seconds} or a string"))
}

fn single_flight_error(error: SingleFlightError<CapabilityError, Box<EvalAltResult>>) -> Box<EvalAltResult> {
    match error {
        SingleFlightError::Kv(e) => throw(e),
        busy @ SingleFlightError::Busy { .. } => plugin_error("upstream_unavailable", &busy.to_string()),
        SingleFlightError::Produce(e) => e,
    }
}

/// What `fail(code, message)` throws.
fn plugin_error(code: &str, message: &str) -> Box<EvalAltResult> {
    let mut map = Map::new();
    map.insert("kind".into(), Dynamic::from("plugin"));
    map.insert("code".into(), Dynamic::from(code.to_owned()));
    map.insert("message".into(), Dynamic::from(message.to_owned()));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from_map(map), Position::NONE))
}

pub(super) fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE))
}

/// A capability error as the script sees it: a map it may catch and inspect.
fn throw(error: CapabilityError) -> Box<EvalAltResult> {
    let (code, message) = match &error {
        CapabilityError::Denied(m) => ("denied", m.clone()),
        CapabilityError::Timeout => ("timeout", String::new()),
        CapabilityError::Unreachable(m) => ("unreachable", m.clone()),
        CapabilityError::TooLarge(n) => ("too_large", n.to_string()),
        CapabilityError::Invalid(m) => ("invalid", m.clone()),
        CapabilityError::Storage => ("storage", String::new()),
        CapabilityError::Limit(m) => ("limit", m.clone()),
        CapabilityError::RateLimited(wait) => {
            ("rate_limited", wait.map(|w| w.as_millis().to_string()).unwrap_or_default())
        }
    };
    let mut map = Map::new();
    map.insert("kind".into(), Dynamic::from("capability"));
    map.insert("code".into(), Dynamic::from(code));
    map.insert("message".into(), Dynamic::from(message));
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from_map(map), Position::NONE))
}

/// The inverse of [`throw`], for an uncaught capability error.
pub(super) fn capability_error_from(code: &str, message: String) -> CapabilityError {
    match code {
        "denied" => CapabilityError::Denied(message),
        "timeout" => CapabilityError::Timeout,
        "unreachable" => CapabilityError::Unreachable(message),
        "too_large" => CapabilityError::TooLarge(message.parse().unwrap_or(0)),
        "storage" => CapabilityError::Storage,
        "limit" => CapabilityError::Limit(message),
        "rate_limited" => CapabilityError::RateLimited(message.parse().ok().map(Duration::from_millis)),
        _ => CapabilityError::Invalid(message),
    }
}
