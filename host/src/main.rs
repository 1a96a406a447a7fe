//! `ponte`: the server and its operator commands. Thin by design: parse arguments, set up
//! logging, call the library.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use ponte_contract::Scope;
use ponte_host::breaker::BreakerOptions;
use ponte_host::bulkhead::BulkheadOptions;
use ponte_host::config::vars::Vars;
use ponte_host::invoke::{HostOptions, RedisOptions};
use ponte_host::options::{KioskLookupLimit, PrivacyOptions, ReconciliationOptions};
use ponte_host::ratelimit::KeyRate;
use ponte_host::registry::{Registry, Sources};
use ponte_host::server::ListenerOptions;
use ponte_host::settlement::SettlementOptions;
use ponte_host::store::PLATFORM_TENANT;

/// Ponte: normalized ERP functions for internet providers' apps, websites and kiosks.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "PONTE_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "PONTE_LISTEN")]
        listen: SocketAddr,
        /// How often changed plugins and automations are looked for and swapped in (0s: never).
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, env = "PONTE_RELOAD_INTERVAL")]
        reload_interval: Duration,
        /// A TOML file of these settings (`max_concurrent_calls = 32`, `listen =
        /// "0.0.0.0:8080"`): each setting is taken from its flag, else its environment
        /// variable, else this file, else its default. Unknown keys are refused.
        #[arg(long, env = "PONTE_CONFIG")]
        config: Option<PathBuf>,
        /// Print every setting with where it came from (flag, env, file, default), secrets
        /// masked, and exit.
        #[arg(long)]
        print_config: bool,
        #[command(flatten)]
        paths: Paths,
        #[command(flatten)]
        tuning: Box<Tuning>,
    },
    /// Run the demo: a simulated IXC, the demo tenant, fresh keys, and the API.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "PONTE_LISTEN")]
        listen: SocketAddr,
        /// Where the demo's SQLite file goes.
        #[arg(long, default_value = ".ponte")]
        data_dir: PathBuf,
        /// The plugins folder.
        #[arg(long, default_value_os_t = default_dir("plugins"))]
        plugins: PathBuf,
        /// The automations folder.
        #[arg(long, default_value_os_t = default_dir("automations"))]
        automations: PathBuf,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[command(flatten)]
        paths: Paths,
    },
    /// Erase a customer's data (LGPD): their invocation-log rows, idempotency records, the
    /// personal part of their finished payments; refused while one of their payments is open.
    /// Also reaches a Redis read cache given with --redis-url; a running server's in-memory
    /// cache lets the customer's entries expire (the admin endpoint clears its replica's too).
    Erase {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The customer's CPF or CNPJ (punctuation accepted); `-` reads it from standard input,
        /// keeping it out of the shell's history.
        #[arg(long)]
        document: String,
        /// The Redis holding the replicas' read cache, if any.
        #[arg(long, env = "PONTE_REDIS_URL", hide_env_values = true)]
        redis_url: Option<String>,
        /// Prefix of the keys Ponte writes in Redis.
        #[arg(long, default_value = "ponte:", env = "PONTE_REDIS_PREFIX")]
        redis_prefix: String,
        #[command(flatten)]
        paths: Paths,
    },
    /// Keys that seal secrets at rest: make one, rotate, re-seal.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
        #[command(flatten)]
        paths: Paths,
    },
    /// Load plugins and automations and report every configuration error.
    Check {
        #[command(flatten)]
        paths: Paths,
    },
    /// Run one function of one plugin through the pipeline (capabilities, sandbox, contract),
    /// without a server, database or keys; print the raw and normalized results, the warnings
    /// and every upstream exchange (redacted).
    Invoke(Box<InvokeArgs>),
    /// Serve one plugin for its author: a tenant binding its functions with the settings of its
    /// test.toml ([live]) or --set, a fresh admin key, and a reload on every save.
    Dev(Box<DevArgs>),
    /// Plugin authors' tools: scaffold, test, record.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Args)]
struct InvokeArgs {
    /// The plugin's folder (with its plugin.toml).
    plugin: PathBuf,
    /// The function, e.g. list_invoices.
    function: String,
    /// The input: JSON, or @file with JSON.
    #[arg(long, default_value = "{}")]
    input: String,
    #[command(flatten)]
    connection: AuthorConnection,
    /// Answer the plugin's requests from the plugin's fixtures/recorded.json (its settings too)
    /// instead of the network.
    #[arg(long)]
    replay: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    build: BuildFlag,
}

/// Whether an author's tool builds a Rust plugin before running it.
#[derive(Args)]
struct BuildFlag {
    /// Run the plugin's `plugin.wasm` as it is, without building a Rust plugin first (cargo
    /// runs the crate's build scripts: use this on a plugin you don't trust, or in CI after
    /// your own build).
    #[arg(long)]
    no_build: bool,
}

/// How an author's tool reaches the plugin's ERP.
#[derive(Args)]
struct AuthorConnection {
    /// A setting, `name=value` (repeatable); values may be `${env:NAME}` references. Settings
    /// not given come from the [live] table of the plugin's test.toml, when there is one.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    settings: Vec<String>,
    /// A private address the ERP may live at (repeatable): 127.0.0.1, 10.0.0.0/8.
    #[arg(long = "allow-private", value_name = "ADDRESS")]
    allow_private: Vec<String>,
    /// Each call's deadline (default: test.toml's `[live]` timeout, else 20s).
    #[arg(long, value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
}

#[derive(Args)]
struct DevArgs {
    /// The plugin's folder (with its plugin.toml).
    plugin: PathBuf,
    #[command(flatten)]
    connection: AuthorConnection,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where the SQLite file and the generated automation go.
    #[arg(long, default_value = ".ponte-dev")]
    data_dir: PathBuf,
    /// How often the plugin's folder is looked at.
    #[arg(long, default_value = "300ms", value_parser = humantime::parse_duration)]
    reload_interval: Duration,
    #[command(flatten)]
    build: BuildFlag,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Create a plugin folder: manifest, code for the chosen functions, test plan and recorded
    /// fixtures that pass `ponte plugin test --replay`.
    New {
        /// The plugin's name (lower-case letters, digits, `-`); also its folder's.
        name: String,
        /// The runtime: a Rhai script, or a Rust crate on the PDK built into a WebAssembly
        /// component (needs cargo; the first build fetches and compiles the dependencies).
        #[arg(long, value_enum, default_value_t = ScaffoldRuntime::Rhai)]
        runtime: ScaffoldRuntime,
        /// With --runtime rust: the PDK's folder (plugin-api/pdk of a Ponte checkout); default
        /// the checkout this ponte was built from, else the project's git repository.
        #[arg(long, value_name = "DIR")]
        pdk: Option<PathBuf>,
        /// The functions to write code for (comma-separated); default get_customer,
        /// list_invoices, get_invoice.
        #[arg(long, value_delimiter = ',')]
        functions: Vec<String>,
        /// Where the folder is created.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Run the conformance scenarios against the plugin: the live ERP of its test.toml, or its
    /// recorded fixtures with --replay.
    Test {
        /// The plugin's folder.
        plugin: PathBuf,
        /// Answer from fixtures/recorded.json instead of the network.
        #[arg(long)]
        replay: bool,
        /// Print the outcomes as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        build: BuildFlag,
    },
    /// Build a Rust plugin into the component its manifest names (cargo build --release
    /// --target wasm32-wasip2); `test`, `record`, `invoke` and `dev` do it first by themselves.
    Build {
        /// The plugin's folder.
        plugin: PathBuf,
    },
    /// Run the scenarios against the live ERP of the plugin's test.toml and save every exchange
    /// to fixtures/recorded.json, for `ponte plugin test --replay`: secrets redacted, and the
    /// customers' names, e-mails, phones and addresses replaced with made-up ones.
    Record {
        /// The plugin's folder.
        plugin: PathBuf,
        /// Keep names, e-mails, phones and addresses as the ERP answered them.
        #[arg(long)]
        keep_personal_data: bool,
        #[command(flatten)]
        build: BuildFlag,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ScaffoldRuntime {
    Rhai,
    Rust,
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Print a fresh key (base64), for PONTE_SECRET_KEY or a key file.
    NewKey,
    /// Put a new key first in the key file and re-seal every stored secret under it. The old
    /// keys stay in the file (a replica may still meet values sealed under them) until
    /// --retire, once the report says nothing was skipped.
    Rotate {
        /// Also remove the old keys from the file after re-sealing.
        #[arg(long)]
        retire: bool,
    },
    /// Re-seal every stored secret under the first key (after putting a new key first in
    /// PONTE_SECRET_KEY by hand).
    Reseal,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key (printed once; only its hash is stored).
    Create {
        /// The tenant (an automation file's, or one created through the admin API).
        #[arg(long, required_unless_present = "platform", conflicts_with = "platform")]
        tenant: Option<String>,
        /// A platform operator's key (scope admin): it manages every tenant through the admin
        /// API (creates them, reads their logs and audit trail).
        #[arg(long)]
        platform: bool,
        /// Scopes: app, totem, admin (comma-separated or repeated); a platform key is admin.
        #[arg(long = "scope", value_delimiter = ',', required_unless_present = "platform")]
        scopes: Vec<String>,
        /// A label for operators.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List keys (never their secrets).
    List {
        /// Only this tenant's.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key's id (the part after `ponte_`).
        id: String,
    },
}

/// Retries, leases and retention (production defaults; tests and chaos runs shorten them).
#[derive(Args)]
struct Tuning {
    /// Whether the invocation log keeps each call's input and normalized output (64 KiB each at
    /// most): customers' personal data, shown in the console's detail view.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, env = "PONTE_INVOCATION_LOG_PAYLOADS")]
    invocation_log_payloads: bool,
    /// How long invocation-log rows (inputs, outputs, upstream exchanges) are kept (0s: forever).
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration, env = "PONTE_INVOCATION_LOG_RETENTION")]
    invocation_log_retention: Duration,
    /// Distinct customers one kiosk key (scope totem only) may look up per --kiosk-window
    /// before it is locked out (0: no limit).
    #[arg(long, default_value_t = 30, env = "PONTE_KIOSK_MAX_CUSTOMERS")]
    kiosk_max_customers: u32,
    /// The window kiosk lookups are counted in.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration, env = "PONTE_KIOSK_WINDOW")]
    kiosk_window: Duration,
    /// How long a kiosk key past the limit stays locked.
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration, env = "PONTE_KIOSK_LOCKOUT")]
    kiosk_lockout: Duration,
    /// How often each tenant's posted payments are compared with what its ERP shows (0s: only
    /// when an operator asks, `POST /v1/admin/tenants/{tenant}/reconciliation`).
    #[arg(long, default_value = "6h", value_parser = humantime::parse_duration, env = "PONTE_RECONCILE_INTERVAL")]
    reconcile_interval: Duration,
    /// How far back a reconciliation looks: payments posted or parked within it.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration, env = "PONTE_RECONCILE_WINDOW")]
    reconcile_window: Duration,
    /// Payments one reconciliation checks at most, the most recent first (each is one
    /// get_invoice call to the ERP).
    #[arg(long, default_value_t = 500, env = "PONTE_RECONCILE_MAX")]
    reconcile_max: u32,
    /// Let admins call the raw upstream API a plugin declares (`[passthrough]` in its manifest)
    /// with a tenant connection's credentials and policy, audited
    /// (`POST /v1/admin/tenants/{tenant}/passthrough`). Off by default.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", env = "PONTE_ADMIN_PASSTHROUGH")]
    admin_passthrough: bool,
    /// An OpenTelemetry collector to send traces to over OTLP/HTTP (`http://collector:4318`):
    /// each call's request, run, plugin and upstream requests, never customers' data.
    #[arg(long, env = "PONTE_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    /// An HTTP(S) proxy every upstream call leaves through, unless the tenant names its own
    /// (`egress_proxy`): `http://proxy.internal:3128` (may carry credentials).
    #[arg(long, env = "PONTE_EGRESS_PROXY", hide_env_values = true)]
    egress_proxy: Option<String>,
    /// How often the store is asked whether a tenant changed through the admin API on another
    /// replica.
    #[arg(long, default_value = "500ms", value_parser = humantime::parse_duration, env = "PONTE_CONFIG_POLL")]
    config_poll: Duration,
    /// How long an Idempotency-Key's answer is kept.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration, env = "PONTE_IDEMPOTENCY_RETENTION")]
    idempotency_retention: Duration,
    /// Attempts at posting a payment before it is parked for a human.
    #[arg(long, default_value_t = 20, env = "PONTE_SETTLEMENT_MAX_ATTEMPTS")]
    settlement_max_attempts: u32,
    /// The first retry's delay (doubling, with jitter).
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration, env = "PONTE_SETTLEMENT_BACKOFF")]
    settlement_backoff: Duration,
    /// The longest delay between attempts.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration, env = "PONTE_SETTLEMENT_BACKOFF_MAX")]
    settlement_backoff_max: Duration,
    /// Added to an attempt's deadlines to make its lease (how soon a dead replica's work is taken over).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, env = "PONTE_SETTLEMENT_LEASE_MARGIN")]
    settlement_lease_margin: Duration,
    /// How often the worker looks for due settlements.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, env = "PONTE_SETTLEMENT_POLL")]
    settlement_poll: Duration,
    /// Consecutive upstream failures that open a connection's circuit.
    #[arg(long, default_value_t = 5, env = "PONTE_BREAKER_THRESHOLD")]
    breaker_threshold: u32,
    /// How long an open circuit stays open before a probe.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, env = "PONTE_BREAKER_COOLDOWN")]
    breaker_cooldown: Duration,
    /// Plugin calls running at once, all tenants together (each may use its memory budget).
    #[arg(long, default_value_t = 64, env = "PONTE_MAX_CONCURRENT_CALLS")]
    max_concurrent_calls: usize,
    /// Plugin calls running at once per tenant connection.
    #[arg(long, default_value_t = 16, env = "PONTE_MAX_CALLS_PER_CONNECTION")]
    max_calls_per_connection: usize,
    /// How long a call waits for a free slot before `429`/`503`.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, env = "PONTE_QUEUE_WAIT")]
    queue_wait: Duration,
    /// Requests per second per API key (0: unlimited).
    #[arg(long, default_value_t = 100, env = "PONTE_KEY_RATE")]
    key_rate: u32,
    /// Requests one API key may send at once after a quiet spell.
    #[arg(long, default_value_t = 200, env = "PONTE_KEY_BURST")]
    key_burst: u32,
    /// Store reads per second one client address may cause with API keys the host doesn't hold
    /// in memory (made-up or brand-new tokens; 0: unlimited). Held keys never count.
    #[arg(long, default_value_t = 20, env = "PONTE_UNKNOWN_KEY_RATE")]
    unknown_key_rate: u32,
    /// Such reads one address may cause at once.
    #[arg(long, default_value_t = 100, env = "PONTE_UNKNOWN_KEY_BURST")]
    unknown_key_burst: u32,
    /// Connections open at once (lowered to fit the file-descriptor limit).
    #[arg(long, default_value_t = 4096, env = "PONTE_MAX_CONNECTIONS")]
    max_connections: usize,
    /// How long a request's headers may take to arrive, and a connection may sit idle.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, env = "PONTE_HEADER_READ_TIMEOUT")]
    header_read_timeout: Duration,
    /// On SIGTERM/SIGINT: how long requests and payment attempts under way may take to finish
    /// before they are cut off (a payment's claim is then given back to the queue).
    #[arg(long, default_value = "25s", value_parser = humantime::parse_duration, env = "PONTE_SHUTDOWN_GRACE")]
    shutdown_grace: Duration,
    /// How long a request's body may take to arrive, whole.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, env = "PONTE_BODY_READ_TIMEOUT")]
    body_read_timeout: Duration,
    /// Upstream requests one call may send.
    #[arg(long, default_value_t = 200, env = "PONTE_MAX_UPSTREAM_REQUESTS")]
    max_upstream_requests: usize,
    /// Bytes of answers the in-memory read cache holds (used when no Redis is given).
    #[arg(long, default_value_t = 64 * 1024 * 1024, env = "PONTE_CACHE_MEMORY_BYTES")]
    cache_memory_bytes: u64,
    /// A Redis for the read cache, shared by every replica using it: `redis://host:6379/0`.
    #[arg(long, env = "PONTE_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Prefix of the keys Ponte writes in Redis.
    #[arg(long, default_value = "ponte:", env = "PONTE_REDIS_PREFIX")]
    redis_prefix: String,
    /// Invocation-log rows that may wait for the background writer (past it they are counted
    /// as dropped, never waited for).
    #[arg(long, default_value_t = ponte_host::invocation_log::DEFAULT_QUEUE, env = "PONTE_INVOCATION_LOG_QUEUE")]
    invocation_log_queue: usize,
    /// How long the invocation log's writer gathers rows into one batch (one commit) before
    /// writing them; `0s` writes each as it comes. Readers of the log never wait for it.
    #[arg(long, default_value = "100ms", value_parser = humantime::parse_duration, env = "PONTE_INVOCATION_LOG_LINGER")]
    invocation_log_linger: Duration,
}

impl Tuning {
    fn options(&self) -> HostOptions {
        let defaults = HostOptions::default();
        HostOptions {
            idempotency_retention: self.idempotency_retention,
            settlement: SettlementOptions {
                max_attempts: self.settlement_max_attempts.max(1),
                backoff_base: self.settlement_backoff,
                backoff_max: self.settlement_backoff_max.max(self.settlement_backoff),
                lease_margin: self.settlement_lease_margin,
                poll_interval: self.settlement_poll,
                ..defaults.settlement
            },
            breaker: BreakerOptions { threshold: self.breaker_threshold.max(1), cooldown: self.breaker_cooldown },
            bulkhead: BulkheadOptions {
                total: self.max_concurrent_calls,
                per_connection: self.max_calls_per_connection,
                queue_wait: self.queue_wait,
            },
            key_rate: (self.key_rate > 0).then_some(KeyRate { per_second: self.key_rate, burst: self.key_burst }),
            unknown_key_rate: (self.unknown_key_rate > 0)
                .then_some(KeyRate { per_second: self.unknown_key_rate, burst: self.unknown_key_burst }),
            listener: ListenerOptions {
                max_connections: self.max_connections,
                header_read_timeout: self.header_read_timeout,
                shutdown_grace: self.shutdown_grace,
                ..defaults.listener
            },
            body_read_timeout: self.body_read_timeout,
            invocation_log_queue: self.invocation_log_queue.max(1),
            invocation_log_linger: self.invocation_log_linger,
            cache_memory_bytes: self.cache_memory_bytes,
            redis: self.redis_url.as_ref().map(|url| RedisOptions {
                url: ponte_host::secret::Secret::new(url.clone()),
                prefix: self.redis_prefix.clone(),
            }),
            config_poll: self.config_poll,
            keyring: defaults.keyring,
            log_payloads: self.invocation_log_payloads,
            privacy: PrivacyOptions {
                kiosk_lookups: (self.kiosk_max_customers > 0).then_some(KioskLookupLimit {
                    max_customers: self.kiosk_max_customers,
                    window: self.kiosk_window.max(Duration::from_secs(1)),
                    lockout: self.kiosk_lockout,
                }),
                invocation_retention: (!self.invocation_log_retention.is_zero())
                    .then_some(self.invocation_log_retention),
            },
            admin_passthrough: self.admin_passthrough,
            reconciliation: ReconciliationOptions {
                interval: (!self.reconcile_interval.is_zero()).then_some(self.reconcile_interval),
                window: self.reconcile_window,
                max_settlements: self.reconcile_max.max(1),
            },
        }
    }

    fn sources(&self, paths: &Paths) -> Sources {
        let mut sources = paths.sources();
        sources.http_limits.max_requests_per_call = self.max_upstream_requests.max(1);
        sources.http_limits.proxy = self.egress_proxy.clone().map(ponte_host::secret::Secret::new);
        sources
    }
}

#[derive(Args)]
struct Paths {
    /// Database URL: `sqlite://file.db` (embedded) or `postgres://user@host/db` (shared by replicas).
    #[arg(long, global = true, default_value = "sqlite://ponte.db", env = "DATABASE_URL")]
    database: String,
    /// The plugins folders, `:`-separated (`plugins:../my-plugins`); a plugin name found in two
    /// is an error.
    #[arg(long, global = true, value_delimiter = ':', default_values_os_t = [default_dir("plugins")], env = "PONTE_PLUGINS")]
    plugins: Vec<PathBuf>,
    /// The automations folder.
    #[arg(long, global = true, default_value_os_t = default_dir("automations"), env = "PONTE_AUTOMATIONS")]
    automations: PathBuf,
    /// The key file that seals secrets at rest (one base64 key per line, the first sealing;
    /// created when missing). Default: `PONTE_SECRET_KEY`, else `<database>.key` beside a
    /// SQLite file; a PostgreSQL store needs one of the two.
    #[arg(long, global = true, env = "PONTE_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
}

impl Paths {
    fn keyring(&self) -> anyhow::Result<ponte_host::secret::keyring::Keyring> {
        ponte_host::secret::keyring::Keyring::for_database(&self.database, self.secret_key_file.as_deref())
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    fn sources(&self) -> Sources {
        Sources {
            plugins: self.plugins.clone(),
            automations: self.automations.clone(),
            vars: Vars::env(),
            http_limits: Default::default(),
        }
    }
}

/// `./<name>` when it exists (running from a checkout or an install), else the repository's
/// folder this binary was built from (`cargo run` from anywhere in the checkout).
fn default_dir(name: &str) -> PathBuf {
    let local = PathBuf::from(name);
    if local.is_dir() {
        return local;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    if repo.is_dir() { repo } else { local }
}

fn main() -> ExitCode {
    let (args, from_file) = match layered::with_config_file(std::env::args_os().collect()) {
        Ok(layered) => layered,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(&args);
    if let Command::Serve { print_config: true, .. } = cli.command {
        print!("{}", layered::describe(&args, &from_file));
        return ExitCode::SUCCESS;
    }
    // Authors' tools print their own report; the log shows only the plugin's lines and trouble.
    let tool = matches!(cli.command, Command::Invoke(_) | Command::Plugin { .. } | Command::Dev(_));
    let traces = match &cli.command {
        Command::Serve { tuning, .. } => tuning.otlp_endpoint.as_deref().map(ponte_host::telemetry::Traces::otlp),
        _ => None,
    };
    let traces = match traces.transpose() {
        Ok(traces) => traces,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let filter = if tool { "warn,ponte::plugin=debug" } else { "info,sqlx=warn,hyper=warn" };
    init_logging(cli.log_format, filter, traces.as_ref());
    let code = run_command(cli.command);
    if let Some(traces) = traces {
        traces.shutdown();
    }
    code
}

fn run_command(command: Command) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { listen, reload_interval, paths, tuning, .. } => {
            let sources = tuning.sources(&paths);
            let mut options = tuning.options();
            options.keyring = std::sync::Arc::new(paths.keyring()?);
            let host = ponte_host::bootstrap(&paths.database, &sources, options).await?;
            if !reload_interval.is_zero() {
                tokio::spawn(ponte_host::reload::watch(host.clone(), sources, reload_interval));
            }
            let listener =
                tokio::net::TcpListener::bind(listen).await.with_context(|| format!("failed to listen on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, "serving");
            ponte_host::server::serve(listener, host, ponte_host::server::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { listen, data_dir, plugins, automations } => {
            ponte_host::demo::run(ponte_host::demo::DemoOptions { listen, data_dir, plugins, automations }).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { paths } => {
            let registry = Registry::load(&paths.sources()).await;
            for (name, plugin) in &registry.plugins {
                println!("plugin {name} {} ({} functions)", plugin.manifest.version, plugin.manifest.functions.len());
            }
            for (id, tenant) in &registry.tenants {
                println!("tenant {id}: {} functions", tenant.automation.functions.len());
            }
            for error in &registry.errors {
                println!("error: {error}");
            }
            Ok(if registry.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Keys { command, paths } => keys(command, &paths).await,
        Command::Secrets { command, paths } => secrets(command, &paths).await,
        Command::Erase { tenant, document, redis_url, redis_prefix, paths } => {
            erase(&tenant, &document, redis_url.map(|url| (url, redis_prefix)), &paths).await
        }
        Command::Invoke(args) => invoke(*args).await,
        Command::Dev(args) => dev(*args).await,
        Command::Plugin { command } => plugin(command).await,
    }
}

async fn invoke(args: InvokeArgs) -> anyhow::Result<ExitCode> {
    use ponte_host::author::{self, conformance};
    let function: ponte_contract::Function =
        args.function.parse().map_err(|_| anyhow::anyhow!("unknown function `{}`", args.function))?;
    let input = match args.input.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).with_context(|| format!("failed to read {file}"))?,
        None => args.input.clone(),
    };
    let input: serde_json::Value =
        serde_json::from_str(&input).map_err(|e| anyhow::anyhow!("--input is not JSON: {e}"))?;
    if !args.build.no_build {
        build_first(&args.plugin).await?;
    }
    let fixtures = if args.replay { Some(conformance::read_fixtures(&args.plugin)?) } else { None };
    let options = author_options(&args.plugin, &args.connection, fixtures.as_ref())?;
    let session = author::Session::start(options).await?;
    if let Some(fixtures) = fixtures {
        session.replay(fixtures.runs.into_iter().flat_map(|r| r.exchanges).collect());
    }
    let report = session.invoke(function, &input).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", author::render(&report));
    }
    Ok(if report.problem.is_none() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A session's options: the recording's when replaying `fixtures`, else the [live] table of the plugin's
/// test.toml when it has one; then `--set` values and `--allow-private` addresses on top.
fn author_options(
    plugin: &std::path::Path,
    connection: &AuthorConnection,
    fixtures: Option<&ponte_host::author::conformance::Fixtures>,
) -> anyhow::Result<ponte_host::author::SessionOptions> {
    use ponte_host::author::{self, conformance};
    let settings = &connection.settings;
    let mut options = if let Some(fixtures) = fixtures {
        conformance::replay_options(plugin, fixtures)
    } else {
        // A plan that exists must read; one that doesn't is fine (settings from --set).
        let plan =
            if plugin.join(conformance::PLAN_FILE).exists() { Some(conformance::read_plan(plugin)?) } else { None };
        match plan.filter(|plan| plan.live.is_some()) {
            Some(plan) => conformance::live_options(plugin, &plan)?,
            None => author::SessionOptions {
                plugin: plugin.to_owned(),
                settings: Default::default(),
                allow_private: Vec::new(),
                timeout: Duration::from_secs(20),
                clock: None,
            },
        }
    };
    for setting in settings {
        let (name, value) =
            setting.split_once('=').ok_or_else(|| anyhow::anyhow!("--set takes NAME=VALUE, got `{setting}`"))?;
        options.settings.insert(name.trim().to_owned(), value.to_owned());
    }
    options.allow_private.extend(connection.allow_private.iter().cloned());
    if let Some(timeout) = connection.timeout {
        options.timeout = timeout;
    }
    Ok(options)
}

async fn dev(args: DevArgs) -> anyhow::Result<ExitCode> {
    if !args.build.no_build {
        build_first(&args.plugin).await?;
    }
    let session = author_options(&args.plugin, &args.connection, None)?;
    let options = ponte_host::author::dev::DevOptions {
        session,
        listen: args.listen,
        data_dir: args.data_dir,
        reload_interval: args.reload_interval,
        build: !args.build.no_build,
    };
    ponte_host::author::dev::run(options, ponte_host::server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn plugin(command: PluginCommand) -> anyhow::Result<ExitCode> {
    use ponte_host::author::{self, component, conformance, scaffold};
    match command {
        PluginCommand::New { name, runtime, pdk, functions, dir } => {
            let functions = functions
                .iter()
                .map(|f| f.trim().parse().map_err(|_| anyhow::anyhow!("unknown function `{f}`")))
                .collect::<anyhow::Result<Vec<ponte_contract::Function>>>()?;
            let runtime = match (runtime, pdk) {
                (ScaffoldRuntime::Rhai, None) => scaffold::Runtime::Rhai,
                (ScaffoldRuntime::Rhai, Some(_)) => anyhow::bail!("--pdk is for --runtime rust"),
                (ScaffoldRuntime::Rust, None) => scaffold::Runtime::Rust(scaffold::rust::Pdk::default_source()),
                (ScaffoldRuntime::Rust, Some(pdk)) => {
                    let pdk = pdk.canonicalize().with_context(|| format!("--pdk {}", pdk.display()))?;
                    if pdk.to_str().is_none() {
                        anyhow::bail!("--pdk {}: a Cargo.toml can only name a UTF-8 path", pdk.display());
                    }
                    if !pdk.join("Cargo.toml").is_file() {
                        anyhow::bail!(
                            "--pdk {}: no Cargo.toml there (it is plugin-api/pdk of a checkout)",
                            pdk.display()
                        );
                    }
                    scaffold::Runtime::Rust(scaffold::rust::Pdk::Path(pdk))
                }
            };
            if matches!(runtime, scaffold::Runtime::Rust(_)) {
                eprintln!("building the new plugin with cargo (the first build compiles its dependencies)...");
            }
            let folder = scaffold::new_plugin(&dir, &name, runtime, &functions).await?;
            println!("created {}", folder.display());
            println!("next: ponte plugin test {} --replay", folder.display());
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Build { plugin } => {
            match build_first(&plugin).await? {
                component::Built::NotRust => println!("{} is no Rust plugin: nothing to build", plugin.display()),
                component::Built::UpToDate(wasm) => println!("{} is up to date", wasm.display()),
                component::Built::Changed(_) => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Test { plugin, replay, json, build } => {
            let plan = conformance::read_plan(&plugin)?;
            if !build.no_build {
                build_first(&plugin).await?;
            }
            let (mode, fixtures, options) = if replay {
                let fixtures = conformance::read_fixtures(&plugin)?;
                let options = conformance::replay_options(&plugin, &fixtures);
                (conformance::Mode::Replay, fixtures, options)
            } else {
                (conformance::Mode::Live, Default::default(), conformance::live_options(&plugin, &plan)?)
            };
            let mut session = author::Session::start(options).await?;
            let (outcomes, _) = conformance::run(&mut session, &plan.roles, mode, &fixtures).await;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcomes)?);
            } else {
                print!("{}", conformance::render(&outcomes));
            }
            Ok(if outcomes.iter().all(conformance::Outcome::passed) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        PluginCommand::Record { plugin, keep_personal_data, build } => {
            let plan = conformance::read_plan(&plugin)?;
            if !build.no_build {
                build_first(&plugin).await?;
            }
            let options = conformance::live_options(&plugin, &plan)?;
            let allow_private = options.allow_private.clone();
            let mut session = author::Session::start(options).await?;
            let (outcomes, mut recorded) =
                conformance::run(&mut session, &plan.roles, conformance::Mode::Live, &Default::default()).await;
            recorded.settings = session.recordable_settings();
            recorded.allow_private = allow_private;
            let scrubbed = if keep_personal_data { 0 } else { author::scrub::scrub(&mut recorded) };
            let path = conformance::write_fixtures(&plugin, &recorded)?;
            print!("{}", conformance::render(&outcomes));
            println!("recorded {} calls in {}", recorded.runs.len(), path.display());
            if !keep_personal_data {
                println!("replaced {scrubbed} names, e-mails, phones and addresses with made-up ones (CPF/CNPJ kept)");
            }
            Ok(if outcomes.iter().all(conformance::Outcome::passed) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// Builds a Rust plugin's component before it is run (nothing for a Rhai plugin); says so on
/// standard error when the component changed.
async fn build_first(plugin: &Path) -> anyhow::Result<ponte_host::author::component::Built> {
    let folder = plugin.to_owned();
    let built = tokio::task::spawn_blocking(move || ponte_host::author::component::build(&folder)).await??;
    if let ponte_host::author::component::Built::Changed(wasm) = &built {
        eprintln!("built {}", wasm.display());
    }
    Ok(built)
}

async fn erase(
    tenant: &str,
    document: &str,
    redis: Option<(String, String)>,
    paths: &Paths,
) -> anyhow::Result<ExitCode> {
    let document = if document == "-" {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("failed to read the document from standard input")?;
        line.trim().to_owned()
    } else {
        document.to_owned()
    };
    let store = ponte_host::store::Store::open(&paths.database).await.context("failed to open the store")?;
    let cache = match redis {
        None => None,
        Some((url, prefix)) => Some(
            ponte_host::cache::ReadCache::redis(&RedisOptions { url: ponte_host::secret::Secret::new(url), prefix })
                .await
                .map_err(|e| anyhow::anyhow!("failed to reach the Redis read cache: {:?}", e.kind()))?,
        ),
    };
    match ponte_host::privacy::erasure::erase(&store, cache.as_ref(), tenant, &document).await {
        Ok(erased) => {
            let after = serde_json::json!(erased);
            store.record_audit(&cli_audit(tenant, "customer.erased", "customer", None, Some(after.clone()))).await?;
            println!("{}", serde_json::to_string_pretty(&after)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            eprintln!("{}: {}", problem.code, problem.detail);
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn keys(command: KeysCommand, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = ponte_host::store::Store::open(&paths.database).await.context("failed to open the store")?;
    match command {
        KeysCommand::Create { tenant, platform, scopes, label } => {
            let mut scopes = scopes
                .iter()
                .map(|s| {
                    s.trim()
                        .parse::<Scope>()
                        .map_err(|_| anyhow::anyhow!("unknown scope `{s}` (expected app, totem or admin)"))
                })
                .collect::<anyhow::Result<Vec<Scope>>>()?;
            let (tenant, name) = match tenant {
                _ if platform => {
                    if scopes.iter().any(|s| *s != Scope::Admin) {
                        anyhow::bail!("a platform key has the admin scope only");
                    }
                    scopes = vec![Scope::Admin];
                    (PLATFORM_TENANT.to_owned(), "Platform operators".to_owned())
                }
                None => anyhow::bail!("name the key's --tenant, or make a --platform key"),
                Some(tenant) => {
                    let registry = Registry::load(&paths.sources()).await;
                    let stored = store.tenants().await?;
                    let name = match registry.tenants.get(&tenant) {
                        Some(t) => t.automation.name.clone(),
                        None if registry.failed_tenants.contains_key(&tenant) => {
                            tracing::warn!("tenant `{tenant}`'s automation has errors; creating the key anyway");
                            tenant.clone()
                        }
                        None => match stored.iter().find(|t| t.id == tenant && t.id != PLATFORM_TENANT) {
                            Some(t) => t.name.clone(),
                            None => anyhow::bail!(
                                "no automation file in {} nor the admin API defines tenant `{tenant}`",
                                paths.automations.display()
                            ),
                        },
                    };
                    (tenant, name)
                }
            };
            store.ensure_tenant(&tenant, &name).await?;
            let key = store.create_api_key(&tenant, &scopes, &label).await?;
            let after = serde_json::json!({"id": key.id, "tenant": key.tenant, "scopes": key.scopes, "label": label});
            store.record_audit(&cli_audit(&tenant, "api_key.created", &key.id, None, Some(after))).await?;
            println!("{}", key.token);
            eprintln!(
                "key {} for {} ({}); store it now: it is not shown again",
                key.id,
                if platform { "the platform".to_owned() } else { format!("tenant {tenant}") },
                scope_list(&key.scopes)
            );
        }
        KeysCommand::List { tenant } => {
            for key in store.list_api_keys(tenant.as_deref()).await? {
                let state =
                    key.revoked_at.map_or_else(|| "active".to_owned(), |at| format!("revoked {}", at.to_rfc3339()));
                println!("{}\t{}\t{}\t{}\t{}", key.id, key.tenant, scope_list(&key.scopes), state, key.label);
            }
        }
        KeysCommand::Revoke { id } => {
            let known = store.api_key(&id).await?;
            if store.revoke_api_key(&id).await? {
                if let Some(key) = known {
                    let before = serde_json::json!({"id": key.id, "tenant": key.tenant, "scopes": key.scopes, "label": key.label});
                    store.record_audit(&cli_audit(&key.tenant, "api_key.revoked", &id, Some(before), None)).await?;
                }
                println!("revoked {id}");
            } else {
                anyhow::bail!("no active key with id `{id}`");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn secrets(command: SecretsCommand, paths: &Paths) -> anyhow::Result<ExitCode> {
    use ponte_host::secret::keyring::new_key;
    if let SecretsCommand::NewKey = command {
        println!("{}", new_key());
        return Ok(ExitCode::SUCCESS);
    }
    // The keys first: a missing key file is the clearer error, and needs no database.
    let keyring = paths.keyring()?;
    let store = ponte_host::store::Store::open(&paths.database).await.context("failed to open the store")?;
    let retire = match command {
        SecretsCommand::Rotate { retire } => {
            let id = keyring.add_sealing_key().map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("new sealing key {id} is first in the key file");
            retire
        }
        SecretsCommand::Reseal | SecretsCommand::NewKey => false,
    };
    let report = ponte_host::reseal::reseal_all(&store, &keyring).await?;
    println!(
        "re-sealed under {}: {} tenant revisions, {} kv values; {} skipped",
        keyring.sealing_key_id(),
        report.revisions,
        report.kv_values,
        report.skipped
    );
    store
        .record_audit(&cli_audit(
            PLATFORM_TENANT,
            "secrets.resealed",
            &keyring.sealing_key_id(),
            None,
            Some(serde_json::to_value(&report)?),
        ))
        .await?;
    if retire {
        if report.skipped > 0 {
            anyhow::bail!("{} values did not re-seal; the old keys are kept", report.skipped);
        }
        let retired = keyring.retire_old_keys().map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("retired keys: {}", retired.join(", "));
    }
    Ok(if report.skipped == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// An operator's action from the command line, for the audit trail.
fn cli_audit(
    tenant: &str,
    action: &'static str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> ponte_host::store::NewAuditEvent {
    ponte_host::store::NewAuditEvent {
        actor: "cli".into(),
        tenant: (tenant != PLATFORM_TENANT).then(|| tenant.to_owned()),
        action,
        target: target.to_owned(),
        before,
        after,
    }
}

fn scope_list(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

/// Logs to standard error (filtered by `RUST_LOG`, else `default_filter`) and, with `traces`,
/// Ponte's spans to the OTLP collector whatever the log filter.
fn init_logging(format: LogFormat, default_filter: &str, traces: Option<&ponte_host::telemetry::Traces>) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().boxed(),
    };
    tracing_subscriber::registry().with(fmt.with_filter(filter)).with(traces.map(|t| t.layer())).init();
}

/// `ponte serve`'s settings in layers: a flag, else its environment variable, else the
/// `--config` file, else the default. The file's keys are the flags' names in snake case.
mod layered {
    use std::collections::BTreeSet;
    use std::ffi::OsString;

    use clap::CommandFactory as _;
    use clap::parser::ValueSource;

    use super::Cli;

    /// Flags the file can't set: the file itself, and printing.
    const NOT_IN_FILE: &[&str] = &["config", "print_config", "help", "version"];

    fn serve_command() -> clap::Command {
        let mut command = Cli::command();
        command.build();
        command.find_subcommand("serve").cloned().unwrap_or_default()
    }

    /// `args` with the `--config` file's settings added as flags where neither a flag nor an
    /// environment variable gave one; and the names of the settings the file gave.
    ///
    /// # Errors
    /// An unreadable file, one that is not TOML, an unknown key, a value that is neither text,
    /// number, boolean nor a list of them.
    pub fn with_config_file(mut args: Vec<OsString>) -> Result<(Vec<OsString>, BTreeSet<String>), String> {
        // An invalid command line is left for the real parse to report.
        let Ok(matches) = Cli::command().try_get_matches_from(&args) else { return Ok((args, BTreeSet::new())) };
        let Some(("serve", serve)) = matches.subcommand() else { return Ok((args, BTreeSet::new())) };
        let Some(path) = serve.get_one::<std::path::PathBuf>("config") else { return Ok((args, BTreeSet::new())) };
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("--config {shown}: {e}"))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| format!("--config {shown}: {}", e.message()))?;
        let command = serve_command();
        let known: Vec<&clap::Arg> = command
            .get_arguments()
            .filter(|a| a.get_long().is_some() && !NOT_IN_FILE.contains(&a.get_id().as_str()))
            .collect();
        let mut unknown = Vec::new();
        let mut from_file = BTreeSet::new();
        for (key, value) in &table {
            let Some(arg) = known.iter().find(|a| a.get_id().as_str() == key) else {
                unknown.push(key.clone());
                continue;
            };
            let given = matches!(serve.value_source(key), Some(ValueSource::CommandLine | ValueSource::EnvVariable));
            if given {
                continue;
            }
            let values = match value {
                toml::Value::Array(items) => items.iter().map(|v| scalar(key, v)).collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar(key, other)?],
            };
            let long = arg.get_long().unwrap_or(key);
            for value in values {
                args.push(format!("--{long}={value}").into());
            }
            from_file.insert(key.clone());
        }
        if !unknown.is_empty() {
            let valid: Vec<&str> = known.iter().map(|a| a.get_id().as_str()).collect();
            return Err(format!(
                "--config {shown}: unknown setting{} {}; the file takes: {}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                valid.join(", ")
            ));
        }
        Ok((args, from_file))
    }

    fn scalar(key: &str, value: &toml::Value) -> Result<String, String> {
        match value {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(n) => Ok(n.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            _ => Err(format!("`{key}`: give text, a whole number, true/false, or a list of them")),
        }
    }

    /// Every `ponte serve` setting with its value and where it came from, secrets masked.
    pub fn describe(args: &[OsString], from_file: &BTreeSet<String>) -> String {
        let command = serve_command();
        let matches = Cli::command().get_matches_from(args);
        let Some(serve) = matches.subcommand_matches("serve") else { return String::new() };
        let mut out = String::new();
        for arg in command.get_arguments().filter(|a| a.get_long().is_some()) {
            let id = arg.get_id().as_str();
            if NOT_IN_FILE.contains(&id) {
                continue;
            }
            let raw: Vec<String> = serve
                .get_raw(id)
                .map(|values| values.map(|v| v.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            let source = match serve.value_source(id) {
                _ if from_file.contains(id) => "file",
                Some(ValueSource::CommandLine) => "flag",
                Some(ValueSource::EnvVariable) => "env",
                Some(ValueSource::DefaultValue) => "default",
                _ => "unset",
            };
            let value = if raw.is_empty() {
                "(none)".to_owned()
            } else if arg.is_hide_env_values_set() {
                "***".to_owned()
            } else if id == "database" {
                raw.iter().map(|v| without_password(v)).collect::<Vec<_>>().join(",")
            } else {
                raw.join(",")
            };
            out.push_str(&format!("{id} = {value}    # {source}\n"));
        }
        out
    }

    /// A URL's password replaced with `***`.
    fn without_password(url: &str) -> String {
        match url::Url::parse(url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => url.to_owned(),
        }
    }
}
