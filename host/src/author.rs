//! Plugin authors' tools: what `ponte invoke` and `ponte plugin test` are built on.
//!
//! [`Session`] loads one plugin folder with given settings, exactly as `ponte serve` would load
//! it for a tenant (the manifest, the settings checked against it, secrets by reference, the
//! egress policy), and runs functions through the same pipeline a caller's call takes: input
//! validation, the plugin's capabilities and sandbox, contract enforcement. It needs no server,
//! no database (kv lives in an in-memory SQLite) and no keys, and it reports what the server's
//! invocation log can't: the plugin's raw result and every upstream exchange in full (redacted),
//! recorded live or answered from recorded fixtures.

pub mod component;
pub mod conformance;
pub mod dev;
pub mod scaffold;
pub mod scrub;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ponte_contract::{EnforceOptions, Function, Warning};
use serde::Serialize;
use serde_json::Value;

use crate::capabilities::InvocationInfo;
use crate::capabilities::clock::Clock;
use crate::capabilities::http::HttpLimits;
use crate::capabilities::http::exchange::{Exchange, Failure, Tap};
use crate::config::ConfigError;
use crate::config::automation;
use crate::config::vars::Vars;
use crate::problem::Problem;
use crate::registry::{Connection, LoadedPlugin};
use crate::runtime::Call;
use crate::store::Store;

/// The tenant id sessions run as (it names the kv namespace and the log lines).
pub const TENANT: &str = "plugin-author";

/// What a session is made of.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The plugin's folder (with its `plugin.toml`).
    pub plugin: PathBuf,
    /// Settings by name: plain values, or `${env:NAME}` / `${secret:NAME}` references (a secret
    /// setting given as a plain value is taken as given: this is the author's own machine).
    pub settings: BTreeMap<String, String>,
    /// Private addresses the upstream may live at (`127.0.0.1`, `10.0.0.0/8`), as an
    /// automation's `allow_private`.
    pub allow_private: Vec<String>,
    /// Each call's deadline.
    pub timeout: Duration,
    /// The clock the plugin sees (`now()`, `today()`); the system's when `None`.
    pub clock: Option<DateTime<Utc>>,
}

/// A plugin loaded for its author, with one connection configured.
pub struct Session {
    plugin: Arc<LoadedPlugin>,
    connection: Arc<Connection>,
    store: Store,
    timeout: Duration,
    clock: Clock,
    tap: Arc<Tap>,
    /// Seals the plugin's kv values in the session's in-memory store, as on the server.
    keyring: Arc<crate::secret::keyring::Keyring>,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The plugin or its settings are wrong: every error, with file and field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<ConfigError>),
    /// The in-memory store would not open.
    #[error("the in-memory store would not open: {0}")]
    Store(String),
}

/// One function's run, everything an author needs to see.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The plugin, `name@version`.
    pub plugin: String,
    /// The function.
    pub function: Function,
    /// The input as validated (the caller's, normalized).
    pub input: Value,
    /// What the plugin returned, before the contract touched it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    /// The caller's answer: the normalized result...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<Value>,
    /// ... or the problem the caller would get.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ReportedProblem>,
    /// What enforcement dropped or repaired.
    pub warnings: Vec<Warning>,
    /// Every upstream exchange, in order, redacted.
    pub exchanges: Vec<Exchange>,
    /// How long the run took.
    pub duration_ms: u64,
}

/// A problem as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedProblem {
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// What went wrong.
    pub detail: String,
    /// The input field at fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<Problem> for ReportedProblem {
    fn from(p: Problem) -> Self {
        ReportedProblem {
            status: p.code.status().as_u16(),
            code: p.code.as_str().to_owned(),
            detail: p.detail,
            field: p.field,
        }
    }
}

impl Session {
    /// Loads the plugin and configures its connection.
    ///
    /// # Errors
    /// [`SessionError::Config`] with every problem of the plugin or the settings.
    pub async fn start(options: SessionOptions) -> Result<Session, SessionError> {
        let engine = Arc::new(crate::runtime::rhai::engine());
        let plugin =
            Arc::new(crate::registry::load_plugin(&options.plugin, &engine).await.map_err(SessionError::Config)?);
        let name = plugin.manifest.name.clone();
        let (source, vars) = automation_for(&plugin, &options)?;
        let manifests = BTreeMap::from([(name.clone(), plugin.manifest.clone())]);
        let file = options.plugin.join("(settings)");
        let automation = automation::parse(&file, &source, &manifests, &vars).map_err(SessionError::Config)?;
        let plugins = BTreeMap::from([(name, Arc::clone(&plugin))]);
        let tenant =
            crate::registry::build_tenant(automation, &plugins, HttpLimits::default()).map_err(SessionError::Config)?;
        let connection = tenant
            .connections
            .get("plugin")
            .cloned()
            .ok_or_else(|| SessionError::Config(vec![ConfigError::file(&file, "the connection did not load")]))?;
        let tap = Arc::new(Tap::new());
        connection.upstream.set_tap(Arc::clone(&tap)).map_err(|_| {
            SessionError::Config(vec![ConfigError::file(&file, "the connection's upstream is already tapped")])
        })?;
        let store = Store::open("sqlite::memory:").await.map_err(|e| SessionError::Store(e.to_string()))?;
        store.ensure_tenant(TENANT, "plugin author").await.map_err(|e| SessionError::Store(e.to_string()))?;
        let clock = options.clock.map_or_else(Clock::system, Clock::fixed);
        let keyring = Arc::new(crate::secret::keyring::Keyring::ephemeral());
        Ok(Session { plugin, connection, store, timeout: options.timeout, clock, tap, keyring })
    }

    /// The plugin's manifest.
    pub fn manifest(&self) -> &crate::config::manifest::Manifest {
        &self.plugin.manifest
    }

    /// From now on, the plugin's requests go to the network (the default).
    pub fn use_network(&self) {
        self.tap.use_network();
    }

    /// From now on, the plugin's requests are answered from `exchanges`, never the network.
    pub fn replay(&self, exchanges: Vec<Exchange>) {
        self.tap.replay(exchanges);
    }

    /// From now on, `responder` answers the plugin's requests (a stand-in ERP).
    pub fn serve(&self, responder: crate::capabilities::http::exchange::Responder) {
        self.tap.serve(responder);
    }

    /// The connection's settings as fixtures keep them: secrets as `***`.
    pub fn recordable_settings(&self) -> BTreeMap<String, String> {
        let manifest = &self.plugin.manifest;
        manifest
            .settings
            .iter()
            .filter_map(|(name, spec)| {
                let value = self.connection.config.get(name)?;
                Some((name.clone(), if spec.secret { crate::secret::REDACTED.to_owned() } else { value.to_owned() }))
            })
            .collect()
    }

    /// From now on, every request of the plugin fails with `failure`, nothing is sent.
    pub fn fail_with(&self, failure: Failure) {
        self.tap.fail_with(failure);
    }

    /// Runs `function` with `input` as a caller's call would run it.
    pub async fn invoke(&self, function: Function, input: &Value) -> Report {
        let started = Instant::now();
        let manifest = &self.plugin.manifest;
        let mut report = Report {
            plugin: format!("{}@{}", manifest.name, manifest.version),
            function,
            input: input.clone(),
            raw: None,
            normalized: None,
            problem: None,
            warnings: Vec::new(),
            exchanges: Vec::new(),
            duration_ms: 0,
        };
        self.tap.take();
        match self.run(function, input, &mut report).await {
            Ok(output) => report.normalized = Some(output),
            Err(problem) => report.problem = Some(problem.into()),
        }
        report.exchanges = self.tap.take();
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        report
    }

    async fn run(&self, function: Function, input: &Value, report: &mut Report) -> Result<Value, Problem> {
        if !self.plugin.manifest.functions.contains(&function) {
            return Err(Problem::new(
                crate::problem::ProblemCode::FunctionNotConfigured,
                format!("the plugin's manifest does not list `{function}`"),
            ));
        }
        let input = ponte_contract::validate_input(function, input).map_err(Problem::from)?;
        report.input = input.clone();
        let manifest = &self.plugin.manifest;
        let info = Arc::new(InvocationInfo {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: TENANT.to_owned(),
            function,
            connection: self.connection.name.clone(),
            plugin: manifest.name.clone(),
            plugin_version: manifest.version.clone(),
        });
        let deadline = Instant::now() + self.timeout;
        let capabilities = self.connection.capabilities(&self.store, info, deadline, self.clock, &self.keyring, false);
        let (http, kv) = (capabilities.http.clone(), capabilities.kv.clone());
        let call = Call { function, input: input.clone(), capabilities };
        let result = self.plugin.runtime.invoke(call).await;
        // As on the server: a host limit the plugin hit decides the answer, whatever the plugin
        // made of it.
        let stopped = http.stopped_by().or_else(|| kv.stopped_by());
        let result = crate::invoke::host_limit_decides(result, stopped, &http.calls(), http.upstream_retry_after());
        let raw = result.map_err(|e| {
            let detail = self.connection.redactor.redact(&e.to_string());
            let mut problem = Problem::from(e);
            problem.detail = detail;
            problem
        })?;
        report.raw = Some(raw.clone());
        let options = EnforceOptions { integer_money: manifest.integer_money };
        let enforced = ponte_contract::enforce_value(function, Some(&input), &raw, options).map_err(Problem::from)?;
        report.warnings = enforced.warnings;
        Ok(enforced.output)
    }
}

/// The automation a session runs under, as TOML, and the variables its references resolve
/// from: every function of the manifest bound to one connection named `plugin`. Plain values
/// go through variables, so a secret given as a plain value passes the file rule that secrets
/// are references.
pub(crate) fn automation_for(plugin: &LoadedPlugin, options: &SessionOptions) -> Result<(String, Vars), SessionError> {
    let manifest = &plugin.manifest;
    let file = options.plugin.join("(settings)");
    let mut vars = Vars::env();
    let mut settings = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in &options.settings {
        if !manifest.settings.contains_key(name) {
            let known = manifest.settings.keys().cloned().collect::<Vec<_>>().join(", ");
            errors.push(ConfigError::file(&file, format!("the plugin has no setting `{name}` (it has: {known})")));
            continue;
        }
        let value = if value.contains("${") {
            // An unset variable is named where the author wrote it, not in the automation the
            // session makes up.
            if let Err(why @ crate::config::vars::ReferenceError::EnvUnset(_)) =
                crate::config::vars::resolve(value, &vars, &BTreeMap::new())
            {
                errors.push(ConfigError::file(
                    &options.plugin,
                    format!("setting `{name}` (test.toml's [live] settings or --set): {why}: export it, or give --set {name}=VALUE"),
                ));
                continue;
            }
            value.clone()
        } else {
            let var = format!("PONTE_AUTHOR_SETTING_{}", name.to_ascii_uppercase());
            vars = vars.with(var.clone(), value.clone());
            format!("${{env:{var}}}")
        };
        settings.push(format!("{} = {}", toml_key(name), toml::Value::String(value)));
    }
    if !errors.is_empty() {
        return Err(SessionError::Config(errors));
    }
    let allow: Vec<String> = options.allow_private.iter().map(|a| toml::Value::String(a.clone()).to_string()).collect();
    let functions: String = manifest.functions.iter().map(|f| format!("{f} = \"plugin\"\n")).collect();
    let timeout = humantime::format_duration(options.timeout);
    let source = format!(
        "tenant = \"{TENANT}\"\nallow_private = [{}]\n[connections.plugin]\nplugin = {}\ntimeout = \"{timeout}\"\nsettings = {{ {} }}\n[functions]\n{functions}",
        allow.join(", "),
        toml::Value::String(manifest.name.clone()),
        settings.join(", "),
    );
    Ok((source, vars))
}

fn toml_key(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && !name.is_empty() {
        name.to_owned()
    } else {
        toml::Value::String(name.to_owned()).to_string()
    }
}

/// One exchange on one line: method, URL, status or failure, body size.
pub fn exchange_line(exchange: &Exchange) -> String {
    let size = |body: &crate::capabilities::http::exchange::Body| {
        body.body.as_ref().map(String::len).or(body.body_base64.as_ref().map(|b| b.len() / 4 * 3)).unwrap_or(0)
    };
    let request = &exchange.request;
    match (&exchange.response, &exchange.error) {
        (Some(response), _) => {
            format!("{} {} -> {} ({} bytes)", request.method, request.url, response.status, size(&response.body))
        }
        (None, error) => format!("{} {} -> {}", request.method, request.url, error.as_deref().unwrap_or("no answer")),
    }
}

/// The most characters of one body `render` prints (the JSON report has them whole).
const SHOWN_BODY: usize = 2000;

/// A report for a terminal: the exchanges (bodies cut at 2,000 characters), the raw result,
/// then the caller's answer and the warnings.
pub fn render(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({} ms)", report.plugin, report.function, report.duration_ms);
    let _ = writeln!(out, "\ninput: {}", report.input);
    let _ = writeln!(out, "\nupstream exchanges: {}", report.exchanges.len());
    for (i, exchange) in report.exchanges.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, exchange_line(exchange));
        for (name, value) in &exchange.request.headers {
            let _ = writeln!(out, "     > {name}: {value}");
        }
        if let Some(body) = shown(&exchange.request.body) {
            let _ = writeln!(out, "     > {body}");
        }
        if let Some(body) = exchange.response.as_ref().and_then(|r| shown(&r.body)) {
            let _ = writeln!(out, "     < {body}");
        }
    }
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    if let Some(raw) = &report.raw {
        let _ = writeln!(out, "\nraw result (the plugin's):\n{}", pretty(raw));
    }
    match (&report.normalized, &report.problem) {
        (Some(normalized), _) => {
            let _ = writeln!(out, "\nnormalized result (the caller's):\n{}", pretty(normalized));
        }
        (None, Some(problem)) => {
            let field = problem.field.as_deref().map(|f| format!(" [field {f}]")).unwrap_or_default();
            let _ = writeln!(out, "\nproblem: {} {}{field}: {}", problem.status, problem.code, problem.detail);
        }
        (None, None) => {}
    }
    let _ = writeln!(out, "\nwarnings: {}", report.warnings.len());
    for warning in &report.warnings {
        let _ = writeln!(out, "  {:?} at {}: {}", warning.code, warning.path, warning.message);
    }
    out
}

fn shown(body: &crate::capabilities::http::exchange::Body) -> Option<String> {
    if let Some(text) = &body.body {
        let count = text.chars().count();
        return Some(if count > SHOWN_BODY {
            format!("{}… ({count} characters)", text.chars().take(SHOWN_BODY).collect::<String>())
        } else {
            text.clone()
        });
    }
    body.body_base64.as_ref().map(|b| format!("({} bytes of binary)", b.len() / 4 * 3))
}
