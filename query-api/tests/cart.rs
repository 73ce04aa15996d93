use pasar_events::types::{CartEvent, Role, streams};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::fixtures::NewProduct;
use crate::support::{spawn_app, token, token_with};

#[tokio::test]
async fn the_cart_is_priced_from_the_catalog() {
    // Arrange
    let app = spawn_app().await;
    let buyer = Uuid::new_v4();
    let (kopi, teh) = (
        NewProduct::new(Uuid::new_v4(), 45_000),
        NewProduct::new(Uuid::new_v4(), 12_500),
    );
    app.list_product(&kopi, 5).await;
    app.list_product(&teh, 0).await;
    app.append(
        &streams::cart(buyer),
        &[
            CartEvent::CartItemAdded {
                product_id: kopi.id,
                quantity: 2,
                line_quantity: 2,
            },
            CartEvent::CartItemAdded {
                product_id: teh.id,
                quantity: 3,
                line_quantity: 3,
            },
        ],
    )
    .await;
    app.project().await;

    // Act
    let cart = app
        .get_json("/v1/cart", Some(&token(buyer, Role::Buyer)))
        .await;

    // Assert
    assert_eq!(cart["total"], 2 * 45_000 + 3 * 12_500);
    let items = cart["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let kopi_line = items
        .iter()
        .find(|i| i["product_id"] == json!(kopi.id))
        .expect("kopi line");
    assert_eq!(kopi_line["quantity"], 2);
    assert_eq!(kopi_line["unit_price"], 45_000);
    assert_eq!(kopi_line["line_total"], 90_000);
    assert_eq!(kopi_line["available"], 5);
    assert_eq!(kopi_line["name"], kopi.name.as_str());
}

#[tokio::test]
async fn another_buyers_cart_is_empty_for_you() {
    let app = spawn_app().await;
    let product = NewProduct::new(Uuid::new_v4(), 1_000);
    app.list_product(&product, 1).await;
    app.append(
        &streams::cart(Uuid::new_v4()),
        &[CartEvent::CartItemAdded {
            product_id: product.id,
            quantity: 1,
            line_quantity: 1,
        }],
    )
    .await;
    app.project().await;

    let cart = app
        .get_json("/v1/cart", Some(&token(Uuid::new_v4(), Role::Buyer)))
        .await;

    assert_eq!(cart["items"], json!([]));
    assert_eq!(cart["total"], 0);
}

#[tokio::test]
async fn the_cart_needs_a_valid_buyer_token() {
    let app = spawn_app().await;
    let user = Uuid::new_v4();
    let cases = [
        (None, 401),
        (Some("not-a-jwt".to_owned()), 401),
        (
            Some(token_with(
                user,
                Role::Buyer,
                "some-other-secret-entirely",
                900,
            )),
            401,
        ),
        (
            Some(token_with(
                user,
                Role::Buyer,
                crate::support::JWT_SECRET,
                -120,
            )),
            401,
        ),
        (Some(token(user, Role::Seller)), 403),
    ];

    for (bearer, expected) in cases {
        let response = app.get("/v1/cart", bearer.as_deref(), None).await;
        assert_eq!(response.status(), expected, "{bearer:?}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], expected);
    }
}
