//! A small durable key-value store for plugins (OAuth tokens, sessions), namespaced per tenant
//! and connection so two tenants on the same plugin never see each other's entries, and the
//! named locks that let one call at a time refresh such a session.
//!
//! # Locks
//! [`KvCapability::lock`] takes a lock shared by every call of the connection on every host that
//! shares the store (a row in `kv_locks`), waiting a bounded time while another call holds it.
//! A lock is a lease that ends with the call: the call's deadline plus [`LOCK_GRACE`] if its host
//! dies, and otherwise when the call's last [`KvCapability`] clone drops (a wasm call's store
//! is dropped when the call ends or is cancelled; a Rhai script stopped at its deadline drops it
//! when its thread notices). Hosts' clocks must agree within [`LOCK_GRACE`] (NTP), since each
//! host writes and checks leases with its own clock, as for the settlement queue's leases. Waiting polls the store, starting at
//! [`FIRST_POLL`] and backing off to [`MAX_POLL`]: a refresh takes an upstream round trip, so a
//! few milliseconds of extra wait are nothing, and no host-to-host signalling is needed.
//!
//! # At rest
//! Every value is stored sealed (AES-256-GCM under the operator's keys, for its namespace and
//! key: [`crate::secret::keyring`]): the sessions and tokens plugins cache are credentials. A
//! value written before sealing existed is read as it is; one that no longer opens (its key
//! retired) reads as absent, so the plugin logs in again. The connection's byte cap counts the
//! stored (sealed) size.
//!
//! The protocol plugins run on top (double-checked: read, lock, read again, produce, store,
//! unlock) is `ponte_contract::single_flight`, shared by the PDK and the Rhai runtime.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::capabilities::CapabilityError;
use crate::secret::keyring::Keyring;
use crate::store::Store;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 256;
/// Largest value accepted.
pub const MAX_VALUE_LEN: usize = 64 * 1024;
/// Most live entries one tenant connection may keep.
pub const MAX_ENTRIES: u64 = 1_000;
/// Most bytes (keys and values) one tenant connection may keep.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// How long a lock outlives its holder's deadline if the holder's host dies.
pub const LOCK_GRACE: Duration = Duration::from_secs(5);
/// The first pause of a lock wait.
pub const FIRST_POLL: Duration = Duration::from_millis(5);
/// The longest pause of a lock wait.
pub const MAX_POLL: Duration = Duration::from_millis(100);

/// The kv capability of one call through one connection.
#[derive(Clone)]
pub struct KvCapability {
    store: Store,
    namespace: String,
    keyring: Arc<Keyring>,
    locks: Arc<HeldLocks>,
    /// The host limit that refused a write of this call, if one did.
    stopped: Arc<Mutex<Option<CapabilityError>>>,
}

/// The locks one call holds; released when the call's last [`KvCapability`] clone drops.
struct HeldLocks {
    store: Store,
    namespace: String,
    /// The invocation, as the locks' owner.
    owner: String,
    deadline: Instant,
    /// How many times the call took each lock it holds (locks are re-entrant within a call).
    counts: Mutex<HashMap<String, u32>>,
    /// Every lock this call may hold in the store: recorded *before* the statement that takes
    /// it (a call cancelled right after the statement still releases it) and forgotten only
    /// after a release that reached the store.
    touched: Mutex<HashSet<String>>,
    /// Where to release what is left at the end (none outside a runtime: the leases expire).
    runtime: Option<tokio::runtime::Handle>,
}

impl KvCapability {
    /// The kv of `tenant`'s `connection` for the invocation `invocation`, ending at `deadline`.
    pub fn new(
        store: Store,
        keyring: Arc<Keyring>,
        tenant: &str,
        connection: &str,
        invocation: &str,
        deadline: Instant,
    ) -> Self {
        let namespace = format!("{tenant}/{connection}");
        let locks = Arc::new(HeldLocks {
            store: store.clone(),
            namespace: namespace.clone(),
            owner: invocation.to_owned(),
            deadline,
            counts: Mutex::new(HashMap::new()),
            touched: Mutex::new(HashSet::new()),
            runtime: tokio::runtime::Handle::try_current().ok(),
        });
        KvCapability { store, namespace, keyring, locks, stopped: Arc::new(Mutex::new(None)) }
    }

    /// The host limit that refused one of this call's writes (`Limit`), if any.
    pub fn stopped_by(&self) -> Option<CapabilityError> {
        self.stopped.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// A value, if set and not expired.
    ///
    /// # Errors
    /// [`CapabilityError::Invalid`] for a bad key, [`CapabilityError::Storage`] if the store fails.
    pub async fn get(&self, key: &str) -> Result<Option<String>, CapabilityError> {
        check_key(key)?;
        let stored = self.store.kv_get(&self.namespace, key).await.map_err(|_| CapabilityError::Storage)?;
        Ok(stored.and_then(|value| {
            if !Keyring::is_sealed(&value) {
                return Some(value);
            }
            match self.keyring.open(&self.place(key), &value) {
                Ok(plain) => Some(plain),
                Err(e) => {
                    tracing::warn!(namespace = %self.namespace, error = %e, "a kv value does not open; read as absent");
                    None
                }
            }
        }))
    }

    /// Where a key's value is sealed.
    fn place(&self, key: &str) -> String {
        sealing_place(&self.namespace, key)
    }

    /// Sets a value, optionally expiring.
    ///
    /// # Errors
    /// As [`KvCapability::get`], `Invalid` for a value over [`MAX_VALUE_LEN`], and `Limit` when
    /// the connection would keep more than [`MAX_ENTRIES`] entries or [`MAX_BYTES`] bytes.
    /// (Two writes racing may together pass a cap by one value each: the caps bound growth, they
    /// are not accounting.)
    pub async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CapabilityError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_LEN {
            return Err(CapabilityError::Invalid(format!("kv value larger than {MAX_VALUE_LEN} bytes")));
        }
        let sealed = self.keyring.seal(&self.place(key), value);
        let (entries, bytes) = self.store.kv_usage(&self.namespace, key).await.map_err(|_| CapabilityError::Storage)?;
        let adding = (key.len() + sealed.len()) as u64;
        if entries + 1 > MAX_ENTRIES || bytes + adding > MAX_BYTES {
            let error = CapabilityError::Limit(format!(
                "the connection's kv is full ({MAX_ENTRIES} entries or {} MiB at most)",
                MAX_BYTES / (1024 * 1024)
            ));
            self.stopped.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(|| error.clone());
            return Err(error);
        }
        self.store.kv_set(&self.namespace, key, &sealed, ttl).await.map_err(|_| CapabilityError::Storage)
    }

    /// Deletes a value.
    ///
    /// # Errors
    /// As [`KvCapability::get`].
    pub async fn delete(&self, key: &str) -> Result<bool, CapabilityError> {
        check_key(key)?;
        self.store.kv_delete(&self.namespace, key).await.map_err(|_| CapabilityError::Storage)
    }

    /// Takes the connection's lock `name`, waiting up to `wait` (never past the call's deadline)
    /// while another call holds it; whether this call holds it now. Locks are re-entrant within
    /// a call: taking one the call already holds answers `true` at once, and it stays held
    /// until as many [`KvCapability::unlock`]s (or the call's end).
    ///
    /// # Errors
    /// As [`KvCapability::get`] (lock names are checked as keys).
    pub async fn lock(&self, name: &str, wait: Duration) -> Result<bool, CapabilityError> {
        check_key(name)?;
        let locks = &self.locks;
        if let Some(count) = locks.counts.lock().unwrap_or_else(PoisonError::into_inner).get_mut(name) {
            *count += 1;
            return Ok(true);
        }
        locks.touched.lock().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned());
        let give_up = Instant::now().checked_add(wait).map_or(locks.deadline, |at| at.min(locks.deadline));
        let mut pause = FIRST_POLL;
        loop {
            let lease = locks.deadline.saturating_duration_since(Instant::now()) + LOCK_GRACE;
            let taken = self
                .store
                .kv_try_lock(&self.namespace, name, &locks.owner, lease)
                .await
                .map_err(|_| CapabilityError::Storage)?;
            if taken {
                locks.counts.lock().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), 1);
                return Ok(true);
            }
            let now = Instant::now();
            if now >= give_up {
                return Ok(false);
            }
            tokio::time::sleep(pause.min(give_up - now)).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// Releases the lock `name` once; whether this call held it. A lock taken several times
    /// stays held until its last release.
    ///
    /// # Errors
    /// As [`KvCapability::get`].
    pub async fn unlock(&self, name: &str) -> Result<bool, CapabilityError> {
        check_key(name)?;
        {
            let mut counts = self.locks.counts.lock().unwrap_or_else(PoisonError::into_inner);
            match counts.get_mut(name) {
                Some(count) if *count > 1 => {
                    *count -= 1;
                    return Ok(true);
                }
                Some(_) => {
                    counts.remove(name);
                }
                None => {}
            }
        }
        let released = self
            .store
            .kv_unlock(&self.namespace, name, &self.locks.owner)
            .await
            .map_err(|_| CapabilityError::Storage)?;
        self.locks.touched.lock().unwrap_or_else(PoisonError::into_inner).remove(name);
        Ok(released)
    }
}

impl Drop for HeldLocks {
    fn drop(&mut self) {
        let touched = std::mem::take(self.touched.get_mut().unwrap_or_else(PoisonError::into_inner));
        if touched.is_empty() {
            return;
        }
        let Some(runtime) = self.runtime.take() else { return };
        let (store, namespace, owner) = (self.store.clone(), self.namespace.clone(), self.owner.clone());
        runtime.spawn(async move {
            for name in touched {
                if let Err(e) = store.kv_unlock(&namespace, &name, &owner).await {
                    tracing::warn!(error = %e, "could not release a plugin's kv lock; its lease will expire");
                }
            }
        });
    }
}

/// Where the kv value of `namespace`/`key` is sealed (its associated data): a sealed value
/// opens only under the key it was written to.
pub fn sealing_place(namespace: &str, key: &str) -> String {
    format!("kv/{namespace}/{key}")
}

fn check_key(key: &str) -> Result<(), CapabilityError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
        return Err(CapabilityError::Invalid(format!("kv keys are 1 to {MAX_KEY_LEN} printable characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Arc<Keyring> {
        Arc::new(Keyring::ephemeral())
    }

    const SECOND: Duration = Duration::from_secs(1);

    fn call(store: &Store, invocation: &str) -> KvCapability {
        KvCapability::new(store.clone(), ring(), "acme", "erp", invocation, Instant::now() + 10 * SECOND)
    }

    #[tokio::test]
    async fn one_call_holds_a_lock_while_the_others_wait_or_give_up() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let (first, second) = (call(&store, "call-1"), call(&store, "call-2"));
        assert!(first.lock("login", Duration::ZERO).await?);
        let started = Instant::now();
        assert!(!second.lock("login", Duration::from_millis(50)).await?, "held by call-1");
        assert!(started.elapsed() >= Duration::from_millis(50), "it waited");

        let waiter = tokio::spawn(async move { second.lock("login", 5 * SECOND).await });
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(first.unlock("login").await?);
        assert!(waiter.await??, "taken as soon as call-1 released it");
        assert!(!first.unlock("login").await?, "no longer call-1's");
        Ok(())
    }

    #[tokio::test]
    async fn a_lock_taken_twice_by_a_call_is_held_until_its_second_release() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let (first, second) = (call(&store, "call-1"), call(&store, "call-2"));
        assert!(first.lock("login", Duration::ZERO).await?);
        assert!(first.lock("login", Duration::ZERO).await?, "re-entrant");
        assert!(first.unlock("login").await?);
        assert!(!second.lock("login", Duration::ZERO).await?, "still held once");
        assert!(first.unlock("login").await?);
        assert!(second.lock("login", Duration::ZERO).await?);
        Ok(())
    }

    #[tokio::test]
    async fn a_call_that_ends_holding_a_lock_releases_it() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let first = call(&store, "call-1");
        assert!(first.lock("login", Duration::ZERO).await?);
        let clone = first.clone();
        drop(first);
        let second = call(&store, "call-2");
        assert!(!second.lock("login", Duration::ZERO).await?, "a clone of call-1's capability is alive");
        drop(clone);
        assert!(second.lock("login", 2 * SECOND).await?, "released when the call's last clone dropped");
        Ok(())
    }

    #[tokio::test]
    async fn a_wait_never_outlasts_the_call() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        assert!(call(&store, "call-1").lock("login", Duration::ZERO).await?);
        // call-1's capability was dropped at once above; take the lock again for a live holder.
        let holder = call(&store, "call-1b");
        assert!(holder.lock("login", 2 * SECOND).await?);
        let short = KvCapability::new(
            store.clone(),
            ring(),
            "acme",
            "erp",
            "call-2",
            Instant::now() + Duration::from_millis(80),
        );
        let started = Instant::now();
        assert!(!short.lock("login", 60 * SECOND).await?);
        assert!(started.elapsed() < 2 * SECOND, "gave up at its deadline, not after a minute");
        Ok(())
    }

    #[tokio::test]
    async fn lock_names_are_checked_like_keys() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let kv = call(&store, "call-1");
        assert!(matches!(kv.lock("", SECOND).await, Err(CapabilityError::Invalid(_))));
        assert!(matches!(kv.unlock(&"k".repeat(MAX_KEY_LEN + 1)).await, Err(CapabilityError::Invalid(_))));
        Ok(())
    }

    #[tokio::test]
    async fn values_are_sealed_at_rest_and_plain_old_ones_still_read() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        let keyring = ring();
        let kv = KvCapability::new(
            store.clone(),
            Arc::clone(&keyring),
            "acme",
            "erp",
            "call-1",
            Instant::now() + 10 * SECOND,
        );
        kv.set("token", "eyJ-the-erp-token", None).await?;
        let row = store.kv_get("acme/erp", "token").await?.expect("stored");
        assert!(Keyring::is_sealed(&row) && !row.contains("eyJ"), "{row}");
        assert_eq!(kv.get("token").await?.as_deref(), Some("eyJ-the-erp-token"));
        // A row copied to another key does not open there.
        store.kv_set("acme/erp", "copied", &row, None).await?;
        assert_eq!(kv.get("copied").await?, None);
        // Written before values were sealed: read as it is.
        store.kv_set("acme/erp", "legacy", "plain-session", None).await?;
        assert_eq!(kv.get("legacy").await?.as_deref(), Some("plain-session"));
        // Under a key this host doesn't hold: absent, so the plugin logs in again.
        let stranger = KvCapability::new(store.clone(), ring(), "acme", "erp", "call-2", Instant::now() + 10 * SECOND);
        assert_eq!(stranger.get("token").await?, None);
        Ok(())
    }
}
