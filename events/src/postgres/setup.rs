//! Setting the PostgreSQL backend up: the database, the pool, the event store's migrations.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::unavailable;
use crate::store::StoreError;

/// Creates the database named in `url` if it does not exist yet (connecting to the
/// `postgres` maintenance database with the same credentials).
pub async fn ensure_database(url: &str) -> Result<(), StoreError> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| unavailable("parsing DATABASE_URL", e))?;
    let Some(name) = config.get_dbname().map(str::to_owned) else {
        return Ok(());
    };
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Invalid(format!(
            "database name {name:?} must be [A-Za-z0-9_]"
        )));
    }
    let mut admin = config.clone();
    admin.dbname("postgres");
    let (client, connection) = admin
        .connect(NoTls)
        .await
        .map_err(|e| unavailable("connecting to PostgreSQL", e))?;
    let driver = tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(|e| unavailable("looking up the database", e))?
        .is_some();
    if !exists {
        // Identifier checked above; CREATE DATABASE takes no bind parameters.
        match client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
        {
            Ok(()) => tracing::info!(database = %name, "created database"),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => return Err(unavailable("creating the database", e)),
        }
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// A connection pool for `url` (statement timeout and idle-in-transaction timeout set, so a
/// stuck writer cannot hold the log's read horizon back for long).
pub fn pool(url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| unavailable("parsing DATABASE_URL", e))?;
    config.options("-c statement_timeout=30000 -c idle_in_transaction_session_timeout=10000");
    config.connect_timeout(Duration::from_secs(5));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| unavailable("building the pool", e))
}

/// The event store's schema, applied by [`crate::migrate::migrate`] (owner `event_store`).
/// Both files predate the history table and were written to be re-applied safely, so a
/// database migrated before it simply records them once more.
pub const MIGRATIONS: crate::migrate::Migrations = crate::migrate::Migrations {
    owner: "event_store",
    steps: &[
        (
            "001_event_store",
            include_str!("../../migrations/001_event_store.sql"),
        ),
        (
            "002_append_without_stream_table",
            include_str!("../../migrations/002_append_without_stream_table.sql"),
        ),
        (
            "003_snapshots",
            include_str!("../../migrations/003_snapshots.sql"),
        ),
        (
            "004_group_commit",
            include_str!("../../migrations/004_group_commit.sql"),
        ),
        (
            "005_group_append",
            include_str!("../../migrations/005_group_append.sql"),
        ),
        (
            "006_flat_appends",
            include_str!("../../migrations/006_flat_appends.sql"),
        ),
        (
            "007_appends_together",
            include_str!("../../migrations/007_appends_together.sql"),
        ),
    ],
};

pub(super) async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    crate::migrate::migrate(pool, &[MIGRATIONS])
        .await
        .map_err(|e| unavailable("migrating the event store", e))
}
