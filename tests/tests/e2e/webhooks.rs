use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};

use crate::support::{
    buy, event_types, listed_product, one_unit_ordered, order_id, payment_id, until_paid,
};

async fn post_notification(stack: &Stack, body: serde_json::Value) -> StatusCode {
    let url = format!("{}/v1/webhooks/midtrans", stack.command_url);
    stack.send(Method::POST, url, None, Some(body), &[]).await.0
}

#[tokio::test]
async fn a_forged_notification_is_refused_and_changes_nothing() {
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let payment = payment_id(&placed);
    let stream = format!("payment-{payment}");
    let before = event_types(&stack, &stream).await;

    // A settlement signed with the wrong key, one with a tampered amount, and junk.
    let mut forged = stack.sim.notification_body(&payment, "settlement");
    forged["signature_key"] = serde_json::json!("00".repeat(64));
    assert_eq!(
        post_notification(&stack, forged).await,
        StatusCode::FORBIDDEN
    );
    let mut tampered = stack.sim.notification_body(&payment, "settlement");
    tampered["gross_amount"] = serde_json::json!("1.00");
    assert_eq!(
        post_notification(&stack, tampered).await,
        StatusCode::FORBIDDEN
    );
    let url = format!("{}/v1/webhooks/midtrans", stack.command_url);
    let junk = stack
        .http
        .post(url)
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status(), StatusCode::BAD_REQUEST);
    // Correctly signed, but for an order we never created.
    let unknown = stack.sim.notification_body("ORDER-UNKNOWN-1", "settlement");
    assert_eq!(
        post_notification(&stack, unknown).await,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        event_types(&stack, &stream).await,
        before,
        "nothing appended"
    );
    // Read with the checkout's token: the order is projected, and still awaiting payment.
    let (_, order) = stack
        .query(
            &format!("/v1/orders/{}", order_id(&placed)),
            Some(&buyer),
            placed["consistency_token"].as_str(),
        )
        .await;
    assert_eq!(order["status"], "awaiting_payment");
}

#[tokio::test]
async fn duplicate_and_late_notifications_leave_a_paid_order_paid_with_stock_committed_once() {
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (_, placed) = buy(&stack, &buyer, listed.product_id, 2).await;
    let (payment, order) = (payment_id(&placed), order_id(&placed));

    assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);
    assert_eq!(
        stack.sim.resend_last(&payment).await.unwrap(),
        200,
        "duplicate settlement accepted"
    );
    assert_eq!(
        stack
            .sim
            .send_notification(&payment, "pending", None)
            .await
            .unwrap(),
        200,
        "late pending accepted"
    );

    until_paid(&stack, &buyer, &order, listed.product_id, 3).await;
    let payments = event_types(&stack, &format!("payment-{payment}")).await;
    assert_eq!(
        payments.iter().filter(|t| *t == "PaymentSettled").count(),
        1,
        "{payments:?}"
    );
    assert!(
        !payments.iter().any(|t| t == "PaymentFailed"),
        "{payments:?}"
    );
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(
        stock
            .iter()
            .filter(|t| *t == "ReservationCommitted")
            .count(),
        1,
        "{stock:?}"
    );
    let (_, order_view) = stack
        .query(&format!("/v1/orders/{order}"), Some(&buyer), None)
        .await;
    assert_eq!(
        order_view["status"], "paid",
        "still paid after the late pending"
    );
}

#[tokio::test]
async fn a_notification_for_another_amount_never_pays_the_order() {
    let stack = Stack::start().await.unwrap();
    let (_listed, _buyer, payment, order) = one_unit_ordered(&stack).await;
    stack
        .sim
        .set_status(&payment, "pending", None)
        .await
        .unwrap();

    let stream = format!("payment-{payment}");
    let before = event_types(&stack, &stream).await;

    // Correctly signed for the other amount; the status API knows the real one.
    let status = stack
        .sim
        .send_notification(&payment, "settlement", Some("1000.00"))
        .await
        .unwrap();

    assert_eq!(
        status, 503,
        "unconfirmed: Midtrans retries, nothing recorded"
    );
    assert_eq!(
        event_types(&stack, &stream).await,
        before,
        "nothing recorded"
    );
    let order_stream = event_types(&stack, &format!("order-{order}")).await;
    assert_eq!(order_stream, ["OrderPlaced"], "the order was never paid");
}

#[tokio::test]
async fn an_expired_payment_cancels_the_order_and_returns_the_stock() {
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (_, placed) = buy(&stack, &buyer, listed.product_id, 2).await;
    let (payment, order) = (payment_id(&placed), order_id(&placed));
    stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 3
        })
        .await;

    stack
        .sim
        .set_status(&payment, "pending", None)
        .await
        .unwrap();
    assert_eq!(
        stack
            .sim
            .set_status(&payment, "expire", None)
            .await
            .unwrap(),
        200
    );

    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "cancelled"
        })
        .await;
    stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 5
        })
        .await;
}

#[tokio::test]
async fn an_unpaid_order_expires_and_its_stock_comes_back() {
    let stack = Stack::start_with(&[("PAYMENT_TIMEOUT_SECS", "1"), ("EXPIRY_SWEEP_MS", "200")])
        .await
        .unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = order_id(&placed);
    // The buyer picked a method but never paid.
    stack
        .sim
        .set_status(&payment_id(&placed), "pending", None)
        .await
        .unwrap();

    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "expired"
        })
        .await;
    stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 5
        })
        .await;
    let snap = stack.sim.transaction(&payment_id(&placed)).unwrap();
    assert_eq!(
        snap.status, "expire",
        "Midtrans was asked to expire the transaction"
    );
}
