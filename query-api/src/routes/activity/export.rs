//! The export as a stream: the log read in batches of [`BATCH`] events with a keyset cursor
//! (a fresh pooled connection per batch, none held between them), each batch rendered and
//! sent before the next is read. Memory stays one batch however long the history; the log is
//! read up to its head when the export began, so the file is one consistent cut.

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use futures::Stream;
use pasar_events::Position;
use uuid::Uuid;

use super::render::{CSV_HEADER, Entry, RawEvent, csv_lines};

/// Events per read.
pub const BATCH: i64 = 500;

/// The user's events, oldest first: caused by the user (`metadata.actor_id`) or on one of
/// their streams, within the times asked for, no later than the head. The actor's role comes
/// from the `sellers` read model, which keeps every account's role.
const EVENTS: &str = "SELECT e.global_position, e.transaction_id::text AS txid, e.stream_id,
        e.event_type, e.data, e.recorded_at, (e.metadata->>'actor_id')::uuid AS actor_id,
        s.role AS actor_role
    FROM es_events e
    LEFT JOIN rm.sellers s ON s.seller_id = (e.metadata->>'actor_id')::uuid
    WHERE (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)
      AND (e.transaction_id, e.global_position) <= ($3::text::xid8, $4::bigint)
      AND (e.metadata->>'actor_id' = $5 OR e.stream_id = ANY ($6))
      AND ($7::timestamptz IS NULL OR e.recorded_at >= $7)
      AND ($8::timestamptz IS NULL OR e.recorded_at <= $8)
    ORDER BY e.transaction_id, e.global_position
    LIMIT $9";

/// The last event committed when the export starts, or `None` for an empty log. Not the
/// tailing readers' gap-free head (below the oldest running transaction): any other open
/// transaction (a projector's batch) would hold that back and leave the caller's own latest
/// events out. An event committed later by a transaction that began earlier can fall below
/// a batch already sent: the export is what was committed when it began.
pub async fn head(pool: &Pool) -> Result<Option<Position>, crate::ApiError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT transaction_id::text AS txid, global_position FROM es_events
             ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
            &[],
        )
        .await?;
    row.map(|row| position(&row)).transpose()
}

fn position(row: &tokio_postgres::Row) -> Result<Position, crate::ApiError> {
    let txid: String = row.get("txid");
    Ok(Position {
        txid: txid
            .parse()
            .map_err(|_| anyhow::anyhow!("a transaction id that is not a number: {txid}"))?,
        global: row.get("global_position"),
    })
}

/// Whose events, which of them, in which form.
pub struct Export {
    pub user: Uuid,
    /// The user's own streams: account, cart, wallet, their orders and payments.
    pub streams: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub head: Option<Position>,
    pub csv: bool,
}

enum Step {
    Start,
    After(Position),
    End,
    Done,
}

struct Cursor {
    pool: Pool,
    export: Export,
    step: Step,
    written: u64,
}

/// The export's body, chunk by chunk.
pub fn body(pool: Pool, export: Export) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let cursor = Cursor {
        pool,
        export,
        step: Step::Start,
        written: 0,
    };
    futures::stream::try_unfold(cursor, |mut cursor| async move {
        let chunk = match std::mem::replace(&mut cursor.step, Step::Done) {
            Step::Start => {
                cursor.step = match cursor.export.head {
                    Some(_) => Step::After(Position::START),
                    None => Step::End,
                };
                cursor.opening()
            }
            Step::After(after) => cursor.batch(after).await.map_err(|e| {
                tracing::error!(error = %e, "activity export failed mid-stream");
                std::io::Error::other(e.to_string())
            })?,
            Step::End => cursor.closing(),
            Step::Done => return Ok(None),
        };
        Ok(Some((Bytes::from(chunk), cursor)))
    })
}

impl Cursor {
    fn opening(&self) -> Vec<u8> {
        if self.export.csv {
            csv_lines([CSV_HEADER]).unwrap_or_default()
        } else {
            format!("{{\"user_id\":\"{}\",\"events\":[", self.export.user).into_bytes()
        }
    }

    fn closing(&self) -> Vec<u8> {
        if self.export.csv {
            Vec::new()
        } else {
            b"]}".to_vec()
        }
    }

    /// Reads and renders the batch after `after`, and decides the next step.
    async fn batch(&mut self, after: Position) -> anyhow::Result<Vec<u8>> {
        let head = self.export.head.unwrap_or(Position::START);
        let client = self.pool.get().await?;
        let rows = client
            .query(
                EVENTS,
                &[
                    &after.txid.to_string(),
                    &after.global,
                    &head.txid.to_string(),
                    &head.global,
                    &self.export.user.to_string(),
                    &self.export.streams,
                    &self.export.from,
                    &self.export.to,
                    &BATCH,
                ],
            )
            .await?;
        drop(client);
        self.step = match rows.last() {
            Some(last) if i64::try_from(rows.len()).unwrap_or(0) == BATCH => {
                Step::After(position(last).map_err(|e| anyhow::anyhow!("{e}"))?)
            }
            _ => Step::End,
        };
        let entries = rows.iter().map(|row| {
            let raw = RawEvent {
                position: format!(
                    "{}-{}",
                    row.get::<_, String>("txid"),
                    row.get::<_, i64>("global_position")
                ),
                recorded_at: row.get("recorded_at"),
                stream: row.get("stream_id"),
                event_type: row.get("event_type"),
                actor_id: row.get("actor_id"),
                actor_role: row.get("actor_role"),
                data: row.get("data"),
            };
            Entry::new(self.export.user, raw)
        });
        if self.export.csv {
            return Ok(csv_lines(entries.map(|e| e.csv_record()))?);
        }
        let mut chunk = Vec::new();
        for entry in entries.collect::<Vec<_>>() {
            if self.written > 0 {
                chunk.push(b',');
            }
            serde_json::to_writer(&mut chunk, &entry)?;
            self.written += 1;
        }
        Ok(chunk)
    }
}
