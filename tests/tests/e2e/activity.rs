//! `GET /v1/me/activity` through the real binaries: a buyer's own actions and an admin's
//! actions on their account, in JSON and in CSV read back with a real CSV parser; no secret of
//! the log in either; only the caller's own activity; bad parameters refused naming the
//! field, nobody 401; a history longer than one read batch streamed whole, in order.

use std::collections::HashSet;

use futures::StreamExt as _;
use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::admin::support::{PASSWORD, admin_action, register_named, registered};
use super::support::{buy, listed_product};

/// `GET /v1/me/activity?{query}` as `token`: status, content type, transfer encoding, body.
async fn export(
    stack: &Stack,
    token: Option<&str>,
    query: &str,
) -> (StatusCode, String, String, String) {
    let mut request = stack
        .http
        .get(format!("{}/v1/me/activity?{query}", stack.query_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, encoding) = (header("content-type"), header("transfer-encoding"));
    (
        response.status(),
        content_type,
        encoding,
        response.text().await.unwrap(),
    )
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// Every secret of the log that belongs to `user`: their password hash, their sessions'
/// token hashes, their Snap tokens.
async fn secrets_of(stack: &Stack, user: Uuid) -> Vec<String> {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT data FROM es_events WHERE stream_id = $1 OR metadata->>'actor_id' = $2",
            &[&format!("customer-{user}"), &user.to_string()],
        )
        .await
        .unwrap();
    let mut secrets = Vec::new();
    for row in rows {
        let data: Value = row.get(0);
        for key in ["password_hash", "token_hash"] {
            if let Some(secret) = data[key].as_str() {
                secrets.push(secret.to_owned());
            }
        }
        if let Some(token) = data
            .pointer("/snap_token/$sensitive")
            .and_then(Value::as_str)
        {
            secrets.push(token.to_owned());
        }
    }
    secrets
}

/// A buyer with a history: their own actions, an admin's suspension and reinstatement.
struct History {
    buyer: Uuid,
    /// An access token of the buyer's, signed in after the reinstatement.
    token: String,
    /// The consistency token of that sign-in (after everything above).
    consistency: String,
    snap_token: String,
    /// Another buyer, whose activity must not show.
    other: Uuid,
}

/// A buyer (with a name a spreadsheet would run) buys, is suspended, then reinstated.
async fn buyer_with_history(stack: &Stack) -> History {
    let admin = stack.admin_token().await;
    let listed = listed_product(stack, 15_000, 4).await;
    let buyer = register_named(stack, "buyer", "=HYPERLINK(\"http://evil\")").await;
    let other = registered(stack, "buyer").await;
    let (status, placed) = buy(stack, &buyer.access, listed.product_id, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let reason = Some(json!({ "reason": "checking a complaint" }));
    let (status, _) = admin_action(stack, &admin, buyer.id, "suspend", reason).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = admin_action(stack, &admin, buyer.id, "reinstate", None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let login = json!({ "email": buyer.email, "password": PASSWORD });
    let (status, signed_in, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(login))
        .await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    History {
        buyer: buyer.id,
        token: signed_in["access_token"].as_str().unwrap().to_owned(),
        consistency: signed_in["consistency_token"].as_str().unwrap().to_owned(),
        snap_token: placed["payment"]["snap_token"].as_str().unwrap().to_owned(),
        other: other.id,
    }
}

#[tokio::test]
async fn the_export_holds_the_users_actions_and_the_admins_without_a_secret() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let history = buyer_with_history(&stack).await;
    // Act
    let response = stack
        .http
        .get(format!("{}/v1/me/activity", stack.query_url))
        .bearer_auth(&history.token)
        .header("x-consistency-token", &history.consistency)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let json_body = response.text().await.unwrap();
    let (status, content_type, _, csv_body) =
        export(&stack, Some(&history.token), "format=csv").await;
    // Assert
    let events = assert_json_export(&json_body, &history);
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert_csv_export(&csv_body, events);
    let mut secrets = secrets_of(&stack, history.buyer).await;
    secrets.push(history.snap_token.clone());
    assert!(secrets.len() >= 4, "hashes and the Snap token: {secrets:?}");
    for secret in &secrets {
        assert!(
            !json_body.contains(secret.as_str()),
            "JSON export leaks {secret}"
        );
        assert!(
            !csv_body.contains(secret.as_str()),
            "CSV export leaks {secret}"
        );
    }
}

/// The JSON export holds the buyer's own actions and the admin's, in log order, and nothing
/// of the other buyer's. Answers how many events it holds.
fn assert_json_export(body: &str, history: &History) -> usize {
    let document: Value = serde_json::from_str(body).expect("the JSON export parses");
    assert_eq!(document["user_id"], json!(history.buyer));
    let events = document["events"].as_array().unwrap();
    let seen = types(events);
    for expected in [
        "CustomerRegistered",
        "SessionStarted",
        "CartItemAdded",
        "OrderPlaced",
        "PaymentInitiated",
        "CustomerSuspended",
        "SessionRevoked",
        "CustomerReinstated",
    ] {
        assert!(seen.contains(&expected), "{expected} missing from {seen:?}");
    }
    let of_type = |kind: &str| events.iter().find(|e| e["type"] == kind).unwrap();
    let suspended = of_type("CustomerSuspended");
    assert_eq!(suspended["actor"], "admin", "{suspended}");
    assert_eq!(suspended["data"]["reason"], "checking a complaint");
    assert_eq!(of_type("CartItemAdded")["actor"], "you");
    let positions: Vec<(u64, i64)> = events.iter().map(|e| position(&e["position"])).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "oldest first, each once"
    );
    assert!(!body.contains(&history.other.to_string()));
    events.len()
}

/// A real CSV parser reads the header and one record per event, none a formula.
fn assert_csv_export(body: &str, events: usize) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let expected = [
        "position",
        "recorded_at",
        "stream",
        "event_type",
        "actor",
        "actor_id",
        "data",
    ];
    assert_eq!(header, expected);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), events, "one record per event");
    let registered_row = records
        .iter()
        .find(|r| &r[3] == "CustomerRegistered")
        .unwrap();
    let data: Value = serde_json::from_str(&registered_row[6]).expect("data is JSON");
    assert_eq!(
        data["full_name"], "=HYPERLINK(\"http://evil\")",
        "quoting keeps it"
    );
    for record in &records {
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?}"
            );
        }
    }
}

fn position(value: &Value) -> (u64, i64) {
    let (txid, global) = value.as_str().unwrap().split_once('-').unwrap();
    (txid.parse().unwrap(), global.parse().unwrap())
}

#[tokio::test]
async fn the_export_is_the_callers_own_and_refuses_bad_parameters() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let buyer = registered(&stack, "buyer").await;
    let seller = registered(&stack, "seller").await;
    // Act / Assert: nobody 401.
    let (status, _, _, _) = export(&stack, None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A seller's export holds the seller's own events only.
    let (status, _, _, body) = export(&stack, Some(&seller.access), "").await;
    assert_eq!(status, StatusCode::OK);
    let document: Value = serde_json::from_str(&body).unwrap();
    let streams: HashSet<&str> = document["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["stream"].as_str().unwrap())
        .collect();
    assert!(
        streams.contains(format!("customer-{}", seller.id).as_str()),
        "{streams:?}"
    );
    assert!(!body.contains(&buyer.id.to_string()), "{body}");
    // Bad parameters name the field.
    for (query, field) in [
        ("format=xml", "format"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from"),
    ] {
        let (status, _, _, body) = export(&stack, Some(&buyer.access), query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body.contains(field), "{query}: {body}");
    }
    let (status, _, _, _) = export(&stack, Some(&buyer.access), "colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A window before the account existed is empty.
    let (status, _, _, body) = export(&stack, Some(&buyer.access), "to=2000-01-01T00:00:00Z").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["events"],
        json!([])
    );
}

#[tokio::test]
async fn a_history_longer_than_one_read_is_streamed_whole_and_in_order() {
    // Arrange: more cart changes than one batch of the export (500) reads.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 1_000).await;
    let buyer = registered(&stack, "buyer").await;
    let path = format!("/v1/cart/items/{}", listed.product_id);
    let changes: i64 = 620;
    futures::stream::iter(1..=changes)
        .for_each_concurrent(8, |n| {
            let (stack, path, token) = (&stack, &path, &buyer.access);
            async move {
                let body = Some(json!({ "quantity": n % 50 + 1 }));
                let (status, answer, _) = stack.command(Method::PUT, path, Some(token), body).await;
                assert_eq!(status, StatusCode::OK, "{answer}");
            }
        })
        .await;
    // Concurrent changes that happen to set the quantity the cart already holds record
    // nothing; top up one at a time until the history is surely longer than one read.
    let mut n = changes;
    let cart_events = loop {
        let events = stack
            .stream_events(&format!("cart-{}", buyer.id))
            .await
            .len();
        if events > 520 {
            break events;
        }
        n += 1;
        let body = Some(json!({ "quantity": n % 50 + 1 }));
        let (status, answer, _) = stack
            .command(Method::PUT, &path, Some(&buyer.access), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    };
    // Act
    let (status, content_type, encoding, body) =
        export(&stack, Some(&buyer.access), "format=csv").await;
    // Assert: chunked, every event once, in order.
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"));
    assert_eq!(encoding, "chunked", "streamed, not a whole body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let in_cart = records.iter().filter(|r| r[2].starts_with("cart-")).count();
    assert_eq!(in_cart, cart_events, "every cart event of the log");
    assert!(cart_events > 500, "{cart_events}");
    let positions: Vec<(u64, i64)> = records
        .iter()
        .map(|r| position(&json!(r[0].to_owned())))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in log order, no repeats"
    );
}
