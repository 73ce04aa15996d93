//! The `EventStore` contract, run against every backend: the in-memory one always, PostgreSQL
//! against the local server (a fresh database per test). EventStoreDB joins when its backend
//! lands (issue 3).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pasar_events::memory::MemoryEventStore;
use pasar_events::postgres::PgEventStore;
use pasar_events::store::subscribe;
use pasar_events::{EventStore, ExpectedVersion, Position, StoreError};
use uuid::Uuid;

mod common;
use common::{database_url, event};

async fn postgres() -> Arc<dyn EventStore> {
    Arc::new(
        PgEventStore::connect(&database_url())
            .await
            .expect("PostgreSQL at 127.0.0.1:5432"),
    )
}

fn memory() -> Arc<dyn EventStore> {
    Arc::new(MemoryEventStore::new())
}

async fn appending_then_reading_a_stream(store: Arc<dyn EventStore>) {
    let stream = format!("order-{}", Uuid::new_v4());
    let first = store
        .append(&stream, ExpectedVersion::NoStream, vec![event(1), event(2)])
        .await
        .unwrap();
    assert_eq!(first.stream_version, 2);
    let second = store
        .append(&stream, ExpectedVersion::Exact(2), vec![event(3)])
        .await
        .unwrap();
    assert_eq!(second.stream_version, 3);
    assert!(second.position > first.position);

    let all = store.read_stream(&stream, 1).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        all.iter()
            .map(|e| e.data["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(all[0].metadata.correlation_id.is_some());
    assert_eq!(all[0].category(), "order");
    let tail = store.read_stream(&stream, 3).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert!(store.read_stream("order-none", 1).await.unwrap().is_empty());
}

async fn a_stale_expected_version_is_a_typed_conflict(store: Arc<dyn EventStore>) {
    let stream = format!("cart-{}", Uuid::new_v4());
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event(1)])
        .await
        .unwrap();
    let stale = store
        .append(&stream, ExpectedVersion::NoStream, vec![event(2)])
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { actual: 1, .. })),
        "{stale:?}"
    );
    let wrong = store
        .append(&stream, ExpectedVersion::Exact(5), vec![event(2)])
        .await;
    assert!(
        matches!(wrong, Err(StoreError::Conflict { actual: 1, .. })),
        "{wrong:?}"
    );
    let missing = store
        .append("cart-missing", ExpectedVersion::Exact(1), vec![event(2)])
        .await;
    assert!(
        matches!(missing, Err(StoreError::Conflict { actual: 0, .. })),
        "{missing:?}"
    );
    store
        .append(&stream, ExpectedVersion::Any, vec![event(3)])
        .await
        .unwrap();
    assert_eq!(
        store.read_stream(&stream, 1).await.unwrap().len(),
        2,
        "rejected appends wrote nothing"
    );
}

async fn re_appending_a_stored_event_is_a_no_op_reporting_the_original(store: Arc<dyn EventStore>) {
    let stream = format!("payment-{}", Uuid::new_v4());
    let batch = vec![event(1), event(2)];
    let original = store
        .append(&stream, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    store
        .append(&stream, ExpectedVersion::Exact(2), vec![event(3)])
        .await
        .unwrap();
    let retry = store
        .append(&stream, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert_eq!(retry, original);
    assert_eq!(store.read_stream(&stream, 1).await.unwrap().len(), 3);
    let elsewhere = store
        .append("payment-other", ExpectedVersion::Any, batch)
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::DuplicateEventId { .. })),
        "{elsewhere:?}"
    );
    let empty = store.append(&stream, ExpectedVersion::Any, vec![]).await;
    assert!(matches!(empty, Err(StoreError::Invalid(_))));
}

async fn the_global_log_is_read_in_one_total_order(store: Arc<dyn EventStore>) {
    let before = store.head().await.unwrap();
    for i in 0..5 {
        store
            .append(
                &format!("stock-{i}-{}", Uuid::new_v4()),
                ExpectedVersion::Any,
                vec![event(i)],
            )
            .await
            .unwrap();
    }
    let all = store.read_all(before, 100).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|e| e.data["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    let paged = store.read_all(all[1].position, 2).await.unwrap();
    assert_eq!(
        paged.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        [all[2].event_id, all[3].event_id]
    );
    assert_eq!(store.head().await.unwrap(), all[4].position);
}

async fn a_subscription_catches_up_then_wakes_promptly_on_new_commits(store: Arc<dyn EventStore>) {
    let start = store.head().await.unwrap();
    let stream = format!("product-{}", Uuid::new_v4());
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event(1)])
        .await
        .unwrap();
    let mut subscription = subscribe(store.clone(), start, 10);
    let backlog = subscription.next().await.unwrap().unwrap();
    assert_eq!(backlog.data["n"], 1);

    let writer = store.clone();
    let stream2 = stream.clone();
    let append = tokio::spawn(async move {
        tokio::task::yield_now().await;
        writer
            .append(&stream2, ExpectedVersion::Exact(1), vec![event(2)])
            .await
            .unwrap();
    });
    // The subscription's own fallback re-check is a second; a live wake-up is far faster.
    let live = tokio::time::timeout(Duration::from_millis(900), subscription.next()).await;
    let live = live
        .expect("woken by the commit, not by the fallback timer")
        .unwrap()
        .unwrap();
    assert_eq!(live.data["n"], 2);
    append.await.unwrap();
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod memory_backend {
            $( #[tokio::test] async fn $case() { super::$case(super::memory()).await } )*
        }
        mod postgres_backend {
            $( #[tokio::test] async fn $case() { super::$case(super::postgres().await).await } )*
        }
    };
}

conformance!(
    appending_then_reading_a_stream,
    a_stale_expected_version_is_a_typed_conflict,
    re_appending_a_stored_event_is_a_no_op_reporting_the_original,
    the_global_log_is_read_in_one_total_order,
    a_subscription_catches_up_then_wakes_promptly_on_new_commits,
);

#[test]
fn positions_compare_transaction_first() {
    assert!(
        Position {
            txid: 1,
            global: 99
        } < Position { txid: 2, global: 1 }
    );
}
