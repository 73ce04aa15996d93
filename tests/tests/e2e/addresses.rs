//! The address book (`/v1/me/addresses`) through the real binaries: ten entries at most, one
//! default, private to its owner, safe under concurrent changes, and usable by checkout as
//! `address_id` (another buyer's id refused).

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    DESTINATION_SEARCH, cheapest_shipments, checkout, listed_product, location, quotes,
};

fn entry(n: usize) -> Value {
    json!({
        "label": format!("Alamat {n}"), "recipient": "Ani Lestari", "phone": "081234567890",
        "address": format!("Jl. Dago {n}"), "city": "Bandung", "postal_code": "40135",
    })
}

async fn add(stack: &Stack, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = stack
        .command(Method::POST, "/v1/me/addresses", token, Some(body))
        .await;
    (status, body)
}

async fn book(stack: &Stack, token: &str) -> Value {
    let (status, body, _) = stack
        .command(Method::GET, "/v1/me/addresses", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn patch(stack: &Stack, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/v1/me/addresses/{id}");
    let (status, body, _) = stack
        .command(Method::PATCH, &path, Some(token), Some(body))
        .await;
    (status, body)
}

fn defaults(book: &Value) -> Vec<String> {
    book["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["is_default"] == true)
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_book_holds_ten_addresses_with_one_default_and_only_its_owner_sees_it() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, ani) = stack.register("buyer").await;
    let (_, budi) = stack.register("buyer").await;
    let (_, seller) = stack.register("seller").await;

    // Act
    let (status, first) = add(&stack, Some(&ani), entry(1)).await;
    for n in 2..=10 {
        let (status, body) = add(&stack, Some(&ani), entry(n)).await;
        assert_eq!(status, StatusCode::CREATED, "{n}: {body}");
    }
    let (eleventh, refused) = add(&stack, Some(&ani), entry(11)).await;

    // Assert
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(
        first["default_address_id"],
        first_id.as_str(),
        "the first is the default"
    );
    assert_eq!(eleventh, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["title"], "Address book full");
    let full = book(&stack, &ani).await;
    assert_eq!(full["addresses"].as_array().unwrap().len(), 10);
    assert_eq!(defaults(&full), vec![first_id.clone()]);
    // Private: others see their own (empty) books and cannot touch Ani's entries.
    for token in [&budi, &seller] {
        assert_eq!(book(&stack, token).await["addresses"], json!([]));
        let (status, _) = patch(&stack, token, &first_id, json!({ "label": "Mine" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let path = format!("/v1/me/addresses/{first_id}");
        let (status, _, _) = stack
            .command(Method::DELETE, &path, Some(token), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = add(&stack, None, entry(1)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = stack
        .command(Method::GET, "/v1/me/addresses", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(book(&stack, &ani).await, full, "nothing changed");
}

#[tokio::test]
async fn bad_entries_are_refused_naming_the_field_and_removing_the_default_moves_it() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, ani) = stack.register("buyer").await;
    let (_, first) = add(&stack, Some(&ani), entry(1)).await;
    let (_, second) = add(&stack, Some(&ani), entry(2)).await;
    let (first, second) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );

    // Act + Assert
    let mut blank = entry(3);
    blank["recipient"] = json!(" ");
    let (status, body) = add(&stack, Some(&ani), blank).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "recipient");
    let (status, body) = patch(
        &stack,
        &ani,
        first,
        json!({ "postal_code": "x".repeat(11) }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "postal_code");
    let (status, body) = patch(&stack, &ani, first, json!({ "is_default": false })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "is_default");
    let (status, body) = patch(
        &stack,
        &ani,
        first,
        json!({ "city": "Sleman", "label": null }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["addresses"][0]["city"], "Sleman");
    assert_eq!(
        body["addresses"][0]["address"], "Jl. Dago 1",
        "fields left out are kept"
    );
    assert!(body["addresses"][0]["label"].is_null());
    let path = format!("/v1/me/addresses/{first}");
    let (status, body, _) = stack.command(Method::DELETE, &path, Some(&ani), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(defaults(&body), [second.to_owned()]);
    let (status, _, _) = stack.command(Method::DELETE, &path, Some(&ani), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_changes_lose_nothing_and_leave_exactly_one_default() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, ani) = stack.register("buyer").await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        let (_, body) = add(&stack, Some(&ani), entry(n)).await;
        ids.push(body["id"].as_str().unwrap().to_owned());
    }

    // Act: every entry made the default and relabelled at once.
    let requests = ids.iter().flat_map(|id| {
        [
            patch(&stack, &ani, id, json!({ "is_default": true })),
            patch(&stack, &ani, id, json!({ "label": format!("Label {id}") })),
        ]
    });
    let answers = futures::future::join_all(requests).await;

    // Assert
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let after = book(&stack, &ani).await;
    assert_eq!(defaults(&after).len(), 1, "{after}");
    for entry in after["addresses"].as_array().unwrap() {
        assert_eq!(
            entry["label"],
            format!("Label {}", entry["id"].as_str().unwrap())
        );
    }

    // And twelve adds at once to an empty book: exactly ten land.
    let (_, budi) = stack.register("buyer").await;
    let adds = (1..=12).map(|n| add(&stack, Some(&budi), entry(n)));
    let statuses: Vec<StatusCode> = futures::future::join_all(adds)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let full = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((created, full), (10, 2), "{statuses:?}");
    let budis = book(&stack, &budi).await;
    assert_eq!(budis["addresses"].as_array().unwrap().len(), 10);
    assert_eq!(defaults(&budis).len(), 1);
}

/// One unit of a new product in `buyer`'s cart and an address saved with the buyer's location:
/// (the entry's id, the cheapest shipments for it, or null when the stack does not ship).
async fn cart_and_saved_address(stack: &Stack, buyer: &str) -> (String, Value) {
    let listed = listed_product(stack, 50_000, 5).await;
    let item = json!({ "product_id": listed.product_id, "quantity": 1 });
    let (status, _, _) = stack
        .command(Method::POST, "/v1/cart/items", Some(buyer), Some(item))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut saved = entry(1);
    let mut shipments = json!(null);
    if stack.ships() {
        let destination = location(stack, buyer, DESTINATION_SEARCH).await;
        saved["destination_id"] = json!(destination);
        let (status, quoted) = quotes(stack, buyer, destination).await;
        assert_eq!(status, StatusCode::OK, "{quoted}");
        shipments = cheapest_shipments(&quoted);
    }
    let (status, added) = add(stack, Some(buyer), saved).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    (added["id"].as_str().unwrap().to_owned(), shipments)
}

#[tokio::test]
async fn an_add_retried_in_parallel_with_one_key_lands_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, ani) = stack.register("buyer").await;
    let key = Uuid::new_v4().to_string();
    let url = format!("{}/v1/me/addresses", stack.command_url);

    // Act
    let sends = (0..5).map(|_| {
        let headers = [("idempotency-key", key.as_str())];
        let url = url.clone();
        let stack = &stack;
        let ani = &ani;
        async move {
            stack
                .send(Method::POST, url, Some(ani), Some(entry(1)), &headers)
                .await
        }
    });
    let answers = futures::future::join_all(sends).await;

    // Assert
    for (status, body, _) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["id"], answers[0].1["id"]);
    }
    assert_eq!(
        book(&stack, &ani).await["addresses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let mut other = entry(2);
    other["city"] = json!("Sleman");
    let headers = [("idempotency-key", key.as_str())];
    let (status, body, _) = stack
        .send(Method::POST, url, Some(&ani), Some(other), &headers)
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the key reused with another body: {body}"
    );
}

#[tokio::test]
async fn checkout_ships_to_a_saved_address_by_id_and_refuses_anyone_elses() {
    // Arrange: a buyer with the product in the cart and an address saved with its location.
    let stack = Stack::start().await.unwrap();
    let (_, ani) = stack.register("buyer").await;
    let (_, budi) = stack.register("buyer").await;
    let (address_id, shipments) = cart_and_saved_address(&stack, &ani).await;
    let (_, budis) = add(&stack, Some(&budi), entry(2)).await;
    let body = |id: &str| {
        let mut body = json!({ "address_id": id });
        if !shipments.is_null() {
            body["shipments"] = shipments.clone();
        }
        body
    };

    // Act
    let foreign = checkout(
        &stack,
        &ani,
        &Uuid::new_v4().to_string(),
        body(budis["id"].as_str().unwrap()),
    )
    .await;
    let unknown = checkout(
        &stack,
        &ani,
        &Uuid::new_v4().to_string(),
        body(&Uuid::new_v4().to_string()),
    )
    .await;
    let mut both = body(&address_id);
    both["shipping_address"] = entry(3);
    let both = checkout(&stack, &ani, &Uuid::new_v4().to_string(), both).await;
    let (status, placed) =
        checkout(&stack, &ani, &Uuid::new_v4().to_string(), body(&address_id)).await;

    // Assert
    for (status, answer) in [foreign, unknown, both] {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["errors"][0]["field"], "address_id", "{answer}");
    }
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = placed["orders"][0]["id"].as_str().unwrap();
    let events = stack.stream_events(&format!("order-{order}")).await;
    let shipped_to = &events[0].1["shipping_address"];
    assert_eq!(shipped_to["recipient"], "Ani Lestari");
    assert_eq!(shipped_to["address"], "Jl. Dago 1");
}
