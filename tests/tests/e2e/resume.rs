//! A checkout whose first attempt died after each of its steps is finished by a retry with the
//! same key. The dead attempt's events are written straight into the log, exactly as a killed
//! process leaves them; the retry must answer 201 from a new attempt, give back what the dead
//! one held, and the paid order must hold its own reservation, committed once.

use chrono::{Duration, Utc};
use pasar_events::postgres::PgEventStore;
use pasar_events::types::{
    CheckoutEvent, Money, OrderEvent, OrderLine, PlannedOrder, ShippingAddress, StockEvent,
};
use pasar_events::{DomainEvent, EventStore, ExpectedVersion, Metadata};
use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::support::{
    address, assert_paid_orders_hold_their_reservations, checkout, event_types, listed_product,
};

/// How far the dead attempt got.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Step {
    Claimed,
    Planned,
    Reserved,
    Placed,
}

/// The checkout request as the command API hashes it (field order matters).
#[derive(Serialize)]
struct Request {
    shipping_address: ShippingAddress,
    courier: Option<String>,
    service: Option<String>,
}

fn request_hash() -> String {
    let shipping_address: ShippingAddress = serde_json::from_value(address()).unwrap();
    let request = Request {
        shipping_address,
        courier: None,
        service: None,
    };
    hex::encode(Sha256::digest(serde_json::to_vec(&request).unwrap()))
}

/// The checkout id the command API derives from (buyer, Idempotency-Key).
fn checkout_id(buyer_id: Uuid, key: &str) -> Uuid {
    let seed = ["checkout", &buyer_id.to_string(), key].join("\u{1f}");
    Uuid::new_v5(&Uuid::NAMESPACE_OID, seed.as_bytes())
}

async fn append<E: DomainEvent>(store: &PgEventStore, stream: &str, event: E) {
    let event = event.to_new_event(Uuid::now_v7(), Metadata::default());
    store
        .append(stream, ExpectedVersion::Any, vec![event])
        .await
        .unwrap();
}

/// Writes what an attempt that died after `step` left behind; returns its order id.
async fn dead_attempt(
    stack: &Stack,
    store: &PgEventStore,
    (buyer_id, key): (Uuid, &str),
    product_id: Uuid,
    step: Step,
) -> Uuid {
    let checkout_id = checkout_id(buyer_id, key);
    let stream = format!("checkout-{checkout_id}");
    let (order_id, payment_id, seller_id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let started = CheckoutEvent::CheckoutStarted {
        checkout_id,
        customer_id: buyer_id,
        idempotency_key: key.into(),
        request_hash: request_hash(),
        started_at: Utc::now() - Duration::minutes(1),
    };
    append(store, &stream, started).await;
    if step >= Step::Planned {
        let orders = vec![PlannedOrder {
            order_id,
            seller_id,
            product_ids: vec![product_id],
        }];
        let planned = CheckoutEvent::CheckoutPlanned {
            attempt: 1,
            payment_id,
            orders,
        };
        append(store, &stream, planned).await;
    }
    let expires_at = Utc::now() + Duration::minutes(10);
    if step >= Step::Reserved {
        let stock = format!("stock-{product_id}");
        let history = stack.stream_events(&stock).await;
        let available = history.last().unwrap().1["available"].as_i64().unwrap() - 1;
        let reserved = StockEvent::StockReserved {
            order_id,
            quantity: 1,
            expires_at,
            available,
        };
        append(store, &stock, reserved).await;
    }
    if step >= Step::Placed {
        let line = OrderLine {
            product_id,
            sku: "KAOS".into(),
            name: "Kaos Polos".into(),
            unit_price: Money::idr(10_000),
            quantity: 1,
            line_total: Money::idr(10_000),
        };
        let placed = OrderEvent::OrderPlaced {
            order_id,
            checkout_id,
            payment_id,
            buyer_id,
            seller_id,
            lines: vec![line],
            subtotal: Money::idr(10_000),
            shipping_cost: Money::idr(0),
            total: Money::idr(10_000),
            shipping_address: serde_json::from_value(address()).unwrap(),
            placed_at: Utc::now() - Duration::minutes(1),
            expires_at,
        };
        append(store, &format!("order-{order_id}"), placed).await;
    }
    order_id
}

#[tokio::test]
async fn a_retry_after_a_crash_at_each_step_finishes_the_checkout_and_gives_back_the_rest() {
    // Arrange: unanswered checkouts are taken over after 1 s.
    // Without shipping: the dead attempts below are written by hand, with the body's hash.
    let stack = Stack::start_with(&[
        ("CHECKOUT_IN_FLIGHT_SECS", "1"),
        ("RAJAONGKIR_URL", ""),
        ("RAJAONGKIR_API_KEY", ""),
    ])
    .await
    .unwrap();
    let store = PgEventStore::connect_with_pool_size(&stack.database_url, 2)
        .await
        .unwrap();
    let listed = listed_product(&stack, 10_000, 50).await;

    for step in [Step::Claimed, Step::Planned, Step::Reserved, Step::Placed] {
        let (buyer_id, buyer) = stack.register("buyer").await;
        let item = json!({ "product_id": listed.product_id, "quantity": 1 });
        let (status, _, _) = stack
            .command(Method::POST, "/v1/cart/items", Some(&buyer), Some(item))
            .await;
        assert_eq!(status, StatusCode::OK);
        let key = format!("resume-{step:?}");
        let dead = dead_attempt(&stack, &store, (buyer_id, &key), listed.product_id, step).await;

        // Act
        let request = json!({ "shipping_address": address() });
        let (status, body) = checkout(&stack, &buyer, &key, request).await;

        // Assert: a new attempt answered; the dead one's order and reservation are given back.
        assert_eq!(status, StatusCode::CREATED, "after {step:?}: {body}");
        let order = body["orders"][0]["id"].as_str().unwrap();
        assert_ne!(
            order,
            dead.to_string(),
            "after {step:?}: a new attempt's order"
        );
        if step >= Step::Placed {
            let dead_order = event_types(&stack, &format!("order-{dead}")).await;
            assert_eq!(
                dead_order,
                ["OrderPlaced", "OrderCancelled"],
                "after {step:?}"
            );
        }
        let payment = body["payment"]["id"].as_str().unwrap().to_owned();
        assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);
        stack
            .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
                o["status"] == "paid"
            })
            .await;
    }

    // The product shows every unit accounted for: 4 sold, nothing else held.
    let product = stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 46
        })
        .await;
    assert_eq!(product["available"], 46);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let stock = format!("stock-{}", listed.product_id);
    loop {
        let events = event_types(&stack, &stock).await;
        let committed = events
            .iter()
            .filter(|t| *t == "ReservationCommitted")
            .count();
        if committed == 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{events:?}");
        let head = store.head().await.unwrap();
        store
            .wait_for_events(head, std::time::Duration::from_millis(200))
            .await;
    }
    assert_paid_orders_hold_their_reservations(&stack).await;
}
