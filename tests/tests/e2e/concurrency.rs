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

#[tokio::test]
async fn parallel_checkouts_with_one_key_run_once_and_replays_get_the_recorded_answer() {
    // Arrange: one buyer with one unit in the cart.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 10_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let item = json!({ "product_id": listed.product_id, "quantity": 1 });
    let (status, _, _) = stack
        .command(
            reqwest::Method::POST,
            "/v1/cart/items",
            Some(&buyer),
            Some(item),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let request = json!({ "shipping_address": address() });

    // Act: four requests with the same key at once, then a replay.
    let attempts = (0..4).map(|_| checkout(&stack, &buyer, "one-key", request.clone()));
    let results = futures::future::join_all(attempts).await;
    let (replay_status, replay) = checkout(&stack, &buyer, "one-key", request.clone()).await;

    // Assert: one ran it; the others were told it is in progress or got its answer.
    let created: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .collect();
    assert!(!created.is_empty(), "{results:?}");
    for (status, body) in &results {
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["title"], "Checkout in progress", "{body}");
        } else {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            assert_eq!(body, &created[0].1, "every 201 is the same answer");
        }
    }
    assert_eq!(replay_status, StatusCode::CREATED, "{replay}");
    assert_eq!(
        replay, created[0].1,
        "the replay is the recorded answer, verbatim"
    );
    // Exactly one Snap transaction, one order, one reservation; nothing cancelled.
    assert_eq!(stack.sim.transactions().len(), 1);
    let order = replay["orders"][0]["id"].as_str().unwrap();
    let order_events = crate::support::event_types(&stack, &format!("order-{order}")).await;
    assert_eq!(order_events, ["OrderPlaced"], "{order_events:?}");
    let stock = crate::support::event_types(&stack, &format!("stock-{}", listed.product_id)).await;
    assert_eq!(
        stock.iter().filter(|t| *t == "StockReserved").count(),
        1,
        "{stock:?}"
    );
    assert!(
        !stock.iter().any(|t| t == "ReservationReleased"),
        "{stock:?}"
    );
}
