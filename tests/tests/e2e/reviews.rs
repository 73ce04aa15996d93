//! Reviews through the real binaries: only a buyer whose order was delivered may review, a new
//! review is pending until an admin approves it, approved reviews are public and counted in
//! the product's rating (on its reviews, its detail, the `sort=rating` listing and search),
//! text comes back verbatim as JSON, and one order line gets one review however many posts
//! race for it.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Listed, buy, listed_product, order_id, payment_id, until_paid};

const SCRIPT: &str = "<script>alert('x')</script> & <b>enak</b>";

async fn send(
    stack: &Stack,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, body, _) = stack.command(method, path, token, body).await;
    (status, body)
}

fn review(rating: i64) -> Value {
    json!({ "rating": rating, "title": "Mantap", "body": SCRIPT })
}

/// The buyer buys one unit of `listed`; the order is paid, shipped and delivered. Answers
/// the order id.
async fn delivered(stack: &Stack, listed: &Listed, buyer: &str, admin: &str) -> String {
    let (status, placed) = buy(stack, buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let (payment, order) = (payment_id(&placed), order_id(&placed));
    stack.sim.pay(&payment).await.unwrap();
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(buyer), |o| {
            o["status"] == "paid"
        })
        .await;
    let shipment = json!({ "courier": "JNE REG", "tracking_number": "JNE0012345678" });
    let path = format!("/v1/orders/{order}/shipments");
    let seller = Some(listed.seller_token.as_str());
    let (status, body) = send(stack, Method::POST, &path, seller, Some(shipment)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = format!("/v1/orders/{order}/delivery");
    let (status, body) = send(stack, Method::POST, &path, Some(admin), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    order
}

/// Posts a review; answers the status and body.
async fn post_review(stack: &Stack, product: Uuid, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let path = format!("/v1/products/{product}/reviews");
    send(stack, Method::POST, &path, token, Some(body)).await
}

fn token_of(body: &Value) -> String {
    body["consistency_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_review_needs_a_delivery_and_an_approval_before_it_is_public_and_counted() {
    // Arrange: a paid, undelivered order.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let listed = listed_product(&stack, 20_000, 5).await;
    let product = listed.product_id;
    let (_, buyer) = stack.register("buyer").await;
    let (_, placed) = buy(&stack, &buyer, product, 1).await;
    stack.sim.pay(&payment_id(&placed)).await.unwrap();
    until_paid(&stack, &buyer, &order_id(&placed), product, 4).await;

    // Before delivery: refused.
    let (status, early) = post_review(&stack, product, Some(&buyer), review(4)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{early}");

    // After delivery: the right people only, valid input only.
    let order = order_id(&placed);
    let shipment = json!({ "courier": "JNE REG", "tracking_number": "JNE0012345678" });
    let (status, _) = send(&stack, Method::POST, &format!("/v1/orders/{order}/shipments"), Some(&listed.seller_token), Some(shipment)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&stack, Method::POST, &format!("/v1/orders/{order}/delivery"), Some(&admin), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, stranger) = stack.register("buyer").await;
    for (token, expected) in [
        (Some(listed.seller_token.as_str()), StatusCode::FORBIDDEN),
        (Some(stranger.as_str()), StatusCode::FORBIDDEN),
        (Some(admin.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (status, body) = post_review(&stack, product, token, review(4)).await;
        assert_eq!(status, expected, "{body}");
    }
    let bad = json!({ "rating": 6, "title": " ", "body": "x".repeat(5001) });
    let (status, problem) = post_review(&stack, product, Some(&buyer), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rating", "title", "body"], "{problem}");
    let (status, posted) = post_review(&stack, product, Some(&buyer), review(4)).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["status"], "pending");
    assert_eq!(posted["body"], SCRIPT, "stored as given");
    assert_eq!(posted["order_id"], order.as_str());
    let id = posted["id"].as_str().unwrap().to_owned();
    let (status, again) = post_review(&stack, product, Some(&buyer), review(5)).await;
    assert_eq!(status, StatusCode::CONFLICT, "one review per order line: {again}");

    // Pending: not public, listed for admins only.
    let reviews_path = format!("/v1/products/{product}/reviews");
    let (status, public) = stack.query(&reviews_path, None, Some(&token_of(&posted))).await;
    assert_eq!(status, StatusCode::OK, "{public}");
    assert_eq!(public["items"], json!([]));
    assert_eq!(public["summary"]["count"], 0);
    let queue = "/v1/admin/reviews?status=pending";
    let (status, pending) = stack.query(queue, Some(&admin), Some(&token_of(&posted))).await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    assert_eq!(pending["items"][0]["id"], id.as_str(), "{pending}");
    assert_eq!(stack.query(queue, Some(&buyer), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(stack.query(queue, Some(&listed.seller_token), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(stack.query(queue, None, None).await.0, StatusCode::UNAUTHORIZED);

    // Moderation: admins only.
    let approve = format!("/v1/reviews/{id}/approve");
    for (token, expected) in [
        (Some(buyer.as_str()), StatusCode::FORBIDDEN),
        (Some(listed.seller_token.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(send(&stack, Method::POST, &approve, token, None).await.0, expected);
    }
    let (status, approved) = send(&stack, Method::POST, &approve, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    let token = token_of(&approved);

    // Public and counted, everywhere.
    let response = stack
        .http
        .get(format!("{}{reviews_path}", stack.query_url))
        .header("x-consistency-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/json", "never HTML");
    let public: Value = response.json().await.unwrap();
    assert_eq!(public["items"][0]["body"], SCRIPT, "verbatim: {public}");
    let stars: Vec<Value> = (1..=5).map(|r| json!({ "rating": r, "count": i64::from(r == 4) })).collect();
    let expected_summary = json!({ "average": 4.0, "count": 1, "stars": stars });
    assert_eq!(public["summary"], expected_summary);
    let (_, detail) = stack.query(&format!("/v1/products/{product}"), None, Some(&token)).await;
    assert_eq!(detail["rating"], expected_summary, "{detail}");
    let other = listed_product(&stack, 10_000, 1).await;
    let (status, listing) = stack.query("/v1/products?sort=rating&limit=1", None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    assert_eq!(listing["items"][0]["id"], product.to_string(), "best rated first: {listing}");
    let next = listing["next_cursor"].as_str().unwrap();
    let (_, rest) = stack.query(&format!("/v1/products?sort=rating&cursor={next}"), None, Some(&token)).await;
    assert_eq!(rest["items"][0]["id"], other.product_id.to_string(), "{rest}");
    let seller = detail["seller_id"].as_str().unwrap();
    let (status, found) = stack.query(&format!("/v1/search?q=kaos&seller={seller}"), None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["hits"][0]["rating"], json!({ "average": 4.0, "count": 1 }), "{found}");

    // Helpful votes: other buyers, once each; "most helpful" sorts by them.
    let helpful = format!("/v1/reviews/{id}/helpful");
    assert_eq!(send(&stack, Method::POST, &helpful, Some(&buyer), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&stack, Method::POST, &helpful, Some(&listed.seller_token), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&stack, Method::POST, &helpful, None, None).await.0, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        let (status, voted) = send(&stack, Method::POST, &helpful, Some(&stranger), None).await;
        assert_eq!(status, StatusCode::OK, "{voted}");
        assert_eq!(voted["helpful"], 1, "one vote per buyer: {voted}");
    }
    let (_, top) = stack.query(&format!("{reviews_path}?sort=helpful"), None, Some(&token)).await;
    assert_eq!(top["items"][0]["helpful"], 1, "{top}");

    // Edits: the author only; the review goes back to moderation and out of the summary.
    let path = format!("/v1/reviews/{id}");
    let edit = json!({ "rating": 2, "title": "Berubah", "body": "Kemasan rusak" });
    for (token, expected) in [
        (Some(stranger.as_str()), StatusCode::FORBIDDEN),
        (Some(admin.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(send(&stack, Method::PATCH, &path, token, Some(edit.clone())).await.0, expected);
    }
    let (status, edited) = send(&stack, Method::PATCH, &path, Some(&buyer), Some(edit)).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["status"], "pending");
    let (_, public) = stack.query(&reviews_path, None, Some(&token_of(&edited))).await;
    assert_eq!(public["summary"]["count"], 0, "{public}");

    // Rejection: with a reason, admins only.
    let reject = format!("/v1/reviews/{id}/reject");
    let (status, problem) = send(&stack, Method::POST, &reject, Some(&admin), Some(json!({ "reason": "" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reason");
    let reason = Some(json!({ "reason": "Bukan ulasan produk" }));
    assert_eq!(send(&stack, Method::POST, &reject, Some(&buyer), reason.clone()).await.0, StatusCode::FORBIDDEN);
    let (status, rejected) = send(&stack, Method::POST, &reject, Some(&admin), reason).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    let (_, queue) = stack.query("/v1/admin/reviews?status=rejected", Some(&admin), Some(&token_of(&rejected))).await;
    assert_eq!(queue["items"][0]["reject_reason"], "Bukan ulasan produk", "{queue}");
    let (_, public) = stack.query(&reviews_path, None, Some(&token_of(&rejected))).await;
    assert_eq!(public["items"], json!([]));
}

#[tokio::test]
async fn one_order_line_gets_one_review_however_many_posts_race_for_it() {
    // Arrange: a buyer with two delivered orders of one product, another with one.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let listed = listed_product(&stack, 20_000, 10).await;
    let product = listed.product_id;
    let (_, twice) = stack.register("buyer").await;
    let first = delivered(&stack, &listed, &twice, &admin).await;
    let second = delivered(&stack, &listed, &twice, &admin).await;
    let (_, once) = stack.register("buyer").await;
    delivered(&stack, &listed, &once, &admin).await;

    // Act: eight posts at once without a key; eight at once with one key.
    let racing = futures::future::join_all(
        (0..8).map(|n| post_review(&stack, product, Some(&twice), review(1 + n % 5))),
    )
    .await;
    let key = Uuid::new_v4().to_string();
    let path = format!("/v1/products/{product}/reviews");
    let keyed = futures::future::join_all((0..8).map(|_| {
        let url = format!("{}{path}", stack.command_url);
        let headers = [("idempotency-key", key.as_str())];
        async move {
            stack.send(Method::POST, url, Some(&once), Some(review(5)), &headers).await
        }
    }))
    .await;

    // Assert: one review per line, and the keyed retries are one review.
    let mut lines: Vec<String> = racing
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, body)| body["order_id"].as_str().unwrap().to_owned())
        .collect();
    lines.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(lines, expected, "{racing:?}");
    for (status, body) in &racing {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::CONFLICT,
            "{status} {body}"
        );
    }
    let ids: std::collections::HashSet<&str> = keyed
        .iter()
        .map(|(status, body, _)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            body["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{keyed:?}");
    let id = ids.into_iter().next().unwrap();
    let events = stack.stream_events(&format!("review-{id}")).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(crate::support::count(&stack, "ReviewSubmitted").await, 3);
}
