//! `/openapi.json`, `/docs` and CORS on the real service: every documented operation is served,
//! the document names what the README promises, and no route bypasses `routes!`.

use std::time::Duration;

use pasar_service::cors::CorsOrigins;
use serde_json::Value;

use crate::support::{spawn_app, spawn_app_with};

#[tokio::test]
async fn every_documented_operation_is_served_and_every_route_is_documented() {
    let app = spawn_app().await;
    let doc = pasar_query_api::routes::openapi_document();
    let operations = pasar_service::openapi::operations(&doc);
    let expected: Vec<(String, String)> = [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/readyz"),
        ("GET", "/v1/admin/customers"),
        ("GET", "/v1/admin/reviews"),
        ("GET", "/v1/admin/wallets/{customer_id}"),
        ("GET", "/v1/brands"),
        ("GET", "/v1/cart"),
        ("GET", "/v1/categories"),
        ("GET", "/v1/imports/{id}"),
        ("GET", "/v1/me/activity"),
        ("GET", "/v1/media/{folder}/{name}"),
        ("GET", "/v1/orders"),
        ("GET", "/v1/orders/{id}"),
        ("GET", "/v1/orders/{id}/history"),
        ("GET", "/v1/products"),
        ("GET", "/v1/products/{id}"),
        ("GET", "/v1/products/{id}/reviews"),
        ("GET", "/v1/projections"),
        ("GET", "/v1/search"),
        ("GET", "/v1/search/suggest"),
        ("GET", "/v1/seller/dashboard"),
        ("GET", "/v1/sellers/{id}"),
        ("GET", "/v1/wallet"),
        ("GET", "/v1/wishlist"),
        ("POST", "/v1/admin/search/rebuild"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    assert_eq!(operations, expected);

    for (_, path) in &operations {
        let path = path.replace("{id}", "00000000-0000-7000-8000-000000000001");
        let response = app.get(&path, None, None).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        // The fallback answers 404 `no such route`; a served route anything else here (or its
        // own 404, `no such product`).
        assert!(!body.contains("no such route"), "{path}: {status} {body}");
    }
    // The document served is the one built here.
    let served: Value = app.get_json("/openapi.json", None).await;
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(served, serde_json::to_value(&doc).unwrap());
    app.shut_down().await.unwrap();
}

/// Routes registered with plain `.route(…)` would be served but not documented.
#[test]
fn no_route_is_registered_outside_the_document() {
    let router = include_str!("../src/routes/mod.rs");
    assert!(
        !router.contains(".route("),
        "register routes with routes!(…)"
    );
}

#[tokio::test]
async fn the_document_describes_errors_security_headers_and_rupiah() {
    let doc = serde_json::to_value(pasar_query_api::routes::openapi_document()).unwrap();

    let cart = &doc["paths"]["/v1/cart"]["get"];
    assert_eq!(cart["security"][0]["bearer"], serde_json::json!([]));
    let header = cart["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "X-Consistency-Token")
        .expect("X-Consistency-Token documented");
    assert_eq!(header["in"], "header");
    for status in ["400", "401", "403", "500", "503"] {
        let problem = &cart["responses"][status]["content"]["application/problem+json"];
        assert_eq!(
            problem["schema"]["$ref"], "#/components/schemas/Problem",
            "{status}"
        );
    }
    let products = &doc["paths"]["/v1/products"]["get"]["parameters"];
    let names: Vec<&str> = products
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "sort",
        "limit",
        "cursor",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(
        doc["components"]["schemas"]["Product"]["properties"]["price"]["example"],
        75000
    );
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_by_the_service() {
    let app = spawn_app().await;

    let page = app.get("/docs", None, None).await.text().await.unwrap();
    let script = app.get("/docs/swagger-ui-bundle.js", None, None).await;

    assert!(page.contains("/docs/swagger-ui-bundle.js"), "{page}");
    assert!(!page.contains("https://"), "no CDN: {page}");
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript");
    app.shut_down().await.unwrap();
}

#[tokio::test]
async fn cors_answers_preflights_from_allowed_origins_only() {
    let cors = CorsOrigins::parse("https://shop.example").unwrap();
    let app = spawn_app_with(Duration::from_secs(10), cors).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/v1/cart", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header(
                "access-control-request-headers",
                "authorization,x-consistency-token",
            )
            .send()
    };

    let allowed = preflight("https://shop.example").await.unwrap();
    let other = preflight("https://evil.example").await.unwrap();
    let simple = app
        .http
        .get(format!("{}/v1/products", app.base))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();

    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let exposed = simple.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in ["x-consistency-token", "x-request-id", "retry-after"] {
        assert!(exposed.contains(name), "{exposed}");
    }
    app.shut_down().await.unwrap();
}

#[tokio::test]
async fn without_cors_origins_no_cors_headers_are_sent() {
    let app = spawn_app().await;

    let response = app
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/v1/cart", app.base))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();

    assert!(
        response
            .headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-"))
    );
    app.shut_down().await.unwrap();
}
