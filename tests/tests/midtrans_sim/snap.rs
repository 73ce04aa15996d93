use pasar_tests::midtrans_sim::signature_key;
use serde_json::json;

use super::support::{Client, KEY, sim_with};

#[test]
fn signature_key_matches_the_reference_test_vectors() {
    let cases = [
        (
            "200",
            "10000.00",
            "ab095c7839e87e58adb72531ed47dd082c3f2b36795024c6f0e96a15b9f8d3c445309b7160d1cc037ca12010bee4a2ce09d61dd9f54bd0ee7d233568ad6956d7",
        ),
        (
            "201",
            "10000.00",
            "9faa407fdd85b82165116d9644a37838a6cf6b4c9c1e90a753e4995afb194679a029351dbdaedb4983308cca1ab0e603c81d94d9486f5770f9b416df7029ce6c",
        ),
        (
            "200",
            "10000",
            "e661ab15062841f016ff986f7f118bd9ee8941b406ff02de81f22313ea54b662eadda76dbc1f0a88157c7c37c0c8c781fbc9069504a4e04726e90cd72f1690a5",
        ),
    ];
    for (status_code, gross, expected) in cases {
        assert_eq!(
            signature_key("ORDER-101", status_code, gross, KEY),
            expected
        );
    }
}

#[tokio::test]
async fn creating_a_snap_transaction_returns_a_token_and_records_the_order() {
    let sim = sim_with(None).await;
    let body = json!({
        "transaction_details": { "order_id": "ORD-2026-000123", "gross_amount": 173000 },
        "item_details": [
            { "id": "SKU-1", "price": 75000, "quantity": 2, "name": "Kaos Polos" },
            { "id": "SHIPPING", "price": 23000, "quantity": 1, "name": "Ongkir JNE REG" }
        ],
    });

    let (status, resp) = Client::new(&sim)
        .post("/snap/v1/transactions", body.clone(), &[])
        .await;

    assert_eq!(status, 201, "{resp}");
    let token = resp["token"].as_str().unwrap();
    assert_eq!(
        resp["redirect_url"],
        format!("{}/snap/v3/redirection/{token}", sim.base_url())
    );
    let tx = sim.transaction("ORD-2026-000123").unwrap();
    assert_eq!(tx.gross_amount, 173000);
    assert_eq!(tx.item_details, body["item_details"]);
    assert_eq!(tx.status, "created");
    assert_eq!(sim.transactions().len(), 1);
}

#[tokio::test]
async fn a_duplicate_order_id_is_rejected() {
    let sim = sim_with(None).await;
    let client = Client::new(&sim);
    assert_eq!(client.snap_create("ORDER-1", 10000).await.0, 201);

    let (status, body) = client.snap_create("ORDER-1", 10000).await;

    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "error_messages": ["transaction_details.order_id has already been taken"] })
    );
}

#[tokio::test]
async fn items_that_do_not_add_up_to_the_gross_amount_are_rejected() {
    let sim = sim_with(None).await;
    let body = json!({
        "transaction_details": { "order_id": "ORDER-2", "gross_amount": 10000 },
        "item_details": [{ "id": "A", "price": 3000, "quantity": 3, "name": "Item" }],
    });

    let (status, resp) = Client::new(&sim)
        .post("/snap/v1/transactions", body, &[])
        .await;

    assert_eq!(status, 400);
    let expected = "transaction_details.gross_amount is not equal to the sum of item_details";
    assert_eq!(resp, json!({ "error_messages": [expected] }));
    assert!(sim.transaction("ORDER-2").is_none());
}

#[tokio::test]
async fn invalid_snap_requests_are_rejected_with_error_messages() {
    let sim = sim_with(None).await;
    let client = Client::new(&sim);
    let long_id = "X".repeat(51);
    let cases = [
        json!({}),
        json!({ "transaction_details": { "order_id": long_id, "gross_amount": 1000 } }),
        json!({ "transaction_details": { "order_id": "bad id!", "gross_amount": 1000 } }),
        json!({ "transaction_details": { "order_id": "OK-1", "gross_amount": 0 } }),
        json!({ "transaction_details": { "order_id": "OK-2", "gross_amount": 10.5 } }),
        json!({ "transaction_details": { "order_id": "OK-3", "gross_amount": 1000 },
                "item_details": [{ "price": 1000, "quantity": 1 }] }),
        json!({ "transaction_details": { "order_id": "OK-4", "gross_amount": 1000 },
                "item_details": [{ "name": "A", "price": 1000, "quantity": 0 }] }),
    ];
    for body in cases {
        let (status, resp) = client
            .post("/snap/v1/transactions", body.clone(), &[])
            .await;
        assert_eq!(status, 400, "{body} -> {resp}");
        assert!(
            resp["error_messages"]
                .as_array()
                .is_some_and(|m| !m.is_empty()),
            "{resp}"
        );
    }
    assert!(sim.transactions().is_empty());
    let (status, resp) = client.post("/snap/v1/transactions", json!({}), &[]).await;
    assert_eq!(status, 400);
    assert!(resp.to_string().contains("is required"));
}

#[tokio::test]
async fn allowed_order_id_symbols_and_negative_discount_lines_are_accepted() {
    let sim = sim_with(None).await;
    let body = json!({
        "transaction_details": { "order_id": "a-b_c~d.e-1", "gross_amount": 9000 },
        "item_details": [
            { "id": "A", "price": 10000, "quantity": 1, "name": "Item" },
            { "id": "DISC", "price": -1000, "quantity": 1, "name": "Discount" }
        ],
    });

    let (status, resp) = Client::new(&sim)
        .post("/snap/v1/transactions", body, &[])
        .await;

    assert_eq!(status, 201, "{resp}");
}

#[tokio::test]
async fn a_wrong_or_missing_server_key_gets_401_in_each_api_shape() {
    let sim = sim_with(None).await;
    let wrong = Client::with_key(&sim, "SB-Mid-server-WRONG");

    let (snap_status, snap_body) = wrong.snap_create("ORDER-3", 10000).await;
    let (core_status, core_body) = wrong.status("ORDER-3").await;
    let unauthenticated = reqwest::Client::new()
        .post(format!("{}/snap/v1/transactions", sim.base_url()))
        .json(&json!({ "transaction_details": { "order_id": "ORDER-3", "gross_amount": 10000 } }))
        .send()
        .await
        .unwrap();

    assert_eq!(snap_status, 401);
    let messages = snap_body["error_messages"].as_array().unwrap();
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .starts_with("Access denied due to unauthorized transaction")
    );
    assert_eq!(core_status, 401);
    assert_eq!(core_body["status_code"], "401");
    assert!(core_body["status_message"].is_string());
    assert_eq!(unauthenticated.status().as_u16(), 401);
    assert!(sim.transaction("ORDER-3").is_none());
}

#[tokio::test]
async fn an_armed_failure_makes_the_next_snap_create_answer_500_once() {
    let sim = sim_with(None).await;
    let client = Client::new(&sim);
    sim.fail_next_snap_create();

    let (first, body) = client.snap_create("ORDER-4", 10000).await;
    let (second, _) = client.snap_create("ORDER-4", 10000).await;

    assert_eq!(first, 500);
    assert_eq!(
        body["error_messages"][0],
        "Sorry, we encountered internal server error. We will fix this soon."
    );
    assert_eq!(
        second, 201,
        "the failed call must not have recorded the order"
    );
}
