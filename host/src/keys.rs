//! API keys checked in memory: no store read per call in the steady state.
//!
//! The first call with a key reads its [`Credential`] (the token's SHA-256, tenant, scopes,
//! revocation) from the store; later calls check the token against the copy held here. Unknown
//! key ids are held too (as absent, apart from the keys, so made-up ids never evict a real key):
//! the same made-up token twice reaches the store once, and the API limits how often one client
//! address may make it read the store at all (`crate::ratelimit::AddressRates`). Ids the store
//! showed to exist are remembered apart ([`Keys::is_real_id`]), so a real key dropped from
//! memory (a change, its age) is read again without that budget, even during a flood of made-up
//! keys from its address.
//!
//! Revocation reaches every replica without a restart: a background task reads the store's
//! [`KeysVersion`] (a fingerprint that changes whenever a key is created or revoked, by any
//! process: another replica, `ponte keys revoke`) every [`POLL_INTERVAL`], and when it changed
//! drops everything held, so the next call of each key reads the store again. A revoked key is so
//! refused within one poll interval (plus one query) on every replica sharing the store, and at
//! once on the replica that revoked it ([`Keys::forget_all`]). If the store can't be polled,
//! nothing is held longer than [`MAX_AGE`].
//!
//! Concurrent first calls of one key share one store read ([`crate::coalesce::Flights`]): a
//! burst of a thousand calls with a key not held (just after start-up, or after any key changed
//! anywhere) reads the store once, and only the call that reads it counts against its client
//! address's budget for unknown keys ([`Keys::authenticate_admitted`]); before, every call of the
//! burst read the store, and past the address's budget a real key's calls were refused `429`.
//!
//! A load racing a change can't put a stale credential back: each load notes the cache's epoch
//! before it reads, and keeps what it read only if no change was seen meanwhile.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use moka::sync::Cache;

use crate::coalesce::{Flights, Join};
use crate::store::{Caller, Credential, KeysVersion, Store, StoreError, key_id_of};

/// How often each replica checks whether a key was created or revoked.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How long a credential is held without being read again, whatever the polls say.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Keys held at most; past it the least used are dropped.
const CAPACITY: u64 = 100_000;

/// Unknown key ids held as absent at most, apart from the keys: a flood of made-up ids can
/// evict only other made-up ids, never a real key.
const ABSENT_CAPACITY: u64 = 10_000;

/// The keys a replica holds in memory. Cheap to share (`Arc`).
pub struct Keys {
    store: Store,
    held: Cache<String, Arc<Credential>>,
    absent: Cache<String, ()>,
    /// Key ids the store has shown to exist, kept when everything else is dropped: a real key
    /// whose credential was dropped is read again without counting against its client
    /// address's budget for unknown keys (at most one read per id per drop: the read holds it
    /// again).
    real: Cache<String, ()>,
    /// Bumped whenever everything held is dropped.
    epoch: AtomicU64,
    /// Store reads in flight, by key id: what a concurrent call of the same key waits for, with
    /// the epoch the read began in.
    loads: Flights<String, (u64, Option<Arc<Credential>>)>,
}

/// Why [`Keys::authenticate_admitted`] gave no answer.
#[derive(Debug)]
pub enum Refused<E> {
    /// The call would have read the store, and its admission refused it.
    Admission(E),
    /// The store could not be read.
    Store(StoreError),
}

impl Keys {
    /// Keys over `store`, with the task that polls for changes (it ends when the returned
    /// value is dropped). Must be called inside a tokio runtime.
    pub fn spawn(store: Store) -> Arc<Keys> {
        let keys = Arc::new(Keys {
            store: store.clone(),
            held: Cache::builder().max_capacity(CAPACITY).time_to_live(MAX_AGE).build(),
            absent: Cache::builder().max_capacity(ABSENT_CAPACITY).time_to_live(MAX_AGE).build(),
            real: Cache::builder().max_capacity(CAPACITY).build(),
            epoch: AtomicU64::new(0),
            loads: Flights::default(),
        });
        tokio::spawn(watch(store, Arc::downgrade(&keys)));
        keys
    }

    /// Who presents `token`, or `None` for a malformed, unknown, wrong or revoked token (not told
    /// apart, as [`Store::authenticate`]).
    ///
    /// # Errors
    /// When the store must be read and can't be.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Caller>, StoreError> {
        self.authenticate_admitted(token, || Ok::<(), std::convert::Infallible>(())).await.map_err(|refused| {
            match refused {
                Refused::Store(e) => e,
                Refused::Admission(never) => match never {},
            }
        })
    }

    /// [`Keys::authenticate`], asking `admit` first when this call is the one that must read
    /// the store: not when the key is held, nor when another call is reading the same key id
    /// (this one then waits for that read).
    ///
    /// # Errors
    /// [`Refused::Admission`] with `admit`'s error; [`Refused::Store`] when the store can't be
    /// read.
    pub async fn authenticate_admitted<E>(
        &self,
        token: &str,
        admit: impl FnOnce() -> Result<(), E>,
    ) -> Result<Option<Caller>, Refused<E>> {
        let Some(key_id) = key_id_of(token) else { return Ok(None) };
        let mut admit = Some(admit);
        // A read that began before a change this call may know of (a revocation on this replica
        // returned before it arrived) is not this call's answer.
        let arrived = self.epoch.load(Ordering::Acquire);
        loop {
            if let Some(answer) = self.held(token) {
                return Ok(answer);
            }
            match self.loads.join(&key_id.to_owned()) {
                Join::Follow(read) => match read.wait().await {
                    Some((began, credential)) if began >= arrived => {
                        return Ok(credential.and_then(|credential| credential.verify(token)));
                    }
                    // The read predates a change, failed, or its call went away: join again (the
                    // finished read has left, so this call may read).
                    _ => continue,
                },
                Join::Lead(read) => {
                    if let Some(admit) = admit.take() {
                        admit().map_err(Refused::Admission)?;
                    }
                    let (began, credential) = self.load(key_id).await.map_err(Refused::Store)?;
                    let caller = credential.as_ref().and_then(|credential| credential.verify(token));
                    read.finish(|| (began, credential));
                    return Ok(caller);
                }
            }
        }
    }

    /// Reads `key_id`'s credential from the store and holds it (or its absence), unless a
    /// change was seen meanwhile.
    /// Returns the epoch the read began in with what it read.
    async fn load(&self, key_id: &str) -> Result<(u64, Option<Arc<Credential>>), StoreError> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let credential = self.store.credential(key_id).await?.map(Arc::new);
        if credential.is_some() {
            self.real.insert(key_id.to_owned(), ());
        }
        if self.epoch.load(Ordering::Acquire) == epoch {
            match &credential {
                Some(credential) => self.held.insert(key_id.to_owned(), Arc::clone(credential)),
                None => self.absent.insert(key_id.to_owned(), ()),
            }
        }
        Ok((epoch, credential))
    }

    /// The answer for `token` from memory alone: `Some(caller or None)` when its key (or its
    /// absence) is held or the token is malformed, `None` when only the store can tell.
    pub fn held(&self, token: &str) -> Option<Option<Caller>> {
        let Some(key_id) = key_id_of(token) else { return Some(None) };
        if let Some(credential) = self.held.get(key_id) {
            return Some(credential.verify(token));
        }
        self.absent.contains_key(key_id).then_some(None)
    }

    /// Whether `token`'s key id is one the store has shown to exist (whatever the token's secret
    /// part): its read is no made-up key's, and needs no client-address budget.
    pub fn is_real_id(&self, token: &str) -> bool {
        key_id_of(token).is_some_and(|id| self.real.contains_key(id))
    }

    /// Revokes the key `key_id` in the store and stops accepting it here at once (other
    /// replicas within a poll). `false` when no such key exists or it was already revoked.
    ///
    /// # Errors
    /// When the store can't be written.
    pub async fn revoke(&self, key_id: &str) -> Result<bool, StoreError> {
        let revoked = self.store.revoke_api_key(key_id).await?;
        self.forget_all();
        Ok(revoked)
    }

    /// Drops every key held: the next call of each reads the store. Called when this replica
    /// creates or revokes a key, and when the poll sees another process did.
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.held.invalidate_all();
        self.absent.invalidate_all();
    }
}

/// Polls the store's key version until `keys` is dropped; forgets everything when it changes.
async fn watch(store: Store, keys: Weak<Keys>) {
    let mut seen: Option<KeysVersion> = None;
    let mut ticker = tokio::time::interval(POLL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if keys.strong_count() == 0 {
            return;
        }
        match store.api_keys_version().await {
            Ok(version) => {
                // The first reading forgets too: a key loaded before it may predate a change.
                if seen != Some(version)
                    && let Some(keys) = keys.upgrade()
                {
                    keys.forget_all();
                }
                seen = Some(version);
            }
            Err(e) => tracing::warn!(error = %e, "could not check the API keys for revocations"),
        }
    }
}

#[cfg(test)]
mod tests {
    use ponte_contract::Scope;

    use super::*;

    async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !check().await {
            assert!(tokio::time::Instant::now() < deadline, "{what}: not within 5 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_held_key_is_checked_without_the_store_and_its_revocation_is_seen() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("keys.db").display());
        let store = Store::open(&url).await?;
        store.ensure_tenant("acme", "Acme").await?;
        let key = store.create_api_key("acme", &[Scope::App], "app").await?;
        let keys = Keys::spawn(store.clone());
        let caller = keys.authenticate(&key.token).await?.expect("valid");
        assert_eq!(caller.tenant, "acme");

        // Held: a wrong secret for the same id is still refused, from memory.
        let forged =
            format!("{}{}", &key.token[..key.token.len() - 1], if key.token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(keys.authenticate(&forged).await?, None);

        // Another process (a second store on the same file, as `ponte keys revoke` is) revokes.
        let other = Store::open(&url).await?;
        assert!(other.revoke_api_key(&key.id).await?);
        eventually("the revocation is seen", async || keys.authenticate(&key.token).await.ok() == Some(None)).await;
        Ok(())
    }

    #[tokio::test]
    async fn unknown_and_malformed_tokens_are_refused_and_a_new_key_works() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        store.ensure_tenant("acme", "Acme").await?;
        let keys = Keys::spawn(store.clone());
        assert_eq!(keys.authenticate("ponte_000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").await?, None);
        assert_eq!(keys.authenticate("not a token").await?, None);
        let key = store.create_api_key("acme", &[Scope::Totem], "kiosk").await?;
        eventually("a new key works", async || keys.authenticate(&key.token).await.ok().flatten().is_some()).await;
        Ok(())
    }

    #[tokio::test]
    async fn a_real_key_dropped_from_memory_is_still_known_real_and_made_up_ids_never_are() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        store.ensure_tenant("acme", "Acme").await?;
        let keys = Keys::spawn(store.clone());
        let key = store.create_api_key("acme", &[Scope::App], "app").await?;
        let made_up = "ponte_000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert!(!keys.is_real_id(&key.token), "not before the store said so");
        assert!(keys.authenticate(&key.token).await?.is_some());
        assert_eq!(keys.authenticate(made_up).await?, None);
        keys.forget_all();
        assert_eq!(keys.held(&key.token), None, "dropped: only the store can tell");
        assert!(keys.is_real_id(&key.token), "but it is a real key's id");
        assert!(!keys.is_real_id(made_up), "a made-up id never is");
        Ok(())
    }

    #[tokio::test]
    async fn a_burst_of_first_calls_with_one_key_reads_the_store_once() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        store.ensure_tenant("acme", "Acme").await?;
        let keys = Keys::spawn(store.clone());
        let key = store.create_api_key("acme", &[Scope::Totem], "kiosk").await?;
        let forged =
            format!("{}{}", &key.token[..key.token.len() - 1], if key.token.ends_with('A') { 'B' } else { 'A' });
        let admitted = std::sync::atomic::AtomicUsize::new(0);
        // 200 calls at once, a few with a wrong secret for the same id; only a call that reads
        // the store asks for admission, and the admission allows one read.
        let calls = (0..200).map(|i| {
            let (keys, admitted) = (&keys, &admitted);
            let token = if i % 50 == 7 { forged.clone() } else { key.token.clone() };
            async move {
                let answer = keys
                    .authenticate_admitted(&token, || match admitted.fetch_add(1, Ordering::SeqCst) {
                        0 => Ok(()),
                        _ => Err("over budget"),
                    })
                    .await;
                (i % 50 == 7, answer)
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        assert_eq!(admitted.load(Ordering::SeqCst), 1, "one call read the store");
        for (forged, answer) in answers {
            match answer {
                Ok(Some(caller)) if !forged => assert_eq!(caller.tenant, "acme"),
                Ok(None) if forged => {}
                other => panic!("forged {forged}: {other:?}"),
            }
        }

        // Refused admission reads nothing and answers the refusal; the next call may read.
        keys.forget_all();
        let refused = keys.authenticate_admitted(&key.token, || Err("over budget")).await;
        assert!(matches!(refused, Err(Refused::Admission("over budget"))));
        assert!(keys.authenticate_admitted(&key.token, || Ok::<(), &str>(())).await.is_ok_and(|c| c.is_some()));
        Ok(())
    }

    #[tokio::test]
    async fn a_call_arriving_after_a_revocation_never_takes_a_read_that_began_before_it() -> anyhow::Result<()> {
        let store = Store::open("sqlite::memory:").await?;
        store.ensure_tenant("acme", "Acme").await?;
        let keys = Keys::spawn(store.clone());
        let key = store.create_api_key("acme", &[Scope::App], "app").await?;
        let key_id = key_id_of(&key.token).expect("a well-formed token").to_owned();
        // A read of the key is in flight (begun, not finished) with what the store held then.
        let Join::Lead(read) = keys.loads.join(&key_id) else { panic!("no read was in flight") };
        let began = keys.epoch.load(Ordering::Acquire);
        let before = store.credential(&key_id).await?.map(Arc::new);
        assert!(before.is_some());
        // The key is revoked here; the revocation returns before the next call arrives.
        assert!(keys.revoke(&key.id).await?);
        let finish = async {
            tokio::task::yield_now().await;
            read.finish(|| (began, before));
        };
        let (late, ()) = tokio::join!(keys.authenticate(&key.token), finish);
        assert_eq!(late?, None, "a call after the revocation is refused, not handed the older read");
        Ok(())
    }
}
