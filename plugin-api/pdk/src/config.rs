//! The connection's settings (the manifest's `[settings]`, given by the tenant's automation).
//!
//! Secrets are settings too: a plugin needs them to authenticate. The host redacts their
//! values from everything the plugin logs or returns.

use crate::error::Error;

/// A setting's value, or `None` when the automation does not give it (and it has no default).
pub fn get(name: &str) -> Option<String> {
    crate::host::config_get(name)
}

/// A setting that must be there.
///
/// # Errors
/// [`Error::Failed`] naming the setting when it is unset or blank: a configuration mistake
/// the operator must fix, not the ERP's fault.
pub fn require(name: &str) -> Result<String, Error> {
    match get(name) {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(Error::Failed(format!("the setting `{name}` is not configured"))),
    }
}
