//! The buyer's wallet through the real binaries: top-ups paid through the Midtrans simulator
//! credit once (a duplicated settlement, a late pending, an edited amount credit nothing
//! more), owed refunds are credited, only its owner and admins read it; checkouts paid with it
//! ([`spends`]): fifty parallel spends never overdraw it, a full payment pays the orders at
//! once, and a half payment whose Snap part expires gives the wallet part back.

mod crash;
mod spends;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{event_types, one_unit_ordered, until_paid};

/// Asks a top-up of `amount` with `key`: (status, body).
pub async fn ask_top_up(
    stack: &Stack,
    token: Option<&str>,
    amount: i64,
    key: &str,
) -> (StatusCode, Value) {
    let url = format!("{}/v1/wallet/top-ups", stack.command_url);
    let body = Some(json!({ "amount": amount }));
    let (status, body, _) = stack
        .send(Method::POST, url, token, body, &[("idempotency-key", key)])
        .await;
    (status, body)
}

/// A settled top-up of `amount`: the buyer's wallet reads `balance` afterwards.
pub async fn topped_up(stack: &Stack, buyer: &str, amount: i64, balance: i64) -> Value {
    let key = uuid::Uuid::new_v4().to_string();
    let (status, started) = ask_top_up(stack, Some(buyer), amount, &key).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let payment = started["id"].as_str().unwrap();
    assert_eq!(stack.sim.pay(payment).await.unwrap(), 200);
    wallet_reads(stack, buyer, balance).await
}

/// Waits until the buyer's wallet reads `balance`.
pub async fn wallet_reads(stack: &Stack, buyer: &str, balance: i64) -> Value {
    stack
        .eventually("/v1/wallet", Some(buyer), |w| w["balance"] == balance)
        .await
}

/// Events of a buyer's wallet stream.
pub async fn wallet_events(stack: &Stack, buyer_id: uuid::Uuid) -> Vec<String> {
    event_types(stack, &format!("wallet-{buyer_id}")).await
}

#[tokio::test]
async fn a_top_up_settled_twice_credits_the_wallet_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (buyer_id, buyer) = stack.register("buyer").await;
    let (status, started) = ask_top_up(&stack, Some(&buyer), 100_000, "top-up-1").await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let payment = started["id"].as_str().unwrap().to_owned();
    assert!(
        started["snap_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let (_, again) = ask_top_up(&stack, Some(&buyer), 100_000, "top-up-1").await;
    assert_eq!(again["id"], started["id"], "a retry answers the same page");
    assert_eq!(again["snap_token"], started["snap_token"]);
    assert_eq!(stack.sim.transactions().len(), 1, "one Snap transaction");
    let sim = stack.sim.transaction(&payment).unwrap();
    assert_eq!(sim.gross_amount, 100_000);
    assert!(!sim.expiry_missing, "the top-up's page closes");

    // Act: settled, the settlement delivered again, then a stale pending.
    assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);
    assert_eq!(stack.sim.resend_last(&payment).await.unwrap(), 200);
    assert_eq!(
        stack
            .sim
            .send_notification(&payment, "pending", None)
            .await
            .unwrap(),
        200
    );

    // Assert
    let wallet = wallet_reads(&stack, &buyer, 100_000).await;
    assert_eq!(wallet["movements"][0]["kind"], "top_up", "{wallet}");
    assert_eq!(wallet["movements"][0]["amount"], 100_000, "{wallet}");
    assert_eq!(wallet["movements"][0]["reference_id"], payment.as_str());
    let credited = |events: &[String]| events.iter().filter(|e| *e == "WalletCredited").count();
    assert_eq!(credited(&wallet_events(&stack, buyer_id).await), 1);
    // A later duplicate still credits nothing.
    assert_eq!(stack.sim.resend_last(&payment).await.unwrap(), 200);
    let (status, _) = ask_top_up(&stack, Some(&buyer), 50_000, "top-up-2").await;
    assert_eq!(status, StatusCode::CREATED);
    let events = wallet_events(&stack, buyer_id).await;
    assert_eq!(credited(&events), 1, "{events:?}");
    assert_eq!(
        wallet_reads(&stack, &buyer, 100_000).await["movements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_notification_with_another_amount_never_credits() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (buyer_id, buyer) = stack.register("buyer").await;
    let (_, started) = ask_top_up(&stack, Some(&buyer), 60_000, "k").await;
    let payment = started["id"].as_str().unwrap().to_owned();
    assert_eq!(
        stack
            .sim
            .set_status(&payment, "pending", None)
            .await
            .unwrap(),
        200
    );

    // Act: a signed settlement naming 6,000,000 for a 60,000 top-up.
    let status = stack
        .sim
        .send_notification(&payment, "settlement", Some("6000000.00"))
        .await
        .unwrap();

    // Assert: Midtrans' own status disagrees, so nothing settles and nothing is credited.
    assert_ne!(status, 200);
    let payments = event_types(&stack, &format!("payment-{payment}")).await;
    assert!(
        !payments.contains(&"PaymentSettled".to_owned()),
        "{payments:?}"
    );
    assert_eq!(
        wallet_events(&stack, buyer_id).await,
        ["WalletTopUpRequested"]
    );
    let (_, wallet) = stack.query("/v1/wallet", Some(&buyer), None).await;
    assert_eq!(wallet["balance"], 0, "{wallet}");
}

#[tokio::test]
async fn top_ups_are_for_buyers_within_bounds() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, buyer) = stack.register("buyer").await;
    let (_, seller) = stack.register("seller").await;
    let admin = stack.admin_token().await;

    // Act + Assert
    let (status, _) = ask_top_up(&stack, None, 50_000, "a").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for token in [&seller, &admin] {
        let (status, body) = ask_top_up(&stack, Some(token), 50_000, "b").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    for amount in [0, 9_999, 20_000_001, -5] {
        let (status, body) = ask_top_up(&stack, Some(&buyer), amount, &format!("c{amount}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "amount", "{body}");
    }
    let url = format!("{}/v1/wallet/top-ups", stack.command_url);
    let extra = Some(json!({ "amount": 50_000, "bonus": 1 }));
    let (status, _, _) = stack
        .send(Method::POST, url, Some(&buyer), extra, &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = ask_top_up(&stack, Some(&buyer), 50_000, "d").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = ask_top_up(&stack, Some(&buyer), 60_000, "d").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "key reused: {body}"
    );
    assert!(
        stack.sim.transactions().len() == 1,
        "nothing started for refusals"
    );
}

#[tokio::test]
async fn parallel_top_ups_with_one_key_answer_one_snap_page() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (buyer_id, buyer) = stack.register("buyer").await;

    // Act: twelve at once with one key and one body, then the key once more.
    let answers = futures::future::join_all(
        (0..12).map(|_| ask_top_up(&stack, Some(&buyer), 50_000, "same")),
    )
    .await;
    let (status, again) = ask_top_up(&stack, Some(&buyer), 50_000, "same").await;

    // Assert: every answer is the one top-up's Snap page; Midtrans has one transaction.
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert!(
        again["snap_token"].as_str().is_some_and(|t| !t.is_empty()),
        "{again}"
    );
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["id"], again["id"], "{body}");
        assert_eq!(body["snap_token"], again["snap_token"], "{body}");
    }
    let transactions = stack.sim.transactions();
    assert_eq!(transactions.len(), 1);
    assert_eq!(transactions[0].token, again["snap_token"].as_str().unwrap());
    assert_eq!(
        wallet_events(&stack, buyer_id).await,
        ["WalletTopUpRequested"]
    );
}

#[tokio::test]
async fn the_wallet_is_read_by_its_owner_and_admins_only() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (buyer_id, buyer) = stack.register("buyer").await;
    let (_, other) = stack.register("buyer").await;
    let (_, seller) = stack.register("seller").await;
    let admin = stack.admin_token().await;
    topped_up(&stack, &buyer, 30_000, 30_000).await;
    topped_up(&stack, &buyer, 20_000, 50_000).await;

    // Act + Assert: the owner pages through the movements, newest first.
    let (status, first) = stack.query("/v1/wallet?limit=1", Some(&buyer), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["customer_id"], buyer_id.to_string());
    assert_eq!(first["movements"][0]["amount"], 20_000, "{first}");
    assert_eq!(first["movements"][0]["balance"], 50_000, "{first}");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = stack
        .query(
            &format!("/v1/wallet?limit=1&cursor={cursor}"),
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(second["movements"][0]["amount"], 30_000, "{second}");
    assert!(second["next_cursor"].is_null(), "{second}");
    let (status, _) = stack
        .query("/v1/wallet?cursor=nonsense", Some(&buyer), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = stack
        .query("/v1/wallet?limit=101", Some(&buyer), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Another buyer sees only their own (empty) wallet, and no one else's.
    let (_, theirs) = stack.query("/v1/wallet", Some(&other), None).await;
    assert_eq!(theirs["balance"], 0, "{theirs}");
    assert_eq!(theirs["movements"], json!([]), "{theirs}");
    let of_buyer = format!("/v1/admin/wallets/{buyer_id}");
    for token in [&other, &buyer, &seller] {
        let (status, body) = stack.query(&of_buyer, Some(token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, _) = stack.query("/v1/wallet", Some(&seller), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in ["/v1/wallet", of_buyer.as_str()] {
        let (status, _) = stack.query(path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, seen) = stack.query(&of_buyer, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["balance"], 50_000, "{seen}");
    assert_eq!(seen["movements"].as_array().unwrap().len(), 2, "{seen}");
}

#[tokio::test]
async fn a_refund_midtrans_cannot_make_is_credited_to_the_wallet_once() {
    // Arrange: paid by VA, which Midtrans cannot refund.
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    let admin = stack.admin_token().await;

    // Act: an admin refunds 15,000, asked twice with one key.
    let path = format!("/v1/orders/{order}/refunds");
    let body = json!({ "amount": 15_000, "reason": "barang cacat" });
    for _ in 0..2 {
        let url = format!("{}{path}", stack.command_url);
        let (status, asked, _) = stack
            .send(
                Method::POST,
                url,
                Some(&admin),
                Some(body.clone()),
                &[("idempotency-key", "rf")],
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{asked}");
    }

    // Assert
    let wallet = wallet_reads(&stack, &buyer, 15_000).await;
    assert_eq!(wallet["movements"][0]["kind"], "order_refund", "{wallet}");
    assert_eq!(wallet["movements"][0]["reference_id"], order.as_str());
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["refund_status"] == "owed"
        })
        .await;
    let buyer_id = wallet["customer_id"].as_str().unwrap();
    let events = event_types(&stack, &format!("wallet-{buyer_id}")).await;
    assert_eq!(events, ["WalletCredited"], "credited once");
}
