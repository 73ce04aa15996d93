//! What the notification tests share: reading the send record, the recipients' addresses,
//! rupiah as the mails write it.

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use super::sink::SmtpSink;

/// The stack's extra environment: mails through `sink`, from a test sender.
pub fn mail_env(url: &str) -> [(&'static str, &str); 2] {
    [
        ("SMTP_URL", url),
        ("MAIL_FROM", "Pasar <no-reply@pasar.test>"),
    ]
}

/// The email an account registered with, from its `CustomerRegistered` event.
pub async fn email_of(stack: &Stack, customer: Uuid) -> String {
    let events = stack.stream_events(&format!("customer-{customer}")).await;
    events[0].1["email"].as_str().unwrap().to_owned()
}

/// The email of the seller who listed `product`.
pub async fn seller_email(stack: &Stack, product: Uuid) -> String {
    let events = stack.stream_events(&format!("product-{product}")).await;
    let seller = events[0].1["seller_id"].as_str().unwrap().parse().unwrap();
    email_of(stack, seller).await
}

pub async fn post(stack: &Stack, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = stack
        .command(Method::POST, path, Some(token), Some(body))
        .await;
    (status, body)
}

/// The short reference the subjects use: the order id's last eight hex digits, upper case.
pub fn reference(order: &str) -> String {
    order.replace('-', "")[24..].to_uppercase()
}

/// Rows of the processor's send record: (kind, state, attempts).
pub async fn sends(stack: &Stack) -> Vec<(String, String, i32)> {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query(
            "SELECT kind, state, attempts FROM notification_sends ORDER BY claimed_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Waits (up to 30 s) until the send record satisfies `done`.
pub async fn until_sends(stack: &Stack, done: impl Fn(&[(String, String, i32)]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = sends(stack).await;
        if done(&rows) {
            return;
        }
        assert!(Instant::now() < deadline, "send record stuck at {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// No Message-ID was delivered twice.
pub fn assert_each_mail_once(sink: &SmtpSink) {
    let mut ids: Vec<String> = sink
        .mails()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "a mail arrived twice: {ids:?}");
}

/// The buyer chooses English (`PATCH /v1/me {locale}`). The processor reads the log in
/// order, so every mail about what the buyer does afterwards is in English.
pub async fn choose_english(stack: &Stack, buyer: &str) {
    let (status, body, _) = stack
        .command(
            reqwest::Method::PATCH,
            "/v1/me",
            Some(buyer),
            Some(serde_json::json!({ "locale": "en" })),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
}

/// Retries the checkout with key `k1` until it is no longer in flight (up to 30 s).
pub async fn checkout_until_answered(stack: &Stack, buyer: &str, request: Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = crate::support::checkout(stack, buyer, "k1", request.clone()).await;
        if status == StatusCode::CREATED {
            return body;
        }
        assert!(
            status == StatusCode::CONFLICT && Instant::now() < deadline,
            "{status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `Rp 1.250.000`: how the mails write rupiah.
pub fn rupiah(amount: i64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp {out}")
}
