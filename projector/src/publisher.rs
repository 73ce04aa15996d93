//! The integration-event publisher: every event of the log, in log order, onto the NATS
//! JetStream stream `PASAR_EVENTS`, subject `pasar.<category>.<event_type>`, as JSON with
//! secrets redacted (`message.rs`). Other systems consume it; nothing in Pasar reads it back.
//!
//! **Not a projection.** It has an effect outside PostgreSQL, so it is not registered with the
//! [`Projector`](crate::Projector): a rebuild or replay never runs it. Its progress is its own
//! table, `rm.publisher_checkpoints` (one row per stream name, `checkpoint.rs`).
//!
//! **Exactly once in the stream**, even across crashes and NATS outages:
//! 1. One active publisher per database (session advisory lock [`LOCK_KEY`]); other
//!    instances stand by.
//! 2. Each message carries the event id as `Nats-Msg-Id` (the stream drops a repeat within its
//!    duplicate window of at least 10 minutes) *and* `Nats-Expected-Last-Sequence`: the server
//!    stores a message only if the stream ends where the publisher expects it to, so the
//!    stream can only grow by the next event in log order. A connection that drops mid-batch
//!    can lose some messages and deliver later ones (the client re-sends what it had queued);
//!    those later ones are then refused instead of leaving a gap or a reordering.
//! 3. A batch is published, every ack awaited, and only then the checkpoint committed.
//! 4. On start and after every failure the publisher reconciles: the stream's last message
//!    names its event (`Nats-Msg-Id`, `Pasar-Position`); if that is ahead of the checkpoint
//!    the checkpoint moves there. So a crash between the acks and the commit republishes
//!    nothing, however long the restart takes.
//!
//! The stream therefore belongs to the publisher: a message published into it by anyone else
//! (or by another database's publisher) stops this one with [`PublisherError::ForeignStream`]
//! rather than guess. Consumers still see at-least-once *delivery* and should dedupe on
//! `Nats-Msg-Id`.
//!
//! **NATS down** stops nothing else: the publisher runs in its own task with its own NATS
//! connection (`runner.rs`), retries with backoff, and resumes from its checkpoint;
//! projections, their announcements and the command side carry on.
//!
//! Start reading at [`Publisher::catch_up`] (reconcile, then batch after batch);
//! `stream.rs` is the JetStream side (stream set-up, subject filters, last message),
//! `metrics.rs` the lines on `/metrics`.

mod checkpoint;
mod message;
mod metrics;
mod runner;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use deadpool_postgres::Pool;
use pasar_events::{EventStore, Position, RecordedEvent, StoreError};
use tokio_util::sync::CancellationToken;

pub use checkpoint::{LOCK_KEY, Lag};
pub use message::{
    EVENT_TYPE_HEADER, POSITION_HEADER, REDACTED, REDACTED_FIELDS, SCHEMA_VERSION_HEADER,
    STREAM_HEADER, STREAM_VERSION_HEADER,
};
pub use metrics::{PublisherMetrics, observe as observe_metrics};
pub use runner::spawn;
pub use stream::DUPLICATE_WINDOW;

use crate::config::ConfigError;
use stream::StreamState;

pub const DEFAULT_STREAM: &str = "PASAR_EVENTS";
pub const DEFAULT_SUBJECT_PREFIX: &str = "pasar";
/// Events read, published and acknowledged per checkpoint commit.
pub const PUBLISH_BATCH: usize = 500;
/// Bounds each JetStream request and each awaited ack.
const NATS_TIMEOUT: Duration = Duration::from_secs(5);

/// The publisher's configuration, read by `projector run` beside [`crate::Config`] (whose
/// `NATS_URL` and `DATABASE_URL` it also uses).
#[derive(Debug, Clone, PartialEq)]
pub struct PublisherConfig {
    /// Whether `projector run` publishes integration events (`PUBLISHER_ENABLED`, default true).
    pub enabled: bool,
    /// The JetStream stream (`PUBLISHER_STREAM`, default `PASAR_EVENTS`); created if missing.
    /// It must be the publisher's alone (see the module doc).
    pub stream: String,
    /// First subject token(s) (`PUBLISHER_SUBJECT_PREFIX`, default `pasar`): subjects are
    /// `<prefix>.<category>.<event_type>`.
    pub subject_prefix: String,
}

impl Default for PublisherConfig {
    fn default() -> Self {
        PublisherConfig {
            enabled: true,
            stream: DEFAULT_STREAM.into(),
            subject_prefix: DEFAULT_SUBJECT_PREFIX.into(),
        }
    }
}

impl PublisherConfig {
    /// Reads `PUBLISHER_ENABLED`, `PUBLISHER_STREAM` and `PUBLISHER_SUBJECT_PREFIX`, with the
    /// defaults above.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`PublisherConfig::from_env`] with another source of variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let invalid = |variable, message: &str| ConfigError {
            variable,
            message: message.to_owned(),
        };
        let enabled = match get("PUBLISHER_ENABLED").as_deref() {
            None | Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(_) => return Err(invalid("PUBLISHER_ENABLED", "expected true or false")),
        };
        let stream = get("PUBLISHER_STREAM").unwrap_or_else(|| DEFAULT_STREAM.into());
        if stream
            .chars()
            .any(|c| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace())
        {
            return Err(invalid(
                "PUBLISHER_STREAM",
                "a stream name has no '.', '*', '>', slashes or spaces",
            ));
        }
        let subject_prefix =
            get("PUBLISHER_SUBJECT_PREFIX").unwrap_or_else(|| DEFAULT_SUBJECT_PREFIX.into());
        let bad_token = |t: &str| {
            t.is_empty()
                || t.chars()
                    .any(|c| matches!(c, '*' | '>') || c.is_whitespace())
        };
        if subject_prefix.split('.').any(bad_token) {
            return Err(invalid(
                "PUBLISHER_SUBJECT_PREFIX",
                "expected subject tokens without wildcards or spaces, such as pasar",
            ));
        }
        Ok(PublisherConfig {
            enabled,
            stream,
            subject_prefix,
        })
    }
}

/// Why publishing stopped. Every variant leaves the checkpoint at or behind what the stream
/// holds, so retrying (after reconciling) is always safe.
#[derive(Debug, thiserror::Error)]
pub enum PublisherError {
    #[error("reading the event log: {0}")]
    Store(#[from] StoreError),
    #[error("publisher database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("getting a database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// NATS unreachable, a request timed out, or JetStream refused a request.
    #[error("NATS JetStream, {action}: {source}")]
    JetStream {
        action: &'static str,
        #[source]
        source: async_nats::Error,
    },
    /// The stream did not end where the publisher expected (a publish lost in a dropped
    /// connection, or a second publisher); it reconciles and goes on.
    #[error("stream {stream} is out of step with the publisher: {detail}")]
    OutOfStep { stream: String, detail: String },
    /// The stream holds messages that are not this log's, or captures other subjects.
    #[error("stream {stream} is not this publisher's: {detail}")]
    ForeignStream { stream: String, detail: String },
    /// Another publisher moved the checkpoint.
    #[error("publisher checkpoint is at {actual}, expected {expected}")]
    CheckpointMoved {
        expected: Position,
        actual: Position,
    },
    #[error("log position {0} does not fit the checkpoint columns")]
    PositionOutOfRange(Position),
}

/// Wraps an async-nats error, naming what was being done.
fn jetstream_error<E>(action: &'static str) -> impl FnOnce(E) -> PublisherError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| PublisherError::JetStream {
        action,
        source: Box::new(e),
    }
}

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
    /// The checkpoint: every event up to here is in the stream.
    position: Position,
    stream: StreamState,
}

/// Publishes one database's log to one JetStream stream.
pub struct Publisher {
    store: Arc<dyn EventStore>,
    pool: Pool,
    jetstream: jetstream::Context,
    config: PublisherConfig,
    metrics: Arc<crate::metrics::Metrics>,
}

impl Publisher {
    /// Creates the checkpoint table and this stream's row if missing. Does not touch NATS.
    pub async fn new(
        store: Arc<dyn EventStore>,
        pool: Pool,
        jetstream: jetstream::Context,
        config: PublisherConfig,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Result<Self, PublisherError> {
        checkpoint::ensure(&mut pool.get().await?, &config.stream).await?;
        metrics.publisher.set_stream(&config.stream);
        Ok(Publisher {
            store,
            pool,
            jetstream,
            config,
            metrics,
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

    /// Reconciles with the stream, publishes everything readable now, then returns. Takes no
    /// lock (tests, tools); the sequence checks keep a concurrent publisher from doing harm.
    pub async fn catch_up(&self) -> Result<Published, PublisherError> {
        let mut cursor = self.reconcile().await?;
        self.publish_pending(&mut cursor, &CancellationToken::new())
            .await
    }

    /// Reads the stream's end and moves the checkpoint up to its last message if that is
    /// ahead (published, but the crash came before the commit).
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
        let position = if found > stored {
            let position = checkpoint::advance(&client, name, found, last.sequence).await?;
            tracing::info!(stream = %name, from = %stored, to = %position,
                "the stream was ahead of the publisher checkpoint; moved the checkpoint");
            position
        } else {
            stored
        };
        Ok(Cursor { position, stream })
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

    /// Publishes batch after batch until the log has nothing more (or `cancel` fires).
    async fn publish_pending(
        &self,
        cursor: &mut Cursor,
        cancel: &CancellationToken,
    ) -> Result<Published, PublisherError> {
        let mut published = Published {
            position: cursor.position,
            ..Published::default()
        };
        while !cancel.is_cancelled() {
            let events = self.store.read_all(cursor.position, PUBLISH_BATCH).await?;
            if events.is_empty() {
                break;
            }
            self.publish_batch(cursor, &events).await?;
            published.position = cursor.position;
            published.events += events.len() as u64;
            published.batches += 1;
        }
        Ok(published)
    }

    /// Publishes `events` (the log's next ones after `cursor`), awaits every ack, then
    /// commits the checkpoint. On error the checkpoint stays and the caller reconciles.
    async fn publish_batch(
        &self,
        cursor: &mut Cursor,
        events: &[RecordedEvent],
    ) -> Result<(), PublisherError> {
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
        let subjects = stream::cover(
            &self.jetstream,
            &self.config.stream,
            &cursor.stream,
            &needed,
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

        let last = events.last().map_or(cursor.position, |e| e.position);
        let client = self.pool.get().await?;
        checkpoint::commit(
            &client,
            &self.config.stream,
            cursor.position,
            last,
            sequence,
        )
        .await?;
        cursor.position = last;
        cursor.stream.last_sequence = sequence;
        tracing::debug!(stream = %self.config.stream, position = %last, sequence, events = events.len(), "batch published");
        Ok(())
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
                self.metrics.publisher.duplicate();
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
                self.metrics.publisher.stored();
                Ok(ack.sequence)
            }
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                Err(out_of_step(format!("expected it to end at {before}: {e}")))
            }
            Err(e) => Err(jetstream_error("awaiting a publish ack")(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_it_publishes_to_pasar_events_under_pasar() {
        let config = PublisherConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config, PublisherConfig::default());
        assert!(config.enabled);
        assert_eq!(config.stream, "PASAR_EVENTS");
        assert_eq!(config.subject_prefix, "pasar");
    }

    #[test]
    fn stream_and_prefix_come_from_the_environment() {
        let config = PublisherConfig::from_lookup(|name| match name {
            "PUBLISHER_ENABLED" => Some("false".into()),
            "PUBLISHER_STREAM" => Some("TEST_EVENTS".into()),
            "PUBLISHER_SUBJECT_PREFIX" => Some("test.a1".into()),
            _ => None,
        })
        .unwrap();
        assert!(!config.enabled);
        assert_eq!(config.stream, "TEST_EVENTS");
        assert_eq!(config.subject_prefix, "test.a1");
    }

    #[test]
    fn unusable_values_name_their_variable() {
        for (variable, value) in [
            ("PUBLISHER_ENABLED", "maybe"),
            ("PUBLISHER_STREAM", "PASAR.EVENTS"),
            ("PUBLISHER_SUBJECT_PREFIX", "pasar.>"),
            ("PUBLISHER_SUBJECT_PREFIX", "pasar..x"),
        ] {
            let error =
                PublisherConfig::from_lookup(|name| (name == variable).then(|| value.to_owned()))
                    .unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
        }
    }
}
