//! Prometheus metrics through [`pasar_service::metrics`]: requests and their latency by
//! route template (recorded by the shared middleware), consistency waits and the positions
//! this process last saw, set at scrape time.

use std::sync::atomic::Ordering;

use pasar_service::metrics::Registry;

use crate::consistency::Consistency;
use crate::synonyms::SynonymsFile;

/// This instance's metrics registry plus the figures read at scrape time.
#[derive(Debug, Default)]
pub struct Metrics {
    registry: Registry,
}

impl Metrics {
    /// Metrics recorded into `registry`.
    pub fn new(registry: Registry) -> Self {
        Metrics { registry }
    }

    /// The registry the HTTP middleware records into.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition of everything this instance counts.
    pub fn render(
        &self,
        consistency: &Consistency,
        nats_connected: bool,
        synonyms: Option<&SynonymsFile>,
    ) -> String {
        self.registry.scope(|| {
            if let Some(file) = synonyms {
                metrics::describe_counter!(
                    "pasar_search_synonyms_reloads_total",
                    "Versions of SEARCH_SYNONYMS_FILE applied (outcome=applied, the start's included) or refused (outcome=rejected)."
                );
                metrics::counter!("pasar_search_synonyms_reloads_total", "outcome" => "applied")
                    .absolute(file.applied.load(Ordering::Relaxed));
                metrics::counter!("pasar_search_synonyms_reloads_total", "outcome" => "rejected")
                    .absolute(file.rejected.load(Ordering::Relaxed));
            }
            metrics::describe_gauge!(
                "pasar_consistency_waiting",
                "Requests waiting for a consistency token."
            );
            metrics::gauge!("pasar_consistency_waiting").set(consistency.waiting() as f64);
            metrics::describe_counter!(
                "pasar_consistency_satisfied_total",
                "Waits that ended with the projections caught up."
            );
            metrics::counter!("pasar_consistency_satisfied_total")
                .absolute(consistency.satisfied.load(Ordering::Relaxed));
            metrics::describe_counter!("pasar_consistency_timeouts_total", "Waits that ended in 503.");
            metrics::counter!("pasar_consistency_timeouts_total")
                .absolute(consistency.timed_out.load(Ordering::Relaxed));
            metrics::describe_gauge!("pasar_nats_connected", "1 while the NATS connection is up.");
            metrics::gauge!("pasar_nats_connected").set(f64::from(u8::from(nats_connected)));
            metrics::describe_gauge!(
                "pasar_projection_known_position_global",
                "Checkpoints as this process last saw them."
            );
            for (projection, position) in consistency.known() {
                metrics::gauge!("pasar_projection_known_position_global", "projection" => projection)
                    .set(position.global as f64);
            }
        });
        self.registry.render()
    }
}
