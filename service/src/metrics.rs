//! Prometheus metrics through `metrics-exporter-prometheus`: one [`Registry`] per service
//! instance with ONE histogram bucket list ([`LATENCY_BUCKETS`]), the HTTP middleware
//! ([`track_http`]) and the `/metrics` text.
//!
//! Each service instance records into its own registry ([`Registry::scope`] runs the
//! `metrics` macros against it), so tests that start several services in one process see
//! only their own figures. The first registry of a process is also installed as the global
//! recorder ([`Registry::install_global`]), where library code (the event store's append
//! latency, command retries) records through the plain macros; in production a process runs
//! one service, so all its metrics come out of one registry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

/// Buckets of every `*_seconds` histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// How often histogram samples are drained into their buckets.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The route label of a request that matched no route (so raw paths never become labels).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The method label of a request whose method is not a standard one.
pub const OTHER_METHOD: &str = "other";

/// A service instance's metrics: cheap to clone, rendered as Prometheus text.
#[derive(Clone)]
pub struct Registry {
    recorder: Arc<PrometheusRecorder>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

impl Registry {
    /// An empty registry with the shared bucket list.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .expect("invariant: LATENCY_BUCKETS is not empty")
            .build_recorder();
        let registry = Registry {
            recorder: Arc::new(recorder),
        };
        registry.spawn_upkeep();
        registry
    }

    /// Histogram samples wait in a buffer until drained; without a periodic drain a service
    /// nobody scrapes would grow it without bound. The task ends with the last clone.
    fn spawn_upkeep(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // No runtime (a unit test): rendering drains as well.
        };
        let recorder = Arc::downgrade(&self.recorder);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(UPKEEP_INTERVAL).await;
                let Some(recorder) = recorder.upgrade() else {
                    return;
                };
                recorder.handle().run_upkeep();
            }
        });
    }

    /// Makes this registry the process's global recorder if none is installed yet (the
    /// first service of a process wins); returns whether it did.
    pub fn install_global(&self) -> bool {
        metrics::set_global_recorder(Arc::clone(&self.recorder)).is_ok()
    }

    /// Runs `record` with this registry as the recorder of the `metrics` macros.
    pub fn scope<T>(&self, record: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), record)
    }

    /// The Prometheus text exposition of everything recorded here.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }

    /// [`Registry::render`] as a `/metrics` response.
    pub fn response(&self) -> Response {
        self.text_response(self.render())
    }

    /// `body` (Prometheus text) as a `/metrics` response.
    pub fn text_response(&self, body: String) -> Response {
        ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
    }
}

/// The method as a label: the standard ones by name, anything else [`OTHER_METHOD`], so
/// invented methods cannot grow the label set.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => OTHER_METHOD,
    }
}

/// Middleware recording `pasar_http_requests_total{method,route,status}` and
/// `http_request_duration_seconds{route,method,status}` under the matched route template
/// (never the raw path). Add it with `axum::middleware::from_fn_with_state(registry, track_http)`.
pub async fn track_http(
    State(registry): State<Registry>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    registry.scope(|| {
        metrics::counter!(
            "pasar_http_requests_total",
            "method" => method, "route" => route.clone(), "status" => status.clone()
        )
        .increment(1);
        metrics::histogram!(
            "http_request_duration_seconds",
            "route" => route, "method" => method, "status" => status
        )
        .record(started.elapsed().as_secs_f64());
    });
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    fn app(registry: &Registry) -> Router {
        Router::new()
            .route("/items/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                registry.clone(),
                track_http,
            ))
    }

    async fn send(app: &Router, method: &str, path: &str) {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(request).await.unwrap();
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_template_in_their_own_registry() {
        let (mine, other) = (Registry::new(), Registry::new());
        send(&app(&mine), "GET", "/items/1").await;
        send(&app(&mine), "GET", "/items/2").await;
        let text = mine.render();
        assert!(
            text.contains(
                r#"pasar_http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(!other.render().contains("pasar_http_requests_total"));
    }

    #[tokio::test]
    async fn the_upkeep_task_ends_with_the_registry() {
        let registry = Registry::new();
        let weak = Arc::downgrade(&registry.recorder);
        drop(registry);
        assert!(
            weak.upgrade().is_none(),
            "the task holds no strong reference"
        );
    }

    #[tokio::test]
    async fn invented_methods_and_paths_add_no_series() {
        let registry = Registry::new();
        let app = app(&registry);
        send(&app, "BREW", "/items/1").await;
        send(&app, "BREW", "/nowhere/1").await;
        let before = registry.render().lines().count();
        for i in 0..200 {
            send(&app, &format!("M{i}"), &format!("/items/{i}")).await;
            send(&app, &format!("X{i}"), &format!("/nowhere/{i}")).await;
        }
        let after = registry.render();
        assert_eq!(after.lines().count(), before, "{after}");
        assert!(
            after.contains(r#"method="other",route="unmatched""#),
            "{after}"
        );
        assert!(
            !after.contains("M17") && !after.contains("/nowhere"),
            "{after}"
        );
    }
}
