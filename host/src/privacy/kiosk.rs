//! The kiosk lookup limit: a totem is a public screen where anyone may type any CPF, so one
//! kiosk key may look up only so many distinct customers per window; past that it is locked out
//! for a while (every call refused with `429 kiosk_locked`), counted in
//! `ponte_kiosk_lockouts_total` and logged as an alert.
//!
//! Customers are counted by the invocation log's digest (never the document), per key, in this
//! process's memory: each replica counts on its own, so behind `n` replicas a key may reach
//! `n` times the limit before every replica has locked it.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::options::KioskLookupLimit;

/// Each kiosk key's window.
#[derive(Debug)]
pub struct KioskLookups {
    limit: Option<KioskLookupLimit>,
    keys: Mutex<HashMap<String, Window>>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    customers: HashSet<String>,
    locked_until: Option<Instant>,
}

/// What a lookup may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Go on.
    Allowed,
    /// The key is locked for this long; `newly` when this lookup locked it.
    Locked {
        /// Until the lock-out ends.
        remaining: Duration,
        /// Whether this lookup crossed the limit (alert once).
        newly: bool,
    },
}

impl KioskLookups {
    /// Counts under `limit` (`None`: never locks).
    pub fn new(limit: Option<KioskLookupLimit>) -> Self {
        KioskLookups { limit, keys: Mutex::new(HashMap::new()) }
    }

    /// A lookup by kiosk key `key_id` of the customer `customer` (digest; `None` for a call
    /// naming no customer, which a locked key may not make either).
    pub fn check(&self, key_id: &str, customer: Option<&str>) -> Lookup {
        self.check_at(key_id, customer, Instant::now())
    }

    fn check_at(&self, key_id: &str, customer: Option<&str>, now: Instant) -> Lookup {
        let Some(limit) = self.limit else { return Lookup::Allowed };
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let window = keys.entry(key_id.to_owned()).or_insert_with(|| Window {
            started: now,
            customers: HashSet::new(),
            locked_until: None,
        });
        if let Some(until) = window.locked_until {
            if now < until {
                return Lookup::Locked { remaining: until - now, newly: false };
            }
            *window = Window { started: now, customers: HashSet::new(), locked_until: None };
        }
        if now.duration_since(window.started) >= limit.window {
            window.started = now;
            window.customers.clear();
        }
        let Some(customer) = customer else { return Lookup::Allowed };
        if window.customers.contains(customer) {
            return Lookup::Allowed;
        }
        if window.customers.len() >= usize::try_from(limit.max_customers).unwrap_or(usize::MAX) {
            window.locked_until = Some(now + limit.lockout);
            window.customers.clear();
            return Lookup::Locked { remaining: limit.lockout, newly: true };
        }
        window.customers.insert(customer.to_owned());
        Lookup::Allowed
    }

    /// Forgets windows that ended and lock-outs that are over (the periodic sweep).
    pub fn forget_idle(&self) {
        let Some(limit) = self.limit else { return };
        let now = Instant::now();
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.retain(|_, w| {
            w.locked_until.is_some_and(|until| now < until) || now.duration_since(w.started) < limit.window
        });
    }

    /// Forgets `customer` (digest) in every window: their data was erased.
    pub fn forget_customer(&self, customer: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        for window in keys.values_mut() {
            window.customers.remove(customer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> KioskLookupLimit {
        KioskLookupLimit { max_customers: 3, window: Duration::from_secs(60), lockout: Duration::from_secs(300) }
    }

    #[test]
    fn distinct_customers_past_the_limit_lock_the_key_and_only_that_key() {
        let lookups = KioskLookups::new(Some(limit()));
        let t0 = Instant::now();
        for customer in ["a", "b", "c", "a", "b", "c", "a"] {
            assert_eq!(lookups.check_at("k1", Some(customer), t0), Lookup::Allowed, "repeats count once");
        }
        assert_eq!(lookups.check_at("k1", None, t0), Lookup::Allowed);
        assert_eq!(
            lookups.check_at("k1", Some("d"), t0 + Duration::from_secs(1)),
            Lookup::Locked { remaining: Duration::from_secs(300), newly: true }
        );
        // Locked: even a customer seen before, and a call naming none.
        let later = t0 + Duration::from_secs(61);
        assert_eq!(
            lookups.check_at("k1", Some("a"), later),
            Lookup::Locked { remaining: Duration::from_secs(240), newly: false }
        );
        assert!(matches!(lookups.check_at("k1", None, later), Lookup::Locked { .. }));
        assert_eq!(lookups.check_at("k2", Some("d"), later), Lookup::Allowed, "another kiosk is not affected");
        // The lock-out ends with a fresh window.
        let after = t0 + Duration::from_secs(302);
        assert_eq!(lookups.check_at("k1", Some("e"), after), Lookup::Allowed);
    }

    #[test]
    fn a_new_window_starts_the_count_again_and_no_limit_never_locks() {
        let lookups = KioskLookups::new(Some(limit()));
        let t0 = Instant::now();
        for customer in ["a", "b", "c"] {
            assert_eq!(lookups.check_at("k", Some(customer), t0), Lookup::Allowed);
        }
        assert_eq!(lookups.check_at("k", Some("d"), t0 + Duration::from_secs(60)), Lookup::Allowed);
        let unlimited = KioskLookups::new(None);
        for n in 0..100 {
            assert_eq!(unlimited.check_at("k", Some(&n.to_string()), t0), Lookup::Allowed);
        }
    }
}
