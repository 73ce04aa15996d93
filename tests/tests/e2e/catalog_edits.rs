//! A seller runs the shop: edits and reprices a product (each change its own event, orders
//! keep their prices), discontinues and reactivates it, and corrects its stock by hand.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{buy, event_types, listed_product, order_id};

async fn send(
    stack: &Stack,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, body, _) = stack.command(method, path, Some(token), body).await;
    (status, body)
}

#[tokio::test]
async fn a_price_change_is_its_own_event_and_never_touches_a_placed_order() {
    // Arrange: a 20,000-rupiah product with an order placed at that price.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let path = format!("/v1/products/{}", listed.product_id);
    let (_, other_seller) = stack.register("seller").await;

    // Act
    let change = json!({ "price": 25_000, "name": "Kaos Polos Premium" });
    let (status, edited) = send(
        &stack,
        Method::PATCH,
        &path,
        &listed.seller_token,
        Some(change.clone()),
    )
    .await;
    let (unchanged_status, _) = send(
        &stack,
        Method::PATCH,
        &path,
        &listed.seller_token,
        Some(change.clone()),
    )
    .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["price"], 25_000);
    assert_eq!(unchanged_status, StatusCode::OK);
    let events = event_types(&stack, &format!("product-{}", listed.product_id)).await;
    assert_eq!(
        events,
        ["ProductListed", "ProductRepriced", "ProductEdited"],
        "{events:?}"
    );
    let token = edited["consistency_token"].as_str().unwrap();
    let (_, product) = stack.query(&path, None, Some(token)).await;
    assert_eq!(product["price"], 25_000, "{product}");
    assert_eq!(product["name"], "Kaos Polos Premium", "{product}");
    let (_, order) = stack
        .query(
            &format!("/v1/orders/{}", order_id(&placed)),
            Some(&buyer),
            Some(token),
        )
        .await;
    assert_eq!(order["subtotal"], 20_000, "{order}");
    let (status, _) = send(
        &stack,
        Method::PATCH,
        &path,
        &other_seller,
        Some(json!({ "price": 1 })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &stack,
        Method::PATCH,
        &path,
        &buyer,
        Some(json!({ "price": 1 })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = send(
        &stack,
        Method::PATCH,
        &path,
        &listed.seller_token,
        Some(json!({ "price": 0, "name": "x\u{7}" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, unknown) = send(
        &stack,
        Method::PATCH,
        &path,
        &listed.seller_token,
        Some(json!({ "sku": "NEW" })),
    )
    .await;
    assert!(status.is_client_error(), "{status} {unknown}");
    let events = event_types(&stack, &format!("product-{}", listed.product_id)).await;
    assert_eq!(events.len(), 3, "refused edits record nothing: {events:?}");
}

#[tokio::test]
async fn a_discontinued_product_cannot_be_added_until_it_is_reactivated() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let path = format!("/v1/products/{}", listed.product_id);
    let item = json!({ "product_id": listed.product_id, "quantity": 1 });

    // Act and assert
    let (status, gone) = send(&stack, Method::DELETE, &path, &listed.seller_token, None).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_eq!(gone["status"], "discontinued");
    let (status, refused) = send(
        &stack,
        Method::POST,
        "/v1/cart/items",
        &buyer,
        Some(item.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, again) = send(&stack, Method::DELETE, &path, &listed.seller_token, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, back) = send(
        &stack,
        Method::POST,
        &format!("{path}/reactivate"),
        &listed.seller_token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["status"], "active");
    let (status, added) = send(&stack, Method::POST, "/v1/cart/items", &buyer, Some(item)).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let token = back["consistency_token"].as_str().unwrap();
    let (_, product) = stack.query(&path, None, Some(token)).await;
    assert_eq!(product["status"], "active", "{product}");
}

#[tokio::test]
async fn stock_is_corrected_by_hand_but_never_below_what_is_reserved() {
    // Arrange: 5 on hand, 3 reserved by an unpaid order.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 3).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let path = format!("/v1/inventory/{}/adjustments", listed.product_id);
    let adjust = |delta: i64, reason: &str| json!({ "delta": delta, "reason": reason, "note": "stock opname" });

    // Act and assert
    let (status, below) = send(
        &stack,
        Method::POST,
        &path,
        &listed.seller_token,
        Some(adjust(-3, "damaged")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{below}");
    let (status, odd) = send(
        &stack,
        Method::POST,
        &path,
        &listed.seller_token,
        Some(adjust(-1, "stolen")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{odd}");
    let (status, by_buyer) = send(
        &stack,
        Method::POST,
        &path,
        &buyer,
        Some(adjust(1, "found")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{by_buyer}");
    let (status, adjusted) = send(
        &stack,
        Method::POST,
        &path,
        &listed.seller_token,
        Some(adjust(-2, "damaged")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{adjusted}");
    assert_eq!(adjusted["on_hand"], 3);
    assert_eq!(adjusted["available"], 0);
    let stock = stack
        .stream_events(&format!("stock-{}", listed.product_id))
        .await;
    let (kind, data) = stock.last().unwrap();
    assert_eq!(kind, "StockAdjusted");
    assert_eq!(data["reason"], "damaged: stock opname", "{data}");
    assert_eq!(
        stock.iter().filter(|(k, _)| k == "StockAdjusted").count(),
        1
    );
}

#[tokio::test]
async fn brands_are_counted_once_whatever_their_case_and_spaces() {
    // Arrange: "Gayo" twice (two spellings), "Kapal Api" once, one product without a brand,
    // and a discontinued "Toba".
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let mut toba = String::new();
    for (n, brand) in [
        Some("Gayo"),
        Some("gayo "),
        Some("Kapal Api"),
        None,
        Some("Toba"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({ "sku": format!("BRAND-{n}-{}", uuid::Uuid::new_v4().simple()), "name": "Kopi bubuk", "price": 30_000, "weight_grams": 200, "brand": brand });
        let (status, listed) =
            send(&stack, Method::POST, "/v1/products", &seller, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{listed}");
        toba = listed["id"].as_str().unwrap().to_owned();
    }
    let (status, gone) = send(
        &stack,
        Method::DELETE,
        &format!("/v1/products/{toba}"),
        &seller,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    let token = gone["consistency_token"].as_str().unwrap().to_owned();

    // Act
    let (status, brands) = stack.query("/v1/brands", None, Some(&token)).await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{brands}");
    let brands = brands["brands"].as_array().unwrap();
    assert_eq!(brands.len(), 2, "{brands:?}");
    assert_eq!(brands[0]["name"].as_str().unwrap().to_lowercase(), "gayo");
    assert_eq!(brands[0]["products"], 2);
    assert_eq!(brands[1]["name"], "Kapal Api");
    assert_eq!(brands[1]["products"], 1);
}

/// The query API's `pasar_page_cache_total` for `outcome` (0 before the first).
async fn page_cache(stack: &Stack, outcome: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", stack.query_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("pasar_page_cache_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn a_cached_page_never_hides_a_write_from_a_reader_with_its_token() {
    // Arrange: the product's detail and the listing, each read twice (the second from the
    // page cache).
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 20_000, 5).await;
    let path = format!("/v1/products/{}", listed.product_id);
    let list = format!(
        "/v1/products?seller={}",
        listed_product_seller(&stack, &path).await
    );
    for _ in 0..2 {
        let (_, product) = stack.query(&path, None, None).await;
        assert_eq!(product["price"], 20_000, "{product}");
        let (_, page) = stack.query(&list, None, None).await;
        assert_eq!(page["items"][0]["price"], 20_000, "{page}");
    }
    let hits = page_cache(&stack, "hit").await;
    assert!(hits >= 2.0, "the second reads came from the cache: {hits}");

    // Act
    let (status, edited) = send(
        &stack,
        Method::PATCH,
        &path,
        &listed.seller_token,
        Some(json!({ "price": 25_000 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let token = edited["consistency_token"].as_str().unwrap();
    let (_, product) = stack.query(&path, None, Some(token)).await;
    let (_, page) = stack.query(&list, None, Some(token)).await;

    // Assert: with the token, the new price at once; without it, within the cache's life.
    assert_eq!(product["price"], 25_000, "{product}");
    assert_eq!(page["items"][0]["price"], 25_000, "{page}");
    stack
        .eventually(&path, None, |p| p["price"] == 25_000)
        .await;
    stack
        .eventually(&list, None, |p| p["items"][0]["price"] == 25_000)
        .await;
}

/// The seller of the product at `path` (its detail's `seller_id`).
async fn listed_product_seller(stack: &Stack, path: &str) -> String {
    let product = stack
        .eventually(path, None, |p| p["seller_id"].is_string())
        .await;
    product["seller_id"].as_str().unwrap().to_owned()
}
