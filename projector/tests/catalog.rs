use pasar_events::types::{ProductEvent, StockEvent, streams};
use serde_json::json;
use uuid::Uuid;

use crate::support::Harness;
use crate::support::fixtures::{at, product_listed};

#[tokio::test]
async fn a_listed_product_shows_its_stock_figures() {
    // Arrange
    let h = Harness::new().await;
    let (product, seller) = (Uuid::new_v4(), Uuid::new_v4());
    h.append(
        &streams::product(product),
        &[product_listed(product, seller, 45_000)],
    )
    .await;
    h.append(
        &streams::stock(product),
        &[
            StockEvent::StockReceived {
                quantity: 10,
                on_hand: 10,
                available: 10,
            },
            StockEvent::StockReserved {
                order_id: Uuid::new_v4(),
                quantity: 3,
                expires_at: at(30),
                available: 7,
            },
        ],
    )
    .await;

    // Act
    h.project().await;

    // Assert
    let row = h.row("rm.products", product).await.expect("product row");
    assert_eq!(row["seller_id"], json!(seller));
    assert_eq!(row["price"], json!(45_000));
    assert_eq!(row["currency"], json!("IDR"));
    assert_eq!(row["status"], json!("active"));
    assert_eq!(row["on_hand"], json!(10));
    assert_eq!(row["available"], json!(7));
    assert_eq!(row["product_version"], json!(1));
    assert_eq!(row["stock_version"], json!(2));
}

#[tokio::test]
async fn a_discontinued_product_keeps_its_row_with_the_new_status() {
    let h = Harness::new().await;
    let product = Uuid::new_v4();
    h.append(
        &streams::product(product),
        &[
            product_listed(product, Uuid::new_v4(), 1_000),
            ProductEvent::ProductDiscontinued {
                discontinued_at: at(9),
            },
        ],
    )
    .await;

    h.project().await;

    let row = h.row("rm.products", product).await.expect("product row");
    assert_eq!(row["status"], json!("discontinued"));
    assert_eq!(row["name"], json!("Kopi Gayo 250g"));
}

#[tokio::test]
async fn stock_projected_before_its_listing_is_kept() {
    let h = Harness::new().await;
    let product = Uuid::new_v4();
    h.append(
        &streams::stock(product),
        &[StockEvent::StockReceived {
            quantity: 4,
            on_hand: 4,
            available: 4,
        }],
    )
    .await;
    h.project().await;
    let early = h.row("rm.products", product).await.expect("stock-only row");
    assert_eq!(early["status"], json!(null), "not listed yet");

    h.append(
        &streams::product(product),
        &[product_listed(product, Uuid::new_v4(), 2_000)],
    )
    .await;
    h.project().await;

    let row = h.row("rm.products", product).await.expect("product row");
    assert_eq!(row["status"], json!("active"));
    assert_eq!(row["available"], json!(4));
}

#[tokio::test]
async fn listings_and_stock_of_many_products_in_one_batch_come_out_as_written_one_by_one() {
    // Arrange: listings and stock figures are gathered into multi-row statements; a product's
    // later stock figures replace its gathered ones (keeping the `on_hand` of a receipt before
    // a reservation), a product seen again otherwise and any other event (a discontinuation)
    // must flush what was gathered first.
    let h = Harness::new().await;
    let [a, b, c] = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    let seller = Uuid::new_v4();
    let received = |n| StockEvent::StockReceived {
        quantity: n,
        on_hand: n,
        available: n,
    };
    let reserved = |available| StockEvent::StockReserved {
        order_id: Uuid::new_v4(),
        quantity: 1,
        expires_at: at(30),
        available,
    };
    h.append(&streams::product(a), &[product_listed(a, seller, 1_000)])
        .await;
    h.append(&streams::product(b), &[product_listed(b, seller, 2_000)])
        .await;
    h.append(&streams::stock(a), &[received(10)]).await;
    h.append(&streams::stock(b), &[received(5)]).await;
    h.append(&streams::stock(a), &[reserved(7)]).await;
    h.append(&streams::stock(c), &[received(3)]).await;
    let discontinued = ProductEvent::ProductDiscontinued {
        discontinued_at: at(9),
    };
    h.append(&streams::product(b), &[discontinued]).await;
    h.append(&streams::product(c), &[product_listed(c, seller, 3_000)])
        .await;
    h.append(&streams::stock(c), &[reserved(1), reserved(0)])
        .await;

    // Act
    h.project().await;

    // Assert
    let h = &h;
    let row = |id| async move { h.row("rm.products", id).await.expect("product row") };
    let (a, b, c) = (row(a).await, row(b).await, row(c).await);
    let figures = |r: &serde_json::Value| {
        [&r["status"], &r["price"], &r["on_hand"], &r["available"]].map(Clone::clone)
    };
    assert_eq!(
        figures(&a),
        [json!("active"), json!(1_000), json!(10), json!(7)]
    );
    assert_eq!(
        figures(&b),
        [json!("discontinued"), json!(2_000), json!(5), json!(5)]
    );
    assert_eq!(
        figures(&c),
        [json!("active"), json!(3_000), json!(3), json!(0)]
    );
    let versions =
        |r: &serde_json::Value| [&r["product_version"], &r["stock_version"]].map(Clone::clone);
    assert_eq!(versions(&a), [json!(1), json!(2)]);
    assert_eq!(versions(&b), [json!(2), json!(1)]);
    assert_eq!(versions(&c), [json!(1), json!(3)]);
}
