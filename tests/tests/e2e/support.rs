use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub struct Listed {
    pub product_id: Uuid,
    pub seller_token: String,
}

/// A seller lists a product at `price` and receives `units`.
pub async fn listed_product(stack: &Stack, price: i64, units: i64) -> Listed {
    let (_, seller_token) = stack.register("seller").await;
    let sku = format!("SKU-{}", &Uuid::new_v4().simple().to_string()[..12]);
    let body = json!({ "sku": sku, "name": "Kaos Polos", "description": "Kaos katun", "price": price, "weight_grams": 200 });
    let (status, body, _) = stack
        .command(
            Method::POST,
            "/v1/products",
            Some(&seller_token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "list product: {body}");
    let product_id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/v1/inventory/{product_id}/receipts");
    let (status, body, _) = stack
        .command(
            Method::POST,
            &path,
            Some(&seller_token),
            Some(json!({ "quantity": units })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "receive stock: {body}");
    Listed {
        product_id,
        seller_token,
    }
}

pub fn address() -> Value {
    json!({
        "recipient": "Budi Santoso", "phone": "08123456789", "address": "Jl. Sudirman 12",
        "city": "Jakarta", "postal_code": "12190"
    })
}

/// Adds to the cart, then checks out with a fresh idempotency key.
pub async fn buy(
    stack: &Stack,
    buyer_token: &str,
    product_id: Uuid,
    quantity: i64,
) -> (StatusCode, Value) {
    let item = json!({ "product_id": product_id, "quantity": quantity });
    let (status, body, _) = stack
        .command(
            Method::POST,
            "/v1/cart/items",
            Some(buyer_token),
            Some(item),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "add to cart: {body}");
    checkout(
        stack,
        buyer_token,
        &Uuid::new_v4().to_string(),
        json!({ "shipping_address": address() }),
    )
    .await
}

pub async fn checkout(
    stack: &Stack,
    buyer_token: &str,
    key: &str,
    body: Value,
) -> (StatusCode, Value) {
    let url = format!("{}/v1/checkout", stack.command_url);
    let (status, body, _) = stack
        .send(
            Method::POST,
            url,
            Some(buyer_token),
            Some(body),
            &[("idempotency-key", key)],
        )
        .await;
    (status, body)
}

pub fn payment_id(checkout: &Value) -> String {
    checkout["payment"]["id"]
        .as_str()
        .expect("payment id")
        .to_owned()
}

pub fn order_id(checkout: &Value) -> String {
    checkout["orders"][0]["id"]
        .as_str()
        .expect("order id")
        .to_owned()
}

pub async fn event_types(stack: &Stack, stream: &str) -> Vec<String> {
    stack
        .stream_events(stream)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect()
}
