//! Read-model schema migrations: plain SQL files embedded in the binary, applied in order at
//! start-up and recorded in `rm.schema_migrations`.

use deadpool_postgres::Pool;

use crate::ProjectorError;

/// `(version, name, sql)`, in the order they must run. Append only.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "read_models",
        include_str!("../migrations/001_read_models.sql"),
    ),
    (
        2,
        "projection_versions",
        include_str!("../migrations/002_projection_versions.sql"),
    ),
];

/// Serialises migrators: several projector (or test) processes may start at once.
const MIGRATION_LOCK: i64 = 0x7061_7361_7200_0002;

/// Creates schema `rm` and applies every migration not yet recorded, all in one transaction
/// under an advisory lock. Safe to call from several processes at once and on every start.
pub async fn migrate(pool: &Pool) -> Result<(), ProjectorError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "SET LOCAL client_min_messages = warning; -- no 'already exists' notices on every start
         CREATE SCHEMA IF NOT EXISTS rm;
         CREATE TABLE IF NOT EXISTS rm.schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM rm.schema_migrations", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO rm.schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await?;
        tracing::info!(version, name, "applied read-model migration");
    }
    tx.commit().await?;
    Ok(())
}
