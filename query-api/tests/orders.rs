use pasar_events::types::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{TestApp, spawn_app, token};

fn ids(page: &Value) -> Vec<String> {
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[Uuid]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids
}

struct World {
    ana: Uuid,
    budi: Uuid,
    toko_a: Uuid,
    toko_b: Uuid,
    ana_orders: Vec<Uuid>,
    budi_order: Uuid,
}

/// Ana buys twice from toko A; Budi once from toko B.
async fn two_buyers_two_sellers(app: &TestApp) -> World {
    let (ana, budi, toko_a, toko_b) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let first = app.place_order(ana, toko_a, 20_000, 1).await;
    let second = app.place_order(ana, toko_a, 35_000, 2).await;
    let budi_order = app.place_order(budi, toko_b, 5_000, 4).await;
    app.project().await;
    World {
        ana,
        budi,
        toko_a,
        toko_b,
        ana_orders: vec![first, second],
        budi_order,
    }
}

#[tokio::test]
async fn buyers_sellers_and_admins_each_see_their_own_orders() {
    // Arrange
    let app = spawn_app().await;
    let w = two_buyers_two_sellers(&app).await;
    let all = [w.ana_orders.clone(), vec![w.budi_order]].concat();

    // Act + Assert
    let list = |user: Uuid, role: Role| {
        let app = &app;
        async move { ids(&app.get_json("/v1/orders", Some(&token(user, role))).await) }
    };
    assert_eq!(list(w.ana, Role::Buyer).await, sorted(&w.ana_orders));
    assert_eq!(list(w.budi, Role::Buyer).await, sorted(&[w.budi_order]));
    assert_eq!(list(w.toko_a, Role::Seller).await, sorted(&w.ana_orders));
    assert_eq!(list(w.toko_b, Role::Seller).await, sorted(&[w.budi_order]));
    assert_eq!(list(Uuid::new_v4(), Role::Admin).await, sorted(&all));
}

#[tokio::test]
async fn order_listing_pages_newest_first() {
    let app = spawn_app().await;
    let w = two_buyers_two_sellers(&app).await;
    let admin = token(Uuid::new_v4(), Role::Admin);

    let mut seen = Vec::new();
    let mut path = "/v1/orders?limit=1".to_owned();
    loop {
        let page = app.get_json(&path, Some(&admin)).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        seen.push(page["items"][0]["id"].as_str().unwrap().to_owned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/orders?limit=1&cursor={cursor}"),
            None => break,
        }
    }

    let newest_first: Vec<String> = [w.budi_order, w.ana_orders[1], w.ana_orders[0]]
        .iter()
        .map(Uuid::to_string)
        .collect();
    assert_eq!(seen, newest_first);
}

#[tokio::test]
async fn an_order_is_visible_to_its_buyer_its_seller_and_admins_only() {
    // Arrange
    let app = spawn_app().await;
    let w = two_buyers_two_sellers(&app).await;
    let path = format!("/v1/orders/{}", w.ana_orders[0]);

    // Act
    let as_buyer = app.get_json(&path, Some(&token(w.ana, Role::Buyer))).await;
    let as_seller = app
        .get(&path, Some(&token(w.toko_a, Role::Seller)), None)
        .await;
    let as_admin = app
        .get(&path, Some(&token(Uuid::new_v4(), Role::Admin)), None)
        .await;
    let as_other_buyer = app
        .get(&path, Some(&token(w.budi, Role::Buyer)), None)
        .await;
    let as_other_seller = app
        .get(&path, Some(&token(w.toko_b, Role::Seller)), None)
        .await;
    let anonymous = app.get(&path, None, None).await;
    let unknown = app
        .get(
            &format!("/v1/orders/{}", Uuid::new_v4()),
            Some(&token(w.ana, Role::Buyer)),
            None,
        )
        .await;

    // Assert
    assert_eq!(as_buyer["status"], "awaiting_payment");
    assert_eq!(as_buyer["buyer_id"], json!(w.ana));
    assert_eq!(as_buyer["seller_id"], json!(w.toko_a));
    assert_eq!(as_buyer["subtotal"], 20_000);
    assert_eq!(as_buyer["shipping_cost"], 9_000);
    assert_eq!(as_buyer["total"], 29_000);
    assert_eq!(as_buyer["currency"], "IDR");
    assert_eq!(as_buyer["shipping_address"]["city"], "Yogyakarta");
    let line = &as_buyer["lines"][0];
    for field in [
        "product_id",
        "sku",
        "name",
        "unit_price",
        "quantity",
        "line_total",
    ] {
        assert!(!line[field].is_null(), "line has {field}: {line}");
    }
    for field in ["payment_id", "payment_status", "placed_at", "updated_at"] {
        assert!(as_buyer.get(field).is_some(), "order has {field}");
    }
    assert_eq!(as_seller.status(), 200);
    assert_eq!(as_admin.status(), 200);
    assert_eq!(as_other_buyer.status(), 404, "another buyer learns nothing");
    assert_eq!(as_other_seller.status(), 404);
    assert_eq!(anonymous.status(), 401);
    assert_eq!(unknown.status(), 404);
}
