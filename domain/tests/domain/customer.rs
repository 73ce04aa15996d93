use pasar_domain::customer::{
    Customer, CustomerCommand, CustomerError, REUSE_REASON, normalize_email,
};
use pasar_events::types::{CustomerEvent, Role};

use crate::support::{at, given, id};

fn register(full_name: &str) -> CustomerCommand {
    CustomerCommand::Register {
        customer_id: id(1),
        email: "siti@example.com".into(),
        full_name: full_name.into(),
        role: Role::Buyer,
        password_hash: "$argon2id$hash".into(),
        now: at(0),
    }
}

fn registered() -> CustomerEvent {
    CustomerEvent::CustomerRegistered {
        customer_id: id(1),
        email: "siti@example.com".into(),
        full_name: "Siti Rahayu".into(),
        role: Role::Buyer,
        password_hash: "$argon2id$hash".into(),
        registered_at: at(0),
    }
}

fn session_started() -> CustomerEvent {
    CustomerEvent::SessionStarted {
        family_id: id(7),
        token_hash: "h1".into(),
        expires_at: at(60),
    }
}

fn refreshed(token_hash: &str, expires_at: i64) -> CustomerEvent {
    CustomerEvent::SessionRefreshed {
        family_id: id(7),
        token_hash: token_hash.into(),
        expires_at: at(expires_at),
    }
}

fn refresh(presented: &str, now: i64) -> CustomerCommand {
    CustomerCommand::RefreshSession {
        family_id: id(7),
        presented_hash: presented.into(),
        new_hash: "h-new".into(),
        now: at(now),
        expires_at: at(now + 60),
    }
}

#[test]
fn registering_records_the_customer_with_a_trimmed_name() {
    let customer = given::<Customer>([])
        .when(register("  Siti Rahayu "))
        .then([registered()]);
    assert_eq!(customer.id, Some(id(1)));
    assert_eq!(customer.role, Some(Role::Buyer));
    assert!(customer.is_registered());
}

#[test]
fn registering_twice_is_rejected() {
    given::<Customer>([registered()])
        .when(register("Siti"))
        .then_rejected(CustomerError::AlreadyRegistered);
}

#[test]
fn registering_on_an_abandoned_stream_is_refused() {
    let abandoned = CustomerEvent::RegistrationAbandoned {
        reason: "email taken".into(),
    };
    given::<Customer>([abandoned])
        .when(register("Siti"))
        .then_rejected(CustomerError::RegistrationAbandoned);
}

#[test]
fn a_full_name_must_be_1_to_100_characters_after_trimming() {
    for bad in ["", "   ", &"a".repeat(101)] {
        given::<Customer>([])
            .when(register(bad))
            .then_rejected(CustomerError::InvalidFullName);
    }
    // Characters, not bytes: 100 two-byte letters fit.
    assert_eq!(
        given::<Customer>([])
            .when(register(&"é".repeat(100)))
            .events()
            .len(),
        1
    );
}

#[test]
fn an_implausible_email_is_rejected() {
    for email in [
        "",
        "siti",
        "siti@",
        "@example.com",
        "siti@example",
        "si ti@example.com",
        "a@b@c.com",
    ] {
        let command = CustomerCommand::Register {
            customer_id: id(1),
            email: email.into(),
            full_name: "Siti".into(),
            role: Role::Buyer,
            password_hash: "x".into(),
            now: at(0),
        };
        given::<Customer>([])
            .when(command)
            .then_rejected(CustomerError::InvalidEmail);
    }
}

#[test]
fn emails_are_normalised_by_trimming_and_lowercasing() {
    assert_eq!(normalize_email("  Siti@Example.COM "), "siti@example.com");
}

#[test]
fn abandoning_a_registration_closes_the_stream_for_good() {
    let reason = "email already claimed";
    let customer = given::<Customer>([registered()])
        .when(CustomerCommand::AbandonRegistration {
            reason: reason.into(),
        })
        .then([CustomerEvent::RegistrationAbandoned {
            reason: reason.into(),
        }]);
    assert!(customer.abandoned && !customer.is_registered());
    given::<Customer>([
        registered(),
        CustomerEvent::RegistrationAbandoned {
            reason: reason.into(),
        },
    ])
    .when(CustomerCommand::ChangeRole { role: Role::Seller })
    .then_rejected(CustomerError::NotRegistered);
}

#[test]
fn abandoning_twice_changes_nothing() {
    given::<Customer>([CustomerEvent::RegistrationAbandoned {
        reason: "taken".into(),
    }])
    .when(CustomerCommand::AbandonRegistration {
        reason: "taken".into(),
    })
    .then_nothing();
}

#[test]
fn changing_the_role_records_it_once() {
    given::<Customer>([registered()])
        .when(CustomerCommand::ChangeRole { role: Role::Seller })
        .then([CustomerEvent::RoleChanged { role: Role::Seller }]);
    given::<Customer>([registered()])
        .when(CustomerCommand::ChangeRole { role: Role::Buyer })
        .then_nothing();
    given::<Customer>([])
        .when(CustomerCommand::ChangeRole { role: Role::Admin })
        .then_rejected(CustomerError::NotRegistered);
}

#[test]
fn starting_a_session_needs_a_registered_customer() {
    let start = || CustomerCommand::StartSession {
        family_id: id(7),
        token_hash: "h1".into(),
        expires_at: at(60),
    };
    given::<Customer>([registered()])
        .when(start())
        .then([session_started()]);
    given::<Customer>([])
        .when(start())
        .then_rejected(CustomerError::NotRegistered);
    given::<Customer>([registered(), session_started()])
        .when(start())
        .then_nothing();
}

#[test]
fn starting_a_session_with_a_taken_family_id_is_rejected() {
    given::<Customer>([registered(), session_started()])
        .when(CustomerCommand::StartSession {
            family_id: id(7),
            token_hash: "other".into(),
            expires_at: at(60),
        })
        .then_rejected(CustomerError::SessionAlreadyStarted);
}

#[test]
fn refreshing_with_the_current_token_rotates_it_without_extending_the_family() {
    let customer = given::<Customer>([registered(), session_started()])
        .when(refresh("h1", 10))
        .then([refreshed("h-new", 60)]);
    let session = customer.session(id(7)).unwrap();
    assert_eq!(session.token_hash, "h-new");
    assert_eq!(session.previous_hashes, ["h1"]);
    assert_eq!(customer.family_holding("h1"), Some(id(7)));
    assert_eq!(customer.family_holding("h-new"), Some(id(7)));
    assert_eq!(customer.family_holding("nope"), None);
}

#[test]
fn presenting_a_rotated_token_again_revokes_the_whole_family() {
    let history = [registered(), session_started(), refreshed("h2", 70)];
    given::<Customer>(history.clone())
        .when(refresh("h1", 20))
        .then([CustomerEvent::SessionRevoked {
            family_id: id(7),
            reason: REUSE_REASON.into(),
        }]);
    let revoked = CustomerEvent::SessionRevoked {
        family_id: id(7),
        reason: REUSE_REASON.into(),
    };
    given::<Customer>(history.into_iter().chain([revoked]))
        .when(refresh("h2", 20))
        .then_rejected(CustomerError::SessionRevoked);
}

#[test]
fn a_family_refreshed_again_and_again_still_ends_at_its_absolute_limit() {
    let history = [registered(), session_started(), refreshed("h2", 60)];
    given::<Customer>(history)
        .when(CustomerCommand::RefreshSession {
            family_id: id(7),
            presented_hash: "h2".into(),
            new_hash: "h3".into(),
            now: at(59),
            expires_at: at(119),
        })
        .then([refreshed("h3", 60)]);
    given::<Customer>([registered(), session_started(), refreshed("h2", 60)])
        .when(refresh("h2", 60))
        .then_rejected(CustomerError::SessionExpired);
}

#[test]
fn refreshing_an_expired_session_is_rejected() {
    given::<Customer>([registered(), session_started()])
        .when(refresh("h1", 60))
        .then_rejected(CustomerError::SessionExpired);
}

#[test]
fn refreshing_an_unknown_family_or_with_a_foreign_token_is_rejected() {
    given::<Customer>([registered()])
        .when(refresh("h1", 10))
        .then_rejected(CustomerError::SessionUnknown);
    given::<Customer>([registered(), session_started()])
        .when(refresh("forged", 10))
        .then_rejected(CustomerError::SessionUnknown);
}

#[test]
fn revoking_a_session_records_it_once() {
    let logout = || CustomerCommand::RevokeSession {
        family_id: id(7),
        reason: "logout".into(),
    };
    let revoked = CustomerEvent::SessionRevoked {
        family_id: id(7),
        reason: "logout".into(),
    };
    let customer = given::<Customer>([registered(), session_started()])
        .when(logout())
        .then([revoked.clone()]);
    assert!(customer.session(id(7)).unwrap().revoked);
    given::<Customer>([registered(), session_started(), revoked])
        .when(logout())
        .then_nothing();
    given::<Customer>([registered()])
        .when(logout())
        .then_rejected(CustomerError::SessionUnknown);
}
