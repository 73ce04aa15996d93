use std::time::{Duration, Instant};

use pasar_events::types::{CartEvent, Role, streams};
use serde_json::Value;
use uuid::Uuid;

use crate::support::fixtures::NewProduct;
use crate::support::{spawn_app, spawn_app_with_wait, token};

#[tokio::test]
async fn a_token_not_yet_projected_waits_until_the_projector_catches_up() {
    // Arrange: the product is in the log, not yet in the read model.
    let app = spawn_app().await;
    let product = NewProduct::new(Uuid::new_v4(), 8_000);
    let written = app.list_product(&product, 0).await;
    let path = format!("/v1/products/{}", product.id);
    let reader = {
        let (http, url, token) = (
            app.http.clone(),
            format!("{}{path}", app.base),
            written.to_string(),
        );
        tokio::spawn(async move {
            http.get(url)
                .header("X-Consistency-Token", token)
                .send()
                .await
        })
    };
    app.until_waiting(1).await;

    // Act
    app.project().await;

    // Assert: the waiting request answers with what was written.
    let response = reader.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], product.id.to_string());
}

#[tokio::test]
async fn the_cart_waits_for_the_catalog_as_well_as_the_carts() {
    // Arrange: the cart line is projected, its product is not.
    let app = spawn_app().await;
    let buyer = Uuid::new_v4();
    let product = NewProduct::new(Uuid::new_v4(), 4_000);
    app.list_product(&product, 2).await;
    let added = CartEvent::CartItemAdded {
        product_id: product.id,
        quantity: 1,
        line_quantity: 1,
    };
    let written = app.append(&streams::cart(buyer), &[added]).await;
    app.project_only("carts").await;
    let reader = {
        let (http, url) = (app.http.clone(), format!("{}/v1/cart", app.base));
        let (bearer, token) = (token(buyer, Role::Buyer), written.to_string());
        tokio::spawn(async move {
            http.get(url)
                .bearer_auth(bearer)
                .header("X-Consistency-Token", token)
                .send()
                .await
        })
    };
    app.until_waiting(1).await;

    // Act
    app.project_only("catalog").await;

    // Assert
    let cart: Value = reader.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(cart["items"][0]["unit_price"], 4_000);
    assert_eq!(cart["total"], 4_000);
}

#[tokio::test]
async fn a_token_already_reached_answers_without_waiting() {
    let app = spawn_app().await;
    let product = NewProduct::new(Uuid::new_v4(), 8_000);
    let token = app.list_product(&product, 0).await.to_string();
    app.project().await;

    let response = app
        .get(&format!("/v1/products/{}", product.id), None, Some(&token))
        .await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_token_beyond_the_log_gives_up_with_503_and_retry_after() {
    let wait = Duration::from_millis(300);
    let app = spawn_app_with_wait(wait).await;

    let started = Instant::now();
    let response = app
        .get("/v1/products", None, Some("9223372036854775807-1"))
        .await;

    assert!(started.elapsed() >= wait, "waited the configured bound");
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 503);
}

#[tokio::test]
async fn a_malformed_token_is_a_400_problem() {
    let app = spawn_app().await;

    for token in ["abc", "12", "1-x", "-1-2"] {
        let response = app.get("/v1/products", None, Some(token)).await;
        assert_eq!(response.status(), 400, "{token}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}

#[tokio::test]
async fn a_live_projector_wakes_readers_waiting_for_its_checkpoint() {
    // Arrange: the real projector service beside the API, nobody calling catch_up.
    let app = spawn_app().await;
    let projector_config = pasar_projector::Config {
        database_url: app.database_url().to_owned(),
        nats_url: "nats://127.0.0.1:4222".into(),
        addr: "127.0.0.1:0".parse().unwrap(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let projector = tokio::spawn(pasar_projector::run(
        projector_config,
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let product = NewProduct::new(Uuid::new_v4(), 15_000);

    // Act: read your write straight after writing it.
    let written = app.list_product(&product, 3).await;
    let response = app
        .get(
            &format!("/v1/products/{}", product.id),
            None,
            Some(&written.to_string()),
        )
        .await;

    // Assert
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["available"], 3);
    stop.send(()).unwrap();
    projector.await.unwrap().unwrap();
}
