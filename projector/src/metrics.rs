//! Prometheus metrics: in-process counters plus positions and lag read at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::registry::VersionState;
use crate::status::ProjectionStatus;

/// What this process did for one projection since it started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionStats {
    /// Events applied (including those of other categories that only moved the checkpoint).
    pub events: u64,
    pub batches: u64,
    pub errors: u64,
    /// Whether this process holds the projection's lock (is the active instance).
    pub active: bool,
    pub last_commit: Option<DateTime<Utc>>,
}

/// Counters shared by the projection tasks and the `/metrics` handler.
#[derive(Debug, Default)]
pub struct Metrics {
    stats: Mutex<BTreeMap<String, ProjectionStats>>,
    /// The integration-event publisher's counters (rendered by `publisher::render_metrics`).
    pub publisher: crate::publisher::PublisherMetrics,
}

impl Metrics {
    fn update(&self, projection: &str, change: impl FnOnce(&mut ProjectionStats)) {
        // A poisoned lock only means a panic elsewhere mid-update; the counters stay usable.
        let mut stats = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(stats.entry(projection.to_owned()).or_default());
    }

    pub(crate) fn batch_committed(&self, projection: &str, events: usize) {
        self.update(projection, |s| {
            s.events += events as u64;
            s.batches += 1;
            s.last_commit = Some(Utc::now());
        });
    }

    pub(crate) fn failed(&self, projection: &str) {
        self.update(projection, |s| s.errors += 1);
    }

    pub(crate) fn set_active(&self, projection: &str, active: bool) {
        self.update(projection, |s| s.active = active);
    }

    /// A copy of the counters, by projection name.
    pub fn snapshot(&self) -> BTreeMap<String, ProjectionStats> {
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Renders the Prometheus text exposition.
pub fn render(
    stats: &BTreeMap<String, ProjectionStats>,
    statuses: &[ProjectionStatus],
    nats_connected: bool,
) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, values: Vec<(String, String)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (projection, value) in values {
            let _ = writeln!(out, "{name}{{projection=\"{projection}\"}} {value}");
        }
    };
    // Live versions keep the plain `projection` label; building ones (a rebuild in progress)
    // get their own families, so dashboards and alerts on lag never mix the two.
    let live: Vec<&ProjectionStatus> = statuses
        .iter()
        .filter(|s| s.state == VersionState::Live)
        .collect();
    let per_status = |f: &dyn Fn(&ProjectionStatus) -> String| -> Vec<(String, String)> {
        live.iter().map(|s| (s.name.clone(), f(s))).collect()
    };
    family(
        "pasar_projection_position_global",
        "gauge",
        "Global sequence number of the last log event the projection covers.",
        per_status(&|s| s.position.global.to_string()),
    );
    family(
        "pasar_projection_position_txid",
        "gauge",
        "Transaction id of the last log event the projection covers.",
        per_status(&|s| s.position.txid.to_string()),
    );
    family(
        "pasar_projection_lag_events",
        "gauge",
        "Events in the log after the projection's checkpoint.",
        per_status(&|s| s.lag.to_string()),
    );
    family(
        "pasar_projection_lag_seconds",
        "gauge",
        "Age of the oldest log event the projection has not applied yet (0 when caught up).",
        per_status(&|s| format!("{:.3}", s.lag_seconds)),
    );
    family(
        "pasar_projection_version",
        "gauge",
        "The projection's live version (bumped by each rebuild).",
        per_status(&|s| s.version.to_string()),
    );
    family(
        "pasar_projection_checkpoint_timestamp_seconds",
        "gauge",
        "When the projection's checkpoint last moved (by any instance).",
        per_status(&|s| s.updated_at.map_or(0, |t| t.timestamp()).to_string()),
    );
    let building: Vec<&ProjectionStatus> = statuses
        .iter()
        .filter(|s| s.state == VersionState::Building)
        .collect();
    let mut rebuilding = String::new();
    let _ = writeln!(
        rebuilding,
        "# HELP pasar_projection_rebuild_lag_events Events a version being rebuilt still has to apply.\n\
         # TYPE pasar_projection_rebuild_lag_events gauge"
    );
    for s in &building {
        let _ = writeln!(
            rebuilding,
            "pasar_projection_rebuild_lag_events{{projection=\"{}\",version=\"{}\"}} {}",
            s.name, s.version, s.lag
        );
    }
    let per_stats = |f: &dyn Fn(&ProjectionStats) -> u64| -> Vec<(String, String)> {
        stats
            .iter()
            .map(|(name, s)| (name.clone(), f(s).to_string()))
            .collect()
    };
    family(
        "pasar_projection_events_total",
        "counter",
        "Events this process projected.",
        per_stats(&|s| s.events),
    );
    family(
        "pasar_projection_batches_total",
        "counter",
        "Batches this process committed.",
        per_stats(&|s| s.batches),
    );
    family(
        "pasar_projection_errors_total",
        "counter",
        "Failed batches (rolled back, retried).",
        per_stats(&|s| s.errors),
    );
    family(
        "pasar_projection_active",
        "gauge",
        "1 while this process is the projection's active instance.",
        per_stats(&|s| u64::from(s.active)),
    );
    out.push_str(&rebuilding);
    let _ = writeln!(
        out,
        "# HELP pasar_nats_connected 1 while the NATS connection is up.\n# TYPE pasar_nats_connected gauge\n\
         pasar_nats_connected {}",
        u8::from(nats_connected)
    );
    out
}
