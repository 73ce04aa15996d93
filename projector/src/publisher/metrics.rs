//! The publisher's lines on the projector's `/metrics`: counters kept in process, lag read
//! from PostgreSQL at scrape time.

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use deadpool_postgres::Pool;

use super::checkpoint::{self, Lag};

/// What this process's publisher did since it started. Lives in [`crate::metrics::Metrics`].
#[derive(Debug, Default)]
pub struct PublisherMetrics {
    /// The JetStream stream, once a publisher runs in this process (unset: no lines at all).
    stream: OnceLock<String>,
    published: AtomicU64,
    duplicates: AtomicU64,
    errors: AtomicU64,
    active: AtomicBool,
}

impl PublisherMetrics {
    pub(crate) fn set_stream(&self, stream: &str) {
        let _ = self.stream.set(stream.to_owned());
    }

    pub(crate) fn stored(&self) {
        self.published.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_active(&self, active: bool) {
        self.active.store(active, Ordering::Relaxed);
    }

    /// Messages the stream stored for this process (acknowledged, not duplicates).
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }
}

/// The Prometheus text for the publisher; empty when none runs in this process. Lag comes
/// from the checkpoint row, so every instance reports the active one's progress.
pub async fn render(pool: &Pool, metrics: &PublisherMetrics) -> String {
    let Some(stream) = metrics.stream.get() else {
        return String::new();
    };
    let lag = match pool.get().await {
        Ok(client) => checkpoint::lag(&client, stream)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let lag = lag.unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not read the publisher checkpoint for /metrics");
        Lag {
            events: -1,
            seconds: -1.0,
            ..Lag::default()
        }
    });
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{stream=\"{stream}\"}} {value}"
        );
    };
    line(
        "pasar_publisher_lag_events",
        "gauge",
        "Events in the log after the publisher's checkpoint (-1: unknown).",
        lag.events.to_string(),
    );
    line(
        "pasar_publisher_lag_seconds",
        "gauge",
        "Age of the oldest event not yet published; 0 when caught up (-1: unknown).",
        format!("{:.3}", lag.seconds),
    );
    line(
        "pasar_publisher_position_global",
        "gauge",
        "Global sequence number of the last event the stream acknowledged.",
        lag.position.global.to_string(),
    );
    line(
        "pasar_publisher_published_total",
        "counter",
        "Events this process published (stored by the stream, duplicates excluded).",
        metrics.published().to_string(),
    );
    line(
        "pasar_publisher_duplicates_total",
        "counter",
        "Publishes the stream dropped as repeats (Nats-Msg-Id within the duplicate window).",
        metrics.duplicates.load(Ordering::Relaxed).to_string(),
    );
    line(
        "pasar_publisher_errors_total",
        "counter",
        "Failed publish attempts (NATS down, stream out of step); each is retried.",
        metrics.errors.load(Ordering::Relaxed).to_string(),
    );
    line(
        "pasar_publisher_active",
        "gauge",
        "1 while this process is the active publisher.",
        u8::from(metrics.active.load(Ordering::Relaxed)).to_string(),
    );
    out
}
