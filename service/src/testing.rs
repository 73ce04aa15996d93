//! What every service's tests share (feature `testing`): throwaway databases ([`TestDb`],
//! [`drop_database`]) and what `/metrics` does when a client invents methods and paths.

mod database;

pub use database::{TestDb, drop_database, drop_database_blocking, try_drop_database};

use std::time::Duration;

use reqwest::Method;

/// Requests with invented methods sent by [`invented_methods_add_no_lines`].
pub const INVENTED_REQUESTS: usize = 200;

async fn scrape(http: &reqwest::Client, base: &str) -> String {
    let response = http.get(format!("{base}/metrics")).send().await;
    response
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text")
}

async fn send(http: &reqwest::Client, base: &str, i: usize, path: &str) {
    let method = Method::from_bytes(format!("BREW{i}").as_bytes()).expect("a method token");
    http.request(method, format!("{base}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("a request with an invented method is answered");
}

/// Against the service at `base`: sends one request with an invented method to each of
/// `paths`, then [`INVENTED_REQUESTS`] more with other invented methods over the same paths,
/// and asserts that `/metrics` gained no HTTP lines and shows no invented name; also that it
/// counts this service alone (its own `GET /metrics` once). Returns the last scrape for
/// service-specific checks.
pub async fn invented_methods_add_no_lines(base: &str, paths: &[&str]) -> String {
    // Arrange: every series the invented requests touch exists once.
    let http = reqwest::Client::new();
    for (i, path) in paths.iter().enumerate() {
        send(&http, base, i, path).await;
    }
    scrape(&http, base).await;
    let before = scrape(&http, base).await;

    // Act
    for i in 0..INVENTED_REQUESTS {
        let path = paths[i % paths.len()];
        send(&http, base, paths.len() + i, path).await;
    }
    let after = scrape(&http, base).await;

    // Assert
    let own = r#"pasar_http_requests_total{method="GET",route="/metrics",status="200"} 1"#;
    assert!(
        before.lines().any(|l| l == own),
        "this instance's own count, from its own registry: {before}"
    );
    assert!(!after.contains("BREW"), "{after}");
    let http_lines = |text: &str| text.lines().filter(|l| l.contains("http_")).count();
    assert_eq!(http_lines(&after), http_lines(&before), "{after}");
    after
}
