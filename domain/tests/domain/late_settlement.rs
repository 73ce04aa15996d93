//! A settlement that arrives after its orders closed: the order comes back when its stock
//! could be reserved again, and otherwise the payment's money goes back (refunded through
//! Midtrans, or owed by the shop when the method cannot be refunded).

use pasar_domain::order::{Order, OrderCommand, OrderError};
use pasar_domain::payment::{Payment, PaymentCommand, PaymentError, RefundState};
use pasar_events::types::{Money, OrderEvent, OrderStatus, PaymentEvent};

use crate::order::placed;
use crate::payment::{GROSS, initiated};
use crate::support::{at, given, id};

fn revive() -> OrderCommand {
    OrderCommand::Revive {
        payment_id: id(3),
        now: at(70),
    }
}

fn revived() -> OrderEvent {
    OrderEvent::OrderRevived {
        payment_id: id(3),
        revived_at: at(70),
    }
}

#[test]
fn an_expired_order_whose_payment_settled_late_is_revived_and_can_then_be_paid() {
    let order = given::<Order>([placed(), OrderEvent::OrderExpired { expired_at: at(61) }])
        .when(revive())
        .then([revived()]);

    assert_eq!(order.status, Some(OrderStatus::AwaitingPayment));
    given::<Order>([
        placed(),
        OrderEvent::OrderExpired { expired_at: at(61) },
        revived(),
    ])
    .when(OrderCommand::MarkPaid {
        payment_id: id(3),
        now: at(71),
    })
    .then([OrderEvent::OrderPaid {
        payment_id: id(3),
        paid_at: at(71),
    }]);
}

#[test]
fn a_cancelled_order_is_revived_too_and_a_repeat_changes_nothing() {
    let cancelled = OrderEvent::OrderCancelled {
        reason: "payment did not complete".into(),
        cancelled_at: at(5),
    };
    given::<Order>([placed(), cancelled.clone()])
        .when(revive())
        .then([revived()]);
    given::<Order>([placed(), cancelled, revived()])
        .when(revive())
        .then_nothing();
}

#[test]
fn only_the_orders_own_payment_can_revive_it() {
    given::<Order>([placed(), OrderEvent::OrderExpired { expired_at: at(61) }])
        .when(OrderCommand::Revive {
            payment_id: id(99),
            now: at(70),
        })
        .then_rejected(OrderError::OtherPayment);
}

fn settled_history() -> Vec<PaymentEvent> {
    vec![
        initiated(),
        PaymentEvent::PaymentSettled {
            transaction_id: "tx-1".into(),
            amount: Money::idr(GROSS),
            payment_type: Some("bank_transfer".into()),
            settled_at: at(10),
        },
    ]
}

fn require() -> PaymentCommand {
    PaymentCommand::RequireRefund {
        reason: "stock gone".into(),
        now: at(20),
    }
}

fn required() -> PaymentEvent {
    PaymentEvent::PaymentRefundRequired {
        amount: Money::idr(GROSS),
        reason: "stock gone".into(),
        required_at: at(20),
    }
}

#[test]
fn a_settled_payment_whose_orders_cannot_come_back_requires_a_refund_of_its_gross_amount() {
    let payment = given::<Payment>(settled_history())
        .when(require())
        .then([required()]);

    assert_eq!(payment.refund, Some(RefundState::Required));
    let mut again = settled_history();
    again.push(required());
    given::<Payment>(again).when(require()).then_nothing();
}

#[test]
fn a_refund_of_an_unsettled_payment_is_rejected() {
    given::<Payment>([initiated()])
        .when(require())
        .then_rejected(PaymentError::NotSettled);
}

#[test]
fn a_required_refund_ends_refunded_through_midtrans_once() {
    let mut history = settled_history();
    history.push(required());
    let refund = PaymentCommand::RecordRefund {
        refund_key: "p-late".into(),
        refund_amount: "150000.00".into(),
        now: at(21),
    };
    let refunded = PaymentEvent::PaymentRefunded {
        refund_key: "p-late".into(),
        refund_amount: "150000.00".into(),
        refunded_at: at(21),
    };

    let payment = given::<Payment>(history.clone())
        .when(refund.clone())
        .then([refunded.clone()]);

    assert_eq!(payment.refund, Some(RefundState::Refunded));
    history.push(refunded);
    given::<Payment>(history).when(refund).then_nothing();
}

#[test]
fn a_refund_midtrans_cannot_make_is_owed_and_needs_a_required_refund_first() {
    let mut history = settled_history();
    history.push(required());
    let owe = PaymentCommand::OweRefund {
        reason: "bank_transfer".into(),
        now: at(21),
    };

    let payment =
        given::<Payment>(history)
            .when(owe.clone())
            .then([PaymentEvent::PaymentRefundOwed {
                amount: Money::idr(GROSS),
                reason: "bank_transfer".into(),
                owed_at: at(21),
            }]);

    assert_eq!(payment.refund, Some(RefundState::Owed));
    given::<Payment>(settled_history())
        .when(owe)
        .then_rejected(PaymentError::NoRefundRequired);
}
