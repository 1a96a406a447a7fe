//! Plugin manifests: `plugins/<name>/plugin.toml`.
//!
//! ```toml
//! name = "ixc"
//! version = "0.1.0"
//! runtime = "rhai"                 # or "wasm" (WebAssembly component)
//! entry = "main.rhai"              # default: main.rhai / plugin.wasm
//! scripts = ["ixc/http.rhai"]      # Rhai: more files of the plugin's folder, compiled with the entry
//! description = "IXC Soft (IXC Provedor) webservice v1"
//! functions = ["list_invoices", "get_invoice"]
//! hosts = ["{base_url}"]           # outbound allowlist; {setting} takes a setting's origin
//! money_integers = "reais"         # how the ERP's JSON integers in money fields are read ("cents")
//!
//! [settings.base_url]
//! description = "https://ixc.example.com"
//!
//! [settings.token]
//! secret = true                    # must be given by reference; redacted everywhere
//!
//! [quotas.document_creations]      # an upstream limit the host enforces (see crate::quota)
//! functions = ["create_order"]     # each successful call uses one unit
//! limit = 200                      # per tenant connection (the upstream account) and period
//! period = "month"                 # "day" or "month", calendar, in Brasília time
//! description = "DocSales allows 200 document creations a month per account"
//!
//! [limits]
//! memory_mib = 64                  # memory one call may use (default 64, at most the host's 128)
//!
//! [rate_limit]                     # the upstream's request rate per tenant connection; the host
//! requests = 10                    # paces requests to it (within each call's deadline)
//! per = "1s"
//! burst = 10                       # default: `requests`
//!
//! [passthrough]                    # the raw API an admin may call (off unless the host allows it)
//! base = "{base_url}/webservice/v1" # templated with {setting}s; under the declared hosts
//! paths = ["/cliente", "/fn_areceber"] # path prefixes under `base` (default: everything)
//! methods = ["GET", "POST"]        # default: GET
//! auth = { basic = { user = "{user_id}", password = "{token}" } }  # or bearer = "{token}",
//!                                  # or header = { name = "X-Api-Key", value = "{token}" }
//! headers = { ixcsoft = "listar" } # sent on every request; callers can't change them
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ponte_contract::Function;
use ponte_contract::normalize::money::IntegerUnit;
use serde::{Deserialize, Serialize};

pub use crate::ratelimit::RateLimitSpec;

/// The memory one call may use when its manifest says nothing (`[limits] memory_mib`), in bytes; both runtimes apply it.
pub const DEFAULT_MEMORY: usize = 64 * 1024 * 1024;
/// The most memory a manifest may give one call.
pub const MAX_MEMORY: usize = 128 * 1024 * 1024;
use toml::Spanned;

use super::ConfigError;

/// Which runtime runs a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeKind {
    /// A Rhai script.
    Rhai,
    /// A WebAssembly component.
    Wasm,
}

/// A setting a plugin needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingSpec {
    /// What it is, for the operator.
    pub description: String,
    /// Whether an automation must give it (default true unless there is a default).
    pub required: bool,
    /// Whether it is a secret (must be a reference; redacted everywhere).
    pub secret: bool,
    /// The value when the automation gives none.
    pub default: Option<String>,
}

/// A validated plugin manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Plugin name (also its folder's name).
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Runtime.
    pub runtime: RuntimeKind,
    /// The code's path.
    pub entry: PathBuf,
    /// A Rhai plugin's other script files, compiled with the entry as one script.
    pub scripts: Vec<PathBuf>,
    /// One line for operators.
    pub description: String,
    /// The functions it implements.
    pub functions: Vec<Function>,
    /// Outbound host patterns, possibly templated with `{setting}`.
    pub hosts: Vec<String>,
    /// The settings it needs.
    pub settings: BTreeMap<String, SettingSpec>,
    /// How its JSON integers in money fields are read.
    pub integer_money: IntegerUnit,
    /// Upstream quotas the host tracks for it, by name.
    pub quotas: BTreeMap<String, QuotaSpec>,
    /// Memory one call may use, in bytes.
    pub memory: usize,
    /// The upstream's request rate, per tenant connection, when it declares one.
    pub rate_limit: Option<RateLimitSpec>,
    /// The raw API an admin may call through the host, when the plugin offers one.
    pub passthrough: Option<PassthroughSpec>,
    /// The manifest file (for messages).
    pub file: PathBuf,
}

/// The raw API a plugin lets admins call through the host
/// (`POST /v1/admin/tenants/{tenant}/passthrough`, [`crate::operator::passthrough`]): for what the
/// contract doesn't cover yet, with the connection's credentials and egress policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassthroughSpec {
    /// The base URL, templated with `{setting}`s.
    pub base: String,
    /// Path prefixes under `base` that may be called.
    pub paths: Vec<String>,
    /// Methods that may be used, upper case.
    pub methods: Vec<String>,
    /// How each request authenticates, templated with `{setting}`s.
    pub auth: PassthroughAuth,
    /// Headers the host sends on every request, templated with `{setting}`s; a caller can't
    /// change them (IXC's `ixcsoft = "listar"` keeps every request a listing).
    pub headers: BTreeMap<String, String>,
}

/// How a passthrough request carries the connection's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassthroughAuth {
    /// Nothing.
    None,
    /// HTTP Basic.
    Basic {
        /// The user name template.
        user: String,
        /// The password template.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// One header.
    Header {
        /// Its name.
        name: String,
        /// Its value template.
        value: String,
    },
}

/// Methods a passthrough may allow.
const PASSTHROUGH_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPassthrough {
    base: Spanned<String>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    methods: Vec<Spanned<String>>,
    auth: Option<Spanned<RawPassthroughAuth>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPassthroughAuth {
    basic: Option<RawBasic>,
    bearer: Option<String>,
    header: Option<RawHeader>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasic {
    user: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    value: String,
}

/// The `{setting}` names a template uses.
pub(crate) fn template_names(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

/// `template` with each `{setting}` replaced by `value(setting)`.
///
/// # Errors
/// The first setting `value` has nothing for.
pub(crate) fn fill_template<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        out.push_str(value(name).ok_or_else(|| format!("setting `{name}` is not set"))?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn passthrough(
    raw: &RawPassthrough,
    settings: &BTreeMap<String, SettingSpec>,
    errors: &mut Vec<ConfigError>,
    at: &dyn Fn(std::ops::Range<usize>, &str, String) -> ConfigError,
) -> Option<PassthroughSpec> {
    let before = errors.len();
    let known = |errors: &mut Vec<ConfigError>, template: &str, span: std::ops::Range<usize>, field: &str| {
        for name in template_names(template) {
            if !settings.contains_key(name) {
                errors.push(at(span.clone(), field, format!("`{{{name}}}` is not one of the plugin's settings")));
            }
        }
    };
    known(errors, raw.base.get_ref(), raw.base.span(), "passthrough.base");
    let auth_span = raw.auth.as_ref().map(Spanned::span).unwrap_or_else(|| raw.base.span());
    let auth = match raw.auth.as_ref().map(Spanned::get_ref) {
        None => PassthroughAuth::None,
        Some(RawPassthroughAuth { basic: Some(b), bearer: None, header: None }) => {
            known(errors, &b.user, auth_span.clone(), "passthrough.auth.basic.user");
            known(errors, &b.password, auth_span.clone(), "passthrough.auth.basic.password");
            PassthroughAuth::Basic { user: b.user.clone(), password: b.password.clone() }
        }
        Some(RawPassthroughAuth { basic: None, bearer: Some(token), header: None }) => {
            known(errors, token, auth_span.clone(), "passthrough.auth.bearer");
            PassthroughAuth::Bearer(token.clone())
        }
        Some(RawPassthroughAuth { basic: None, bearer: None, header: Some(h) }) => {
            known(errors, &h.value, auth_span.clone(), "passthrough.auth.header.value");
            if h.name.is_empty() || !h.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                errors.push(at(auth_span.clone(), "passthrough.auth.header.name", "expected a header name".into()));
            }
            PassthroughAuth::Header { name: h.name.clone(), value: h.value.clone() }
        }
        Some(_) => {
            errors.push(at(auth_span, "passthrough.auth", "give one of basic, bearer or header".into()));
            PassthroughAuth::None
        }
    };
    let mut paths = Vec::new();
    for path in &raw.paths {
        let text = path.get_ref();
        if !text.starts_with('/') || text.contains("..") || text.contains('?') || text.contains('#') {
            errors.push(at(path.span(), "passthrough.paths", format!("`{text}`: expected a path starting with /")));
        }
        paths.push(text.clone());
    }
    if paths.is_empty() {
        paths.push("/".to_owned());
    }
    let mut methods = Vec::new();
    for method in &raw.methods {
        let upper = method.get_ref().to_ascii_uppercase();
        if !PASSTHROUGH_METHODS.contains(&upper.as_str()) {
            errors.push(at(
                method.span(),
                "passthrough.methods",
                format!("`{}`: expected {}", method.get_ref(), PASSTHROUGH_METHODS.join(", ")),
            ));
        }
        methods.push(upper);
    }
    if methods.is_empty() {
        methods.push("GET".to_owned());
    }
    for (name, value) in &raw.headers {
        known(errors, value, raw.base.span(), "passthrough.headers");
        let lower = name.to_ascii_lowercase();
        let valid = !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid || lower == "authorization" {
            let why = format!("`{name}`: expected a header name (credentials go in `auth`)");
            errors.push(at(raw.base.span(), "passthrough.headers", why));
        }
    }
    let headers = raw.headers.clone();
    (errors.len() == before).then(|| PassthroughSpec {
        base: raw.base.get_ref().clone(),
        paths,
        methods,
        auth,
        headers,
    })
}

/// When a quota resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaPeriod {
    /// Every calendar day.
    Day,
    /// Every calendar month.
    Month,
}

impl FromStr for QuotaPeriod {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "day" => Ok(QuotaPeriod::Day),
            "month" => Ok(QuotaPeriod::Month),
            other => Err(format!("`{other}`: expected day or month")),
        }
    }
}

/// An upstream quota a plugin declares: successful calls of `functions` each use one unit, at
/// most `limit` per tenant connection and `period`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaSpec {
    /// The functions that use it.
    pub functions: Vec<Function>,
    /// Units per period.
    pub limit: u32,
    /// When it resets.
    pub period: QuotaPeriod,
    /// What it is, for operators and callers.
    pub description: String,
}

impl Manifest {
    /// The quota `function` uses, with its name.
    pub fn quota_of(&self, function: Function) -> Option<(&str, &QuotaSpec)> {
        self.quotas.iter().find(|(_, q)| q.functions.contains(&function)).map(|(name, q)| (name.as_str(), q))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuota {
    functions: Vec<Spanned<String>>,
    limit: Spanned<i64>,
    period: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    memory_mib: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    requests: Spanned<i64>,
    per: Spanned<String>,
    burst: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Spanned<String>,
    version: Spanned<String>,
    runtime: Spanned<String>,
    entry: Option<Spanned<String>>,
    #[serde(default)]
    scripts: Vec<Spanned<String>>,
    #[serde(default)]
    description: String,
    functions: Vec<Spanned<String>>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    settings: BTreeMap<String, Spanned<RawSetting>>,
    money_integers: Option<Spanned<String>>,
    #[serde(default)]
    quotas: BTreeMap<String, Spanned<RawQuota>>,
    limits: Option<RawLimits>,
    rate_limit: Option<Spanned<RawRateLimit>>,
    passthrough: Option<RawPassthrough>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSetting {
    #[serde(default)]
    description: String,
    required: Option<bool>,
    #[serde(default)]
    secret: bool,
    default: Option<String>,
}

/// Loads and validates `dir/plugin.toml`.
///
/// # Errors
/// Every problem found, each with file, line and field.
pub fn load(dir: &Path) -> Result<Manifest, Vec<ConfigError>> {
    let file = dir.join("plugin.toml");
    let source =
        std::fs::read_to_string(&file).map_err(|e| vec![ConfigError::file(&file, format!("cannot read: {e}"))])?;
    parse(&file, &source)
}

/// Parses and validates a manifest's text.
///
/// # Errors
/// Every problem found.
pub fn parse(file: &Path, source: &str) -> Result<Manifest, Vec<ConfigError>> {
    let raw: RawManifest = toml::from_str(source).map_err(|e| vec![ConfigError::toml(file, source, &e)])?;
    let mut errors = Vec::new();
    let at = |span: std::ops::Range<usize>, field: &str, message: String| {
        ConfigError::at(file, source, Some(span), field, message)
    };

    let name = raw.name.get_ref().clone();
    if !is_identifier(&name, true) {
        errors.push(at(raw.name.span(), "name", "use lower-case letters, digits, `-` and `_`".into()));
    }
    if let Some(folder) = file.parent().and_then(Path::file_name).and_then(|n| n.to_str())
        && folder != name
        && is_identifier(&name, true)
    {
        errors.push(at(raw.name.span(), "name", format!("must match the plugin's folder `{folder}`")));
    }
    let version = raw.version.get_ref().clone();
    if version.is_empty()
        || !version.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        errors.push(at(raw.version.span(), "version", "expected a version like 0.1.0".into()));
    }
    let runtime = match raw.runtime.get_ref().as_str() {
        "rhai" => RuntimeKind::Rhai,
        "wasm" => RuntimeKind::Wasm,
        other => {
            errors.push(at(
                raw.runtime.span(),
                "runtime",
                format!("unknown runtime `{other}` (expected rhai or wasm)"),
            ));
            RuntimeKind::Rhai
        }
    };
    let default_entry = match runtime {
        RuntimeKind::Rhai => "main.rhai",
        RuntimeKind::Wasm => "plugin.wasm",
    };
    let entry_text = raw.entry.as_ref().map_or(default_entry, |e| e.get_ref().as_str());
    if entry_text.contains("..") || Path::new(entry_text).is_absolute() {
        let span = raw.entry.as_ref().map(Spanned::span).unwrap_or(0..0);
        errors.push(at(span, "entry", "must be a path inside the plugin's folder".into()));
    }
    let folder = file.parent().unwrap_or(Path::new("."));
    let entry = folder.join(entry_text);
    let mut scripts = Vec::new();
    for script in &raw.scripts {
        let text = script.get_ref();
        if runtime != RuntimeKind::Rhai {
            errors.push(at(script.span(), "scripts", "only a Rhai plugin has script files".into()));
        } else if text.contains("..") || Path::new(text).is_absolute() || !text.ends_with(".rhai") {
            errors.push(at(script.span(), "scripts", "each must be a `.rhai` file inside the plugin's folder".into()));
        } else if scripts.contains(&folder.join(text)) || folder.join(text) == entry {
            errors.push(at(script.span(), "scripts", format!("`{text}` is listed twice")));
        } else {
            scripts.push(folder.join(text));
        }
    }

    let mut functions = Vec::new();
    for f in &raw.functions {
        match f.get_ref().parse::<Function>() {
            Ok(function) if functions.contains(&function) => {
                errors.push(at(f.span(), "functions", format!("`{function}` is listed twice")));
            }
            Ok(function) => functions.push(function),
            Err(_) => {
                errors.push(at(f.span(), "functions", format!("`{}` is not a function of the contract", f.get_ref())))
            }
        }
    }
    if raw.functions.is_empty() {
        errors.push(ConfigError::at(file, source, None, "functions", "a plugin implements at least one function"));
    }

    let mut settings = BTreeMap::new();
    for (key, setting) in &raw.settings {
        if !is_identifier(key, false) {
            errors.push(at(
                setting.span(),
                &format!("settings.{key}"),
                "use lower-case letters, digits and `_`".into(),
            ));
        }
        let s = setting.get_ref();
        if s.secret && s.default.is_some() {
            errors.push(at(setting.span(), &format!("settings.{key}.default"), "a secret can't have a default".into()));
        }
        settings.insert(
            key.clone(),
            SettingSpec {
                description: s.description.clone(),
                required: s.required.unwrap_or(s.default.is_none()),
                secret: s.secret,
                default: s.default.clone(),
            },
        );
    }

    let mut hosts = Vec::new();
    for h in &raw.hosts {
        let text = h.get_ref();
        match template_setting(text) {
            Some(setting) if !settings.contains_key(setting) => {
                errors.push(at(h.span(), "hosts", format!("`{{{setting}}}` names no declared setting")));
            }
            Some(_) => {}
            None => {
                if let Err(e) = crate::capabilities::http::HostPattern::parse(text) {
                    errors.push(at(h.span(), "hosts", e));
                }
            }
        }
        hosts.push(text.clone());
    }

    let integer_money = match raw.money_integers.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
        None | Some(("reais", _)) => IntegerUnit::Reais,
        Some(("cents", _)) => IntegerUnit::Cents,
        Some((other, span)) => {
            errors.push(at(span, "money_integers", format!("`{other}`: expected reais or cents")));
            IntegerUnit::Reais
        }
    };

    let mut quotas: BTreeMap<String, QuotaSpec> = BTreeMap::new();
    for (name, quota) in &raw.quotas {
        let field = format!("quotas.{name}");
        if !is_identifier(name, false) {
            errors.push(at(quota.span(), &field, "use lower-case letters, digits and `_`".into()));
        }
        let q = quota.get_ref();
        let mut covered = Vec::new();
        for f in &q.functions {
            match f.get_ref().parse::<Function>() {
                Ok(function) if !functions.contains(&function) => errors.push(at(
                    f.span(),
                    &format!("{field}.functions"),
                    format!("`{function}` is not among the plugin's functions"),
                )),
                Ok(function) if quotas.values().any(|other| other.functions.contains(&function)) => errors.push(at(
                    f.span(),
                    &format!("{field}.functions"),
                    format!("`{function}` already uses another quota"),
                )),
                Ok(function) => covered.push(function),
                Err(_) => errors.push(at(
                    f.span(),
                    &format!("{field}.functions"),
                    format!("`{}` is not a function of the contract", f.get_ref()),
                )),
            }
        }
        if q.functions.is_empty() {
            errors.push(at(quota.span(), &format!("{field}.functions"), "a quota covers at least one function".into()));
        }
        let limit = match u32::try_from(*q.limit.get_ref()) {
            Ok(limit) if limit > 0 => limit,
            _ => {
                errors.push(at(q.limit.span(), &format!("{field}.limit"), "expected a whole number from 1".into()));
                1
            }
        };
        let period = match q.period.get_ref().parse() {
            Ok(period) => period,
            Err(e) => {
                errors.push(at(q.period.span(), &format!("{field}.period"), e));
                QuotaPeriod::Month
            }
        };
        quotas
            .insert(name.clone(), QuotaSpec { functions: covered, limit, period, description: q.description.clone() });
    }

    let memory = match raw.limits.as_ref().and_then(|l| l.memory_mib.as_ref()) {
        None => DEFAULT_MEMORY,
        Some(mib) => {
            let max = MAX_MEMORY / (1024 * 1024);
            match usize::try_from(*mib.get_ref()) {
                Ok(n) if (1..=max).contains(&n) => n * 1024 * 1024,
                _ => {
                    errors.push(at(
                        mib.span(),
                        "limits.memory_mib",
                        format!("expected a whole number from 1 to {max}"),
                    ));
                    DEFAULT_MEMORY
                }
            }
        }
    };

    let rate_limit = raw.rate_limit.as_ref().and_then(|spanned| {
        let r = spanned.get_ref();
        let positive =
            |value: &Spanned<i64>, field: &str, errors: &mut Vec<ConfigError>| match u32::try_from(*value.get_ref()) {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.push(at(value.span(), field, "expected a whole number from 1".into()));
                    None
                }
            };
        let requests = positive(&r.requests, "rate_limit.requests", &mut errors);
        let burst = match &r.burst {
            Some(burst) => positive(burst, "rate_limit.burst", &mut errors),
            None => requests,
        };
        let per = match humantime::parse_duration(r.per.get_ref()) {
            Ok(per) if per >= std::time::Duration::from_millis(1) && per <= std::time::Duration::from_secs(86_400) => {
                Some(per)
            }
            _ => {
                errors.push(at(
                    r.per.span(),
                    "rate_limit.per",
                    "expected a duration from 1ms to 24h, like \"1s\"".into(),
                ));
                None
            }
        };
        Some(RateLimitSpec { requests: requests?, per: per?, burst: burst? })
    });

    let passthrough = raw.passthrough.as_ref().and_then(|raw| passthrough(raw, &settings, &mut errors, &at));

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Manifest {
        name,
        version,
        runtime,
        entry,
        scripts,
        description: raw.description,
        functions,
        hosts,
        settings,
        integer_money,
        quotas,
        memory,
        rate_limit,
        passthrough,
        file: file.to_owned(),
    })
}

/// `{base_url}` → `Some("base_url")`.
pub(crate) fn template_setting(text: &str) -> Option<&str> {
    text.trim().strip_prefix('{')?.strip_suffix('}')
}

fn is_identifier(text: &str, allow_dash: bool) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (allow_dash && c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "ixc"
version = "0.1.0"
runtime = "rhai"
functions = ["list_invoices", "get_invoice"]
hosts = ["{base_url}"]

[settings.base_url]
description = "ERP address"

[settings.token]
secret = true
"#;

    fn file() -> PathBuf {
        PathBuf::from("plugins/ixc/plugin.toml")
    }

    #[test]
    fn a_good_manifest_loads() {
        let m = parse(&file(), GOOD).expect("valid");
        assert_eq!(m.functions, [Function::ListInvoices, Function::GetInvoice]);
        assert_eq!(m.entry, PathBuf::from("plugins/ixc/main.rhai"));
        assert!(m.settings["token"].secret && m.settings["token"].required);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let bad = GOOD.replace("\"get_invoice\"", "\"get_invoices\"").replace("{base_url}", "{base}");
        let errors = parse(&file(), &bad).expect_err("invalid");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "plugins/ixc/plugin.toml:5: `functions`: `get_invoices` is not a function of the contract",
                "plugins/ixc/plugin.toml:6: `hosts`: `{base}` names no declared setting",
            ]
        );
    }

    #[test]
    fn unknown_keys_and_syntax_errors_are_reported_with_their_line() {
        let errors = parse(&file(), &format!("{GOOD}\nbogus = 1\n")).expect_err("unknown key");
        assert!(errors[0].to_string().contains("unknown field `bogus`"), "{}", errors[0]);
        assert!(errors[0].line.is_some());
        let errors = parse(&file(), "name = ").expect_err("syntax");
        assert_eq!(errors[0].line, Some(1));
    }

    #[test]
    fn the_name_must_match_the_folder_and_entries_stay_inside_it() {
        let errors =
            parse(&file(), &GOOD.replace("name = \"ixc\"", "name = \"sgp\"\nentry = \"../x.rhai\"")).expect_err("bad");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn script_files_must_be_rhai_files_inside_the_folder_and_listed_once() {
        let m =
            parse(&file(), &GOOD.replace("runtime = \"rhai\"", "runtime = \"rhai\"\nscripts = [\"lib/http.rhai\"]"))
                .expect("valid");
        assert_eq!(m.scripts, [PathBuf::from("plugins/ixc/lib/http.rhai")]);
        for (scripts, words) in [
            ("[\"../x.rhai\"]", "inside the plugin's folder"),
            ("[\"notes.txt\"]", "`.rhai` file"),
            ("[\"a.rhai\", \"a.rhai\"]", "listed twice"),
            ("[\"main.rhai\"]", "listed twice"),
        ] {
            let text = GOOD.replace("runtime = \"rhai\"", &format!("runtime = \"rhai\"\nscripts = {scripts}"));
            let errors = parse(&file(), &text).expect_err(scripts);
            let said = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
            assert!(said.contains("`scripts`") && said.contains(words), "{scripts}: {said}");
        }
        let wasm = GOOD.replace("runtime = \"rhai\"", "runtime = \"wasm\"\nscripts = [\"a.rhai\"]");
        let said = parse(&file(), &wasm).expect_err("wasm").iter().map(ToString::to_string).collect::<String>();
        assert!(said.contains("only a Rhai plugin has script files"), "{said}");
    }

    #[test]
    fn limits_and_rate_limits_are_checked() {
        let m = parse(&file(), GOOD).expect("valid");
        assert_eq!((m.memory, m.rate_limit), (DEFAULT_MEMORY, None));
        let declared = format!("{GOOD}\n[limits]\nmemory_mib = 32\n\n[rate_limit]\nrequests = 10\nper = \"1s\"\n");
        let m = parse(&file(), &declared).expect("valid");
        assert_eq!(m.memory, 32 * 1024 * 1024);
        assert_eq!(
            m.rate_limit,
            Some(RateLimitSpec { requests: 10, per: std::time::Duration::from_secs(1), burst: 10 })
        );
        let bad =
            format!("{GOOD}\n[limits]\nmemory_mib = 4096\n\n[rate_limit]\nrequests = 0\nper = \"soon\"\nburst = -1\n");
        let errors = parse(&file(), &bad).expect_err("invalid");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|e| e.contains("`limits.memory_mib`: expected a whole number from 1 to 128")),
            "{text:?}"
        );
        assert!(text.iter().any(|e| e.contains("`rate_limit.requests`")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("`rate_limit.per`")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("`rate_limit.burst`")), "{text:?}");
    }

    #[test]
    fn a_passthrough_names_only_declared_settings_and_known_methods() {
        let offered =
            format!("{GOOD}\n[passthrough]\nbase = \"{{base_url}}/api\"\nauth = {{ bearer = \"{{token}}\" }}\n");
        let m = parse(&file(), &offered).expect("valid");
        assert_eq!(
            m.passthrough,
            Some(PassthroughSpec {
                base: "{base_url}/api".into(),
                paths: vec!["/".into()],
                methods: vec!["GET".into()],
                auth: PassthroughAuth::Bearer("{token}".into()),
                headers: BTreeMap::new(),
            })
        );
        let bad = format!(
            "{GOOD}\n[passthrough]\nbase = \"{{host}}/api\"\npaths = [\"api\"]\nmethods = [\"TRACE\"]\n\
             auth = {{ bearer = \"{{token}}\", basic = {{ user = \"a\", password = \"b\" }} }}\n"
        );
        let text: Vec<String> = parse(&file(), &bad).expect_err("invalid").iter().map(ToString::to_string).collect();
        for expected in [
            "`{host}` is not one of the plugin's settings",
            "`passthrough.paths`",
            "`passthrough.methods`",
            "give one of basic, bearer or header",
        ] {
            assert!(text.iter().any(|e| e.contains(expected)), "{expected}: {text:?}");
        }
        assert_eq!(fill_template("{a}/x/{b}", |n| Some(if n == "a" { "1" } else { "2" })), Ok("1/x/2".into()));
        assert!(fill_template("{missing}", |_| None).is_err());
    }

    #[test]
    fn quotas_are_declared_per_function_with_a_limit_and_period() {
        let with_quota = format!(
            "{GOOD}\n[quotas.reads]\nfunctions = [\"get_invoice\"]\nlimit = 200\nperiod = \"month\"\ndescription = \"x\"\n"
        );
        let m = parse(&file(), &with_quota).expect("valid");
        let (name, quota) = m.quota_of(Function::GetInvoice).expect("a quota");
        assert_eq!((name, quota.limit, quota.period), ("reads", 200, QuotaPeriod::Month));
        assert!(m.quota_of(Function::ListInvoices).is_none());

        let bad = format!(
            "{GOOD}\n[quotas.reads]\nfunctions = [\"create_order\", \"get_invoice\"]\nlimit = 0\nperiod = \"week\"\n\n[quotas.again]\nfunctions = [\"get_invoice\"]\nlimit = 1\nperiod = \"day\"\n"
        );
        let errors = parse(&file(), &bad).expect_err("invalid quotas");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|e| e.contains("`quotas.reads.functions`: `create_order` is not among")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("`quotas.reads.limit`: expected a whole number from 1")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("`quotas.reads.period`: `week`: expected day or month")), "{text:?}");
        assert!(text.iter().any(|e| e.contains("`get_invoice` already uses another quota")), "{text:?}");
    }
}
