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

/// Who takes part: the product's seller, its buyer (one paid order), a buyer who bought
/// nothing, and the admin.
struct Cast {
    listed: Listed,
    buyer: String,
    stranger: String,
    admin: String,
    order: String,
    /// Another seller's product nobody reviews.
    unrated: Uuid,
}

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

/// Sends the same request as each of `callers`, expecting each one's status.
async fn refused(
    stack: &Stack,
    method: Method,
    path: &str,
    body: Option<Value>,
    callers: &[(Option<&str>, StatusCode)],
) {
    for (token, expected) in callers {
        let (status, answer) = send(stack, method.clone(), path, *token, body.clone()).await;
        assert_eq!(status, *expected, "{method} {path}: {answer}");
    }
}

fn review(rating: i64) -> Value {
    json!({ "rating": rating, "title": "Mantap", "body": SCRIPT })
}

fn token_of(body: &Value) -> String {
    body["consistency_token"].as_str().unwrap().to_owned()
}

/// The seller ships the order and the admin records its delivery.
async fn ship_and_deliver(stack: &Stack, seller: &str, admin: &str, order: &str) {
    let shipment = json!({ "courier": "JNE REG", "tracking_number": "JNE0012345678" });
    let path = format!("/v1/orders/{order}/shipments");
    let (status, body) = send(stack, Method::POST, &path, Some(seller), Some(shipment)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = format!("/v1/orders/{order}/delivery");
    let (status, body) = send(stack, Method::POST, &path, Some(admin), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The buyer buys one unit of `listed`; the order is paid, shipped and delivered. Answers
/// the order id.
async fn delivered(stack: &Stack, listed: &Listed, buyer: &str, admin: &str) -> String {
    let (status, placed) = buy(stack, buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let (payment, order) = (payment_id(&placed), order_id(&placed));
    stack.sim.pay(&payment).await.unwrap();
    let path = format!("/v1/orders/{order}");
    let paid = |o: &Value| o["status"] == "paid";
    stack.eventually(&path, Some(buyer), paid).await;
    ship_and_deliver(stack, &listed.seller_token, admin, &order).await;
    order
}

/// Posts a review; answers the status and body.
async fn post_review(
    stack: &Stack,
    product: Uuid,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let path = format!("/v1/products/{product}/reviews");
    send(stack, Method::POST, &path, token, Some(body)).await
}

/// A paid order, not delivered yet: a review is refused until it is.
async fn paid_order(stack: &Stack) -> Cast {
    let listed = listed_product(stack, 20_000, 5).await;
    let (_, buyer) = stack.register("buyer").await;
    let (_, stranger) = stack.register("buyer").await;
    let admin = stack.admin_token().await;
    let unrated = listed_product(stack, 10_000, 1).await.product_id;
    let (_, placed) = buy(stack, &buyer, listed.product_id, 1).await;
    stack.sim.pay(&payment_id(&placed)).await.unwrap();
    let order = order_id(&placed);
    until_paid(stack, &buyer, &order, listed.product_id, 4).await;
    let (status, early) = post_review(stack, listed.product_id, Some(&buyer), review(4)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "before delivery: {early}");
    Cast {
        listed,
        buyer,
        stranger,
        admin,
        order,
        unrated,
    }
}

/// After delivery: only its buyer, with valid input, once per order line. Answers the review.
async fn post_as_the_buyer_only(stack: &Stack, cast: &Cast) -> Value {
    let product = cast.listed.product_id;
    let path = format!("/v1/products/{product}/reviews");
    let seller = cast.listed.seller_token.as_str();
    let callers = [
        (Some(seller), StatusCode::FORBIDDEN),
        (Some(cast.stranger.as_str()), StatusCode::FORBIDDEN),
        (Some(cast.admin.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ];
    refused(stack, Method::POST, &path, Some(review(4)), &callers).await;
    let bad = json!({ "rating": 6, "title": " ", "body": "x".repeat(5001) });
    let (status, problem) = post_review(stack, product, Some(&cast.buyer), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rating", "title", "body"], "{problem}");
    let (status, posted) = post_review(stack, product, Some(&cast.buyer), review(4)).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["status"], "pending");
    assert_eq!(posted["body"], SCRIPT, "stored as given");
    assert_eq!(posted["order_id"], cast.order.as_str());
    let (status, again) = post_review(stack, product, Some(&cast.buyer), review(5)).await;
    assert_eq!(status, StatusCode::CONFLICT, "one review per line: {again}");
    posted
}

/// A pending review is not public; only admins see it in the moderation queue.
async fn pending_for_admins_only(stack: &Stack, cast: &Cast, posted: &Value) {
    let token = token_of(posted);
    let path = format!("/v1/products/{}/reviews", cast.listed.product_id);
    let (status, public) = stack.query(&path, None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{public}");
    assert_eq!(public["items"], json!([]));
    assert_eq!(public["summary"]["count"], 0);
    let queue = "/v1/admin/reviews?status=pending";
    let (status, pending) = stack.query(queue, Some(&cast.admin), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    assert_eq!(pending["items"][0]["id"], posted["id"], "{pending}");
    for (token, expected) in [
        (Some(cast.buyer.as_str()), StatusCode::FORBIDDEN),
        (
            Some(cast.listed.seller_token.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(stack.query(queue, token, None).await.0, expected);
    }
}

/// Admins alone approve; answers the approval's consistency token.
async fn approve(stack: &Stack, cast: &Cast, id: &str) -> String {
    let path = format!("/v1/reviews/{id}/approve");
    let callers = [
        (Some(cast.buyer.as_str()), StatusCode::FORBIDDEN),
        (
            Some(cast.listed.seller_token.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (None, StatusCode::UNAUTHORIZED),
    ];
    refused(stack, Method::POST, &path, None, &callers).await;
    let (status, approved) = send(stack, Method::POST, &path, Some(&cast.admin), None).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    token_of(&approved)
}

fn summary_of_one(rating: i64) -> Value {
    let stars: Vec<Value> = (1..=5)
        .map(|r| json!({ "rating": r, "count": i64::from(r == rating) }))
        .collect();
    json!({ "average": rating as f64, "count": 1, "stars": stars })
}

/// The approved review is public, verbatim, as JSON, and counted in the product's summary.
async fn public_verbatim_as_json(stack: &Stack, product: Uuid, token: &str) {
    let url = format!("{}/v1/products/{product}/reviews", stack.query_url);
    let response = stack
        .http
        .get(url)
        .header("x-consistency-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert_eq!(content_type, "application/json", "never HTML");
    let public: Value = response.json().await.unwrap();
    assert_eq!(public["items"][0]["body"], SCRIPT, "verbatim: {public}");
    assert_eq!(public["summary"], summary_of_one(4), "{public}");
}

/// The summary on the product's detail, first in `sort=rating`, and in search hits.
async fn counted_everywhere(stack: &Stack, product: Uuid, unrated: Uuid, token: &str) {
    let (_, detail) = stack
        .query(&format!("/v1/products/{product}"), None, Some(token))
        .await;
    assert_eq!(detail["rating"], summary_of_one(4), "{detail}");
    let first_page = "/v1/products?sort=rating&limit=1";
    let (status, listing) = stack.query(first_page, None, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    assert_eq!(listing["items"][0]["id"], product.to_string(), "{listing}");
    let next = listing["next_cursor"].as_str().unwrap();
    let rest = format!("/v1/products?sort=rating&cursor={next}");
    let (_, rest) = stack.query(&rest, None, Some(token)).await;
    assert_eq!(rest["items"][0]["id"], unrated.to_string(), "{rest}");
    let seller = detail["seller_id"].as_str().unwrap();
    let search = format!("/v1/search?q=kaos&seller={seller}");
    let (status, found) = stack.query(&search, None, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let rating = json!({ "average": 4.0, "count": 1 });
    assert_eq!(found["hits"][0]["rating"], rating, "{found}");
}

/// Other buyers vote once each; "most helpful" sorts by the votes.
async fn helpful_once_per_other_buyer(stack: &Stack, cast: &Cast, id: &str) {
    let path = format!("/v1/reviews/{id}/helpful");
    let callers = [
        (Some(cast.buyer.as_str()), StatusCode::FORBIDDEN),
        (
            Some(cast.listed.seller_token.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (None, StatusCode::UNAUTHORIZED),
    ];
    refused(stack, Method::POST, &path, None, &callers).await;
    let mut token = String::new();
    for _ in 0..2 {
        let (status, voted) = send(stack, Method::POST, &path, Some(&cast.stranger), None).await;
        assert_eq!(status, StatusCode::OK, "{voted}");
        assert_eq!(voted["helpful"], 1, "one vote per buyer: {voted}");
        token = token_of(&voted);
    }
    let product = cast.listed.product_id;
    let top = format!("/v1/products/{product}/reviews?sort=helpful");
    let (_, top) = stack.query(&top, None, Some(&token)).await;
    assert_eq!(top["items"][0]["helpful"], 1, "{top}");
}

/// Only the author edits; the review is pending again and leaves the summary.
async fn edited_by_its_author_only(stack: &Stack, cast: &Cast, id: &str) {
    let path = format!("/v1/reviews/{id}");
    let edit = json!({ "rating": 2, "title": "Berubah", "body": "Kemasan rusak" });
    let callers = [
        (Some(cast.stranger.as_str()), StatusCode::FORBIDDEN),
        (Some(cast.admin.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ];
    refused(stack, Method::PATCH, &path, Some(edit.clone()), &callers).await;
    let (status, edited) = send(stack, Method::PATCH, &path, Some(&cast.buyer), Some(edit)).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["status"], "pending");
    let reviews = format!("/v1/products/{}/reviews", cast.listed.product_id);
    let (_, public) = stack.query(&reviews, None, Some(&token_of(&edited))).await;
    assert_eq!(public["summary"]["count"], 0, "{public}");
}

/// Admins reject with a reason, which the queue shows; the review is not public.
async fn rejected_with_a_reason(stack: &Stack, cast: &Cast, id: &str) {
    let path = format!("/v1/reviews/{id}/reject");
    let admin = Some(cast.admin.as_str());
    let blank = Some(json!({ "reason": "" }));
    let (status, problem) = send(stack, Method::POST, &path, admin, blank).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reason");
    let reason = Some(json!({ "reason": "Bukan ulasan produk" }));
    let callers = [(Some(cast.buyer.as_str()), StatusCode::FORBIDDEN)];
    refused(stack, Method::POST, &path, reason.clone(), &callers).await;
    let (status, rejected) = send(stack, Method::POST, &path, admin, reason).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    let token = token_of(&rejected);
    let queue = "/v1/admin/reviews?status=rejected";
    let (_, queue) = stack.query(queue, admin, Some(&token)).await;
    assert_eq!(
        queue["items"][0]["reject_reason"], "Bukan ulasan produk",
        "{queue}"
    );
    let reviews = format!("/v1/products/{}/reviews", cast.listed.product_id);
    let (_, public) = stack.query(&reviews, None, Some(&token)).await;
    assert_eq!(public["items"], json!([]));
}

#[tokio::test]
async fn a_review_needs_a_delivery_and_an_approval_before_it_is_public_and_counted() {
    // Arrange: a paid order (a review is refused), then delivered.
    let stack = Stack::start().await.unwrap();
    let cast = paid_order(&stack).await;
    let seller = cast.listed.seller_token.clone();
    ship_and_deliver(&stack, &seller, &cast.admin, &cast.order).await;

    // Act and assert, step by step.
    let posted = post_as_the_buyer_only(&stack, &cast).await;
    let id = posted["id"].as_str().unwrap().to_owned();
    pending_for_admins_only(&stack, &cast, &posted).await;
    let token = approve(&stack, &cast, &id).await;
    public_verbatim_as_json(&stack, cast.listed.product_id, &token).await;
    counted_everywhere(&stack, cast.listed.product_id, cast.unrated, &token).await;
    helpful_once_per_other_buyer(&stack, &cast, &id).await;
    edited_by_its_author_only(&stack, &cast, &id).await;
    rejected_with_a_reason(&stack, &cast, &id).await;
}

/// `count` posts at once by `buyer`, all with `key` when given.
async fn race(
    stack: &Stack,
    product: Uuid,
    buyer: &str,
    key: Option<&str>,
    count: usize,
) -> Vec<(StatusCode, Value)> {
    let url = format!("{}/v1/products/{product}/reviews", stack.command_url);
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    futures::future::join_all((0..count).map(|n| {
        let (url, headers) = (url.clone(), headers.clone());
        // With a key, the same request each time (a retry); without, whatever each says.
        let body = review(if key.is_some() { 4 } else { 1 + (n % 5) as i64 });
        async move {
            let (status, body, _) = stack
                .send(Method::POST, url, Some(buyer), Some(body), &headers)
                .await;
            (status, body)
        }
    }))
    .await
}

#[tokio::test]
async fn one_order_line_gets_one_review_however_many_posts_race_for_it() {
    // Arrange: a buyer with two delivered orders of one product, another with one.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let listed = listed_product(&stack, 20_000, 10).await;
    let product = listed.product_id;
    let (_, twice) = stack.register("buyer").await;
    let mut lines = vec![
        delivered(&stack, &listed, &twice, &admin).await,
        delivered(&stack, &listed, &twice, &admin).await,
    ];
    let (_, once) = stack.register("buyer").await;
    delivered(&stack, &listed, &once, &admin).await;

    // Act: eight posts at once without a key; eight at once with one key.
    let racing = race(&stack, product, &twice, None, 8).await;
    let key = Uuid::new_v4().to_string();
    let keyed = race(&stack, product, &once, Some(&key), 8).await;

    // Assert: one review per line; the keyed posts are one review.
    let mut reviewed: Vec<String> = racing
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, body)| body["order_id"].as_str().unwrap().to_owned())
        .collect();
    reviewed.sort();
    lines.sort();
    assert_eq!(reviewed, lines, "{racing:?}");
    let refused = racing.iter().filter(|(s, _)| *s == StatusCode::CONFLICT);
    assert_eq!(refused.count(), 6, "{racing:?}");
    assert!(
        keyed.iter().all(|(s, _)| *s == StatusCode::CREATED),
        "{keyed:?}"
    );
    let ids: std::collections::HashSet<&Value> = keyed.iter().map(|(_, b)| &b["id"]).collect();
    assert_eq!(ids.len(), 1, "{keyed:?}");
    let id = keyed[0].1["id"].as_str().unwrap();
    let events = stack.stream_events(&format!("review-{id}")).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(crate::support::count(&stack, "ReviewSubmitted").await, 3);
}
