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

async fn refund(
    stack: &Stack,
    token: &str,
    order: &str,
    amount: i64,
    key: &str,
) -> (StatusCode, Value) {
    let url = format!("{}/v1/orders/{order}/refunds", stack.command_url);
    let body = json!({ "amount": amount, "reason": "barang rusak" });
    let (status, body, _) = stack
        .send(
            Method::POST,
            url,
            Some(token),
            Some(body),
            &[("idempotency-key", key)],
        )
        .await;
    (status, body)
}

/// What the order costs in all (its 20,000 rupiah line and its quoted shipping).
async fn order_total(stack: &Stack, buyer: &str, order: &str) -> i64 {
    let (_, read) = stack
        .query(&format!("/v1/orders/{order}"), Some(buyer), None)
        .await;
    read["total"].as_i64().expect("order total")
}

/// A one-unit order of 20,000 rupiah (and shipping) paid with GoPay (a method Midtrans
/// refunds).
async fn paid_with_gopay(stack: &Stack) -> (String, String, String) {
    let (listed, buyer, payment, order) = one_unit_ordered(stack).await;
    assert_eq!(stack.sim.pay_gopay(&payment).await.unwrap(), 200);
    until_paid(stack, &buyer, &order, listed.product_id, 4).await;
    (buyer, payment, order)
}

#[tokio::test]
async fn an_admin_refunds_in_parts_never_more_than_was_paid_and_a_retry_refunds_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (buyer, payment, order) = paid_with_gopay(&stack).await;
    let admin = stack.admin_token().await;
    let base = format!("/v1/orders/{order}");
    let total = order_total(&stack, &buyer, &order).await;

    // Act: 5,000 back, sent twice with one key (the first answer lost).
    let (status, first) = refund(&stack, &admin, &order, 5_000, "rf-1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, again) = refund(&stack, &admin, &order, 5_000, "rf-1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(first["refund_id"], again["refund_id"]);
    let partly = stack
        .eventually(&base, Some(&buyer), |o| o["refunded_amount"] == 5_000)
        .await;

    // Assert: refunded once at Midtrans; the order still paid; more than is left refused.
    assert_eq!(partly["status"], "paid", "{partly}");
    assert_eq!(partly["refund_status"], "refunded", "{partly}");
    assert_eq!(stack.sim.transaction(&payment).unwrap().refunds.len(), 1);
    // Midtrans' refund notifications (the second with the bank's confirmation) on the order.
    let notified = stack
        .eventually(&base, Some(&buyer), |o| {
            !o["payment_refund"]["bank_confirmed_at"].is_null()
        })
        .await;
    assert_eq!(
        notified["payment_refund"]["status"], "partial_refund",
        "{notified}"
    );
    assert_eq!(notified["payment_refund"]["amount"], 5_000, "{notified}");
    let (status, too_much) = refund(&stack, &admin, &order, total - 5_000 + 1, "rf-2").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{too_much}");
    let (status, by_buyer) = refund(&stack, &buyer, &order, 1_000, "rf-3").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{by_buyer}");

    // Act: the rest.
    let (status, rest) = refund(&stack, &admin, &order, total - 5_000, "rf-4").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{rest}");
    assert_eq!(rest["refundable"], 0, "{rest}");

    // Assert: all back, the order refunded, two refunds at Midtrans.
    let refunded = stack
        .eventually(&base, Some(&buyer), |o| o["status"] == "refunded")
        .await;
    assert_eq!(refunded["refunded_amount"], total, "{refunded}");
    let refunds = stack.sim.transaction(&payment).unwrap().refunds;
    assert_eq!(refunds.len(), 2, "{refunds:?}");
    let notified = stack
        .eventually(&base, Some(&buyer), |o| {
            o["payment_refund"]["status"] == "refund"
        })
        .await;
    assert_eq!(notified["payment_refund"]["amount"], total, "{notified}");
    let (status, nothing_left) = refund(&stack, &admin, &order, 1, "rf-5").await;
    assert_eq!(status, StatusCode::CONFLICT, "{nothing_left}");
}

#[tokio::test]
async fn a_refund_of_a_bank_transfer_is_owed_and_listed_for_admins() {
    // Arrange: paid by VA (`pay`), which Midtrans cannot refund.
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    let admin = stack.admin_token().await;

    // Act
    let total = order_total(&stack, &buyer, &order).await;
    let (status, asked) = refund(&stack, &admin, &order, total, "va-1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{asked}");

    // Assert
    let owed = stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["refund_status"] == "owed"
        })
        .await;
    assert_eq!(owed["status"], "paid", "{owed}");
    assert_eq!(owed["refunded_amount"], 0, "{owed}");
    let (_, listing) = stack
        .query("/v1/orders?refund=owed", Some(&admin), None)
        .await;
    assert_eq!(listing["items"][0]["id"], order.as_str(), "{listing}");
    assert!(stack.sim.transaction(&payment).unwrap().refunds.is_empty());
}

#[tokio::test]
async fn a_seller_cancels_a_paid_unshipped_order_and_the_buyer_gets_everything_back() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    assert_eq!(stack.sim.pay_gopay(&payment).await.unwrap(), 200);
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;

    // Act
    let (status, cancelled) = post(
        &stack,
        &format!("/v1/orders/{order}/cancel"),
        &listed.seller_token,
        json!({ "reason": "stok habis" }),
    )
    .await;

    // Assert: cancelled, then refunded in full through Midtrans.
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["orders"][0]["status"], "cancelled", "{cancelled}");
    let refunded = stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "refunded"
        })
        .await;
    assert_eq!(refunded["refunded_amount"], refunded["total"], "{refunded}");
    assert!(
        refunded["shipping_cost"].as_i64().unwrap() > 0,
        "shipping refunded too"
    );
    assert_eq!(stack.sim.transaction(&payment).unwrap().refunds.len(), 1);
    // The unit never left: it is back on the shelf, once.
    stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 5
        })
        .await;
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(
        stock,
        [
            "StockReceived",
            "StockReserved",
            "ReservationCommitted",
            "StockReturned"
        ],
        "{stock:?}"
    );
    let (status, again) = post(
        &stack,
        &format!("/v1/orders/{order}/cancel"),
        &listed.seller_token,
        json!({}),
    )
    .await;
    assert_state_conflict(status, &again, "refunded");
}
