//! The steps of an append: scan the stream for the batch's ids, write, and confirm what a
//! write with an unknown outcome did.

use crate::store::{AppendResult, StoreError};
use eventstore::{
    AppendToStreamOptions, EventData, ExpectedRevision, ReadStreamOptions, StreamPosition,
};
use uuid::Uuid;

use super::convert::*;
use super::*;

impl EsdbEventStore {
    /// Reads `stream` newest first, looking for the batch's ids.
    pub(super) async fn scan(&self, stream: &str, ids: &[Uuid]) -> Result<StreamScan, StoreError> {
        let mut scan = StreamScan::default();
        let options = ReadStreamOptions::default()
            .position(StreamPosition::End)
            .backwards();
        let mut read = match self.client.read_stream(stream, &options).await {
            Ok(read) => read,
            Err(eventstore::Error::ResourceNotFound) => return Ok(scan),
            Err(e) => return Err(unavailable("reading a stream", e)),
        };
        let mut newest_of_batch: Option<AppendResult> = None;
        loop {
            let resolved = match read.next().await {
                Ok(Some(resolved)) => resolved,
                Ok(None) | Err(eventstore::Error::ResourceNotFound) => return Ok(scan),
                Err(e) => return Err(unavailable("reading a stream", e)),
            };
            let Some(event) = original(&resolved) else {
                continue;
            };
            scan.current.get_or_insert(version_of(event.revision));
            if !ids.contains(&event.id) {
                continue;
            }
            // Newest first: the first batch event met is the original batch's last one.
            let stored = match newest_of_batch {
                Some(stored) => stored,
                None => {
                    let stored = AppendResult {
                        stream_version: version_of(event.revision),
                        position: stored_position(event)?,
                    };
                    newest_of_batch = Some(stored);
                    stored
                }
            };
            if event.id == ids[0] {
                scan.original = Some(stored);
                scan.duplicate = None;
                return Ok(scan);
            }
            scan.duplicate.get_or_insert(event.id);
        }
    }

    /// The result of an append the server acknowledged: the stored last event (read back, so
    /// the position is the one readers see, also when the server de-duplicated a retry).
    pub(super) async fn confirm(
        &self,
        stream: &str,
        revision: u64,
        last_id: Uuid,
    ) -> Result<AppendResult, StoreError> {
        let options = ReadStreamOptions::default()
            .position(StreamPosition::Position(revision))
            .forwards()
            .max_count(1);
        let mut read = self
            .client
            .read_stream(stream, &options)
            .await
            .map_err(|e| unavailable("reading back an append", e))?;
        let resolved = read
            .next()
            .await
            .map_err(|e| unavailable("reading back an append", e))?;
        let Some(event) = resolved.as_ref().and_then(original) else {
            return Err(StoreError::Unavailable(format!(
                "appended event {stream}@{revision} is not readable"
            )));
        };
        if event.id != last_id {
            tracing::warn!(
                stream,
                revision,
                expected = %last_id,
                found = %event.id,
                "the acknowledged append ends with another event id"
            );
        }
        Ok(AppendResult {
            stream_version: version_of(event.revision),
            position: stored_position(event)?,
        })
    }

    pub(super) async fn write(
        &self,
        stream: &str,
        revision: ExpectedRevision,
        data: &[EventData],
    ) -> Result<u64, eventstore::Error> {
        let options = AppendToStreamOptions::default().expected_revision(revision);
        self.client
            .append_to_stream(stream, &options, data.to_vec())
            .await
            .map(|written| written.next_expected_version)
    }
}
