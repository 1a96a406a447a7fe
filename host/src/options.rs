//! Every tunable of the host in one place, with production defaults: what `ponte serve --help`
//! sets, what tests shorten. A leaf: the modules these options tune depend on it, never the
//! reverse, so the host's module graph stays one direction.

use std::time::Duration;

use rand::Rng;

use crate::breaker::BreakerOptions;
use crate::bulkhead::BulkheadOptions;
use crate::ratelimit::KeyRate;

/// Invocation-log rows that may wait for the background writer by default.
pub const DEFAULT_INVOCATION_LOG_QUEUE: usize = 8192;

/// How long the invocation log's writer gathers rows into a batch by default.
pub const DEFAULT_INVOCATION_LOG_LINGER: Duration = Duration::from_millis(100);

/// The default bound of the in-memory read cache, in bytes of JSON.
pub const DEFAULT_CACHE_MEMORY_BYTES: u64 = 64 * 1024 * 1024;

/// The host's tunables, with production defaults.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// How long an idempotency record is kept (default 24 h).
    pub idempotency_retention: Duration,
    /// The settlement queue's retries and leases.
    pub settlement: SettlementOptions,
    /// When circuits open.
    pub breaker: BreakerOptions,
    /// How many plugin calls run at once.
    pub bulkhead: BulkheadOptions,
    /// Requests per second per API key (`None`: unlimited).
    pub key_rate: Option<KeyRate>,
    /// Store reads per second one client address may cause with keys the host doesn't hold
    /// (made-up or brand-new tokens; `None`: unlimited). Held keys never count.
    pub unknown_key_rate: Option<KeyRate>,
    /// How the listener treats connections.
    pub listener: ListenerOptions,
    /// How long a request's body may take to arrive, whole.
    pub body_read_timeout: Duration,
    /// Invocation-log rows that may wait for the writer; past it rows are counted as dropped.
    pub invocation_log_queue: usize,
    /// How long the invocation log's writer gathers rows into one batch before writing them
    /// (default 100 ms; zero writes what is waiting at once). Readers of the log flush first,
    /// so it delays nobody; a crash loses what was gathered, as it loses what waits in the queue.
    pub invocation_log_linger: Duration,
    /// The bound of the in-memory read cache, in bytes of JSON (unused when Redis serves it).
    pub cache_memory_bytes: u64,
    /// The Redis that holds the read cache for every replica (`None`: in memory).
    pub redis: Option<RedisOptions>,
    /// The keys that seal secrets at rest (tenants' secret settings given through the admin
    /// API, plugins' kv values). The default is a random key that dies with the process: right
    /// for tests, never for a store that outlives it (`ponte serve` always sets one).
    pub keyring: std::sync::Arc<crate::secret::keyring::Keyring>,
    /// How often the store's configuration version is compared, to load tenants another
    /// replica changed through the admin API (default 500 ms).
    pub config_poll: Duration,
    /// Whether the invocation log keeps each call's validated input and normalized output (at
    /// most 64 KiB each; default on): what the console's detail view shows. They hold customers'
    /// personal data; off keeps only the call's outline.
    pub log_payloads: bool,
    /// What the host does for customers' privacy (LGPD): the kiosk lookup limit and the
    /// invocation log's retention.
    pub privacy: PrivacyOptions,
    /// When posted payments are compared with what the ERP shows.
    pub reconciliation: ReconciliationOptions,
    /// Whether admins may call plugins' raw upstream APIs (`[passthrough]` in a manifest) through
    /// the host (default off).
    pub admin_passthrough: bool,
}

/// The reconciliation job's tunables ([`crate::settlement::reconcile`]).
#[derive(Debug, Clone, Copy)]
pub struct ReconciliationOptions {
    /// How often each tenant's settlements are compared with its ERP (default 6 h; `None`: only
    /// when an operator asks).
    pub interval: Option<Duration>,
    /// How far back a run looks: settlements posted or parked within it (default 7 days).
    pub window: Duration,
    /// Settlements one run checks at most, the most recent first (default 500): each is one
    /// `get_invoice` call to the ERP.
    pub max_settlements: u32,
}

impl Default for ReconciliationOptions {
    fn default() -> Self {
        ReconciliationOptions {
            interval: Some(Duration::from_secs(6 * 3600)),
            window: Duration::from_secs(7 * 24 * 3600),
            max_settlements: 500,
        }
    }
}

/// Privacy tunables (the per-tenant masking policy is the tenant's, in its automation).
#[derive(Debug, Clone, Copy)]
pub struct PrivacyOptions {
    /// How many distinct customers one kiosk key (scope `totem` only) may look up per window
    /// before it is locked out (`None`: no limit).
    pub kiosk_lookups: Option<KioskLookupLimit>,
    /// How long invocation-log rows (with their payloads and upstream exchanges) are kept
    /// (default 30 days; `None`: forever).
    pub invocation_retention: Option<Duration>,
}

impl Default for PrivacyOptions {
    fn default() -> Self {
        PrivacyOptions {
            kiosk_lookups: Some(KioskLookupLimit::default()),
            invocation_retention: Some(Duration::from_secs(30 * 24 * 3600)),
        }
    }
}

/// The limit on distinct customers a kiosk key looks up: past `max_customers` within `window`,
/// every call of the key is refused for `lockout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KioskLookupLimit {
    /// Distinct customer documents per window (default 30: a busy shop's kiosk serves far fewer
    /// than one new customer a minute).
    pub max_customers: u32,
    /// The window (default 10 minutes).
    pub window: Duration,
    /// How long a key stays locked (default 15 minutes).
    pub lockout: Duration,
}

impl Default for KioskLookupLimit {
    fn default() -> Self {
        KioskLookupLimit { max_customers: 30, window: Duration::from_secs(600), lockout: Duration::from_secs(900) }
    }
}

/// Where the shared read cache lives.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// `redis://host:port/db` (may carry a password, so never printed).
    pub url: crate::secret::Secret,
    /// Prefix of every key Ponte writes (replicas sharing a cache share the prefix).
    pub prefix: String,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            idempotency_retention: Duration::from_secs(24 * 3600),
            settlement: SettlementOptions::default(),
            breaker: BreakerOptions::default(),
            bulkhead: BulkheadOptions::default(),
            key_rate: Some(KeyRate::default()),
            unknown_key_rate: Some(KeyRate { per_second: 20, burst: 100 }),
            listener: ListenerOptions::default(),
            body_read_timeout: Duration::from_secs(10),
            invocation_log_queue: DEFAULT_INVOCATION_LOG_QUEUE,
            invocation_log_linger: DEFAULT_INVOCATION_LOG_LINGER,
            cache_memory_bytes: DEFAULT_CACHE_MEMORY_BYTES,
            redis: None,
            keyring: std::sync::Arc::new(crate::secret::keyring::Keyring::ephemeral()),
            config_poll: Duration::from_millis(500),
            log_payloads: true,
            privacy: PrivacyOptions::default(),
            reconciliation: ReconciliationOptions::default(),
            admin_passthrough: false,
        }
    }
}

/// The queue's tunables.
#[derive(Debug, Clone)]
pub struct SettlementOptions {
    /// Attempts before a settlement is parked (default 20: with the default backoff, about two
    /// hours of outage).
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles (default 2 s).
    pub backoff_base: Duration,
    /// The longest delay between attempts (default 10 min).
    pub backoff_max: Duration,
    /// Added to an attempt's deadlines to make its lease (default 30 s).
    pub lease_margin: Duration,
    /// How often the worker looks for due settlements (default 1 s).
    pub poll_interval: Duration,
    /// Settlements a worker attempts at once (default 8).
    pub concurrency: u32,
}

impl Default for SettlementOptions {
    fn default() -> Self {
        SettlementOptions {
            max_attempts: 20,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(600),
            lease_margin: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            concurrency: 8,
        }
    }
}

impl SettlementOptions {
    /// The delay before attempt `attempts + 1`: `base · 2^(attempts-1)` capped at `max`, with
    /// "equal jitter" (a random point in its upper half) so replicas retrying one outage don't
    /// march in step.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self.backoff_base.saturating_mul(1u32 << exponent).min(self.backoff_max);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
    }
}

/// How the listener treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ListenerOptions {
    /// Connections open at once (clamped to three quarters of the file-descriptor limit).
    pub max_connections: usize,
    /// How long a request head may take to arrive, and how long a connection may sit idle.
    pub header_read_timeout: Duration,
    /// The most bytes of request headers (larger: `431 headers_too_large`).
    pub max_header_bytes: usize,
    /// The most request headers.
    pub max_headers: usize,
    /// How long a shutdown waits for requests and settlement attempts under way before cutting
    /// them off (default 25 s: under Kubernetes' default 30 s grace period).
    pub shutdown_grace: Duration,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        ListenerOptions {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
            max_headers: 100,
            shutdown_grace: Duration::from_secs(25),
        }
    }
}
