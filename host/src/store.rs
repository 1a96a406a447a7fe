//! The store: the one place in Ponte with SQL.
//!
//! [`Store`] owns a connection pool and answers in domain types: tenants, API keys and the
//! callers they authenticate, the invocation log, and the key-value store behind the plugins'
//! kv/cache capability. Nothing outside this module writes SQL or sees a `sqlx` type other than
//! the sources inside [`StoreError`].
//!
//! # Layout
//! - `store.rs`: opening, the backend, errors, and the conversions every table shares.
//! - `store/tenants.rs`: `tenants`, upserted from the automation files.
//! - `store/api_keys.rs`: `api_keys`, token generation and [`Store::authenticate`].
//! - `store/invocations.rs`: `invocations`, one row per call for audit and debugging.
//! - `store/kv.rs`: `kv`, namespaced strings with an optional expiry.
//! - `store/idempotency.rs`: `idempotency`, the first answer of each writing call per key.
//! - `store/settlements.rs`: `settlements`, the durable queue of payments to post.
//! - `migrations/sqlite/*.sql` (beside the crate's `Cargo.toml`): the schema, applied by
//!   [`Store::open`]; released migrations are never edited, new ones are added.
//!
//! # Tables
//! | table         | key                  | holds                                                    |
//! |---------------|----------------------|----------------------------------------------------------|
//! | `tenants`     | `id`                 | name, creation time                                      |
//! | `api_keys`    | `id` (12 hex chars)  | tenant, SHA-256 of the token, scopes, label, revocation  |
//! | `invocations` | `id` (UUID text)     | tenant, function, plugin, timing, status, outcome, JSON  |
//! | `kv`          | `(namespace, key)`   | value, expiry                                            |
//! | `idempotency` | `(tenant, function, key)` | request hash, state, lease, the answer, expiry      |
//! | `settlements` | `id` (UUID v7 text)  | one payment to post: input, state, attempts, lease, result |
//!
//! # Portability
//! SQLite (a file, the zero-setup default) is the only backend today; PostgreSQL will arrive as a
//! second variant of the private `Backend` enum behind the same methods, running the same SQL. So
//! every query here:
//! - uses `$1, $2, ...` placeholders, which sqlx accepts on both engines;
//! - stores ids, names and JSON as `TEXT` and every number as a 64-bit integer (`INTEGER` in SQLite,
//!   `BIGINT` in PostgreSQL), bound and decoded as `i64`, never `u32`/`u64` (PostgreSQL has none);
//! - stores timestamps as **integer milliseconds since the Unix epoch, UTC**: sortable, comparable
//!   in SQL (kv expiry), and identical on both engines. Sub-millisecond precision is dropped on write;
//! - relies only on syntax both engines share: `ON CONFLICT ... DO UPDATE`, `RETURNING`, partial
//!   indexes; the store computes every value it writes (no `DEFAULT now()`, no triggers);
//! - keeps each write a single statement (SQLite's busy handler can't help a read transaction that
//!   later upgrades to a write; a future multi-statement write must `BEGIN IMMEDIATE` there);
//! - is checked at run time (`sqlx::query`, `query_as` with `FromRow`), not by the compile-time
//!   macros, so building needs no database.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteError, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is.
///
/// The body is expanded once per backend, so the same SQL and the same generic `sqlx` calls
/// type-check against each engine; adding PostgreSQL means adding one arm here.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
        }
    };
}

mod api_keys;
mod idempotency;
mod invocations;
mod kv;
mod settlements;
mod tenants;

pub use api_keys::{ApiKeyInfo, Caller, NewApiKey};
pub use idempotency::{IdempotencyKey, IdempotencyRecord, StoredAnswer};
pub use invocations::{InvocationRecord, MAX_INVOCATIONS_PAGE};
pub use settlements::{Failure, Inserted, NewSettlement, Settlement, SettlementState};
pub use tenants::Tenant;

/// How long a query waits for a free connection before the store reports [`StoreError::Unavailable`].
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits on another connection's write lock before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to a SQLite file. WAL lets readers run beside the one writer; more connections
/// than this only queue on SQLite's write lock.
const SQLITE_MAX_CONNECTIONS: u32 = 8;

/// The SQLite schema, embedded at build time from `host/migrations/sqlite`.
static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// A handle on Ponte's database. Cheap to clone: clones share one pool.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

/// The engine behind a [`Store`]. Private so that PostgreSQL can join as a second variant
/// without changing the public API.
#[derive(Clone)]
enum Backend {
    /// A SQLite file, or a private in-memory database (tests, demos).
    Sqlite(SqlitePool),
}

/// A store operation that failed.
///
/// `Display` is a fixed, short text: it never includes SQL, a connection URL (which may carry a
/// password), or key material. The underlying `sqlx` error, for logs, is the [`source`].
///
/// [`source`]: std::error::Error::source
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database can't be reached or used right now: it can't be opened, the pool timed out,
    /// the file is locked past the busy timeout, or I/O failed. Worth retrying; `/readyz` fails.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure, including stored data the store can't decode.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Applying the schema migrations failed at [`Store::open`].
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// [`Store::open`] was given a URL it can't use (today, anything but SQLite).
    #[error("unsupported database URL (expected sqlite://...)")]
    UnsupportedUrl,
    /// The row the operation needs doesn't exist (e.g. the tenant of a new API key).
    #[error("not found")]
    NotFound,
    /// An argument the store refuses, named by the field (e.g. `invalid scopes`).
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::RowNotFound) {
            StoreError::NotFound
        } else if is_unavailable(&err) {
            StoreError::Unavailable(err)
        } else {
            StoreError::Database(err)
        }
    }
}

/// SQLite primary result codes that mean "the database can't be used right now", not "this
/// query is wrong": BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
const SQLITE_UNAVAILABLE_CODES: [i32; 6] = [5, 6, 8, 10, 13, 14];

/// Whether `err` is about reaching the database rather than about the query.
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLite's code is its extended result code, in decimal; the low byte is the primary code.
        sqlx::Error::Database(db) if db.try_downcast_ref::<SqliteError>().is_some() => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| SQLITE_UNAVAILABLE_CODES.contains(&(code & 0xff))),
        _ => false,
    }
}

/// A [`StoreError::Database`] for a stored value the store can't read back.
fn corrupt(what: &'static str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(what.into()))
}

/// Now, as stored: milliseconds since the Unix epoch, UTC.
fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored timestamp back as a date-time.
fn from_millis(millis: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| corrupt("timestamp out of range"))
}

impl Store {
    /// Connects to the database at `url` and brings its schema up to date.
    ///
    /// Accepted URLs:
    /// - `sqlite://path/to/ponte.db` or `sqlite:ponte.db`: a file, created if missing (its
    ///   directory must exist), in WAL mode with a busy timeout;
    /// - `sqlite::memory:`: a private in-memory database that lives as long as this store (and its
    ///   clones); each call opens a fresh one.
    ///
    /// # Errors
    /// - [`StoreError::UnsupportedUrl`] for any other scheme (PostgreSQL comes later) or an
    ///   unparsable SQLite URL;
    /// - [`StoreError::Unavailable`] when the database can't be opened (missing or unwritable
    ///   directory, locked file);
    /// - [`StoreError::Migrate`] when the schema can't be applied (e.g. the file was migrated by a
    ///   newer Ponte, or a released migration was edited).
    pub async fn open(url: &str) -> Result<Store> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl);
        }
        // The parse error may quote the URL; drop it rather than carry it into logs.
        let options = SqliteConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl)?;
        let options = options.busy_timeout(BUSY_TIMEOUT).foreign_keys(true);
        let pool = if is_memory_url(url) {
            // An in-memory database lives as long as its last connection, and SQLite's shared
            // cache answers `SQLITE_LOCKED` (which the busy timeout doesn't cover) when two
            // connections contend. One connection, never recycled, avoids both.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
        } else {
            // WAL: readers don't block the writer. `synchronous` stays at SQLite's default (FULL):
            // the settlement queue will promise that an accepted payment survives a power cut.
            let options = options.create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
            SqlitePoolOptions::new()
                .max_connections(SQLITE_MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
        }
        // Whatever went wrong while connecting (can't create the file, locked, I/O), the
        // database isn't usable: report it as such, not as a query bug.
        .map_err(StoreError::Unavailable)?;
        SQLITE_MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Store { backend: Backend::Sqlite(pool) })
    }

    /// Whether this store runs on PostgreSQL, for the rare statement whose SQL must differ
    /// (row locks such as `FOR UPDATE SKIP LOCKED`, which SQLite neither has nor needs).
    pub(crate) fn is_postgres(&self) -> bool {
        false
    }

    /// Checks that the database answers a trivial query (for `/readyz`).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it doesn't answer within the pool's acquire timeout.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, |pool| sqlx::query("SELECT 1").execute(pool).await)?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned; later calls on this store
    /// or its clones fail with [`StoreError::Unavailable`]. Call it last, at shutdown, so SQLite
    /// checkpoints its WAL into the main file.
    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await);
    }
}

impl fmt::Debug for Store {
    /// Names the backend only: a pool's own `Debug` would print its connect options, and a
    /// PostgreSQL URL's password with them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.backend {
            Backend::Sqlite(_) => "sqlite",
        };
        f.debug_struct("Store").field("backend", &backend).finish_non_exhaustive()
    }
}

/// Whether a SQLite URL names an in-memory database (`sqlite::memory:`, `sqlite://:memory:`,
/// `sqlite://?mode=memory`), as sqlx's own parser decides.
fn is_memory_url(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

/// Serde for stored timestamps as RFC 3339 text in UTC with milliseconds
/// (`2025-01-31T12:00:00.000Z`), the precision the store keeps.
mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text).map(|at| at.with_timezone(&Utc)).map_err(serde::de::Error::custom)
    }

    /// The same for an optional timestamp (`null` when absent).
    pub(super) mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub(in crate::store) fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub(in crate::store) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapped(#[serde(with = "super")] DateTime<Utc>);
            Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(at)| at))
        }
    }
}

/// Helpers shared by the store's tests.
#[cfg(test)]
mod test_support {
    use std::path::PathBuf;

    use super::Store;

    /// A SQLite file under the system temp directory, removed (with its WAL files) on drop.
    pub(super) struct TempDb {
        pub(super) path: PathBuf,
    }

    impl TempDb {
        pub(super) fn new() -> TempDb {
            let path = std::env::temp_dir().join(format!("ponte-store-test-{}.db", uuid::Uuid::new_v4()));
            TempDb { path }
        }

        pub(super) fn url(&self) -> String {
            format!("sqlite://{}", self.path.display())
        }

        pub(super) async fn open(&self) -> anyhow::Result<Store> {
            Ok(Store::open(&self.url()).await?)
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.path.clone().into_os_string();
                path.push(suffix);
                // Best effort: a file that was never created is fine.
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// A fresh in-memory store.
    pub(super) async fn memory() -> anyhow::Result<Store> {
        Ok(Store::open("sqlite::memory:").await?)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{TempDb, memory};
    use super::*;

    async fn applied_migrations(store: &Store) -> anyhow::Result<i64> {
        let Backend::Sqlite(pool) = &store.backend;
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(pool).await?)
    }

    #[tokio::test]
    async fn memory_store_opens_migrated_and_answers_ping() -> anyhow::Result<()> {
        let store = memory().await?;
        store.ping().await?;
        assert_eq!(applied_migrations(&store).await?, SQLITE_MIGRATOR.iter().count() as i64);
        Ok(())
    }

    #[tokio::test]
    async fn each_memory_store_is_a_separate_database() -> anyhow::Result<()> {
        let first = memory().await?;
        let second = memory().await?;
        first.ensure_tenant("acme", "Acme").await?;
        assert_eq!(first.tenants().await?.len(), 1);
        assert!(second.tenants().await?.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn memory_store_outlives_the_handle_that_opened_it() -> anyhow::Result<()> {
        let store = memory().await?;
        store.ensure_tenant("acme", "Acme").await?;
        let clone = store.clone();
        drop(store);
        assert_eq!(clone.tenants().await?.len(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn opening_the_same_file_twice_keeps_data_and_applies_migrations_once() -> anyhow::Result<()> {
        let db = TempDb::new();
        let first = db.open().await?;
        first.ensure_tenant("acme", "Acme").await?;
        first.close().await;

        let second = db.open().await?;
        assert_eq!(second.tenants().await?.len(), 1);
        assert_eq!(applied_migrations(&second).await?, SQLITE_MIGRATOR.iter().count() as i64);
        second.close().await;
        Ok(())
    }

    #[tokio::test]
    async fn two_stores_may_share_one_file_at_once() -> anyhow::Result<()> {
        let db = TempDb::new();
        let first = db.open().await?;
        let second = db.open().await?;
        first.ensure_tenant("acme", "Acme").await?;
        assert_eq!(second.tenants().await?.len(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn file_store_uses_wal_and_a_busy_timeout() -> anyhow::Result<()> {
        let db = TempDb::new();
        let store = db.open().await?;
        let Backend::Sqlite(pool) = &store.backend;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await?;
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(pool).await?;
        assert_eq!(mode, "wal");
        assert_eq!(busy, BUSY_TIMEOUT.as_millis() as i64);
        Ok(())
    }

    #[tokio::test]
    async fn file_under_a_missing_directory_is_unavailable() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("ponte-missing-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}", dir.join("ponte.db").display());
        let err = Store::open(&url).await.expect_err("a database in a missing directory must not open");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        Ok(())
    }

    #[tokio::test]
    async fn file_in_an_unwritable_location_is_unavailable() -> anyhow::Result<()> {
        // A regular file used as the parent directory: not writable as a directory for anyone,
        // root included (tests often run as root, where permission bits don't stop writes).
        let not_a_dir = TempDb::new();
        std::fs::write(&not_a_dir.path, b"")?;
        let url = format!("sqlite://{}", not_a_dir.path.join("ponte.db").display());
        let err = Store::open(&url).await.expect_err("a database under a file must not open");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        Ok(())
    }

    #[tokio::test]
    async fn non_sqlite_urls_are_unsupported_and_never_echoed() -> anyhow::Result<()> {
        for url in ["postgres://ponte:hunter2@db/ponte", "mysql://root:hunter2@db/ponte", "ponte.db", ""] {
            let err = Store::open(url).await.expect_err("only SQLite URLs are accepted");
            assert!(matches!(err, StoreError::UnsupportedUrl), "{url}: {err:?}");
            assert!(!format!("{err} {err:?}").contains("hunter2"));
        }
        Ok(())
    }

    #[tokio::test]
    async fn sqlite_url_with_unknown_parameter_is_unsupported() -> anyhow::Result<()> {
        let err = Store::open("sqlite://ponte.db?password=hunter2").await.expect_err("unknown parameter");
        assert!(matches!(err, StoreError::UnsupportedUrl), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("hunter2"));
        Ok(())
    }

    #[tokio::test]
    async fn closed_store_is_unavailable() -> anyhow::Result<()> {
        let store = memory().await?;
        store.close().await;
        let err = store.ping().await.expect_err("a closed pool can't answer");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert_eq!(err.to_string(), "database unavailable");
        Ok(())
    }

    #[test]
    fn memory_urls_are_recognized() {
        assert!(is_memory_url("sqlite::memory:"));
        assert!(is_memory_url("sqlite://:memory:"));
        assert!(is_memory_url("sqlite://?mode=memory"));
        assert!(!is_memory_url("sqlite://ponte.db"));
        assert!(!is_memory_url("sqlite://memory.db?mode=rwc"));
    }

    #[tokio::test]
    async fn debug_names_the_backend_only() {
        let options = SqliteConnectOptions::new().filename("/secret/path.db");
        let store = Store { backend: Backend::Sqlite(SqlitePool::connect_lazy_with(options)) };
        let debug = format!("{store:?}");
        assert!(debug.contains("sqlite"));
        assert!(!debug.contains("/secret/path.db"));
    }
}
