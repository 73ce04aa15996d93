//! A checkout paid wholly by the wallet whose command API dies (abort, as kill -9) at a step
//! of its own: the retry with the same key finishes it, the orders are paid, and the wallet
//! ends debited exactly once.

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{topped_up, wallet_events, wallet_reads};
use crate::support::{Listed, address, checkout, listed_product};

async fn a_wallet_checkout_killed_at(point: &str) {
    // Arrange: two sellers' products (25,000 + 40,000, no shipping), 100,000 in the wallet.
    let (mut stack, products, buyer_id, buyer) = two_products_in_a_funded_cart(point).await;
    let request = json!({ "shipping_address": address(), "pay_with_wallet": 65_000 });

    // Act: the first request dies at `point`; the buyer retries with the same key.
    let sent = stack
        .http
        .post(format!("{}/v1/checkout", stack.command_url))
        .bearer_auth(&buyer)
        .header("idempotency-key", "killed")
        .json(&request)
        .send()
        .await;
    assert!(
        sent.is_err(),
        "{point}: answered {sent:?} instead of crashing"
    );
    stack.unset_env("PASAR_CRASH_AT");
    stack.restart("command-api").await.unwrap();
    let (status, placed) = retried(&stack, &buyer, &request).await;

    // Assert
    assert_eq!(status, StatusCode::CREATED, "{point}: {placed}");
    assert!(placed["payment"].is_null(), "{point}: {placed}");
    let orders = placed["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2, "{point}: {placed}");
    for order in orders {
        assert_eq!(order["status"], "paid", "{point}: {placed}");
    }
    wallet_reads(&stack, &buyer, 35_000).await;
    let events = wallet_events(&stack, buyer_id).await;
    let times = |t: &str| events.iter().filter(|e| *e == t).count();
    let debited = times("WalletDebited") - times("WalletDebitReturned");
    assert_eq!(debited, 1, "{point}: {events:?}");
    for listed in &products {
        let path = format!("/v1/products/{}", listed.product_id);
        stack.eventually(&path, None, |p| p["available"] == 2).await;
    }
    assert!(
        stack.sim.transactions().len() == 1,
        "only the top-up went to Midtrans"
    );
}

/// A stack that crashes at `point` (and ships nothing), two sellers' products in a buyer's
/// cart and 100,000 in that buyer's wallet: (stack, products, buyer id, buyer token).
async fn two_products_in_a_funded_cart(point: &str) -> (Stack, [Listed; 2], Uuid, String) {
    let stack = Stack::start_with(&[
        ("PASAR_CRASH_AT", point),
        ("CHECKOUT_IN_FLIGHT_SECS", "1"),
        ("RAJAONGKIR_URL", ""),
        ("RAJAONGKIR_API_KEY", ""),
    ])
    .await
    .unwrap();
    let products = [
        listed_product(&stack, 25_000, 3).await,
        listed_product(&stack, 40_000, 3).await,
    ];
    let (buyer_id, buyer) = stack.register("buyer").await;
    topped_up(&stack, &buyer, 100_000, 100_000).await;
    for listed in &products {
        let item = json!({ "product_id": listed.product_id, "quantity": 1 });
        let (status, body, _) = stack
            .command(Method::POST, "/v1/cart/items", Some(&buyer), Some(item))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    (stack, products, buyer_id, buyer)
}

/// Retries the checkout with the dead request's key until it is no longer in flight.
async fn retried(stack: &Stack, buyer: &str, request: &Value) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = checkout(stack, buyer, "killed", request.clone()).await;
        let in_flight = status == StatusCode::CONFLICT && body["title"] == "Checkout in progress";
        if !in_flight || Instant::now() > deadline {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_wallet_checkout_killed_after_its_debit_is_finished_by_the_retry_debiting_once() {
    a_wallet_checkout_killed_at("checkout.wallet_debited").await;
}

#[tokio::test]
async fn a_wallet_checkout_killed_after_paying_one_order_is_finished_by_the_retry() {
    a_wallet_checkout_killed_at("checkout.order_paid_with_wallet").await;
}
