//! The wallet: credits once per source, debits never below zero, each debit returned once.

use pasar_domain::Aggregate;
use pasar_domain::wallet::{MAX_BALANCE, Wallet, WalletCommand, WalletError};
use pasar_events::types::{Money, WalletCreditSource, WalletEvent};

use crate::support::{at, given, id};

fn top_up_requested(payment: u128, amount: i64) -> WalletEvent {
    WalletEvent::WalletTopUpRequested {
        payment_id: id(payment),
        amount: Money::idr(amount),
        requested_at: at(0),
    }
}

fn topped_up(payment: u128, amount: i64, balance: i64) -> WalletEvent {
    WalletEvent::WalletCredited {
        amount: Money::idr(amount),
        source: WalletCreditSource::TopUp {
            payment_id: id(payment),
        },
        balance: Money::idr(balance),
        credited_at: at(1),
    }
}

fn funded(amount: i64) -> Vec<WalletEvent> {
    vec![top_up_requested(1, amount), topped_up(1, amount, amount)]
}

fn credit_top_up(payment: u128, amount: i64) -> WalletCommand {
    WalletCommand::Credit {
        source: WalletCreditSource::TopUp {
            payment_id: id(payment),
        },
        amount: Money::idr(amount),
        now: at(1),
    }
}

fn debit(debit: u128, amount: i64) -> WalletCommand {
    WalletCommand::Debit {
        debit_id: id(debit),
        checkout_id: id(debit + 100),
        amount: Money::idr(amount),
        now: at(2),
    }
}

fn debited(debit: u128, amount: i64, balance: i64) -> WalletEvent {
    WalletEvent::WalletDebited {
        debit_id: id(debit),
        checkout_id: id(debit + 100),
        amount: Money::idr(amount),
        balance: Money::idr(balance),
        debited_at: at(2),
    }
}

#[test]
fn a_settled_top_up_is_credited_once() {
    let wallet = given::<Wallet>([top_up_requested(1, 50_000)])
        .when(credit_top_up(1, 50_000))
        .then([topped_up(1, 50_000, 50_000)]);
    assert_eq!(wallet.balance, Money::idr(50_000));
    assert!(wallet.pending_top_ups.is_empty());
    given::<Wallet>(funded(50_000))
        .when(credit_top_up(1, 50_000))
        .then_nothing();
}

#[test]
fn a_top_up_credit_needs_its_request_and_its_amount() {
    given::<Wallet>([])
        .when(credit_top_up(1, 50_000))
        .then_rejected(WalletError::UnknownTopUp);
    given::<Wallet>([top_up_requested(1, 50_000)])
        .when(credit_top_up(1, 40_000))
        .then_rejected(WalletError::TopUpAmountMismatch {
            expected: 50_000,
            received: 40_000,
        });
}

#[test]
fn top_ups_are_bounded() {
    let request = |amount| WalletCommand::RequestTopUp {
        payment_id: id(2),
        amount: Money::idr(amount),
        now: at(0),
    };
    given::<Wallet>([])
        .when(request(9_999))
        .then_rejected(WalletError::TopUpTooSmall);
    given::<Wallet>([])
        .when(request(-1))
        .then_rejected(WalletError::InvalidAmount);
    given::<Wallet>(funded(MAX_BALANCE - 10_000))
        .when(request(20_000))
        .then_rejected(WalletError::BalanceLimit {
            balance: MAX_BALANCE - 10_000,
        });
    given::<Wallet>(funded(MAX_BALANCE - 10_000))
        .when(request(10_000))
        .then([WalletEvent::WalletTopUpRequested {
            payment_id: id(2),
            amount: Money::idr(10_000),
            requested_at: at(0),
        }]);
}

#[test]
fn a_debit_never_takes_the_balance_below_zero() {
    given::<Wallet>(funded(30_000))
        .when(debit(5, 30_001))
        .then_rejected(WalletError::InsufficientBalance {
            balance: 30_000,
            requested: 30_001,
        });
    let wallet = given::<Wallet>(funded(30_000))
        .when(debit(5, 30_000))
        .then([debited(5, 30_000, 0)]);
    assert_eq!(wallet.balance, Money::idr(0));
}

#[test]
fn a_repeated_debit_changes_nothing_and_its_id_is_bound_to_its_amount() {
    let mut history = funded(30_000);
    history.push(debited(5, 10_000, 20_000));
    given::<Wallet>(history.clone())
        .when(debit(5, 10_000))
        .then_nothing();
    given::<Wallet>(history)
        .when(debit(5, 12_000))
        .then_rejected(WalletError::DebitReused);
}

#[test]
fn a_debit_is_returned_once() {
    let mut history = funded(30_000);
    history.push(debited(5, 10_000, 20_000));
    let give_back = WalletCommand::ReturnDebit {
        debit_id: id(5),
        reason: "payment expired".into(),
        now: at(3),
    };
    let returned = WalletEvent::WalletDebitReturned {
        debit_id: id(5),
        amount: Money::idr(10_000),
        reason: "payment expired".into(),
        balance: Money::idr(30_000),
        returned_at: at(3),
    };
    let wallet = given::<Wallet>(history.clone())
        .when(give_back.clone())
        .then([returned.clone()]);
    assert_eq!(wallet.balance, Money::idr(30_000));
    history.push(returned);
    given::<Wallet>(history)
        .when(give_back.clone())
        .then_nothing();
    given::<Wallet>(funded(30_000))
        .when(give_back)
        .then_nothing();
}

#[test]
fn an_owed_refund_is_credited_once_whatever_the_balance() {
    let source = WalletCreditSource::OrderRefund {
        order_id: id(7),
        refund_id: id(8),
    };
    let credit = WalletCommand::Credit {
        source,
        amount: Money::idr(MAX_BALANCE),
        now: at(4),
    };
    let wallet = given::<Wallet>(funded(MAX_BALANCE))
        .when(credit.clone())
        .then([WalletEvent::WalletCredited {
            amount: Money::idr(MAX_BALANCE),
            source,
            balance: Money::idr(2 * MAX_BALANCE),
            credited_at: at(4),
        }]);
    assert!(wallet.was_credited(&source));
    assert_eq!(
        wallet.decide(&credit),
        Ok(vec![]),
        "nothing new once credited"
    );
}

#[test]
fn many_debits_decided_in_turn_spend_exactly_the_balance() {
    let mut wallet: Wallet = pasar_domain::replay(funded(100_000));
    let mut spent = 0;
    for n in 0..50 {
        if let Ok(events) = wallet.decide(&debit(n + 10, 30_000)) {
            spent += 30_000;
            wallet = events.iter().fold(wallet, |w, e| w.evolve(e));
        }
    }
    assert_eq!(spent, 90_000);
    assert_eq!(wallet.balance, Money::idr(10_000));
}
