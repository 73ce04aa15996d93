//! A settlement that arrives after its order expired (issue 7 item 4) is never lost. The
//! simulator's `lose_next_expire` answers the sweeper "expired" while the payment is already
//! under way, which is how Midtrans can settle a transaction the shop has given up on.

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{buy, event_types, listed_product, order_id, payment_id, until_paid};

/// An order that expires a second after checkout, swept every 200 ms.
async fn fast_expiry_stack() -> Stack {
    Stack::start_with(&[("PAYMENT_TIMEOUT_SECS", "1"), ("EXPIRY_SWEEP_MS", "200")])
        .await
        .unwrap()
}

/// Polls the log until `stream` holds an event of `event_type` (up to 20 s).
async fn until_logged(stack: &Stack, stream: &str, event_type: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let types = event_types(stack, stream).await;
        if types.iter().any(|t| t == event_type) {
            return types;
        }
        assert!(
            Instant::now() < deadline,
            "no {event_type} in {stream}: {types:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The command API's `/metrics` line for `series`, polled until `done` holds.
async fn metric_until(stack: &Stack, series: &str, done: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = format!("{}/metrics", stack.command_url);
        let text = stack
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok());
        if let Some(v) = value.filter(|v| done(*v)) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{series} never as wanted: {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Buys `quantity` with the Midtrans expiry lost, lets the order expire, returns the checkout.
async fn expired_checkout(stack: &Stack, buyer: &str, product: uuid::Uuid, quantity: i64) -> Value {
    stack.sim.lose_next_expire();
    let (status, placed) = buy(stack, buyer, product, quantity).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    stack
        .eventually(
            &format!("/v1/orders/{}", order_id(&placed)),
            Some(buyer),
            |o| o["status"] == "expired",
        )
        .await;
    placed
}

#[tokio::test]
async fn a_late_settlement_revives_the_expired_order_when_its_stock_is_still_there() {
    // Arrange
    let stack = fast_expiry_stack().await;
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let placed = expired_checkout(&stack, &buyer, listed.product_id, 2).await;
    let (payment, order) = (payment_id(&placed), order_id(&placed));
    stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 5
        })
        .await;

    // Act
    assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);

    // Assert
    until_paid(&stack, &buyer, &order, listed.product_id, 3).await;
    let orders = event_types(&stack, &format!("order-{order}")).await;
    assert_eq!(
        orders,
        ["OrderPlaced", "OrderExpired", "OrderRevived", "OrderPaid"]
    );
    let stock = until_logged(
        &stack,
        &format!("stock-{}", listed.product_id),
        "ReservationCommitted",
    )
    .await;
    assert_eq!(
        stock
            .iter()
            .filter(|t| *t == "ReservationCommitted")
            .count(),
        1,
        "{stock:?}"
    );
    let payments = event_types(&stack, &format!("payment-{payment}")).await;
    assert!(
        !payments.iter().any(|t| t.starts_with("PaymentRefund")),
        "{payments:?}"
    );
}

/// Expires buyer A's order, then lets buyer B buy and pay for all the stock.
async fn expired_and_sold_out(stack: &Stack, gopay: bool) -> (String, String, String) {
    let listed = listed_product(stack, 20_000, 2).await;
    let (_, first) = stack.register("buyer").await;
    stack.sim.lose_next_expire();
    let (status, placed) = buy(stack, &first, listed.product_id, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let payment = payment_id(&placed);
    if gopay {
        assert_eq!(stack.sim.choose_gopay(&payment).await.unwrap(), 200);
    } else {
        assert_eq!(
            stack
                .sim
                .set_status(&payment, "pending", None)
                .await
                .unwrap(),
            200
        );
    }
    let order = order_id(&placed);
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&first), |o| {
            o["status"] == "expired"
        })
        .await;
    let (_, second) = stack.register("buyer").await;
    let (status, other) = buy(stack, &second, listed.product_id, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_eq!(stack.sim.pay(&payment_id(&other)).await.unwrap(), 200);
    stack
        .eventually(
            &format!("/v1/orders/{}", order_id(&other)),
            Some(&second),
            |o| o["status"] == "paid",
        )
        .await;
    (payment, order, first)
}

#[tokio::test]
async fn a_late_gopay_settlement_whose_stock_is_gone_is_refunded_through_midtrans_once() {
    // Arrange
    let stack = fast_expiry_stack().await;
    let (payment, order, buyer) = expired_and_sold_out(&stack, true).await;

    // Act
    assert_eq!(
        stack
            .sim
            .set_status(&payment, "settlement", None)
            .await
            .unwrap(),
        200
    );

    // Assert
    let stream = format!("payment-{payment}");
    let payments = until_logged(&stack, &stream, "PaymentRefunded").await;
    assert!(
        payments.contains(&"PaymentRefundRequired".to_owned()),
        "{payments:?}"
    );
    assert!(
        !payments.contains(&"PaymentRefundOwed".to_owned()),
        "{payments:?}"
    );
    let snap = stack.sim.transaction(&payment).unwrap();
    assert_eq!(snap.status, "refund");
    assert_eq!(snap.refunds.len(), 1, "refunded once");
    assert_eq!(snap.refunds[0].refund_key, format!("{payment}-late"));
    let view = stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["refund_status"] == "refunded"
        })
        .await;
    assert_eq!(view["status"], "expired", "not revived without stock");
}

#[tokio::test]
async fn a_late_va_settlement_whose_stock_is_gone_is_recorded_as_a_refund_owed() {
    // Arrange
    let stack = fast_expiry_stack().await;
    let (payment, order, buyer) = expired_and_sold_out(&stack, false).await;

    // Act
    assert_eq!(
        stack
            .sim
            .set_status(&payment, "settlement", None)
            .await
            .unwrap(),
        200
    );

    // Assert
    let stream = format!("payment-{payment}");
    let payments = until_logged(&stack, &stream, "PaymentRefundOwed").await;
    assert!(
        !payments.contains(&"PaymentRefunded".to_owned()),
        "{payments:?}"
    );
    assert_eq!(
        stack.sim.transaction(&payment).unwrap().status,
        "settlement"
    );
    // What is owed is paid into the buyer's wallet at once, so nothing stays owed.
    let gross = stack.sim.transaction(&payment).unwrap().gross_amount;
    let wallet = stack.eventually("/v1/wallet", Some(&buyer), |w| w["balance"] == gross);
    let wallet = wallet.await;
    assert_eq!(wallet["movements"][0]["kind"], "payment_refund", "{wallet}");
    assert_eq!(
        metric_until(&stack, "pasar_refunds_owed", |v| v == 0.0).await,
        0.0
    );
    let orders = event_types(&stack, &format!("order-{order}")).await;
    assert_eq!(orders, ["OrderPlaced", "OrderExpired"]);
    let buyer_view = stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["refund_status"] == "owed"
        })
        .await;
    assert_eq!(buyer_view["status"], "expired");
    let admin = stack.admin_token().await;
    let (status, owed) = stack
        .query("/v1/orders?refund=owed", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{owed}");
    let ids: Vec<&str> = owed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(ids, [order.as_str()], "{owed}");
    let (status, refused) = stack
        .query("/v1/orders?refund=maybe", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
}

#[tokio::test]
async fn a_notification_with_a_bad_signature_is_refused_counted_and_records_nothing() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (_, placed) = buy(&stack, &buyer, listed.product_id, 1).await;
    let payment = payment_id(&placed);
    assert_eq!(
        stack
            .sim
            .set_status(&payment, "pending", None)
            .await
            .unwrap(),
        200
    );
    let stream = format!("payment-{payment}");
    let before = event_types(&stack, &stream).await;
    let mut forged = stack.sim.notification_body(&payment, "settlement");
    forged["signature_key"] = serde_json::json!("ab".repeat(64));

    // Act
    let url = format!("{}/v1/webhooks/midtrans", stack.command_url);
    let (status, _, _) = stack.send(Method::POST, url, None, Some(forged), &[]).await;

    // Assert
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        event_types(&stack, &stream).await,
        before,
        "nothing recorded"
    );
    let series = "pasar_webhook_rejected_total{reason=\"signature\"}";
    assert_eq!(metric_until(&stack, series, |v| v >= 1.0).await, 1.0);
}
