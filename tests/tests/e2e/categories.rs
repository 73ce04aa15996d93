//! The category tree and the seller's dashboard: admins manage the tree (no cycles, unique
//! slugs among siblings, retire), products must name an active category, a category's listing
//! includes its subcategories, and a seller sees their shop at a glance.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{event_types, one_unit_ordered, until_paid};

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

/// Creates a category as `admin`; answers its id.
async fn category(stack: &Stack, admin: &str, name: &str, parent: Option<&str>) -> String {
    let body = json!({ "name": name, "parent_id": parent });
    let (status, created) = send(
        stack,
        Method::POST,
        "/v1/categories",
        Some(admin),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn list(stack: &Stack, seller: &str, category: Option<&str>) -> (StatusCode, Value) {
    let sku = format!("SKU-{}", &Uuid::new_v4().simple().to_string()[..12]);
    let body = json!({ "sku": sku, "name": "Kopi Gayo Bubuk 250 g", "price": 75_000,
                       "weight_grams": 250, "category_id": category });
    send(
        stack,
        Method::POST,
        "/v1/products",
        Some(seller),
        Some(body),
    )
    .await
}

/// A tree node by id, anywhere in the tree.
fn find<'a>(nodes: &'a Value, id: &str) -> Option<&'a Value> {
    nodes.as_array()?.iter().find_map(|node| {
        if node["id"] == id {
            Some(node)
        } else {
            find(&node["children"], id)
        }
    })
}

#[tokio::test]
async fn admins_manage_the_tree_and_products_use_active_categories_only() {
    // Arrange: Makanan & Minuman > Kopi > Kopi Bubuk.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let (_, seller) = stack.register("seller").await;
    let (_, buyer) = stack.register("buyer").await;
    let food = category(&stack, &admin, "Makanan & Minuman", None).await;
    let coffee = category(&stack, &admin, "Kopi", Some(&food)).await;
    let ground = category(&stack, &admin, "Kopi Bubuk", Some(&coffee)).await;

    // Act + assert: who may change the tree.
    let new = json!({ "name": "Teh" });
    for (token, expected) in [
        (Some(buyer.as_str()), StatusCode::FORBIDDEN),
        (Some(seller.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (status, problem) = send(
            &stack,
            Method::POST,
            "/v1/categories",
            token,
            Some(new.clone()),
        )
        .await;
        assert_eq!(status, expected, "{problem}");
    }
    // The tree's rules.
    let (status, problem) = send(
        &stack,
        Method::POST,
        "/v1/categories",
        Some(&admin),
        Some(json!({ "name": " KOPI ", "parent_id": food })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "a sibling's slug: {problem}");
    let (status, problem) = send(
        &stack,
        Method::PATCH,
        &format!("/v1/categories/{food}"),
        Some(&admin),
        Some(json!({ "parent_id": ground })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a cycle: {problem}"
    );
    let (status, problem) = send(
        &stack,
        Method::POST,
        "/v1/categories",
        Some(&admin),
        Some(json!({ "name": "<script>", "parent_id": Uuid::now_v7() })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown parent: {problem}"
    );
    let (status, problem) = send(
        &stack,
        Method::DELETE,
        &format!("/v1/categories/{coffee}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "active subcategories: {problem}"
    );

    // Products name active categories only.
    let (status, problem) = list(&stack, &seller, Some(&Uuid::now_v7().to_string())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "category_id", "{problem}");
    let (status, listed) = list(&stack, &seller, Some(&ground)).await;
    assert_eq!(status, StatusCode::CREATED, "{listed}");
    let product = listed["id"].as_str().unwrap().to_owned();
    let token = listed["consistency_token"].as_str().unwrap().to_owned();

    // The read side: counts add up the tree, a category lists its subcategories' products.
    let (status, tree) = stack.query("/v1/categories", None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    let root = find(&tree["categories"], &food).expect("the root is in the tree");
    assert_eq!(root["slug"], "makanan-minuman", "{tree}");
    assert_eq!(root["products"], 1, "{tree}");
    assert_eq!(
        find(&root["children"], &ground).unwrap()["products"],
        1,
        "{tree}"
    );
    let (_, page) = stack
        .query(&format!("/v1/products?category={food}"), None, Some(&token))
        .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [product.as_str()], "{page}");
    let (_, detail) = stack
        .query(&format!("/v1/products/{product}"), None, Some(&token))
        .await;
    let path: Vec<&str> = detail["category_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        ["Makanan & Minuman", "Kopi", "Kopi Bubuk"],
        "{detail}"
    );

    // Retiring: the product stays readable in it, new listings and moves into it are refused.
    let (status, retired) = send(
        &stack,
        Method::DELETE,
        &format!("/v1/categories/{ground}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{retired}");
    assert_eq!(retired["retired"], true);
    let (status, problem) = list(&stack, &seller, Some(&ground)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let token = retired["consistency_token"].as_str().unwrap();
    let (status, detail) = stack
        .query(&format!("/v1/products/{product}"), None, Some(token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["category_id"], ground.as_str(), "{detail}");
    let (_, tree) = stack.query("/v1/categories", None, Some(token)).await;
    assert!(
        find(&tree["categories"], &ground).is_none(),
        "retired ones are hidden: {tree}"
    );
    let (_, tree) = stack
        .query("/v1/categories?include_retired=true", None, Some(token))
        .await;
    assert_eq!(
        find(&tree["categories"], &ground).unwrap()["retired"],
        true,
        "{tree}"
    );

    // Moving the product to an active category is its own event.
    let product_path = format!("/v1/products/{product}");
    let (status, problem) = send(
        &stack,
        Method::PATCH,
        &product_path,
        Some(&seller),
        Some(json!({ "category_id": ground })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, moved) = send(
        &stack,
        Method::PATCH,
        &product_path,
        Some(&seller),
        Some(json!({ "category_id": coffee })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["category_id"], coffee.as_str());
    let events = event_types(&stack, &format!("product-{product}")).await;
    assert_eq!(
        events,
        ["ProductListed", "ProductCategorised"],
        "{events:?}"
    );

    // Rename and move to the root in one PATCH.
    let (status, renamed) = send(
        &stack,
        Method::PATCH,
        &format!("/v1/categories/{coffee}"),
        Some(&admin),
        Some(json!({ "name": "Kopi Nusantara", "parent_id": null })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["slug"], "kopi-nusantara");
    assert_eq!(renamed["parent_id"], Value::Null);
    let token = renamed["consistency_token"].as_str().unwrap();
    let (_, tree) = stack.query("/v1/categories", None, Some(token)).await;
    let roots: Vec<&str> = tree["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["Kopi Nusantara", "Makanan & Minuman"], "{tree}");
}

#[tokio::test]
async fn concurrent_admins_never_make_a_cycle_or_duplicate_siblings() {
    // Arrange: two roots, A and B.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let a = category(&stack, &admin, "A", None).await;
    let b = category(&stack, &admin, "B", None).await;

    // Act: A under B and B under A at once; eight creates of the same name at once.
    let (path_a, path_b) = (format!("/v1/categories/{a}"), format!("/v1/categories/{b}"));
    let (first, second) = tokio::join!(
        send(
            &stack,
            Method::PATCH,
            &path_a,
            Some(&admin),
            Some(json!({ "parent_id": b }))
        ),
        send(
            &stack,
            Method::PATCH,
            &path_b,
            Some(&admin),
            Some(json!({ "parent_id": a }))
        ),
    );
    let creates = futures::future::join_all((0..8).map(|_| {
        send(
            &stack,
            Method::POST,
            "/v1/categories",
            Some(&admin),
            Some(json!({ "name": "Sepatu" })),
        )
    }))
    .await;

    // Assert
    let moved = [first.0, second.0]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(moved, 1, "exactly one move wins: {first:?} {second:?}");
    let created = creates
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let taken = creates
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, taken), (1, 7), "{creates:?}");
}

#[tokio::test]
async fn a_seller_sees_stock_orders_and_sales_on_the_dashboard() {
    // Arrange: one paid order of one unit (of 5) at 20,000; a threshold of 4 on that product.
    let stack = Stack::start().await.unwrap();
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;
    stack.sim.pay(&payment).await.unwrap();
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    let (status, edited) = send(
        &stack,
        Method::PATCH,
        &format!("/v1/products/{}", listed.product_id),
        Some(&listed.seller_token),
        Some(json!({ "low_stock_threshold": 4 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let token = edited["consistency_token"].as_str().unwrap();
    let (other, other_seller) = stack.register("seller").await;
    let (_, buyer_token) = stack.register("buyer").await;

    // Act
    let (status, board) = stack
        .query(
            "/v1/seller/dashboard",
            Some(&listed.seller_token),
            Some(token),
        )
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["products"]["active"], 1, "{board}");
    assert_eq!(
        board["low_stock"][0]["id"],
        listed.product_id.to_string(),
        "{board}"
    );
    assert_eq!(board["low_stock"][0]["threshold"], 4, "{board}");
    assert_eq!(board["orders_to_ship"], 1, "{board}");
    assert_eq!(board["oldest_to_ship"][0]["id"], order.as_str(), "{board}");
    for window in ["today", "last_7_days", "last_30_days"] {
        assert_eq!(board["sales"][window]["orders"], 1, "{window}: {board}");
        assert_eq!(
            board["sales"][window]["revenue"], 20_000,
            "{window}: {board}"
        );
        assert_eq!(board["sales"][window]["units"], 1, "{window}: {board}");
    }
    assert_eq!(
        board["top_products"][0]["product_id"],
        listed.product_id.to_string()
    );
    // Another seller sees an empty shop, and not this one; buyers and strangers see nothing.
    let (_, empty) = stack
        .query("/v1/seller/dashboard", Some(&other_seller), Some(token))
        .await;
    assert_eq!(empty["seller_id"], other.to_string(), "{empty}");
    assert_eq!(empty["orders_to_ship"], 0, "{empty}");
    let seller_id = board["seller_id"].as_str().unwrap();
    let (status, _) = stack
        .query(
            &format!("/v1/seller/dashboard?seller_id={seller_id}"),
            Some(&other_seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = stack
        .query("/v1/seller/dashboard", Some(&buyer_token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = stack.query("/v1/seller/dashboard", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An admin names the seller.
    let admin = stack.admin_token().await;
    let (status, seen) = stack
        .query(
            &format!("/v1/seller/dashboard?seller_id={seller_id}"),
            Some(&admin),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["orders_to_ship"], 1, "{seen}");
}
