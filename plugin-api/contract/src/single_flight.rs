//! Refreshing a shared value (a session, a token) once, however many calls need it at once.
//!
//! The host gives plugins a kv store and named locks (`kv.lock`, `kv.unlock`, one holder at a
//! time per tenant connection, across hosts). This module is the protocol both plugin SDKs run on
//! top of them, written once: the PDK's `kv::cached`/`kv::replace` and the Rhai runtime's
//! `kv_cached`/`kv_replace` are thin adapters over [`cached`] and [`replace`].
//!
//! Double-checked: read the value; if it must be produced, take the lock named after the key,
//! read again (the previous holder may have just stored a fresh one), produce only if it is still
//! missing (or still the one the upstream rejected), store it, release the lock. So when a session
//! expires under load, one call logs in and the others wait for its session instead of each
//! logging in.

use std::fmt;

/// How long a call waits for another call's refresh before giving up, by default.
pub const DEFAULT_WAIT_MS: u32 = 10_000;

/// What a producer made: the value, and how long it may be reused (`None`: until replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fresh {
    /// The value to store and return.
    pub value: String,
    /// Its time to live in the store, in whole seconds; `Some(0)` means "use it for this call
    /// only" (it is returned, never stored, so the next call that needs one produces again).
    pub ttl_seconds: Option<u32>,
}

/// The kv operations the protocol needs, as one runtime offers them to its plugins.
pub trait LockingKv {
    /// The runtime's kv error.
    type Error;
    /// A value, if set and not expired.
    fn get(&self, key: &str) -> Result<Option<String>, Self::Error>;
    /// Sets a value.
    fn set(&self, key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), Self::Error>;
    /// Takes the lock `name`, waiting up to `wait_ms`; whether it is held now.
    fn lock(&self, name: &str, wait_ms: u32) -> Result<bool, Self::Error>;
    /// Releases the lock `name`; whether it was held.
    fn unlock(&self, name: &str) -> Result<bool, Self::Error>;
}

/// Why no value came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleFlightError<K, P> {
    /// The kv store failed.
    Kv(K),
    /// Another call held the lock for the whole wait and stored no usable value.
    Busy {
        /// The key.
        key: String,
        /// The longest this call would wait (its deadline may have cut the wait shorter).
        waited_ms: u32,
    },
    /// The producer failed (nothing was stored).
    Produce(P),
}

impl<K: fmt::Display, P: fmt::Display> fmt::Display for SingleFlightError<K, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SingleFlightError::Kv(e) => write!(f, "{e}"),
            SingleFlightError::Busy { key, waited_ms } => {
                write!(
                    f,
                    "another call was still refreshing `{key}` when this one stopped waiting (at most {waited_ms} ms, within its deadline)"
                )
            }
            SingleFlightError::Produce(e) => write!(f, "{e}"),
        }
    }
}

/// The value under `key`; when there is none, the one `produce` makes, with at most one call of
/// the connection producing at a time (the others wait up to `wait_ms` and use what it stored).
///
/// # Errors
/// [`SingleFlightError`]: the kv failed, the wait ran out, or `produce` failed.
pub fn cached<K, P>(
    kv: &K,
    key: &str,
    wait_ms: u32,
    produce: impl FnOnce() -> Result<Fresh, P>,
) -> Result<String, SingleFlightError<K::Error, P>>
where
    K: LockingKv + ?Sized,
{
    match kv.get(key).map_err(SingleFlightError::Kv)? {
        Some(value) => Ok(value),
        None => refresh(kv, key, None, wait_ms, produce),
    }
}

/// The upstream refused `stale`, the value under `key`: a new one, produced once. If another call
/// already replaced it (the stored value is no longer `stale`), that value, without producing.
///
/// # Errors
/// As [`cached`].
pub fn replace<K, P>(
    kv: &K,
    key: &str,
    stale: &str,
    wait_ms: u32,
    produce: impl FnOnce() -> Result<Fresh, P>,
) -> Result<String, SingleFlightError<K::Error, P>>
where
    K: LockingKv + ?Sized,
{
    refresh(kv, key, Some(stale), wait_ms, produce)
}

/// A value under `key` that is not `stale` (with `stale` `None`, any value).
fn usable(value: Option<String>, stale: Option<&str>) -> Option<String> {
    value.filter(|v| stale != Some(v.as_str()))
}

fn refresh<K, P>(
    kv: &K,
    key: &str,
    stale: Option<&str>,
    wait_ms: u32,
    produce: impl FnOnce() -> Result<Fresh, P>,
) -> Result<String, SingleFlightError<K::Error, P>>
where
    K: LockingKv + ?Sized,
{
    if !kv.lock(key, wait_ms).map_err(SingleFlightError::Kv)? {
        // The holder may have finished just as the wait ran out.
        return usable(kv.get(key).map_err(SingleFlightError::Kv)?, stale)
            .ok_or_else(|| SingleFlightError::Busy { key: key.to_owned(), waited_ms: wait_ms });
    }
    let result = (|| {
        if let Some(value) = usable(kv.get(key).map_err(SingleFlightError::Kv)?, stale) {
            return Ok(value);
        }
        let fresh = produce().map_err(SingleFlightError::Produce)?;
        if fresh.ttl_seconds != Some(0) {
            kv.set(key, &fresh.value, fresh.ttl_seconds).map_err(SingleFlightError::Kv)?;
        }
        Ok(fresh.value)
    })();
    // A failed release is the host's to clean up: it releases every lock when the call ends.
    let _ = kv.unlock(key);
    result
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use super::*;

    /// One process's view of a kv with locks: `lock` fails when `locked_by_other` is set, unless
    /// `other_stores` is given, in which case the "other call" stores that value and releases.
    #[derive(Default)]
    struct FakeKv {
        values: RefCell<HashMap<String, String>>,
        locked_by_other: Cell<bool>,
        other_stores: RefCell<Option<String>>,
        held: Cell<bool>,
        locks_taken: Cell<u32>,
    }

    impl LockingKv for FakeKv {
        type Error = String;
        fn get(&self, key: &str) -> Result<Option<String>, String> {
            Ok(self.values.borrow().get(key).cloned())
        }
        fn set(&self, key: &str, value: &str, _ttl: Option<u32>) -> Result<(), String> {
            assert!(self.held.get(), "values are only stored under the lock");
            self.values.borrow_mut().insert(key.into(), value.into());
            Ok(())
        }
        fn lock(&self, key: &str, _wait_ms: u32) -> Result<bool, String> {
            if let Some(value) = self.other_stores.borrow_mut().take() {
                // The other call finishes its refresh while we wait, then we get the lock.
                self.values.borrow_mut().insert(key.into(), value);
            } else if self.locked_by_other.get() {
                return Ok(false);
            }
            self.held.set(true);
            self.locks_taken.set(self.locks_taken.get() + 1);
            Ok(true)
        }
        fn unlock(&self, _key: &str) -> Result<bool, String> {
            Ok(self.held.replace(false))
        }
    }

    fn fresh(value: &str) -> Result<Fresh, String> {
        Ok(Fresh { value: value.into(), ttl_seconds: Some(60) })
    }

    #[test]
    fn a_cached_value_is_returned_without_locking_or_producing() {
        let kv = FakeKv::default();
        kv.values.borrow_mut().insert("session".into(), "s1".into());
        let got = cached(&kv, "session", 100, || -> Result<Fresh, String> { panic!("must not produce") });
        assert_eq!(got, Ok("s1".into()));
        assert_eq!(kv.locks_taken.get(), 0);
    }

    #[test]
    fn a_missing_value_is_produced_under_the_lock_stored_and_the_lock_released() {
        let kv = FakeKv::default();
        assert_eq!(cached(&kv, "session", 100, || fresh("s1")), Ok("s1".into()));
        assert_eq!(kv.values.borrow().get("session").map(String::as_str), Some("s1"));
        assert!(!kv.held.get(), "released");
    }

    #[test]
    fn a_value_another_call_stored_while_we_waited_is_used_without_producing() {
        let kv = FakeKv::default();
        *kv.other_stores.borrow_mut() = Some("theirs".into());
        let got = cached(&kv, "session", 100, || -> Result<Fresh, String> { panic!("must not produce") });
        assert_eq!(got, Ok("theirs".into()));
        assert!(!kv.held.get());
    }

    #[test]
    fn replace_produces_only_while_the_stale_value_is_still_there() {
        let kv = FakeKv::default();
        kv.values.borrow_mut().insert("session".into(), "old".into());
        assert_eq!(replace(&kv, "session", "old", 100, || fresh("new")), Ok("new".into()));
        // A second call that also saw "old" rejected gets "new" without logging in again.
        let got = replace(&kv, "session", "old", 100, || -> Result<Fresh, String> { panic!("must not produce") });
        assert_eq!(got, Ok("new".into()));
    }

    #[test]
    fn a_value_for_this_call_only_is_returned_and_not_stored() {
        let kv = FakeKv::default();
        let once =
            cached(&kv, "session", 100, || Ok::<_, String>(Fresh { value: "once".into(), ttl_seconds: Some(0) }));
        assert_eq!(once, Ok("once".into()));
        assert!(kv.values.borrow().is_empty());
        assert!(!kv.held.get());
    }

    #[test]
    fn a_failed_producer_stores_nothing_and_releases_the_lock() {
        let kv = FakeKv::default();
        let got = cached(&kv, "session", 100, || Err::<Fresh, _>("login refused".to_owned()));
        assert_eq!(got, Err(SingleFlightError::Produce("login refused".into())));
        assert!(kv.values.borrow().is_empty());
        assert!(!kv.held.get());
    }

    #[test]
    fn a_lock_held_for_the_whole_wait_is_busy_unless_a_usable_value_appeared() {
        let kv = FakeKv::default();
        kv.locked_by_other.set(true);
        let got = cached(&kv, "session", 250, || fresh("never"));
        assert_eq!(got, Err(SingleFlightError::Busy { key: "session".into(), waited_ms: 250 }));
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err("another call was still refreshing `session` when this one stopped waiting (at most 250 ms, within its deadline)".into())
        );
        kv.values.borrow_mut().insert("session".into(), "stale".into());
        assert!(matches!(
            replace(&kv, "session", "stale", 250, || fresh("never")),
            Err(SingleFlightError::Busy { .. })
        ));
    }
}
