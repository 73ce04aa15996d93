//! `kill -9` of the real projector while it publishes, then a restart.

use std::time::Duration;

use pasar_events::postgres::PgEventStore;

use super::support::{
    Consumer, NatsServer, ProjectorProcess, append_widgets, assert_exactly_once_in_log_order,
};
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_mid_publish_and_restarted_publishes_each_event_exactly_once_in_order() {
    // Arrange: the defaults (PASAR_EVENTS, pasar.<category>.<event_type>) on a private server.
    let nats = NatsServer::start().await;
    let db = TestDb::create().await;
    let store = PgEventStore::connect(&db.url).await.expect("event store");
    let mut projector = ProjectorProcess::start(&db.url, &nats.url, &[]).await;
    let consumer = Consumer::start(nats.url.clone(), "PASAR_EVENTS");

    // Act: 10,000 events from 4 writers over 100 streams; SIGKILL once the consumer has seen
    // 2,000 of them, then a fresh process.
    let appender = {
        let store = store.clone();
        tokio::spawn(async move { append_widgets(&store, 100, 10_000, 5, 4).await })
    };
    consumer.wait_for(2_000, Duration::from_secs(60)).await;
    projector.kill();
    let seen_at_kill = consumer.distinct();
    let appending_at_kill = !appender.is_finished();
    let _restarted = ProjectorProcess::start(&db.url, &nats.url, &[]).await;
    let head = appender.await.expect("appends");
    consumer.wait_for(10_000, Duration::from_secs(120)).await;

    // Assert
    eprintln!("killed after {seen_at_kill} events seen (still appending: {appending_at_kill})");
    assert!(
        seen_at_kill < 10_000,
        "the kill came after everything was published"
    );
    // Any stray repeat would arrive right behind the rest; give it the chance to.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let redeliveries = assert_exactly_once_in_log_order(&consumer.deliveries(), 10_000);
    assert_eq!(redeliveries, 0, "the consumer acked everything in time");
    let jetstream = async_nats::jetstream::new(nats.client().await);
    let stream = jetstream.get_stream("PASAR_EVENTS").await.unwrap();
    assert_eq!(stream.cached_info().state.messages, 10_000);
    let checkpoint = publisher_checkpoint(&db.url, "PASAR_EVENTS").await;
    assert_eq!(checkpoint, (head.txid as i64, head.global));
}

/// The publisher's checkpoint row, once it has reached `head` or after 30 s.
pub async fn publisher_checkpoint(database_url: &str, stream: &str) -> (i64, i64) {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let head: (i64, i64) = {
        let row = client
            .query_one(
                "SELECT transaction_id::text::bigint, global_position FROM es_events
                 ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let row = client
            .query_one(
                "SELECT txid, global FROM processor_checkpoints WHERE name = 'publisher.' || $1",
                &[&stream],
            )
            .await
            .unwrap();
        let checkpoint = (row.get(0), row.get(1));
        if checkpoint == head || tokio::time::Instant::now() > deadline {
            return checkpoint;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
