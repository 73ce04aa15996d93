//! The imports' reads, for the query API: an import's progress and a page of its report.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// An import's status and counts.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// `queued`, `running` or `done`.
    pub status: String,
    pub total_rows: i32,
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One line of an import's report.
#[derive(Debug, Clone)]
pub struct ImportLine {
    pub line: i32,
    pub sku: String,
    pub outcome: String,
    pub product_id: Option<Uuid>,
    pub reasons: Vec<String>,
}

/// What a report page holds: only `outcome` (if given), lines after `after`.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub outcome: Option<String>,
    pub after: i32,
    pub limit: i64,
}

pub async fn summary(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<ImportSummary>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT id, owner_id, status, total_rows, processed, created, updated, unchanged,
                    rejected, requested_at, started_at, completed_at
             FROM rm.imports WHERE id = $1",
            &[&id],
        )
        .await?;
    Ok(row.map(|row| ImportSummary {
        id: row.get("id"),
        owner_id: row.get("owner_id"),
        status: row.get("status"),
        total_rows: row.get("total_rows"),
        processed: row.get("processed"),
        created: row.get("created"),
        updated: row.get("updated"),
        unchanged: row.get("unchanged"),
        rejected: row.get("rejected"),
        requested_at: row.get("requested_at"),
        started_at: row.get("started_at"),
        completed_at: row.get("completed_at"),
    }))
}

/// Lines of the report in line order, per `filter`.
pub async fn lines(
    client: &impl GenericClient,
    id: Uuid,
    filter: &LineFilter,
) -> Result<Vec<ImportLine>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT line, sku, outcome, product_id, reasons FROM rm.import_lines
             WHERE import_id = $1 AND line > $2 AND ($3::text IS NULL OR outcome = $3)
             ORDER BY line LIMIT $4",
            &[&id, &filter.after, &filter.outcome, &filter.limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let reasons: serde_json::Value = row.get("reasons");
            ImportLine {
                line: row.get("line"),
                sku: row.get("sku"),
                outcome: row.get("outcome"),
                product_id: row.get("product_id"),
                reasons: serde_json::from_value(reasons).unwrap_or_default(),
            }
        })
        .collect())
}
