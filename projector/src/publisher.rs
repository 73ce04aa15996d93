//! The integration-event publisher: every event of the log, in log order, onto the NATS
//! JetStream stream `PASAR_EVENTS`, subject `pasar.<category>.<event_type>`, as JSON with
//! secrets redacted (`message.rs`). Other systems consume it; nothing in Pasar reads it back.
//!
//! **A processor of the runtime, not a projection.** It has an effect outside PostgreSQL, so
//! it is not replay-safe and not registered with the [`Projector`](crate::Projector): a
//! rebuild or replay never runs it. The runtime (`pasar_events::runtime`) feeds it every event
//! of the log (`processor.rs`), keeps its checkpoint in the one checkpoint table (row
//! `publisher.<stream>`, `checkpoint.rs`), and gives it the leader lock, backoff and metrics
//! every processor has.
//!
//! **Exactly once in the stream**, even across crashes and NATS outages:
//! 1. One active publisher per stream across processes (the runtime's leader lock on its
//!    name); other instances stand by.
//! 2. Each message carries the event id as `Nats-Msg-Id` (the stream drops a repeat within its
//!    duplicate window of at least 10 minutes) *and* `Nats-Expected-Last-Sequence`: the server
//!    stores a message only if the stream ends where the publisher expects it to, so the
//!    stream can only grow by the next event in log order. A connection that drops mid-batch
//!    can lose some messages and deliver later ones (the client re-sends what it had queued);
//!    those later ones are then refused instead of leaving a gap or a reordering.
//! 3. A batch is published, every ack awaited, and only then the runtime commits the
//!    checkpoint.
//! 4. On start and after every failure the publisher reconciles: the stream's last message
//!    names its event (`Nats-Msg-Id`, `Pasar-Position`); events up to it are skipped (and the
//!    checkpoint moves past them with their batch). So a crash between the acks and the
//!    commit republishes nothing, however long the restart takes.
//!
//! The stream therefore belongs to the publisher: a message published into it by anyone else
//! (or by another database's publisher) stops this one with [`PublisherError::ForeignStream`]
//! rather than guess. Consumers still see at-least-once *delivery* and should dedupe on
//! `Nats-Msg-Id`.
//!
//! **NATS down** stops nothing else: the publisher runs in its own task with its own NATS
//! connection (`runner.rs`), the runtime retries with backoff, and it resumes from its
//! checkpoint; projections, their announcements and the command side carry on.
//!
//! Start reading at [`Publisher::catch_up`] (reconcile, then batch after batch);
//! `stream.rs` is the JetStream side (stream set-up, subject filters, last message),
//! `metrics.rs` the lines on `/metrics`.

mod checkpoint;
mod config;
mod error;
mod message;
mod metrics;
mod processor;
mod runner;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use deadpool_postgres::Pool;
use pasar_events::runtime::Runtime;
use pasar_events::{EventStore, Position, RecordedEvent};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

pub use checkpoint::Lag;
pub use config::PublisherConfig;
pub use message::{
    EVENT_TYPE_HEADER, POSITION_HEADER, REDACTED, REDACTED_FIELDS, SCHEMA_VERSION_HEADER,
    STREAM_HEADER, STREAM_VERSION_HEADER, redact,
};
pub use metrics::{PublisherMetrics, observe as observe_metrics};
pub use runner::spawn;
pub use stream::DUPLICATE_WINDOW;

use stream::StreamState;

pub use error::PublisherError;
use error::jetstream_error;

pub const DEFAULT_STREAM: &str = "PASAR_EVENTS";
pub const DEFAULT_SUBJECT_PREFIX: &str = "pasar";
/// Events read, published and acknowledged per checkpoint commit.
pub const PUBLISH_BATCH: usize = 500;
/// Bounds each JetStream request and each awaited ack.
const NATS_TIMEOUT: Duration = Duration::from_secs(5);

/// What a [`Publisher::catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// The checkpoint now: the stream holds every event up to here.
    pub position: Position,
    /// Events published (acknowledged by the stream) by this call.
    pub events: u64,
    pub batches: u64,
}

/// Where publishing stands between batches.
#[derive(Debug, Clone)]
struct Cursor {
    /// Every event up to here is in the stream (the checkpoint, or further when the stream
    /// was found ahead of it).
    position: Position,
    stream: StreamState,
}

/// Publishes one database's log to one JetStream stream; a processor of the runtime.
pub struct Publisher {
    name: String,
    store: Arc<dyn EventStore>,
    pool: Pool,
    jetstream: jetstream::Context,
    config: PublisherConfig,
    metrics: Arc<PublisherMetrics>,
    /// `None` until reconciled with the stream, and again after any failure.
    cursor: Mutex<Option<Cursor>>,
}

impl Publisher {
    /// Registers this stream's checkpoint if missing. Does not touch NATS.
    pub async fn new(
        store: Arc<dyn EventStore>,
        pool: Pool,
        jetstream: jetstream::Context,
        config: PublisherConfig,
        metrics: Arc<PublisherMetrics>,
    ) -> Result<Self, PublisherError> {
        let name = checkpoint::processor_name(&config.stream);
        let runtime = Runtime::new(Arc::clone(&store), pool.clone(), String::new());
        runtime
            .register(&[&name])
            .await
            .map_err(checkpoint::runtime_error)?;
        metrics.set_stream(&config.stream);
        Ok(Publisher {
            name,
            store,
            pool,
            jetstream,
            config,
            metrics,
            cursor: Mutex::new(None),
        })
    }

    /// A JetStream context on `client` with the publisher's timeouts.
    pub fn jetstream(client: async_nats::Client) -> jetstream::Context {
        jetstream::ContextBuilder::new()
            .timeout(NATS_TIMEOUT)
            .build(client)
    }

    pub fn config(&self) -> &PublisherConfig {
        &self.config
    }

    /// The stored checkpoint.
    pub async fn checkpoint(&self) -> Result<Position, PublisherError> {
        checkpoint::load(&self.pool.get().await?, &self.config.stream).await
    }

    /// How far behind the log the checkpoint is.
    pub async fn lag(&self) -> Result<Lag, PublisherError> {
        checkpoint::lag(&self.pool.get().await?, &self.config.stream).await
    }

    /// Checks that the stream is this log's (or empty, or missing): what `projector status`
    /// reports. `Err(ForeignStream)` names what is wrong.
    pub async fn check_stream(&self) -> Result<(), PublisherError> {
        *self.cursor.lock().await = None;
        self.reconcile().await.map(drop)
    }

    /// Deletes the stream and moves the publisher's checkpoint back to the start of the log,
    /// so that this log is published, from its first event, into a new stream: the way out
    /// when the stream holds another log's events (the database was dropped and created
    /// again). Whoever consumes the stream sees it start over. Answers whether a stream was
    /// deleted. A running publisher picks the new stream up on its next attempt.
    pub async fn reset_stream(&self) -> Result<bool, PublisherError> {
        let mut cursor = self.cursor.lock().await;
        let deleted = match self.jetstream.delete_stream(&self.config.stream).await {
            Ok(status) => status.success,
            Err(e) if stream::delete_missing(&e.kind()) => false,
            Err(e) => return Err(jetstream_error("deleting the stream")(e)),
        };
        let client = self.pool.get().await?;
        pasar_events::runtime::checkpoint::set(&client, &self.name, Position::START)
            .await
            .map_err(|e| PublisherError::Checkpoint(e.to_string()))?;
        *cursor = None;
        self.metrics.set_problem(None);
        Ok(deleted)
    }

    /// Reconciles with the stream, publishes everything readable now, then returns. Takes no
    /// lock (tests, tools); the sequence checks keep a concurrent publisher from doing harm.
    pub async fn catch_up(&self) -> Result<Published, PublisherError> {
        *self.cursor.lock().await = None;
        let before = self.metrics.published();
        let runtime = Runtime::new(Arc::clone(&self.store), self.pool.clone(), String::new());
        let done = runtime
            .catch_up_counted(self)
            .await
            .map_err(checkpoint::runtime_error)?;
        Ok(Published {
            position: done.position,
            events: self.metrics.published() - before,
            batches: done.batches,
        })
    }

    /// The long-running loop on the runtime (leader lock, backoff, wake-ups); returns on
    /// shutdown.
    pub async fn run(&self, database_url: &str, shutdown: &CancellationToken) {
        Runtime::new(
            Arc::clone(&self.store),
            self.pool.clone(),
            database_url.to_owned(),
        )
        .run(self, shutdown)
        .await;
    }

    /// Reads the stream's end: the cursor starts at the checkpoint, or at the stream's last
    /// message if that is ahead (published, but the crash came before the commit).
    async fn reconcile(&self) -> Result<Cursor, PublisherError> {
        let name = &self.config.stream;
        let stream = stream::inspect(&self.jetstream, name).await?;
        let client = self.pool.get().await?;
        let stored = checkpoint::load(&client, name).await?;
        let Some(last) = &stream.last_message else {
            return Ok(Cursor {
                position: stored,
                stream,
            });
        };
        let found = self.verify_ours(&client, last).await?;
        if found > stored {
            tracing::info!(stream = %name, from = %stored, to = %found,
                "the stream is ahead of the publisher checkpoint; skipping what it holds");
        }
        Ok(Cursor {
            position: found.max(stored),
            stream,
        })
    }

    /// The log position of the event a stored message carries, after checking that this
    /// database's log holds that event at that position.
    async fn verify_ours(
        &self,
        client: &deadpool_postgres::Client,
        stored: &jetstream::message::StreamMessage,
    ) -> Result<Position, PublisherError> {
        let foreign = |detail: String| PublisherError::ForeignStream {
            stream: self.config.stream.clone(),
            detail,
        };
        let (Some(event_id), Some(position)) = (
            message::event_id_of(&stored.headers),
            message::position_of(&stored.headers),
        ) else {
            return Err(foreign(format!(
                "message {} ({}) lacks Nats-Msg-Id or {POSITION_HEADER}",
                stored.sequence, stored.subject
            )));
        };
        match checkpoint::position_in_log(client, event_id).await? {
            Some(p) if p == position => Ok(position),
            _ => Err(foreign(format!(
                "its last message (event {event_id} at {position}) is not in this log"
            ))),
        }
    }

    /// Publishes the events of `events` that the stream does not hold yet and awaits every
    /// ack; reconciles first when the cursor is unknown. On error the cursor is dropped (the
    /// next attempt reconciles: the stream is the truth).
    async fn publish(&self, events: &[RecordedEvent]) -> Result<(), PublisherError> {
        let mut guard = self.cursor.lock().await;
        let cursor = match guard.as_mut() {
            Some(cursor) => cursor,
            None => guard.insert(self.reconcile().await?),
        };
        let fresh: Vec<&RecordedEvent> = events
            .iter()
            .filter(|e| e.position > cursor.position)
            .collect();
        let outcome = self.publish_batch(cursor, &fresh).await;
        if outcome.is_err() {
            *guard = None;
        }
        outcome
    }

    /// Publishes `events` (the log's next ones after `cursor`) and awaits every ack; the
    /// runtime then commits the checkpoint with the batch.
    async fn publish_batch(
        &self,
        cursor: &mut Cursor,
        events: &[&RecordedEvent],
    ) -> Result<(), PublisherError> {
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(());
        };
        let subjects = self.needed_subjects(events);
        let subjects = stream::cover(
            &self.jetstream,
            &self.config.stream,
            &cursor.stream,
            &subjects,
            self.config.stream_replicas,
        )
        .await?;
        cursor.stream.subjects = Some(subjects);

        // Pipelined: all sent, then all acks awaited, in order.
        let mut acks = Vec::with_capacity(events.len());
        for (expected_last, event) in (cursor.stream.last_sequence..).zip(events) {
            let outgoing = message::outgoing(&self.config.subject_prefix, event);
            let publish = PublishMessage::build()
                .payload(outgoing.payload.into())
                .headers(outgoing.headers)
                .expected_last_sequence(expected_last);
            let ack = self
                .jetstream
                .send_publish(outgoing.subject, publish)
                .await
                .map_err(jetstream_error("publishing"))?;
            acks.push(ack);
        }
        let mut sequence = cursor.stream.last_sequence;
        for ack in acks {
            sequence = self.acknowledged(ack.await, sequence)?;
        }
        cursor.position = last;
        cursor.stream.last_sequence = sequence;
        tracing::debug!(stream = %self.config.stream, position = %last, sequence, events = events.len(), "batch published");
        Ok(())
    }

    /// `<prefix>.<category>.*` for every category in `events`, once each.
    fn needed_subjects(&self, events: &[&RecordedEvent]) -> Vec<String> {
        let mut needed: Vec<String> = Vec::new();
        for event in events {
            let subject = format!(
                "{}.*",
                message::category_subject(&self.config.subject_prefix, event.category())
            );
            if !needed.contains(&subject) {
                needed.push(subject);
            }
        }
        needed
    }

    /// Checks one ack against the sequence the stream had before it; returns the new one.
    fn acknowledged(
        &self,
        ack: Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
        before: u64,
    ) -> Result<u64, PublisherError> {
        let out_of_step = |detail: String| PublisherError::OutOfStep {
            stream: self.config.stream.clone(),
            detail,
        };
        match ack {
            Ok(ack) if ack.duplicate => {
                self.metrics.duplicate();
                Err(out_of_step(format!(
                    "it already held event at sequence {}",
                    ack.sequence
                )))
            }
            Ok(ack) if ack.sequence != before + 1 => Err(out_of_step(format!(
                "stored at sequence {}, expected {}",
                ack.sequence,
                before + 1
            ))),
            Ok(ack) => {
                self.metrics.stored();
                Ok(ack.sequence)
            }
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                Err(out_of_step(format!("expected it to end at {before}: {e}")))
            }
            Err(e) => Err(jetstream_error("awaiting a publish ack")(e)),
        }
    }
}
