//! Throwaway PostgreSQL databases for tests and benchmarks: one per test, dropped (connections
//! and all) when done, even after a panic.

use uuid::Uuid;

/// The local PostgreSQL server the tests use (trust auth, user `postgres`).
const SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432";

/// A database named `pasar_test_<uuid>`, dropped (connections and all) when this is dropped,
/// even if the test panicked.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// Creates the database; panics when PostgreSQL is not running (the tests need it).
    pub async fn create() -> Self {
        let name = format!("pasar_test_{}", Uuid::new_v4().simple());
        let (client, connection) =
            tokio_postgres::connect(&format!("{SERVER_URL}/postgres"), tokio_postgres::NoTls)
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432 for these tests");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating the test database");
        let url = format!("{SERVER_URL}/{name}");
        TestDb { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !drop_database_blocking(&self.url) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// Drops the database `url` names, through the server's `postgres` database; false when it
/// could not (the server is down, the URL names no database).
pub async fn try_drop_database(url: &str) -> bool {
    let Some((base, name)) = url.rsplit_once('/') else {
        return false;
    };
    let Ok((client, connection)) =
        tokio_postgres::connect(&format!("{base}/postgres"), tokio_postgres::NoTls).await
    else {
        return false;
    };
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .is_ok()
}

/// Drops a scratch database, best effort (`.ci/run` sweeps `pasar_test_*` leftovers too).
pub async fn drop_database(url: &str) {
    try_drop_database(url).await;
}

/// [`try_drop_database`] from a thread and runtime of its own, for `Drop` impls: they cannot
/// await, and the caller's runtime cannot be blocked on (or is shutting down).
pub fn drop_database_blocking(url: &str) -> bool {
    let url = url.to_owned();
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        Some(runtime.block_on(try_drop_database(&url)))
    })
    .join();
    matches!(dropped, Ok(Some(true)))
}
