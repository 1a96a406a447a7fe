//! Ponte, in this process, as `ponte serve` runs it: the bench plugins of `tests/plugins/`,
//! one tenant per runtime, SQLite in a temporary folder, production defaults except the per-key
//! request rate (off: one key sends all the load here).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ponte_contract::Scope;
use ponte_host::config::vars::Vars;
use ponte_host::invoke::HostOptions;
use ponte_host::registry::Sources;

/// A running Ponte and a key per bench tenant.
pub struct Ponte {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Tenant `bench-rhai` (the Rhai plugin), scope app.
    pub rhai_key: String,
    /// Tenant `bench-wasm` (the wasm plugin), scope app.
    pub wasm_key: String,
    /// Tenant `bench-cached` (the Rhai plugin, `list_totem_invoices` cached 1 minute), totem.
    pub cached_key: String,
    /// Its host, for its metrics.
    pub host: ponte_host::invoke::Host,
    _dir: tempfile::TempDir,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn automation(tenant: &str, plugin: &str, functions: &str) -> String {
    format!(
        "tenant = \"{tenant}\"\nallow_private = [\"127.0.0.1\"]\n[connections.erp]\nplugin = \"{plugin}\"\ntimeout = \"10s\"\n\
         settings = {{ base_url = \"${{env:BENCH_UPSTREAM}}\" }}\n[functions]\n{functions}"
    )
}

/// Starts Ponte against the upstream at `upstream`, keeping calls' payloads in the invocation
/// log or not.
///
/// # Errors
/// When the store, the configuration or the listener fails.
pub async fn start(upstream: &str, log_payloads: bool) -> anyhow::Result<Ponte> {
    let dir = tempfile::tempdir()?;
    let automations = dir.path().join("automations");
    std::fs::create_dir_all(&automations)?;
    let both = "list_invoices = \"erp\"\nlist_totem_invoices = \"erp\"\n";
    std::fs::write(automations.join("bench-rhai.toml"), automation("bench-rhai", "bench-rhai", both))?;
    std::fs::write(automations.join("bench-wasm.toml"), automation("bench-wasm", "bench-wasm", both))?;
    let cached = "list_totem_invoices = { use = \"erp\", cache_ttl = \"1m\" }\n";
    std::fs::write(automations.join("bench-cached.toml"), automation("bench-cached", "bench-rhai", cached))?;
    let sources = Sources {
        plugins: vec![repo().join("tests/plugins")],
        automations,
        vars: Vars::none().with("BENCH_UPSTREAM", upstream),
        http_limits: Default::default(),
    };
    let options = HostOptions { key_rate: None, log_payloads, ..HostOptions::default() };
    let database = format!("sqlite://{}", dir.path().join("ponte.db").display());
    let host = ponte_host::bootstrap(&database, &sources, options).await?;
    if let Some(error) = host.registry().errors.first() {
        anyhow::bail!("the bench configuration failed to load: {error}");
    }
    let key = |tenant: &'static str, scope: Scope| {
        let store = host.store.clone();
        async move { anyhow::Ok(store.create_api_key(tenant, &[scope], "load driver").await?.token) }
    };
    let rhai_key = key("bench-rhai", Scope::App).await?;
    let wasm_key = key("bench-wasm", Scope::App).await?;
    let cached_key = key("bench-cached", Scope::Totem).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let serving = host.clone();
    tokio::spawn(ponte_host::server::serve(listener, serving, std::future::pending()));
    Ok(Ponte { url, rhai_key, wasm_key, cached_key, host, _dir: dir })
}

/// What starting many tenants costs, measured in a process of its own (the parent runs this
/// binary again with `startup-probe`): the time from nothing to a loaded registry with every
/// tenant registered in the store, and the process's resident memory then.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Startup {
    /// Tenants loaded.
    pub tenants: usize,
    /// Automations (function bindings) loaded, all tenants together.
    pub automations: usize,
    /// Time to load.
    pub millis: u64,
    /// Resident memory after loading, in KiB.
    pub rss_kib: u64,
}

/// Writes `tenants` automation files binding every function of the IXC adapter (the repository's
/// widest manifest), then loads them as `ponte serve` does and reports.
///
/// # Errors
/// When the files can't be written or the store can't be opened.
pub async fn startup_probe(tenants: usize) -> anyhow::Result<Startup> {
    let dir = tempfile::tempdir()?;
    let automations = dir.path().join("automations");
    std::fs::create_dir_all(&automations)?;
    let manifest = ponte_host::config::manifest::load(&repo().join("plugins/ixc"))
        .map_err(|e| anyhow::anyhow!("the IXC manifest: {e:?}"))?;
    let functions: String = manifest.functions.iter().map(|f| format!("{f} = \"erp\"\n")).collect();
    for n in 0..tenants {
        let text = format!(
            "tenant = \"provider-{n}\"\nallow_private = [\"127.0.0.1\"]\n[connections.erp]\nplugin = \"ixc\"\n\
             settings = {{ base_url = \"http://127.0.0.1:9\", user_id = \"1\", token = \"${{env:IXC_TOKEN}}\" }}\n[functions]\n{functions}"
        );
        std::fs::write(automations.join(format!("provider-{n}.toml")), text)?;
    }
    let sources = Sources {
        plugins: vec![repo().join("plugins")],
        automations,
        vars: Vars::none().with("IXC_TOKEN", "load-driver-token"),
        http_limits: Default::default(),
    };
    let database = format!("sqlite://{}", dir.path().join("ponte.db").display());
    let started = Instant::now();
    let host = ponte_host::bootstrap(&database, &sources, HostOptions::default()).await?;
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Some(error) = host.registry().errors.first() {
        anyhow::bail!("the generated automations failed to load: {error}");
    }
    let automations = host.registry().tenants.values().map(|t| t.automation.functions.len()).sum();
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(Startup { tenants: host.registry().tenants.len(), automations, millis, rss_kib: rss_kib() })
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:")?.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
