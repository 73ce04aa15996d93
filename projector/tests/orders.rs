use pasar_events::types::{OrderEvent, PaymentEvent, PaymentFailure, streams};
use serde_json::json;

use crate::support::Harness;
use crate::support::fixtures::{PlacedOrder, at, settled};

#[tokio::test]
async fn a_placed_order_is_served_with_flat_lines_and_totals() {
    // Arrange
    let h = Harness::new().await;
    let order = PlacedOrder::new();

    // Act
    h.append(&streams::order(order.order_id), &[order.placed()])
        .await;
    h.project().await;

    // Assert
    let row = h.row("rm.orders", order.order_id).await.expect("order row");
    assert_eq!(row["status"], json!("awaiting_payment"));
    assert_eq!(row["buyer_id"], json!(order.buyer_id));
    assert_eq!(row["seller_id"], json!(order.seller_id));
    assert_eq!(row["total"], json!(110_000));
    assert_eq!(row["currency"], json!("IDR"));
    assert_eq!(row["shipping_address"]["city"], json!("Bandung"));
    assert_eq!(row["payment_status"], json!(null));
    assert_eq!(
        row["lines"],
        json!([{
            "product_id": order.product_id, "sku": "KOPI-250", "name": "Kopi Gayo 250g",
            "unit_price": 50_000, "quantity": 2, "line_total": 100_000
        }])
    );
}

#[tokio::test]
async fn order_and_payment_status_follow_their_streams() {
    let h = Harness::new().await;
    let order = PlacedOrder::new();
    h.append(&streams::order(order.order_id), &[order.placed()])
        .await;
    h.append(
        &streams::payment(order.payment_id),
        &[order.payment_initiated(), settled()],
    )
    .await;
    h.append(
        &streams::order(order.order_id),
        &[
            OrderEvent::OrderPaid {
                payment_id: order.payment_id,
                paid_at: at(21),
            },
            OrderEvent::OrderShipped {
                courier: "jne".into(),
                tracking_number: "JNE123".into(),
                shipped_at: at(40),
            },
        ],
    )
    .await;

    h.project().await;

    let row = h.row("rm.orders", order.order_id).await.expect("order row");
    assert_eq!(row["status"], json!("shipped"));
    assert_eq!(row["tracking_number"], json!("JNE123"));
    assert_eq!(row["payment_status"], json!("settled"));
    let payment = h
        .row("rm.payments", order.payment_id)
        .await
        .expect("payment row");
    assert_eq!(payment["status"], json!("settled"));
    assert_eq!(payment["transaction_id"], json!("tx-1"));
    assert_eq!(payment["order_ids"], json!([order.order_id]));
    assert_eq!(payment["gross_amount"], json!(110_000));
}

#[tokio::test]
async fn an_order_projected_after_its_payment_moved_on_starts_with_the_current_payment_status() {
    let h = Harness::new().await;
    let order = PlacedOrder::new();
    h.append(
        &streams::payment(order.payment_id),
        &[order.payment_initiated(), settled()],
    )
    .await;
    h.append(&streams::order(order.order_id), &[order.placed()])
        .await;

    h.project().await;

    let row = h.row("rm.orders", order.order_id).await.expect("order row");
    assert_eq!(row["payment_status"], json!("settled"));
}

#[tokio::test]
async fn a_failed_payment_records_why_and_cancels_nothing_by_itself() {
    let h = Harness::new().await;
    let order = PlacedOrder::new();
    h.append(&streams::order(order.order_id), &[order.placed()])
        .await;
    h.append(
        &streams::payment(order.payment_id),
        &[
            order.payment_initiated(),
            PaymentEvent::PaymentFailed {
                transaction_id: Some("tx-9".into()),
                failure: PaymentFailure::Expired,
            },
        ],
    )
    .await;

    h.project().await;

    let payment = h
        .row("rm.payments", order.payment_id)
        .await
        .expect("payment row");
    assert_eq!(payment["status"], json!("failed"));
    assert_eq!(payment["failure"], json!("expired"));
    let row = h.row("rm.orders", order.order_id).await.expect("order row");
    assert_eq!(row["status"], json!("awaiting_payment"));
    assert_eq!(row["payment_status"], json!("failed"));
}
