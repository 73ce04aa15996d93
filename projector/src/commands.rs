//! The operator commands besides `run` and `status`: `rebuild`, `drop-retired` and `events`.
//! Each writes its report to `out` (stdout in `main`).

use std::io::Write;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use pasar_events::postgres::PgEventStore;
use pasar_events::{EventStore, Metadata, RecordedEvent};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::rebuild::{RebuildOptions, Rebuilt};
use crate::{Config, connect, registry, slices};

pub const USAGE: &str = "usage: projector [run]
       projector status
       projector rebuild (<projection>… | --all) [--keep-retired] [--batch-size <n>]
       projector drop-retired
       projector events <stream>";

/// Runs `args` (the command line without the program name). Fails on an unknown command.
pub async fn run(config: &Config, args: &[String], out: &mut impl Write) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("rebuild") => rebuild(config, &args[1..], out).await,
        Some("drop-retired") => drop_retired(config, out).await,
        Some("events") => match &args[1..] {
            [stream] => events(config, stream, out).await,
            _ => bail!("projector events takes one stream name\n{USAGE}"),
        },
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

async fn rebuild(config: &Config, args: &[String], out: &mut impl Write) -> anyhow::Result<()> {
    let mut options = RebuildOptions::default();
    let mut names = Vec::new();
    let mut all = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--all" => all = true,
            "--keep-retired" => options.keep_retired = true,
            "--batch-size" => {
                options.batch_size = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .context("--batch-size takes a positive number")?;
            }
            flag if flag.starts_with('-') => bail!("unknown option {flag}\n{USAGE}"),
            name => names.push(name.to_owned()),
        }
    }
    if all {
        names = slices::all()
            .iter()
            .filter(|p| p.replay_safe())
            .map(|p| p.name().to_owned())
            .collect();
    }
    if names.is_empty() {
        bail!("name a projection to rebuild, or --all\n{USAGE}");
    }
    let projector = connect(config).await?;
    for name in &names {
        let rebuilt = projector
            .rebuild(name, &options)
            .await
            .with_context(|| format!("rebuilding {name}"))?;
        writeln!(out, "{}", describe(&rebuilt))?;
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

async fn drop_retired(config: &Config, out: &mut impl Write) -> anyhow::Result<()> {
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
async fn events(config: &Config, stream: &str, out: &mut impl Write) -> anyhow::Result<()> {
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
