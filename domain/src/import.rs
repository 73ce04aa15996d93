//! A seller's CSV product import (`import-{id}`): the rows it was given, then a report for
//! every line, then done.
//!
//! The file's shape (encoding, header, quoting, limits) is checked before the import exists;
//! the rows themselves are checked one by one by the processor, through the same use cases as
//! the HTTP routes, and each line's outcome is recorded here. A line is reported once: a
//! report for lines already reported (a retry after a crash) records only the new ones.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pasar_events::types::{ImportEvent, ImportRow, LineOutcome, LineReport, Role};
use uuid::Uuid;

use crate::Aggregate;

/// Most data rows in one file.
pub const MAX_ROWS: usize = 10_000;
/// Most rows per `ImportRowsReceived` event.
pub const ROWS_PER_CHUNK: usize = 500;
/// An `ImportRowsReceived` event takes no more rows once its rows' JSON reaches this size, so
/// an event stays well below NATS' 1 MiB message limit (a row is at most about 270 KB: nine
/// cells of 5,000 characters, each escaped at worst to 6 bytes).
pub const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Import {
    pub requested: bool,
    pub import_id: Uuid,
    pub owner_id: Uuid,
    pub owner_role: Option<Role>,
    /// How many rows the request announced.
    pub expected_rows: u32,
    /// The rows received so far, in file order.
    pub rows: Vec<ImportRow>,
    pub started: bool,
    /// The outcome of each reported line, by line.
    pub reported: BTreeMap<u32, LineOutcome>,
    pub completed: bool,
    pub requested_at: Option<DateTime<Utc>>,
}

impl Import {
    /// The rows without an outcome yet, in file order.
    pub fn pending(&self) -> impl Iterator<Item = &ImportRow> {
        self.rows
            .iter()
            .filter(|row| !self.reported.contains_key(&row.line))
    }

    /// Every announced row has arrived.
    pub fn rows_complete(&self) -> bool {
        self.requested && self.rows.len() == self.expected_rows as usize
    }

    /// How many lines had `outcome`.
    pub fn count(&self, outcome: LineOutcome) -> u32 {
        let n = self.reported.values().filter(|o| **o == outcome).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportCommand {
    /// Records an accepted file's rows.
    Request {
        import_id: Uuid,
        owner_id: Uuid,
        owner_role: Role,
        rows: Vec<ImportRow>,
        now: DateTime<Utc>,
    },
    Start {
        now: DateTime<Utc>,
    },
    /// Records the outcome of some lines (those already reported are left out).
    Report {
        lines: Vec<LineReport>,
    },
    Complete {
        now: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("the file has no data rows")]
    NoRows,
    #[error("the file has {rows} data rows; at most {MAX_ROWS} are accepted")]
    TooManyRows { rows: usize },
    #[error("only sellers and admins import products")]
    NotASellerOrAdmin,
    #[error("no such import")]
    NotRequested,
    #[error("the import has not started")]
    NotStarted,
    #[error("the import is already complete")]
    AlreadyCompleted,
    #[error("line {line} is not a row of this import")]
    UnknownLine { line: u32 },
    #[error("{pending} lines have no outcome yet")]
    LinesPending { pending: usize },
}

impl Aggregate for Import {
    type Event = ImportEvent;
    type Command = ImportCommand;
    type Error = ImportError;

    fn decide(&self, command: &ImportCommand) -> Result<Vec<ImportEvent>, ImportError> {
        match command {
            ImportCommand::Request {
                import_id,
                owner_id,
                owner_role,
                rows,
                now,
            } => self.request(*import_id, *owner_id, *owner_role, rows, *now),
            ImportCommand::Start { now } => {
                if !self.requested {
                    return Err(ImportError::NotRequested);
                }
                if self.started {
                    return Ok(Vec::new());
                }
                Ok(vec![ImportEvent::ImportStarted { started_at: *now }])
            }
            ImportCommand::Report { lines } => self.report(lines),
            ImportCommand::Complete { now } => self.complete(*now),
        }
    }

    fn evolve(mut self, event: &ImportEvent) -> Self {
        match event {
            ImportEvent::ImportRequested {
                import_id,
                owner_id,
                owner_role,
                rows,
                requested_at,
                ..
            } => {
                self.requested = true;
                self.import_id = *import_id;
                self.owner_id = *owner_id;
                self.owner_role = Some(*owner_role);
                self.expected_rows = *rows;
                self.requested_at = Some(*requested_at);
            }
            ImportEvent::ImportRowsReceived { rows, .. } => self.rows.extend(rows.iter().cloned()),
            ImportEvent::ImportStarted { .. } => self.started = true,
            ImportEvent::ImportLinesProcessed { lines } => {
                for line in lines {
                    self.reported.insert(line.line, line.outcome);
                }
            }
            ImportEvent::ImportCompleted { .. } => self.completed = true,
        }
        self
    }
}

impl Import {
    fn request(
        &self,
        import_id: Uuid,
        owner_id: Uuid,
        owner_role: Role,
        rows: &[ImportRow],
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportEvent>, ImportError> {
        if self.requested {
            // The same request again (its Idempotency-Key names this import): already recorded.
            return Ok(Vec::new());
        }
        if owner_role == Role::Buyer {
            return Err(ImportError::NotASellerOrAdmin);
        }
        if rows.is_empty() {
            return Err(ImportError::NoRows);
        }
        if rows.len() > MAX_ROWS {
            return Err(ImportError::TooManyRows { rows: rows.len() });
        }
        let chunks = chunks(rows);
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let mut events = vec![ImportEvent::ImportRequested {
            import_id,
            owner_id,
            owner_role,
            rows: count(rows.len()),
            chunks: count(chunks.len()),
            requested_at: now,
        }];
        events.extend(chunks.into_iter().enumerate().map(|(chunk, rows)| {
            ImportEvent::ImportRowsReceived {
                chunk: count(chunk),
                rows: rows.to_vec(),
            }
        }));
        Ok(events)
    }

    fn report(&self, lines: &[LineReport]) -> Result<Vec<ImportEvent>, ImportError> {
        if !self.started {
            return Err(if self.requested {
                ImportError::NotStarted
            } else {
                ImportError::NotRequested
            });
        }
        if self.completed {
            return Err(ImportError::AlreadyCompleted);
        }
        let mut new = Vec::new();
        for report in lines {
            if !self.rows.iter().any(|row| row.line == report.line) {
                return Err(ImportError::UnknownLine { line: report.line });
            }
            let repeated = new.iter().any(|r: &LineReport| r.line == report.line);
            if !self.reported.contains_key(&report.line) && !repeated {
                new.push(report.clone());
            }
        }
        if new.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![ImportEvent::ImportLinesProcessed { lines: new }])
    }

    fn complete(&self, now: DateTime<Utc>) -> Result<Vec<ImportEvent>, ImportError> {
        if !self.started {
            return Err(ImportError::NotStarted);
        }
        if self.completed {
            return Ok(Vec::new());
        }
        let pending = self.pending().count();
        if pending > 0 || !self.rows_complete() {
            return Err(ImportError::LinesPending { pending });
        }
        Ok(vec![ImportEvent::ImportCompleted {
            created: self.count(LineOutcome::Created),
            updated: self.count(LineOutcome::Updated),
            unchanged: self.count(LineOutcome::Unchanged),
            rejected: self.count(LineOutcome::Rejected),
            completed_at: now,
        }])
    }
}

/// `rows` cut into runs of at most [`ROWS_PER_CHUNK`] rows and about [`CHUNK_BYTES`] of JSON
/// (at least one row each), in order.
fn chunks(rows: &[ImportRow]) -> Vec<&[ImportRow]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let size = serde_json::to_vec(row).map_or(CHUNK_BYTES, |json| json.len());
        if i > start && (i - start == ROWS_PER_CHUNK || bytes + size > CHUNK_BYTES) {
            chunks.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < rows.len() {
        chunks.push(&rows[start..]);
    }
    chunks
}
