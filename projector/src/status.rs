//! Position and lag of every processor on the runtime's checkpoint table (each projection's
//! live and building versions, the publisher, the command API's reactors and sweeper):
//! `projector status`, `/metrics` and the query API's `GET /v1/projections` all read the view
//! `rm.projection_status` through [`statuses`] or [`all`], so they agree.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use pasar_events::{EventStore, Position};

use crate::ProjectorError;
use crate::registry::{VersionState, position_of};

/// One live or building version's progress as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionStatus {
    pub name: String,
    pub version: i32,
    pub state: VersionState,
    pub position: Position,
    /// Events in the log after `position` (committed or still in flight).
    pub lag: i64,
    /// Age of the oldest of those events; 0 when there is none.
    pub lag_seconds: f64,
    /// When the checkpoint last moved.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The live and building versions of each named projection, in the given order (live
/// first). Lag is counted in the event store's table (`es_events`, same database), so it
/// needs no scan of the read models.
pub async fn statuses(
    pool: &Pool,
    names: &[&str],
) -> Result<Vec<ProjectionStatus>, ProjectorError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT name, version, state, txid, global, updated_at, lag_events, lag_seconds
             FROM rm.projection_status
             WHERE name = ANY($1)
             ORDER BY array_position($1, name), state = 'building', version",
            &[&names],
        )
        .await?;
    Ok(rows.iter().map(status_of).collect())
}

/// Every processor's live (and building) checkpoints, by name.
pub async fn all(
    client: &impl deadpool_postgres::GenericClient,
) -> Result<Vec<ProjectionStatus>, ProjectorError> {
    let rows = client
        .query(
            "SELECT name, version, state, txid, global, updated_at, lag_events, lag_seconds
             FROM rm.projection_status ORDER BY name, state = 'building', version",
            &[],
        )
        .await?;
    Ok(rows.iter().map(status_of).collect())
}

/// Every live checkpoint by name: what consistency tokens are compared with.
pub async fn live_positions(
    client: &impl deadpool_postgres::GenericClient,
) -> Result<Vec<(String, Position)>, ProjectorError> {
    let rows = client
        .query(
            "SELECT name, txid, global FROM rm.projection_checkpoints",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get("name"), position_of(row)))
        .collect())
}

fn status_of(row: &tokio_postgres::Row) -> ProjectionStatus {
    let state: &str = row.get("state");
    ProjectionStatus {
        name: row.get("name"),
        version: row.get("version"),
        state: if state == "building" {
            VersionState::Building
        } else {
            VersionState::Live
        },
        position: position_of(row),
        lag: row.get("lag_events"),
        lag_seconds: row.get("lag_seconds"),
        updated_at: Some(row.get("updated_at")),
    }
}

/// The table `projector status` prints: the log's head, then one line per version.
pub async fn report(
    store: &dyn EventStore,
    pool: &Pool,
    names: &[&str],
) -> Result<String, ProjectorError> {
    let head = store.head().await?;
    let statuses = statuses(pool, names).await?;
    Ok(format_table(head, &statuses))
}

pub fn format_table(head: Position, statuses: &[ProjectionStatus]) -> String {
    let mut out = format!("log head: {head}\n\n");
    let _ = writeln!(
        out,
        "{:<12} {:>7}  {:<8} {:>20} {:>10} {:>11}  LAST UPDATE",
        "PROJECTION", "VERSION", "STATE", "POSITION", "LAG", "LAG SECONDS"
    );
    for s in statuses {
        let updated = s.updated_at.map_or_else(
            || "never".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        let _ = writeln!(
            out,
            "{:<12} {:>7}  {:<8} {:>20} {:>10} {:>11.1}  {}",
            s.name,
            s.version,
            s.state.as_str(),
            s.position.to_string(),
            s.lag,
            s.lag_seconds,
            updated
        );
    }
    out
}
