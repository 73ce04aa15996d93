//! Prometheus metrics through [`pasar_service::metrics`]: counters recorded as batches commit,
//! positions and lag read from the checkpoints at scrape time and set as gauges.
//!
//! Every [`Metrics`] has its own registry (a projector and the tests that build several in one
//! process never mix figures); the HTTP middleware records into the same one.

use std::collections::BTreeSet;
use std::sync::Mutex;

use pasar_service::metrics::Registry;

use crate::registry::VersionState;
use crate::status::ProjectionStatus;

/// Counters shared by the projection tasks and the `/metrics` handler.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Versions being rebuilt at the last scrape, so a finished rebuild reports 0 left.
    building: Mutex<BTreeSet<(String, i32)>>,
    /// The integration-event publisher's counters (scrape-time gauges set by `publisher::observe_metrics`).
    pub publisher: std::sync::Arc<crate::publisher::PublisherMetrics>,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        describe(&registry);
        Metrics {
            publisher: std::sync::Arc::new(crate::publisher::PublisherMetrics::new(
                registry.clone(),
            )),
            registry,
            building: Mutex::default(),
        }
    }
}

/// The `# HELP` lines.
fn describe(registry: &Registry) {
    registry.scope(|| {
        use metrics::{describe_counter as counter, describe_gauge as gauge};
        gauge!(
            "pasar_projection_position_global",
            "Global sequence number of the last log event the projection covers."
        );
        gauge!(
            "pasar_projection_position_txid",
            "Transaction id of the last log event the projection covers."
        );
        gauge!(
            "pasar_projection_lag_events",
            "Events in the log after the projection's checkpoint."
        );
        gauge!(
            "pasar_projection_lag_seconds",
            "Age of the oldest log event the projection has not applied yet (0 when caught up)."
        );
        gauge!(
            "pasar_projection_version",
            "The projection's live version (bumped by each rebuild)."
        );
        gauge!(
            "pasar_projection_checkpoint_timestamp_seconds",
            "When the projection's checkpoint last moved (by any instance)."
        );
        gauge!(
            "pasar_projection_rebuild_lag_events",
            "Events a version being rebuilt still has to apply."
        );
        counter!(
            "pasar_projection_events_total",
            "Events this process projected."
        );
        counter!(
            "pasar_projection_batches_total",
            "Batches this process committed."
        );
        counter!(
            "pasar_projection_errors_total",
            "Failed batches (rolled back, retried)."
        );
        gauge!(
            "pasar_projection_active",
            "1 while this process is the projection's active instance."
        );
        gauge!("pasar_nats_connected", "1 while the NATS connection is up.");
    });
}

impl Metrics {
    /// The registry this projector records into (and its HTTP middleware).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn batch_committed(&self, projection: &str, events: usize) {
        let projection = projection.to_owned();
        self.registry.scope(|| {
            metrics::counter!("pasar_projection_events_total", "projection" => projection.clone())
                .increment(events as u64);
            metrics::counter!("pasar_projection_batches_total", "projection" => projection)
                .increment(1);
        });
    }

    pub(crate) fn failed(&self, projection: &str) {
        let projection = projection.to_owned();
        self.registry.scope(|| {
            metrics::counter!("pasar_projection_errors_total", "projection" => projection)
                .increment(1);
        });
    }

    pub(crate) fn set_active(&self, projection: &str, active: bool) {
        let projection = projection.to_owned();
        self.registry.scope(|| {
            metrics::gauge!("pasar_projection_active", "projection" => projection)
                .set(f64::from(u8::from(active)));
        });
    }

    /// Sets the gauges read at scrape time (live versions keep the plain `projection` label;
    /// building ones have their own family, so lag alerts never mix the two) and renders
    /// the Prometheus text.
    pub fn render(&self, statuses: &[ProjectionStatus], nats_connected: bool) -> String {
        let mut building = self
            .building
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let finished = std::mem::take(&mut *building);
        self.registry.scope(|| {
            for status in statuses {
                match status.state {
                    VersionState::Live => set_live(status),
                    VersionState::Building => {
                        building.insert((status.name.clone(), status.version));
                        rebuild_lag(&status.name, status.version, status.lag as f64);
                    }
                    VersionState::Retired => {}
                }
            }
            for (name, version) in finished.difference(&building) {
                rebuild_lag(name, *version, 0.0);
            }
            metrics::gauge!("pasar_nats_connected").set(f64::from(u8::from(nats_connected)));
        });
        drop(building);
        self.registry.render()
    }
}

fn set_live(status: &ProjectionStatus) {
    let labels = [("projection", status.name.clone())];
    let updated = status.updated_at.map_or(0, |t| t.timestamp());
    let figures = [
        (
            "pasar_projection_position_global",
            status.position.global as f64,
        ),
        (
            "pasar_projection_position_txid",
            status.position.txid as f64,
        ),
        ("pasar_projection_lag_events", status.lag as f64),
        ("pasar_projection_lag_seconds", status.lag_seconds),
        ("pasar_projection_version", f64::from(status.version)),
        (
            "pasar_projection_checkpoint_timestamp_seconds",
            updated as f64,
        ),
    ];
    for (name, value) in figures {
        metrics::gauge!(name, &labels).set(value);
    }
}

fn rebuild_lag(name: &str, version: i32, lag: f64) {
    metrics::gauge!(
        "pasar_projection_rebuild_lag_events",
        "projection" => name.to_owned(), "version" => version.to_string()
    )
    .set(lag);
}
