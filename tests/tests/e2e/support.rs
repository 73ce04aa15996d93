use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub struct Listed {
    pub product_id: Uuid,
    pub seller_token: String,
}

/// Where e2e sellers ship from (a simulator place: GAMBIR, Jakarta Pusat).
pub const ORIGIN_SEARCH: &str = "gambir";
/// Where e2e buyers live (a simulator place: DAGO, Bandung).
pub const DESTINATION_SEARCH: &str = "dago";

/// The first location the command API's destination search finds for `search`.
pub async fn location(stack: &Stack, token: &str, search: &str) -> u64 {
    let path = format!("/v1/shipping/destinations?search={search}");
    let (status, body, _) = stack.command(Method::GET, &path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "destinations: {body}");
    body["destinations"][0]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no location for {search}: {body}"))
}

/// Gives the seller a store profile shipping from `origin_search` (when the stack ships).
pub async fn open_store(stack: &Stack, seller_token: &str, origin_search: &str) -> Value {
    let origin = location(stack, seller_token, origin_search).await;
    let profile =
        json!({ "store_name": "Toko Kaos", "description": "Kaos katun", "origin": origin });
    let (status, body, _) = stack
        .command(
            Method::PUT,
            "/v1/seller/profile",
            Some(seller_token),
            Some(profile),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "store profile: {body}");
    body
}

/// A seller lists a product at `price` and receives `units` (none when 0).
pub async fn listed_product(stack: &Stack, price: i64, units: i64) -> Listed {
    let (_, seller_token) = stack.register("seller").await;
    if stack.ships() {
        open_store(stack, &seller_token, ORIGIN_SEARCH).await;
    }
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
    if units > 0 {
        receive(stack, &seller_token, product_id, units).await;
    }
    Listed {
        product_id,
        seller_token,
    }
}

/// The seller receives `units` of `product_id`.
pub async fn receive(stack: &Stack, seller_token: &str, product_id: Uuid, units: i64) -> Value {
    let path = format!("/v1/inventory/{product_id}/receipts");
    let (status, body, _) = stack
        .command(
            Method::POST,
            &path,
            Some(seller_token),
            Some(json!({ "quantity": units })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "receive stock: {body}");
    body
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

/// The cart quoted to `destination`: `GET /v1/shipping/quotes` answer.
pub async fn quotes(stack: &Stack, buyer_token: &str, destination: u64) -> (StatusCode, Value) {
    let path = format!("/v1/shipping/quotes?destination={destination}");
    let (status, body, _) = stack
        .command(Method::GET, &path, Some(buyer_token), None)
        .await;
    (status, body)
}

/// The cheapest service of each quoted group, as checkout's `shipments`.
pub fn cheapest_shipments(quoted: &Value) -> Value {
    let groups = quoted["groups"].as_array().cloned().unwrap_or_default();
    Value::Array(
        groups
            .iter()
            .map(|g| {
                let cheapest = &g["services"][0];
                json!({
                    "seller_id": g["seller_id"], "quote_id": g["quote_id"],
                    "courier": cheapest["courier"], "service": cheapest["service"],
                })
            })
            .collect(),
    )
}

/// Bodies already completed with shipments, by (buyer, key, body as sent): a retry with the
/// same key and body sends the same completed body (as a client would), even though the cart
/// is empty by then.
static WITH_SHIPPING: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, Value>>,
> = std::sync::LazyLock::new(Default::default);

/// `body` completed with shipping when the stack ships and the body has no `shipments`: the
/// buyer's destination in the address and the cheapest quoted service per seller. Left as it
/// is when quoting fails (an empty cart, a seller without a store): checkout then answers.
pub async fn with_shipping(stack: &Stack, buyer_token: &str, key: &str, body: Value) -> Value {
    if !stack.ships() || body.get("shipments").is_some() || !body["shipping_address"].is_object() {
        return body;
    }
    // One completion at a time: concurrent requests with one key (a test of retries) must
    // send the same body, so the first completes it and the others reuse it.
    static COMPLETING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _completing = COMPLETING.lock().await;
    let memo = format!("{buyer_token}|{key}|{body}");
    if let Some(done) = WITH_SHIPPING.lock().unwrap().get(&memo) {
        return done.clone();
    }
    let destination = location(stack, buyer_token, DESTINATION_SEARCH).await;
    let (status, quoted) = quotes(stack, buyer_token, destination).await;
    if status != StatusCode::OK {
        return body;
    }
    let mut completed = body;
    completed["shipping_address"]["destination_id"] = json!(destination);
    completed["shipments"] = cheapest_shipments(&quoted);
    WITH_SHIPPING
        .lock()
        .unwrap()
        .insert(memo, completed.clone());
    completed
}

/// Checks out with `body` ([`with_shipping`] completes it when the stack ships).
pub async fn checkout(
    stack: &Stack,
    buyer_token: &str,
    key: &str,
    body: Value,
) -> (StatusCode, Value) {
    let body = with_shipping(stack, buyer_token, key, body).await;
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

/// Every paid order's every line has one reservation and exactly one commit for that order in
/// its product's stock stream; nothing is committed for an order that was not paid.
pub async fn assert_paid_orders_hold_their_reservations(stack: &Stack) {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT stream_id, event_type, data FROM es_events
             WHERE event_type IN ('OrderPlaced', 'OrderPaid', 'StockReserved', 'ReservationCommitted')
             ORDER BY global_position",
            &[],
        )
        .await
        .unwrap();
    let mut paid = std::collections::HashSet::new();
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut held: Vec<(String, String, &str)> = Vec::new();
    for row in &rows {
        let (stream, event_type, data): (String, String, serde_json::Value) =
            (row.get(0), row.get(1), row.get(2));
        let order = stream.trim_start_matches("order-").to_owned();
        match event_type.as_str() {
            "OrderPaid" => {
                paid.insert(order);
            }
            "OrderPlaced" => {
                for line in data["lines"].as_array().unwrap() {
                    lines.push((
                        order.clone(),
                        line["product_id"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            kind => {
                let product = stream.trim_start_matches("stock-").to_owned();
                let order = data["order_id"].as_str().unwrap().to_owned();
                let kind = if kind == "StockReserved" {
                    "reserved"
                } else {
                    "committed"
                };
                held.push((order, product, kind));
            }
        }
    }
    let times = |order: &str, product: &str, kind: &str| {
        held.iter()
            .filter(|(o, p, k)| o == order && p == product && *k == kind)
            .count()
    };
    for (order, product) in &lines {
        let committed = times(order, product, "committed");
        if paid.contains(order) {
            assert_eq!(
                times(order, product, "reserved"),
                1,
                "order {order} reserved {product}"
            );
            assert_eq!(committed, 1, "paid order {order} committed {product} once");
        } else {
            assert_eq!(committed, 0, "unpaid order {order} committed nothing");
        }
    }
}

/// A fresh 20,000-rupiah product with 5 units, and a buyer's checkout of one unit, unpaid:
/// (the listing, the buyer's token, the payment id, the order id).
pub async fn one_unit_ordered(stack: &Stack) -> (Listed, String, String, String) {
    let listed = listed_product(stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (_, placed) = buy(stack, &buyer, listed.product_id, 1).await;
    let (payment, order) = (payment_id(&placed), order_id(&placed));
    (listed, buyer, payment, order)
}

/// Waits until `order` reads as paid and `product` shows `available` units.
pub async fn until_paid(stack: &Stack, buyer: &str, order: &str, product: Uuid, available: i64) {
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(buyer), |o| {
            o["status"] == "paid"
        })
        .await;
    stack
        .eventually(&format!("/v1/products/{product}"), None, |p| {
            p["available"] == available
        })
        .await;
}

/// How many events of one type the whole log holds, straight from PostgreSQL.
pub async fn count(stack: &Stack, event_type: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query_one(
            "SELECT count(*) FROM es_events WHERE event_type = $1",
            &[&event_type],
        )
        .await
        .unwrap()
        .get(0)
}
