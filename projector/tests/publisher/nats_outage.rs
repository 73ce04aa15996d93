//! NATS stopped while the log grows: projections go on, the publisher catches up once NATS
//! is back.

use std::time::Duration;

use pasar_events::postgres::PgEventStore;

use super::sigkill::publisher_checkpoint;
use super::support::{
    Consumer, NatsServer, ProjectorProcess, append_widgets, assert_exactly_once_in_log_order,
};
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nats_down_projections_go_on_and_every_event_arrives_exactly_once_when_it_is_back() {
    // Arrange: a stream name and subject prefix of this test's own (PUBLISHER_*).
    let mut nats = NatsServer::start().await;
    let db = TestDb::create().await;
    let store = PgEventStore::connect(&db.url).await.expect("event store");
    let env = [
        ("PUBLISHER_STREAM", "OUTAGE_EVENTS"),
        ("PUBLISHER_SUBJECT_PREFIX", "outage"),
    ];
    let projector = ProjectorProcess::start(&db.url, &nats.url, &env).await;
    let consumer = Consumer::start(nats.url.clone(), "OUTAGE_EVENTS");
    append_widgets(&store, 10, 500, 5, 2).await;
    consumer.wait_for(500, Duration::from_secs(60)).await;

    // Act: NATS dies (SIGKILL); 1,000 more events are appended.
    nats.kill();
    let head = append_widgets(&store, 10, 1_000, 5, 2).await;

    // Assert, NATS still down: the projections follow the log, the projector is ready, and
    // the publisher reports exactly those 1,000 events as its lag.
    wait_until_projections_reach(&db.url, head).await;
    let ready = reqwest::get(format!("{}/readyz", projector.base_url))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let lag_line = "pasar_publisher_lag_events{stream=\"OUTAGE_EVENTS\"} 1000";
    wait_for_metric(&projector, lag_line).await;

    // Act: NATS comes back on the same port and store.
    nats.restart().await;
    consumer.wait_for(1_500, Duration::from_secs(90)).await;

    // Assert
    tokio::time::sleep(Duration::from_secs(1)).await;
    let redeliveries = assert_exactly_once_in_log_order(&consumer.deliveries(), 1_500);
    eprintln!("consumer redeliveries around the outage: {redeliveries}");
    let jetstream = async_nats::jetstream::new(nats.client().await);
    let stream = jetstream.get_stream("OUTAGE_EVENTS").await.unwrap();
    assert_eq!(stream.cached_info().state.messages, 1_500);
    assert_eq!(
        publisher_checkpoint(&db.url, "OUTAGE_EVENTS").await,
        (head.txid as i64, head.global)
    );
    wait_for_metric(
        &projector,
        "pasar_publisher_lag_events{stream=\"OUTAGE_EVENTS\"} 0",
    )
    .await;
    // The per-process counter counts the acks this process received. Publishes the NATS
    // client buffered during the outage can be stored without their acks arriving (the
    // request timed out first); reconciliation then finds them in the stream and moves on
    // without publishing them again. So the counter may be lower than the stream's count,
    // which is what "exactly once" means and is asserted above; it is never higher.
    let metrics = projector.metrics().await;
    let published: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("pasar_publisher_published_total{stream=\"OUTAGE_EVENTS\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no published counter in\n{metrics}"));
    assert!((500..=1_500).contains(&published), "published {published}");
}

async fn wait_until_projections_reach(database_url: &str, head: pasar_events::Position) {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let behind = format!(
        "SELECT count(*) FROM rm.projection_checkpoints
         WHERE name NOT LIKE 'publisher.%' AND (txid, global) < ({}, {})",
        head.txid, head.global
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let count: i64 = client.query_one(&behind, &[]).await.unwrap().get(0);
        if count == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} projections stayed behind {head} while NATS was down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_metric(projector: &ProjectorProcess, line: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = projector.metrics().await;
        if metrics.lines().any(|l| l == line) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {line} in\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
