//! The read cache in Redis, shared by every replica pointing at the same server.
//!
//! Keys (under a prefix, `ponte:` by default):
//! - `{prefix}cache:gen:{tenant}` and `{prefix}cache:gen:{tenant}:{customer}`: generation
//!   counters, raised by an invalidation (`INCR`), kept for twice [`MAX_TTL`];
//! - `{prefix}cache:v1:{tenant}:{tenant generation}:{customer}:{customer generation}:{request}`:
//!   one answer, JSON, expiring after its TTL (`SET ... PX`).
//!
//! A lookup is one round trip (a Lua script reads both generations and the entry under them); an
//! invalidation is one `INCR`, after which entries under the old generation are unreachable and
//! expire on their own. A read that began before an invalidation stores its answer under the old
//! generation, where nobody looks any more. The customer is a SHA-256 of tenant and document,
//! never the document itself.
//!
//! Redis answers within [`TIMEOUT`] or the lookup is a miss (and a put or an invalidation is
//! logged and skipped): the cache can make calls faster, never make them fail. An invalidation
//! Redis missed can leave a customer's cached reads until their TTL: the reason TTLs are short.

use std::time::Duration;

use redis::AsyncCommands as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Cached, Lookup, MAX_TTL, ReadKey, Stamp};

/// How long any Redis command may take before the cache gives up on it.
pub const TIMEOUT: Duration = Duration::from_millis(250);

/// Reads both generations and the entry stored under them, in one round trip.
const LOOKUP: &str = r"
local tenant = redis.call('GET', KEYS[1]) or '0'
local customer = '0'
if KEYS[2] ~= '' then customer = redis.call('GET', KEYS[2]) or '0' end
local stamp = tenant .. ':' .. ARGV[2] .. ':' .. customer
return {stamp, redis.call('GET', ARGV[1] .. stamp .. ':' .. ARGV[3])}
";

/// See the module documentation.
pub struct RedisCache {
    connection: ConnectionManager,
    prefix: String,
    lookup: redis::Script,
}

impl RedisCache {
    /// Connects to the Redis at `url` (`redis://host:port/db`), keys under `prefix`.
    ///
    /// # Errors
    /// When the URL can't be used or Redis doesn't answer.
    pub async fn connect(url: &str, prefix: &str) -> redis::RedisResult<RedisCache> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(RedisCache { connection, prefix: prefix.to_owned(), lookup: redis::Script::new(LOOKUP) })
    }

    fn generation_key(&self, tenant: &str, customer: Option<&str>) -> String {
        match customer {
            Some(customer) => format!("{}cache:gen:{tenant}:{customer}", self.prefix),
            None => format!("{}cache:gen:{tenant}", self.prefix),
        }
    }

    fn entry_key(&self, key: &ReadKey, stamp: &str) -> String {
        format!("{}cache:v1:{}:{stamp}:{}", self.prefix, key.tenant, key.request)
    }

    pub(super) async fn get(&self, key: &ReadKey) -> Lookup {
        let customer = key.customer.as_deref();
        let mut invocation = self.lookup.prepare_invoke();
        invocation
            .key(self.generation_key(&key.tenant, None))
            .key(customer.map_or_else(String::new, |c| self.generation_key(&key.tenant, Some(c))))
            .arg(format!("{}cache:v1:{}:", self.prefix, key.tenant))
            .arg(customer.unwrap_or("-"))
            .arg(&key.request);
        let mut connection = self.connection.clone();
        let answer: redis::RedisResult<(String, Option<String>)> =
            match tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection)).await {
                Ok(answer) => answer,
                Err(_) => Err(redis::RedisError::from((redis::ErrorKind::Io, "timed out"))),
            };
        match answer {
            Ok((stamp, entry)) => {
                let hit = entry.and_then(|json| serde_json::from_str::<Cached>(&json).ok());
                Lookup { hit, stamp: Stamp::Redis(stamp) }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the read cache's Redis did not answer; a miss");
                // No stamp to store under: a put with this stamp is skipped.
                Lookup { hit: None, stamp: Stamp::Redis(String::new()) }
            }
        }
    }

    pub(super) async fn put(&self, key: &ReadKey, stamp: &Stamp, value: &Cached, ttl: Duration) {
        let Stamp::Redis(stamp) = stamp else { return };
        if stamp.is_empty() {
            return;
        }
        let Ok(json) = serde_json::to_string(value) else { return };
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut connection = self.connection.clone();
        let stored =
            tokio::time::timeout(TIMEOUT, connection.pset_ex::<_, _, ()>(self.entry_key(key, stamp), json, millis))
                .await;
        if !matches!(stored, Ok(Ok(()))) {
            tracing::warn!("the read cache's Redis did not store an answer");
        }
    }

    pub(super) async fn invalidate(&self, tenant: &str, customer: Option<&str>) {
        let generation = self.generation_key(tenant, customer);
        let keep = i64::try_from(MAX_TTL.as_millis() * 2).unwrap_or(i64::MAX);
        let mut pipe = redis::pipe();
        pipe.atomic().incr(&generation, 1).ignore().pexpire(&generation, keep).ignore();
        let mut connection = self.connection.clone();
        let done = tokio::time::timeout(TIMEOUT, pipe.query_async::<()>(&mut connection)).await;
        if !matches!(done, Ok(Ok(()))) {
            tracing::error!(
                tenant,
                "the read cache's Redis missed an invalidation: the customer's cached reads stay until their TTL"
            );
        }
    }
}
