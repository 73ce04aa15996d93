use serde_json::Value;
use uuid::Uuid;

use crate::support::fixtures::NewProduct;
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
async fn shutting_down_lets_a_request_in_flight_finish() {
    // Arrange: a read waiting on a consistency token that the projector has not reached.
    let app = spawn_app().await;
    let product = NewProduct::new(Uuid::new_v4(), 8_000);
    let written = app.list_product(&product, 0).await;
    let reader = {
        let (http, url, token) = (
            app.http.clone(),
            format!("{}/v1/products/{}", app.base, product.id),
            written.to_string(),
        );
        tokio::spawn(async move {
            http.get(url)
                .header("X-Consistency-Token", token)
                .send()
                .await
        })
    };
    app.until_waiting(1).await;

    // Act: shut down while it waits.
    let stopped = tokio::spawn(app.shut_down());

    // Assert: the request still gets a whole answer (its wait ends in 503 with Retry-After,
    // never a dropped connection), and the server returns once it has.
    let response = reader
        .await
        .unwrap()
        .expect("the request in flight was answered");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    stopped
        .await
        .unwrap()
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
