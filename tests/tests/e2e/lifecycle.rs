//! An order's life after checkout: ship → deliver → complete (by the buyer or automatically),
//! a buyer's cancellation before payment, who may make which move, and the order's history
//! and past state read from the log.

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{event_types, one_unit_ordered, until_paid};

async fn post(stack: &Stack, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = stack
        .command(Method::POST, path, Some(token), Some(body))
        .await;
    (status, body)
}

fn shipment() -> Value {
    json!({ "courier": "JNE REG", "tracking_number": "JNE0012345678" })
}

fn assert_state_conflict(status: StatusCode, problem: &Value, current: &str) {
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["title"], "Order state conflict", "{problem}");
    assert_eq!(problem["order_status"], current, "{problem}");
}

#[tokio::test]
async fn a_paid_order_is_shipped_delivered_and_completed_by_the_right_people_only() {
    // Arrange: a paid order.
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    let admin = stack.admin_token().await;
    let (_, other_seller) = stack.register("seller").await;
    let base = format!("/v1/orders/{order}");

    // Act and assert, move by move.
    let (status, early) = post(&stack, &format!("{base}/complete"), &buyer, json!({})).await;
    assert_state_conflict(status, &early, "paid");
    let (status, stranger) = post(
        &stack,
        &format!("{base}/shipments"),
        &other_seller,
        shipment(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another seller learns nothing: {stranger}"
    );
    let (status, by_buyer) = post(&stack, &format!("{base}/shipments"), &buyer, shipment()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{by_buyer}");
    let (status, bad) = post(
        &stack,
        &format!("{base}/shipments"),
        &listed.seller_token,
        json!({ "courier": "", "tracking_number": "x\u{0}" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, shipped) = post(
        &stack,
        &format!("{base}/shipments"),
        &listed.seller_token,
        shipment(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    assert_eq!(shipped["status"], "shipped");
    let shipped_at = shipped["consistency_token"].as_str().unwrap().to_owned();
    let (status, by_seller) = post(
        &stack,
        &format!("{base}/delivery"),
        &listed.seller_token,
        json!({}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only an admin records delivery: {by_seller}"
    );
    let (status, delivered) = post(&stack, &format!("{base}/delivery"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    let (status, completed) = post(&stack, &format!("{base}/complete"), &buyer, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{completed}");
    let token = completed["consistency_token"].as_str().unwrap().to_owned();

    // Assert: the read model, the history and the order as it was when shipped.
    let (status, view) = stack.query(&base, Some(&buyer), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["status"], "completed");
    assert_eq!(view["courier"], "JNE REG");
    assert_eq!(view["tracking_number"], "JNE0012345678");
    let (status, history) = stack
        .query(&format!("{base}/history"), Some(&listed.seller_token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let moves: Vec<(String, String)> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("OrderPlaced", "buyer"),
        ("PaymentInitiated", "buyer"),
        ("PaymentSettled", "midtrans"),
        ("OrderPaid", "system"),
        ("OrderShipped", "seller"),
        ("OrderDelivered", "admin"),
        ("OrderCompleted", "buyer"),
    ] {
        assert!(
            moves.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {moves:?}"
        );
    }
    let text = history.to_string();
    assert!(
        !text.contains("snap_token"),
        "the seller never sees the payment page: {text}"
    );
    let (status, then) = stack
        .query(&format!("{base}?as_of={shipped_at}"), Some(&buyer), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{then}");
    assert_eq!(then["status"], "shipped", "{then}");
    assert_eq!(then["payment_status"], "settled", "{then}");
    let (status, before) = stack
        .query(
            &format!("{base}?as_of=2020-01-01T00:00:00Z"),
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{before}");
    let (status, nonsense) = stack
        .query(&format!("{base}?as_of=yesterday"), Some(&buyer), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{nonsense}");
    let (status, hidden) = stack
        .query(&format!("{base}/history"), Some(&other_seller), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{hidden}");
}

#[tokio::test]
async fn a_shipment_retried_with_its_key_is_recorded_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    let url = format!("{}/v1/orders/{order}/shipments", stack.command_url);

    // Act: sent twice with one key.
    let mut answers = Vec::new();
    for _ in 0..2 {
        let (status, body, _) = stack
            .send(
                Method::POST,
                url.clone(),
                Some(&listed.seller_token),
                Some(shipment()),
                &[("idempotency-key", "ship-1")],
            )
            .await;
        answers.push((status, body));
    }

    // Assert
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "shipped", "{body}");
    }
    let events = event_types(&stack, &format!("order-{order}")).await;
    assert_eq!(
        events,
        ["OrderPlaced", "OrderPaid", "OrderShipped"],
        "{events:?}"
    );
}

#[tokio::test]
async fn a_delivered_order_completes_on_its_own_after_the_configured_time() {
    // Arrange: orders complete 0.00002 days (about 1.7 s) after delivery.
    let stack = Stack::start_with(&[("ORDER_AUTO_COMPLETE_DAYS", "0.00002")])
        .await
        .unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    let admin = stack.admin_token().await;
    let base = format!("/v1/orders/{order}");
    let (status, body) = post(
        &stack,
        &format!("{base}/shipments"),
        &listed.seller_token,
        shipment(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Act
    let (status, body) = post(&stack, &format!("{base}/delivery"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Assert: completed by the system, not by the buyer.
    let view = stack
        .eventually(&base, Some(&buyer), |o| o["status"] == "completed")
        .await;
    assert_eq!(view["status"], "completed");
    let (_, history) = stack
        .query(&format!("{base}/history"), Some(&buyer), None)
        .await;
    let completed = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "OrderCompleted")
        .cloned()
        .unwrap();
    assert_eq!(completed["actor"], "system", "{completed}");
}

#[tokio::test]
async fn a_buyer_cancels_an_unpaid_order_its_page_closes_and_its_stock_returns() {
    // Arrange: an unpaid one-unit order (5 in stock, 4 available).
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    let (_, stranger) = stack.register("buyer").await;
    let base = format!("/v1/orders/{order}");

    // Act
    let (status, refused) = post(&stack, &format!("{base}/cancel"), &stranger, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    let (status, cancelled) = post(
        &stack,
        &format!("{base}/cancel"),
        &buyer,
        json!({ "reason": "salah pilih ukuran" }),
    )
    .await;

    // Assert: cancelled, the Snap transaction closed, the unit back.
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["orders"][0]["status"], "cancelled", "{cancelled}");
    let token = cancelled["consistency_token"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, product) = stack
            .query(
                &format!("/v1/products/{}", listed.product_id),
                None,
                Some(&token),
            )
            .await;
        if product["available"] == 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stock never came back: {product}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, again) = post(&stack, &format!("{base}/cancel"), &buyer, json!({})).await;
    assert_state_conflict(status, &again, "cancelled");
    let events = event_types(&stack, &format!("order-{order}")).await;
    assert_eq!(events, ["OrderPlaced", "OrderCancelled"], "{events:?}");
    let _ = payment;
}

#[tokio::test]
async fn a_paid_order_cannot_be_cancelled_by_its_buyer() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;

    // Act
    let (status, refused) = post(
        &stack,
        &format!("/v1/orders/{order}/cancel"),
        &buyer,
        json!({}),
    )
    .await;

    // Assert
    assert_state_conflict(status, &refused, "paid");
}
