//! Prometheus metrics: requests by route and status, a latency histogram by route (the
//! `metrics` facade with the Prometheus exporter, as in the command API), and consistency
//! waits.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::consistency::Consistency;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder for the latency histogram once (later calls reuse it;
/// tests start many apps in one process, so the histogram counts all of them).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .expect("invariant: bucket list is not empty")
                .install_recorder()
                .expect("invariant: the recorder is installed once per process")
        })
        .clone()
}

/// Request counters of this app keyed by (method, route template, status).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        drop(requests);
        let labels = [
            ("route", route.to_owned()),
            ("method", method.to_owned()),
            ("status", status.to_string()),
        ];
        metrics::histogram!("http_request_duration_seconds", &labels).record(seconds);
    }

    /// The Prometheus text exposition of everything this process counts.
    pub fn render(&self, consistency: &Consistency, nats_connected: bool) -> String {
        let mut out = String::new();
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        out.push_str("# HELP pasar_http_requests_total Requests answered.\n# TYPE pasar_http_requests_total counter\n");
        for ((method, route, status), count) in &requests {
            let _ = writeln!(
                out,
                "pasar_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        let gauges = [
            (
                "pasar_consistency_waiting",
                "gauge",
                "Requests waiting for a consistency token.",
                consistency.waiting() as u64,
            ),
            (
                "pasar_consistency_satisfied_total",
                "counter",
                "Waits that ended with the projections caught up.",
                consistency.satisfied.load(Ordering::Relaxed),
            ),
            (
                "pasar_consistency_timeouts_total",
                "counter",
                "Waits that ended in 503.",
                consistency.timed_out.load(Ordering::Relaxed),
            ),
            (
                "pasar_nats_connected",
                "gauge",
                "1 while the NATS connection is up.",
                u64::from(nats_connected),
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out.push_str(
            "# HELP pasar_projection_known_position_global Checkpoints as this process last saw them.\n\
             # TYPE pasar_projection_known_position_global gauge\n",
        );
        for (projection, position) in consistency.known() {
            let _ = writeln!(
                out,
                "pasar_projection_known_position_global{{projection=\"{projection}\"}} {}",
                position.global
            );
        }
        // http_request_duration_seconds{route,method,status}: buckets, sum and count.
        if let Some(handle) = HANDLE.get() {
            out.push_str(&handle.render());
        }
        out
    }
}

/// Middleware counting every request under its route template (not its raw path, so ids do
/// not explode the label set).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
