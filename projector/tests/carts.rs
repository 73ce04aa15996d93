use pasar_events::types::{CartEvent, streams};
use serde_json::json;
use uuid::Uuid;

use crate::support::Harness;

async fn lines(h: &Harness, customer: Uuid) -> Vec<(Uuid, i64)> {
    let client = h.pool.get().await.unwrap();
    client
        .query(
            "SELECT product_id, quantity FROM rm.cart_lines WHERE customer_id = $1 ORDER BY product_id",
            &[&customer],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn cart_lines_follow_adds_quantity_changes_and_removals() {
    // Arrange
    let h = Harness::new().await;
    let customer = Uuid::new_v4();
    let (mut a, mut b) = (Uuid::new_v4(), Uuid::new_v4());
    if b < a {
        std::mem::swap(&mut a, &mut b);
    }
    let c = Uuid::new_v4();

    // Act
    h.append(
        &streams::cart(customer),
        &[
            CartEvent::CartItemAdded {
                product_id: a,
                quantity: 1,
                line_quantity: 1,
            },
            CartEvent::CartItemAdded {
                product_id: a,
                quantity: 2,
                line_quantity: 3,
            },
            CartEvent::CartItemAdded {
                product_id: b,
                quantity: 1,
                line_quantity: 1,
            },
            CartEvent::CartItemAdded {
                product_id: c,
                quantity: 1,
                line_quantity: 1,
            },
            CartEvent::CartItemQuantitySet {
                product_id: b,
                quantity: 5,
            },
            CartEvent::CartItemRemoved { product_id: c },
        ],
    )
    .await;
    h.project().await;

    // Assert
    assert_eq!(lines(&h, customer).await, vec![(a, 3), (b, 5)]);
    let carts = h.rows("rm.carts").await;
    assert_eq!(carts[0]["stream_version"], json!(6));
}

#[tokio::test]
async fn checking_out_empties_only_that_customers_cart() {
    let h = Harness::new().await;
    let (buyer, other) = (Uuid::new_v4(), Uuid::new_v4());
    let product = Uuid::new_v4();
    let add = CartEvent::CartItemAdded {
        product_id: product,
        quantity: 2,
        line_quantity: 2,
    };
    h.append(&streams::cart(buyer), std::slice::from_ref(&add))
        .await;
    h.append(&streams::cart(other), &[add]).await;
    h.append(
        &streams::cart(buyer),
        &[CartEvent::CartCheckedOut {
            checkout_id: Uuid::new_v4(),
        }],
    )
    .await;

    h.project().await;

    assert!(lines(&h, buyer).await.is_empty());
    assert_eq!(lines(&h, other).await, vec![(product, 2)]);
}

#[tokio::test]
async fn setting_a_quantity_to_zero_removes_the_line() {
    let h = Harness::new().await;
    let (customer, product) = (Uuid::new_v4(), Uuid::new_v4());
    h.append(
        &streams::cart(customer),
        &[
            CartEvent::CartItemAdded {
                product_id: product,
                quantity: 1,
                line_quantity: 1,
            },
            CartEvent::CartItemQuantitySet {
                product_id: product,
                quantity: 0,
            },
        ],
    )
    .await;

    h.project().await;

    assert!(lines(&h, customer).await.is_empty());
}
