//! Bigger logs for the rebuild and crash tests: a shop's worth of every stream category,
//! and stock-heavy logs whose final figures the test knows.

use std::collections::BTreeMap;

use pasar_events::types::{
    CartEvent, ImportEvent, ImportRow, LineOutcome, LineReport, OrderEvent, PaymentEvent,
    PaymentFailure, ProductEvent, Role, StockEvent, streams,
};
use uuid::Uuid;

use super::Harness;
use super::fixtures::{PlacedOrder, at, product_listed, settled};

/// Every read model in `rm`, as the query API reads it (views over the live versions).
pub const READ_MODELS: &[&str] = &[
    "rm.products",
    "rm.carts",
    "rm.cart_lines",
    "rm.orders",
    "rm.order_payment_states",
    "rm.payments",
    "rm.imports",
    "rm.import_lines",
];

/// Full dumps of every read model, each ordered by its rows.
pub async fn dump(h: &Harness) -> BTreeMap<&'static str, Vec<serde_json::Value>> {
    let mut tables = BTreeMap::new();
    for table in READ_MODELS {
        tables.insert(*table, h.rows(table).await);
    }
    tables
}

/// Appends `units` purchases, each touching every category: a listing and its stock (some
/// discontinued), a cart filled and checked out, an order and its payment, ending paid and
/// shipped, cancelled after a failed payment, or still awaiting payment. About 14 events a
/// unit. Returns how many orders it placed.
pub async fn append_shop(h: &Harness, units: usize) -> usize {
    for unit in 0..units {
        let order = PlacedOrder::new();
        let p = order.product_id;
        h.append(
            &streams::product(p),
            &[product_listed(p, order.seller_id, 10_000 + unit as i64)],
        )
        .await;
        if unit % 7 == 3 {
            let discontinued = ProductEvent::ProductDiscontinued {
                discontinued_at: at(40),
            };
            h.append(&streams::product(p), &[discontinued]).await;
        }
        h.append(&streams::stock(p), &stock_for(order.order_id, unit))
            .await;
        h.append(&streams::cart(order.buyer_id), &cart_for(p)).await;
        h.append(&streams::order(order.order_id), &order_for(&order, unit))
            .await;
        h.append(
            &streams::payment(order.payment_id),
            &payment_for(&order, unit),
        )
        .await;
        if unit % 10 == 0 {
            let import = Uuid::new_v4();
            h.append(&streams::import(import), &import_for(import, &order, unit))
                .await;
        }
    }
    units
}

/// A CSV import of the unit's product by its seller: queued, running or done by turns.
fn import_for(import_id: Uuid, order: &PlacedOrder, unit: usize) -> Vec<ImportEvent> {
    let row = |line: u32| ImportRow {
        line,
        sku: format!("SKU-{unit}-{line}"),
        name: "Kopi".into(),
        description: String::new(),
        price: if line == 3 {
            "abc".into()
        } else {
            "75000".into()
        },
        weight_grams: "250".into(),
        brand: String::new(),
        condition: String::new(),
        category_id: String::new(),
        stock: "5".into(),
    };
    let mut events = vec![
        ImportEvent::ImportRequested {
            import_id,
            owner_id: order.seller_id,
            owner_role: Role::Seller,
            rows: 2,
            chunks: 1,
            requested_at: at(1),
        },
        ImportEvent::ImportRowsReceived {
            chunk: 0,
            rows: vec![row(2), row(3)],
        },
    ];
    if unit.is_multiple_of(20) {
        return events;
    }
    events.push(ImportEvent::ImportStarted { started_at: at(2) });
    events.push(ImportEvent::ImportLinesProcessed {
        lines: vec![
            LineReport {
                line: 2,
                sku: format!("SKU-{unit}-2"),
                outcome: LineOutcome::Created,
                product_id: Some(order.product_id),
                reasons: Vec::new(),
            },
            LineReport {
                line: 3,
                sku: format!("SKU-{unit}-3"),
                outcome: LineOutcome::Rejected,
                product_id: None,
                reasons: vec!["price: must be a whole number of rupiah".into()],
            },
        ],
    });
    events.push(ImportEvent::ImportCompleted {
        created: 1,
        updated: 0,
        unchanged: 0,
        rejected: 1,
        completed_at: at(3),
    });
    events
}

fn stock_for(order_id: Uuid, unit: usize) -> Vec<StockEvent> {
    let mut events = vec![
        StockEvent::StockReceived {
            quantity: 10,
            on_hand: 10,
            available: 10,
        },
        StockEvent::StockReserved {
            order_id,
            quantity: 2,
            expires_at: at(50),
            available: 8,
        },
    ];
    events.push(match unit % 3 {
        0 => StockEvent::ReservationCommitted {
            order_id,
            quantity: 2,
            on_hand: 8,
            available: 8,
        },
        1 => StockEvent::ReservationReleased {
            order_id,
            quantity: 2,
            reason: "payment failed".into(),
            available: 10,
        },
        _ => StockEvent::StockAdjusted {
            delta: -1,
            reason: "damaged".into(),
            on_hand: 9,
            available: 7,
        },
    });
    events
}

fn cart_for(product_id: Uuid) -> Vec<CartEvent> {
    let other = Uuid::new_v4();
    vec![
        CartEvent::CartItemAdded {
            product_id,
            quantity: 1,
            line_quantity: 1,
        },
        CartEvent::CartItemAdded {
            product_id: other,
            quantity: 3,
            line_quantity: 3,
        },
        CartEvent::CartItemQuantitySet {
            product_id,
            quantity: 2,
        },
        CartEvent::CartItemRemoved { product_id: other },
        CartEvent::CartCheckedOut {
            checkout_id: Uuid::new_v4(),
        },
        CartEvent::CartItemAdded {
            product_id: other,
            quantity: 1,
            line_quantity: 1,
        },
    ]
}

fn order_for(order: &PlacedOrder, unit: usize) -> Vec<OrderEvent> {
    let mut events = vec![order.placed()];
    match unit % 3 {
        0 => events.extend([
            OrderEvent::OrderPaid {
                payment_id: order.payment_id,
                paid_at: at(20),
            },
            OrderEvent::OrderShipped {
                courier: "jne".into(),
                tracking_number: format!("JNE{unit:06}"),
                shipped_at: at(30),
            },
        ]),
        1 => events.push(OrderEvent::OrderCancelled {
            reason: "payment failed".into(),
            cancelled_at: at(25),
        }),
        _ => {}
    }
    events
}

fn payment_for(order: &PlacedOrder, unit: usize) -> Vec<PaymentEvent> {
    let mut events = vec![order.payment_initiated()];
    match unit % 3 {
        0 => events.extend([
            PaymentEvent::PaymentPending {
                transaction_id: format!("tx-{unit}"),
                payment_type: Some("bank_transfer".into()),
            },
            settled(),
        ]),
        1 => events.push(PaymentEvent::PaymentFailed {
            transaction_id: Some(format!("tx-{unit}")),
            failure: PaymentFailure::Denied,
        }),
        _ => {}
    }
    events
}

/// What a stock-heavy log leaves in `rm.products`: (on_hand, available) per product.
pub type StockFigures = BTreeMap<Uuid, (i64, i64)>;

/// Appends `products` listings, each followed by `moves` stock events (reservations, some
/// committed, some released) in one append per stream. Returns the figures every product must
/// end with.
pub async fn append_stock_churn(h: &Harness, products: usize, moves: usize) -> StockFigures {
    let mut figures = StockFigures::new();
    for _ in 0..products {
        let product = Uuid::new_v4();
        h.append(
            &streams::product(product),
            &[product_listed(product, Uuid::new_v4(), 25_000)],
        )
        .await;
        let (mut on_hand, mut available) = (1_000, 1_000);
        let mut events = vec![StockEvent::StockReceived {
            quantity: 1_000,
            on_hand,
            available,
        }];
        for step in 0..moves {
            let order_id = Uuid::from_u128(step as u128);
            events.push(match step % 4 {
                0 | 2 => {
                    available -= 1;
                    StockEvent::StockReserved {
                        order_id,
                        quantity: 1,
                        expires_at: at(50),
                        available,
                    }
                }
                1 => {
                    on_hand -= 1;
                    StockEvent::ReservationCommitted {
                        order_id,
                        quantity: 1,
                        on_hand,
                        available,
                    }
                }
                _ => {
                    available += 1;
                    StockEvent::ReservationReleased {
                        order_id,
                        quantity: 1,
                        reason: "expired".into(),
                        available,
                    }
                }
            });
        }
        h.append(&streams::stock(product), &events).await;
        figures.insert(product, (on_hand, available));
    }
    figures
}

/// `(on_hand, available)` of every product row.
pub async fn stock_figures(h: &Harness) -> StockFigures {
    let client = h.pool.get().await.unwrap();
    client
        .query("SELECT id, on_hand, available FROM rm.products", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect()
}
