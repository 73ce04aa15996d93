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
