//! Position and lag of each projection: `projector status`, `/metrics`.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use pasar_events::{EventStore, Position};

use crate::ProjectorError;
use crate::checkpoint;

/// One projection's progress as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionStatus {
    pub name: String,
    pub position: Position,
    /// Events in the log after `position` (committed or still in flight).
    pub lag: i64,
    /// When the checkpoint last moved; `None` if it has no row yet.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The status of each named projection, in the given order. Lag is counted in the event
/// store's table (`es_events`, same database), so it needs no scan of the read models.
pub async fn statuses(
    pool: &Pool,
    names: &[&str],
) -> Result<Vec<ProjectionStatus>, ProjectorError> {
    let client = pool.get().await?;
    let stored = checkpoint::load_all(&client).await?;
    let mut statuses = Vec::with_capacity(names.len());
    for name in names {
        let found = stored.iter().find(|c| c.name == *name);
        let position = found.map_or(Position::START, |c| c.position);
        let lag: i64 = client
            .query_one(
                "SELECT count(*) FROM es_events
                 WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)",
                &[&position.txid.to_string(), &position.global],
            )
            .await?
            .get(0);
        statuses.push(ProjectionStatus {
            name: (*name).to_owned(),
            position,
            lag,
            updated_at: found.map(|c| c.updated_at),
        });
    }
    Ok(statuses)
}

/// The table `projector status` prints: the log's head, then one line per projection.
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
        "{:<12} {:>24} {:>10}  LAST UPDATE",
        "PROJECTION", "POSITION", "LAG"
    );
    for s in statuses {
        let updated = s.updated_at.map_or_else(
            || "never".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        let _ = writeln!(
            out,
            "{:<12} {:>24} {:>10}  {}",
            s.name,
            s.position.to_string(),
            s.lag,
            updated
        );
    }
    out
}
