//! Works through CSV product imports (`ImportRequested` on `import-{id}`): each line is
//! imported by [`crate::app::imports::line::import_line`] (the same use cases as the HTTP
//! routes), [`CONCURRENCY`] lines at a time, and the outcomes are recorded on the import's
//! stream every [`REPORT_EVERY`] lines (while the next lines are imported), then
//! `ImportCompleted`. It works in [`Processor::react`], with no transaction open: an import
//! takes as long as its file needs, and a transaction idle that long would be closed by
//! PostgreSQL (`idle_in_transaction_session_timeout`, 10 s on our pools) and the import cut
//! off and retried, chunk by chunk.
//!
//! Crash-safe without duplicates: every command of a line has event ids derived from the
//! import and the line, and the import's own steps from the import and the step, so after a
//! kill -9 the batch is handed over again, the lines already reported are skipped, and a line
//! caught half-way appends nothing it had appended already. A line whose edit had landed but
//! whose report had not is reported `unchanged` on the retry (its effect is there once).
//!
//! A SKU that appears on several lines of one file is imported from its first line; the
//! others are rejected, so lines running at the same time never touch the same product.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use futures::{StreamExt, TryStreamExt, stream};
use pasar_domain::import::{Import, ImportCommand};
use pasar_domain::product::normalize_sku;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::{self, Category};
use pasar_events::types::{ImportEvent, ImportRow, LineOutcome, LineReport};
use pasar_events::{DomainEvent, Metadata, RecordedEvent};
use tokio_util::task::AbortOnDropHandle;
use uuid::Uuid;

use super::{caused_by, process_error};
use crate::app::exec::Held;
use crate::app::imports::{self, line::import_line};
use crate::app::{Actor, AppError, AppState};

/// Not `imports`: that is the read model's name, and names share one checkpoint table and lock.
pub const NAME: &str = "product-imports";
/// Lines imported at the same time.
pub const CONCURRENCY: usize = 256;
/// Lines per `ImportLinesProcessed` event (and between two progress updates).
pub const REPORT_EVERY: usize = 250;

pub struct Imports {
    state: AppState,
}

/// What every line of one import is imported with.
struct Lines<'a> {
    actor: Actor,
    first_lines: Arc<HashMap<String, u32>>,
    metadata: &'a Metadata,
}

impl Imports {
    pub fn new(state: AppState) -> Self {
        Imports { state }
    }

    /// Imports every line of `import_id` not reported yet, then completes it.
    pub async fn run(&self, import_id: Uuid, cause: &RecordedEvent) -> Result<(), AppError> {
        let store = &self.state.store;
        let mut held = Held::<Import>::load(store.as_ref(), &streams::import(import_id)).await?;
        let import = held.state();
        if import.completed {
            return Ok(());
        }
        let Some(role) = import.owner_role.filter(|_| import.rows_complete()) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "import {import_id}: {} of {} rows recorded",
                import.rows.len(),
                import.expected_rows
            )));
        };
        let actor = Actor {
            id: import.owner_id,
            role,
        };
        let first_lines = Arc::new(first_lines(&import.rows));
        let pending: Vec<ImportRow> = import.pending().cloned().collect();
        let metadata = caused_by(cause);
        let start = ImportCommand::Start { now: Utc::now() };
        imports::record(store, &mut held, "start", start, &metadata).await?;
        tracing::info!(import = %import_id, pending = pending.len(), "importing");
        let lines = Lines {
            actor,
            first_lines,
            metadata: &metadata,
        };
        self.import_lines(&mut held, &lines, pending).await?;
        let complete = ImportCommand::Complete { now: Utc::now() };
        imports::record(store, &mut held, "complete", complete, &metadata).await?;
        let done = held.state();
        tracing::info!(
            import = %import_id,
            created = done.count(LineOutcome::Created),
            updated = done.count(LineOutcome::Updated),
            unchanged = done.count(LineOutcome::Unchanged),
            rejected = done.count(LineOutcome::Rejected),
            "import done"
        );
        Ok(())
    }

    /// Imports `pending`, [`CONCURRENCY`] lines at a time, and records their outcomes every
    /// [`REPORT_EVERY`] lines. A report is recorded while the next lines are imported, so the
    /// lines never wait for it (nor for the slowest line of the report before).
    ///
    /// Each line runs as a task of its own. As futures of the stream, the lines in flight were
    /// polled only while the loop below polled the stream, not while it waited for a report
    /// alone: a line suspended with a pooled connection in hand kept it, and with enough of
    /// them (16 at 512 lines at a time) the report could get no connection, failed after the
    /// pool's wait, and the import was retried, over and over. A task goes on by itself.
    async fn import_lines(
        &self,
        held: &mut Held<Import>,
        lines: &Lines<'_>,
        pending: Vec<ImportRow>,
    ) -> Result<(), AppError> {
        let import_id = held.state().import_id;
        let store = &self.state.store;
        let chunks = stream::iter(pending)
            .map(|row| {
                let (state, first_lines) = (self.state.clone(), Arc::clone(&lines.first_lines));
                let actor = lines.actor;
                AbortOnDropHandle::new(tokio::spawn(async move {
                    line(&state, actor, import_id, row, &first_lines).await
                }))
            })
            .buffered(CONCURRENCY)
            .map(|joined| joined.map_err(|e| AppError::Internal(e.into()))?)
            .try_chunks(REPORT_EVERY)
            .map_err(|e| e.1);
        let mut chunks = std::pin::pin!(chunks);
        let mut imported: Option<Vec<LineReport>> = None;
        loop {
            let report = async {
                let Some(done) = imported.take() else {
                    return Ok(());
                };
                let step = format!("lines-{}", done[0].line);
                let report = ImportCommand::Report { lines: done };
                imports::record(store, held, &step, report, lines.metadata).await?;
                Ok(())
            };
            match tokio::try_join!(chunks.try_next(), report)? {
                (Some(next), ()) => imported = Some(next),
                (None, ()) => return Ok(()),
            }
        }
    }
}

/// Imports one line, or rejects it when its SKU is imported from an earlier line.
async fn line(
    state: &AppState,
    actor: Actor,
    import_id: Uuid,
    row: ImportRow,
    first_lines: &HashMap<String, u32>,
) -> Result<LineReport, AppError> {
    let first = first_lines.get(&normalize_sku(&row.sku)).copied();
    if let Some(first) = first.filter(|first| *first != row.line && !row.sku.is_empty()) {
        return Ok(LineReport {
            line: row.line,
            sku: row.sku.clone(),
            outcome: LineOutcome::Rejected,
            product_id: None,
            reasons: vec![format!("sku: also on line {first}; imported from there")],
        });
    }
    import_line(state, actor, import_id, &row).await
}

/// The first line of each SKU (normalised) in the file.
fn first_lines(rows: &[ImportRow]) -> HashMap<String, u32> {
    let mut first = HashMap::new();
    for row in rows {
        first.entry(normalize_sku(&row.sku)).or_insert(row.line);
    }
    first
}

#[async_trait]
impl Processor for Imports {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Import]
    }

    fn transactional(&self) -> bool {
        false
    }

    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        for event in events {
            if event.event_type != "ImportRequested" {
                continue;
            }
            let decoded = ImportEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))?;
            if let ImportEvent::ImportRequested { import_id, .. } = decoded {
                self.run(import_id, event).await.map_err(process_error)?;
            }
        }
        Ok(())
    }
}
