//! The publisher's lines on the projector's `/metrics`: counters recorded as messages are
//! stored, lag read from PostgreSQL at scrape time. They live in the projector's registry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use deadpool_postgres::Pool;
use pasar_service::metrics::Registry;

use super::checkpoint::{self, Lag};

/// What this process's publisher did since it started. Lives in [`crate::metrics::Metrics`].
#[derive(Debug)]
pub struct PublisherMetrics {
    registry: Registry,
    /// The JetStream stream, once a publisher runs in this process (unset: no lines at all).
    stream: OnceLock<String>,
    /// Also counted in the registry; kept here so callers can read it.
    published: AtomicU64,
    /// Why the publisher cannot publish at all (a stream holding another log), with what to
    /// do; `/readyz` reports it. Cleared by the next successful batch.
    problem: Mutex<Option<String>>,
}

impl PublisherMetrics {
    /// Publisher metrics recorded into `registry`.
    pub fn new(registry: Registry) -> Self {
        PublisherMetrics {
            registry,
            stream: OnceLock::new(),
            published: AtomicU64::new(0),
            problem: Mutex::new(None),
        }
    }

    pub(crate) fn set_problem(&self, problem: Option<String>) {
        *self
            .problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = problem;
    }

    /// What keeps the publisher from publishing, if anything.
    pub fn problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs `record` against the registry with the stream label, once a stream is set.
    fn record(&self, record: impl FnOnce(&[(&'static str, String); 1])) {
        if let Some(stream) = self.stream.get() {
            let labels = [("stream", stream.clone())];
            self.registry.scope(|| record(&labels));
        }
    }

    pub(crate) fn set_stream(&self, stream: &str) {
        if self.stream.set(stream.to_owned()).is_err() {
            return;
        }
        self.registry.scope(describe);
        // Every line shows from the start, zero until something happens.
        self.record(|labels| {
            for name in COUNTERS {
                metrics::counter!(name, labels).absolute(0);
            }
            metrics::gauge!("pasar_publisher_active", labels).set(0.0);
        });
    }

    pub(crate) fn stored(&self) {
        self.published.fetch_add(1, Ordering::Relaxed);
        self.record(|l| metrics::counter!("pasar_publisher_published_total", l).increment(1));
    }

    pub(crate) fn duplicate(&self) {
        self.record(|l| metrics::counter!("pasar_publisher_duplicates_total", l).increment(1));
    }

    pub(crate) fn failed(&self) {
        self.record(|l| metrics::counter!("pasar_publisher_errors_total", l).increment(1));
    }

    pub(crate) fn set_active(&self, active: bool) {
        self.record(|l| {
            metrics::gauge!("pasar_publisher_active", l).set(f64::from(u8::from(active)));
        });
    }

    /// Messages the stream stored for this process (acknowledged, not duplicates).
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }
}

const COUNTERS: [&str; 3] = [
    "pasar_publisher_published_total",
    "pasar_publisher_duplicates_total",
    "pasar_publisher_errors_total",
];

fn describe() {
    use metrics::{describe_counter as counter, describe_gauge as gauge};
    gauge!(
        "pasar_publisher_lag_events",
        "Events in the log after the publisher's checkpoint (-1: unknown)."
    );
    gauge!(
        "pasar_publisher_lag_seconds",
        "Age of the oldest event not yet published; 0 when caught up (-1: unknown)."
    );
    gauge!(
        "pasar_publisher_position_global",
        "Global sequence number of the last event the stream acknowledged."
    );
    counter!(
        "pasar_publisher_published_total",
        "Events this process published (stored by the stream, duplicates excluded)."
    );
    counter!(
        "pasar_publisher_duplicates_total",
        "Publishes the stream dropped as repeats (Nats-Msg-Id within the duplicate window)."
    );
    counter!(
        "pasar_publisher_errors_total",
        "Failed publish attempts (NATS down, stream out of step); each is retried."
    );
    gauge!(
        "pasar_publisher_active",
        "1 while this process is the active publisher."
    );
}

/// Brings the publisher's scrape-time gauges up to date; nothing when no publisher runs in
/// this process. Lag comes from the checkpoint row, so every instance reports the active
/// one's progress.
pub async fn observe(pool: &Pool, metrics: &PublisherMetrics) {
    let Some(stream) = metrics.stream.get() else {
        return;
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
    metrics.record(|l| {
        metrics::gauge!("pasar_publisher_lag_events", l).set(lag.events as f64);
        metrics::gauge!("pasar_publisher_lag_seconds", l).set(lag.seconds);
        metrics::gauge!("pasar_publisher_position_global", l).set(lag.position.global as f64);
    });
}
