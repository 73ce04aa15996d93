use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pasar_events::runtime::lock::LeaderLock as ProjectionLock;
use pasar_events::types::{CartEvent, StockEvent, streams};
use pasar_events::{EventStore, Metadata, NewEvent, Position};
use pasar_projector::{Projector, ProjectorError};
use serde_json::json;
use tokio_postgres::{AsyncMessage, NoTls};
use uuid::Uuid;

use crate::support::Harness;
use crate::support::fixtures::{PlacedOrder, product_listed, settled};

const READ_MODELS: &[&str] = &[
    "rm.products",
    "rm.carts",
    "rm.cart_lines",
    "rm.orders",
    "rm.order_payment_states",
    "rm.payments",
];

async fn append_a_bit_of_everything(h: &Harness) {
    let order = PlacedOrder::new();
    h.append(
        &streams::product(order.product_id),
        &[product_listed(order.product_id, order.seller_id, 50_000)],
    )
    .await;
    h.append(
        &streams::stock(order.product_id),
        &[StockEvent::StockReceived {
            quantity: 5,
            on_hand: 5,
            available: 5,
        }],
    )
    .await;
    let add = CartEvent::CartItemAdded {
        product_id: order.product_id,
        quantity: 2,
        line_quantity: 2,
    };
    h.append(&streams::cart(order.buyer_id), &[add]).await;
    h.append(&streams::order(order.order_id), &[order.placed()])
        .await;
    h.append(
        &streams::payment(order.payment_id),
        &[order.payment_initiated(), settled()],
    )
    .await;
}

async fn snapshot(h: &Harness) -> Vec<Vec<serde_json::Value>> {
    let mut tables = Vec::new();
    for table in READ_MODELS {
        tables.push(h.rows(table).await);
    }
    tables
}

#[tokio::test]
async fn catching_up_moves_every_checkpoint_to_the_head_of_the_log() {
    let h = Harness::new().await;
    append_a_bit_of_everything(&h).await;

    let caught_up = h.project().await;

    let head = h.store.head().await.unwrap();
    for name in h.projector.names() {
        assert_eq!(caught_up.position(name), Some(head), "{name}");
        assert_eq!(h.checkpoint(name).await, head, "{name}");
    }
}

#[tokio::test]
async fn delivering_the_same_events_again_changes_nothing() {
    // Arrange
    let h = Harness::new().await;
    append_a_bit_of_everything(&h).await;
    h.project().await;
    let before = snapshot(&h).await;
    assert!(
        before.iter().all(|rows| !rows.is_empty()),
        "every read model has rows: {before:?}"
    );

    // Act: at-least-once delivery, as after a crash before the checkpoint was seen.
    h.rewind_checkpoints().await;
    let again = h.project().await;

    // Assert
    assert!(
        again.projections.values().all(|p| p.events > 0),
        "events were delivered again"
    );
    assert_eq!(snapshot(&h).await, before);
}

#[tokio::test]
async fn a_batch_that_fails_midway_keeps_neither_its_rows_nor_its_checkpoint() {
    // Arrange: a valid listing, then a payload this build cannot decode, in one batch.
    let h = Harness::new().await;
    let product = Uuid::new_v4();
    h.append(
        &streams::product(product),
        &[product_listed(product, Uuid::new_v4(), 1_000)],
    )
    .await;
    let poison = NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "ProductListed".into(),
        schema_version: 1,
        data: json!({ "nonsense": true }),
        metadata: Metadata::default(),
    };
    h.append_raw(&streams::product(Uuid::new_v4()), vec![poison])
        .await;
    h.wait_readable().await;

    // Act
    let error = h
        .projector
        .catch_up_projection("catalog")
        .await
        .unwrap_err();

    // Assert
    assert!(
        matches!(error, ProjectorError::Undecodable { .. }),
        "{error}"
    );
    assert!(
        h.rows("rm.products").await.is_empty(),
        "the listing before the poison was rolled back"
    );
    assert_eq!(h.checkpoint("catalog").await, Position::START);
    let carts = h.projector.catch_up_projection("carts").await.unwrap();
    assert_eq!(
        carts.position,
        h.store.head().await.unwrap(),
        "projections that ignore it move on"
    );
}

#[tokio::test]
async fn a_stale_instance_cannot_apply_a_batch_twice() {
    let h = Harness::new().await;
    let product = Uuid::new_v4();
    h.append(
        &streams::product(product),
        &[product_listed(product, Uuid::new_v4(), 1_000)],
    )
    .await;
    h.wait_readable().await;
    let events = h.store.read_all(Position::START, 500).await.unwrap();

    let moved_to = h
        .projector
        .apply_batch("catalog", Position::START, &events)
        .await
        .unwrap();
    let error = h
        .projector
        .apply_batch("catalog", Position::START, &events)
        .await
        .unwrap_err();

    match error {
        ProjectorError::CheckpointMoved {
            expected, actual, ..
        } => {
            assert_eq!((expected, actual), (Position::START, moved_to));
        }
        other => panic!("expected CheckpointMoved, got {other}"),
    }
    assert_eq!(h.rows("rm.products").await.len(), 1);
}

#[tokio::test]
async fn each_commit_is_announced_through_notify_and_nats() {
    // Arrange: listeners first, so nothing can be announced before they listen.
    let h = Harness::new().await;
    let (client, mut connection) = tokio_postgres::connect(&h.db.url, NoTls).await.unwrap();
    let (notified_tx, mut notified) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message {
                let _ = notified_tx.send(n.payload().to_owned());
            }
        }
    });
    client
        .batch_execute("LISTEN pasar_checkpoints")
        .await
        .unwrap();
    let nats = async_nats::connect("nats://127.0.0.1:4222")
        .await
        .expect("NATS must run on 127.0.0.1:4222");
    let mut published = nats.subscribe("pasar.checkpoints.catalog").await.unwrap();
    nats.flush().await.unwrap();
    let projector = Projector::new(Arc::new(h.store.clone()), h.pool.clone())
        .await
        .unwrap()
        .with_nats(Some(nats));
    let product = Uuid::new_v4();
    h.append(
        &streams::product(product),
        &[product_listed(product, Uuid::new_v4(), 1_000)],
    )
    .await;
    h.wait_readable().await;

    // Act
    let position = projector
        .catch_up_projection("catalog")
        .await
        .unwrap()
        .position;

    // Assert
    let expected_notify = format!("catalog {position}");
    let wait = Duration::from_secs(10);
    tokio::time::timeout(wait, async {
        while notified.recv().await.as_deref() != Some(expected_notify.as_str()) {}
    })
    .await
    .expect("NOTIFY pasar_checkpoints");
    // Other test databases announce on the same NATS subject; look for ours.
    tokio::time::timeout(wait, async {
        while let Some(message) = published.next().await {
            if message.payload.as_ref() == position.to_string().as_bytes() {
                return;
            }
        }
    })
    .await
    .expect("NATS pasar.checkpoints.catalog");
}

#[tokio::test]
async fn only_one_instance_at_a_time_holds_a_projection() {
    let h = Harness::new().await;

    let active = ProjectionLock::try_acquire(&h.db.url, "catalog")
        .await
        .unwrap();
    let standby = ProjectionLock::try_acquire(&h.db.url, "catalog")
        .await
        .unwrap();
    let other_projection = ProjectionLock::try_acquire(&h.db.url, "orders")
        .await
        .unwrap();

    assert!(active.is_some());
    assert!(standby.is_none(), "a second instance stands by");
    assert!(
        other_projection.is_some(),
        "projections are locked independently"
    );
    drop(active);
    // The lock's session ends with its connection; taking it over may take a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ProjectionLock::try_acquire(&h.db.url, "catalog")
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lock was never released"
        );
        tokio::task::yield_now().await;
    }
}
