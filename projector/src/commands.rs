//! The operator commands besides `run`: `rebuild`, `drop-retired`, `events`, the publisher's
//! line of `status` and `reset-stream`. Each writes its report to `out` (stdout in `main`);
//! `main` parses the command line (clap).

use std::io::Write;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use pasar_events::postgres::PgEventStore;
use pasar_events::{EventStore, Metadata, RecordedEvent};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::publisher::{PublisherConfig, PublisherError};
use crate::rebuild::{RebuildOptions, Rebuilt};
use crate::{Config, connect, registry, slices};

/// `projector rebuild`: builds the next version of each named projection (or of every
/// replay-safe one) beside the live one and swaps it in.
pub async fn rebuild(
    config: &Config,
    names: &[String],
    all: bool,
    options: &RebuildOptions,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let names: Vec<String> = if all {
        slices::all()
            .iter()
            .filter(|p| p.replay_safe())
            .map(|p| p.name().to_owned())
            .collect()
    } else {
        names.to_vec()
    };
    if names.is_empty() {
        bail!("name a projection to rebuild, or --all");
    }
    let projector = connect(config).await?;
    for name in &names {
        let rebuilt = projector
            .rebuild(name, options)
            .await
            .with_context(|| format!("rebuilding {name}"))?;
        writeln!(out, "{}", describe(&rebuilt))?;
    }
    Ok(())
}

/// The publisher of `config`'s stream, connected to NATS (within a few seconds, or an error).
async fn publisher(
    config: &Config,
    publisher: &PublisherConfig,
) -> anyhow::Result<crate::publisher::Publisher> {
    let client = async_nats::ConnectOptions::new()
        .name("pasar-projector-cli")
        .connection_timeout(std::time::Duration::from_secs(3))
        .connect(pasar_service::nats_urls(&config.nats_url))
        .await
        .with_context(|| format!("connecting to NATS at {}", config.nats_url))?;
    let store = PgEventStore::connect(&config.database_url)
        .await
        .context("connecting to the event store")?;
    let pool = store.pool().clone();
    let metrics = std::sync::Arc::new(crate::publisher::PublisherMetrics::new(
        pasar_service::metrics::Registry::new(),
    ));
    Ok(crate::publisher::Publisher::new(
        std::sync::Arc::new(store),
        pool,
        crate::publisher::Publisher::jetstream(client),
        publisher.clone(),
        metrics,
    )
    .await?)
}

/// `projector status`'s publisher line: whether the JetStream stream is this log's.
pub async fn publisher_status(config: &Config, publisher_config: &PublisherConfig) -> String {
    let stream = &publisher_config.stream;
    if !publisher_config.enabled {
        return format!("publisher {stream}: disabled (PUBLISHER_ENABLED=false)\n");
    }
    let checked = async {
        let publisher = publisher(config, publisher_config).await?;
        publisher.check_stream().await?;
        anyhow::Ok(publisher.lag().await?)
    };
    match checked.await {
        Ok(lag) => format!(
            "publisher {stream}: ok, {} events behind the log\n",
            lag.events
        ),
        Err(e) => match e.downcast_ref::<PublisherError>() {
            Some(PublisherError::ForeignStream { .. }) => format!(
                "publisher {stream}: STUCK: {e}\n  if the database was created anew, run `projector reset-stream --yes`\n"
            ),
            _ => format!("publisher {stream}: unknown ({e:#})\n"),
        },
    }
}

/// `projector reset-stream --yes`: deletes the JetStream stream and publishes this log into a
/// new one from its first event.
pub async fn reset_stream(
    config: &Config,
    publisher_config: &PublisherConfig,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let stream = &publisher_config.stream;
    let publisher = publisher(config, publisher_config).await?;
    let deleted = publisher.reset_stream().await?;
    if deleted {
        writeln!(
            out,
            "deleted stream {stream}; this log will be published into a new one from its first event"
        )?;
    } else {
        writeln!(
            out,
            "no stream {stream} existed; this log will be published from its first event"
        )?;
    }
    Ok(())
}

/// One line per rebuilt projection, e.g.
/// `catalog: version 2 is live at 812-20000 (version 1 retired, tables dropped); 20000 events in 4 batches, 2.1 s (9524 events/s)`.
pub fn describe(rebuilt: &Rebuilt) -> String {
    let replaced = match (rebuilt.replaced, rebuilt.dropped) {
        (Some(old), true) => format!("version {old} retired, tables dropped"),
        (Some(old), false) => {
            format!("version {old} retired, tables kept until `projector drop-retired`")
        }
        (None, _) => "no previous version".to_owned(),
    };
    let seconds = rebuilt.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        rebuilt.events as f64 / seconds
    } else {
        0.0
    };
    format!(
        "{}: version {} is live at {} ({replaced}); {} events in {} batches, {seconds:.1} s ({rate:.0} events/s)",
        rebuilt.projection, rebuilt.version, rebuilt.position, rebuilt.events, rebuilt.batches
    )
}

pub async fn drop_retired(config: &Config, out: &mut impl Write) -> anyhow::Result<()> {
    let projector = connect(config).await?;
    let dropped = registry::drop_retired(&mut projector.pool().get().await?, None)
        .await
        .context("dropping retired versions")?;
    if dropped.is_empty() {
        writeln!(out, "no retired versions to drop")?;
    }
    for (name, version) in dropped {
        let schema = registry::schema_name(&name, version);
        writeln!(out, "{name}: dropped version {version} (schema {schema})")?;
    }
    Ok(())
}

/// `projector events <stream>`: every event of one stream, oldest first, as JSON lines.
pub async fn events(config: &Config, stream: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let store = PgEventStore::connect(&config.database_url)
        .await
        .context("connecting to the event store")?;
    let events = store
        .read_stream(stream, 1)
        .await
        .with_context(|| format!("reading stream {stream}"))?;
    for event in &events {
        writeln!(out, "{}", serde_json::to_string(&event_json(event))?)?;
    }
    Ok(())
}

/// An event as stored (payload not upcast), as `projector events` prints it; fields in this
/// order.
#[derive(Debug, Serialize)]
pub struct EventLine<'a> {
    pub event_id: Uuid,
    pub stream: &'a str,
    pub version: i64,
    /// `<txid>-<global>`, like a consistency token.
    pub position: String,
    #[serde(rename = "type")]
    pub event_type: &'a str,
    pub schema_version: i32,
    pub data: &'a Value,
    pub metadata: &'a Metadata,
    pub recorded_at: DateTime<Utc>,
}

pub fn event_json(event: &RecordedEvent) -> EventLine<'_> {
    EventLine {
        event_id: event.event_id,
        stream: &event.stream,
        version: event.stream_version,
        position: event.position.to_string(),
        event_type: &event.event_type,
        schema_version: event.schema_version,
        data: &event.data,
        metadata: &event.metadata,
        recorded_at: event.recorded_at,
    }
}
