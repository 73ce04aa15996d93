use pasar_domain::customer::{Customer, CustomerCommand, CustomerError, SUSPENDED_REASON};
use pasar_events::types::{CustomerEvent, Role};

use crate::support::{at, given, id};

fn registered() -> CustomerEvent {
    CustomerEvent::CustomerRegistered {
        customer_id: id(1),
        email: "toko@example.com".into(),
        full_name: "Toko Budi".into(),
        role: Role::Seller,
        password_hash: "$argon2id$hash".into(),
        registered_at: at(0),
    }
}

fn session(family: u128) -> CustomerEvent {
    CustomerEvent::SessionStarted {
        family_id: id(family),
        token_hash: format!("hash-{family}"),
        expires_at: at(60 * 24),
    }
}

fn suspend(reason: &str) -> CustomerCommand {
    CustomerCommand::Suspend {
        reason: reason.into(),
        now: at(5),
    }
}

fn suspended() -> CustomerEvent {
    CustomerEvent::CustomerSuspended {
        reason: "fake listings".into(),
        suspended_at: at(5),
    }
}

#[test]
fn suspending_revokes_every_live_session() {
    let logged_out = CustomerEvent::SessionRevoked {
        family_id: id(10),
        reason: "logout".into(),
    };
    let customer = given::<Customer>([registered(), session(10), logged_out, session(11)])
        .when(suspend("  fake listings "))
        .then([
            suspended(),
            CustomerEvent::SessionRevoked {
                family_id: id(11),
                reason: SUSPENDED_REASON.into(),
            },
        ]);
    assert!(customer.is_suspended());
}

#[test]
fn suspending_a_suspended_account_records_nothing() {
    given::<Customer>([registered(), suspended()])
        .when(suspend("again"))
        .then_nothing();
}

#[test]
fn a_suspension_needs_a_reason_of_sensible_length() {
    given::<Customer>([registered()])
        .when(suspend("   "))
        .then_rejected(CustomerError::InvalidSuspensionReason);
    given::<Customer>([registered()])
        .when(suspend(&"x".repeat(501)))
        .then_rejected(CustomerError::InvalidSuspensionReason);
}

#[test]
fn an_unknown_account_cannot_be_suspended() {
    given::<Customer>([])
        .when(suspend("fake listings"))
        .then_rejected(CustomerError::NotRegistered);
}

#[test]
fn a_suspended_account_can_neither_sign_in_nor_refresh() {
    given::<Customer>([registered(), session(10), suspended()])
        .when(CustomerCommand::StartSession {
            family_id: id(12),
            token_hash: "new".into(),
            expires_at: at(60),
        })
        .then_rejected(CustomerError::Suspended);
    given::<Customer>([registered(), session(10), suspended()])
        .when(CustomerCommand::RefreshSession {
            family_id: id(10),
            presented_hash: "hash-10".into(),
            new_hash: "next".into(),
            now: at(6),
            expires_at: at(60),
        })
        .then_rejected(CustomerError::Suspended);
}

#[test]
fn reinstating_lifts_the_suspension_once() {
    let reinstated = CustomerEvent::CustomerReinstated {
        reinstated_at: at(9),
    };
    let customer = given::<Customer>([registered(), suspended()])
        .when(CustomerCommand::Reinstate { now: at(9) })
        .then([reinstated.clone()]);
    assert!(!customer.is_suspended());
    given::<Customer>([registered(), suspended(), reinstated])
        .when(CustomerCommand::Reinstate { now: at(10) })
        .then_nothing();
}

#[test]
fn a_reinstated_account_signs_in_again() {
    given::<Customer>([
        registered(),
        suspended(),
        CustomerEvent::CustomerReinstated {
            reinstated_at: at(9),
        },
    ])
    .when(CustomerCommand::StartSession {
        family_id: id(12),
        token_hash: "new".into(),
        expires_at: at(60),
    })
    .then([CustomerEvent::SessionStarted {
        family_id: id(12),
        token_hash: "new".into(),
        expires_at: at(60),
    }]);
}
