//! The loaded world: plugins compiled, automations validated, connections ready to call.
//!
//! Loading is forgiving per unit and strict within it: a plugin whose manifest or code is bad
//! is left out (and the automations that use it fail to load), an automation with any error is
//! left out whole (its tenant gets `function_not_configured` with the reason), and everything
//! else loads. Every error is kept for `/readyz`, `ponte check` and the logs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ponte_contract::Function;

use crate::capabilities::config::ConfigCapability;
use crate::capabilities::http::{EgressPolicy, EgressProxy, HostPattern, HttpLimits, Upstream};
use crate::config::automation::{self, Automation, FunctionBinding};
use crate::config::document::{self, TenantDocument};
use crate::config::manifest::{self, Manifest, RuntimeKind};
use crate::config::vars::Vars;
use crate::config::{ConfigError, manifest::template_setting};
use crate::runtime::Plugin;
use crate::runtime::rhai::RhaiPlugin;
use crate::runtime::wasm::WasmRuntime;
use crate::secret::Redactor;
use crate::secret::keyring::Keyring;
use crate::store::TenantRevision;

/// A plugin ready to run.
pub struct LoadedPlugin {
    /// Its manifest.
    pub manifest: Manifest,
    /// Its code, compiled.
    pub runtime: Arc<dyn Plugin>,
}

/// A tenant's configured plugin instance, ready to call.
pub struct Connection {
    /// Its name in the automation.
    pub name: String,
    /// The plugin.
    pub plugin: Arc<LoadedPlugin>,
    /// Its settings.
    pub config: ConfigCapability,
    /// Its secrets' redactor.
    pub redactor: Arc<Redactor>,
    /// Its outbound HTTP.
    pub upstream: Arc<Upstream>,
}

impl Connection {
    /// The capabilities of one call through this connection: its HTTP policy and limits, its
    /// settings, its kv namespace (values sealed with `keyring`), its redactor, bounded by
    /// `deadline`.
    pub fn capabilities(
        &self,
        store: &crate::store::Store,
        info: Arc<crate::capabilities::InvocationInfo>,
        deadline: std::time::Instant,
        clock: crate::capabilities::clock::Clock,
        keyring: &Arc<Keyring>,
        keep_bodies: bool,
    ) -> crate::capabilities::Capabilities {
        use crate::capabilities::{Capabilities, http::HttpCapability, kv::KvCapability, log::LogCapability};
        Capabilities {
            deadline,
            http: HttpCapability::new(Arc::clone(&self.upstream), deadline, Arc::clone(&self.redactor))
                .keeping_bodies(keep_bodies),
            config: self.config.clone(),
            kv: KvCapability::new(store.clone(), Arc::clone(keyring), &info.tenant, &self.name, &info.id, deadline),
            log: LogCapability::new(Arc::clone(&info), Arc::clone(&self.redactor)),
            clock,
            redactor: Arc::clone(&self.redactor),
            info,
        }
    }
}

/// A tenant's loaded automation.
#[derive(Clone)]
pub struct Tenant {
    /// The validated file, or document.
    pub automation: Automation,
    /// The revision served, for a tenant defined through the admin API (`None`: from a file).
    pub revision: Option<u64>,
    /// Connections by name.
    pub connections: BTreeMap<String, Arc<Connection>>,
}

impl Tenant {
    /// What serves `function` for this tenant.
    pub fn binding(&self, function: Function) -> Option<(&FunctionBinding, &Arc<Connection>)> {
        let binding = self.automation.functions.get(&function)?;
        let connection = self.connections.get(&binding.connection)?;
        Some((binding, connection))
    }
}

/// Where configuration is read from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The plugins folders (one sub-folder per plugin, or a plugin's own folder); a name found
    /// twice is an error.
    pub plugins: Vec<PathBuf>,
    /// The automations folder (one file per tenant).
    pub automations: PathBuf,
    /// How `${env:..}` references resolve.
    pub vars: Vars,
    /// Limits of every connection's outbound HTTP.
    pub http_limits: HttpLimits,
}

/// Everything loaded.
#[derive(Default)]
pub struct Registry {
    /// Plugins by name.
    pub plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// Tenants whose automation loaded.
    pub tenants: BTreeMap<String, Tenant>,
    /// Tenants whose automation failed, with the errors.
    pub failed_tenants: BTreeMap<String, Vec<ConfigError>>,
    /// Every error found.
    pub errors: Vec<ConfigError>,
    /// The limits every connection's outbound HTTP was built with (tenants added later get the
    /// same).
    pub http_limits: HttpLimits,
}

impl Registry {
    /// Loads plugins and automations.
    pub async fn load(sources: &Sources) -> Registry {
        let mut registry = Registry { http_limits: sources.http_limits.clone(), ..Registry::default() };
        let engine = Arc::new(crate::runtime::rhai::engine());
        let mut plugin_dirs = Vec::new();
        for folder in &sources.plugins {
            if folder.join("plugin.toml").is_file() {
                // A plugin's own folder given as a plugins folder (`--plugins my-plugin`).
                plugin_dirs.push(folder.clone());
            } else {
                // Hidden folders are skipped: a scaffold in the making (`.acme.new-123`), an
                // editor's or a tool's copies.
                plugin_dirs.extend(sorted_entries(folder, &mut registry.errors, |p| {
                    p.join("plugin.toml").is_file()
                        && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
                }));
            }
        }
        for dir in plugin_dirs {
            match load_plugin(&dir, &engine).await {
                Ok(plugin) if registry.plugins.contains_key(&plugin.manifest.name) => {
                    let e = ConfigError::file(
                        &plugin.manifest.file,
                        format!("a plugin named `{}` is already loaded", plugin.manifest.name),
                    );
                    registry.errors.push(e);
                }
                Ok(plugin) => {
                    registry.plugins.insert(plugin.manifest.name.clone(), Arc::new(plugin));
                }
                Err(errors) => registry.errors.extend(errors),
            }
        }
        let manifests = registry.manifests();
        for file in sorted_entries(&sources.automations, &mut registry.errors, |p| {
            p.extension().is_some_and(|e| e == "toml") && p.is_file()
        }) {
            let tenant_guess = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            let result = automation::load(&file, &manifests, &sources.vars)
                .and_then(|a| build_tenant(a, &registry.plugins, sources.http_limits.clone()));
            match result {
                Ok(tenant) if registry.tenants.contains_key(&tenant.automation.tenant) => {
                    let e = ConfigError::file(&file, format!("tenant `{}` is defined twice", tenant.automation.tenant));
                    registry.errors.push(e);
                }
                Ok(tenant) => {
                    registry.tenants.insert(tenant.automation.tenant.clone(), tenant);
                }
                Err(errors) => {
                    registry.errors.extend(errors.iter().cloned());
                    registry.failed_tenants.insert(tenant_guess, errors);
                }
            }
        }
        for error in &registry.errors {
            tracing::error!(target: "ponte::config", "{error}");
        }
        registry
    }
}

impl Registry {
    /// The manifests of the loaded plugins, by name.
    pub fn manifests(&self) -> BTreeMap<String, Manifest> {
        self.plugins.iter().map(|(name, p)| (name.clone(), p.manifest.clone())).collect()
    }

    /// Adds the tenants defined through the admin API: the newest revision of each (a removed
    /// one is left out). A tenant a file also defines (loaded or failing) is the file's, and the
    /// clash is an error.
    pub fn load_stored(&mut self, revisions: Vec<TenantRevision>, keyring: &Keyring) {
        let manifests = self.manifests();
        for revision in revisions {
            let id = revision.tenant.clone();
            let Some(text) = &revision.document else { continue };
            let file_claims = self.tenants.get(&id).is_some_and(|t| t.revision.is_none())
                || self
                    .failed_tenants
                    .get(&id)
                    .is_some_and(|errors| errors.iter().any(|e| !document::is_stored(&e.file)));
            if file_claims {
                let e = ConfigError::file(
                    &document::origin(&id),
                    "a file defines this tenant too; the file's configuration serves",
                );
                tracing::error!(target: "ponte::config", "{e}");
                self.errors.push(e);
                continue;
            }
            let result = serde_json::from_str::<TenantDocument>(text)
                .map_err(|e| {
                    vec![ConfigError::file(&document::origin(&id), format!("the stored document is unreadable: {e}"))]
                })
                .and_then(|doc| document::load(&id, &doc, &manifests, keyring))
                .and_then(|automation| build_tenant(automation, &self.plugins, self.http_limits.clone()));
            match result {
                Ok(mut tenant) => {
                    tenant.revision = Some(revision.revision);
                    self.tenants.insert(id, tenant);
                }
                Err(errors) => {
                    for e in &errors {
                        tracing::error!(target: "ponte::config", "{e}");
                    }
                    self.errors.extend(errors.iter().cloned());
                    self.failed_tenants.insert(id, errors);
                }
            }
        }
    }

    /// This registry without the tenants defined through the admin API (and their errors):
    /// what the store's tenants are loaded again on top of.
    pub fn without_stored(&self) -> Registry {
        Registry {
            plugins: self.plugins.clone(),
            tenants: self
                .tenants
                .iter()
                .filter(|(_, t)| t.revision.is_none())
                .map(|(k, t)| (k.clone(), t.clone()))
                .collect(),
            failed_tenants: self
                .failed_tenants
                .iter()
                .filter(|(_, errors)| !errors.iter().any(|e| document::is_stored(&e.file)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            errors: self.errors.iter().filter(|e| !document::is_stored(&e.file)).cloned().collect(),
            http_limits: self.http_limits.clone(),
        }
    }

    /// Builds `automation`'s connections as a load would, without adding it: what the admin API
    /// checks before it stores a change.
    ///
    /// # Errors
    /// What building its connections found.
    pub fn check(&self, automation: Automation) -> Result<(), Vec<ConfigError>> {
        build_tenant(automation, &self.plugins, self.http_limits.clone()).map(|_| ())
    }
}

fn sorted_entries(dir: &Path, errors: &mut Vec<ConfigError>, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) => {
            errors.push(ConfigError::file(dir, format!("cannot read folder: {e}")));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| keep(p)).collect();
    paths.sort();
    paths
}

pub(crate) async fn load_plugin(dir: &Path, engine: &Arc<rhai::Engine>) -> Result<LoadedPlugin, Vec<ConfigError>> {
    let manifest = manifest::load(dir)?;
    let runtime: Arc<dyn Plugin> = match manifest.runtime {
        RuntimeKind::Rhai => {
            let mut files = Vec::new();
            for path in std::iter::once(&manifest.entry).chain(&manifest.scripts) {
                let source = std::fs::read_to_string(path)
                    .map_err(|e| vec![ConfigError::file(path, format!("cannot read: {e}"))])?;
                let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
                files.push((name, source));
            }
            let plugin = RhaiPlugin::compile_files(Arc::clone(engine), &files, manifest.memory)
                .map_err(|e| vec![ConfigError::file(&manifest.entry, format!("does not compile: {e}"))])?;
            Arc::new(plugin)
        }
        RuntimeKind::Wasm => {
            let runtime = WasmRuntime::get().map_err(|e| vec![ConfigError::file(&manifest.entry, e.0)])?;
            let plugin = runtime
                .load(&manifest.entry, manifest.memory)
                .await
                .map_err(|e| vec![ConfigError::file(&manifest.entry, e.0)])?;
            plugin as Arc<dyn Plugin>
        }
    };
    // The manifest promises functions; the code must define each (refuse at load, not at call).
    let defined = runtime.defined_functions();
    let missing: Vec<String> =
        manifest.functions.iter().filter(|f| !defined.contains(f)).map(|f| f.to_string()).collect();
    if !missing.is_empty() {
        return Err(vec![ConfigError::file(
            &manifest.entry,
            format!("the manifest lists functions the code does not define: {}", missing.join(", ")),
        )]);
    }
    Ok(LoadedPlugin { manifest, runtime })
}

pub(crate) fn build_tenant(
    automation: Automation,
    plugins: &BTreeMap<String, Arc<LoadedPlugin>>,
    limits: HttpLimits,
) -> Result<Tenant, Vec<ConfigError>> {
    let mut connections = BTreeMap::new();
    let mut errors = Vec::new();
    // The tenant's proxy (its address judged by the tenant's policy), else the host's.
    let proxy = match (&automation.egress_proxy, &limits.proxy) {
        (Some(tenant), _) => Some(EgressProxy::new(tenant, false)),
        (None, Some(host)) => Some(EgressProxy::new(host, true)),
        (None, None) => None,
    };
    let proxy = match proxy.transpose() {
        Ok(proxy) => proxy,
        Err(e) => return Err(vec![ConfigError::at_field(&automation.file, "egress_proxy", e)]),
    };
    for (name, conn) in &automation.connections {
        let Some(plugin) = plugins.get(&conn.plugin) else { continue };
        let config = ConfigCapability::new(conn.settings.clone());
        let mut hosts = Vec::new();
        for template in &plugin.manifest.hosts {
            match host_pattern(template, &config) {
                Ok(Some(p)) => hosts.push(p),
                Ok(None) => {}
                Err(e) => errors.push(ConfigError {
                    file: automation.file.clone(),
                    line: None,
                    field: Some(format!("connections.{name}.settings")),
                    message: format!("host `{template}` of plugin `{}`: {e}", plugin.manifest.name),
                }),
            }
        }
        let mut secrets: Vec<&crate::secret::Secret> = config.secrets().collect();
        secrets.extend(automation.egress_proxy.iter());
        let redactor = Arc::new(Redactor::new(secrets));
        let mut policy = EgressPolicy::new(hosts, automation.allow_private.clone());
        if let Some(proxy) = &proxy {
            match policy.through(proxy.clone()) {
                Ok(through) => policy = through,
                Err(denied) => {
                    errors.push(ConfigError::at_field(&automation.file, "egress_proxy", denied.0));
                    break;
                }
            }
        }
        let pace = plugin.manifest.rate_limit.map(crate::ratelimit::Pace::new);
        let upstream = match Upstream::with_pace(policy, limits.clone(), pace) {
            Ok(u) => Arc::new(u),
            Err(_) => {
                errors.push(ConfigError::file(&automation.file, "could not build the HTTP client"));
                continue;
            }
        };
        connections.insert(
            name.clone(),
            Arc::new(Connection { name: name.clone(), plugin: Arc::clone(plugin), config, redactor, upstream }),
        );
    }
    if errors.is_empty() { Ok(Tenant { automation, revision: None, connections }) } else { Err(errors) }
}

/// A manifest host pattern with its `{setting}` replaced by that setting's origin; `None` when
/// the (optional) setting is unset: then there is nothing to allow.
fn host_pattern(template: &str, config: &ConfigCapability) -> Result<Option<HostPattern>, String> {
    match template_setting(template) {
        None => HostPattern::parse(template).map(Some),
        Some(setting) => {
            let Some(value) = config.get(setting) else { return Ok(None) };
            let url = url::Url::parse(value).map_err(|_| format!("setting `{setting}` is not a URL"))?;
            let origin = url.origin();
            if !origin.is_tuple() {
                return Err(format!("setting `{setting}` has no host"));
            }
            HostPattern::parse(&origin.ascii_serialization()).map(Some)
        }
    }
}
