use pasar_domain::customer::{
    Avatar, Customer, CustomerCommand, CustomerError, PASSWORD_CHANGED_REASON, ProfileCommand,
};
use pasar_domain::values::Phone;
use pasar_events::types::{CustomerEvent, ImageThumbnail, Locale, Role};

use crate::support::{at, given, id};

fn registered() -> CustomerEvent {
    CustomerEvent::CustomerRegistered {
        customer_id: id(1),
        email: "ani@example.com".into(),
        full_name: "Ani".into(),
        role: Role::Buyer,
        password_hash: "hash-1".into(),
        registered_at: at(0),
    }
}

fn session(family: u128) -> CustomerEvent {
    CustomerEvent::SessionStarted {
        family_id: id(family),
        token_hash: format!("t{family}"),
        expires_at: at(600),
    }
}

fn update(
    full_name: Option<&str>,
    phone: Option<Option<&str>>,
    locale: Option<Locale>,
) -> CustomerCommand {
    CustomerCommand::Profile(ProfileCommand::Update {
        full_name: full_name.map(str::to_owned),
        phone: phone.map(|p| p.map(|p| Phone::parse(p).unwrap())),
        locale,
        now: at(1),
    })
}

fn updated(full_name: &str, phone: Option<&str>, locale: Locale) -> CustomerEvent {
    CustomerEvent::CustomerProfileUpdated {
        full_name: full_name.into(),
        phone: phone.map(str::to_owned),
        locale,
        updated_at: at(1),
    }
}

#[test]
fn an_update_records_the_whole_new_profile_with_the_phone_normalised() {
    given::<Customer>([registered()])
        .when(update(None, Some(Some("0812-3456-7890")), None))
        .then([updated("Ani", Some("+6281234567890"), Locale::Id)]);
}

#[test]
fn fields_left_out_keep_their_values_and_the_same_values_record_nothing() {
    let before = [
        registered(),
        updated("Ani L", Some("+6281234567890"), Locale::En),
    ];
    given::<Customer>(before.clone())
        .when(update(Some("Ani Lestari"), None, None))
        .then([updated("Ani Lestari", Some("+6281234567890"), Locale::En)]);
    given::<Customer>(before.clone())
        .when(update(
            Some(" Ani L "),
            Some(Some("+62 812 3456 7890")),
            Some(Locale::En),
        ))
        .then_nothing();
    given::<Customer>(before)
        .when(update(None, Some(None), None))
        .then([updated("Ani L", None, Locale::En)]);
}

#[test]
fn a_blank_name_is_refused_and_nobody_unregistered_has_a_profile() {
    given::<Customer>([registered()])
        .when(update(Some("  "), None, None))
        .then_rejected(CustomerError::InvalidFullName);
    given::<Customer>([])
        .when(update(Some("Ani"), None, None))
        .then_rejected(CustomerError::NotRegistered);
}

fn change_password(verified: &str, keep: Option<u128>) -> CustomerCommand {
    CustomerCommand::Profile(ProfileCommand::ChangePassword {
        verified_hash: verified.into(),
        new_hash: "hash-2".into(),
        keep_session: keep.map(id),
        now: at(2),
    })
}

fn revoked(family: u128) -> CustomerEvent {
    CustomerEvent::SessionRevoked {
        family_id: id(family),
        reason: PASSWORD_CHANGED_REASON.into(),
    }
}

#[test]
fn a_password_change_revokes_every_other_live_session() {
    let logout = CustomerEvent::SessionRevoked {
        family_id: id(12),
        reason: "logout".into(),
    };
    let customer = given::<Customer>([registered(), session(10), session(11), session(12), logout])
        .when(change_password("hash-1", Some(11)))
        .then([
            CustomerEvent::PasswordChanged {
                password_hash: "hash-2".into(),
                changed_at: at(2),
            },
            revoked(10),
        ]);
    assert_eq!(customer.password_hash, "hash-2");
    assert!(!customer.session(id(11)).unwrap().revoked);
}

#[test]
fn a_password_changed_since_it_was_checked_is_not_changed_again() {
    given::<Customer>([registered(), session(10)])
        .when(change_password("hash-0", Some(10)))
        .then_rejected(CustomerError::PasswordChangedMeanwhile);
}

fn avatar(n: u128) -> Avatar {
    Avatar {
        avatar_id: id(n),
        key: format!("images/{n}.jpg"),
        content_type: "image/jpeg".into(),
        width: 300,
        height: 200,
        bytes: 1234,
        thumbnail: None,
    }
}

fn avatar_changed(n: u128) -> CustomerEvent {
    CustomerEvent::AvatarChanged {
        avatar_id: id(n),
        key: format!("images/{n}.jpg"),
        content_type: "image/jpeg".into(),
        width: 300,
        height: 200,
        bytes: 1234,
        changed_at: at(3),
    }
}

fn thumbnail() -> ImageThumbnail {
    ImageThumbnail {
        size: 256,
        key: "thumbs/t.jpg".into(),
        content_type: "image/jpeg".into(),
        width: 200,
        height: 200,
    }
}

fn record_thumbnail(n: u128) -> CustomerCommand {
    CustomerCommand::Profile(ProfileCommand::RecordAvatarThumbnail {
        avatar_id: id(n),
        thumbnail: thumbnail(),
        now: at(4),
    })
}

#[test]
fn an_avatar_is_set_once_and_thumbnailed_once() {
    let set = CustomerCommand::Profile(ProfileCommand::SetAvatar {
        avatar: avatar(20),
        now: at(3),
    });
    given::<Customer>([registered()])
        .when(set.clone())
        .then([avatar_changed(20)]);
    given::<Customer>([registered(), avatar_changed(20)])
        .when(set)
        .then_nothing();
    let made = CustomerEvent::AvatarThumbnailMade {
        avatar_id: id(20),
        thumbnail: thumbnail(),
        made_at: at(4),
    };
    let customer = given::<Customer>([registered(), avatar_changed(20)])
        .when(record_thumbnail(20))
        .then([made.clone()]);
    assert_eq!(
        customer.profile.avatar.unwrap().thumbnail,
        Some(thumbnail())
    );
    given::<Customer>([registered(), avatar_changed(20), made])
        .when(record_thumbnail(20))
        .then_nothing();
}

#[test]
fn a_replaced_avatar_gets_no_thumbnail() {
    given::<Customer>([registered(), avatar_changed(20), avatar_changed(21)])
        .when(record_thumbnail(20))
        .then_nothing();
}
