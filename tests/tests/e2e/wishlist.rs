//! The wishlist through the real binaries: buyers only, the current price and stock of each
//! wished product with flags when its price dropped or it came back in stock since it was
//! wished for, 500 products at most, and one entry however many requests race to add it.

use futures::StreamExt as _;
use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Listed, listed_product, receive};

async fn wish(
    stack: &Stack,
    method: Method,
    product: Uuid,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let path = format!("/v1/wishlist/{product}");
    let (status, body, _) = stack.command(method, &path, token, None).await;
    (status, body)
}

fn item(list: &Value, product: Uuid) -> &Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["product_id"] == product.to_string())
        .unwrap_or_else(|| panic!("{product} not in {list}"))
}

/// Sellers, admins and nobody are refused; an unknown product is 404; the buyer wishes for
/// both products. Answers the last consistency token.
async fn wished_by_the_buyer_only(stack: &Stack, buyer: &str, a: &Listed, b: &Listed) -> String {
    let admin = stack.admin_token().await;
    for (token, expected) in [
        (Some(a.seller_token.as_str()), StatusCode::FORBIDDEN),
        (Some(admin.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (status, body) = wish(stack, Method::PUT, a.product_id, token).await;
        assert_eq!(status, expected, "{body}");
    }
    let (status, unknown) = wish(stack, Method::PUT, Uuid::now_v7(), Some(buyer)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    let (status, _) = wish(stack, Method::PUT, a.product_id, Some(buyer)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, added) = wish(stack, Method::PUT, b.product_id, Some(buyer)).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["items"], 2);
    for (token, expected) in [
        (Some(a.seller_token.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(stack.query("/v1/wishlist", token, None).await.0, expected);
    }
    added["consistency_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_wishlist_flags_a_price_drop_and_a_restock_for_its_buyer_only() {
    // Arrange: one product in stock, one without stock, both wished for.
    let stack = Stack::start().await.unwrap();
    let in_stock = listed_product(&stack, 50_000, 3).await;
    let sold_out = listed_product(&stack, 30_000, 0).await;
    let (_, buyer) = stack.register("buyer").await;
    let token = wished_by_the_buyer_only(&stack, &buyer, &in_stock, &sold_out).await;
    let (status, list) = stack
        .query("/v1/wishlist", Some(&buyer), Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(item(&list, in_stock.product_id)["price_dropped"], false);
    assert_eq!(item(&list, sold_out.product_id)["back_in_stock"], false);

    // Act: the price drops, the other product is restocked.
    let path = format!("/v1/products/{}", in_stock.product_id);
    let seller = Some(in_stock.seller_token.as_str());
    let cheaper = Some(json!({ "price": 45_000 }));
    let (status, repriced, _) = stack.command(Method::PATCH, &path, seller, cheaper).await;
    assert_eq!(status, StatusCode::OK, "{repriced}");
    let restocked = receive(&stack, &sold_out.seller_token, sold_out.product_id, 2).await;

    // Assert
    let token = restocked["consistency_token"].as_str().unwrap();
    let (_, list) = stack.query("/v1/wishlist", Some(&buyer), Some(token)).await;
    let dropped = item(&list, in_stock.product_id);
    assert_eq!(dropped["price"], 45_000, "{list}");
    assert_eq!(dropped["price_when_wished"], 50_000);
    assert_eq!(dropped["price_dropped"], true);
    let back = item(&list, sold_out.product_id);
    assert_eq!(back["available"], 2, "{list}");
    assert_eq!(back["back_in_stock"], true);
    let (status, removed) = wish(&stack, Method::DELETE, in_stock.product_id, Some(&buyer)).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["wished"], false);
    let token = removed["consistency_token"].as_str().unwrap();
    let (_, list) = stack
        .query("/v1/wishlist?limit=1", Some(&buyer), Some(token))
        .await;
    assert_eq!(item(&list, sold_out.product_id)["back_in_stock"], true);
    assert_eq!(list["next_cursor"], Value::Null, "one left: {list}");
}

/// `count` more products of the seller, listed eight at a time.
async fn more_products(stack: &Stack, seller: &str, count: usize) -> Vec<Uuid> {
    futures::stream::iter(0..count)
        .map(|n| async move {
            let body = json!({ "sku": format!("WISH-{n}"), "name": format!("Kaos {n}"), "price": 10_000, "weight_grams": 200 });
            let (status, body, _) = stack
                .command(Method::POST, "/v1/products", Some(seller), Some(body))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["id"].as_str().unwrap().parse::<Uuid>().unwrap()
        })
        .buffer_unordered(8)
        .collect()
        .await
}

#[tokio::test]
async fn a_wishlist_holds_five_hundred_products_and_one_entry_per_product() {
    // Arrange: 501 products of one seller.
    let stack = Stack::start().await.unwrap();
    let first = listed_product(&stack, 10_000, 1).await;
    let more = more_products(&stack, &first.seller_token, 500).await;
    let (buyer_id, buyer) = stack.register("buyer").await;

    // Act: the same product wished eight times at once, then 499 others, then a 501st.
    let racing = futures::future::join_all(
        (0..8).map(|_| wish(&stack, Method::PUT, first.product_id, Some(&buyer))),
    )
    .await;
    let statuses: Vec<StatusCode> = futures::stream::iter(&more[..499])
        .map(|product| {
            let (stack, buyer) = (&stack, buyer.as_str());
            async move { wish(stack, Method::PUT, *product, Some(buyer)).await.0 }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let (status, full) = wish(&stack, Method::PUT, more[499], Some(&buyer)).await;

    // Assert
    assert!(
        racing.iter().all(|(s, _)| *s == StatusCode::OK),
        "{racing:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the 501st: {full}"
    );
    assert_eq!(full["title"], "Wishlist full", "{full}");
    let events = stack.stream_events(&format!("wishlist-{buyer_id}")).await;
    assert_eq!(events.len(), 500, "one ItemWished per product");
    let (_, again) = wish(&stack, Method::PUT, first.product_id, Some(&buyer)).await;
    assert_eq!(again["items"], 500, "not a 501st: {again}");
}
