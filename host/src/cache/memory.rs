//! The in-memory read cache: `moka`, weighed by the bytes of each answer's JSON, each entry
//! expiring after its own TTL.
//!
//! Invalidations are instants per (tenant, customer) and per tenant: an entry counts only if the
//! lookup that produced it began after both. They are kept for [`MAX_TTL`], after which every
//! entry they could hide has expired anyway, so the table stays as small as the writes of the
//! last hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

use super::{Cached, Lookup, MAX_TTL, ReadKey, Stamp};

struct Entry {
    value: Cached,
    /// When the lookup that produced it began.
    since: Instant,
    ttl: Duration,
    weight: u32,
}

struct PerEntryTtl;

impl Expiry<ReadKey, Arc<Entry>> for PerEntryTtl {
    fn expire_after_create(&self, _key: &ReadKey, entry: &Arc<Entry>, _now: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// Invalidation instants: per tenant (`None`) and per customer.
type Invalidations = HashMap<(Arc<str>, Option<String>), Instant>;

/// See the module documentation.
pub struct MemoryCache {
    entries: Cache<ReadKey, Arc<Entry>>,
    invalidated: Mutex<Invalidations>,
}

impl MemoryCache {
    /// A cache holding at most `bytes` of JSON (the least used entries go first).
    pub fn new(bytes: u64) -> MemoryCache {
        MemoryCache {
            entries: Cache::builder()
                .max_capacity(bytes)
                .weigher(|_key: &ReadKey, entry: &Arc<Entry>| entry.weight)
                .expire_after(PerEntryTtl)
                .build(),
            invalidated: Mutex::new(HashMap::new()),
        }
    }

    /// The most recent invalidation covering `key`'s tenant or customer.
    fn invalidated_at(&self, key: &ReadKey) -> Option<Instant> {
        let table = self.invalidated.lock().unwrap_or_else(PoisonError::into_inner);
        if table.is_empty() {
            return None;
        }
        let tenant = table.get(&(key.tenant.clone(), None)).copied();
        let customer = key.customer.as_ref().and_then(|c| table.get(&(key.tenant.clone(), Some(c.clone()))).copied());
        tenant.max(customer)
    }

    pub(super) fn get(&self, key: &ReadKey) -> Lookup {
        let now = Instant::now();
        let hit = self.entries.get(key).and_then(|entry| {
            let stale = self.invalidated_at(key).is_some_and(|at| at >= entry.since);
            if stale {
                self.entries.invalidate(key);
                None
            } else {
                Some(entry.value.clone())
            }
        });
        Lookup { hit, stamp: Stamp::Memory(now) }
    }

    pub(super) fn put(&self, key: &ReadKey, stamp: &Stamp, value: &Cached, ttl: Duration) {
        let Stamp::Memory(since) = *stamp else { return };
        if self.invalidated_at(key).is_some_and(|at| at >= since) {
            return;
        }
        let bytes = value.output.json().len();
        let weight = u32::try_from(bytes.saturating_add(key.request.len() + 128)).unwrap_or(u32::MAX);
        self.entries.insert(key.clone(), Arc::new(Entry { value: value.clone(), since, ttl, weight }));
    }

    pub(super) fn invalidate(&self, tenant: &str, customer: Option<&str>) {
        let now = Instant::now();
        let tenant: Arc<str> = Arc::from(tenant);
        let mut table = self.invalidated.lock().unwrap_or_else(PoisonError::into_inner);
        table.retain(|_, at| now.duration_since(*at) <= MAX_TTL);
        table.insert((tenant, customer.map(str::to_owned)), now);
        // Entries are dropped lazily, when next read; the instants above already hide them.
    }

    /// Entries held (for tests and metrics; moka counts lazily).
    pub fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use ponte_contract::Function;
    use serde_json::json;

    use super::*;
    use crate::output::Output;

    fn cached(id: &str) -> Cached {
        Cached { output: Output::from_value(&json!([{"fatura": "1"}])), warnings: 0, invocation_id: id.into() }
    }

    fn key(tenant: &str, document: &str) -> ReadKey {
        ReadKey::new(tenant, Function::ListInvoices, &json!({"customer_document_number": document}))
    }

    #[test]
    fn an_entry_is_served_until_its_ttl_and_only_for_its_key() {
        let cache = MemoryCache::new(1 << 20);
        let (a, b) = (key("acme", "71460238001"), key("acme", "25091746498"));
        let lookup = cache.get(&a);
        assert!(lookup.hit.is_none());
        cache.put(&a, &lookup.stamp, &cached("one"), Duration::from_millis(150));
        assert_eq!(cache.get(&a).hit, Some(cached("one")));
        assert!(cache.get(&b).hit.is_none());
        assert!(cache.get(&key("other", "71460238001")).hit.is_none(), "tenants never share entries");
        std::thread::sleep(Duration::from_millis(300));
        assert!(cache.get(&a).hit.is_none(), "expired");
    }

    #[test]
    fn invalidating_a_customer_drops_theirs_and_a_read_begun_before_never_fills() {
        let cache = MemoryCache::new(1 << 20);
        let (a, b) = (key("acme", "71460238001"), key("acme", "25091746498"));
        for k in [&a, &b] {
            let lookup = cache.get(k);
            cache.put(k, &lookup.stamp, &cached("one"), Duration::from_secs(60));
        }
        let begun = cache.get(&a).stamp;
        cache.invalidate("acme", a.customer.as_deref());
        assert!(cache.get(&a).hit.is_none());
        assert!(cache.get(&b).hit.is_some(), "another customer's reads stay");
        cache.put(&a, &begun, &cached("stale"), Duration::from_secs(60));
        assert!(cache.get(&a).hit.is_none(), "a read begun before the write doesn't fill");
        let fresh = cache.get(&a).stamp;
        cache.put(&a, &fresh, &cached("fresh"), Duration::from_secs(60));
        assert_eq!(cache.get(&a).hit, Some(cached("fresh")));
        cache.invalidate("acme", None);
        assert!(cache.get(&a).hit.is_none() && cache.get(&b).hit.is_none(), "a tenant-wide write drops all");
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let cache = MemoryCache::new(64 * 1024);
        let big =
            Cached { output: Output::from_value(&json!("x".repeat(10_000))), warnings: 0, invocation_id: "i".into() };
        for n in 0..100 {
            let k = key("acme", &format!("{n}"));
            let lookup = cache.get(&k);
            cache.put(&k, &lookup.stamp, &big, Duration::from_secs(60));
        }
        assert!(cache.len() <= 7, "{} entries of ~10 KB in 64 KiB", cache.len());
    }
}
