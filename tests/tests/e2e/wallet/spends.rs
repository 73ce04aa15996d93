//! Checkouts paid with the wallet: in full (no Snap, the orders paid at once), in part (Snap
//! takes the rest; its failure or expiry gives the wallet part back), and fifty at once
//! against a balance that covers three.

use pasar_tests::stack::Stack;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{topped_up, wallet_events, wallet_reads};
use crate::support::{address, checkout, event_types, listed_product, order_id, payment_id};

/// A stack without shipping, so a checkout's total is its goods alone.
async fn stack_without_shipping() -> Stack {
    Stack::start_with(&[("RAJAONGKIR_URL", ""), ("RAJAONGKIR_API_KEY", "")])
        .await
        .unwrap()
}

async fn add_to_cart(stack: &Stack, buyer: &str, product_id: Uuid, quantity: i64) {
    let item = json!({ "product_id": product_id, "quantity": quantity });
    let (status, body, _) = stack
        .command(
            reqwest::Method::POST,
            "/v1/cart/items",
            Some(buyer),
            Some(item),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "add to cart: {body}");
}

fn paying(wallet: i64) -> Value {
    json!({ "shipping_address": address(), "pay_with_wallet": wallet })
}

#[tokio::test]
async fn fifty_parallel_spends_never_overdraw_the_wallet_and_a_full_payment_pays_at_once() {
    // Arrange: 30,000 in the wallet; a 10,000 product in the cart (three spends' worth).
    let stack = stack_without_shipping().await;
    let listed = listed_product(&stack, 10_000, 100).await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    topped_up(&stack, &buyer, 30_000, 30_000).await;
    add_to_cart(&stack, &buyer, listed.product_id, 1).await;

    // Act: fifty checkouts at once, each paying 10,000 from the wallet.
    let spends = (0..50).map(|n| {
        let (stack, buyer) = (&stack, &buyer);
        async move { checkout(stack, buyer, &format!("spend-{n}"), paying(10_000)).await }
    });
    let answers = futures::future::join_all(spends).await;

    // Assert: three debits got through and one checkout (the cart's only one) took the
    // goods; the rest were refused with a clear problem; the other two debits came back.
    let won = the_one_placed_and_47_short(&answers);
    let wallet = wallet_reads(&stack, &buyer, 20_000).await;
    let events = wallet_events(&stack, buyer_id).await;
    let times = |t: &str| events.iter().filter(|e| *e == t).count();
    assert_eq!(
        (times("WalletDebited"), times("WalletDebitReturned")),
        (3, 2),
        "{events:?}"
    );
    let (_, all) = stack
        .query("/v1/wallet?limit=100", Some(&buyer), None)
        .await;
    for movement in all["movements"].as_array().unwrap() {
        assert!(movement["balance"].as_i64().unwrap() >= 0, "{all}");
    }
    assert_eq!(wallet["balance"], 20_000);
    paid_at_once(&stack, &buyer, won, listed.product_id).await;
}

/// The one checkout placed among `answers`; 47 refused for the balance, the rest (refused
/// for the cart another checkout emptied) with a clear problem.
fn the_one_placed_and_47_short(answers: &[(StatusCode, Value)]) -> &Value {
    let placed: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(placed.len(), 1, "{answers:?}");
    let short = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["title"] == "Insufficient wallet balance")
        .count();
    assert_eq!(short, 47, "{answers:?}");
    for (status, body) in answers {
        let clear = [
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ];
        assert!(clear.contains(status), "{status} {body}");
    }
    placed[0]
}

/// `won` was paid in full from the wallet: no Snap, its order paid at once (read with its
/// token) and its unit committed once.
async fn paid_at_once(stack: &Stack, buyer: &str, won: &Value, product_id: Uuid) {
    assert!(won["payment"].is_null(), "{won}");
    assert_eq!(won["wallet_amount"], 10_000, "{won}");
    assert_eq!(won["orders"][0]["status"], "paid", "{won}");
    assert!(
        stack.sim.transactions().len() == 1,
        "only the top-up went to Midtrans"
    );
    let order = order_id(won);
    let token = won["consistency_token"].as_str().unwrap();
    let (status, read) = stack
        .query(&format!("/v1/orders/{order}"), Some(buyer), Some(token))
        .await;
    assert_eq!(
        (status, &read["status"]),
        (StatusCode::OK, &json!("paid")),
        "{read}"
    );
    let product = format!("/v1/products/{product_id}");
    stack
        .eventually(&product, None, |p| p["available"] == 99)
        .await;
    let stock = event_types(stack, &format!("stock-{product_id}")).await;
    let committed = stock
        .iter()
        .filter(|e| *e == "ReservationCommitted")
        .count();
    assert_eq!(committed, 1, "{stock:?}");
}

#[tokio::test]
async fn a_checkout_paid_half_by_wallet_whose_snap_part_expires_gives_the_wallet_back() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 40_000, 10).await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    topped_up(&stack, &buyer, 100_000, 100_000).await;

    // Act: 20,000 from the wallet, the rest through Snap; the buyer picks a bank transfer
    // and never pays it, and the expiry is notified twice.
    let placed = half_paid(&stack, &buyer, "half", listed.product_id).await;
    let payment = payment_id(&placed);
    for status in ["pending", "expire"] {
        assert_eq!(
            stack.sim.set_status(&payment, status, None).await.unwrap(),
            200
        );
    }
    assert_eq!(stack.sim.resend_last(&payment).await.unwrap(), 200);

    // Assert: the order cancelled, the wallet part back once.
    let order = order_id(&placed);
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "cancelled"
        })
        .await;
    let wallet = wallet_reads(&stack, &buyer, 100_000).await;
    assert_eq!(
        wallet["movements"][0]["kind"], "checkout_return",
        "{wallet}"
    );
    let events = wallet_events(&stack, buyer_id).await;
    let returned = events
        .iter()
        .filter(|e| *e == "WalletDebitReturned")
        .count();
    assert_eq!(returned, 1, "{events:?}");

    // And a half-paid checkout whose Snap part settles keeps its wallet part.
    let placed = half_paid(&stack, &buyer, "half-2", listed.product_id).await;
    assert_eq!(stack.sim.pay(&payment_id(&placed)).await.unwrap(), 200);
    let order = order_id(&placed);
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "paid"
        })
        .await;
    assert_eq!(
        wallet_reads(&stack, &buyer, 80_000).await["balance"],
        80_000
    );
}

/// One unit checked out paying 20,000 from a wallet of 100,000: Snap asked for the rest with
/// a `WALLET` item of -20,000, and the wallet read with the checkout's token at 80,000.
async fn half_paid(stack: &Stack, buyer: &str, key: &str, product_id: Uuid) -> Value {
    add_to_cart(stack, buyer, product_id, 1).await;
    let (status, placed) = checkout(stack, buyer, key, paying(20_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let total = placed["orders"][0]["total"].as_i64().unwrap();
    assert_eq!(placed["wallet_amount"], 20_000, "{placed}");
    assert_eq!(
        placed["payment"]["gross_amount"],
        total - 20_000,
        "{placed}"
    );
    let items = stack
        .sim
        .transaction(&payment_id(&placed))
        .unwrap()
        .item_details;
    let wallet_item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "WALLET");
    assert_eq!(wallet_item.unwrap()["price"], -20_000, "{items}");
    let token = placed["consistency_token"].as_str().unwrap();
    let (_, debited) = stack.query("/v1/wallet", Some(buyer), Some(token)).await;
    assert_eq!(debited["balance"], 80_000, "{debited}");
    assert_eq!(
        debited["movements"][0]["kind"], "checkout_payment",
        "{debited}"
    );
    placed
}

#[tokio::test]
async fn a_wallet_part_over_the_balance_or_the_total_is_refused_and_nothing_is_held() {
    // Arrange
    let stack = stack_without_shipping().await;
    let listed = listed_product(&stack, 25_000, 3).await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    topped_up(&stack, &buyer, 40_000, 40_000).await;
    add_to_cart(&stack, &buyer, listed.product_id, 1).await;

    // Act + Assert
    let (status, over_balance) = checkout(&stack, &buyer, "a", paying(40_001)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{over_balance}");
    assert_eq!(over_balance["title"], "Insufficient wallet balance");
    assert_eq!(over_balance["balance"], 40_000, "{over_balance}");
    let (status, over_total) = checkout(&stack, &buyer, "b", paying(30_000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{over_total}");
    assert_eq!(
        over_total["errors"][0]["field"], "pay_with_wallet",
        "{over_total}"
    );
    let (status, negative) = checkout(&stack, &buyer, "c", paying(-1)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{negative}");
    assert_eq!(
        negative["errors"][0]["field"], "pay_with_wallet",
        "{negative}"
    );
    let (status, again) = checkout(&stack, &buyer, "b", paying(30_000)).await;
    assert_eq!(
        (status, &again),
        (StatusCode::UNPROCESSABLE_ENTITY, &over_total),
        "replayed"
    );
    wallet_reads(&stack, &buyer, 40_000).await;
    let events = wallet_events(&stack, buyer_id).await;
    assert_eq!(
        events,
        [
            "WalletTopUpRequested",
            "WalletCredited",
            "WalletDebited",
            "WalletDebitReturned"
        ],
        "only the over-total attempt debited, and got it back"
    );
    let product = format!("/v1/products/{}", listed.product_id);
    stack
        .eventually(&product, None, |p| p["available"] == 3)
        .await;
}

#[tokio::test]
async fn a_refund_of_an_order_paid_wholly_by_the_wallet_goes_back_to_the_wallet() {
    // Arrange: 25,000 paid from the wallet, no Snap payment.
    let stack = stack_without_shipping().await;
    let listed = listed_product(&stack, 25_000, 3).await;
    let (_, buyer) = stack.register("buyer").await;
    topped_up(&stack, &buyer, 40_000, 40_000).await;
    add_to_cart(&stack, &buyer, listed.product_id, 1).await;
    let (status, placed) = checkout(&stack, &buyer, "all", paying(25_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = order_id(&placed);
    let admin = stack.admin_token().await;

    // Act: an admin refunds 10,000 of it.
    let path = format!("/v1/orders/{order}/refunds");
    let body = json!({ "amount": 10_000, "reason": "ukuran salah" });
    let (status, asked, _) = stack
        .command(reqwest::Method::POST, &path, Some(&admin), Some(body))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{asked}");

    // Assert: Midtrans knows no payment to refund, so the refund is owed and credited.
    let wallet = wallet_reads(&stack, &buyer, 25_000).await;
    assert_eq!(wallet["movements"][0]["kind"], "order_refund", "{wallet}");
    assert_eq!(wallet["movements"][0]["amount"], 10_000, "{wallet}");
}
