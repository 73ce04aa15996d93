//! The demo loader (`pasar-demo`, `scripts/dev --demo`), at a small size: it loads a shop
//! through the command API (a category tree created by the admin, the products listed into
//! its leaves), and loading it again changes nothing.

use pasar_tests::demo::{self, Size, Target};
use pasar_tests::stack::Stack;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::count;

#[tokio::test]
async fn the_demo_shop_loads_and_loading_it_again_changes_nothing() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let target = Target {
        command_url: stack.command_url.clone(),
        midtrans_sim_url: Some(stack.sim.base_url()),
        admin: ("admin@pasar.test".into(), "admin-password-123".into()),
    };
    let size = Size {
        sellers: 3,
        products: 24,
        buyers: 12,
    };

    // Act
    let first = demo::load(&target, size).await.unwrap();
    let events_after_first: Vec<i64> = futures::future::join_all(
        [
            "ProductListed",
            "StockReceived",
            "OrderPlaced",
            "OrderShipped",
            "CustomerRegistered",
            "CategoryCreated",
            "ProductImageAdded",
            "ReviewApproved",
        ]
        .map(|t| count(&stack, t)),
    )
    .await;
    let second = demo::load(&target, size).await.unwrap();

    // Assert: the same shop both times, and nothing appended twice.
    assert_eq!(first, second);
    assert_eq!(first.products, 24);
    assert!(first.checkouts >= 6, "{first:?}");
    assert!(first.paid >= 1 && first.shipped >= 1, "{first:?}");
    assert!(first.reviews >= 1, "{first:?}");
    let events_after_second: Vec<i64> = futures::future::join_all(
        [
            "ProductListed",
            "StockReceived",
            "OrderPlaced",
            "OrderShipped",
            "CustomerRegistered",
            "CategoryCreated",
            "ProductImageAdded",
            "ReviewApproved",
        ]
        .map(|t| count(&stack, t)),
    )
    .await;
    assert_eq!(events_after_first, events_after_second);
    assert_eq!(events_after_first[7], i64::try_from(first.reviews).unwrap());
    assert_eq!(events_after_first[0], 24);
    assert_eq!(events_after_first[6], 24, "one picture per product");
    assert_eq!(
        events_after_first[5],
        i64::try_from(first.categories).unwrap()
    );

    // The tree has Indonesian names, three levels where natural, and every product in a leaf.
    let tree = stack
        .eventually("/v1/categories", None, |body| {
            total(&body["categories"]) == 24
        })
        .await;
    let roots: Vec<&str> = tree["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        roots.contains(&"Makanan & Minuman") && roots.contains(&"Fashion"),
        "{roots:?}"
    );
    let drinks = find(&tree["categories"], "Minuman").expect("Makanan & Minuman > Minuman");
    let coffee = find(&drinks["children"], "Kopi").expect("… > Minuman > Kopi");
    assert_eq!(coffee["slug"], "kopi");
    assert!(coffee["products"].as_i64().unwrap() >= 1, "{coffee}");
    let id = &first.product_ids[0];
    let (status, product) = stack.query(&format!("/v1/products/{id}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{product}");
    assert!(
        product["category_path"].as_array().unwrap().len() >= 2,
        "{product}"
    );
    // Its generated picture, with thumbnails made, served as a JPEG.
    let product = stack
        .eventually(&format!("/v1/products/{id}"), None, |p| {
            p["images"][0]["thumbnails"]
                .as_array()
                .is_some_and(|t| !t.is_empty())
        })
        .await;
    let url = format!(
        "{}{}",
        stack.query_url,
        product["images"][0]["url"].as_str().unwrap()
    );
    let picture = stack.http.get(url).send().await.unwrap();
    assert_eq!(picture.status(), StatusCode::OK);
    assert_eq!(picture.headers()["content-type"], "image/jpeg");
}

/// The products counted at the roots (each root counts its whole subtree).
fn total(roots: &Value) -> i64 {
    roots
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["products"].as_i64().unwrap_or(0))
        .sum()
}

/// The category named `name` anywhere under `nodes`.
fn find<'a>(nodes: &'a Value, name: &str) -> Option<&'a Value> {
    nodes.as_array()?.iter().find_map(|node| {
        if node["name"] == name {
            Some(node)
        } else {
            find(&node["children"], name)
        }
    })
}
