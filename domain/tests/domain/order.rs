use pasar_domain::order::{Order, OrderCommand, OrderError, RefundResult};
use pasar_events::types::{Money, OrderEvent, OrderLine, OrderStatus, ShippingAddress};
use uuid::Uuid;

use crate::support::{at, given, id};

pub fn line(product_id: Uuid, unit_price: i64, quantity: i64) -> OrderLine {
    OrderLine {
        product_id,
        sku: "SKU".into(),
        name: "Kopi Gayo".into(),
        unit_price: Money::idr(unit_price),
        quantity,
        line_total: Money::idr(unit_price * quantity),
    }
}

pub fn place(lines: Vec<OrderLine>, shipping_cost: i64) -> OrderCommand {
    OrderCommand::Place {
        order_id: id(1),
        checkout_id: id(2),
        payment_id: id(3),
        buyer_id: id(4),
        seller_id: id(5),
        lines,
        shipping_cost: Money::idr(shipping_cost),
        shipping_address: ShippingAddress::default(),
        now: at(0),
        expires_at: at(60),
    }
}

/// Two lines worth 70 000 plus 10 000 shipping.
pub fn placed() -> OrderEvent {
    OrderEvent::OrderPlaced {
        order_id: id(1),
        checkout_id: id(2),
        payment_id: id(3),
        buyer_id: id(4),
        seller_id: id(5),
        lines: vec![line(id(10), 25_000, 2), line(id(11), 20_000, 1)],
        subtotal: Money::idr(70_000),
        shipping_cost: Money::idr(10_000),
        total: Money::idr(80_000),
        shipping_address: ShippingAddress::default(),
        placed_at: at(0),
        expires_at: at(60),
    }
}

fn paid() -> OrderEvent {
    OrderEvent::OrderPaid {
        payment_id: id(3),
        paid_at: at(5),
    }
}
fn shipped() -> OrderEvent {
    OrderEvent::OrderShipped {
        courier: "jne".into(),
        tracking_number: "JNE1".into(),
        shipped_at: at(6),
    }
}
fn delivered() -> OrderEvent {
    OrderEvent::OrderDelivered {
        delivered_at: at(7),
    }
}
fn cancelled() -> OrderEvent {
    OrderEvent::OrderCancelled {
        reason: "payment failed".into(),
        cancelled_at: at(5),
    }
}
fn expired() -> OrderEvent {
    OrderEvent::OrderExpired { expired_at: at(61) }
}
/// A whole refund as v1 recorded it (one step, no request).
fn refunded() -> OrderEvent {
    OrderEvent::OrderRefunded {
        refund_id: None,
        amount: Money::idr(80_000),
        reason: "damaged".into(),
        refunded_at: at(9),
    }
}

fn mark_paid() -> OrderCommand {
    OrderCommand::MarkPaid {
        payment_id: id(3),
        now: at(5),
    }
}
fn ship() -> OrderCommand {
    OrderCommand::Ship {
        courier: "jne".into(),
        tracking_number: "JNE1".into(),
        now: at(6),
    }
}
fn refund(amount: i64) -> OrderCommand {
    refund_as(20, amount)
}

fn refund_as(n: u128, amount: i64) -> OrderCommand {
    OrderCommand::RequestRefund {
        refund_id: id(n),
        amount: Money::idr(amount),
        reason: "damaged".into(),
        now: at(9),
    }
}

fn requested(n: u128, amount: i64) -> OrderEvent {
    OrderEvent::OrderRefundRequested {
        refund_id: id(n),
        amount: Money::idr(amount),
        reason: "damaged".into(),
        requested_at: at(9),
    }
}

fn settle(n: u128, result: RefundResult) -> OrderCommand {
    OrderCommand::SettleRefund {
        refund_id: id(n),
        result,
        now: at(10),
    }
}
fn cancel() -> OrderCommand {
    OrderCommand::Cancel {
        reason: "payment failed".into(),
        now: at(5),
    }
}

fn invalid(from: OrderStatus, to: OrderStatus) -> OrderError {
    OrderError::InvalidTransition { from, to }
}

#[test]
fn placing_an_order_adds_up_subtotal_and_total() {
    let lines = vec![line(id(10), 25_000, 2), line(id(11), 20_000, 1)];
    let order = given::<Order>([])
        .when(place(lines, 10_000))
        .then([placed()]);
    assert_eq!(order.status, Some(OrderStatus::AwaitingPayment));
    assert_eq!(order.total, Money::idr(80_000));
}

#[test]
fn placing_an_order_twice_is_rejected() {
    given::<Order>([placed()])
        .when(place(vec![line(id(10), 1, 1)], 0))
        .then_rejected(OrderError::AlreadyPlaced);
}

#[test]
fn placing_an_order_without_lines_is_rejected() {
    given::<Order>([])
        .when(place(vec![], 10_000))
        .then_rejected(OrderError::NoLines);
}

#[test]
fn placing_an_order_with_a_malformed_line_or_shipping_cost_is_rejected() {
    let wrong_total = OrderLine {
        line_total: Money::idr(1),
        ..line(id(10), 25_000, 2)
    };
    let zero_quantity = line(id(10), 25_000, 0);
    let negative_price = line(id(10), -5, 1);
    for bad in [wrong_total, zero_quantity, negative_price] {
        given::<Order>([])
            .when(place(vec![bad], 0))
            .then_rejected(OrderError::InvalidLine);
    }
    given::<Order>([])
        .when(place(vec![line(id(10), 1, 1)], -1))
        .then_rejected(OrderError::InvalidLine);
}

#[test]
fn an_order_whose_total_overflows_is_rejected() {
    let huge = OrderLine {
        line_total: Money::idr(i64::MAX),
        ..line(id(10), i64::MAX, 1)
    };
    given::<Order>([])
        .when(place(vec![huge.clone(), huge], 0))
        .then_rejected(OrderError::MoneyOverflow);
    let unmultipliable = OrderLine {
        line_total: Money::idr(0),
        ..line(id(10), i64::MAX, 1)
    };
    let unmultipliable = OrderLine {
        quantity: 2,
        ..unmultipliable
    };
    given::<Order>([])
        .when(place(vec![unmultipliable], 0))
        .then_rejected(OrderError::MoneyOverflow);
}

#[test]
fn commands_on_an_order_never_placed_are_rejected() {
    for command in [
        mark_paid(),
        cancel(),
        ship(),
        refund(1),
        OrderCommand::Expire { now: at(99) },
    ] {
        given::<Order>([])
            .when(command)
            .then_rejected(OrderError::NotPlaced);
    }
}

#[test]
fn an_order_goes_from_paid_through_shipped_and_delivered_to_completed() {
    given::<Order>([placed()]).when(mark_paid()).then([paid()]);
    let order = given::<Order>([placed(), paid()])
        .when(ship())
        .then([shipped()]);
    assert_eq!(order.tracking_number.as_deref(), Some("JNE1"));
    given::<Order>([placed(), paid(), shipped()])
        .when(OrderCommand::Deliver { now: at(7) })
        .then([delivered()]);
    let order = given::<Order>([placed(), paid(), shipped(), delivered()])
        .when(OrderCommand::Complete { now: at(8) })
        .then([OrderEvent::OrderCompleted {
            completed_at: at(8),
        }]);
    assert_eq!(order.status, Some(OrderStatus::Completed));
}

#[test]
fn no_step_of_the_delivery_path_can_be_skipped_or_repeated() {
    use OrderStatus::*;
    given::<Order>([placed()])
        .when(ship())
        .then_rejected(invalid(AwaitingPayment, Shipped));
    given::<Order>([placed(), paid()])
        .when(OrderCommand::Deliver { now: at(7) })
        .then_rejected(invalid(Paid, Delivered));
    given::<Order>([placed(), paid(), shipped()])
        .when(OrderCommand::Complete { now: at(8) })
        .then_rejected(invalid(Shipped, Completed));
    given::<Order>([placed(), paid(), shipped()])
        .when(ship())
        .then_rejected(invalid(Shipped, Shipped));
}

#[test]
fn marking_an_order_paid_again_changes_nothing() {
    given::<Order>([placed(), paid()])
        .when(mark_paid())
        .then_nothing();
    given::<Order>([placed(), paid(), shipped()])
        .when(mark_paid())
        .then_nothing();
    given::<Order>([placed(), paid(), refunded()])
        .when(mark_paid())
        .then_nothing();
}

#[test]
fn a_cancelled_or_expired_order_cannot_be_paid() {
    use OrderStatus::*;
    given::<Order>([placed(), cancelled()])
        .when(mark_paid())
        .then_rejected(invalid(Cancelled, Paid));
    given::<Order>([placed(), expired()])
        .when(mark_paid())
        .then_rejected(invalid(Expired, Paid));
}

#[test]
fn an_unpaid_order_can_be_cancelled_once() {
    given::<Order>([placed()])
        .when(cancel())
        .then([cancelled()]);
    given::<Order>([placed(), cancelled()])
        .when(cancel())
        .then_nothing();
    given::<Order>([placed(), paid()])
        .when(cancel())
        .then_rejected(invalid(OrderStatus::Paid, OrderStatus::Cancelled));
}

#[test]
fn an_unpaid_order_expires_only_once_its_expiry_has_passed() {
    given::<Order>([placed()])
        .when(OrderCommand::Expire { now: at(59) })
        .then_rejected(OrderError::NotYetExpired);
    given::<Order>([placed()])
        .when(OrderCommand::Expire { now: at(61) })
        .then([expired()]);
    given::<Order>([placed(), expired()])
        .when(OrderCommand::Expire { now: at(62) })
        .then_nothing();
    given::<Order>([placed(), paid()])
        .when(OrderCommand::Expire { now: at(61) })
        .then_rejected(invalid(OrderStatus::Paid, OrderStatus::Expired));
}

#[test]
fn a_paid_order_is_refunded_in_two_steps_up_to_its_total() {
    let asked = given::<Order>([placed(), paid()])
        .when(refund(80_000))
        .then([requested(20, 80_000)]);
    assert_eq!(asked.refundable(), 0);
    assert_eq!(asked.status, Some(OrderStatus::Paid));
    let order = given::<Order>([placed(), paid(), requested(20, 80_000)])
        .when(settle(20, RefundResult::Refunded))
        .then([OrderEvent::OrderRefunded {
            refund_id: Some(id(20)),
            amount: Money::idr(80_000),
            reason: "damaged".into(),
            refunded_at: at(10),
        }]);
    assert_eq!(order.refunded_amount, Money::idr(80_000));
    assert_eq!(order.status, Some(OrderStatus::Refunded));
}

#[test]
fn a_partial_refund_keeps_the_order_where_it_was() {
    let completed = OrderEvent::OrderCompleted {
        completed_at: at(8),
    };
    let history = [
        placed(),
        paid(),
        shipped(),
        delivered(),
        completed,
        requested(20, 5_000),
    ];
    let order = given::<Order>(history)
        .when(settle(20, RefundResult::Refunded))
        .then([OrderEvent::OrderRefunded {
            refund_id: Some(id(20)),
            amount: Money::idr(5_000),
            reason: "damaged".into(),
            refunded_at: at(10),
        }]);
    assert_eq!(order.status, Some(OrderStatus::Completed));
    assert_eq!(order.refundable(), 75_000);
}

#[test]
fn refunds_asked_for_together_never_exceed_what_was_paid() {
    given::<Order>([placed(), paid(), requested(20, 50_000)])
        .when(refund_as(21, 30_001))
        .then_rejected(OrderError::RefundExceedsTotal);
    given::<Order>([placed(), paid(), requested(20, 50_000)])
        .when(refund_as(21, 30_000))
        .then([requested(21, 30_000)]);
}

#[test]
fn a_refund_repeated_or_settled_twice_changes_nothing() {
    given::<Order>([placed(), paid(), requested(20, 5_000)])
        .when(refund(5_000))
        .then([]);
    let settled = OrderEvent::OrderRefunded {
        refund_id: Some(id(20)),
        amount: Money::idr(5_000),
        reason: "damaged".into(),
        refunded_at: at(10),
    };
    given::<Order>([placed(), paid(), requested(20, 5_000), settled])
        .when(settle(20, RefundResult::Refunded))
        .then([]);
}

#[test]
fn a_refund_midtrans_cannot_make_is_owed_and_still_counts() {
    let order = given::<Order>([placed(), paid(), requested(20, 80_000)])
        .when(settle(
            20,
            RefundResult::Owed {
                reason: "bank transfer".into(),
            },
        ))
        .then([OrderEvent::OrderRefundOwed {
            refund_id: id(20),
            amount: Money::idr(80_000),
            reason: "bank transfer".into(),
            owed_at: at(10),
        }]);
    assert_eq!(order.owed_amount, Money::idr(80_000));
    assert_eq!(order.status, Some(OrderStatus::Paid));
    assert_eq!(order.refundable(), 0);
}

#[test]
fn a_paid_unshipped_order_cancelled_by_its_seller_asks_for_everything_back() {
    let cancel_paid = OrderCommand::CancelPaid {
        refund_id: id(20),
        reason: "out of stock".into(),
        now: at(6),
    };
    let order = given::<Order>([placed(), paid()])
        .when(cancel_paid.clone())
        .then([
            OrderEvent::OrderCancelled {
                reason: "out of stock".into(),
                cancelled_at: at(6),
            },
            OrderEvent::OrderRefundRequested {
                refund_id: id(20),
                amount: Money::idr(80_000),
                reason: "out of stock".into(),
                requested_at: at(6),
            },
        ]);
    assert_eq!(order.status, Some(OrderStatus::Cancelled));
    given::<Order>([placed(), paid(), shipped()])
        .when(cancel_paid)
        .then_rejected(invalid(OrderStatus::Shipped, OrderStatus::Cancelled));
}

#[test]
fn a_refund_above_the_total_or_not_positive_is_rejected() {
    given::<Order>([placed(), paid()])
        .when(refund(80_001))
        .then_rejected(OrderError::RefundExceedsTotal);
    given::<Order>([placed(), paid()])
        .when(refund(0))
        .then_rejected(OrderError::InvalidRefundAmount);
}

#[test]
fn an_unpaid_or_already_refunded_order_cannot_be_refunded() {
    use OrderStatus::*;
    given::<Order>([placed()])
        .when(refund(1))
        .then_rejected(invalid(AwaitingPayment, Refunded));
    given::<Order>([placed(), cancelled()])
        .when(refund(1))
        .then_rejected(invalid(Cancelled, Refunded));
    given::<Order>([placed(), paid(), refunded()])
        .when(refund(1))
        .then_rejected(invalid(Refunded, Refunded));
}

#[test]
fn nothing_leaves_a_cancelled_expired_or_refunded_order() {
    use OrderStatus::*;
    let finals = [
        (cancelled(), Cancelled),
        (expired(), Expired),
        (refunded(), Refunded),
    ];
    for (last, status) in finals {
        let history = || -> Vec<OrderEvent> {
            if status == Refunded {
                vec![placed(), paid(), last.clone()]
            } else {
                vec![placed(), last.clone()]
            }
        };
        given::<Order>(history())
            .when(ship())
            .then_rejected(invalid(status, Shipped));
        given::<Order>(history())
            .when(OrderCommand::Deliver { now: at(7) })
            .then_rejected(invalid(status, Delivered));
        given::<Order>(history())
            .when(OrderCommand::Complete { now: at(8) })
            .then_rejected(invalid(status, Completed));
    }
}
