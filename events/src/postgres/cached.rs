//! Statements through the connection's statement cache. `client.query(sql, …)` with a string
//! prepares the statement on every call: a Parse/Describe round trip, and the server parses
//! and plans it again, before the Bind/Execute round trip. These helpers prepare each text
//! once per pooled connection (`prepare_cached`) and then run it in one round trip. For the
//! statements on hot paths (a checkout's open-checkout hold, the processors' per-event rows).
//!
//! PostgreSQL re-plans a cached statement when the `search_path` it was prepared under has
//! changed, so one cache serves connections that switch schemas.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, Row};

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// [`GenericClient::execute`] through the statement cache.
pub async fn execute(db: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<u64, Error> {
    let statement = db.prepare_cached(sql).await?;
    db.execute(&statement, params).await
}

/// [`GenericClient::query`] through the statement cache.
pub async fn query(
    db: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>, Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query(&statement, params).await
}

/// [`GenericClient::query_one`] through the statement cache.
pub async fn query_one(
    db: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Row, Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query_one(&statement, params).await
}

/// [`GenericClient::query_opt`] through the statement cache.
pub async fn query_opt(
    db: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query_opt(&statement, params).await
}
