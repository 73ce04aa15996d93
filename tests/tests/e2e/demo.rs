//! The demo loader (`pasar-demo`, `scripts/dev --demo`), at a small size: it loads a shop
//! through the command API, and loading it again changes nothing.

use pasar_tests::demo::{self, Size, Target};
use pasar_tests::stack::Stack;

use crate::support::count;

#[tokio::test]
async fn the_demo_shop_loads_and_loading_it_again_changes_nothing() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let target = Target {
        command_url: stack.command_url.clone(),
        midtrans_sim_url: Some(stack.sim.base_url()),
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
    let events_after_second: Vec<i64> = futures::future::join_all(
        [
            "ProductListed",
            "StockReceived",
            "OrderPlaced",
            "OrderShipped",
            "CustomerRegistered",
        ]
        .map(|t| count(&stack, t)),
    )
    .await;
    assert_eq!(events_after_first, events_after_second);
    assert_eq!(events_after_first[0], 24);
}
