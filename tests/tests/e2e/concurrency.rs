use pasar_tests::stack::Stack;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{address, checkout, listed_product};

#[tokio::test]
async fn twenty_buyers_race_for_five_units_and_exactly_five_win() {
    // Arrange: 20 buyers each with one unit in their cart.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 5).await;
    let mut buyers = Vec::new();
    for _ in 0..20 {
        let (_, token) = stack.register("buyer").await;
        let item = json!({ "product_id": listed.product_id, "quantity": 1 });
        let (status, _, _) = stack
            .command(
                reqwest::Method::POST,
                "/v1/cart/items",
                Some(&token),
                Some(item),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        buyers.push(token);
    }

    // Act: all check out at once.
    let attempts = buyers.iter().enumerate().map(|(i, token)| {
        let stack = &stack;
        async move {
            checkout(
                stack,
                token,
                &format!("race-{i}"),
                json!({ "shipping_address": address() }),
            )
            .await
        }
    });
    let results = futures::future::join_all(attempts).await;

    // Assert
    let won = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let lost: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .collect();
    assert_eq!(won, 5, "{results:?}");
    assert_eq!(lost.len(), 15, "{results:?}");
    for (_, problem) in &lost {
        assert_eq!(
            problem["short_lines"][0]["product_id"],
            json!(listed.product_id),
            "{problem}"
        );
    }
    let product = stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 0
        })
        .await;
    assert_eq!(product["available"], 0);
    // Never negative at any point of the stock stream's history.
    let history = stack
        .stream_events(&format!("stock-{}", listed.product_id))
        .await;
    assert!(
        history
            .iter()
            .all(|(_, data)| data["available"].as_i64().unwrap() >= 0),
        "{history:?}"
    );
    let reserved = history.iter().filter(|(t, _)| t == "StockReserved").count();
    let released = history
        .iter()
        .filter(|(t, _)| t == "ReservationReleased")
        .count();
    assert_eq!(reserved - released, 5, "five reservations remain");
}
