//! The read cache: a tenant's answers to reading functions, kept for the automation's
//! `cache_ttl`, per tenant + function + normalized input.
//!
//! - Only functions the contract marks cacheable (`FunctionSpec::cacheable`), only when the
//!   tenant's automation gives a `cache_ttl` (absent or 0: off), only successful answers, never a
//!   writing function.
//! - A successful write for a customer drops that customer's cached reads (a settlement drops
//!   their invoice lists); a write that names no customer drops all of the tenant's.
//! - In memory by default ([`memory`], bounded by bytes with `moka`); shared by replicas in Redis
//!   when configured ([`redis`]). A Redis that fails is a miss, never a failed call.
//!
//! A read that started before an invalidation never fills the cache after it: each lookup
//! returns a [`Stamp`] (the instant it began, or the Redis generations it saw), and the answer is
//! stored under that stamp, which an invalidation in between makes unreachable.

pub mod memory;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use ponte_contract::Function;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::config::automation::MAX_CACHE_TTL as MAX_TTL;

/// The default bound of the in-memory cache, in bytes of JSON.
pub use crate::options::DEFAULT_CACHE_MEMORY_BYTES as DEFAULT_MEMORY_BYTES;

/// What identifies one cached read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadKey {
    /// The tenant.
    pub tenant: Arc<str>,
    /// SHA-256 (hex) of the tenant and the customer's document, when the input names one (so the
    /// document itself is never a cache key, in memory or in Redis).
    pub customer: Option<String>,
    /// SHA-256 (hex) of the function and its validated input in canonical JSON.
    pub request: String,
}

impl ReadKey {
    /// The key of `function` called for `tenant` with the validated `input`.
    pub fn new(tenant: &str, function: Function, input: &Value) -> ReadKey {
        ReadKey {
            tenant: Arc::from(tenant),
            customer: customer_of(input).map(|document| customer_digest(tenant, document)),
            request: crate::digest::request_hash(function, input),
        }
    }
}

use crate::digest::customer_digest;
pub use crate::digest::customer_of;

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cached {
    /// The normalized output.
    pub output: crate::output::Output,
    /// How many warnings enforcement raised when it was produced.
    pub warnings: usize,
    /// The invocation whose plugin run produced it.
    pub invocation_id: String,
}

/// When a lookup began, in the terms of the cache that answered it.
#[derive(Debug, Clone)]
pub enum Stamp {
    /// The in-memory cache: the instant.
    Memory(std::time::Instant),
    /// Redis: the tenant's and the customer's generations seen.
    Redis(String),
}

/// A lookup's answer: the entry if there is one, and the stamp to store a fresh answer under.
#[derive(Debug)]
pub struct Lookup {
    /// The cached answer, if any.
    pub hit: Option<Cached>,
    /// See [`Stamp`].
    pub stamp: Stamp,
}

/// The read cache, in memory or in Redis.
#[derive(Clone)]
pub enum ReadCache {
    /// In this process only.
    Memory(Arc<memory::MemoryCache>),
    /// Shared by every replica using the same Redis.
    Redis(Arc<redis::RedisCache>),
}

impl ReadCache {
    /// An in-memory cache holding at most `bytes` of JSON.
    pub fn memory(bytes: u64) -> ReadCache {
        ReadCache::Memory(Arc::new(memory::MemoryCache::new(bytes)))
    }

    /// The cache in the Redis `options` names, shared by every replica using it.
    ///
    /// # Errors
    /// When Redis can't be reached.
    pub async fn redis(options: &crate::options::RedisOptions) -> ::redis::RedisResult<ReadCache> {
        let cache = redis::RedisCache::connect(options.url.expose(), &options.prefix).await?;
        Ok(ReadCache::Redis(Arc::new(cache)))
    }

    /// The entry under `key`, and the stamp to store a fresh answer under.
    pub async fn get(&self, key: &ReadKey) -> Lookup {
        match self {
            ReadCache::Memory(cache) => cache.get(key),
            ReadCache::Redis(cache) => cache.get(key).await,
        }
    }

    /// Stores `value` under `key` for `ttl` (at most [`MAX_TTL`]), unless an invalidation came
    /// after `stamp`.
    pub async fn put(&self, key: &ReadKey, stamp: &Stamp, value: &Cached, ttl: Duration) {
        let ttl = ttl.min(MAX_TTL);
        match self {
            ReadCache::Memory(cache) => cache.put(key, stamp, value, ttl),
            ReadCache::Redis(cache) => cache.put(key, stamp, value, ttl).await,
        }
    }

    /// Drops the cached reads of `tenant`'s customer with document `customer` (already
    /// validated, without punctuation), or all of the tenant's when `None`.
    pub async fn invalidate(&self, tenant: &str, customer: Option<&str>) {
        let customer = customer.map(|document| customer_digest(tenant, document));
        match self {
            ReadCache::Memory(cache) => cache.invalidate(tenant, customer.as_deref()),
            ReadCache::Redis(cache) => cache.invalidate(tenant, customer.as_deref()).await,
        }
    }
}
