//! Events of `import-{id}`: a seller's CSV product import, from the rows it was given to the
//! per-line report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainEvent, Role};

/// One data row of an import file, as the seller wrote it (cells trimmed, nothing else
/// interpreted): the processor parses and checks it, so a bad cell rejects its line, not the
/// file. Empty cells are empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// 1-based line of the file (the header is line 1).
    pub line: u32,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: String,
    pub weight_grams: String,
    pub brand: String,
    pub condition: String,
    pub category_id: String,
    pub stock: String,
}

/// What importing one line did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineOutcome {
    Created,
    Updated,
    Unchanged,
    Rejected,
}

/// The report of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineReport {
    pub line: u32,
    pub sku: String,
    pub outcome: LineOutcome,
    /// The product the line created or updated (or left unchanged).
    pub product_id: Option<Uuid>,
    /// Why it was rejected (empty otherwise).
    pub reasons: Vec<String>,
}

/// Events of `import-{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ImportEvent {
    /// The file was accepted; its rows follow in `chunks` [`ImportEvent::ImportRowsReceived`]
    /// events appended with it (one append), `rows` rows in all.
    ImportRequested {
        import_id: Uuid,
        /// The seller (or admin) importing: the products are theirs.
        owner_id: Uuid,
        owner_role: Role,
        rows: u32,
        chunks: u32,
        requested_at: DateTime<Utc>,
    },
    /// Rows of the file, in file order (chunked to keep events small).
    ImportRowsReceived { chunk: u32, rows: Vec<ImportRow> },
    /// The processor began working through the rows.
    ImportStarted { started_at: DateTime<Utc> },
    /// The outcome of some lines (chunked, in processing order).
    ImportLinesProcessed { lines: Vec<LineReport> },
    /// Every line has its outcome.
    ImportCompleted {
        created: u32,
        updated: u32,
        unchanged: u32,
        rejected: u32,
        completed_at: DateTime<Utc>,
    },
}

impl DomainEvent for ImportEvent {}
