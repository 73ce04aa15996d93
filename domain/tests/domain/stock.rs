use pasar_domain::stock::{EXPIRED_REASON, Stock, StockCommand, StockError};
use pasar_events::types::StockEvent;
use uuid::Uuid;

use crate::support::{at, given, id};

fn received(quantity: i64, on_hand: i64) -> StockEvent {
    StockEvent::StockReceived {
        quantity,
        on_hand,
        available: on_hand,
    }
}

fn reserved(order_id: Uuid, quantity: i64, expires_at: i64, available: i64) -> StockEvent {
    StockEvent::StockReserved {
        order_id,
        quantity,
        expires_at: at(expires_at),
        available,
    }
}

fn reserve(order_id: Uuid, quantity: i64) -> StockCommand {
    StockCommand::Reserve {
        order_id,
        quantity,
        expires_at: at(30),
    }
}

fn adjust(delta: i64, reason: &str) -> StockCommand {
    StockCommand::Adjust {
        delta,
        reason: reason.into(),
    }
}

#[test]
fn receiving_goods_adds_to_on_hand_and_reports_the_figures() {
    let stock = given::<Stock>([received(5, 5)])
        .when(StockCommand::Receive { quantity: 10 })
        .then([received(10, 15)]);
    assert_eq!((stock.on_hand, stock.available()), (15, 15));
}

#[test]
fn a_receipt_must_be_1_to_a_million_units() {
    for quantity in [0, -3, 1_000_001] {
        given::<Stock>([])
            .when(StockCommand::Receive { quantity })
            .then_rejected(StockError::InvalidQuantity);
    }
    given::<Stock>([])
        .when(StockCommand::Receive {
            quantity: 1_000_000,
        })
        .then([received(1_000_000, 1_000_000)]);
}

#[test]
fn an_adjustment_needs_a_reason_and_a_nonzero_delta() {
    given::<Stock>([received(5, 5)])
        .when(adjust(-1, "  "))
        .then_rejected(StockError::ReasonRequired);
    given::<Stock>([received(5, 5)])
        .when(adjust(0, "recount"))
        .then_rejected(StockError::InvalidQuantity);
    given::<Stock>([received(5, 5)])
        .when(adjust(1_000_001, "recount"))
        .then_rejected(StockError::InvalidQuantity);
}

#[test]
fn an_adjustment_reports_the_new_figures() {
    given::<Stock>([received(10, 10), reserved(id(1), 3, 30, 7)])
        .when(adjust(-2, " damaged "))
        .then([StockEvent::StockAdjusted {
            delta: -2,
            reason: "damaged".into(),
            on_hand: 8,
            available: 5,
        }]);
}

#[test]
fn an_adjustment_cannot_take_on_hand_below_what_is_reserved() {
    given::<Stock>([received(10, 10), reserved(id(1), 8, 30, 2)])
        .when(adjust(-3, "lost"))
        .then_rejected(StockError::AdjustmentBelowReserved {
            on_hand_after: 7,
            reserved: 8,
        });
}

#[test]
fn reserving_holds_units_for_an_order() {
    let stock = given::<Stock>([received(10, 10)])
        .when(reserve(id(1), 4))
        .then([reserved(id(1), 4, 30, 6)]);
    assert_eq!(stock.available(), 6);
    assert_eq!(stock.reservation(id(1)).map(|r| r.quantity), Some(4));
}

#[test]
fn reserving_more_than_available_is_rejected() {
    given::<Stock>([received(10, 10), reserved(id(1), 8, 30, 2)])
        .when(reserve(id(2), 3))
        .then_rejected(StockError::InsufficientStock {
            requested: 3,
            available: 2,
        });
}

#[test]
fn reserving_a_non_positive_quantity_is_rejected() {
    given::<Stock>([received(10, 10)])
        .when(reserve(id(1), 0))
        .then_rejected(StockError::InvalidQuantity);
}

#[test]
fn reserving_again_for_the_same_order_changes_nothing() {
    given::<Stock>([received(10, 10), reserved(id(1), 4, 30, 6)])
        .when(reserve(id(1), 4))
        .then_nothing();
}

#[test]
fn reserving_for_an_order_already_committed_changes_nothing() {
    let committed = StockEvent::ReservationCommitted {
        order_id: id(1),
        quantity: 4,
        on_hand: 6,
        available: 6,
    };
    given::<Stock>([received(10, 10), reserved(id(1), 4, 30, 6), committed])
        .when(reserve(id(1), 4))
        .then_nothing();
}

#[test]
fn releasing_returns_the_units() {
    let stock = given::<Stock>([received(10, 10), reserved(id(1), 4, 30, 6)])
        .when(StockCommand::Release {
            order_id: id(1),
            reason: "order cancelled".into(),
        })
        .then([StockEvent::ReservationReleased {
            order_id: id(1),
            quantity: 4,
            reason: "order cancelled".into(),
            available: 10,
        }]);
    assert_eq!(stock.reservation(id(1)), None);
}

#[test]
fn releasing_without_an_open_reservation_changes_nothing() {
    given::<Stock>([received(10, 10)])
        .when(StockCommand::Release {
            order_id: id(1),
            reason: "order cancelled".into(),
        })
        .then_nothing();
}

#[test]
fn committing_takes_the_units_off_the_books_and_leaves_available_unchanged() {
    let stock = given::<Stock>([received(10, 10), reserved(id(1), 4, 30, 6)])
        .when(StockCommand::Commit { order_id: id(1) })
        .then([StockEvent::ReservationCommitted {
            order_id: id(1),
            quantity: 4,
            on_hand: 6,
            available: 6,
        }]);
    assert!(stock.is_committed(id(1)));
    assert_eq!((stock.on_hand, stock.available()), (6, 6));
}

#[test]
fn committing_without_an_open_reservation_changes_nothing() {
    given::<Stock>([received(10, 10)])
        .when(StockCommand::Commit { order_id: id(1) })
        .then_nothing();
    let committed = StockEvent::ReservationCommitted {
        order_id: id(1),
        quantity: 4,
        on_hand: 6,
        available: 6,
    };
    given::<Stock>([received(10, 10), reserved(id(1), 4, 30, 6), committed])
        .when(StockCommand::Commit { order_id: id(1) })
        .then_nothing();
}

#[test]
fn releasing_expired_reservations_frees_only_those_past_their_expiry() {
    let history = [
        received(10, 10),
        reserved(id(1), 2, 10, 8),
        reserved(id(2), 3, 20, 5),
        reserved(id(3), 1, 40, 4),
    ];
    let released = |order_id, quantity, available| StockEvent::ReservationReleased {
        order_id,
        quantity,
        reason: EXPIRED_REASON.into(),
        available,
    };
    given::<Stock>(history.clone())
        .when(StockCommand::ReleaseExpired { now: at(20) })
        .then([released(id(1), 2, 6), released(id(2), 3, 9)]);
    given::<Stock>(history)
        .when(StockCommand::ReleaseExpired { now: at(5) })
        .then_nothing();
}

#[test]
fn available_never_reads_below_zero_even_for_history_written_under_older_rules() {
    let stock: Stock = pasar_domain::replay([received(2, 2), reserved(id(1), 5, 30, 0)]);
    assert_eq!(stock.available(), 0);
}

/// A history of `orders` one-unit sales: received, reserved, committed, in turn.
fn sales(orders: u128) -> Vec<StockEvent> {
    (1..=orders)
        .flat_map(|n| {
            let order_id = Uuid::from_u128(n);
            [
                received(1, 1),
                reserved(order_id, 1, 30, 0),
                StockEvent::ReservationCommitted {
                    order_id,
                    quantity: 1,
                    on_hand: 0,
                    available: 0,
                },
            ]
        })
        .collect()
}

#[test]
fn a_stock_remembers_only_its_latest_commits_so_its_state_stays_small() {
    use pasar_domain::stock::REMEMBERED_COMMITS;
    let orders = REMEMBERED_COMMITS as u128 + 50;
    let stock: Stock = pasar_domain::replay(sales(orders));
    assert_eq!(stock.committed.len(), REMEMBERED_COMMITS);
    assert!(
        !stock.is_committed(Uuid::from_u128(1)),
        "the oldest is forgotten"
    );
    assert!(
        stock.is_committed(Uuid::from_u128(orders)),
        "the newest is kept"
    );
}

#[test]
fn a_recent_paid_order_reserving_again_changes_nothing() {
    given::<Stock>(sales(3))
        .when(reserve(Uuid::from_u128(3), 1))
        .then_nothing();
}

#[test]
fn a_snapshot_restores_exactly_the_replayed_state() {
    use pasar_domain::Aggregate as _;
    let history = sales(20);
    let (head, tail) = history.split_at(31);
    let replayed: Stock = pasar_domain::replay(&history);
    let snapshot = pasar_domain::replay::<Stock>(head).to_snapshot().unwrap();
    let restored = tail
        .iter()
        .fold(Stock::from_snapshot(&snapshot).unwrap(), |s, e| s.evolve(e));
    assert_eq!(restored, replayed);
}

#[test]
fn a_cancelled_paid_orders_units_come_back_on_hand() {
    use pasar_domain::stock::{Stock, StockCommand};
    use pasar_events::types::StockEvent;
    let history = [
        StockEvent::StockReceived {
            quantity: 5,
            on_hand: 5,
            available: 5,
        },
        StockEvent::StockReserved {
            order_id: crate::support::id(7),
            quantity: 1,
            expires_at: crate::support::at(60),
            available: 4,
        },
        StockEvent::ReservationCommitted {
            order_id: crate::support::id(8),
            quantity: 2,
            on_hand: 3,
            available: 2,
        },
    ];
    let stock = crate::support::given::<Stock>(history)
        .when(StockCommand::Return {
            order_id: crate::support::id(8),
            quantity: 2,
        })
        .then([StockEvent::StockReturned {
            order_id: crate::support::id(8),
            quantity: 2,
            on_hand: 5,
            available: 4,
        }]);
    assert_eq!((stock.on_hand, stock.available()), (5, 4));
    crate::support::given::<Stock>([])
        .when(StockCommand::Return {
            order_id: crate::support::id(8),
            quantity: 0,
        })
        .then_rejected(pasar_domain::stock::StockError::InvalidQuantity);
}
