//! Tenants defined through the admin API: their document, validated exactly as an automation
//! file is, with its secrets sealed.
//!
//! The document is an automation file's structure in JSON (without `tenant`, the URL names it,
//! and without `secrets_file`), plus each connection's `secrets`:
//!
//! ```json
//! {
//!   "name": "Provedor Exemplo",
//!   "allow_private": ["10.0.0.0/8"],
//!   "connections": {
//!     "ixc": {"plugin": "ixc", "timeout": "10s",
//!             "settings": {"base_url": "https://erp.example.com", "user_id": "1"},
//!             "secrets": {"token": "..."}}
//!   },
//!   "functions": {"list_invoices": "ixc", "get_boleto_pdf": {"use": "ixc", "timeout": "20s"}}
//! }
//! ```
//!
//! - A setting the plugin's manifest marks secret may be given under `settings` or `secrets`;
//!   it is stored under `secrets`, **sealed** ([`crate::secret::keyring`]) for its place
//!   (tenant, connection, setting), and never shown again: a document read back lists only the
//!   names of the secrets set. A secret left out of a later document keeps its value (when the
//!   connection keeps its name and plugin); `null` removes it.
//! - Values are literal: `${env:..}` and `${secret:..}` references are for files kept by the
//!   host's operator, never for the API (they would read the host's environment).
//! - Validation is the automation file's own ([`super::automation::parse_with_secrets`]): the
//!   document is written as the file it stands for and parsed, so an error names the same field
//!   a file's would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::automation::{self, Automation, valid_tenant};
use super::manifest::Manifest;
use super::privacy::PrivacyConfig;
use super::vars::Vars;
use crate::secret::keyring::Keyring;

/// A tenant's configuration as the admin API takes it and the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantDocument {
    /// Display name.
    pub name: String,
    /// Internal addresses the tenant's upstreams may use (`127.0.0.1`, `10.0.0.0/8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_private: Vec<String>,
    /// Connections by name.
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionDocument>,
    /// Which connection serves each function.
    #[serde(default)]
    pub functions: BTreeMap<String, BindingDocument>,
    /// What kiosks are shown of customers (`{"totem": {"customer_name": "initials"}}`).
    #[serde(default, skip_serializing_if = "PrivacyConfig::is_default")]
    pub privacy: PrivacyConfig,
    /// The HTTP(S) proxy upstream calls leave through (without credentials: a proxy that needs
    /// them is configured in a file, where the password can be a `${secret:..}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_proxy: Option<String>,
}

/// A connection: a plugin with its settings and secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDocument {
    /// The plugin's name.
    pub plugin: String,
    /// The default deadline of its functions (`10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Settings that are not secret.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Secret settings: given in clear, stored sealed; `null` removes one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Option<String>>,
}

/// A function's binding: a connection's name, or the full form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BindingDocument {
    /// Served by this connection with its defaults.
    Connection(String),
    /// Served by `use`, with a deadline and a cache TTL.
    Full(FullBinding),
}

/// The full form of a binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullBinding {
    /// The connection.
    #[serde(rename = "use")]
    pub connection: String,
    /// The call's deadline (`20s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// How long a result may be served from the read cache (`5m`; readers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<String>,
}

/// Where a secret is sealed: its place is the associated data, so it opens nowhere else.
pub fn secret_place(tenant: &str, connection: &str, setting: &str) -> String {
    format!("tenant/{tenant}/connection/{connection}/{setting}")
}

/// The name errors give as the "file" of a tenant defined through the admin API.
pub fn origin(tenant: &str) -> PathBuf {
    PathBuf::from(format!("admin-api/tenants/{tenant}"))
}

/// Connection names: lower-case letters, digits, `-` and `_`, 1 to 64 characters.
fn valid_connection(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn error(tenant: &str, field: String, message: impl Into<String>) -> ConfigError {
    ConfigError { file: origin(tenant), line: None, field: Some(field), message: message.into() }
}

/// Checks a document given through the API against the loaded manifests and the tenant's
/// current stored document (whose secrets it may keep), and seals its new secrets. Returns the
/// document to store and the automation it defines.
///
/// # Errors
/// Every error found, each naming its field as a file's would.
pub fn prepare(
    tenant: &str,
    input: TenantDocument,
    current: Option<&TenantDocument>,
    manifests: &BTreeMap<String, Manifest>,
    keyring: &Keyring,
) -> Result<(TenantDocument, Automation), Vec<ConfigError>> {
    let mut errors = Vec::new();
    if !valid_tenant(tenant) {
        errors.push(error(tenant, "tenant".into(), "use lower-case letters, digits and `-` (at most 64)"));
    }
    if input.name.trim().is_empty() || input.name.len() > 256 {
        errors.push(error(tenant, "name".into(), "a name of 1 to 256 characters"));
    }
    if let Some(proxy) = &input.egress_proxy {
        let credentials = url::Url::parse(proxy).is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
        if proxy.contains("${") || credentials {
            errors.push(error(
                tenant,
                "egress_proxy".into(),
                "a proxy given through the API carries no credentials or references; one that needs a password is configured in a file",
            ));
        }
    }
    let mut stored = TenantDocument { connections: BTreeMap::new(), ..input.clone() };
    // Plain secrets by reference name, for the parser.
    let mut plain_secrets = BTreeMap::new();
    for (name, conn) in input.connections {
        let field = format!("connections.{name}");
        if !valid_connection(&name) {
            errors.push(error(
                tenant,
                field.clone(),
                "a connection's name uses lower-case letters, digits, `-` and `_`",
            ));
            continue;
        }
        let manifest = manifests.get(&conn.plugin);
        let is_secret = |key: &str| manifest.and_then(|m| m.settings.get(key)).is_some_and(|s| s.secret);
        let mut settings = BTreeMap::new();
        let mut given: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (key, value) in conn.settings {
            if value.contains("${") {
                errors.push(error(
                    tenant,
                    format!("{field}.settings.{key}"),
                    "references (${env:..}, ${secret:..}) are for files; give the value itself",
                ));
            } else if is_secret(&key) {
                given.insert(key, Some(value));
            } else {
                settings.insert(key, value);
            }
        }
        for (key, value) in conn.secrets {
            if manifest.is_some() && !is_secret(&key) {
                errors.push(error(
                    tenant,
                    format!("{field}.secrets.{key}"),
                    format!("`{key}` is not a secret setting of plugin `{}`; give it under settings", conn.plugin),
                ));
            } else if let std::collections::btree_map::Entry::Vacant(slot) = given.entry(key.clone()) {
                slot.insert(value);
            } else {
                errors.push(error(tenant, format!("{field}.secrets.{key}"), "given both as a setting and a secret"));
            }
        }
        // Secrets not given keep their stored value, if the connection is still the same plugin's
        // and still points where it did: a secret is never sent to a new address (a changed
        // `base_url`, say) without being given again.
        let old = current.and_then(|c| c.connections.get(&name)).filter(|old| old.plugin == conn.plugin);
        let moved = old.and_then(|old| {
            manifest?
                .hosts
                .iter()
                .filter_map(|h| super::manifest::template_setting(h))
                .find(|setting| old.settings.get(*setting) != settings.get(*setting))
        });
        let kept = old.map(|old| old.secrets.clone()).unwrap_or_default();
        let mut sealed = BTreeMap::new();
        for (key, value) in kept {
            if given.contains_key(&key) {
                continue;
            }
            let Some(value) = value else { continue };
            if let Some(setting) = moved {
                errors.push(error(
                    tenant,
                    format!("{field}.secrets.{key}"),
                    format!("`{key}` must be given again: `{setting}` changed, and a secret is never sent to a new address without being re-entered"),
                ));
                continue;
            }
            match keyring.open(&secret_place(tenant, &name, &key), &value) {
                Ok(plain) => {
                    plain_secrets.insert(format!("{name}.{key}"), plain);
                    sealed.insert(key, Some(value));
                }
                Err(e) => errors.push(error(
                    tenant,
                    format!("{field}.secrets.{key}"),
                    format!("the stored value can't be opened ({e}); give it again"),
                )),
            }
        }
        for (key, value) in given {
            let Some(value) = value else { continue };
            sealed.insert(key.clone(), Some(keyring.seal(&secret_place(tenant, &name, &key), &value)));
            plain_secrets.insert(format!("{name}.{key}"), value);
        }
        stored.connections.insert(name, ConnectionDocument { settings, secrets: sealed, ..conn });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let automation = validate(tenant, &stored, plain_secrets, manifests)?;
    Ok((stored, automation))
}

/// A stored document back to the automation it defines, its secrets opened.
///
/// # Errors
/// When a secret can't be opened, or the document no longer fits the loaded plugins.
pub fn load(
    tenant: &str,
    stored: &TenantDocument,
    manifests: &BTreeMap<String, Manifest>,
    keyring: &Keyring,
) -> Result<Automation, Vec<ConfigError>> {
    let mut plain = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, conn) in &stored.connections {
        for (key, value) in &conn.secrets {
            let Some(value) = value else { continue };
            match keyring.open(&secret_place(tenant, name, key), value) {
                Ok(secret) => {
                    plain.insert(format!("{name}.{key}"), secret);
                }
                Err(e) => errors.push(error(tenant, format!("connections.{name}.secrets.{key}"), e.to_string())),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    validate(tenant, stored, plain, manifests)
}

/// Re-seals every secret of a stored document under the keyring's sealing key; `None` when
/// every one already is.
///
/// # Errors
/// The first secret that can't be opened.
pub fn reseal(tenant: &str, stored: &TenantDocument, keyring: &Keyring) -> Result<Option<TenantDocument>, ConfigError> {
    let mut changed = false;
    let mut fresh = stored.clone();
    for (name, conn) in &mut fresh.connections {
        for (key, value) in &mut conn.secrets {
            let Some(sealed) = value.as_mut() else { continue };
            if !keyring.is_stale(sealed) {
                continue;
            }
            let place = secret_place(tenant, name, key);
            let plain = keyring
                .open(&place, sealed)
                .map_err(|e| error(tenant, format!("connections.{name}.secrets.{key}"), e.to_string()))?;
            *sealed = keyring.seal(&place, &plain);
            changed = true;
        }
    }
    Ok(changed.then_some(fresh))
}

/// What operators see of a stored document: everything but the secrets' values, which become
/// the list of secret names set (`secrets_set`).
pub fn public(stored: &TenantDocument) -> serde_json::Value {
    let mut value = serde_json::to_value(stored).unwrap_or_default();
    if let Some(connections) = value.get_mut("connections").and_then(|c| c.as_object_mut()) {
        for (name, conn) in connections.iter_mut() {
            let Some(object) = conn.as_object_mut() else { continue };
            object.remove("secrets");
            let set: Vec<&String> = stored
                .connections
                .get(name)
                .map(|c| c.secrets.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k).collect())
                .unwrap_or_default();
            object.insert("secrets_set".into(), serde_json::json!(set));
        }
    }
    value
}

/// Parses the document as the automation file it stands for.
fn validate(
    tenant: &str,
    stored: &TenantDocument,
    secrets: BTreeMap<String, String>,
    manifests: &BTreeMap<String, Manifest>,
) -> Result<Automation, Vec<ConfigError>> {
    let source = to_toml(tenant, stored);
    let file = origin(tenant);
    automation::parse_with_secrets(&file, &source, manifests, &Vars::none(), secrets).map_err(|errors| {
        // The lines are the generated text's: meaningless to whoever sent JSON.
        errors.into_iter().map(|e| ConfigError { file: file.clone(), line: None, ..e }).collect()
    })
}

/// The automation file a stored document stands for: secrets as `${secret:<connection>.<key>}`.
fn to_toml(tenant: &str, stored: &TenantDocument) -> String {
    use toml::Value;
    let text = |s: &str| Value::String(s.to_owned());
    let mut root = toml::Table::new();
    root.insert("tenant".into(), text(tenant));
    root.insert("name".into(), text(&stored.name));
    root.insert("allow_private".into(), Value::Array(stored.allow_private.iter().map(|a| text(a)).collect()));
    let mut connections = toml::Table::new();
    for (name, conn) in &stored.connections {
        let mut table = toml::Table::new();
        table.insert("plugin".into(), text(&conn.plugin));
        if let Some(timeout) = &conn.timeout {
            table.insert("timeout".into(), text(timeout));
        }
        let mut settings: toml::Table = conn.settings.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        for (key, value) in &conn.secrets {
            if value.is_some() {
                settings.insert(key.clone(), text(&format!("${{secret:{name}.{key}}}")));
            }
        }
        table.insert("settings".into(), Value::Table(settings));
        connections.insert(name.clone(), Value::Table(table));
    }
    root.insert("connections".into(), Value::Table(connections));
    let mut functions = toml::Table::new();
    for (function, binding) in &stored.functions {
        let value = match binding {
            BindingDocument::Connection(c) => text(c),
            BindingDocument::Full(full) => {
                let mut table = toml::Table::new();
                table.insert("use".into(), text(&full.connection));
                if let Some(t) = &full.timeout {
                    table.insert("timeout".into(), text(t));
                }
                if let Some(t) = &full.cache_ttl {
                    table.insert("cache_ttl".into(), text(t));
                }
                Value::Table(table)
            }
        };
        functions.insert(function.clone(), value);
    }
    root.insert("functions".into(), Value::Table(functions));
    if let Ok(privacy) = Value::try_from(stored.privacy) {
        root.insert("privacy".into(), privacy);
    }
    if let Some(proxy) = &stored.egress_proxy {
        root.insert("egress_proxy".into(), text(proxy));
    }
    toml::to_string(&root).unwrap_or_default()
}

/// Whether `file` is where a tenant defined through the admin API "lives".
pub fn is_stored(file: &Path) -> bool {
    file.starts_with("admin-api")
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::automation::tests::manifests;

    fn document(json: serde_json::Value) -> TenantDocument {
        serde_json::from_value(json).expect("document")
    }

    fn good() -> TenantDocument {
        document(serde_json::json!({
            "name": "Acme",
            "connections": {"ixc": {"plugin": "ixc", "settings": {"base_url": "https://erp.example.com", "token": "s3cr3t-token"}}},
            "functions": {"list_invoices": "ixc", "get_boleto_pdf": {"use": "ixc", "timeout": "20s", "cache_ttl": "5m"}}
        }))
    }

    #[test]
    fn a_secret_given_as_a_setting_is_stored_sealed_and_shown_only_by_name() {
        let ring = Keyring::ephemeral();
        let (stored, automation) = prepare("acme", good(), None, &manifests(), &ring).expect("valid");
        assert_eq!(automation.connections["ixc"].settings["token"].expose(), "s3cr3t-token");
        let text = serde_json::to_string(&stored).expect("json");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(stored.connections["ixc"].secrets["token"].as_deref().is_some_and(Keyring::is_sealed));
        let shown = public(&stored);
        assert_eq!(shown["connections"]["ixc"]["secrets_set"], serde_json::json!(["token"]));
        assert!(!shown.to_string().contains("sealed:"), "{shown}");
        // It loads back, and the sealed value opens only for its own tenant.
        let again = load("acme", &stored, &manifests(), &ring).expect("loads");
        assert_eq!(again.connections["ixc"].settings["token"].expose(), "s3cr3t-token");
        assert!(load("other", &stored, &manifests(), &ring).is_err());
    }

    #[test]
    fn a_secret_left_out_is_kept_and_null_removes_it() {
        let ring = Keyring::ephemeral();
        let (first, _) = prepare("acme", good(), None, &manifests(), &ring).expect("valid");
        let mut change = good();
        change.connections.get_mut("ixc").expect("ixc").settings.remove("token");
        change.name = "Acme Telecom".into();
        let (second, automation) = prepare("acme", change.clone(), Some(&first), &manifests(), &ring).expect("valid");
        assert_eq!(second.connections["ixc"].secrets, first.connections["ixc"].secrets, "kept as sealed");
        assert_eq!(automation.name, "Acme Telecom");
        change.connections.get_mut("ixc").expect("ixc").secrets.insert("token".into(), None);
        // The manifest requires `token`: removing it is refused, naming the field.
        let errors = prepare("acme", change, Some(&second), &manifests(), &ring).expect_err("required");
        assert_eq!(errors[0].field.as_deref(), Some("connections.ixc.settings"));
        assert!(errors[0].message.contains("requires setting `token`"), "{errors:?}");
    }

    #[test]
    fn a_kept_secret_is_never_sent_to_a_new_address() {
        let ring = Keyring::ephemeral();
        let (first, _) = prepare("acme", good(), None, &manifests(), &ring).expect("valid");
        let mut moved = good();
        let conn = moved.connections.get_mut("ixc").expect("ixc");
        conn.settings.remove("token");
        conn.settings.insert("base_url".into(), "https://attacker.example".into());
        let errors = prepare("acme", moved.clone(), Some(&first), &manifests(), &ring).expect_err("refused");
        assert_eq!(errors[0].field.as_deref(), Some("connections.ixc.secrets.token"));
        assert!(errors[0].message.contains("`base_url` changed"), "{errors:?}");
        moved.connections.get_mut("ixc").expect("ixc").secrets.insert("token".into(), Some("new-token".into()));
        assert!(prepare("acme", moved, Some(&first), &manifests(), &ring).is_ok(), "given again: fine");
    }

    #[test]
    fn errors_name_the_field_a_file_would_and_references_are_refused() {
        let ring = Keyring::ephemeral();
        let bad = document(serde_json::json!({
            "name": "Acme",
            "connections": {"ixc": {"plugin": "ixc", "settings": {"base_url": "${env:HOME}", "colour": "blue"}}},
            "functions": {"get_invoice": {"use": "ixc", "cache_ttl": "1m"}}
        }));
        let errors = prepare("acme", bad, None, &manifests(), &ring).expect_err("refused");
        let fields: Vec<&str> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, ["connections.ixc.settings.base_url"], "references are refused before parsing");

        let bad = document(serde_json::json!({
            "name": "Acme",
            "connections": {"ixc": {"plugin": "ixc", "settings": {"base_url": "https://e.example", "colour": "blue"}, "secrets": {"user_id": "2"}}},
            "functions": {"get_invoice": {"use": "ixc", "cache_ttl": "1m"}, "list_plans": "ixc"}
        }));
        let errors = prepare("acme", bad, None, &manifests(), &ring).expect_err("refused");
        assert_eq!(errors[0].field.as_deref(), Some("connections.ixc.secrets.user_id"));
        let bad = document(serde_json::json!({
            "name": "Acme",
            "connections": {"ixc": {"plugin": "ixc", "settings": {"base_url": "https://e.example", "colour": "blue", "token": "t0k3n-value"}}},
            "functions": {"get_invoice": {"use": "ixc", "cache_ttl": "1m"}, "list_plans": "ixc"}
        }));
        let errors = prepare("acme", bad, None, &manifests(), &ring).expect_err("refused");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "admin-api/tenants/acme: `connections.ixc.settings.colour`: plugin `ixc` has no setting `colour`",
                "admin-api/tenants/acme: `functions.get_invoice.cache_ttl`: `get_invoice` must never be served from cache",
                "admin-api/tenants/acme: `functions.list_plans`: plugin `ixc` does not implement `list_plans`",
            ]
        );
        assert!(!text.concat().contains("t0k3n"));
    }

    #[test]
    fn resealing_moves_every_secret_to_the_sealing_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let ring = Keyring::open_or_create(&dir.path().join("k"))?;
        let (stored, _) = prepare("acme", good(), None, &manifests(), &ring).expect("valid");
        assert_eq!(reseal("acme", &stored, &ring)?, None, "nothing stale");
        ring.add_sealing_key()?;
        let fresh = reseal("acme", &stored, &ring)?.expect("re-sealed");
        assert_ne!(fresh, stored);
        assert!(!ring.is_stale(fresh.connections["ixc"].secrets["token"].as_deref().unwrap_or_default()));
        let loaded = load("acme", &fresh, &manifests(), &ring).expect("loads");
        assert_eq!(loaded.connections["ixc"].settings["token"].expose(), "s3cr3t-token");
        Ok(())
    }
}
