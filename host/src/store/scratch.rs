//! Throwaway PostgreSQL databases, for tests and benchmarks (here and in other crates).
//!
//! Each [`ScratchPostgres`] is a fresh, empty database on the server named by
//! `PONTE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); the URL's user
//! must be allowed to create databases. Tests that need PostgreSQL fail when it isn't there, they
//! never skip: a suite that silently skips the second backend proves nothing about it.
//!
//! ```ignore
//! let scratch = ScratchPostgres::create().await?;
//! let store = Store::open(&scratch.url()).await?;
//! // ... the test ...
//! store.close().await;
//! drop(scratch); // DROP DATABASE ... WITH (FORCE)
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, anyhow};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

/// The environment variable naming the server scratch databases are created on.
pub const URL_ENV: &str = "PONTE_TEST_POSTGRES_URL";
/// The server used when [`URL_ENV`] is unset: a local PostgreSQL with trust authentication.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long creating or dropping a scratch database may take, connection included. Bounded so a
/// missing or stuck server fails the test instead of hanging it (or, in `Drop`, the test process).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh PostgreSQL database named `ponte_test_<uuid>`, dropped (best effort) when this value
/// is dropped.
///
/// `Debug` shows the database name only, never the server URL (it may carry a password).
pub struct ScratchPostgres {
    /// How to reach the server as the user that created the database (to drop it).
    admin: PgConnectOptions,
    /// The database's name: `ponte_test_` and a simple UUID, so it needs no quoting rules.
    name: String,
    /// The server URL with its path replaced by `/<name>`.
    url: String,
}

impl ScratchPostgres {
    /// Creates a fresh database on the server named by `PONTE_TEST_POSTGRES_URL` (default
    /// `postgres://postgres@127.0.0.1:5432/postgres`).
    ///
    /// # Errors
    /// When the URL is malformed, or the server doesn't answer or refuses to create the database;
    /// the message names the server's address (never its password) and says that PostgreSQL is
    /// required for these tests.
    pub async fn create() -> anyhow::Result<ScratchPostgres> {
        let server = std::env::var(URL_ENV).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        Self::create_on(&server).await
    }

    /// [`ScratchPostgres::create`] on the server at `server` (a `postgres://` URL).
    async fn create_on(server: &str) -> anyhow::Result<ScratchPostgres> {
        // Parse errors may quote the URL, password included: never pass them on.
        let malformed = || anyhow!("{URL_ENV} is not a valid postgres:// URL (not shown: it may hold a password)");
        let admin = PgConnectOptions::from_str(server).map_err(|_| malformed())?;
        let mut url = url::Url::parse(server).map_err(|_| malformed())?;
        let name = format!("ponte_test_{}", uuid::Uuid::new_v4().simple());
        url.set_path(&format!("/{name}"));

        let address = format!("{}:{}", admin.get_host(), admin.get_port());
        let required = || {
            format!(
                "PostgreSQL IS REQUIRED for these tests and it is not usable at {address}: start it \
                 (user `postgres`, trust authentication), or set {URL_ENV} to a server where the \
                 user may create databases"
            )
        };
        let create = async {
            let mut conn = PgConnection::connect_with(&admin).await?;
            conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await?;
            conn.close().await
        };
        tokio::time::timeout(ADMIN_TIMEOUT, create)
            .await
            .map_err(|_| anyhow!("timed out after {ADMIN_TIMEOUT:?}"))
            .and_then(|created| created.map_err(anyhow::Error::from))
            .with_context(required)?;
        Ok(ScratchPostgres { admin, name, url: url.into() })
    }

    /// The URL of this database, for [`Store::open`](crate::store::Store::open).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The database's name (`ponte_test_<uuid>`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchPostgres {
    /// Drops the database, terminating connections still open on it (stores the test didn't
    /// close). `Drop` can't await, and may run inside or outside a tokio runtime, so the work runs
    /// on a thread of its own with its own runtime; waiting for it is bounded by `ADMIN_TIMEOUT`.
    /// A failure is reported on stderr and otherwise ignored: the database is only litter.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = std::mem::take(&mut self.name);
        let dropper = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime
                .block_on(async {
                    let drop_database = async {
                        let mut conn = PgConnection::connect_with(&admin).await?;
                        conn.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await?;
                        conn.close().await
                    };
                    tokio::time::timeout(ADMIN_TIMEOUT, drop_database)
                        .await
                        .map_err(|_| anyhow!("timed out after {ADMIN_TIMEOUT:?}"))?
                        .map_err(anyhow::Error::from)
                })
                .with_context(|| format!("failed to drop the scratch database {name}"))
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: {err:#}"),
            Err(_) => eprintln!("warning: the thread dropping a scratch database panicked"),
        }
    }
}

impl fmt::Debug for ScratchPostgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScratchPostgres").field("name", &self.name).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a database named `name` exists on the default test server.
    async fn exists(name: &str) -> anyhow::Result<bool> {
        let server = std::env::var(URL_ENV).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let mut conn = PgConnection::connect_with(&PgConnectOptions::from_str(&server)?).await?;
        let found: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        Ok(found)
    }

    #[tokio::test]
    async fn scratch_database_exists_until_dropped_even_with_open_connections() -> anyhow::Result<()> {
        let scratch = ScratchPostgres::create().await?;
        let name = scratch.name().to_owned();
        assert!(name.starts_with("ponte_test_"), "{name}");
        assert!(scratch.url().ends_with(&format!("/{name}")));
        assert!(exists(&name).await?);
        // A connection left open must not keep the database alive (nor hang the drop).
        let open = PgConnection::connect(&scratch.url()).await?;
        drop(scratch);
        assert!(!exists(&name).await?);
        drop(open);
        Ok(())
    }

    #[tokio::test]
    async fn each_scratch_database_is_new() -> anyhow::Result<()> {
        let first = ScratchPostgres::create().await?;
        let second = ScratchPostgres::create().await?;
        assert_ne!(first.name(), second.name());
        Ok(())
    }

    #[tokio::test]
    async fn missing_server_fails_loudly_without_echoing_the_password() -> anyhow::Result<()> {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let err = ScratchPostgres::create_on("postgres://ponte:hunter2@127.0.0.1:1/postgres")
            .await
            .expect_err("nothing listens on port 1");
        let shown = format!("{err:#} {err:?}");
        assert!(shown.contains("PostgreSQL IS REQUIRED") && shown.contains("127.0.0.1:1"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let err = ScratchPostgres::create_on("postgres://ponte:hunter2@db:port/x").await.expect_err("malformed");
        assert!(!format!("{err:#} {err:?}").contains("hunter2"), "{err:?}");
        Ok(())
    }

    #[test]
    fn debug_shows_the_name_only() -> anyhow::Result<()> {
        let scratch = ScratchPostgres {
            admin: PgConnectOptions::from_str("postgres://ponte:hunter2@db/postgres")?,
            name: String::new(),
            url: "postgres://ponte:hunter2@db/ponte_test_x".into(),
        };
        let debug = format!("{scratch:?}");
        // An empty name makes the drop a no-op `IF EXISTS` against an unreachable host; forget it.
        std::mem::forget(scratch);
        assert!(!debug.contains("hunter2"), "{debug}");
        Ok(())
    }
}
