//! A tailing reader of the PostgreSQL log never skips an event whose transaction commits late,
//! and sees every event exactly once, in the order of the global log.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pasar_events::postgres::PgEventStore;
use pasar_events::store::subscribe;
use pasar_events::{EventStore, ExpectedVersion, Position};
use rand::Rng;
use tokio_postgres::NoTls;
use uuid::Uuid;

mod common;
use common::{database_url, event, read_all_at_least};

/// Appends inside an explicit transaction that stays open until the returned client commits.
async fn open_append(url: &str, stream: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("BEGIN").await.unwrap();
    client
        .query_one(
            "SELECT * FROM es_append($1, -1, $2, $3, $4, $5, $6)",
            &[
                &stream,
                &vec![Uuid::new_v4()],
                &vec!["Tested"],
                &vec![1i32],
                &vec![serde_json::json!({ "late": true })],
                &vec![serde_json::json!({})],
            ],
        )
        .await
        .unwrap();
    client
}

#[tokio::test]
async fn a_late_commit_is_delivered_not_skipped_while_a_naive_reader_skips_it() {
    // Arrange
    let url = database_url();
    let store = PgEventStore::connect(&url).await.unwrap();
    let slow = open_append(&url, "order-slow").await; // draws the lower position, not committed

    // Act: a faster writer commits a higher position first.
    store
        .append("order-fast", ExpectedVersion::Any, vec![event(2)])
        .await
        .unwrap();
    let horizon_read = store.read_all(Position::START, 10).await.unwrap();
    let naive_first = naive_read(&store, 0).await;
    slow.batch_execute("COMMIT").await.unwrap();

    // Assert
    assert!(
        horizon_read.is_empty(),
        "nothing is delivered while an earlier transaction is open"
    );
    assert_eq!(
        naive_first.len(),
        1,
        "the naive reader sees the later event first"
    );
    let naive_checkpoint = naive_first[0];
    assert!(
        naive_read(&store, naive_checkpoint).await.is_empty(),
        "…and so skips the slow one for ever"
    );

    let delivered = read_all_at_least(&store, Position::START, 2).await;
    let streams: Vec<_> = delivered.iter().map(|e| e.stream.as_str()).collect();
    assert_eq!(
        streams,
        ["order-slow", "order-fast"],
        "both delivered, the slow transaction's first"
    );
}

async fn naive_read(store: &PgEventStore, after: i64) -> Vec<i64> {
    let client = store.pool().get().await.unwrap();
    let rows = client
        .query(
            "SELECT global_position FROM es_events WHERE global_position > $1 ORDER BY 1",
            &[&after],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn concurrent_writers_and_a_tailing_subscriber_agree_on_every_event_exactly_once() {
    const WRITERS: usize = 8;
    const APPENDS_PER_WRITER: usize = 40;
    let url = database_url();
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::connect(&url).await.unwrap());

    let mut subscription = subscribe(store.clone(), Position::START, 37);
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (store, url) = (store.clone(), url.clone());
        writers.push(tokio::spawn(async move {
            write_with_random_delays(w, store, &url, APPENDS_PER_WRITER).await
        }));
    }

    // Tail while the writers run, until every committed event has been seen.
    let expected_total = WRITERS * APPENDS_PER_WRITER;
    let mut seen = Vec::new();
    while seen.len() < expected_total {
        let next = tokio::time::timeout(Duration::from_secs(30), subscription.next()).await;
        seen.push(next.expect("subscriber stalled").unwrap().unwrap());
    }
    let mut committed = HashSet::new();
    for writer in writers {
        committed.extend(writer.await.unwrap());
    }

    let ids: Vec<Uuid> = seen.iter().map(|e| e.event_id).collect();
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no event delivered twice");
    assert_eq!(
        unique, committed,
        "every committed event delivered, nothing else"
    );
    let log: Vec<Uuid> = store
        .read_all(Position::START, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(ids, log, "delivered in the order of the global log");
    let mut last_version: HashMap<&str, i64> = HashMap::new();
    for e in &seen {
        let previous = last_version
            .insert(&e.stream, e.stream_version)
            .unwrap_or(0);
        assert_eq!(
            e.stream_version,
            previous + 1,
            "stream {} delivered in version order",
            e.stream
        );
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), subscription.next())
            .await
            .is_err(),
        "nothing more arrives"
    );
}

/// Half the appends go through the store, half through explicit transactions that stay open
/// for a random while, so commits land out of position order. Returns the committed ids.
async fn write_with_random_delays(
    w: usize,
    store: Arc<dyn EventStore>,
    url: &str,
    n: usize,
) -> Vec<Uuid> {
    let stream = format!("stock-writer{w}");
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let mut ids = Vec::new();
    for i in 0..n {
        let e = event(i as i64);
        ids.push(e.event_id);
        let (late, delay_ms) = {
            let mut rng = rand::thread_rng();
            (rng.gen_bool(0.5), rng.gen_range(0..15u64))
        };
        if late {
            client.batch_execute("BEGIN").await.unwrap();
            client
                .query_one(
                    "SELECT * FROM es_append($1, -1, $2, $3, $4, $5, $6)",
                    &[
                        &stream,
                        &vec![e.event_id],
                        &vec!["Tested"],
                        &vec![1i32],
                        &vec![e.data.clone()],
                        &vec![serde_json::json!({})],
                    ],
                )
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(delay_ms)).await; // holds the transaction open
            client.batch_execute("COMMIT").await.unwrap();
            client.batch_execute("NOTIFY es_events").await.unwrap();
        } else {
            store
                .append(&stream, ExpectedVersion::Any, vec![e])
                .await
                .unwrap();
        }
    }
    ids
}
