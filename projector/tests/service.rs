use std::time::Duration;

use futures::StreamExt;
use pasar_events::postgres::PgEventStore;
use pasar_events::types::{DomainEvent, streams};
use pasar_events::{EventStore, ExpectedVersion, Metadata, Position};
use pasar_projector::Config;
use tokio_postgres::{AsyncMessage, NoTls};
use uuid::Uuid;

use crate::support::TestDb;
use crate::support::fixtures::product_listed;

/// Resolves once `projection` announces a checkpoint at or beyond `target`.
async fn announced(
    notifications: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    projection: &str,
    target: Position,
) {
    while let Some(payload) = notifications.recv().await {
        let Some((name, position)) = payload.split_once(' ') else {
            continue;
        };
        if name == projection && position.parse::<Position>().is_ok_and(|p| p >= target) {
            return;
        }
    }
}

#[tokio::test]
async fn the_service_projects_live_and_reports_health_metrics_and_status() {
    // Arrange
    let db = TestDb::create().await;
    let config = Config {
        database_url: db.url.clone(),
        nats_url: "nats://127.0.0.1:4222".into(),
        addr: "127.0.0.1:0".parse().unwrap(),
    };
    let store = PgEventStore::connect(&db.url).await.unwrap();
    let (client, mut connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    let (tx, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message {
                let _ = tx.send(n.payload().to_owned());
            }
        }
    });
    client
        .batch_execute("LISTEN pasar_checkpoints")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(pasar_projector::run(config.clone(), listener, async move {
        let _ = stopped.await;
    }));

    // Act: an event appended while the service runs is projected without anyone asking.
    let product = Uuid::new_v4();
    let event = product_listed(product, Uuid::new_v4(), 9_000)
        .to_new_event(Uuid::new_v4(), Metadata::default());
    let appended = store
        .append(
            &streams::product(product),
            ExpectedVersion::NoStream,
            vec![event],
        )
        .await
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        announced(&mut notifications, "catalog", appended.position),
    )
    .await
    .expect("the live projector announces the catalog checkpoint");

    // Assert
    let http = reqwest::Client::new();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["postgres"], "up");
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let position_line = format!(
        "pasar_projection_position_global{{projection=\"catalog\"}} {}",
        appended.position.global
    );
    assert!(metrics.contains(&position_line), "{metrics}");
    for line in [
        "pasar_projection_lag_events{projection=\"catalog\"} 0",
        "pasar_projection_lag_seconds{projection=\"catalog\"} 0",
        "pasar_projection_version{projection=\"catalog\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    // The /readyz request above was timed by route.
    assert!(
        metrics.contains(
            r#"http_request_duration_seconds_count{route="/readyz",method="GET",status="200"}"#
        ),
        "HTTP latency histogram in {metrics}"
    );
    let status = pasar_projector::status_report(&config).await.unwrap();
    for name in ["catalog", "carts", "orders", "payments"] {
        assert!(status.contains(name), "{status}");
    }
    assert!(status.contains(&appended.position.to_string()), "{status}");

    stop.send(()).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(20), service)
        .await
        .expect("graceful shutdown");
    outcome.unwrap().unwrap();
}

#[tokio::test]
async fn invented_methods_and_paths_add_no_lines_to_metrics() {
    // Arrange
    let db = TestDb::create().await;
    let config = Config {
        database_url: db.url.clone(),
        nats_url: "nats://127.0.0.1:4222".into(),
        addr: "127.0.0.1:0".parse().unwrap(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pasar_projector::run(config, listener, async move {
        let _ = stopped.await;
    }));

    // Act (the helper asserts that no line was added)
    let after =
        pasar_service::testing::invented_methods_add_no_lines(&base, &["/healthz", "/nowhere"])
            .await;

    // Assert
    assert!(
        after.contains(
            r#"pasar_http_requests_total{method="other",route="/healthz",status="405"} 101"#
        ),
        "{after}"
    );
}
