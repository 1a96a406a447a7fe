//! `ponte demo`: the whole product on one machine. It starts the bundled simulators on loopback
//! (IXC, PlugStorage, DocSales), loads `plugins/` and `automations/` (whose `demo` tenant points
//! at the IXC simulator and whose `mixed` tenant mixes all three, through `${env:PONTE_DEMO_*}`
//! variables supplied here), opens a SQLite file, creates fresh app, totem and admin keys,
//! prints copy-paste `curl` lines, and serves until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use ponte_contract::Scope;
use ponte_erp_sim::{Simulator, docsales, ixc, plugstorage};

use crate::config::vars::Vars;
use crate::registry::Sources;

/// The demo tenant's id (`automations/demo.toml`).
pub const DEMO_TENANT: &str = "demo";
/// The tenant that mixes services (`automations/mixed.toml`).
pub const MIXED_TENANT: &str = "mixed";

/// Options of `ponte demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the API listens.
    pub listen: SocketAddr,
    /// Where the SQLite file lives.
    pub data_dir: PathBuf,
    /// The plugins folder.
    pub plugins: PathBuf,
    /// The automations folder.
    pub automations: PathBuf,
}

/// Runs the demo until Ctrl-C.
///
/// # Errors
/// When the simulator, the store or the listener can't start, or the demo tenant fails to load.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let services = DemoServices::start().await?;
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("failed to create {}", options.data_dir.display()))?;
    let database = format!("sqlite://{}", options.data_dir.join("demo.db").display());
    let sources = Sources {
        plugins: vec![options.plugins],
        automations: options.automations,
        vars: services.vars.clone(),
        http_limits: Default::default(),
    };
    let keyring = crate::secret::keyring::Keyring::for_database(&database, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let host_options = crate::invoke::HostOptions { keyring: std::sync::Arc::new(keyring), ..Default::default() };
    let host = crate::bootstrap(&database, &sources, host_options).await?;
    if !host.registry().tenants.contains_key(DEMO_TENANT) {
        anyhow::bail!("the demo tenant did not load; see the configuration errors above");
    }
    let mut keys = Vec::new();
    for scope in [Scope::App, Scope::Totem, Scope::Admin] {
        let key = host
            .store
            .create_api_key(DEMO_TENANT, &[scope], "ponte demo")
            .await
            .context("failed to create a demo key")?;
        keys.push((scope, key.token));
    }
    host.store
        .ensure_tenant(crate::store::PLATFORM_TENANT, "Platform operators")
        .await
        .context("failed to register the platform")?;
    let platform = host
        .store
        .create_api_key(crate::store::PLATFORM_TENANT, &[Scope::Admin], "ponte demo")
        .await
        .context("failed to create a demo key")?;
    keys.push((Scope::Admin, platform.token));
    let mixed_key = if host.registry().tenants.contains_key(MIXED_TENANT) {
        let key = host.store.create_api_key(MIXED_TENANT, &[Scope::App], "ponte demo").await;
        Some(key.context("failed to create a demo key")?.token)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("failed to listen on {} (is another ponte running? use --listen)", options.listen))?;
    let addr = listener.local_addr()?;
    print_banner(addr, &services.ixc.base_url(), &keys, mixed_key.as_deref());
    crate::server::serve(listener, host, crate::server::shutdown_signal()).await?;
    services.shutdown().await;
    Ok(())
}

/// The simulators `ponte demo` runs on loopback, and the `PONTE_DEMO_*` variables the
/// repository's automations reach them by (over the process environment).
pub struct DemoServices {
    /// The simulated IXC (the `demo` tenant's ERP, the `mixed` tenant's too).
    pub ixc: Simulator,
    /// The simulated PlugStorage (the `mixed` tenant's fiscal notes).
    pub fiscal: Simulator,
    /// The simulated DocSales (the `mixed` tenant's orders).
    pub sales: Simulator,
    /// `PONTE_DEMO_*`: each simulator's address and demo credentials.
    pub vars: Vars,
}

impl DemoServices {
    /// Starts the three simulators with their demo accounts.
    ///
    /// # Errors
    /// When a simulator can't bind a loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        let bind = || tokio::net::TcpListener::bind("127.0.0.1:0");
        let ixc_config = ixc::IxcConfig::default();
        let ixc_token = ixc_config.token.clone();
        let ixc = ixc::spawn(bind().await.context("failed to bind a simulator")?, ixc_config)
            .await
            .context("failed to start the IXC simulator")?;
        let fiscal_config = plugstorage::PlugStorageConfig::demo();
        let fiscal = plugstorage::spawn(bind().await.context("failed to bind a simulator")?, fiscal_config.clone())
            .await
            .context("failed to start the PlugStorage simulator")?;
        let sales_config = docsales::DocSalesConfig::default();
        let sales = docsales::spawn(bind().await.context("failed to bind a simulator")?, sales_config.clone())
            .await
            .context("failed to start the DocSales simulator")?;
        let vars = Vars::env()
            .with("PONTE_DEMO_IXC_URL", ixc.base_url())
            .with("PONTE_DEMO_IXC_TOKEN", ixc_token)
            .with("PONTE_DEMO_PLUGSTORAGE_URL", fiscal.base_url())
            .with("PONTE_DEMO_PLUGSTORAGE_TOKEN", fiscal_config.token)
            .with("PONTE_DEMO_PLUGSTORAGE_EMAIL", fiscal_config.email)
            .with("PONTE_DEMO_PLUGSTORAGE_PASSWORD", fiscal_config.password)
            .with("PONTE_DEMO_DOCSALES_URL", sales.base_url())
            .with("PONTE_DEMO_DOCSALES_TOKEN", sales_config.token);
        Ok(DemoServices { ixc, fiscal, sales, vars })
    }

    /// Stops the simulators.
    pub async fn shutdown(self) {
        self.ixc.shutdown().await;
        self.fiscal.shutdown().await;
        self.sales.shutdown().await;
    }
}

fn print_banner(addr: SocketAddr, sim_url: &str, keys: &[(Scope, String)], mixed_key: Option<&str>) {
    let key = |scope: Scope| keys.iter().find(|(s, _)| *s == scope).map(|(_, k)| k.as_str()).unwrap_or("");
    // The last admin key is the platform operator's.
    let platform = keys.iter().rev().find(|(s, _)| *s == Scope::Admin).map(|(_, k)| k.as_str()).unwrap_or("");
    let base = format!("http://{addr}");
    let cpf = ixc::data::CUSTOMER_CPF;
    let blocked = ixc::data::BLOCKED_CUSTOMER_CPF;
    let open = ixc::data::INVOICE_OPEN;
    println!(
        r#"
Ponte demo: tenant `{DEMO_TENANT}` on the IXC adapter, against a simulated IXC at {sim_url}

  API      {base}   (OpenAPI: {base}/openapi.json, metrics: {base}/metrics)
  Console  {base}/console   (sign in with the admin key, or the platform key for every tenant)
  app key    {app}
  totem key  {totem}
  admin key  {admin}
  platform key {platform}   (every tenant: /v1/admin/tenants, /v1/admin/audit)

Try:
  curl -s {base}/v1/functions -H 'Authorization: Bearer {app}'
  curl -s {base}/v1/functions/list_invoices -H 'Authorization: Bearer {app}' -H 'Content-Type: application/json' -d '{{"customer_document_number": "{cpf}"}}'
  curl -s {base}/v1/functions/list_totem_invoices -H 'Authorization: Bearer {totem}' -H 'Content-Type: application/json' -d '{{"customer_document_number": "{cpf}"}}'
  curl -s {base}/v1/functions/list_blocked_plans -H 'Authorization: Bearer {totem}' -H 'Content-Type: application/json' -d '{{"customer_document_number": "{blocked}"}}'
  curl -s {base}/v1/functions/list_invoices -H 'Authorization: Bearer {app}' -H 'Content-Type: application/json' -d '{{"customer_document_number": "714.602.380-02"}}'
  curl -s {base}/v1/functions/settle_invoice -H 'Authorization: Bearer {totem}' -H 'Idempotency-Key: demo-payment-1' -H 'Content-Type: application/json' -d '{{"boleto_id": "{open}", "customer_document_number": "{cpf}", "transaction": {{"id": "E18236120202605151200demo0001", "amount": "99.90", "paid_at": "2026-05-15T12:00:00-03:00", "method": "pix"}}}}'
  curl -s '{base}/v1/admin/settlements?limit=5' -H 'Authorization: Bearer {admin}'
  curl -s '{base}/v1/admin/invocations?limit=5' -H 'Authorization: Bearer {admin}'
  curl -s {base}/v1/admin/tenants -H 'Authorization: Bearer {platform}'
  curl -s '{base}/v1/admin/audit?limit=5' -H 'Authorization: Bearer {platform}'

Ctrl-C stops.
"#,
        app = key(Scope::App),
        totem = key(Scope::Totem),
        admin = key(Scope::Admin),
    );
    if let Some(mixed) = mixed_key {
        println!(
            r#"Tenant `{MIXED_TENANT}` mixes services (automations/mixed.toml): IXC for invoices, PlugStorage for fiscal notes, DocSales for orders.
  mixed app key  {mixed}
  curl -s {base}/v1/functions -H 'Authorization: Bearer {mixed}'
  curl -s {base}/v1/functions/list_fiscal_notes -H 'Authorization: Bearer {mixed}' -H 'Content-Type: application/json' -d '{{"customer_document_number": "{cpf}"}}'
"#
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// What `ponte demo` loads, as it loads it: every automation of the repository against the
    /// demo's own simulators and variables, with no configuration error (an empty credential
    /// would be one).
    #[tokio::test]
    async fn every_repository_automation_loads_against_the_demo_services() -> anyhow::Result<()> {
        let services = DemoServices::start().await?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let sources = Sources {
            plugins: vec![root.join("plugins")],
            automations: root.join("automations"),
            vars: services.vars.clone(),
            http_limits: Default::default(),
        };
        let host = crate::bootstrap("sqlite::memory:", &sources, Default::default()).await?;
        let errors: Vec<String> = host.registry().errors.iter().map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(
            host.registry().tenants.contains_key(DEMO_TENANT) && host.registry().tenants.contains_key(MIXED_TENANT)
        );
        services.shutdown().await;
        Ok(())
    }
}
