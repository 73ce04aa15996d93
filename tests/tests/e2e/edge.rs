//! Input refused at the edge (control characters, over-long emails) and the limits on open
//! checkouts: refused with a clear problem, and nothing held or recorded.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::support::{address, checkout, event_types, listed_product};

async fn add_to_cart(stack: &Stack, buyer: &str, product_id: Uuid, quantity: i64) {
    let item = json!({ "product_id": product_id, "quantity": quantity });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/cart/items", Some(buyer), Some(item))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn control_characters_in_an_address_are_refused_and_reserve_nothing() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    add_to_cart(&stack, &buyer, listed.product_id, 1).await;

    // Act
    for recipient in ["\u{0}", "Ani\u{7}"] {
        let mut shipping = address();
        shipping["recipient"] = json!(recipient);
        let key = Uuid::new_v4().to_string();
        let (status, problem) = checkout(
            &stack,
            &buyer,
            &key,
            json!({ "shipping_address": shipping }),
        )
        .await;

        // Assert: 422 naming the field; the stock stream has no reservation.
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "shipping_address.recipient");
    }
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(stock, ["StockReceived"], "{stock:?}");
}

#[tokio::test]
async fn an_email_beyond_rfc_5321_limits_is_refused_and_leaves_no_trace() {
    let stack = Stack::start().await.unwrap();
    let email = format!("{}@example.com", "a".repeat(195));
    let body = json!({ "email": email, "password": "long-enough-pw", "full_name": "Ani" });
    let (status, problem, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email");
    assert!(
        stack
            .stream_events(&format!("email-{email}"))
            .await
            .is_empty(),
        "no claim"
    );
    let control =
        json!({ "email": "a@b.id", "password": "long-enough-pw", "full_name": "A\u{1b}[2J" });
    let (status, problem, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(control))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        stack.stream_events("email-a@b.id").await.is_empty(),
        "no claim"
    );
}

#[tokio::test]
async fn a_buyer_cannot_hold_more_open_checkouts_than_the_cap() {
    // Arrange: a cap of two open checkouts.
    let stack = Stack::start_with(&[("MAX_OPEN_CHECKOUTS_PER_BUYER", "2")])
        .await
        .unwrap();
    let listed = listed_product(&stack, 10_000, 50).await;
    let (_, buyer) = stack.register("buyer").await;
    let request = json!({ "shipping_address": address() });

    // Act: three checkouts in a row, none paid.
    let mut answers = Vec::new();
    for _ in 0..3 {
        add_to_cart(&stack, &buyer, listed.product_id, 1).await;
        let key = Uuid::new_v4().to_string();
        answers.push(checkout(&stack, &buyer, &key, request.clone()).await);
    }

    // Assert: the third is refused with a clear problem and holds no stock.
    assert_eq!(answers[0].0, StatusCode::CREATED, "{:?}", answers[0]);
    assert_eq!(answers[1].0, StatusCode::CREATED, "{:?}", answers[1]);
    assert_eq!(answers[2].0, StatusCode::CONFLICT, "{:?}", answers[2]);
    assert_eq!(answers[2].1["title"], "Too many open checkouts");
    assert_eq!(answers[2].1["limit"], 2);
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(stock.iter().filter(|t| *t == "StockReserved").count(), 2);
}

#[tokio::test]
async fn a_short_line_gives_back_the_lines_reserved_before_it_and_a_lone_short_line_holds_nothing()
{
    // Arrange: two products with 5 units each; `first` is the one a checkout reserves first
    // (lines are reserved in product-id order). One buyer wants 2 of `first` and 6 of
    // `second`, another only 6 of `second`.
    let stack = Stack::start().await.unwrap();
    let one = listed_product(&stack, 10_000, 5).await;
    let two = listed_product(&stack, 20_000, 5).await;
    let (first, second) = if one.product_id < two.product_id {
        (one.product_id, two.product_id)
    } else {
        (two.product_id, one.product_id)
    };
    let (_, buyer) = stack.register("buyer").await;
    add_to_cart(&stack, &buyer, first, 2).await;
    add_to_cart(&stack, &buyer, second, 6).await;
    let (_, lone) = stack.register("buyer").await;
    add_to_cart(&stack, &lone, second, 6).await;
    let request = json!({ "shipping_address": address() });

    // Act: both check out; the second product is short for both.
    let key = Uuid::new_v4().to_string();
    let (status, problem) = checkout(&stack, &buyer, &key, request.clone()).await;
    let key = Uuid::new_v4().to_string();
    let (lone_status, lone_problem) = checkout(&stack, &lone, &key, request).await;

    // Assert: refused naming the short line; the first line's reservation was given back;
    // the lone short line appended nothing to its stock stream.
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["title"], "Insufficient stock", "{problem}");
    assert_eq!(problem["short_lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(problem["short_lines"][0]["product_id"], json!(second));
    let first_stock = event_types(&stack, &format!("stock-{first}")).await;
    assert_eq!(
        first_stock,
        ["StockReceived", "StockReserved", "ReservationReleased"]
    );
    assert_eq!(lone_status, StatusCode::CONFLICT, "{lone_problem}");
    assert_eq!(
        lone_problem["title"], "Insufficient stock",
        "{lone_problem}"
    );
    let second_stock = event_types(&stack, &format!("stock-{second}")).await;
    assert_eq!(second_stock, ["StockReceived"]);
    stack
        .eventually(&format!("/v1/products/{first}"), None, |p| {
            p["available"] == 5
        })
        .await;
}

#[tokio::test]
async fn a_line_over_the_checkout_quantity_cap_is_refused() {
    let stack = Stack::start_with(&[("MAX_CHECKOUT_LINE_QUANTITY", "3")])
        .await
        .unwrap();
    let listed = listed_product(&stack, 10_000, 50).await;
    let (_, buyer) = stack.register("buyer").await;
    add_to_cart(&stack, &buyer, listed.product_id, 4).await;
    let key = Uuid::new_v4().to_string();
    let (status, problem) = checkout(
        &stack,
        &buyer,
        &key,
        json!({ "shipping_address": address() }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["title"], "Line quantity too large");
    assert_eq!(problem["max"], 3);
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(stock, ["StockReceived"], "{stock:?}");
}

#[tokio::test]
async fn a_stock_receipt_or_cart_add_retried_with_its_idempotency_key_lands_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let receipt = format!(
        "{}/v1/inventory/{}/receipts",
        stack.command_url, listed.product_id
    );
    let add = format!("{}/v1/cart/items", stack.command_url);
    let item = json!({ "product_id": listed.product_id, "quantity": 2 });

    // Act: each request sent twice with the same key, as after a lost acknowledgement.
    let mut answers = Vec::new();
    for _ in 0..2 {
        let (status, body, _) = stack
            .send(
                Method::POST,
                receipt.clone(),
                Some(&listed.seller_token),
                Some(json!({ "quantity": 3 })),
                &[("idempotency-key", "receipt-1")],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, cart, _) = stack
            .send(
                Method::POST,
                add.clone(),
                Some(&buyer),
                Some(item.clone()),
                &[("idempotency-key", "add-1")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cart}");
        answers.push((body, cart));
    }

    // Assert: one receipt, one add; the retry answers with the same state.
    assert_eq!(answers[0].0["on_hand"], 8);
    assert_eq!(answers[1].0["on_hand"], 8, "{:?}", answers[1]);
    assert_eq!(answers[1].1["items"][0]["quantity"], 2, "{:?}", answers[1]);
    let stock = event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(stock, ["StockReceived", "StockReceived"], "{stock:?}");
}
