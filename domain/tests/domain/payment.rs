use pasar_domain::payment::{
    Notification, Payment, PaymentCommand, PaymentError, PaymentStatus, parse_gross_amount,
};
use pasar_events::types::{Money, PaymentEvent, PaymentFailure};

use crate::support::{at, given, id};

pub const GROSS: i64 = 150_000;

pub fn initiated() -> PaymentEvent {
    PaymentEvent::PaymentInitiated {
        payment_id: id(1),
        checkout_id: id(2),
        buyer_id: id(3),
        order_ids: vec![id(4), id(5)],
        gross_amount: Money::idr(GROSS),
        snap_token: "snap".into(),
        redirect_url: "https://app.sandbox.midtrans.com/snap/v4/redirection/snap".into(),
        initiated_at: at(0),
    }
}

/// A notification as Midtrans sends it for a settled bank transfer of the full amount.
pub fn notification(transaction_status: &str) -> Notification {
    Notification {
        transaction_id: "tx-1".into(),
        transaction_status: transaction_status.into(),
        fraud_status: Some("accept".into()),
        status_code: "200".into(),
        gross_amount: "150000.00".into(),
        payment_type: Some("bank_transfer".into()),
        refund_amount: None,
        refund_confirmed_at: None,
        now: at(10),
    }
}

fn received(n: &Notification) -> PaymentEvent {
    PaymentEvent::PaymentNotificationReceived {
        transaction_id: n.transaction_id.clone(),
        transaction_status: n.transaction_status.clone(),
        fraud_status: n.fraud_status.clone(),
        status_code: n.status_code.clone(),
        gross_amount: n.gross_amount.clone(),
        payment_type: n.payment_type.clone(),
        received_at: n.now,
        refund_amount: n.refund_amount.clone(),
        refund_confirmed_at: n.refund_confirmed_at.clone(),
    }
}

fn settled() -> PaymentEvent {
    PaymentEvent::PaymentSettled {
        transaction_id: "tx-1".into(),
        amount: Money::idr(GROSS),
        payment_type: Some("bank_transfer".into()),
        settled_at: at(10),
    }
}

fn pending() -> PaymentEvent {
    PaymentEvent::PaymentPending {
        transaction_id: "tx-1".into(),
        payment_type: Some("bank_transfer".into()),
    }
}

fn failed(failure: PaymentFailure) -> PaymentEvent {
    PaymentEvent::PaymentFailed {
        transaction_id: Some("tx-1".into()),
        failure,
    }
}

fn record(n: &Notification) -> PaymentCommand {
    PaymentCommand::RecordNotification(n.clone())
}

/// Only the audit record, no state change.
#[track_caller]
fn changes_nothing_but_the_record(history: Vec<PaymentEvent>, n: Notification) {
    given::<Payment>(history)
        .when(record(&n))
        .then([received(&n)]);
}

#[test]
fn initiating_a_payment_records_it_once() {
    let command = || PaymentCommand::Initiate {
        payment_id: id(1),
        checkout_id: id(2),
        buyer_id: id(3),
        order_ids: vec![id(4), id(5)],
        gross_amount: Money::idr(GROSS),
        snap_token: "snap".into(),
        redirect_url: "https://app.sandbox.midtrans.com/snap/v4/redirection/snap".into(),
        now: at(0),
    };
    let payment = given::<Payment>([]).when(command()).then([initiated()]);
    assert_eq!(payment.status, PaymentStatus::Initiated);
    given::<Payment>([initiated()])
        .when(command())
        .then_rejected(PaymentError::AlreadyInitiated);
}

#[test]
fn a_notification_for_a_payment_never_initiated_is_rejected() {
    given::<Payment>([])
        .when(record(&notification("settlement")))
        .then_rejected(PaymentError::NotInitiated);
}

#[test]
fn a_settlement_of_the_full_amount_settles_the_payment() {
    let n = notification("settlement");
    let payment = given::<Payment>([initiated()])
        .when(record(&n))
        .then([received(&n), settled()]);
    assert_eq!(payment.status, PaymentStatus::Settled);
    assert_eq!(payment.transaction_id.as_deref(), Some("tx-1"));
}

#[test]
fn an_accepted_or_unscreened_capture_settles_the_payment() {
    for fraud_status in [Some("accept"), Some("ACCEPT"), None] {
        let n = Notification {
            fraud_status: fraud_status.map(Into::into),
            ..notification("capture")
        };
        given::<Payment>([initiated(), pending()])
            .when(record(&n))
            .then([received(&n), settled()]);
    }
}

#[test]
fn statuses_are_compared_without_regard_to_case_and_whole_amounts_need_no_fraction() {
    let n = Notification {
        gross_amount: "150000".into(),
        ..notification("Settlement")
    };
    given::<Payment>([initiated()])
        .when(record(&n))
        .then([received(&n), settled()]);
}

#[test]
fn a_success_for_a_different_amount_never_settles() {
    for amount in [
        "149999.00",
        "150000.50",
        "150001",
        "1.5e5",
        "",
        " 150000",
        "150,000",
    ] {
        let n = Notification {
            gross_amount: amount.into(),
            ..notification("settlement")
        };
        let mismatch = PaymentEvent::PaymentAmountMismatched {
            transaction_id: "tx-1".into(),
            expected: Money::idr(GROSS),
            received: amount.into(),
        };
        let payment = given::<Payment>([initiated()])
            .when(record(&n))
            .then([received(&n), mismatch]);
        assert_eq!(payment.status, PaymentStatus::Initiated, "{amount}");
    }
}

#[test]
fn a_success_without_status_code_200_changes_nothing() {
    changes_nothing_but_the_record(
        vec![initiated()],
        Notification {
            status_code: "201".into(),
            ..notification("settlement")
        },
    );
}

#[test]
fn a_repeated_success_changes_nothing() {
    changes_nothing_but_the_record(vec![initiated(), settled()], notification("settlement"));
    changes_nothing_but_the_record(vec![initiated(), settled()], notification("capture"));
}

#[test]
fn pending_is_recorded_only_after_initiation() {
    let n = Notification {
        status_code: "201".into(),
        fraud_status: None,
        ..notification("pending")
    };
    given::<Payment>([initiated()])
        .when(record(&n))
        .then([received(&n), pending()]);
    changes_nothing_but_the_record(vec![initiated(), pending()], n.clone());
    changes_nothing_but_the_record(vec![initiated(), settled()], n.clone());
    changes_nothing_but_the_record(vec![initiated(), failed(PaymentFailure::Expired)], n);
}

#[test]
fn deny_cancel_expire_and_failure_fail_an_open_payment() {
    let cases = [
        ("deny", PaymentFailure::Denied),
        ("cancel", PaymentFailure::Cancelled),
        ("EXPIRE", PaymentFailure::Expired),
        ("failure", PaymentFailure::Failed),
    ];
    for (status, failure) in cases {
        let n = notification(status);
        let payment = given::<Payment>([initiated(), pending()])
            .when(record(&n))
            .then([received(&n), failed(failure)]);
        assert_eq!(payment.status, PaymentStatus::Failed(failure));
    }
}

#[test]
fn a_capture_denied_by_fraud_screening_fails_the_payment() {
    let n = Notification {
        fraud_status: Some("deny".into()),
        ..notification("capture")
    };
    given::<Payment>([initiated()])
        .when(record(&n))
        .then([received(&n), failed(PaymentFailure::Denied)]);
}

#[test]
fn a_failed_payment_stays_failed() {
    let history = vec![initiated(), failed(PaymentFailure::Expired)];
    for status in [
        "deny",
        "cancel",
        "expire",
        "failure",
        "settlement",
        "capture",
    ] {
        changes_nothing_but_the_record(history.clone(), notification(status));
    }
}

#[test]
fn a_settled_payment_is_not_failed_by_cancel_expire_or_failure() {
    for status in ["cancel", "expire", "failure"] {
        changes_nothing_but_the_record(vec![initiated(), settled()], notification(status));
    }
    let fraud_deny = Notification {
        fraud_status: Some("deny".into()),
        ..notification("capture")
    };
    changes_nothing_but_the_record(vec![initiated(), settled()], fraud_deny);
}

#[test]
fn a_deny_after_settlement_reverses_the_payment() {
    let n = notification("deny");
    let reversed = PaymentEvent::PaymentReversed {
        transaction_id: "tx-1".into(),
    };
    let payment = given::<Payment>([initiated(), settled()])
        .when(record(&n))
        .then([received(&n), reversed.clone()]);
    assert_eq!(payment.status, PaymentStatus::Reversed);
    changes_nothing_but_the_record(
        vec![initiated(), settled(), reversed.clone()],
        notification("settlement"),
    );
    changes_nothing_but_the_record(vec![initiated(), settled(), reversed], notification("deny"));
}

#[test]
fn challenges_refunds_and_chargebacks_are_only_recorded() {
    let challenge = Notification {
        fraud_status: Some("challenge".into()),
        ..notification("capture")
    };
    changes_nothing_but_the_record(vec![initiated()], challenge);
    for status in [
        "refund",
        "partial_refund",
        "chargeback",
        "partial_chargeback",
        "authorize",
        "made_up",
    ] {
        changes_nothing_but_the_record(vec![initiated(), settled()], notification(status));
    }
}

#[test]
fn gross_amounts_parse_exactly_to_whole_rupiah() {
    assert_eq!(parse_gross_amount("150000.00"), Some(150_000));
    assert_eq!(parse_gross_amount("150000"), Some(150_000));
    assert_eq!(parse_gross_amount("0.0"), Some(0));
    for junk in [
        "150000.01",
        "150000.",
        ".00",
        "-150000",
        "+150000",
        "1e5",
        "",
        "99999999999999999999",
    ] {
        assert_eq!(parse_gross_amount(junk), None, "{junk}");
    }
}
