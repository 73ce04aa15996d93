//! The optional `Idempotency-Key` on every command endpoint: a retry with the same request
//! lands once and answers the same; the same key with another request is refused (422) and
//! changes nothing.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{event_types, listed_product};

async fn keyed(
    stack: &Stack,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
    key: &str,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", stack.command_url);
    let (status, body, _) = stack
        .send(method, url, token, Some(body), &[("idempotency-key", key)])
        .await;
    (status, body)
}

fn assert_key_reused(status: StatusCode, problem: &Value) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["title"], "Idempotency key reused", "{problem}");
}

#[tokio::test]
async fn a_key_reused_with_another_request_is_refused_and_changes_nothing() {
    // Arrange: a receipt and a cart add, each made once with its key.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let receipts = format!("/v1/inventory/{}/receipts", listed.product_id);
    let seller = Some(listed.seller_token.as_str());
    let (status, body) = keyed(
        &stack,
        Method::POST,
        &receipts,
        seller,
        json!({ "quantity": 3 }),
        "r-1",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let item = |quantity: i64| json!({ "product_id": listed.product_id, "quantity": quantity });
    let (status, body) = keyed(
        &stack,
        Method::POST,
        "/v1/cart/items",
        Some(&buyer),
        item(1),
        "c-1",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Act: the same keys with other quantities, and the cart key on another operation.
    let (receipt_status, receipt) = keyed(
        &stack,
        Method::POST,
        &receipts,
        seller,
        json!({ "quantity": 4 }),
        "r-1",
    )
    .await;
    let (add_status, add) = keyed(
        &stack,
        Method::POST,
        "/v1/cart/items",
        Some(&buyer),
        item(2),
        "c-1",
    )
    .await;
    let set = format!("/v1/cart/items/{}", listed.product_id);
    let (set_status, set_answer) = keyed(
        &stack,
        Method::PUT,
        &set,
        Some(&buyer),
        json!({ "quantity": 2 }),
        "c-1",
    )
    .await;

    // Assert: all refused; the log holds only the first receipt and the first add.
    assert_key_reused(receipt_status, &receipt);
    assert_key_reused(add_status, &add);
    assert_key_reused(set_status, &set_answer);
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(stock, ["StockReceived", "StockReceived"], "{stock:?}");
    let (_, same) = keyed(
        &stack,
        Method::POST,
        "/v1/cart/items",
        Some(&buyer),
        item(1),
        "c-1",
    )
    .await;
    assert_eq!(same["items"][0]["quantity"], 1, "{same}");
}

#[tokio::test]
async fn parallel_receipts_with_one_key_land_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 5).await;
    let receipts = format!("/v1/inventory/{}/receipts", listed.product_id);

    // Act: eight at once with one key and one body.
    let answers = futures::future::join_all((0..8).map(|_| {
        keyed(
            &stack,
            Method::POST,
            &receipts,
            Some(&listed.seller_token),
            json!({ "quantity": 7 }),
            "same",
        )
    }))
    .await;

    // Assert: each answered as the one receipt; one event.
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["on_hand"], 12, "{body}");
    }
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(stock, ["StockReceived", "StockReceived"], "{stock:?}");
}

#[tokio::test]
async fn a_listing_retried_with_its_key_is_one_product() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let sku = format!("KEY-{}", Uuid::new_v4().simple());
    let listing = |price: i64| json!({ "sku": sku, "name": "Kopi Gayo 250 g", "price": price, "weight_grams": 250 });

    // Act: twice with one key, then the key with another price.
    let (first_status, first) = keyed(
        &stack,
        Method::POST,
        "/v1/products",
        Some(&seller),
        listing(85_000),
        "l-1",
    )
    .await;
    let (again_status, again) = keyed(
        &stack,
        Method::POST,
        "/v1/products",
        Some(&seller),
        listing(85_000),
        "l-1",
    )
    .await;
    let (other_status, other) = keyed(
        &stack,
        Method::POST,
        "/v1/products",
        Some(&seller),
        listing(90_000),
        "l-1",
    )
    .await;

    // Assert: one product, answered twice; the other request refused.
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    assert_eq!(again_status, StatusCode::CREATED, "{again}");
    assert_eq!(first["id"], again["id"]);
    assert_key_reused(other_status, &other);
    let id = first["id"].as_str().unwrap();
    let product = event_types(&stack, &format!("product-{id}")).await;
    assert_eq!(product, ["ProductListed"], "{product:?}");
}

#[tokio::test]
async fn a_registration_retried_with_its_key_is_one_account_and_needs_its_password() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let email = format!("retry-{}@pasar.test", Uuid::new_v4().simple());
    let body = |password: &str| json!({ "email": email, "password": password, "full_name": "Ani Retry", "role": "buyer" });
    let register = |password: &'static str| {
        keyed(
            &stack,
            Method::POST,
            "/v1/auth/register",
            None,
            body(password),
            "reg-1",
        )
    };

    // Act: the same registration twice, then the key with the right email and name but
    // another password (someone who learnt the key).
    let (first_status, first) = register("a-long-password").await;
    let (again_status, again) = register("a-long-password").await;
    let (thief_status, thief) = register("not-the-password").await;

    // Assert: one account, answered to the retry with its own session; no session for the
    // wrong password.
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    assert_eq!(again_status, StatusCode::CREATED, "{again}");
    assert_eq!(first["user"]["id"], again["user"]["id"]);
    assert_key_reused(thief_status, &thief);
    assert!(thief.get("access_token").is_none(), "{thief}");
    let id = first["user"]["id"].as_str().unwrap();
    let customer = event_types(&stack, &format!("customer-{id}")).await;
    assert_eq!(
        customer,
        ["CustomerRegistered", "SessionStarted", "SessionStarted"],
        "{customer:?}"
    );
}

#[tokio::test]
async fn a_refresh_retried_with_its_key_answers_the_same_tokens_and_keeps_the_session() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let email = format!("refresh-{}@pasar.test", Uuid::new_v4().simple());
    let registration =
        json!({ "email": email, "password": "a-long-password", "full_name": "Budi" });
    let (status, session, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(registration))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let presented = json!({ "refresh_token": session["refresh_token"] });

    // Act: the refresh sent twice with one key (the first answer lost), then a plain refresh
    // with the token it gave.
    let (first_status, first) = keyed(
        &stack,
        Method::POST,
        "/v1/auth/refresh",
        None,
        presented.clone(),
        "rf-1",
    )
    .await;
    let (again_status, again) = keyed(
        &stack,
        Method::POST,
        "/v1/auth/refresh",
        None,
        presented,
        "rf-1",
    )
    .await;
    let next = json!({ "refresh_token": again["refresh_token"] });
    let (next_status, next_answer, _) = stack
        .command(Method::POST, "/v1/auth/refresh", None, Some(next))
        .await;

    // Assert: the retry got the same refresh token, which still works (no reuse detected).
    assert_eq!(first_status, StatusCode::OK, "{first}");
    assert_eq!(again_status, StatusCode::OK, "{again}");
    assert_eq!(first["refresh_token"], again["refresh_token"]);
    assert_ne!(first["refresh_token"], session["refresh_token"]);
    assert_eq!(next_status, StatusCode::OK, "{next_answer}");
}
