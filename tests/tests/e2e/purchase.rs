use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::support::{address, checkout, listed_product, order_id, payment_id};

#[tokio::test]
async fn a_buyer_purchases_and_pays_and_the_read_side_shows_it() {
    // Arrange: a seller lists a product and receives 5 units.
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 75_000, 5).await;
    let (buyer_id, buyer) = stack.register("buyer").await;

    // Act: add 2 to the cart and read the cart back at once with the consistency token.
    let item = json!({ "product_id": listed.product_id, "quantity": 2 });
    let (status, added, header_token) = stack
        .command(Method::POST, "/v1/cart/items", Some(&buyer), Some(item))
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let token = added["consistency_token"].as_str().unwrap().to_owned();
    assert_eq!(
        header_token.as_deref(),
        Some(token.as_str()),
        "token in header and body"
    );
    let (status, cart) = stack.query("/v1/cart", Some(&buyer), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{cart}");
    assert_eq!(cart["items"][0]["product_id"], json!(listed.product_id));
    assert_eq!(cart["items"][0]["quantity"], 2);

    let key = Uuid::new_v4().to_string();
    let request = json!({ "shipping_address": address() });
    let (status, placed) = checkout(&stack, &buyer, &key, request.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    // Shipping (quoted through the RajaOngkir simulator) comes on top of the 150,000.
    let shipping = placed["orders"][0]["shipping_cost"].as_i64().unwrap();
    assert!(shipping > 0, "{placed}");
    let total = 150_000 + shipping;
    assert_eq!(placed["orders"][0]["subtotal"], 150_000);
    assert_eq!(placed["payment"]["gross_amount"], total);
    assert!(
        placed["payment"]["snap_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        placed["payment"]["redirect_url"]
            .as_str()
            .is_some_and(|u| u.contains("/snap/"))
    );
    let (order, payment) = (order_id(&placed), payment_id(&placed));

    // The Snap transaction's items add up to the gross amount, priced from the product stream.
    let snap = stack
        .sim
        .transaction(&payment)
        .expect("Snap transaction created");
    assert_eq!(snap.gross_amount, total);
    assert_eq!(snap.item_details[0]["price"], 75_000);
    assert_eq!(snap.item_details[0]["quantity"], 2);
    assert_eq!(snap.item_details[1]["price"], shipping);

    // The buyer reads the order awaiting payment, with the checkout's token.
    let placed_token = placed["consistency_token"].as_str().unwrap();
    let (status, awaiting) = stack
        .query(
            &format!("/v1/orders/{order}"),
            Some(&buyer),
            Some(placed_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{awaiting}");
    assert_eq!(awaiting["status"], "awaiting_payment");
    assert_eq!(awaiting["total"], total);
    assert_eq!(awaiting["shipping_cost"], shipping);
    assert_eq!(awaiting["buyer_id"], json!(buyer_id));

    // The simulator settles the payment.
    assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);

    // Assert: the order becomes paid and the product shows 3 available.
    let paid = stack
        .eventually(&format!("/v1/orders/{order}"), Some(&buyer), |o| {
            o["status"] == "paid"
        })
        .await;
    assert_eq!(paid["total"], total);
    let product = stack
        .eventually(&format!("/v1/products/{}", listed.product_id), None, |p| {
            p["available"] == 3
        })
        .await;
    assert_eq!(product["available"], 3);
    let (_, cart) = stack
        .query("/v1/cart", Some(&buyer), Some(placed_token))
        .await;
    assert_eq!(cart["items"], json!([]), "the cart is empty after checkout");

    // The same key and body again: the same answer, nothing new.
    let (status, again) = checkout(&stack, &buyer, &key, request).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["orders"], placed["orders"]);
    assert_eq!(again["payment"], placed["payment"]);
    assert_eq!(
        stack.sim.transactions().len(),
        1,
        "no second Snap transaction"
    );

    // The same key with another body is refused.
    let mut other = json!({ "shipping_address": address() });
    other["shipping_address"]["city"] = json!("Bandung");
    let (status, refused) = checkout(&stack, &buyer, &key, other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // Another buyer cannot see the order.
    let (_, stranger) = stack.register("buyer").await;
    let (status, _) = stack
        .query(&format!("/v1/orders/{order}"), Some(&stranger), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The seller of its lines can.
    let (status, _) = stack
        .query(
            &format!("/v1/orders/{order}"),
            Some(&listed.seller_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_changes_nothing() {
    let stack = Stack::start().await.unwrap();
    let (_, buyer) = stack.register("buyer").await;
    let (_, seller) = stack.register("seller").await;
    let before = log_length(&stack).await;

    // A buyer may not list products.
    let body = json!({ "sku": "X-1", "name": "X", "price": 1000, "weight_grams": 10 });
    let (status, problem, _) = stack
        .command(Method::POST, "/v1/products", Some(&buyer), Some(body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["status"], 403);

    // Invalid fields are all named.
    let body = json!({ "sku": "bad sku!", "name": "", "price": 0, "weight_grams": 0 });
    let (status, problem, _) = stack
        .command(Method::POST, "/v1/products", Some(&seller), Some(body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["sku", "name", "price", "weight_grams"] {
        assert!(fields.contains(&field), "{field} named in {problem}");
    }

    // Unreadable JSON, no token, checkout without a key, an empty cart.
    let url = format!("{}/v1/cart/items", stack.command_url);
    let response = stack
        .http
        .post(&url)
        .bearer_auth(&buyer)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, _, _) = stack
        .command(Method::POST, "/v1/cart/items", None, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = stack
        .command(
            Method::POST,
            "/v1/checkout",
            Some(&buyer),
            Some(json!({ "shipping_address": address() })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "Idempotency-Key is required"
    );

    // None of it reached the log. (A refused checkout is recorded, so that a retry with its
    // key gets the same answer: it comes after this check.)
    assert_eq!(
        log_length(&stack).await,
        before,
        "bad input appended events"
    );
    let (status, problem) = checkout(
        &stack,
        &buyer,
        "k1",
        json!({ "shipping_address": address() }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Registering the same email twice is a conflict.
    let body =
        json!({ "email": "dup@pasar.test", "password": "a-long-password", "full_name": "A" });
    let (status, _, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family() {
    let stack = Stack::start().await.unwrap();
    let body =
        json!({ "email": "rot@pasar.test", "password": "a-long-password", "full_name": "Rot" });
    stack
        .command(Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    let login = json!({ "email": "ROT@pasar.test", "password": "a-long-password" });
    let (status, first, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(login))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let wrong = json!({ "email": "rot@pasar.test", "password": "not-the-password" });
    let (status, _, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(wrong))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let refresh = |token: &serde_json::Value| json!({ "refresh_token": token["refresh_token"] });
    let (status, second, _) = stack
        .command(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(refresh(&first)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // The first token again: reuse, the family is revoked, even the newest token stops working.
    let (status, _, _) = stack
        .command(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(refresh(&first)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = stack
        .command(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(refresh(&second)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_product_listed_before_the_condition_field_still_loads_and_projects() {
    use pasar_events::postgres::PgEventStore;
    use pasar_events::{EventStore, ExpectedVersion, Metadata, NewEvent};

    // Arrange: a ProductListed stored at schema v1 (no `condition`), as an older build wrote it.
    let stack = Stack::start().await.unwrap();
    let (seller_id, seller) = stack.register("seller").await;
    let product_id = Uuid::now_v7();
    let v1 = json!({
        "product_id": product_id, "seller_id": seller_id, "sku": "OLD-1", "name": "Kain lama",
        "description": "", "price": { "amount": 30000, "currency": "IDR" }, "category_id": null,
        "brand": null, "weight_grams": 100, "listed_at": "2025-01-01T00:00:00Z"
    });
    let store = PgEventStore::connect(&stack.database_url).await.unwrap();
    let old = NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "ProductListed".into(),
        schema_version: 1,
        data: v1,
        metadata: Metadata::default(),
    };
    store
        .append(
            &format!("product-{product_id}"),
            ExpectedVersion::NoStream,
            vec![old],
        )
        .await
        .unwrap();

    // Act: the command side loads it (the seller receives stock), the read side projects it.
    let path = format!("/v1/inventory/{product_id}/receipts");
    let (status, body, token) = stack
        .command(
            Method::POST,
            &path,
            Some(&seller),
            Some(json!({ "quantity": 4 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, product) = stack
        .query(
            &format!("/v1/products/{product_id}"),
            None,
            token.as_deref(),
        )
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{product}");
    assert_eq!(product["name"], "Kain lama");
    assert_eq!(product["available"], 4);
}

/// Events in the whole log, read straight from PostgreSQL.
async fn log_length(stack: &Stack) -> i64 {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .expect("db");
    tokio::spawn(connection);
    client
        .query_one("SELECT count(*) FROM es_events", &[])
        .await
        .expect("count")
        .get(0)
}
