//! Shipping through the RajaOngkir simulator: store profiles, destination search, quotes per
//! seller, checkout with shipments (amounts adding up in Snap), refused quotes and RajaOngkir
//! down.

use std::time::Duration;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    DESTINATION_SEARCH, address, checkout, count, location, open_store, payment_id, quotes,
};

struct Seller {
    id: Uuid,
    token: String,
    product_id: Uuid,
}

/// A seller shipping from `origin_search` (no store when `None`) with one product of
/// `weight_grams` at `price`, 10 units in stock.
async fn seller(
    stack: &Stack,
    origin_search: Option<&str>,
    price: i64,
    weight_grams: i64,
) -> Seller {
    let (id, token) = stack.register("seller").await;
    if let Some(origin) = origin_search {
        open_store(stack, &token, origin).await;
    }
    let sku = format!("GAYO-{}", &Uuid::new_v4().simple().to_string()[..10]);
    let product =
        json!({ "sku": sku, "name": "Kopi Gayo", "price": price, "weight_grams": weight_grams });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/products", Some(&token), Some(product))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let product_id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/v1/inventory/{product_id}/receipts");
    let (status, body, _) = stack
        .command(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({ "quantity": 10 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Seller {
        id,
        token,
        product_id,
    }
}

async fn add_to_cart(stack: &Stack, buyer: &str, product_id: Uuid, quantity: i64) {
    let item = json!({ "product_id": product_id, "quantity": quantity });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/cart/items", Some(buyer), Some(item))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn group(quoted: &Value, seller_id: Uuid) -> &Value {
    quoted["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["seller_id"] == json!(seller_id))
        .unwrap_or_else(|| panic!("no group for {seller_id}: {quoted}"))
}

/// The first service of `courier` in a quote group.
fn service<'a>(group: &'a Value, courier: &str) -> &'a Value {
    group["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["courier"] == courier)
        .unwrap_or_else(|| panic!("no {courier} service: {group}"))
}

fn shipment(group: &Value, service: &Value) -> Value {
    json!({
        "seller_id": group["seller_id"], "quote_id": group["quote_id"],
        "courier": service["courier"], "service": service["service"],
    })
}

fn body_to(destination: u64, shipments: Value) -> Value {
    let mut shipping_address = address();
    shipping_address["destination_id"] = json!(destination);
    json!({ "shipping_address": shipping_address, "shipments": shipments })
}

#[tokio::test]
async fn a_two_seller_checkout_with_two_couriers_adds_up_to_the_rupiah_in_snap() {
    // Arrange: one seller in Jakarta, one in Sleman; the buyer in Bandung.
    let stack = Stack::start().await.unwrap();
    let jakarta = seller(&stack, Some("gambir"), 75_000, 250).await;
    let sleman = seller(&stack, Some("sinduharjo"), 40_000, 1200).await;
    let (_, buyer) = stack.register("buyer").await;
    add_to_cart(&stack, &buyer, jakarta.product_id, 2).await;
    add_to_cart(&stack, &buyer, sleman.product_id, 1).await;
    let destination = location(&stack, &buyer, DESTINATION_SEARCH).await;

    // Act: quote, then choose JNE for Jakarta and SiCepat for Sleman.
    let (status, quoted) = quotes(&stack, &buyer, destination).await;
    assert_eq!(status, StatusCode::OK, "{quoted}");
    assert_eq!(quoted["groups"].as_array().unwrap().len(), 2, "{quoted}");
    let (from_jakarta, from_sleman) = (group(&quoted, jakarta.id), group(&quoted, sleman.id));
    assert_eq!(from_jakarta["weight_grams"], 500, "{from_jakarta}");
    assert_eq!(from_sleman["weight_grams"], 1200, "{from_sleman}");
    assert!(
        from_jakarta["origin"]["label"]
            .as_str()
            .unwrap()
            .contains("GAMBIR")
    );
    assert!(from_jakarta["expires_at"].is_string() && from_jakarta["quote_id"].is_string());
    let (jne, sicepat) = (
        service(from_jakarta, "jne"),
        service(from_sleman, "sicepat"),
    );
    assert!(!jne["etd"].is_null() && jne["cost"].as_i64().unwrap() > 0);
    let shipments = json!([shipment(from_jakarta, jne), shipment(from_sleman, sicepat)]);
    let (status, placed) = checkout(
        &stack,
        &buyer,
        "two-sellers",
        body_to(destination, shipments),
    )
    .await;

    // Assert: each order carries its courier's quoted cost; everything adds up.
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let orders = placed["orders"].as_array().unwrap();
    let cost_of = |seller: Uuid| {
        let order = orders
            .iter()
            .find(|o| o["seller_id"] == json!(seller))
            .unwrap();
        assert_eq!(
            order["total"].as_i64().unwrap(),
            order["subtotal"].as_i64().unwrap() + order["shipping_cost"].as_i64().unwrap(),
            "{order}"
        );
        order["shipping_cost"].as_i64().unwrap()
    };
    assert_eq!(cost_of(jakarta.id), jne["cost"].as_i64().unwrap());
    assert_eq!(cost_of(sleman.id), sicepat["cost"].as_i64().unwrap());
    let gross: i64 = orders.iter().map(|o| o["total"].as_i64().unwrap()).sum();
    assert_eq!(
        gross,
        150_000 + 40_000 + jne["cost"].as_i64().unwrap() + sicepat["cost"].as_i64().unwrap()
    );
    assert_eq!(placed["payment"]["gross_amount"], gross);
    let snap = stack.sim.transaction(&payment_id(&placed)).unwrap();
    assert_eq!(snap.gross_amount, gross);
    let items = snap.item_details.as_array().unwrap();
    let item_sum: i64 = items
        .iter()
        .map(|i| i["price"].as_i64().unwrap() * i["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(item_sum, gross, "{items:?}");
    let shipping_items: Vec<i64> = items
        .iter()
        .filter(|i| i["id"].as_str().unwrap().starts_with("SHIP-"))
        .map(|i| i["price"].as_i64().unwrap())
        .collect();
    assert_eq!(shipping_items.len(), 2, "{items:?}");
    assert_eq!(
        shipping_items.iter().sum::<i64>(),
        jne["cost"].as_i64().unwrap() + sicepat["cost"].as_i64().unwrap()
    );

    // The order reads show the shipping cost and the destination.
    let token = placed["consistency_token"].as_str().unwrap();
    let order = orders
        .iter()
        .find(|o| o["seller_id"] == json!(jakarta.id))
        .unwrap();
    let (status, read) = stack
        .query(
            &format!("/v1/orders/{}", order["id"].as_str().unwrap()),
            Some(&buyer),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["shipping_cost"], jne["cost"], "{read}");
    assert_eq!(read["total"], order["total"], "{read}");
}

async fn reserved(stack: &Stack) -> i64 {
    count(stack, "StockReserved").await
}

async fn expire(stack: &Stack, quote_id: &str) {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let id: Uuid = quote_id.parse().unwrap();
    let changed = client
        .execute(
            "UPDATE shipping_quotes SET expires_at = now() - interval '1 second' WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
}

fn assert_names_seller(status: StatusCode, problem: &Value, seller: Uuid, title: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["seller_id"], json!(seller), "{problem}");
    assert_eq!(problem["title"], title, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&seller.to_string()),
        "{problem}"
    );
}

#[tokio::test]
async fn missing_forged_misdirected_or_expired_quotes_are_422_naming_the_seller_and_hold_nothing() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let shop = seller(&stack, Some("gambir"), 50_000, 300).await;
    let (_, buyer) = stack.register("buyer").await;
    add_to_cart(&stack, &buyer, shop.product_id, 1).await;
    let destination = location(&stack, &buyer, DESTINATION_SEARCH).await;
    let elsewhere = location(&stack, &buyer, "braga").await;
    let (_, quoted) = quotes(&stack, &buyer, destination).await;
    let quote = group(&quoted, shop.id).clone();
    let chosen = shipment(&quote, &quote["services"][0]);

    // Act + Assert: no shipment for the seller.
    let (status, problem) = checkout(&stack, &buyer, "q-1", body_to(destination, json!([]))).await;
    assert_names_seller(status, &problem, shop.id, "Shipments invalid");

    // A forged quote id.
    let mut forged = chosen.clone();
    forged["quote_id"] = json!(Uuid::new_v4());
    let (status, problem) =
        checkout(&stack, &buyer, "q-2", body_to(destination, json!([forged]))).await;
    assert_names_seller(status, &problem, shop.id, "Shipping quote invalid");

    // A service the quote does not list (a price the client made up cannot be named either).
    let mut made_up = chosen.clone();
    made_up["service"] = json!("FREE");
    let (status, problem) = checkout(
        &stack,
        &buyer,
        "q-3",
        body_to(destination, json!([made_up])),
    )
    .await;
    assert_names_seller(status, &problem, shop.id, "Shipping quote invalid");

    // The quote, sent with another destination in the address.
    let (status, problem) =
        checkout(&stack, &buyer, "q-4", body_to(elsewhere, json!([chosen]))).await;
    assert_names_seller(status, &problem, shop.id, "Shipping quote invalid");

    // The cart changed since the quote (another unit: another weight).
    add_to_cart(&stack, &buyer, shop.product_id, 1).await;
    let (status, problem) =
        checkout(&stack, &buyer, "q-5", body_to(destination, json!([chosen]))).await;
    assert_names_seller(status, &problem, shop.id, "Shipping quote invalid");

    // An expired quote.
    let (_, requoted) = quotes(&stack, &buyer, destination).await;
    let fresh = group(&requoted, shop.id).clone();
    assert_ne!(
        fresh["quote_id"], quote["quote_id"],
        "a new parcel, a new quote"
    );
    expire(&stack, fresh["quote_id"].as_str().unwrap()).await;
    let stale = shipment(&fresh, &fresh["services"][0]);
    let (status, problem) =
        checkout(&stack, &buyer, "q-6", body_to(destination, json!([stale]))).await;
    assert_names_seller(status, &problem, shop.id, "Shipping quote expired");

    // No destination at all.
    let no_destination = json!({ "shipping_address": address(), "shipments": [stale] });
    let (status, problem) = checkout(&stack, &buyer, "q-7", no_destination).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["errors"][0]["field"],
        "shipping_address.destination_id"
    );

    // Nothing was ever reserved; a good quote still checks out.
    assert_eq!(reserved(&stack).await, 0);
    let (_, good) = quotes(&stack, &buyer, destination).await;
    let good = group(&good, shop.id).clone();
    let shipments = json!([shipment(&good, &good["services"][0])]);
    let (status, placed) = checkout(&stack, &buyer, "q-8", body_to(destination, shipments)).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
}

#[tokio::test]
async fn rajaongkir_down_answers_503_for_quotes_and_checkout_and_nothing_is_reserved() {
    // Arrange: a valid quote in hand.
    let stack = Stack::start().await.unwrap();
    let shop = seller(&stack, Some("gambir"), 50_000, 300).await;
    let (_, buyer) = stack.register("buyer").await;
    add_to_cart(&stack, &buyer, shop.product_id, 1).await;
    let destination = location(&stack, &buyer, DESTINATION_SEARCH).await;
    let elsewhere = location(&stack, &buyer, "braga").await;
    let (_, quoted) = quotes(&stack, &buyer, destination).await;
    let quote = group(&quoted, shop.id).clone();
    let shipments = json!([shipment(&quote, &quote["services"][0])]);

    // Act + Assert: a 500 while quoting → 503 with Retry-After; no quote stored.
    stack.rajaongkir.fail_next(1, 500);
    let url = format!(
        "{}/v1/shipping/quotes?destination={elsewhere}",
        stack.command_url
    );
    let response = stack
        .http
        .get(&url)
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["title"], "Shipping rates unavailable", "{problem}");

    // 429 with Retry-After: passed on.
    stack
        .rajaongkir
        .rate_limit_next(1, Some(Duration::from_secs(42)));
    let response = stack
        .http
        .get(&url)
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "42");

    // A RajaOngkir slower than the client's 5 s timeout: 503 as well.
    stack.rajaongkir.set_latency(Duration::from_millis(5_500));
    let response = stack
        .http
        .get(&url)
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    stack.rajaongkir.set_latency(Duration::ZERO);
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));

    // A gateway timeout page while checking out → 503, nothing reserved, key free again.
    stack.rajaongkir.fail_next(1, 504);
    let (status, problem) = checkout(
        &stack,
        &buyer,
        "down",
        body_to(destination, shipments.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["title"], "Shipping rates unavailable", "{problem}");
    assert_eq!(reserved(&stack).await, 0);
    assert_eq!(count(&stack, "OrderPlaced").await, 0);
    assert!(stack.sim.transactions().is_empty());

    // Assert: once RajaOngkir is back, the same request goes through.
    let (status, placed) = checkout(&stack, &buyer, "down", body_to(destination, shipments)).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(reserved(&stack).await, 1);
}

#[tokio::test]
async fn store_profiles_are_for_sellers_and_public_and_quotes_need_one() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (seller_id, seller_token) = stack.register("seller").await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    let origin = location(&stack, &seller_token, "gambir").await;
    let profile =
        json!({ "store_name": "Kopi Gayo Asli", "description": "Arabika", "origin": origin });

    // Act + Assert: nobody 401, a buyer 403, an unknown origin 422.
    let (status, body, _) = stack
        .command(
            Method::PUT,
            "/v1/seller/profile",
            None,
            Some(profile.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body, _) = stack
        .command(
            Method::PUT,
            "/v1/seller/profile",
            Some(&buyer),
            Some(profile.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let mut unknown = profile.clone();
    unknown["origin"] = json!(999_999);
    let (status, body, _) = stack
        .command(
            Method::PUT,
            "/v1/seller/profile",
            Some(&seller_token),
            Some(unknown),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "origin", "{body}");
    let mut blank = profile.clone();
    blank["store_name"] = json!("  ");
    let (status, body, _) = stack
        .command(
            Method::PUT,
            "/v1/seller/profile",
            Some(&seller_token),
            Some(blank),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The seller's own profile, then public.
    let (status, set, _) = stack
        .command(
            Method::PUT,
            "/v1/seller/profile",
            Some(&seller_token),
            Some(profile),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert!(
        set["origin"]["label"].as_str().unwrap().contains("GAMBIR"),
        "{set}"
    );
    let token = set["consistency_token"].as_str().unwrap();
    let (status, public) = stack
        .query(&format!("/v1/sellers/{seller_id}"), None, Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{public}");
    assert_eq!(public["store_name"], "Kopi Gayo Asli", "{public}");
    assert_eq!(public["origin"]["id"], origin, "{public}");
    assert_eq!(
        public["origin"]["label"], set["origin"]["label"],
        "{public}"
    );
    assert_eq!(public["product_count"], 0, "{public}");
    let (status, _) = stack
        .query(&format!("/v1/sellers/{buyer_id}"), None, Some(token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = stack
        .query(
            &format!("/v1/sellers/{}", Uuid::new_v4()),
            None,
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Quotes: a seller 403, nobody 401; a seller without an origin is named (422).
    let url = format!(
        "{}/v1/shipping/quotes?destination={origin}",
        stack.command_url
    );
    let response = stack.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = stack
        .http
        .get(&url)
        .bearer_auth(&seller_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let no_store = seller(&stack, None, 10_000, 100).await;
    add_to_cart(&stack, &buyer, no_store.product_id, 1).await;
    let (status, problem) = quotes(&stack, &buyer, origin).await;
    assert_names_seller(status, &problem, no_store.id, "Seller cannot ship yet");
    let _ = no_store.token;
}
