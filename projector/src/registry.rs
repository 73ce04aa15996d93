//! Versioned read models: the registry `rm.projection_versions` and the views that make one
//! version of each projection the live one.
//!
//! **Layout: one schema per projection version.** Version `n` of projection `catalog` keeps
//! its physical tables in schema `rm_catalog_v<n>` (`rm_catalog_v2.products`), created from the
//! projection's DDL (`projections/<name>.sql`, unqualified names). The names the query API reads
//! (`rm.products`, `rm.orders`, …) are plain `SELECT *` views over the live version's tables.
//! Batch transactions `SET LOCAL search_path` to the version they write, so the handlers' SQL
//! is the same for every version. We chose a schema per version over suffixed table names
//! (`rm.products_v2`) because the handlers then need no per-version SQL, indexes and
//! constraints keep their names, and dropping a version is one `DROP SCHEMA … CASCADE`.
//!
//! **States.** Each (projection, version) row is `live` (served, projected by the running
//! service), `building` (being filled by `projector rebuild`) or `retired` (replaced; its
//! schema is dropped right after the swap or later by `projector drop-retired`, and
//! `dropped_at` records that). At most one live and one building version per projection
//! (unique indexes). Each version's checkpoint is a row of the runtime's checkpoint table,
//! moved in the same transaction as that version's rows (see `checkpoint.rs`): the live one
//! under the projection's name, a building one under `<name>@v<n>`.
//!
//! **Swap.** [`promote`] runs inside one transaction that already holds the registry rows
//! `FOR UPDATE` (and the live checkpoint row): it re-points every view at the new version's
//! tables, flips the states and moves the live checkpoint to where the new version stands. A
//! reader either runs before the commit (old version) or after it (new version); there is no
//! moment without rows. Every live batch reads the live version under a share lock
//! ([`share_live`]), so a swap waits for batches in flight and a batch waits for the swap, then
//! finds the new version (or fails and is retried by the runtime).

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use pasar_events::Position;

use crate::slices::Projection;
use crate::{ProjectorError, checkpoint};

mod swap;

pub use swap::drop_retired;
pub(crate) use swap::{lock_for_swap, promote};

/// Serialises registry changes (new versions, swaps, drops) across processes.
pub(crate) const REGISTRY_LOCK: i64 = 0x7061_7361_7200_0003;

/// Lifecycle of a projection version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    Live,
    Building,
    Retired,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Live => "live",
            VersionState::Building => "building",
            VersionState::Retired => "retired",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "live" => VersionState::Live,
            "building" => VersionState::Building,
            _ => VersionState::Retired,
        }
    }
}

/// One row of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionVersion {
    pub name: String,
    pub version: i32,
    pub state: VersionState,
    /// The log position this version's rows cover.
    pub position: Position,
    pub updated_at: DateTime<Utc>,
}

/// The schema holding version `version` of `projection`'s tables.
pub fn schema_name(projection: &str, version: i32) -> String {
    format!("rm_{projection}_v{version}")
}

/// `"…"` around an identifier, doubling quotes inside.
pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// A stored position; START if someone wrote a negative txid by hand.
pub(crate) fn position_of(row: &tokio_postgres::Row) -> Position {
    let txid: i64 = row.get("txid");
    Position {
        txid: u64::try_from(txid).unwrap_or(0),
        global: row.get("global"),
    }
}

pub(crate) fn version_of(row: &tokio_postgres::Row) -> ProjectionVersion {
    ProjectionVersion {
        name: row.get("name"),
        version: row.get("version"),
        state: VersionState::parse(row.get("state")),
        position: position_of(row),
        updated_at: row.get("updated_at"),
    }
}

/// The registry with each version's checkpoint (START where it has none: a retired version).
pub(crate) const VERSIONS: &str = "(SELECT v.name, v.version, v.state, COALESCE(c.txid, 0) AS txid,
        COALESCE(c.global, 0) AS global, COALESCE(c.updated_at, v.created_at) AS updated_at
    FROM rm.projection_versions v
    LEFT JOIN public.processor_checkpoints c
           ON c.name = CASE WHEN v.state = 'live' THEN v.name ELSE v.name || '@v' || v.version END
    ) versions";
pub(crate) const COLUMNS: &str = "name, version, state, txid, global, updated_at";

/// The live version of `name`, if it has one.
pub async fn live(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<ProjectionVersion>, ProjectorError> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM {VERSIONS} WHERE name = $1 AND state = 'live'"),
            &[&name],
        )
        .await?;
    Ok(row.as_ref().map(version_of))
}

/// One version of `name`, whatever its state.
pub async fn version(
    client: &impl GenericClient,
    name: &str,
    version: i32,
) -> Result<Option<ProjectionVersion>, ProjectorError> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM {VERSIONS} WHERE name = $1 AND version = $2"),
            &[&name, &version],
        )
        .await?;
    Ok(row.as_ref().map(version_of))
}

/// Every registered version, by name and version.
pub async fn all(client: &impl GenericClient) -> Result<Vec<ProjectionVersion>, ProjectorError> {
    let rows = client
        .query(
            &format!("SELECT {COLUMNS} FROM {VERSIONS} ORDER BY name, version"),
            &[],
        )
        .await?;
    Ok(rows.iter().map(version_of).collect())
}

/// Gives every projection without a live version a version 1: its schema, tables and views,
/// and a live registry row at the start of the log. Existing databases get their version 1
/// from migration 002, so this only acts for projections added later.
pub async fn ensure(
    client: &mut deadpool_postgres::Object,
    projections: &[std::sync::Arc<dyn Projection>],
) -> Result<(), ProjectorError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REGISTRY_LOCK])
        .await?;
    for projection in projections {
        if live(&tx, projection.name()).await?.is_some() {
            continue;
        }
        let version: i32 = tx
            .query_one(
                "SELECT COALESCE(max(version), 0) + 1 FROM rm.projection_versions WHERE name = $1",
                &[&projection.name()],
            )
            .await?
            .get(0);
        create_tables(&tx, projection.as_ref(), version).await?;
        tx.execute(
            "INSERT INTO rm.projection_versions (name, version, state, live_since) VALUES ($1, $2, 'live', now())",
            &[&projection.name(), &version],
        )
        .await?;
        point_views(&tx, projection.as_ref(), version).await?;
        // New, empty tables cover nothing yet, whatever an older row said.
        pasar_events::runtime::checkpoint::set(&tx, projection.name(), Position::START).await?;
        tracing::info!(
            projection = projection.name(),
            version,
            "created the read model"
        );
    }
    tx.commit().await?;
    Ok(())
}

/// The version a rebuild of `projection` fills: the one already `building` (a rebuild that
/// stopped half-way resumes from its checkpoint), else a new version max + 1, registered as
/// `building` at the start of the log with empty tables.
pub async fn begin_building(
    client: &mut deadpool_postgres::Object,
    projection: &dyn Projection,
) -> Result<ProjectionVersion, ProjectorError> {
    let name = projection.name();
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REGISTRY_LOCK])
        .await?;
    let existing = tx
        .query_opt(
            &format!("SELECT {COLUMNS} FROM {VERSIONS} WHERE name = $1 AND state = 'building'"),
            &[&name],
        )
        .await?;
    if let Some(row) = existing {
        tx.commit().await?;
        return Ok(version_of(&row));
    }
    let version: i32 = tx
        .query_one(
            "INSERT INTO rm.projection_versions (name, version, state)
             SELECT $1, COALESCE(max(version), 0) + 1, 'building' FROM rm.projection_versions WHERE name = $1
             RETURNING version",
            &[&name],
        )
        .await?
        .get(0);
    create_tables(&tx, projection, version).await?;
    let row = checkpoint::row_name(name, version, false);
    pasar_events::runtime::checkpoint::set(&tx, &row, Position::START).await?;
    let building = self::version(&tx, name, version)
        .await?
        .ok_or_else(|| ProjectorError::UnknownProjection(name.to_owned()))?;
    tx.commit().await?;
    Ok(building)
}

/// Creates the version's schema and runs the projection's DDL in it.
async fn create_tables(
    tx: &Transaction<'_>,
    projection: &dyn Projection,
    version: i32,
) -> Result<(), ProjectorError> {
    if projection.tables().is_empty() {
        return Ok(());
    }
    let schema = quote(&schema_name(projection.name(), version));
    tx.batch_execute(&format!(
        "CREATE SCHEMA {schema}; SET LOCAL search_path TO {schema}; {}; SET LOCAL search_path TO DEFAULT;",
        projection.schema()
    ))
    .await?;
    Ok(())
}

/// The live version of `name`, read under a share lock held until the batch transaction ends:
/// a swap (which takes the registry rows `FOR UPDATE`) waits for the batch, and a batch that
/// started during a swap waits for it and then fails with
/// [`ProjectorError::VersionRetired`] (the runtime retries it on the new version).
pub(crate) async fn share_live(tx: &Transaction<'_>, name: &str) -> Result<i32, ProjectorError> {
    // Through the statement cache: every live batch of every projection runs it.
    let row = pasar_events::postgres::cached::query_opt(
        tx,
        "SELECT version FROM rm.projection_versions WHERE name = $1 AND state = 'live' FOR SHARE",
        &[&name],
    )
    .await?;
    row.map(|row| row.get(0))
        .ok_or_else(|| ProjectorError::VersionRetired {
            projection: name.to_owned(),
            version: 0,
        })
}

/// Makes the batch transaction's unqualified table names mean `version`'s tables, and runs
/// `settings` (more `SET LOCAL` statements, or nothing) in the same round trip.
pub(crate) async fn use_version(
    tx: &Transaction<'_>,
    projection: &str,
    version: i32,
    settings: &str,
) -> Result<(), ProjectorError> {
    tx.batch_execute(&format!(
        "SET LOCAL search_path TO {}; {settings}",
        quote(&schema_name(projection, version))
    ))
    .await?;
    Ok(())
}

/// Points `rm.<table>` at `version`'s tables. `CREATE OR REPLACE VIEW` keeps the view (and
/// readers' cached plans) when the columns are unchanged; if the new version's columns differ
/// in more than added trailing ones, the view is dropped and re-created in the same
/// transaction instead, which readers never see either.
pub(crate) async fn point_views(
    tx: &Transaction<'_>,
    projection: &dyn Projection,
    version: i32,
) -> Result<(), ProjectorError> {
    let schema = quote(&schema_name(projection.name(), version));
    for table in projection.tables() {
        let view = format!("rm.{}", quote(table));
        let select = format!("SELECT * FROM {schema}.{}", quote(table));
        tx.batch_execute("SAVEPOINT point_view").await?;
        match tx
            .batch_execute(&format!("CREATE OR REPLACE VIEW {view} AS {select}"))
            .await
        {
            Ok(()) => tx.batch_execute("RELEASE SAVEPOINT point_view").await?,
            Err(e) => {
                tracing::info!(view, error = %e, "columns changed; re-creating the view");
                tx.batch_execute(&format!(
                    "ROLLBACK TO SAVEPOINT point_view; DROP VIEW IF EXISTS {view}; CREATE VIEW {view} AS {select}"
                ))
                .await?;
            }
        }
    }
    Ok(())
}
