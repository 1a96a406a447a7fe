//! The end-to-end test harness: a real Ponte server on a random loopback port, a simulated ERP
//! beside it, a tenant's automation written for the test, and keys of every scope.
//!
//! ```no_run
//! # async fn example() {
//! use ponte_tests::TestHost;
//! let host = TestHost::start().await;
//! let (status, body) = host.call(&host.app_key, "list_invoices", serde_json::json!({"customer_document_number": "714.602.380-01"})).await;
//! # }
//! ```
//!
//! Logs of every test in the process are captured ([`captured_logs`]) so tests can prove a
//! secret never reaches them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ponte_contract::Scope;
use ponte_erp_sim::{Simulator, docsales, hubsoft, ixc, oobj, plugstorage, sgp};
use ponte_host::breaker::BreakerOptions;
use ponte_host::config::vars::Vars;
use ponte_host::invoke::{Host, HostOptions};
use ponte_host::registry::Sources;
use ponte_host::settlement::SettlementOptions;
use ponte_host::store::PLATFORM_TENANT;
use ponte_host::store::scratch::ScratchPostgres;
use serde_json::Value;
use tokio::sync::oneshot;

pub mod fiscal;

pub use reqwest::StatusCode;

/// The tenant the default automation defines.
pub const TENANT: &str = "acme";

/// The token the default IXC simulator accepts; tests assert it never leaks.
pub const IXC_TOKEN: &str = "ixc-test-token-5f1d2c8e9a7b4a60";

/// The repository's `plugins/` folder.
pub fn repo_plugins() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins")
}

/// The repository's `tests/plugins/` folder (test-only probes, never loaded by the product).
pub fn test_plugins() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// An automation binding every function of the IXC plugin's manifest to the simulator.
pub fn ixc_automation(tenant: &str, extra: &str) -> String {
    let manifest = ponte_host::config::manifest::load(&repo_plugins().join("ixc"))
        .unwrap_or_else(|e| panic!("ixc manifest: {e:?}"));
    let functions: String = manifest.functions.iter().map(|f| format!("{f} = \"erp\"\n")).collect();
    format!(
        r#"tenant = "{tenant}"
name = "ACME Telecom"
allow_private = ["127.0.0.1"]

[connections.erp]
plugin = "ixc"
timeout = "5s"
settings = {{ base_url = "${{env:IXC_URL}}", user_id = "1", token = "${{env:IXC_TOKEN}}" }}
{extra}
[functions]
{functions}"#
    )
}

/// The token the default SGP simulator accepts.
pub const SGP_TOKEN: &str = "sgp-test-token-8c3e1f0a9d2b4c57";

/// The client secret the default Hubsoft simulator accepts; tests assert it never leaks.
pub const HUBSOFT_CLIENT_SECRET: &str = "hubsoft-test-client-secret-3b9f27c1d4e8";

/// The password of the default Hubsoft simulator's user; tests assert it never leaks.
pub const HUBSOFT_PASSWORD: &str = "hubsoft-test-password-a61e0c95f2d7";

/// The token the default DocSales simulator accepts.
pub const DOCSALES_TOKEN: &str = "docsales-test-token-3e9a71c05b2d4f86";

/// Which simulated ERP (or third-party service) a [`TestHost`] runs beside the server.
#[derive(Clone)]
pub enum Sim {
    /// IXC Soft. Automations reach it with `${env:IXC_URL}` / `${env:IXC_TOKEN}`.
    Ixc(ixc::IxcConfig),
    /// SGP. Automations reach it with `${env:SGP_URL}`, `${env:SGP_APP}`, `${env:SGP_TOKEN}`,
    /// `${env:SGP_USER}`, `${env:SGP_PASSWORD}`.
    Sgp(sgp::SgpConfig),
    /// Hubsoft. Automations reach it with `${env:HUBSOFT_URL}`, `${env:HUBSOFT_CLIENT_ID}`,
    /// `${env:HUBSOFT_CLIENT_SECRET}`, `${env:HUBSOFT_USERNAME}`, `${env:HUBSOFT_PASSWORD}`.
    Hubsoft(hubsoft::HubsoftConfig),
    /// PlugStorage (fiscal documents). Automations reach it with `${env:PLUGSTORAGE_URL}`,
    /// `${env:PLUGSTORAGE_TOKEN}`, `${env:PLUGSTORAGE_EMAIL}`, `${env:PLUGSTORAGE_PASSWORD}`.
    PlugStorage(plugstorage::PlugStorageConfig),
    /// DocSales (sales proposals). Automations reach it with `${env:DOCSALES_URL}` and
    /// `${env:DOCSALES_TOKEN}`.
    DocSales(docsales::DocSalesConfig),
    /// Oobj (fiscal documents, `x-auth-token` sessions). Automations reach it with
    /// `${env:OOBJ_URL}`, `${env:OOBJ_TOKEN}`, `${env:OOBJ_SECRET}` and `${env:OOBJ_CNPJ}` (the
    /// provider's CNPJ, the emitter of its notes).
    Oobj(oobj::OobjConfig),
}

/// The application token the default Oobj simulator accepts; tests assert it never leaks.
pub const OOBJ_TOKEN: &str = "oobj-test-token-7c2e9a41d0b35f86";
/// The secret the default Oobj simulator accepts; tests assert it never leaks.
pub const OOBJ_SECRET: &str = "oobj-test-secret-4b8d1f6e2a9c";

/// The token the default PlugStorage simulator accepts.
pub const PLUGSTORAGE_TOKEN: &str = "plug-test-token-3a9e5c1b7d2f4e80";
/// The client e-mail the default PlugStorage simulator accepts.
pub const PLUGSTORAGE_EMAIL: &str = "fiscal@acme.example";
/// That client's password.
pub const PLUGSTORAGE_PASSWORD: &str = "plug-test-password-6d0b2e8f";

impl Sim {
    /// The default IXC simulator.
    pub fn ixc() -> Self {
        Sim::Ixc(ixc::IxcConfig { token: IXC_TOKEN.to_owned(), ..ixc::IxcConfig::default() })
    }

    /// The default SGP simulator.
    pub fn sgp() -> Self {
        Sim::Sgp(sgp::SgpConfig { token: SGP_TOKEN.to_owned(), ..sgp::SgpConfig::default() })
    }

    /// The default Hubsoft simulator.
    pub fn hubsoft() -> Self {
        Sim::Hubsoft(hubsoft::HubsoftConfig {
            client_secret: HUBSOFT_CLIENT_SECRET.to_owned(),
            password: HUBSOFT_PASSWORD.to_owned(),
            ..hubsoft::HubsoftConfig::default()
        })
    }

    /// The default PlugStorage simulator: [`PLUGSTORAGE_TOKEN`], [`PLUGSTORAGE_EMAIL`],
    /// [`PLUGSTORAGE_PASSWORD`], partner and link active.
    pub fn plugstorage() -> Self {
        Sim::PlugStorage(plugstorage::PlugStorageConfig {
            token: PLUGSTORAGE_TOKEN.to_owned(),
            email: PLUGSTORAGE_EMAIL.to_owned(),
            password: PLUGSTORAGE_PASSWORD.to_owned(),
            ..plugstorage::PlugStorageConfig::default()
        })
    }

    /// The default DocSales simulator (200 creations a month).
    pub fn docsales() -> Self {
        Sim::DocSales(docsales::DocSalesConfig { token: DOCSALES_TOKEN.to_owned(), ..Default::default() })
    }

    /// The default Oobj simulator: [`OOBJ_TOKEN`], [`OOBJ_SECRET`], 1800 s sessions.
    pub fn oobj() -> Self {
        Sim::Oobj(oobj::OobjConfig {
            token: OOBJ_TOKEN.to_owned(),
            secret: OOBJ_SECRET.to_owned(),
            ..oobj::OobjConfig::default()
        })
    }

    /// Starts the simulator; returns it with the variables automations reach it by.
    pub async fn spawn(&self) -> (Simulator, Vec<(String, String)>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind simulator");
        let var = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        match self {
            Sim::Ixc(config) => {
                let sim = ixc::spawn(listener, config.clone()).await.expect("start simulator");
                let vars = vec![var("IXC_URL", &sim.base_url()), var("IXC_TOKEN", &config.token)];
                (sim, vars)
            }
            Sim::Sgp(config) => {
                let sim = sgp::spawn(listener, config.clone()).await.expect("start simulator");
                let vars = vec![
                    var("SGP_URL", &sim.base_url()),
                    var("SGP_APP", &config.app),
                    var("SGP_TOKEN", &config.token),
                    var("SGP_USER", &config.basic_user),
                    var("SGP_PASSWORD", &config.basic_password),
                ];
                (sim, vars)
            }
            Sim::PlugStorage(config) => {
                let sim = plugstorage::spawn(listener, config.clone()).await.expect("start simulator");
                let vars = vec![
                    var("PLUGSTORAGE_URL", &sim.base_url()),
                    var("PLUGSTORAGE_TOKEN", &config.token),
                    var("PLUGSTORAGE_EMAIL", &config.email),
                    var("PLUGSTORAGE_PASSWORD", &config.password),
                ];
                (sim, vars)
            }
            Sim::Hubsoft(config) => {
                let sim = hubsoft::spawn(listener, config.clone()).await.expect("start simulator");
                let vars = vec![
                    var("HUBSOFT_URL", &sim.base_url()),
                    var("HUBSOFT_CLIENT_ID", &config.client_id),
                    var("HUBSOFT_CLIENT_SECRET", &config.client_secret),
                    var("HUBSOFT_USERNAME", &config.username),
                    var("HUBSOFT_PASSWORD", &config.password),
                ];
                (sim, vars)
            }
            Sim::DocSales(config) => {
                let sim = docsales::spawn(listener, config.clone()).await.expect("start simulator");
                let vars = vec![var("DOCSALES_URL", &sim.base_url()), var("DOCSALES_TOKEN", &config.token)];
                (sim, vars)
            }
            Sim::Oobj(config) => {
                let sim = oobj::spawn(listener, config.clone()).await.expect("start simulator");
                let vars = vec![
                    var("OOBJ_URL", &sim.base_url()),
                    var("OOBJ_TOKEN", &config.token),
                    var("OOBJ_SECRET", &config.secret),
                    var("OOBJ_CNPJ", ponte_erp_sim::people::PROVIDER_CNPJ),
                ];
                (sim, vars)
            }
        }
    }
}

/// Builds a [`TestHost`].
pub struct TestHostBuilder {
    automations: Vec<(String, String)>,
    plugins: Vec<(String, String, String)>,
    sim: Sim,
    extra_sims: Vec<Sim>,
    vars: Vec<(String, String)>,
    options: HostOptions,
    database: Option<String>,
    backend: Backend,
    reload: Option<Duration>,
    egress_proxy: Option<String>,
}

/// Which store engine a [`TestHost`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's folder (the default).
    Sqlite,
    /// A fresh database on the PostgreSQL server of `PONTE_TEST_POSTGRES_URL` (default
    /// `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the host is. The test fails
    /// when the server is missing; it never skips.
    Postgres,
}

/// Declares each named `async fn(Backend)` as two tests, `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await
                }
            }
        )*
    };
}

/// A valid CPF (digits only) made from `n`: distinct `n` give distinct documents, so concurrent
/// calls that must each run the plugin are never coalesced into one.
pub fn cpf(n: u32) -> String {
    ponte_contract::normalize::document::synthetic_cpf(n)
}

/// The host's tunables for tests: retries, polls and leases in milliseconds, not seconds.
pub fn test_options() -> HostOptions {
    HostOptions {
        idempotency_retention: Duration::from_secs(3600),
        settlement: SettlementOptions {
            max_attempts: 6,
            backoff_base: Duration::from_millis(40),
            backoff_max: Duration::from_millis(400),
            lease_margin: Duration::from_millis(500),
            poll_interval: Duration::from_millis(25),
            concurrency: 8,
        },
        breaker: BreakerOptions { threshold: 5, cooldown: Duration::from_millis(300) },
        ..HostOptions::default()
    }
}

impl Default for TestHostBuilder {
    fn default() -> Self {
        TestHostBuilder {
            automations: Vec::new(),
            plugins: Vec::new(),
            sim: Sim::ixc(),
            extra_sims: Vec::new(),
            vars: Vec::new(),
            options: test_options(),
            database: None,
            backend: Backend::Sqlite,
            reload: None,
            egress_proxy: None,
        }
    }
}

impl TestHostBuilder {
    /// The host operator's egress proxy (`--egress-proxy`).
    #[must_use]
    pub fn egress_proxy(mut self, url: impl Into<String>) -> Self {
        self.egress_proxy = Some(url.into());
        self
    }

    /// Adds (or replaces) an automation file.
    #[must_use]
    pub fn automation(mut self, file: &str, contents: impl Into<String>) -> Self {
        self.automations.retain(|(f, _)| f != file);
        self.automations.push((file.to_owned(), contents.into()));
        self
    }

    /// Adds a test-only plugin: its manifest and its Rhai script.
    #[must_use]
    pub fn plugin(mut self, name: &str, manifest: &str, script: &str) -> Self {
        self.plugins.push((name.to_owned(), manifest.to_owned(), script.to_owned()));
        self
    }

    /// Changes the simulated IXC's configuration.
    #[must_use]
    pub fn ixc(mut self, config: ixc::IxcConfig) -> Self {
        self.sim = Sim::Ixc(config);
        self
    }

    /// Runs another simulator (the tenant's automation must then be given).
    #[must_use]
    pub fn sim(mut self, sim: Sim) -> Self {
        self.sim = sim;
        self
    }

    /// Runs one more simulator beside the main one (a tenant on an ERP plus a fiscal service,
    /// say): its variables join the main one's (the variants' names differ), and it is
    /// [`TestHost::extra_sims`] in the order added.
    #[must_use]
    pub fn extra_sim(mut self, sim: Sim) -> Self {
        self.extra_sims.push(sim);
        self
    }

    /// Adds a variable automations may reference as `${env:NAME}` (a wrong credential, say);
    /// it wins over a simulator's of the same name.
    #[must_use]
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Changes the host's tunables (default: [`test_options`]).
    #[must_use]
    pub fn options(mut self, options: HostOptions) -> Self {
        self.options = options;
        self
    }

    /// Uses this database instead of a SQLite file in the test's folder (e.g. a
    /// [`ScratchPostgres`](ponte_host::store::scratch::ScratchPostgres)'s URL).
    #[must_use]
    pub fn database(mut self, url: impl Into<String>) -> Self {
        self.database = Some(url.into());
        self
    }

    /// Runs the host on this store engine.
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Watches the plugins and automations every `interval` and swaps in what changed, as
    /// `ponte serve` does.
    pub fn reload(mut self, interval: Duration) -> Self {
        self.reload = Some(interval);
        self
    }

    /// Starts the simulator and the server. Without an automation for [`TENANT`], the tenant
    /// gets [`ixc_automation`].
    ///
    /// # Panics
    /// When anything fails to start: a test can't go on.
    pub async fn start(mut self) -> TestHost {
        let default_file = format!("{TENANT}.toml");
        if !self.automations.iter().any(|(f, _)| *f == default_file) {
            self.automations.push((default_file, ixc_automation(TENANT, "")));
        }
        capture_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let (sim, mut all_vars) = self.sim.spawn().await;
        let mut extra_sims = Vec::new();
        for extra in &self.extra_sims {
            let (sim, vars) = extra.spawn().await;
            all_vars.extend(vars);
            extra_sims.push(sim);
        }
        all_vars.extend(self.vars.iter().cloned());
        let vars = all_vars.into_iter().fold(Vars::none(), |vars, (name, value)| vars.with(name, value));

        let automations = dir.path().join("automations");
        let extra_plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&automations).expect("automations dir");
        std::fs::create_dir_all(&extra_plugins).expect("plugins dir");
        for (file, contents) in &self.automations {
            std::fs::write(automations.join(file), contents).expect("write automation");
        }
        for (name, manifest, script) in &self.plugins {
            let folder = extra_plugins.join(name);
            std::fs::create_dir_all(&folder).expect("plugin dir");
            std::fs::write(folder.join("plugin.toml"), manifest).expect("write manifest");
            std::fs::write(folder.join("main.rhai"), script).expect("write script");
        }
        let sources = Sources {
            plugins: vec![repo_plugins(), test_plugins(), extra_plugins],
            automations,
            vars,
            http_limits: ponte_host::capabilities::http::HttpLimits {
                proxy: self.egress_proxy.clone().map(ponte_host::secret::Secret::new),
                ..Default::default()
            },
        };
        let scratch = match (self.backend, &self.database) {
            (Backend::Postgres, None) => Some(ScratchPostgres::create().await.unwrap_or_else(|e| panic!("{e:#}"))),
            _ => None,
        };
        let database = match (&self.database, &scratch) {
            (Some(url), _) => url.clone(),
            (None, Some(scratch)) => scratch.url(),
            (None, None) => format!("sqlite://{}", dir.path().join("ponte.db").display()),
        };
        let host = ponte_host::bootstrap(&database, &sources, self.options.clone()).await.expect("bootstrap");
        let config_errors: Vec<String> = host.registry().errors.iter().map(ToString::to_string).collect();
        let reloader =
            self.reload.map(|every| tokio::spawn(ponte_host::reload::watch(host.clone(), sources.clone(), every)));

        host.store.ensure_tenant(TENANT, TENANT).await.expect("tenant");
        let mut keys = Vec::new();
        for scope in [Scope::App, Scope::Totem, Scope::Admin] {
            let key = host.store.create_api_key(TENANT, &[scope], "test").await.expect("create key");
            keys.push(key.token);
        }
        host.store.ensure_tenant(PLATFORM_TENANT, "Platform operators").await.expect("platform");
        let platform_key =
            host.store.create_api_key(PLATFORM_TENANT, &[Scope::Admin], "test").await.expect("create key").token;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind server");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let server_host = host.clone();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            ponte_host::server::serve(listener, server_host, shutdown).await
        });
        let [app_key, totem_key, admin_key] = <[String; 3]>::try_from(keys).expect("three keys");
        TestHost {
            base_url,
            app_key,
            totem_key,
            admin_key,
            platform_key,
            sim,
            extra_sims,
            host,
            config_errors,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
            reloader,
            dir,
            _scratch: scratch,
        }
    }
}

/// A running server with its simulator.
pub struct TestHost {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A key of tenant [`TENANT`] with scope `app`.
    pub app_key: String,
    /// Scope `totem`.
    pub totem_key: String,
    /// Scope `admin`.
    pub admin_key: String,
    /// A platform operator's key (tenant `*`, scope `admin`): every tenant.
    pub platform_key: String,
    /// The simulator (IXC unless the builder chose another).
    pub sim: Simulator,
    /// The builder's [`TestHostBuilder::extra_sim`]s, in order.
    pub extra_sims: Vec<Simulator>,
    /// The host's state (store, registry, metrics).
    pub host: Host,
    /// Configuration errors at load.
    pub config_errors: Vec<String>,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    reloader: Option<tokio::task::JoinHandle<()>>,
    dir: tempfile::TempDir,
    /// Declared last: the database outlives the server's pool.
    _scratch: Option<ScratchPostgres>,
}

/// A response: status, headers and body (JSON when it parses, else the text as a string).
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: Value,
}

impl TestHost {
    /// The default host: tenant [`TENANT`] on the IXC plugin.
    pub async fn start() -> TestHost {
        TestHostBuilder::default().start().await
    }

    /// A builder.
    pub fn builder() -> TestHostBuilder {
        TestHostBuilder::default()
    }

    /// The test's temporary folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Calls a function with a key and a JSON body; writing functions get a fresh
    /// `Idempotency-Key`.
    pub async fn call(&self, key: &str, function: &str, body: Value) -> (StatusCode, Value) {
        let reply = self.call_with(key, function, body, &[]).await;
        (reply.status, reply.body)
    }

    /// Calls a function with extra headers (given headers replace the defaults).
    pub async fn call_with(&self, key: &str, function: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .client
            .post(format!("{}/v1/functions/{function}", self.base_url))
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(body.to_string());
        let is_write = function.parse::<ponte_contract::Function>().is_ok_and(|f| f.spec().is_write());
        if is_write && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("idempotency-key")) {
            request = request.header("idempotency-key", uuid::Uuid::new_v4().to_string());
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        Self::reply(request.send().await.expect("request")).await
    }

    /// A raw request to any path.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        Self::reply(request.send().await.expect("request")).await
    }

    /// A request builder for a path.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base_url))
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, headers, body }
    }

    /// `GET /v1/settlements/{id}` with the app key.
    pub async fn settlement(&self, id: &str) -> Reply {
        let request = self.request(reqwest::Method::GET, &format!("/v1/settlements/{id}"));
        self.send(request.bearer_auth(&self.app_key)).await
    }

    /// Polls a settlement until it is no longer queued (at most 15 s) and returns its view.
    ///
    /// # Panics
    /// When it is still queued after that, or can't be read.
    pub async fn wait_settled(&self, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let reply = self.settlement(id).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            if reply.body["status"] != "queued" || tokio::time::Instant::now() >= deadline {
                return reply.body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The tenant's invocation log, newest first.
    pub async fn invocations(&self) -> Vec<ponte_host::store::InvocationRecord> {
        self.host.invocation_log.flush().await;
        self.host.store.invocations(TENANT, 1000).await.expect("invocations")
    }

    /// Stops the server and the simulator.
    pub async fn stop(mut self) {
        if let Some(reloader) = self.reloader.take() {
            reloader.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.sim.shutdown().await;
        for sim in self.extra_sims {
            sim.shutdown().await;
        }
    }
}

/// Asserts a problem+json answer with the given status and code, and returns its body.
///
/// # Panics
/// When the answer is anything else.
pub fn assert_problem(reply: &Reply, status: u16, code: &str) -> Value {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(content_type, "application/problem+json", "{}", reply.body);
    assert_eq!(reply.body["code"], code, "{}", reply.body);
    assert_eq!(reply.body["status"], status);
    assert!(reply.body["title"].is_string() && reply.body["detail"].is_string() && reply.body["type"].is_string());
    let id = reply.body["invocation_id"].as_str().unwrap_or("");
    assert!(!id.is_empty(), "problems carry an invocation id: {}", reply.body);
    reply.body.clone()
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(Arc::clone(&buffer));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,hyper=info,reqwest=info,sqlx=warn,h2=info"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buffer
    });
}

/// Everything logged so far in this test process.
pub fn captured_logs() -> String {
    LOGS.get()
        .map(|b| String::from_utf8_lossy(&b.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned())
        .unwrap_or_default()
}
