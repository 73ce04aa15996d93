use serde_json::Value;
use uuid::Uuid;

use crate::support::fixtures::NewProduct;
use crate::support::spawn_app;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn products_are_listed_newest_first_page_by_page() {
    // Arrange
    let app = spawn_app().await;
    let seller = Uuid::new_v4();
    let mut listed = Vec::new();
    for price in [1_000, 2_000, 3_000, 4_000, 5_000] {
        let product = NewProduct::new(seller, price);
        app.list_product(&product, 0).await;
        listed.push(product.id.to_string());
    }
    app.project().await;

    // Act
    let mut seen = Vec::new();
    let mut path = "/v1/products?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = app.get_json(&path, None).await;
        pages += 1;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/products?limit=2&cursor={cursor}"),
            None => break,
        }
    }

    // Assert
    listed.reverse();
    assert_eq!(seen, listed);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn a_product_is_served_with_its_available_stock() {
    let app = spawn_app().await;
    let product = NewProduct::new(Uuid::new_v4(), 75_000);
    app.list_product(&product, 12).await;
    app.project().await;

    let body = app
        .get_json(&format!("/v1/products/{}", product.id), None)
        .await;

    assert_eq!(body["id"], product.id.to_string());
    assert_eq!(body["seller_id"], product.seller_id.to_string());
    assert_eq!(body["price"], 75_000);
    assert_eq!(body["currency"], "IDR");
    assert_eq!(body["available"], 12);
    assert_eq!(body["status"], "active");
    assert_eq!(body["weight_grams"], 500);
    assert!(body["created_at"].is_string());
}

#[tokio::test]
async fn an_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app
        .get(&format!("/v1/products/{}", Uuid::new_v4()), None, None)
        .await;

    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 404);
    assert!(
        problem["type"].is_string()
            && problem["title"].is_string()
            && problem["detail"].is_string()
    );
}

#[tokio::test]
async fn filters_narrow_the_listing() {
    // Arrange
    let app = spawn_app().await;
    let (seller, other_seller, category) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let cheap = NewProduct::new(seller, 10_000).in_category(category);
    let dear = NewProduct::new(seller, 90_000);
    let elsewhere = NewProduct::new(other_seller, 50_000).in_category(category);
    app.list_product(&cheap, 3).await;
    app.list_product(&dear, 0).await;
    app.list_product(&elsewhere, 1).await;
    app.project().await;
    let listing = |query: String| {
        let app = &app;
        async move {
            let mut found = ids(&app.get_json(&format!("/v1/products?{query}"), None).await);
            found.sort();
            found
        }
    };
    let sorted = |mut v: Vec<Uuid>| {
        v.sort();
        v.iter().map(Uuid::to_string).collect::<Vec<_>>()
    };

    // Act + Assert
    assert_eq!(
        listing(format!("seller={seller}")).await,
        sorted(vec![cheap.id, dear.id])
    );
    assert_eq!(
        listing(format!("category={category}")).await,
        sorted(vec![cheap.id, elsewhere.id])
    );
    assert_eq!(
        listing("min_price=20000&max_price=60000".into()).await,
        sorted(vec![elsewhere.id])
    );
    assert_eq!(
        listing("in_stock=true".into()).await,
        sorted(vec![cheap.id, elsewhere.id])
    );
    assert_eq!(
        listing(format!("in_stock=true&seller={seller}")).await,
        sorted(vec![cheap.id])
    );
}

#[tokio::test]
async fn price_ordering_pages_by_price() {
    let app = spawn_app().await;
    let seller = Uuid::new_v4();
    for price in [30_000, 10_000, 20_000] {
        app.list_product(&NewProduct::new(seller, price), 0).await;
    }
    app.project().await;

    let first = app
        .get_json("/v1/products?sort=price_asc&limit=2", None)
        .await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get_json(
            &format!("/v1/products?sort=price_asc&limit=2&cursor={cursor}"),
            None,
        )
        .await;

    let prices = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["price"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(prices(&first), vec![10_000, 20_000]);
    assert_eq!(prices(&second), vec![30_000]);
    assert!(second["next_cursor"].is_null());
    let mixed = app
        .get(
            &format!("/v1/products?sort=newest&cursor={cursor}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        mixed.status(),
        400,
        "a price cursor is refused by another ordering"
    );
}

#[tokio::test]
async fn bad_paging_parameters_are_400_problems() {
    let app = spawn_app().await;

    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "cursor=garbage",
        "min_price=cheap",
    ] {
        let response = app.get(&format!("/v1/products?{query}"), None, None).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
    }
}

#[tokio::test]
async fn an_unknown_query_parameter_is_refused() {
    let app = crate::support::spawn_app().await;

    let response = app.get("/v1/products?min_prize=10", None, None).await;

    assert_eq!(response.status(), 400);
    let problem: serde_json::Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("min_prize"),
        "{problem}"
    );
    app.shut_down().await.unwrap();
}
