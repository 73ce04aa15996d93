//! Midtrans hardening end to end (issue 7 items 4, 8 and 13): notifications are acted on through
//! the status API, a status API that cannot be asked makes Midtrans retry, and Midtrans' own
//! error text never reaches a buyer.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{buy, event_types, listed_product, one_unit_ordered, order_id, payment_id};

async fn post_notification(stack: &Stack, body: Value) -> StatusCode {
    let url = format!("{}/v1/webhooks/midtrans", stack.command_url);
    stack.send(Method::POST, url, None, Some(body), &[]).await.0
}

#[tokio::test]
async fn a_settlement_replayed_as_deny_leaves_a_paid_order_paid() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let (payment, order) = (payment_id(&placed), order_id(&placed));
    assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "paid"
        })
        .await;
    let stream = format!("payment-{payment}");
    let before = event_types(&stack, &stream).await;
    let settlement = stack.sim.transaction(&payment).unwrap().notifications;
    let mut tampered = settlement.last().unwrap().clone();
    assert_eq!(tampered["transaction_status"], "settlement");
    // Neither field is covered by signature_key, so the signature still matches.
    tampered["transaction_status"] = json!("deny");
    tampered["fraud_status"] = json!("deny");

    // Act
    let answered = post_notification(&stack, tampered).await;

    // Assert
    assert_eq!(answered, StatusCode::OK);
    assert_eq!(
        event_types(&stack, &stream).await,
        before,
        "the status API still says settlement: nothing new to record"
    );
    let (_, view) = stack
        .query(&format!("/v1/orders/{order}"), Some(&buyer), None)
        .await;
    assert_eq!(view["status"], "paid");
}

#[tokio::test]
async fn an_unanswered_status_check_answers_503_and_the_retry_pays_the_order() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack
        .sim
        .set_status(&payment, "pending", None)
        .await
        .unwrap();
    let stream = format!("payment-{payment}");

    // Act
    stack.sim.fail_next_status();
    let first = stack.sim.set_status(&payment, "settlement", None).await;
    let recorded_after_failure = event_types(&stack, &stream).await;
    let retried = stack.sim.resend_last(&payment).await;

    // Assert
    assert_eq!(first.unwrap(), 503, "Midtrans retries a 503 four times");
    assert!(
        !recorded_after_failure.contains(&"PaymentSettled".to_owned()),
        "{recorded_after_failure:?}"
    );
    assert_eq!(retried.unwrap(), 200);
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "paid"
        })
        .await;
}

#[tokio::test]
async fn a_failed_snap_create_answers_502_without_midtrans_words() {
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    stack.sim.fail_next_snap_create();

    let (status, body) = buy(&stack, &buyer, listed.product_id, 1).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let text = body.to_string().to_lowercase();
    for upstream in ["sorry", "internal server error", "midtrans refused"] {
        assert!(!text.contains(upstream), "{upstream:?} leaked: {body}");
    }
    assert!(stack.sim.transactions().is_empty(), "no Snap transaction");
}

#[tokio::test]
async fn checkout_closes_the_payment_page_when_the_order_expires() {
    let stack = Stack::start_with(&[("PAYMENT_TIMEOUT_SECS", "600")])
        .await
        .unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;

    let (status, placed) = buy(&stack, &buyer, listed.product_id, 1).await;

    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let snap = stack.sim.transaction(&payment_id(&placed)).unwrap();
    assert!(!snap.expiry_missing, "the Snap create carried no expiry");
    let expiry = snap.expiry.unwrap();
    assert_eq!(expiry.seconds, 600, "{expiry:?}");
    assert!(expiry.start_time.is_some(), "the window starts at checkout");
}
