//! Invariants that must hold for every sequence of commands, not just the scenarios we
//! thought of. Each test folds random commands through `decide` then `evolve`, skipping
//! the rejected ones, as the command side does.

use pasar_domain::Aggregate;
use pasar_domain::order::{Order, OrderCommand, RefundResult};
use pasar_domain::payment::{
    Notification, Payment, PaymentCommand, PaymentStatus, parse_gross_amount,
};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::types::{Money, OrderStatus, PaymentEvent, StockEvent};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::order::{line, place};
use crate::payment::{GROSS, initiated};
use crate::support::{at, id};

/// Applies a command if accepted; returns the events it produced (none when rejected).
fn apply<A: Aggregate>(state: A, command: &A::Command) -> (A, Vec<A::Event>) {
    match state.decide(command) {
        Ok(events) => (events.iter().fold(state, |s, e| s.evolve(e)), events),
        Err(_) => (state, vec![]),
    }
}

fn stock_command() -> impl Strategy<Value = StockCommand> {
    let order = (0u128..5).prop_map(id);
    prop_oneof![
        (-5i64..50).prop_map(|quantity| StockCommand::Receive { quantity }),
        (-60i64..60, select(vec!["", "recount"])).prop_map(|(delta, reason)| {
            StockCommand::Adjust {
                delta,
                reason: reason.into(),
            }
        }),
        (order.clone(), -2i64..40, 0i64..100).prop_map(|(order_id, quantity, expires)| {
            StockCommand::Reserve {
                order_id,
                quantity,
                expires_at: at(expires),
            }
        }),
        order.clone().prop_map(|order_id| StockCommand::Release {
            order_id,
            reason: "cancelled".into()
        }),
        (order.clone(), -2i64..40)
            .prop_map(|(order_id, quantity)| StockCommand::Return { order_id, quantity }),
        order.prop_map(|order_id| StockCommand::Commit { order_id }),
        (0i64..100).prop_map(|now| StockCommand::ReleaseExpired { now: at(now) }),
    ]
}

fn available_carried_by(event: &StockEvent) -> i64 {
    match event {
        StockEvent::StockReceived { available, .. }
        | StockEvent::StockAdjusted { available, .. }
        | StockEvent::StockReserved { available, .. }
        | StockEvent::ReservationReleased { available, .. }
        | StockEvent::ReservationCommitted { available, .. }
        | StockEvent::StockReturned { available, .. } => *available,
    }
}

fn order_command() -> impl Strategy<Value = OrderCommand> {
    prop_oneof![
        Just(place(vec![line(id(10), 25_000, 2)], 10_000)),
        Just(OrderCommand::MarkPaid {
            payment_id: id(3),
            now: at(5)
        }),
        Just(OrderCommand::Cancel {
            reason: "changed mind".into(),
            now: at(5)
        }),
        (0i64..120).prop_map(|now| OrderCommand::Expire { now: at(now) }),
        Just(OrderCommand::Ship {
            courier: "jne".into(),
            tracking_number: "T".into(),
            now: at(6)
        }),
        Just(OrderCommand::Deliver { now: at(7) }),
        Just(OrderCommand::Complete { now: at(8) }),
        ((20u128..24), -10i64..100_000).prop_map(|(n, amount)| OrderCommand::RequestRefund {
            refund_id: id(n),
            amount: Money::idr(amount),
            reason: "damaged".into(),
            now: at(9),
        }),
        ((20u128..25), any::<bool>()).prop_map(|(n, refunded)| OrderCommand::SettleRefund {
            refund_id: id(n),
            result: if refunded {
                RefundResult::Refunded
            } else {
                RefundResult::Owed {
                    reason: "bank transfer".into(),
                }
            },
            now: at(10),
        }),
        Just(OrderCommand::CancelPaid {
            refund_id: id(24),
            reason: "out of stock".into(),
            now: at(6),
        }),
    ]
}

/// Position along the delivery path; the side branches are final and rank above all.
fn rank(status: Option<OrderStatus>) -> u8 {
    use OrderStatus::*;
    match status {
        None => 0,
        Some(AwaitingPayment) => 1,
        Some(Paid) => 2,
        Some(Shipped) => 3,
        Some(Delivered) => 4,
        Some(Completed) => 5,
        Some(Cancelled | Expired | Refunded) => 6,
    }
}

/// Every single step an order may take.
fn is_one_legal_step(from: Option<OrderStatus>, to: Option<OrderStatus>) -> bool {
    use OrderStatus::*;
    matches!(
        (from, to),
        (None, Some(AwaitingPayment))
            | (Some(AwaitingPayment), Some(Paid | Cancelled | Expired))
            | (Some(Paid), Some(Shipped | Refunded | Cancelled))
            | (Some(Cancelled), Some(Refunded))
            | (Some(Shipped), Some(Delivered | Refunded))
            | (Some(Delivered), Some(Completed | Refunded))
            | (Some(Completed), Some(Refunded))
    )
}

fn settles(events: &[PaymentEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, PaymentEvent::PaymentSettled { .. }))
}

fn notification_with(amount: impl Strategy<Value = String>) -> impl Strategy<Value = Notification> {
    let status = select(vec![
        "settlement",
        "SETTLEMENT",
        "capture",
        "pending",
        "Pending",
        "deny",
        "cancel",
        "expire",
        "failure",
        "refund",
        "partial_refund",
        "chargeback",
        "authorize",
    ]);
    let fraud = select(vec![
        None,
        Some("accept"),
        Some("ACCEPT"),
        Some("challenge"),
        Some("deny"),
    ]);
    let code = select(vec!["200", "201", "202", "407"]);
    (status, fraud, code, amount).prop_map(|(status, fraud, code, gross_amount)| Notification {
        transaction_id: "tx-1".into(),
        transaction_status: status.into(),
        fraud_status: fraud.map(Into::into),
        status_code: code.into(),
        gross_amount,
        payment_type: Some("qris".into()),
        refund_amount: None,
        refund_confirmed_at: None,
        now: at(10),
    })
}

fn any_amount() -> impl Strategy<Value = String> {
    select(vec![
        "150000.00",
        "150000",
        "149999.00",
        "150000.01",
        "abc",
        "",
    ])
    .prop_map(String::from)
}

/// Amount strings that do not denote exactly [`GROSS`]: other integers, near misses, junk.
fn wrong_amount() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>()
            .prop_filter("not the total", |n| *n != GROSS)
            .prop_map(|n| format!("{n}")),
        (0i64..1_000_000)
            .prop_filter("not the total", |n| *n != GROSS)
            .prop_map(|n| format!("{n}.00")),
        (1u8..100).prop_map(|cents| format!("{GROSS}.{cents:02}")),
        "[0-9.,e+ -]{0,12}",
        any::<String>(),
    ]
    .prop_filter("must not parse to the total", |s| {
        parse_gross_amount(s) != Some(GROSS)
    })
}

proptest! {
    #[test]
    fn stock_available_never_drops_below_zero(commands in vec(stock_command(), 0..60)) {
        let mut stock = Stock::default();
        for command in &commands {
            let Ok(events) = stock.decide(command) else { continue };
            for event in &events {
                stock = stock.evolve(event);
                prop_assert!(stock.on_hand >= stock.reserved(), "on hand {} below reserved {}", stock.on_hand, stock.reserved());
                prop_assert_eq!(available_carried_by(event), stock.available());
            }
        }
    }

    #[test]
    fn an_order_never_moves_backwards_or_leaves_a_final_state(commands in vec(order_command(), 0..30)) {
        let mut order = Order::default();
        for command in &commands {
            let before = order.status;
            let (after, _) = apply(order, command);
            if after.status != before {
                prop_assert!(is_one_legal_step(before, after.status), "{before:?} -> {:?}", after.status);
            }
            prop_assert!(rank(after.status) >= rank(before));
            if matches!(before, Some(OrderStatus::Expired | OrderStatus::Refunded)) {
                prop_assert_eq!(after.status, before);
            }
            if before == Some(OrderStatus::Cancelled) {
                prop_assert!(matches!(after.status, Some(OrderStatus::Cancelled | OrderStatus::Refunded)));
            }
            order = after;
        }
    }

    #[test]
    fn money_in_equals_money_out_never_more(commands in vec(order_command(), 0..40)) {
        let mut order = Order::default();
        for command in &commands {
            let (after, _) = apply(order, command);
            let pending: i64 = after.pending_refunds.iter().map(|r| r.amount.amount).sum();
            prop_assert!(after.refunded_amount.amount >= 0 && after.owed_amount.amount >= 0 && pending >= 0);
            prop_assert!(
                after.refunded_amount.amount + after.owed_amount.amount + pending <= after.total.amount,
                "refunded {} + owed {} + pending {} > total {}",
                after.refunded_amount.amount, after.owed_amount.amount, pending, after.total.amount
            );
            if after.status == Some(OrderStatus::Refunded) {
                prop_assert_eq!(after.refunded_amount.amount, after.total.amount);
            }
            order = after;
        }
    }

    #[test]
    fn a_settled_payment_never_regresses(notifications in vec(notification_with(any_amount()), 0..25)) {
        let mut payment: Payment = pasar_domain::replay([initiated()]);
        for n in &notifications {
            let before = payment.status;
            let (after, events) = apply(payment, &PaymentCommand::RecordNotification(n.clone()));
            let is_deny = n.transaction_status.eq_ignore_ascii_case("deny");
            match before {
                PaymentStatus::Settled if is_deny => prop_assert_eq!(after.status, PaymentStatus::Reversed),
                PaymentStatus::Settled | PaymentStatus::Reversed => prop_assert_eq!(after.status, before),
                _ => {}
            }
            if settles(&events) {
                prop_assert_eq!(parse_gross_amount(&n.gross_amount), Some(GROSS));
            }
            payment = after;
        }
    }

    #[test]
    fn a_notification_for_another_amount_never_settles(
        earlier in vec(notification_with(wrong_amount()), 0..10),
        last in notification_with(wrong_amount()),
    ) {
        let mut payment: Payment = pasar_domain::replay([initiated()]);
        for n in earlier.iter().chain([&last]) {
            let (after, events) = apply(payment, &PaymentCommand::RecordNotification(n.clone()));
            prop_assert!(!settles(&events));
            prop_assert_ne!(after.status, PaymentStatus::Settled);
            payment = after;
        }
    }
}
