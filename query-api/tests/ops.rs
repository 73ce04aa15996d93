use serde_json::Value;

use crate::support::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics_are_served() {
    let app = spawn_app().await;

    let health = app.get("/healthz", None, None).await;
    let ready: Value = app.get_json("/readyz", None).await;
    app.get("/v1/products", None, None).await;
    let metrics = app.get("/metrics", None, None).await.text().await.unwrap();

    assert_eq!(health.status(), 200);
    assert_eq!(ready["postgres"], "up");
    assert!(
        metrics.contains(
            r#"pasar_http_requests_total{method="GET",route="/v1/products",status="200"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("pasar_consistency_waiting 0"), "{metrics}");
    assert!(
        metrics.contains("# TYPE http_request_duration_seconds histogram"),
        "{metrics}"
    );
    let bucket = r#"http_request_duration_seconds_bucket{route="/v1/products",method="GET",status="200",le="#;
    assert!(
        metrics.lines().any(|line| line.starts_with(bucket)),
        "a latency histogram by route: {metrics}"
    );
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app.get("/v1/nothing-here", None, None).await;

    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn the_service_shuts_down_gracefully() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None, None).await.status(), 200);

    app.shut_down()
        .await
        .expect("run returns Ok after shutdown");
}

#[tokio::test]
async fn invented_methods_and_paths_add_no_lines_to_metrics() {
    let app = spawn_app().await;

    let after = pasar_service::testing::invented_methods_add_no_lines(
        &app.base,
        &["/v1/products/1", "/nowhere/1", "/nowhere/2"],
    )
    .await;

    assert!(
        after.contains(
            r#"pasar_http_requests_total{method="other",route="unmatched",status="404"} 135"#
        ),
        "{after}"
    );
    assert!(!after.contains("/nowhere"), "{after}");
}
