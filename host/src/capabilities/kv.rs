//! A small durable key-value store for plugins (OAuth tokens, sessions), namespaced per tenant
//! and connection so two tenants on the same plugin never see each other's entries.

use std::time::Duration;

use crate::capabilities::CapabilityError;
use crate::store::Store;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 256;
/// Largest value accepted.
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// The kv capability of one connection.
#[derive(Clone)]
pub struct KvCapability {
    store: Store,
    namespace: String,
}

impl KvCapability {
    /// The kv of `tenant`'s `connection`.
    pub fn new(store: Store, tenant: &str, connection: &str) -> Self {
        KvCapability { store, namespace: format!("{tenant}/{connection}") }
    }

    /// A value, if set and not expired.
    ///
    /// # Errors
    /// [`CapabilityError::Invalid`] for a bad key, [`CapabilityError::Storage`] if the store fails.
    pub async fn get(&self, key: &str) -> Result<Option<String>, CapabilityError> {
        check_key(key)?;
        self.store.kv_get(&self.namespace, key).await.map_err(|_| CapabilityError::Storage)
    }

    /// Sets a value, optionally expiring.
    ///
    /// # Errors
    /// As [`KvCapability::get`], and `Invalid` for a value over [`MAX_VALUE_LEN`].
    pub async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CapabilityError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_LEN {
            return Err(CapabilityError::Invalid(format!("kv value larger than {MAX_VALUE_LEN} bytes")));
        }
        self.store.kv_set(&self.namespace, key, value, ttl).await.map_err(|_| CapabilityError::Storage)
    }

    /// Deletes a value.
    ///
    /// # Errors
    /// As [`KvCapability::get`].
    pub async fn delete(&self, key: &str) -> Result<bool, CapabilityError> {
        check_key(key)?;
        self.store.kv_delete(&self.namespace, key).await.map_err(|_| CapabilityError::Storage)
    }
}

fn check_key(key: &str) -> Result<(), CapabilityError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
        return Err(CapabilityError::Invalid(format!("kv keys are 1 to {MAX_KEY_LEN} printable characters")));
    }
    Ok(())
}
