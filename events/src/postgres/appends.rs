//! Appending: one append ([`PgEventStore::append_one`]) or several made together
//! ([`PgEventStore::append_parts`]), through the group committers ([`super::group`]) when
//! other appends of this process are under way, and alone otherwise.

use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgEventStore, group, position_of, unavailable};
use crate::envelope::NewEvent;
use crate::store::{AppendResult, ExpectedVersion, StoreError, StreamAppend, validate_append};

impl PgEventStore {
    /// [`crate::EventStore::append`] on PostgreSQL.
    pub(super) async fn append_one(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        validate_append(stream, &events)?;
        let started = std::time::Instant::now();
        let append = group::Append::new(stream, expected_code(expected), events);
        let first_id = append.ids[0];
        let (_appending, others) = group::Appending::start(&self.inner.appending);
        let append = if others == 0 {
            append
        } else {
            match self.grouped(vec![append]).await? {
                Ok(rows) => {
                    return self.append_outcome(stream, expected, first_id, &rows[0], started);
                }
                Err(mut alone) => alone.remove(0),
            }
        };
        let client = self.client().await?;
        let row = match group::alone(&client, &append).await {
            Ok(row) => row,
            Err(e) if group::constraint(&e) == Some("es_events_event_id_key") => {
                drop(client);
                return self.original_append(stream, &append.ids).await;
            }
            Err(e) => return Err(unavailable("appending", e)),
        };
        self.append_outcome(stream, expected, first_id, &row, started)
    }

    /// All or nothing, in one transaction: through the group committers as one unit of a
    /// group (`es_append_group` accepts a unit only when every append of it holds), or, with
    /// no other append under way, as a group of its own on a pooled connection; after a
    /// refusal or an error, in a transaction of its own ([`group::together`]), which answers
    /// a failed expectation precisely.
    pub(super) async fn append_parts(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendResult>, StoreError> {
        crate::store::validate_together(&appends)?;
        let started = std::time::Instant::now();
        let expectations: Vec<(String, ExpectedVersion)> = appends
            .iter()
            .map(|a| (a.stream.clone(), a.expected))
            .collect();
        let parts: Vec<group::Append> = appends
            .into_iter()
            .map(|a| group::Append::new(&a.stream, expected_code(a.expected), a.events))
            .collect();
        let first_ids: Vec<Uuid> = parts.iter().map(|a| a.ids[0]).collect();
        let outcomes = |rows: &[Row]| {
            (rows.iter().zip(&expectations).zip(&first_ids))
                .map(|((row, (stream, expected)), id)| {
                    self.append_outcome(stream, *expected, *id, row, started)
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let (_appending, others) = group::Appending::start(&self.inner.appending);
        let parts = if others == 0 {
            parts
        } else {
            match self.grouped(parts).await? {
                Ok(rows) => return outcomes(&rows),
                Err(alone) => alone,
            }
        };
        let mut client = self.client().await?;
        if others == 0
            && let Ok(rows) = group::append_units(&client, &[&parts]).await
            && rows
                .iter()
                .all(|r| r.get::<_, &str>("outcome") == "appended")
        {
            return outcomes(&rows);
        }
        match group::together(&mut client, &parts).await {
            Ok(group::Together::Committed(rows)) => outcomes(&rows),
            Ok(group::Together::Refused { part, row }) => {
                let (stream, expected) = &expectations[part];
                self.append_outcome(stream, *expected, first_ids[part], &row, started)?;
                Err(unavailable(
                    "appending together",
                    "an append was refused without a reason",
                ))
            }
            Err(group::TogetherError::Part(part, e))
                if group::constraint(&e) == Some("es_events_event_id_key") =>
            {
                Err(StoreError::DuplicateEventId {
                    event_id: first_ids[part],
                })
            }
            Err(e) => Err(unavailable("appending together", e)),
        }
    }

    /// The result of an earlier append of the same batch (a retry that passed the version
    /// check and hit the unique event id), or `DuplicateEventId` if the ids are stored
    /// elsewhere or only in part.
    async fn original_append(
        &self,
        stream: &str,
        ids: &[uuid::Uuid],
    ) -> Result<AppendResult, StoreError> {
        let rows = self
            .query(
                "looking up an earlier append",
                "SELECT event_id, stream_id, stream_version, transaction_id::text AS txid, global_position
                 FROM es_events WHERE event_id = ANY ($1) ORDER BY stream_version DESC",
                &[&ids],
            )
            .await?;
        let first_here = rows.iter().any(|r| {
            r.get::<_, uuid::Uuid>("event_id") == ids[0] && r.get::<_, &str>("stream_id") == stream
        });
        let last = rows
            .iter()
            .find(|r| r.get::<_, &str>("stream_id") == stream);
        match last {
            Some(row) if first_here => Ok(AppendResult {
                stream_version: row.get("stream_version"),
                position: position_of(row, "txid", "global_position")?,
            }),
            _ => Err(StoreError::DuplicateEventId { event_id: ids[0] }),
        }
    }

    /// Hands `appends` (one, or several to make together) to the group committers: their
    /// committed rows, or the appends back when they must run alone (a failed group, an
    /// expectation that did not hold, a standby without committers).
    async fn grouped(
        &self,
        appends: Vec<group::Append>,
    ) -> Result<Result<Vec<Row>, Vec<group::Append>>, StoreError> {
        let Some(queue) = &self.inner.groups else {
            return Ok(Err(appends));
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        if let Err(refused) = queue.send(group::Request { appends, reply }).await {
            return Ok(Err(refused.0.appends));
        }
        match answer.await {
            Ok(group::Grouped::Rows(rows)) => Ok(Ok(rows)),
            Ok(group::Grouped::Alone(appends)) => Ok(Err(appends)),
            // The committer was stopped mid-group (the runtime is shutting down): whether the
            // group committed is unknown, as after a connection lost during a commit.
            Err(_) => Err(unavailable("appending", "the group committer stopped")),
        }
    }

    /// Turns `es_append`'s answer into the append's result: counts it, wakes local and remote
    /// subscribers after a real append, and maps a conflict or a foreign id to its error.
    fn append_outcome(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        first_id: uuid::Uuid,
        row: &Row,
        started: std::time::Instant,
    ) -> Result<AppendResult, StoreError> {
        let outcome: &str = row.get("outcome");
        metrics::histogram!("pasar_event_append_seconds", "outcome" => outcome.to_owned())
            .record(started.elapsed().as_secs_f64());
        match outcome {
            "conflict" => {
                metrics::counter!("pasar_event_append_conflicts_total").increment(1);
                Err(StoreError::Conflict {
                    stream: stream.to_owned(),
                    expected,
                    actual: row.get("last_version"),
                })
            }
            "elsewhere" => Err(StoreError::DuplicateEventId { event_id: first_id }),
            _ => {
                let result = AppendResult {
                    stream_version: row.get("last_version"),
                    position: position_of(row, "last_txid", "last_position")?,
                };
                if outcome == "appended" {
                    self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
                    self.inner.notify_others.notify_one();
                }
                Ok(result)
            }
        }
    }
}

fn expected_code(expected: ExpectedVersion) -> i64 {
    match expected {
        ExpectedVersion::Any => -1,
        ExpectedVersion::NoStream => 0,
        ExpectedVersion::Exact(v) => v,
    }
}
