//! A small key-value store, namespaced by the host per tenant and connection: a session token,
//! a cached catalogue. Values are text; give a TTL to anything that goes stale.
//!
//! For a session or token that several calls may need to refresh at once, use [`cached`] and
//! [`replace`]: one call of the connection logs in (on every host sharing the store), the others
//! wait for its value. [`lock`] and [`unlock`] are the host's named locks under them.
//!
//! ```ignore
//! let token = kv::cached("token", || login().map(|t| Fresh { value: t.access, ttl_seconds: Some(3000) }))?;
//! let answer = send_with(&token)?;
//! if answer.status == 401 {
//!     // Expired early: replaced once, whoever notices first.
//!     let token = kv::replace("token", &token, || login().map(/* ... */))?;
//! }
//! ```

use std::fmt;
use std::time::Duration;

pub use ponte_contract::single_flight::Fresh;
use ponte_contract::single_flight::{self, DEFAULT_WAIT_MS, LockingKv, SingleFlightError};

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

/// Takes the connection's lock `name`, waiting up to `wait` (never past the call's deadline)
/// while another call holds it; whether this call holds it now. The host releases every lock
/// when the call ends.
///
/// # Errors
/// [`KvError`] when the name is invalid or the storage is unavailable.
pub fn lock(name: &str, wait: Duration) -> Result<bool, KvError> {
    crate::host::kv_lock(name, u32::try_from(wait.as_millis()).unwrap_or(u32::MAX))
}

/// Releases the lock `name`; whether this call held it.
///
/// # Errors
/// [`KvError`] when the name is invalid or the storage is unavailable.
pub fn unlock(name: &str) -> Result<bool, KvError> {
    crate::host::kv_unlock(name)
}

/// The value under `key`; when there is none, the one `produce` makes, stored with its TTL. At
/// most one call of the connection produces at a time; the others wait (up to 10 s, within the
/// call's deadline) and return what it stored.
///
/// # Errors
/// `produce`'s error as is; [`Error::Failed`](crate::Error::Failed) when the kv fails;
/// [`Error::UpstreamUnavailable`](crate::Error::UpstreamUnavailable) when another call's refresh
/// outlasted the wait.
pub fn cached(key: &str, produce: impl FnOnce() -> Result<Fresh, crate::Error>) -> Result<String, crate::Error> {
    single_flight::cached(&HostKv, key, DEFAULT_WAIT_MS, produce).map_err(pdk_error)
}

/// The upstream refused `stale`, the value under `key`: a new one from `produce`, made once
/// however many calls noticed; a call that finds it already replaced gets the new value.
///
/// # Errors
/// As [`cached`].
pub fn replace(
    key: &str,
    stale: &str,
    produce: impl FnOnce() -> Result<Fresh, crate::Error>,
) -> Result<String, crate::Error> {
    single_flight::replace(&HostKv, key, stale, DEFAULT_WAIT_MS, produce).map_err(pdk_error)
}

/// The host's kv, for the single-flight protocol.
struct HostKv;

impl LockingKv for HostKv {
    type Error = KvError;

    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        crate::host::kv_get(key)
    }

    fn set(&self, key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), KvError> {
        crate::host::kv_set(key, value, ttl_seconds)
    }

    fn lock(&self, name: &str, wait_ms: u32) -> Result<bool, KvError> {
        crate::host::kv_lock(name, wait_ms)
    }

    fn unlock(&self, name: &str) -> Result<bool, KvError> {
        crate::host::kv_unlock(name)
    }
}

fn pdk_error(error: SingleFlightError<KvError, crate::Error>) -> crate::Error {
    match error {
        SingleFlightError::Kv(e) => e.into(),
        busy @ SingleFlightError::Busy { .. } => crate::Error::UpstreamUnavailable(busy.to_string()),
        SingleFlightError::Produce(e) => e,
    }
}

fn ttl_seconds(ttl: Duration) -> u32 {
    let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() != 0);
    u32::try_from(seconds).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::FakeHost;

    fn login(token: &str) -> Result<Fresh, crate::Error> {
        Ok(Fresh { value: token.to_owned(), ttl_seconds: Some(60) })
    }

    #[test]
    fn cached_produces_once_then_reuses_and_releases_its_lock() {
        let (tokens, host) = FakeHost::new().run(|| {
            let first = cached("token", || login("t1"));
            let second = cached("token", || panic!("a cached token is reused"));
            (first, second)
        });
        assert_eq!(tokens, (Ok("t1".to_owned()), Ok("t1".to_owned())));
        assert_eq!(host.kv_ttls.get("token"), Some(&Some(60)));
        assert_eq!(host.kv_locks_taken, 1);
        assert!(host.kv_locks.is_empty(), "released");
    }

    #[test]
    fn replace_logs_in_again_only_for_the_stale_value() {
        let (tokens, host) = FakeHost::new().run(|| {
            let first = cached("token", || login("t1"));
            let renewed = replace("token", "t1", || login("t2"));
            let again = replace("token", "t1", || panic!("already replaced"));
            (first, renewed, again)
        });
        assert_eq!(tokens, (Ok("t1".to_owned()), Ok("t2".to_owned()), Ok("t2".to_owned())));
        assert_eq!(host.kv.get("token").map(String::as_str), Some("t2"));
    }

    #[test]
    fn another_calls_refresh_that_outlasts_the_wait_is_unavailable() {
        let mut host = FakeHost::new();
        host.kv_busy.insert("token".to_owned());
        let (result, _) = host.run(|| cached("token", || login("never")));
        match result {
            Err(crate::Error::UpstreamUnavailable(message)) => assert!(message.contains("`token`"), "{message}"),
            other => panic!("expected unavailable, got {other:?}"),
        }
    }

    #[test]
    fn ttl_rounds_up_to_seconds_and_saturates() {
        assert_eq!(ttl_seconds(Duration::from_millis(1)), 1);
        assert_eq!(ttl_seconds(Duration::from_secs(60)), 60);
        assert_eq!(ttl_seconds(Duration::from_secs(u64::MAX)), u32::MAX);
    }
}
