//! `imports`: `rm.imports` (an import's status and counts) and `rm.import_lines` (its per-line
//! report) from import streams. Replay-safe.
//!
//! Every write is guarded by the import row's stream version, so an event seen again (at
//! least once delivery, a rebuild) changes nothing: the line rows and the counters move only
//! with the statement that advances the version.

pub mod queries;

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::streams::Category;
use pasar_events::types::{ImportEvent, LineOutcome, LineReport};

use super::{Projection, Write, decode, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "imports";

pub struct Imports;

pub(crate) fn outcome_text(outcome: LineOutcome) -> &'static str {
    match outcome {
        LineOutcome::Created => "created",
        LineOutcome::Updated => "updated",
        LineOutcome::Unchanged => "unchanged",
        LineOutcome::Rejected => "rejected",
    }
}

#[async_trait]
impl Projection for Imports {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Import]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["imports", "import_lines"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Import) {
            return Ok(());
        }
        let import: ImportEvent = decode(event)?;
        let id = stream_uuid(event)?;
        let version = event.stream_version;
        out.push(match import {
            ImportEvent::ImportRequested {
                owner_id,
                rows,
                requested_at,
                ..
            } => stmt!(
                "INSERT INTO imports (id, owner_id, status, total_rows, requested_at, stream_version)
                 VALUES ($1, $2, 'queued', $3, $4, $5)
                 ON CONFLICT (id) DO NOTHING",
                id,
                owner_id,
                i32::try_from(rows).unwrap_or(i32::MAX),
                requested_at,
                version,
            ),
            ImportEvent::ImportRowsReceived { .. } => stmt!(
                "UPDATE imports SET stream_version = $2 WHERE id = $1 AND stream_version < $2",
                id,
                version,
            ),
            ImportEvent::ImportStarted { started_at } => stmt!(
                "UPDATE imports SET stream_version = $2, status = 'running', started_at = $3
                 WHERE id = $1 AND stream_version < $2",
                id,
                version,
                started_at,
            ),
            ImportEvent::ImportLinesProcessed { lines } => lines_write(id, version, &lines)?,
            ImportEvent::ImportCompleted {
                created,
                updated,
                unchanged,
                rejected,
                completed_at,
            } => {
                let counts = [created, updated, unchanged, rejected];
                completed_write(id, version, completed_at, counts)
            }
        });
        Ok(())
    }
}

/// The import done, with its outcome counts (created, updated, unchanged, rejected).
fn completed_write(
    id: uuid::Uuid,
    version: i64,
    completed_at: chrono::DateTime<chrono::Utc>,
    counts: [u32; 4],
) -> Write {
    let [created, updated, unchanged, rejected] =
        counts.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    stmt!(
        "UPDATE imports SET stream_version = $2, status = 'done', completed_at = $3,
             created = $4, updated = $5, unchanged = $6, rejected = $7,
             processed = $4::int + $5::int + $6::int + $7::int
         WHERE id = $1 AND stream_version < $2",
        id,
        version,
        completed_at,
        created,
        updated,
        unchanged,
        rejected,
    )
}

/// One statement: advance the import's row (counters included) and, only if it advanced,
/// insert the lines.
fn lines_write(
    id: uuid::Uuid,
    version: i64,
    lines: &[LineReport],
) -> Result<Write, ProjectorError> {
    let count = |o: LineOutcome| {
        let n = lines.iter().filter(|l| l.outcome == o).count();
        i32::try_from(n).unwrap_or(i32::MAX)
    };
    let numbers: Vec<i32> = lines
        .iter()
        .map(|l| i32::try_from(l.line).unwrap_or(i32::MAX))
        .collect();
    let skus: Vec<String> = lines.iter().map(|l| l.sku.clone()).collect();
    let outcomes: Vec<String> = lines
        .iter()
        .map(|l| outcome_text(l.outcome).to_owned())
        .collect();
    let products: Vec<Option<uuid::Uuid>> = lines.iter().map(|l| l.product_id).collect();
    let reasons: Vec<serde_json::Value> =
        lines.iter().map(|l| serde_json::json!(l.reasons)).collect();
    Ok(stmt!(
        "WITH advanced AS (
             UPDATE imports SET stream_version = $2,
                 processed = processed + $8::int + $9::int + $10::int + $11::int,
                 created = created + $8, updated = updated + $9,
                 unchanged = unchanged + $10, rejected = rejected + $11
             WHERE id = $1 AND stream_version < $2
             RETURNING 1
         )
         INSERT INTO import_lines (import_id, line, sku, outcome, product_id, reasons)
         SELECT $1, t.line, t.sku, t.outcome, t.product_id, t.reasons
         FROM advanced,
              unnest($3::int[], $4::text[], $5::text[], $6::uuid[], $7::jsonb[])
                  AS t(line, sku, outcome, product_id, reasons)
         ON CONFLICT (import_id, line) DO NOTHING",
        id,
        version,
        numbers,
        skus,
        outcomes,
        products,
        reasons,
        count(LineOutcome::Created),
        count(LineOutcome::Updated),
        count(LineOutcome::Unchanged),
        count(LineOutcome::Rejected),
    ))
}
