//! Mail and failures: the SMTP server down, then up; the command API killed between the
//! server's acceptance of a mail and its record.

use std::time::{Duration, Instant};

use pasar_tests::stack::{Stack, free_port};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::helpers::{
    assert_each_mail_once, checkout_until_answered, email_of, mail_env, post, reference, sends,
    until_sends,
};
use super::sink::SmtpSink;
use crate::support::{address, buy, listed_product, order_id, with_shipping};

#[tokio::test]
async fn with_the_smtp_server_down_mail_waits_and_arrives_once_it_is_back() {
    // Arrange: nothing listens on the SMTP port yet.
    let mut sink = SmtpSink::on(free_port());
    let stack = Stack::start_with(&mail_env(&sink.url())).await.unwrap();
    let listed = listed_product(&stack, 20_000, 50).await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    let buyer_email = email_of(&stack, buyer_id).await;

    // Act: an order while the server is down; it fails at least once; then the server comes up.
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    until_sends(&stack, |rows| {
        rows.iter().any(|(_, state, _)| state == "failed")
    })
    .await;
    sink.start().await;

    // Assert: the mail arrives, once; a later one too, so the processor has moved past it.
    let reference = reference(&order_id(&placed));
    sink.wait_for(&buyer_email, &format!("Pesanan {reference} berhasil"))
        .await;
    let order = order_id(&placed);
    let (status, body) = post(
        &stack,
        &format!("/v1/orders/{order}/cancel"),
        &buyer,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sink.wait_for(&buyer_email, &format!("Pesanan {reference} dibatalkan"))
        .await;
    until_sends(&stack, |rows| {
        rows.iter().all(|(_, state, _)| state == "sent")
    })
    .await;
    let rows = sends(&stack).await;
    let placed_row = rows
        .iter()
        .find(|(kind, _, _)| kind == "order_placed")
        .unwrap();
    assert!(placed_row.2 >= 2, "tried again after failing: {rows:?}");
    assert_eq!(sink.mails_to(&buyer_email).len(), 2, "{:#?}", sink.mails());
    assert_each_mail_once(&sink);
}

/// Sends a checkout with key `k1` (its answer may be lost) and waits until the command API has
/// died.
async fn checkout_crashing(stack: &mut Stack, buyer: &str, request: &Value) {
    let body = with_shipping(stack, buyer, "k1", request.clone()).await;
    let _ = stack
        .http
        .post(format!("{}/v1/checkout", stack.command_url))
        .bearer_auth(buyer)
        .header("idempotency-key", "k1")
        .json(&body)
        .send()
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !stack.exited().contains(&"command-api".to_owned()) {
        assert!(Instant::now() < deadline, "the command API did not crash");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_command_api_killed_after_the_server_accepted_a_mail_sends_no_second_one() {
    // Arrange: the command API aborts (as kill -9) right after the SMTP server accepts a mail,
    // before the send is recorded: the worst moment. Checkouts resume after 1 s.
    let sink = SmtpSink::started().await;
    let url = sink.url();
    let mut env = mail_env(&url).to_vec();
    env.extend([
        ("PASAR_CRASH_AT", "notifications.accepted"),
        ("CHECKOUT_IN_FLIGHT_SECS", "1"),
    ]);
    let mut stack = Stack::start_with(&env).await.unwrap();
    let listed = listed_product(&stack, 20_000, 50).await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    let buyer_email = email_of(&stack, buyer_id).await;
    let request = json!({ "shipping_address": address() });

    // Act: the checkout's order mail kills the command API (the answer may or may not have
    // left first); it comes back without the crash point and the buyer retries the checkout.
    let item = json!({ "product_id": listed.product_id, "quantity": 1 });
    let (status, body) = post(&stack, "/v1/cart/items", &buyer, item).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    checkout_crashing(&mut stack, &buyer, &request).await;
    // Accepted before the crash, and never sent again (each Message-ID once, below).
    let first = sink.mails_to(&buyer_email);
    assert_eq!(first.len(), 1, "accepted before the crash: {first:#?}");
    stack.unset_env("PASAR_CRASH_AT");
    stack.restart("command-api").await.unwrap();
    let placed = checkout_until_answered(&stack, &buyer, request).await;
    let order = order_id(&placed);
    let (status, body) = post(
        &stack,
        &format!("/v1/orders/{order}/cancel"),
        &buyer,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Assert: later mails arrive; the one accepted before the crash is flagged, never resent.
    let reference = reference(&order);
    sink.wait_for(&buyer_email, &format!("Pesanan {reference} dibatalkan"))
        .await;
    until_sends(&stack, |rows| {
        rows.iter().any(|(_, state, _)| state == "uncertain")
    })
    .await;
    let rows = sends(&stack).await;
    assert_eq!(
        rows.iter()
            .filter(|(_, state, _)| state == "uncertain")
            .count(),
        1,
        "{rows:?}"
    );
    assert_each_mail_once(&sink);
}

#[tokio::test]
async fn a_command_api_killed_mid_stream_sends_no_mail_twice() {
    // Arrange: ten orders placed while the SMTP server is down, so their mails wait.
    let mut sink = SmtpSink::on(free_port());
    let url = sink.url();
    let mut stack = Stack::start_with(&mail_env(&url)).await.unwrap();
    let listed = listed_product(&stack, 20_000, 50).await;
    let mut buyers = Vec::new();
    for _ in 0..10 {
        buyers.push(stack.register("buyer").await.1);
    }
    for buyer in &buyers {
        let (status, placed) = buy(&stack, buyer, listed.product_id, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{placed}");
    }
    until_sends(&stack, |rows| {
        rows.iter().any(|(_, state, _)| state == "failed")
    })
    .await;

    // Act: the server comes up, and the command API is killed (SIGKILL) as soon as the first
    // mail of the backlog arrives; then it comes back.
    sink.start().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.mails().is_empty() {
        assert!(
            Instant::now() < deadline,
            "no mail after the server came up"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    stack.kill("command-api");
    let at_kill = sink.mails().len();
    stack.restart("command-api").await.unwrap();

    // Assert: every mail ends sent (or, at most one, uncertain), and none arrives twice.
    until_sends(&stack, |rows| {
        rows.len() == 10
            && rows
                .iter()
                .all(|(_, state, _)| state == "sent" || state == "uncertain")
    })
    .await;
    let rows = sends(&stack).await;
    let uncertain = rows.iter().filter(|(_, s, _)| s == "uncertain").count();
    assert!(uncertain <= 1, "{rows:?}");
    let mails = sink.mails().len();
    assert!(
        mails >= 10 - uncertain && mails <= 10,
        "{mails} mails (at the kill: {at_kill}), {rows:?}"
    );
    assert_each_mail_once(&sink);
}
