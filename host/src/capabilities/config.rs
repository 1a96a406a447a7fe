//! Settings and secrets of a plugin's connection, as resolved when automations load.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::secret::Secret;

/// One resolved setting.
#[derive(Debug, Clone)]
pub enum SettingValue {
    /// A plain setting (a base URL, a user id).
    Plain(String),
    /// A secret (a token); never printed.
    Secret(Secret),
}

impl SettingValue {
    /// The value, for the plugin.
    pub fn expose(&self) -> &str {
        match self {
            SettingValue::Plain(v) => v,
            SettingValue::Secret(s) => s.expose(),
        }
    }
}

/// The config capability: read-only settings of the connection.
#[derive(Debug, Clone, Default)]
pub struct ConfigCapability {
    settings: Arc<BTreeMap<String, SettingValue>>,
}

impl ConfigCapability {
    /// Wraps resolved settings.
    pub fn new(settings: BTreeMap<String, SettingValue>) -> Self {
        ConfigCapability { settings: Arc::new(settings) }
    }

    /// A setting's value, secret or not.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(SettingValue::expose)
    }

    /// Every setting's name and value (for the runtimes that pass settings in one map).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.settings.iter().map(|(k, v)| (k.as_str(), v.expose()))
    }

    /// The secrets, for the redactor.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.settings.values().filter_map(|v| match v {
            SettingValue::Secret(s) => Some(s),
            SettingValue::Plain(_) => None,
        })
    }
}
