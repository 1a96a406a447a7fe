//! A small key-value store, namespaced by the host per tenant and connection: a session token,
//! a cached catalogue. Values are text; give a TTL to anything that goes stale.

use std::fmt;
use std::time::Duration;

use crate::bindings::ponte::plugin::kv as wit;

/// Why a kv operation failed. `?` turns it into [`Error::Failed`](crate::Error::Failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// A key or value outside the host's limits.
    Invalid(String),
    /// The host's storage is unavailable.
    Storage,
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvError::Invalid(m) => write!(f, "kv: {m}"),
            KvError::Storage => f.write_str("kv: the host's storage is unavailable"),
        }
    }
}

impl std::error::Error for KvError {}

impl From<wit::Error> for KvError {
    fn from(error: wit::Error) -> Self {
        match error {
            wit::Error::Invalid(m) => KvError::Invalid(m),
            wit::Error::Storage => KvError::Storage,
        }
    }
}

/// A value, if set and not expired.
///
/// # Errors
/// [`KvError`] when the key is invalid or the storage is unavailable.
pub fn get(key: &str) -> Result<Option<String>, KvError> {
    crate::host::kv_get(key)
}

/// Sets a value, expiring after `ttl` (whole seconds, rounded up) when given.
///
/// # Errors
/// [`KvError`] when the key or value is outside the limits or the storage is unavailable.
pub fn set(key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError> {
    crate::host::kv_set(key, value, ttl.map(ttl_seconds))
}

/// Deletes a value; whether it existed.
///
/// # Errors
/// [`KvError`] when the key is invalid or the storage is unavailable.
pub fn delete(key: &str) -> Result<bool, KvError> {
    crate::host::kv_delete(key)
}

fn ttl_seconds(ttl: Duration) -> u32 {
    let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() != 0);
    u32::try_from(seconds).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_seconds_and_saturates() {
        assert_eq!(ttl_seconds(Duration::from_millis(1)), 1);
        assert_eq!(ttl_seconds(Duration::from_secs(60)), 60);
        assert_eq!(ttl_seconds(Duration::from_secs(u64::MAX)), u32::MAX);
    }
}
