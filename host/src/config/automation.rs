//! Automations: `automations/<tenant>.toml`, one per tenant.
//!
//! ```toml
//! tenant = "demo"                      # default: the file's name
//! name = "Provedor Demo"
//! secrets_file = "/etc/ponte/demo.secrets.toml"  # optional: `${secret:NAME}` values, outside git
//! allow_private = ["127.0.0.1"]        # internal addresses this tenant's ERPs may live at
//! egress_proxy = "http://10.0.0.5:3128" # optional: upstream calls leave through this proxy
//!
//! [connections.ixc]                    # a configured instance of a plugin
//! plugin = "ixc"
//! timeout = "10s"                      # default per-call deadline of its functions
//! settings = { base_url = "https://ixc.example.com", user_id = "1", token = "${env:DEMO_IXC_TOKEN}" }
//!
//! [functions]
//! list_invoices = "ixc"                # shorthand: the connection
//! get_boleto_pdf = { use = "ixc", timeout = "20s", cache_ttl = "5m" }
//!
//! [privacy.totem]                      # optional: what kiosks see (see `config::privacy`)
//! customer_name = "first_name"
//! ```
//!
//! Validated against the plugins' manifests at load: unknown plugins, functions, settings and
//! connections, missing required settings, inline secrets, functions a plugin does not
//! implement, and caching of functions that must not be cached are all errors with file, line
//! and field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ponte_contract::Function;
use serde::Deserialize;
use toml::Spanned;

use super::manifest::Manifest;
use super::privacy::PrivacyConfig;
use super::vars::{Vars, resolve};
use super::{ConfigError, parse_duration};
use crate::capabilities::config::SettingValue;
use crate::capabilities::http::PrivateAllowance;

/// Deadline of a call when neither the function nor its connection sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest deadline an automation may set.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);

/// A tenant's validated automation file.
#[derive(Debug, Clone)]
pub struct Automation {
    /// Tenant id.
    pub tenant: String,
    /// Display name.
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// Internal addresses the tenant's upstreams may use.
    pub allow_private: Vec<PrivateAllowance>,
    /// Connections by name.
    pub connections: BTreeMap<String, ConnectionConfig>,
    /// Which connection serves which function.
    pub functions: BTreeMap<Function, FunctionBinding>,
    /// What kiosks are shown of customers (`[privacy.totem]`).
    pub privacy: PrivacyConfig,
    /// The HTTP(S) proxy the tenant's upstream calls leave through (`egress_proxy`), instead of
    /// the host's (`--egress-proxy`). May carry credentials: wrapped as a secret.
    pub egress_proxy: Option<crate::secret::Secret>,
}

/// A configured instance of a plugin.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// The connection's name.
    pub name: String,
    /// The plugin's name.
    pub plugin: String,
    /// Resolved settings (secrets wrapped).
    pub settings: BTreeMap<String, SettingValue>,
}

/// The longest `cache_ttl` an automation may set: a customer's data is never served staler.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(3600);

/// One function's binding.
#[derive(Debug, Clone)]
pub struct FunctionBinding {
    /// The connection that serves it.
    pub connection: String,
    /// The call's deadline.
    pub timeout: Duration,
    /// How long a result may be served from the read cache (only for cacheable functions; at
    /// most [`MAX_CACHE_TTL`]; absent or 0: never).
    pub cache_ttl: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAutomation {
    tenant: Option<Spanned<String>>,
    name: Option<String>,
    secrets_file: Option<Spanned<String>>,
    #[serde(default)]
    allow_private: Vec<Spanned<String>>,
    #[serde(default)]
    connections: BTreeMap<String, Spanned<RawConnection>>,
    #[serde(default)]
    functions: BTreeMap<String, Spanned<RawBinding>>,
    #[serde(default)]
    privacy: PrivacyConfig,
    egress_proxy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    plugin: Spanned<String>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    settings: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawBinding {
    Connection(String),
    Full(RawFullBinding),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFullBinding {
    #[serde(rename = "use")]
    connection: String,
    timeout: Option<String>,
    cache_ttl: Option<String>,
}

/// Loads and validates one automation file against the loaded manifests.
///
/// # Errors
/// Every problem found, each with file, line and field.
pub fn load(file: &Path, manifests: &BTreeMap<String, Manifest>, vars: &Vars) -> Result<Automation, Vec<ConfigError>> {
    let source =
        std::fs::read_to_string(file).map_err(|e| vec![ConfigError::file(file, format!("cannot read: {e}"))])?;
    parse(file, &source, manifests, vars)
}

/// Parses and validates an automation's text.
///
/// # Errors
/// Every problem found.
pub fn parse(
    file: &Path,
    source: &str,
    manifests: &BTreeMap<String, Manifest>,
    vars: &Vars,
) -> Result<Automation, Vec<ConfigError>> {
    parse_with_secrets(file, source, manifests, vars, BTreeMap::new())
}

/// [`parse`], with `${secret:NAME}` references also resolved from `given` (the secrets of a
/// tenant defined through the admin API, opened from the store).
///
/// # Errors
/// Every problem found.
pub fn parse_with_secrets(
    file: &Path,
    source: &str,
    manifests: &BTreeMap<String, Manifest>,
    vars: &Vars,
    given: BTreeMap<String, String>,
) -> Result<Automation, Vec<ConfigError>> {
    let raw: RawAutomation = toml::from_str(source).map_err(|e| vec![ConfigError::toml(file, source, &e)])?;
    let mut errors = Vec::new();
    let at = |span: std::ops::Range<usize>, field: &str, message: String| {
        ConfigError::at(file, source, Some(span), field, message)
    };

    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
    let tenant = match &raw.tenant {
        Some(t) => {
            if !valid_tenant(t.get_ref()) {
                errors.push(at(t.span(), "tenant", "use lower-case letters, digits and `-`".into()));
            }
            t.get_ref().clone()
        }
        None => {
            if !valid_tenant(&stem) {
                errors.push(ConfigError::file(file, "the file name is not a valid tenant id; set `tenant`"));
            }
            stem
        }
    };

    let mut secrets = match &raw.secrets_file {
        None => BTreeMap::new(),
        Some(path) => {
            let full = file.parent().unwrap_or(Path::new(".")).join(path.get_ref());
            match std::fs::read_to_string(&full).map_err(|e| e.to_string()).and_then(|text| {
                toml::from_str::<BTreeMap<String, String>>(&text)
                    .map_err(|e| format!("not a table of text values ({})", e.message()))
            }) {
                Ok(secrets) => secrets,
                Err(e) => {
                    errors.push(at(path.span(), "secrets_file", format!("cannot load {}: {e}", full.display())));
                    BTreeMap::new()
                }
            }
        }
    };

    secrets.extend(given);

    let mut allow_private = Vec::new();
    for entry in &raw.allow_private {
        match PrivateAllowance::parse(entry.get_ref()) {
            Ok(a) => allow_private.push(a),
            Err(e) => errors.push(at(entry.span(), "allow_private", e)),
        }
    }

    let egress_proxy = match &raw.egress_proxy {
        None => None,
        Some(value) => match resolve(value.get_ref(), vars, &secrets).map_err(|e| e.to_string()).and_then(|resolved| {
            crate::capabilities::http::EgressProxy::check(&resolved.value).map(|()| resolved.value)
        }) {
            Ok(url) => Some(crate::secret::Secret::new(url)),
            Err(e) => {
                errors.push(at(value.span(), "egress_proxy", e));
                None
            }
        },
    };

    let mut connections = BTreeMap::new();
    let mut connection_timeouts = BTreeMap::new();
    for (name, raw_conn) in &raw.connections {
        let field = format!("connections.{name}");
        let conn = raw_conn.get_ref();
        let Some(manifest) = manifests.get(conn.plugin.get_ref()) else {
            errors.push(at(
                conn.plugin.span(),
                &format!("{field}.plugin"),
                format!("no plugin named `{}` is loaded", conn.plugin.get_ref()),
            ));
            continue;
        };
        let timeout = match &conn.timeout {
            None => DEFAULT_TIMEOUT,
            Some(t) => match checked_timeout(t.get_ref()) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(at(t.span(), &format!("{field}.timeout"), e));
                    DEFAULT_TIMEOUT
                }
            },
        };
        connection_timeouts.insert(name.clone(), timeout);
        let mut settings = BTreeMap::new();
        for (key, value) in &conn.settings {
            let setting_field = format!("{field}.settings.{key}");
            let Some(spec) = manifest.settings.get(key) else {
                errors.push(at(
                    value.span(),
                    &setting_field,
                    format!("plugin `{}` has no setting `{key}`", manifest.name),
                ));
                continue;
            };
            match resolve(value.get_ref(), vars, &secrets) {
                Ok(resolved) if spec.secret && !resolved.referenced => errors.push(at(
                    value.span(),
                    &setting_field,
                    "a secret must be a reference (${env:NAME} or ${secret:NAME}), never inline".into(),
                )),
                Ok(resolved) if (spec.secret || spec.required) && resolved.value.trim().is_empty() => {
                    let why = if resolved.referenced {
                        "resolves to an empty value: the variable or secret it names is set but empty"
                    } else {
                        "must not be empty"
                    };
                    errors.push(at(value.span(), &setting_field, format!("`{key}` {why}")));
                }
                Ok(resolved) if spec.secret => {
                    settings.insert(key.clone(), SettingValue::Secret(crate::secret::Secret::new(resolved.value)));
                }
                Ok(resolved) => {
                    settings.insert(key.clone(), SettingValue::Plain(resolved.value));
                }
                Err(e) => errors.push(at(value.span(), &setting_field, e.to_string())),
            }
        }
        for (key, spec) in &manifest.settings {
            if settings.contains_key(key) || conn.settings.contains_key(key) {
                continue;
            }
            match &spec.default {
                Some(default) => {
                    settings.insert(key.clone(), SettingValue::Plain(default.clone()));
                }
                None if spec.required => errors.push(at(
                    raw_conn.span(),
                    &format!("{field}.settings"),
                    format!("plugin `{}` requires setting `{key}`", manifest.name),
                )),
                None => {}
            }
        }
        connections
            .insert(name.clone(), ConnectionConfig { name: name.clone(), plugin: manifest.name.clone(), settings });
    }

    let mut functions = BTreeMap::new();
    for (name, binding) in &raw.functions {
        let field = format!("functions.{name}");
        let Ok(function) = name.parse::<Function>() else {
            errors.push(at(binding.span(), &field, format!("`{name}` is not a function of the contract")));
            continue;
        };
        let (connection, timeout, cache_ttl) = match binding.get_ref() {
            RawBinding::Connection(c) => (c.clone(), None, None),
            RawBinding::Full(f) => (f.connection.clone(), f.timeout.clone(), f.cache_ttl.clone()),
        };
        let Some(conn) = raw.connections.get(&connection) else {
            errors.push(at(binding.span(), &field, format!("no connection named `{connection}`")));
            continue;
        };
        if let Some(manifest) = manifests.get(conn.get_ref().plugin.get_ref())
            && !manifest.functions.contains(&function)
        {
            errors.push(at(
                binding.span(),
                &field,
                format!("plugin `{}` does not implement `{function}`", manifest.name),
            ));
        }
        let timeout = match timeout.as_deref().map(checked_timeout) {
            None => connection_timeouts.get(&connection).copied().unwrap_or(DEFAULT_TIMEOUT),
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                errors.push(at(binding.span(), &format!("{field}.timeout"), e));
                DEFAULT_TIMEOUT
            }
        };
        let cache_ttl = match cache_ttl.as_deref().map(parse_duration) {
            None => None,
            Some(Ok(_)) if !function.spec().cacheable => {
                errors.push(at(
                    binding.span(),
                    &format!("{field}.cache_ttl"),
                    format!("`{function}` must never be served from cache"),
                ));
                None
            }
            Some(Ok(d)) if d > MAX_CACHE_TTL => {
                errors.push(at(
                    binding.span(),
                    &format!("{field}.cache_ttl"),
                    format!(
                        "at most {} (a customer's data must not stay stale longer)",
                        humantime::format_duration(MAX_CACHE_TTL)
                    ),
                ));
                None
            }
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                errors.push(at(binding.span(), &format!("{field}.cache_ttl"), e));
                None
            }
        };
        functions.insert(function, FunctionBinding { connection, timeout, cache_ttl });
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Automation {
        name: raw.name.unwrap_or_else(|| tenant.clone()),
        tenant,
        file: file.to_owned(),
        allow_private,
        connections,
        functions,
        privacy: raw.privacy,
        egress_proxy,
    })
}

fn checked_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < Duration::from_millis(100) || d > MAX_TIMEOUT {
        return Err(format!("`{text}`: a timeout is between 100ms and {}s", MAX_TIMEOUT.as_secs()));
    }
    Ok(d)
}

/// Tenant ids: lower-case letters, digits and `-`, 1 to 64 characters.
pub fn valid_tenant(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An IXC-like manifest (base_url, user_id with a default, a secret token), for the config
    /// modules' tests.
    pub(crate) fn manifests() -> BTreeMap<String, Manifest> {
        let m = super::super::manifest::parse(
            Path::new("plugins/ixc/plugin.toml"),
            r#"
name = "ixc"
version = "0.1.0"
runtime = "rhai"
functions = ["list_invoices", "get_invoice", "get_boleto_pdf"]
hosts = ["{base_url}"]
[settings.base_url]
[settings.user_id]
default = "1"
[settings.token]
secret = true
"#,
        )
        .expect("manifest");
        BTreeMap::from([("ixc".to_owned(), m)])
    }

    const GOOD: &str = r#"
name = "Provedor Demo"
allow_private = ["127.0.0.1"]

[connections.ixc]
plugin = "ixc"
timeout = "8s"
settings = { base_url = "${env:URL}", token = "${env:TOKEN}" }

[functions]
list_invoices = "ixc"
get_boleto_pdf = { use = "ixc", timeout = "20s", cache_ttl = "5m" }
"#;

    fn vars() -> Vars {
        Vars::none().with("URL", "http://127.0.0.1:9000").with("TOKEN", "s3cr3t")
    }

    #[test]
    fn a_good_automation_loads_with_defaults_and_resolved_secrets() {
        let a = parse(Path::new("automations/demo.toml"), GOOD, &manifests(), &vars()).expect("valid");
        assert_eq!(a.tenant, "demo");
        assert_eq!(a.functions[&Function::ListInvoices].timeout, Duration::from_secs(8));
        assert_eq!(a.functions[&Function::GetBoletoPdf].cache_ttl, Some(Duration::from_secs(300)));
        let conn = &a.connections["ixc"];
        assert_eq!(conn.settings["user_id"].expose(), "1");
        assert!(matches!(conn.settings["token"], SettingValue::Secret(_)));
        assert!(!format!("{a:?}").contains("s3cr3t"), "secrets never print");
    }

    #[test]
    fn every_error_names_file_line_and_field() {
        let bad = GOOD
            .replace("token = \"${env:TOKEN}\"", "token = \"inline-secret\", colour = \"blue\"")
            .replace("list_invoices = \"ixc\"", "list_invoices = \"ixc\"\nget_invoice = { use = \"ixc\", cache_ttl = \"1m\" }\nlist_plans = \"ixc\"\nlist_fatura = \"ixc\"");
        let errors = parse(Path::new("automations/demo.toml"), &bad, &manifests(), &vars()).expect_err("invalid");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "automations/demo.toml:8: `connections.ixc.settings.colour`: plugin `ixc` has no setting `colour`",
                "automations/demo.toml:8: `connections.ixc.settings.token`: a secret must be a reference (${env:NAME} or ${secret:NAME}), never inline",
                "automations/demo.toml:12: `functions.get_invoice.cache_ttl`: `get_invoice` must never be served from cache",
                "automations/demo.toml:14: `functions.list_fatura`: `list_fatura` is not a function of the contract",
                "automations/demo.toml:13: `functions.list_plans`: plugin `ixc` does not implement `list_plans`",
            ]
        );
    }

    #[test]
    fn a_cache_ttl_past_an_hour_is_refused_and_zero_means_off() {
        let long = GOOD.replace("cache_ttl = \"5m\"", "cache_ttl = \"2h\"");
        assert_ne!(long, GOOD);
        let errors = parse(Path::new("automations/demo.toml"), &long, &manifests(), &vars()).expect_err("invalid");
        let text = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        assert!(text.contains("`functions.get_boleto_pdf.cache_ttl`: at most 1h"), "{text}");
        let off = GOOD.replace("cache_ttl = \"5m\"", "cache_ttl = \"0s\"");
        let a = parse(Path::new("automations/demo.toml"), &off, &manifests(), &vars()).expect("valid");
        assert_eq!(
            a.functions[&Function::GetBoletoPdf].cache_ttl,
            Some(Duration::ZERO),
            "0 is kept; the host reads it as off"
        );
    }

    #[test]
    fn missing_plugins_settings_and_env_are_errors() {
        let bad = GOOD.replace("plugin = \"ixc\"", "plugin = \"sgp\"");
        let errors = parse(Path::new("automations/demo.toml"), &bad, &manifests(), &vars()).expect_err("no plugin");
        assert!(errors[0].to_string().contains("no plugin named `sgp`"));
        let errors = parse(Path::new("automations/demo.toml"), GOOD, &manifests(), &Vars::none()).expect_err("no env");
        assert!(errors.iter().any(|e| e.message == "environment variable `URL` is not set"), "{errors:?}");
        let bad = GOOD.replace("base_url = \"${env:URL}\", ", "");
        let errors = parse(Path::new("automations/demo.toml"), &bad, &manifests(), &vars()).expect_err("required");
        assert!(errors[0].to_string().contains("requires setting `base_url`"));
    }

    #[test]
    fn an_empty_secret_or_required_setting_is_an_error_not_a_silent_blank() {
        let empty = Vars::none().with("URL", "http://127.0.0.1:9000").with("TOKEN", "  ");
        let errors = parse(Path::new("automations/demo.toml"), GOOD, &manifests(), &empty).expect_err("empty secret");
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "automations/demo.toml:8: `connections.ixc.settings.token`: `token` resolves to an empty value: the variable or secret it names is set but empty"
            ]
        );
        let bad = GOOD.replace("base_url = \"${env:URL}\"", "base_url = \"\"");
        let errors = parse(Path::new("automations/demo.toml"), &bad, &manifests(), &vars()).expect_err("empty url");
        assert!(errors[0].to_string().ends_with("`base_url` must not be empty"), "{errors:?}");
    }
}
