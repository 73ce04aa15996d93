//! Prometheus metrics: requests by route and status, and consistency waits.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::consistency::Consistency;

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    count: u64,
    seconds: f64,
}

/// Request counters keyed by (method, route template, status).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, String, u16), Counter>>,
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let counter = requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        counter.count += 1;
        counter.seconds += seconds;
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
        for ((method, route, status), c) in &requests {
            let _ = writeln!(
                out,
                "pasar_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                c.count
            );
        }
        out.push_str(
            "# HELP pasar_http_request_duration_seconds_sum Time spent answering.\n\
             # TYPE pasar_http_request_duration_seconds_sum counter\n",
        );
        for ((method, route, status), c) in &requests {
            let _ = writeln!(
                out,
                "pasar_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                c.seconds
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
