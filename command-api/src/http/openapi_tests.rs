//! The OpenAPI document against the router it came from: every documented operation is served,
//! the document names what the README promises, and no route bypasses `routes!`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tower::ServiceExt as _;

use crate::app::testing;

fn app() -> axum::Router {
    let store = Arc::new(pasar_events::memory::MemoryEventStore::new());
    super::router(testing::state(store))
}

/// A path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{product_id}", "00000000-0000-7000-8000-000000000001")
        .replace("{order_id}", "00000000-0000-7000-8000-000000000002")
        .replace("{image_id}", "00000000-0000-7000-8000-000000000003")
        .replace("{category_id}", "00000000-0000-7000-8000-000000000003")
        .replace("{address_id}", "00000000-0000-7000-8000-000000000004")
        .replace("{user_id}", "00000000-0000-7000-8000-000000000004")
        .replace("{review_id}", "00000000-0000-7000-8000-000000000004")
}

#[tokio::test]
async fn every_documented_operation_is_served_and_every_route_is_documented() {
    let doc = super::openapi_document();
    let operations = pasar_service::openapi::operations(&doc);
    let expected: Vec<(String, String)> = [
        ("DELETE", "/v1/cart/items/{product_id}"),
        ("DELETE", "/v1/categories/{category_id}"),
        ("DELETE", "/v1/me/addresses/{address_id}"),
        ("DELETE", "/v1/products/{product_id}"),
        ("DELETE", "/v1/products/{product_id}/images/{image_id}"),
        ("DELETE", "/v1/wishlist/{product_id}"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/readyz"),
        ("GET", "/v1/me"),
        ("GET", "/v1/me/addresses"),
        ("GET", "/v1/shipping/destinations"),
        ("GET", "/v1/shipping/quotes"),
        ("PATCH", "/v1/categories/{category_id}"),
        ("PATCH", "/v1/me"),
        ("PATCH", "/v1/me/addresses/{address_id}"),
        ("PATCH", "/v1/products/{product_id}"),
        ("PATCH", "/v1/reviews/{review_id}"),
        ("POST", "/v1/admin/users/{user_id}/reinstate"),
        ("POST", "/v1/admin/users/{user_id}/role"),
        ("POST", "/v1/admin/users/{user_id}/suspend"),
        ("POST", "/v1/auth/login"),
        ("POST", "/v1/auth/logout"),
        ("POST", "/v1/auth/refresh"),
        ("POST", "/v1/auth/register"),
        ("POST", "/v1/cart/items"),
        ("POST", "/v1/categories"),
        ("POST", "/v1/checkout"),
        ("POST", "/v1/inventory/{product_id}/adjustments"),
        ("POST", "/v1/inventory/{product_id}/receipts"),
        ("POST", "/v1/me/addresses"),
        ("POST", "/v1/me/password"),
        ("POST", "/v1/orders/{order_id}/cancel"),
        ("POST", "/v1/orders/{order_id}/complete"),
        ("POST", "/v1/orders/{order_id}/delivery"),
        ("POST", "/v1/orders/{order_id}/refunds"),
        ("POST", "/v1/orders/{order_id}/shipments"),
        ("POST", "/v1/products"),
        ("POST", "/v1/products/import"),
        ("POST", "/v1/products/{product_id}/images"),
        ("POST", "/v1/products/{product_id}/reactivate"),
        ("POST", "/v1/products/{product_id}/reviews"),
        ("POST", "/v1/reviews/{review_id}/approve"),
        ("POST", "/v1/reviews/{review_id}/helpful"),
        ("POST", "/v1/reviews/{review_id}/reject"),
        ("POST", "/v1/wallet/top-ups"),
        ("POST", "/v1/webhooks/midtrans"),
        ("PUT", "/v1/cart/items/{product_id}"),
        ("PUT", "/v1/me/avatar"),
        ("PUT", "/v1/products/{product_id}/images/cover"),
        ("PUT", "/v1/products/{product_id}/images/order"),
        ("PUT", "/v1/seller/profile"),
        ("PUT", "/v1/wishlist/{product_id}"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    assert_eq!(operations, expected);

    for (method, path) in &operations {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(concrete(path))
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        // The fallback answers 404 `no such route`, a path without this method 405; a served
        // route answers anything else here (401, 415, 400, 200, 503 without a database …).
        let status = response.status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(!body.contains("no such route"), "{method} {path}: {body}");
    }
}

/// Routes registered with plain `.route(…)` would be served but not documented.
#[test]
fn no_area_registers_a_route_outside_the_document() {
    let sources = [
        include_str!("accounts.rs"),
        include_str!("addresses.rs"),
        include_str!("cart.rs"),
        include_str!("catalog.rs"),
        include_str!("checkout.rs"),
        include_str!("images.rs"),
        include_str!("inventory.rs"),
        include_str!("orders.rs"),
        include_str!("profile/mod.rs"),
        include_str!("profile/avatar.rs"),
        include_str!("profile/password.rs"),
        include_str!("webhook.rs"),
        include_str!("mod.rs"),
    ];
    for source in sources {
        assert!(
            !source.contains(".route("),
            "register routes with routes!(…)"
        );
    }
}

#[tokio::test]
async fn the_document_describes_errors_security_headers_and_rupiah() {
    let response = app()
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();

    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let checkout = &doc["paths"]["/v1/checkout"]["post"];
    assert_eq!(checkout["security"][0]["bearer"], serde_json::json!([]));
    assert_eq!(checkout["parameters"][0]["name"], "Idempotency-Key");
    assert_eq!(checkout["parameters"][0]["in"], "header");
    assert_eq!(checkout["parameters"][0]["required"], true);
    for status in ["400", "401", "409", "422", "500", "502", "503"] {
        let problem = &checkout["responses"][status]["content"]["application/problem+json"];
        assert_eq!(
            problem["schema"]["$ref"], "#/components/schemas/Problem",
            "{status}"
        );
    }
    assert!(
        checkout["responses"]["201"]["headers"]["X-Consistency-Token"].is_object(),
        "{checkout}"
    );
    let listing = &doc["components"]["schemas"]["ListProductRequest"];
    assert_eq!(listing["example"]["price"], 75000);
    assert!(doc["components"]["schemas"]["Problem"]["properties"]["errors"].is_object());

    let page = app()
        .oneshot(Request::get("/docs").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}
