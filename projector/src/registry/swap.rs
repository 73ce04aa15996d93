//! The swap of a rebuilt version into place, and dropping retired versions' tables (see the
//! parent module's doc).

use deadpool_postgres::Transaction;
use pasar_events::Position;

use super::{
    COLUMNS, ProjectionVersion, REGISTRY_LOCK, VERSIONS, VersionState, point_views, quote,
    schema_name, version_of,
};
use crate::slices::Projection;
use crate::{ProjectorError, checkpoint};

/// The registry rows of `name` that a swap changes (live and building), locked `FOR UPDATE`
/// until the transaction ends: the live version's projector cannot commit a batch meanwhile.
pub(crate) async fn lock_for_swap(
    tx: &Transaction<'_>,
    name: &str,
) -> Result<(Option<ProjectionVersion>, Option<ProjectionVersion>), ProjectorError> {
    // Registry rows first, then the live checkpoint row: the order live batches take them in
    // (share lock on the registry, then the checkpoint's compare-and-set), so no deadlock.
    tx.execute(
        "SELECT 1 FROM rm.projection_versions
         WHERE name = $1 AND state IN ('live', 'building') ORDER BY version FOR UPDATE",
        &[&name],
    )
    .await?;
    tx.execute(
        "SELECT 1 FROM public.processor_checkpoints WHERE name = $1 FOR UPDATE",
        &[&name],
    )
    .await?;
    let rows = tx
        .query(
            &format!(
                "SELECT {COLUMNS} FROM {VERSIONS}
                 WHERE name = $1 AND state IN ('live', 'building') ORDER BY version"
            ),
            &[&name],
        )
        .await?;
    let versions: Vec<ProjectionVersion> = rows.iter().map(version_of).collect();
    let find = |state| versions.iter().find(|v| v.state == state).cloned();
    Ok((find(VersionState::Live), find(VersionState::Building)))
}

/// Inside the swap transaction: the views now show `building`, which becomes live at
/// `position` (its checkpoint moves onto the live row); `live` (if any) is retired.
pub(crate) async fn promote(
    tx: &Transaction<'_>,
    projection: &dyn Projection,
    building: i32,
    position: Position,
    live: Option<i32>,
) -> Result<(), ProjectorError> {
    let name = projection.name();
    point_views(tx, projection, building).await?;
    // Retire first: at most one live version per projection, checked row by row.
    if let Some(live) = live {
        tx.execute(
            "UPDATE rm.projection_versions SET state = 'retired', retired_at = now() WHERE name = $1 AND version = $2",
            &[&name, &live],
        )
        .await?;
    }
    tx.execute(
        "UPDATE rm.projection_versions SET state = 'live', live_since = now() WHERE name = $1 AND version = $2",
        &[&name, &building],
    )
    .await?;
    pasar_events::runtime::checkpoint::set(tx, name, position).await?;
    tx.execute(
        "DELETE FROM public.processor_checkpoints WHERE name = $1",
        &[&checkpoint::row_name(name, building, false)],
    )
    .await?;
    Ok(())
}

/// Drops the tables of every retired version not dropped yet (of `name` only, if given) and
/// returns which. Waits (up to `lock_timeout`) for a batch still in flight on one of them.
pub async fn drop_retired(
    client: &mut deadpool_postgres::Object,
    name: Option<&str>,
) -> Result<Vec<(String, i32)>, ProjectorError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REGISTRY_LOCK])
        .await?;
    tx.batch_execute("SET LOCAL lock_timeout = '30s'").await?;
    let rows = tx
        .query(
            "SELECT name, version FROM rm.projection_versions
             WHERE state = 'retired' AND dropped_at IS NULL AND ($1::text IS NULL OR name = $1)
             ORDER BY name, version",
            &[&name],
        )
        .await?;
    let mut dropped = Vec::with_capacity(rows.len());
    for row in rows {
        let (name, version): (String, i32) = (row.get(0), row.get(1));
        tx.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote(&schema_name(&name, version))
        ))
        .await?;
        tx.execute(
            "UPDATE rm.projection_versions SET dropped_at = now() WHERE name = $1 AND version = $2",
            &[&name, &version],
        )
        .await?;
        dropped.push((name, version));
    }
    tx.commit().await?;
    Ok(dropped)
}
