//! `ponte dev`: one plugin served by a real server for its author, reloaded on every save.
//!
//! The plugin's folder is the only plugins folder; a tenant (`plugin-author`) binds every
//! function of its manifest to it with the session's settings, in an automation written to the
//! data folder; a fresh admin key is printed. The server is `ponte serve`'s, with hot reload
//! watching the plugin's folder: edit the script, call again; a version that doesn't load is
//! refused with its errors and the last good one keeps answering. A Rust plugin is built with
//! cargo after every save ([`super::component`]) and its new component reloaded the same way; a
//! build that fails is printed and the last good component keeps answering.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::io::Write as _;

use anyhow::Context as _;
use ponte_contract::Scope;

use super::{SessionOptions, TENANT};
use crate::registry::Sources;

/// Options of `ponte dev`.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// The plugin, its settings and the calls' deadline.
    pub session: SessionOptions,
    /// Where the API listens.
    pub listen: SocketAddr,
    /// Where the SQLite file and the generated automation go.
    pub data_dir: PathBuf,
    /// How often the plugin's folder is looked at.
    pub reload_interval: Duration,
    /// Whether a Rust plugin is built after every save of its sources.
    pub build: bool,
}

/// Serves the plugin until `shutdown` resolves. Prints the address, the key and a first call.
///
/// # Errors
/// When the plugin or its settings don't load at start, or the store or listener can't start.
pub async fn run(
    options: DevOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let engine = std::sync::Arc::new(crate::runtime::rhai::engine());
    let plugin = crate::registry::load_plugin(&options.session.plugin, &engine)
        .await
        .map_err(|e| anyhow::anyhow!(super::SessionError::Config(e)))?;
    let (source, vars) = super::automation_for(&plugin, &options.session)?;
    let automations = options.data_dir.join("automations");
    std::fs::create_dir_all(&automations).with_context(|| format!("failed to create {}", automations.display()))?;
    std::fs::write(automations.join(format!("{TENANT}.toml")), source).context("failed to write the automation")?;
    let sources =
        Sources { plugins: vec![options.session.plugin.clone()], automations, vars, http_limits: Default::default() };
    let database = format!("sqlite://{}", options.data_dir.join("dev.db").display());
    let host = crate::bootstrap(&database, &sources, Default::default()).await?;
    if let Some(errors) = host.registry().failed_tenants.get(TENANT) {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::bail!("the plugin's settings did not load:\n{}", errors.join("\n"));
    }
    let key =
        host.store.create_api_key(TENANT, &[Scope::Admin], "ponte dev").await.context("failed to create a key")?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("failed to listen on {}", options.listen))?;
    let address = listener.local_addr()?;
    let manifest = &plugin.manifest;
    let first = manifest.functions.first().map_or("list_invoices", |f| f.as_str());
    // Whoever reads this may stop reading (`| head -2`): a closed pipe must not stop the server.
    let mut out = std::io::stdout();
    let _ =
        writeln!(out, "ponte dev: {} {} at http://{address} (reloaded on every save)", manifest.name, manifest.version);
    let _ = writeln!(out, "  key  {}", key.token);
    let _ = writeln!(
        out,
        "  curl -s http://{address}/v1/functions/{first} -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '{{\"customer_document_number\": \"714.602.380-01\"}}'",
        key.token
    );
    let _ = writeln!(
        out,
        "  the calls' exchanges: curl -s http://{address}/v1/admin/invocations -H 'Authorization: Bearer {}'",
        key.token
    );
    let rust = if options.build && options.session.plugin.join("Cargo.toml").is_file() {
        ponte_plugins_build::component::RustPlugin::read(&options.session.plugin).ok().flatten()
    } else {
        None
    };
    if let Some(rust) = rust {
        let _ = writeln!(out, "  a Rust plugin: every save is built with cargo, then reloaded");
        tokio::spawn(rebuild_on_save(rust.dir, options.reload_interval));
    }
    tokio::spawn(crate::reload::watch(host.clone(), sources, options.reload_interval));
    crate::server::serve(listener, host, shutdown).await?;
    Ok(())
}

/// Watches a Rust plugin's sources (`src/`, `build.rs`, `Cargo.toml`, `Cargo.lock`,
/// `plugin.toml`; nothing the build or a server writes) and builds it after every change; hot
/// reload then picks up the new component. A build that fails is printed, and the last good
/// component keeps serving.
async fn rebuild_on_save(plugin: PathBuf, interval: Duration) {
    fn sources(plugin: &std::path::Path) -> std::collections::BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)> {
        let mut files = crate::reload::files_under(&plugin.join("src"));
        for file in ["build.rs", "Cargo.toml", "Cargo.lock", "plugin.toml"] {
            let path = plugin.join(file);
            if let Ok(meta) = std::fs::metadata(&path) {
                files.insert(path, (meta.len(), meta.modified().ok()));
            }
        }
        files
    }
    let mut seen = sources(&plugin);
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(50)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let folder = plugin.clone();
        let Ok((now, folder)) = tokio::task::spawn_blocking(move || (sources(&folder), folder)).await else {
            continue;
        };
        if now == seen {
            continue;
        }
        seen = now;
        match tokio::task::spawn_blocking(move || super::component::build(&folder)).await {
            Ok(Ok(super::component::Built::Changed(path))) => eprintln!("built {}", path.display()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("{e}\nthe last good build keeps serving"),
            Err(e) => eprintln!("the build task failed: {e}"),
        }
    }
}
