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
//! - `store/kv_locks.rs`: `kv_locks`, named locks plugins hold while they refresh a session.
//! - `store/console_sessions.rs`: `console_sessions`, who is signed in to the console.
//! - `store/idempotency.rs`: `idempotency`, the first answer of each writing call per key.
//! - `store/settlements.rs`: `settlements`, the durable queue of payments to post.
//! - `store/revisions.rs`: `tenant_revisions` (tenants defined through the admin API, every
//!   version kept) and `audit_events` (operators' actions).
//! - `store/quotas.rs`: `quota_usage`, units of upstream quotas used per connection and period.
//! - `store/scratch.rs`: [`scratch::ScratchPostgres`], throwaway PostgreSQL databases for tests.
//! - `migrations/{sqlite,postgres}/*.sql` (beside the crate's `Cargo.toml`): the schema, one twin
//!   per engine, applied by [`Store::open`]; released migrations are never edited, new ones are added.
//!
//! # Tables
//! | table         | key                  | holds                                                    |
//! |---------------|----------------------|----------------------------------------------------------|
//! | `tenants`     | `id`                 | name, creation time                                      |
//! | `api_keys`    | `id` (12 hex chars)  | tenant, SHA-256 of the token, scopes, label, revocation  |
//! | `invocations` | `id` (UUID text)     | tenant, function, plugin, timing, status, outcome, JSON  |
//! | `kv`          | `(namespace, key)`   | value, expiry                                            |
//! | `kv_locks`    | `(namespace, name)`  | the invocation holding it, lease expiry                  |
//! | `idempotency` | `(tenant, function, key)` | request hash, state, lease, the answer, expiry      |
//! | `settlements` | `id` (UUID v7 text)  | one payment to post: input, state, attempts, lease, result |
//! | `tenant_revisions` | `(tenant, revision)` | a tenant's document (secrets sealed), who, what, when |
//! | `audit_events` | `id` (UUID v7 text) | who, when, action, target, before and after without secrets |
//! | `console_sessions` | `id_sha256` | the admin key, the form token, expiry |
//! | `quota_usage` | `(tenant, connection, quota, period)` | units used                      |
//!
//! # Portability
//! Two backends, one private `Backend` enum behind the same methods, running the same SQL: SQLite
//! (a file, the zero-setup default) and PostgreSQL (for several replicas, or an operator's own
//! server). Each engine has its own migrations folder, kept column-for-column equal. Every query:
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
//!
//! The rare statement that must differ (e.g. `FOR UPDATE SKIP LOCKED`, which SQLite lacks) asks
//! [`Store::is_postgres`]. Every behaviour test runs on both engines (PostgreSQL through
//! [`scratch::ScratchPostgres`]), so a query that only one of them accepts fails a test.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteError, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is.
///
/// The body is expanded once per backend, so the same SQL and the same generic `sqlx` calls
/// type-check against each engine. Both arms must yield the same type, so a body ending in
/// `execute` maps the engine's own query result to what it needs: `.map(|done| done.rows_affected())`.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs store tests on every backend. Each `name` is an `async fn name(store: Store) ->
/// anyhow::Result<()>` in the calling module; for each, this declares a module `name` with the
/// tests `name::sqlite` and `name::postgres`, which hand the function a fresh, migrated store and
/// close it afterwards. SQLite is in memory unless the name is followed by `(sqlite_file)` (WAL,
/// several connections). A function left out of the list is dead code, which clippy rejects.
///
/// ```ignore
/// async fn tenants_start_empty(store: Store) -> anyhow::Result<()> {
///     assert!(store.tenants().await?.is_empty());
///     Ok(())
/// }
///
/// store_tests!(tenants_start_empty);
/// ```
#[cfg(test)]
macro_rules! store_tests {
    ($($name:ident $(($sqlite:ident))?),* $(,)?) => {
        $(store_tests!(@one $name $($sqlite)?);)*
    };
    (@one $name:ident) => {
        store_tests!(@one $name sqlite_memory);
    };
    (@one $name:ident $sqlite:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                $crate::store::test_support::TestDb::$sqlite().await?.run(super::$name).await
            }

            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                $crate::store::test_support::TestDb::postgres().await?.run(super::$name).await
            }
        }
    };
}

mod api_keys;
mod console_sessions;
mod idempotency;
mod invocations;
mod kv;
mod kv_locks;
mod privacy;
mod quotas;
mod reconciliations;
mod revisions;
mod settlements;
mod tenants;

pub use api_keys::{ApiKeyInfo, Caller, Credential, KeysVersion, NewApiKey, PLATFORM_TENANT, key_id_of};
pub use console_sessions::ConsoleSession;
pub use idempotency::{IdempotencyKey, IdempotencyRecord, StoredAnswer};
pub use invocations::{InvocationFilter, InvocationRecord, MAX_INVOCATION_BATCH, MAX_INVOCATIONS_PAGE, Payload};
pub use privacy::{Erased, ErasureRefused};
pub use reconciliations::{ReconciliationClaim, ReconciliationRecord};
pub use revisions::{AuditEvent, MAX_AUDIT_PAGE, NewAuditEvent, TenantRevision};
pub use settlements::{Failure, Inserted, NewSettlement, Settlement, SettlementState};
pub use tenants::Tenant;

pub mod scratch;

/// How long a query waits for a free connection before the store reports [`StoreError::Unavailable`].
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits on another connection's write lock before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to a SQLite file. WAL lets readers run beside the one writer; more connections
/// than this only queue on SQLite's write lock.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// Connections to a PostgreSQL server, per process. The server's `max_connections` (100 by
/// default, a few reserved) must cover this times the number of Ponte replicas.
const POSTGRES_MAX_CONNECTIONS: u32 = 16;

/// The SQLite schema, embedded at build time from `host/migrations/sqlite`.
static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL schema, embedded at build time from `host/migrations/postgres`.
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// A handle on Ponte's database. Cheap to clone: clones share one pool.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

/// The engine behind a [`Store`]. Private: callers see one API whatever the engine.
#[derive(Clone)]
enum Backend {
    /// A SQLite file, or a private in-memory database (tests, demos).
    Sqlite(SqlitePool),
    /// A PostgreSQL database (possibly shared with other Ponte replicas).
    Postgres(PgPool),
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
    /// the file is locked past the busy timeout, I/O failed, or the PostgreSQL server dropped the
    /// connection, is out of resources or connections, or is shutting down. Worth retrying;
    /// `/readyz` fails.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure, including stored data the store can't decode.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Applying the schema migrations failed at [`Store::open`].
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// [`Store::open`] was given a URL it can't use: another scheme, or one it can't parse.
    #[error("unsupported database URL (expected sqlite://... or postgres://...)")]
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

/// Whether a PostgreSQL SQLSTATE means "the database can't be used right now", not "this query is
/// wrong": class 08 (connection exceptions), class 53 (insufficient resources: disk full, out of
/// memory, too many connections), and 57P01-57P03 (the server is shutting down, crashed, or not yet
/// accepting connections).
fn is_postgres_unavailable_code(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03")
}

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
        sqlx::Error::Database(db) => {
            db.try_downcast_ref::<PgDatabaseError>().is_some_and(|pg| is_postgres_unavailable_code(pg.code()))
        }
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
    ///   clones); each call opens a fresh one;
    /// - `postgres://user:password@host:5432/database` (or `postgresql://`, with libpq-style
    ///   parameters such as `?sslmode=require`): an existing PostgreSQL database.
    ///
    /// # Errors
    /// - [`StoreError::UnsupportedUrl`] for any other scheme or an unparsable URL (the URL is never
    ///   echoed: it may carry a password);
    /// - [`StoreError::Unavailable`] when the database can't be opened (missing or unwritable
    ///   directory, locked file; a PostgreSQL server that doesn't answer within 5 seconds, refuses
    ///   the login, or has no such database);
    /// - [`StoreError::Migrate`] when the schema can't be applied (e.g. the database was migrated by
    ///   a newer Ponte, or a released migration was edited).
    pub async fn open(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            Self::open_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url).await
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// [`Store::open`] for a `sqlite:` URL.
    async fn open_sqlite(url: &str) -> Result<Store> {
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

    /// [`Store::open`] for a `postgres:` or `postgresql:` URL.
    async fn open_postgres(url: &str) -> Result<Store> {
        // The parse error may quote the URL, password included; drop it.
        let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl)?;
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            // Refused, timed out, wrong login, no such database: not usable, whatever the cause.
            .map_err(StoreError::Unavailable)?;
        // The migrator takes an advisory lock, so replicas starting together apply each migration once.
        POSTGRES_MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Store { backend: Backend::Postgres(pool) })
    }

    /// Whether this store runs on PostgreSQL. Only for the rare statement that can't be written
    /// the same for both engines (e.g. `FOR UPDATE SKIP LOCKED`, which SQLite lacks and doesn't
    /// need, having a single writer); everything else must use the shared SQL.
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Checks that the database answers a trivial query (for `/readyz`).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it doesn't answer within the pool's acquire timeout.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Takes SQLite's write lock and holds it until the returned transaction is dropped (rolled
    /// back): other writers wait on the busy timeout meanwhile. For tests of what happens when the
    /// store is slow.
    ///
    /// # Errors
    /// When the store is not SQLite, or the lock can't be taken.
    #[cfg(test)]
    pub(crate) async fn hold_write_lock_for_tests(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        let Backend::Sqlite(pool) = &self.backend else { anyhow::bail!("only SQLite has a file lock to hold") };
        let mut transaction = pool.begin().await?;
        sqlx::query("DELETE FROM invocations WHERE id = ''").execute(&mut *transaction).await?;
        Ok(transaction)
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
            Backend::Postgres(_) => "postgres",
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
    use std::future::Future;
    use std::path::PathBuf;

    use super::Store;
    use super::scratch::ScratchPostgres;

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

    /// A fresh database on one backend, for `store_test!`: it owns whatever must be cleaned up.
    pub(super) enum TestDb {
        /// `sqlite::memory:`, gone with its store.
        Memory,
        /// A SQLite file, removed on drop.
        File(TempDb),
        /// A scratch PostgreSQL database, dropped on drop (boxed: its connect options are large).
        Postgres(Box<ScratchPostgres>),
    }

    impl TestDb {
        pub(super) async fn sqlite_memory() -> anyhow::Result<TestDb> {
            Ok(TestDb::Memory)
        }

        pub(super) async fn sqlite_file() -> anyhow::Result<TestDb> {
            Ok(TestDb::File(TempDb::new()))
        }

        /// # Errors
        /// When PostgreSQL isn't reachable (loudly: these tests fail, they never skip).
        pub(super) async fn postgres() -> anyhow::Result<TestDb> {
            Ok(TestDb::Postgres(Box::new(ScratchPostgres::create().await?)))
        }

        /// Opens a store on this database, runs `body` with it, then closes the store (so the
        /// database can be cleaned up) whatever the body returned.
        pub(super) async fn run<F, Fut>(self, body: F) -> anyhow::Result<()>
        where
            F: FnOnce(Store) -> Fut,
            Fut: Future<Output = anyhow::Result<()>>,
        {
            let url = match &self {
                TestDb::Memory => "sqlite::memory:".to_owned(),
                TestDb::File(db) => db.url(),
                TestDb::Postgres(db) => db.url(),
            };
            let store = Store::open(&url).await?;
            let result = body(store.clone()).await;
            store.close().await;
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scratch::ScratchPostgres;
    use super::test_support::{TempDb, memory};
    use super::*;

    async fn applied_migrations(store: &Store) -> anyhow::Result<i64> {
        Ok(with_pool!(store, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(pool).await)?)
    }

    /// The error `sql` fails with on `store`, as the store reports it.
    async fn store_error(store: &Store, sql: &str) -> StoreError {
        match with_pool!(store, |pool| sqlx::query(sql).execute(pool).await.map(|_| ())) {
            Ok(()) => panic!("{sql} must fail"),
            Err(err) => err.into(),
        }
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
        let Backend::Sqlite(pool) = &store.backend else { panic!("a sqlite:// URL opens SQLite") };
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
    async fn other_schemes_are_unsupported_and_never_echoed() -> anyhow::Result<()> {
        let urls = ["mysql://root:hunter2@db/ponte", "pg://ponte:hunter2@db/ponte", "ponte.db", "", "POSTGRES://db"];
        for url in urls {
            let err = Store::open(url).await.expect_err("only SQLite and PostgreSQL URLs are accepted");
            assert!(matches!(err, StoreError::UnsupportedUrl), "{url}: {err:?}");
            assert!(!format!("{err} {err:?}").contains("hunter2"));
        }
        Ok(())
    }

    #[tokio::test]
    async fn bad_postgres_urls_fail_without_echoing_the_password() -> anyhow::Result<()> {
        // Unparsable (a port that isn't a number, an unknown sslmode): unsupported, at once.
        for url in ["postgres://ponte:hunter2@db:port/ponte", "postgresql://ponte:hunter2@db/ponte?sslmode=maybe"] {
            let err = Store::open(url).await.expect_err("unparsable");
            assert!(matches!(err, StoreError::UnsupportedUrl), "{url}: {err:?}");
            assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
        }
        // Well-formed but nothing listens there: unavailable once the acquire timeout runs out.
        let err = Store::open("postgres://ponte:hunter2@127.0.0.1:1/ponte").await.expect_err("unreachable");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
        Ok(())
    }

    #[tokio::test]
    async fn postgres_database_that_does_not_exist_is_unavailable() -> anyhow::Result<()> {
        let scratch = ScratchPostgres::create().await?;
        let missing = scratch.url().replace(scratch.name(), "ponte_test_missing");
        let err = Store::open(&missing).await.expect_err("no such database");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        Ok(())
    }

    #[tokio::test]
    async fn postgres_store_opens_migrated_and_reopens_without_migrating_again() -> anyhow::Result<()> {
        let scratch = ScratchPostgres::create().await?;
        let first = Store::open(&scratch.url()).await?;
        first.ping().await?;
        assert!(first.is_postgres());
        assert_eq!(applied_migrations(&first).await?, POSTGRES_MIGRATOR.iter().count() as i64);
        first.ensure_tenant("acme", "Acme").await?;

        // A second replica on the same database, opened while the first is still running.
        let second = Store::open(&scratch.url()).await?;
        assert_eq!(second.tenants().await?.len(), 1);
        assert_eq!(applied_migrations(&second).await?, POSTGRES_MIGRATOR.iter().count() as i64);
        first.close().await;
        second.close().await;
        Ok(())
    }

    #[test]
    fn both_migrations_folders_hold_the_same_versions() {
        let versions =
            |migrator: &Migrator| migrator.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
        assert_eq!(versions(&SQLITE_MIGRATOR), versions(&POSTGRES_MIGRATOR));
    }

    #[tokio::test]
    async fn postgres_connection_loss_is_unavailable_and_query_errors_are_not() -> anyhow::Result<()> {
        let scratch = ScratchPostgres::create().await?;
        let store = Store::open(&scratch.url()).await?;
        let err = store_error(&store, "SELECT * FROM no_such_table").await;
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        // The server ends the session (SQLSTATE 57P01, admin_shutdown) mid-query.
        let err = store_error(&store, "SELECT pg_terminate_backend(pg_backend_pid())").await;
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        // The pool replaces the lost connection.
        store.ping().await?;
        store.close().await;
        Ok(())
    }

    #[test]
    fn postgres_unavailable_codes_are_connection_resource_and_shutdown_errors() {
        let unavailable = [
            "08000", "08001", "08003", "08006", "08P01", "53000", "53100", "53200", "53300", "57P01", "57P02", "57P03",
        ];
        for code in unavailable {
            assert!(is_postgres_unavailable_code(code), "{code}");
        }
        // Query errors: syntax, undefined table, unique violation, serialization failure, cancel.
        for code in ["42601", "42P01", "23505", "40001", "57014", "3D000"] {
            assert!(!is_postgres_unavailable_code(code), "{code}");
        }
    }

    #[tokio::test]
    async fn sqlite_url_with_unknown_parameter_is_unsupported() -> anyhow::Result<()> {
        let err = Store::open("sqlite://ponte.db?password=hunter2").await.expect_err("unknown parameter");
        assert!(matches!(err, StoreError::UnsupportedUrl), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("hunter2"));
        Ok(())
    }

    store_tests!(closed_store_is_unavailable, is_postgres_names_the_engine);

    async fn closed_store_is_unavailable(store: Store) -> anyhow::Result<()> {
        store.close().await;
        let err = store.ping().await.expect_err("a closed pool can't answer");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert_eq!(err.to_string(), "database unavailable");
        Ok(())
    }

    async fn is_postgres_names_the_engine(store: Store) -> anyhow::Result<()> {
        assert_eq!(store.is_postgres(), format!("{store:?}").contains("postgres"));
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

        let options = PgConnectOptions::from_str("postgres://ponte:hunter2@db/ponte").expect("valid URL");
        let store = Store { backend: Backend::Postgres(PgPool::connect_lazy_with(options)) };
        let debug = format!("{store:?}");
        assert!(debug.contains("postgres"));
        assert!(!debug.contains("hunter2"));
    }
}
