//! Use cases over the in-memory store: claims never leave orphans, the first admin is refused
//! when it would be unsafe.

use std::sync::Arc;

use chrono::{Duration, Utc};
use pasar_domain::values::{Email, Price, Sku, Text};
use pasar_events::memory::MemoryEventStore;
use pasar_events::types::{ClaimEvent, ProductCondition, Role, streams};
use pasar_events::{DomainEvent, EventStore, ExpectedVersion, Metadata};
use uuid::Uuid;

use super::accounts::{self, AdminBootstrapError, Registration};
use super::catalog::{self, Listing};
use super::testing::{FailingAppends, state};
use super::{Actor, AppError, Dependency, Rule, claims};

fn registration(email: &str, role: Role) -> Registration {
    Registration {
        email: Email::parse(email).unwrap(),
        full_name: Text::parse("Ani").unwrap(),
        role,
        password_hash: "$argon2id$test".into(),
    }
}

fn listing(sku: &str) -> Listing {
    Listing {
        sku: Sku::parse(sku).unwrap(),
        name: "Kaos".into(),
        description: String::new(),
        price: Price::parse(75_000).unwrap(),
        category_id: None,
        brand: None,
        weight_grams: 200,
        condition: ProductCondition::New,
    }
}

async fn event_types(store: &dyn EventStore, stream: &str) -> Vec<String> {
    let events = store.read_stream(stream, 1).await.unwrap();
    events.into_iter().map(|e| e.event_type).collect()
}

#[tokio::test]
async fn a_registration_that_cannot_be_recorded_gives_its_email_claim_back() {
    // Arrange: customer streams refuse appends.
    let store = Arc::new(FailingAppends {
        failing: "customer-",
        ..FailingAppends::default()
    });
    let app = state(store.clone());

    // Act
    let refused = accounts::register(&app, registration("ani@pasar.id", Role::Buyer), None).await;

    // Assert
    assert!(matches!(
        refused,
        Err(AppError::Unavailable {
            dependency: Dependency::EventStore,
            ..
        })
    ));
    let claim = streams::email_claim("ani@pasar.id");
    assert_eq!(
        event_types(store.as_ref(), &claim).await,
        ["Claimed", "Released"]
    );
    assert!(
        claims::holder(store.as_ref(), &claim)
            .await
            .unwrap()
            .owner
            .is_none()
    );
}

#[tokio::test]
async fn a_listing_that_cannot_be_recorded_gives_its_sku_claim_back() {
    let store = Arc::new(FailingAppends {
        failing: "product-",
        ..FailingAppends::default()
    });
    let app = state(store.clone());
    let seller = Actor {
        id: Uuid::now_v7(),
        role: Role::Seller,
    };
    let listing = listing("KAOS-1");
    assert!(
        catalog::list_product(&app, seller, listing, None)
            .await
            .is_err()
    );
    let claim = streams::sku_claim(&Sku::parse("KAOS-1").unwrap().normalized());
    assert_eq!(
        event_types(store.as_ref(), &claim).await,
        ["Claimed", "Released"]
    );
}

async fn claim_for(store: &dyn EventStore, email: &str, owner: Uuid, age: Duration) {
    let claimed = ClaimEvent::Claimed {
        owner_id: owner,
        claimed_at: Utc::now() - age,
    };
    let event = claimed.to_new_event(Uuid::now_v7(), Metadata::default());
    store
        .append(
            &streams::email_claim(email),
            ExpectedVersion::NoStream,
            vec![event],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_claim_whose_owner_never_appeared_is_taken_over_after_its_grace() {
    // Arrange: a registration died between its claim and its customer, a minute ago.
    let store = Arc::new(MemoryEventStore::new());
    let app = state(store.clone());
    claim_for(
        store.as_ref(),
        "ani@pasar.id",
        Uuid::now_v7(),
        Duration::minutes(1),
    )
    .await;

    // Act
    let customer = accounts::register(&app, registration("ani@pasar.id", Role::Buyer), None)
        .await
        .unwrap()
        .state;

    // Assert
    let email = Email::parse("ani@pasar.id").unwrap();
    let found = accounts::customer_by_email(store.as_ref(), &email)
        .await
        .unwrap();
    assert_eq!(found.and_then(|c| c.id), customer.id);
}

#[tokio::test]
async fn a_fresh_claim_is_respected_as_a_registration_in_flight() {
    let store = Arc::new(MemoryEventStore::new());
    let app = state(store.clone());
    claim_for(
        store.as_ref(),
        "ani@pasar.id",
        Uuid::now_v7(),
        Duration::zero(),
    )
    .await;
    let refused = accounts::register(&app, registration("ani@pasar.id", Role::Buyer), None).await;
    assert!(matches!(refused, Err(AppError::Rejected(Rule::EmailTaken))));
}

#[tokio::test]
async fn the_first_admin_is_refused_a_weak_password_or_someone_elses_email() {
    let store = Arc::new(MemoryEventStore::new());
    let app = state(store.clone());
    let weak = crate::server::bootstrap_admin(&app, "admin@pasar.id", "password").await;
    assert!(matches!(weak, Err(AdminBootstrapError::WeakPassword)));

    accounts::register(&app, registration("boss@pasar.id", Role::Buyer), None)
        .await
        .unwrap();
    let taken = crate::server::bootstrap_admin(&app, "boss@pasar.id", "Str0ng-enough-pw").await;
    assert!(matches!(
        taken,
        Err(AdminBootstrapError::EmailTakenByNonAdmin)
    ));
    assert!(accounts::is_strong_admin_password("admin-password-123"));
    assert!(!accounts::is_strong_admin_password("aaaaaaaaaaaaaaaa"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_listings_of_one_sku_list_it_once_and_a_released_claim_is_taken_again() {
    // Arrange: twenty sellers with the same SKU; the claim is appended before any read.
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let app = Arc::new(state(store.clone()));

    // Act
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = Arc::clone(&app);
            let seller = Actor {
                id: Uuid::now_v7(),
                role: Role::Seller,
            };
            tokio::spawn(async move {
                catalog::list_product(&app, seller, listing("KAOS-1"), None).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    // Assert: one listing, nineteen told the SKU is taken, one claim in the stream.
    let listed = outcomes.iter().filter(|o| o.is_ok()).count();
    let taken = outcomes
        .iter()
        .filter(|o| matches!(o, Err(AppError::Rejected(Rule::SkuTaken))))
        .count();
    assert_eq!((listed, taken), (1, 19));
    let claim = streams::sku_claim(&Sku::parse("KAOS-1").unwrap().normalized());
    assert_eq!(event_types(store.as_ref(), &claim).await, ["Claimed"]);

    // And a claim given back (its listing failed) is taken by the next seller, who reads it.
    let other = streams::sku_claim(&Sku::parse("KAOS-2").unwrap().normalized());
    let gone = Uuid::now_v7();
    claims::release(store.as_ref(), &other, gone, &Metadata::default()).await;
    let next = Actor {
        id: Uuid::now_v7(),
        role: Role::Seller,
    };
    let second = listing("KAOS-2");
    assert!(
        catalog::list_product(&app, next, second, None)
            .await
            .is_ok()
    );
    assert_eq!(
        event_types(store.as_ref(), &other).await,
        ["Released", "Claimed"]
    );
}

fn checkout_of(buyer: Actor, key: &str) -> super::checkout::CheckoutCommand {
    let raw = pasar_events::types::ShippingAddress {
        recipient: "Ani".into(),
        phone: "081234567890".into(),
        address: "Jl. Sudirman 1".into(),
        city: "Jakarta".into(),
        postal_code: "12190".into(),
        country_code: "ID".into(),
        destination_id: None,
    };
    super::checkout::CheckoutCommand {
        buyer,
        idempotency_key: key.into(),
        request_hash: "hash".into(),
        address: pasar_domain::values::Address::parse(&raw).unwrap(),
        shipments: Vec::new(),
        wallet_amount: pasar_events::types::Money::idr(0),
    }
}

#[tokio::test]
async fn a_checkout_refused_by_its_cart_is_claimed_and_answered_in_one_append() {
    // Arrange: a buyer with an empty cart; nothing else is reachable (no database), so
    // anything past the cart's own checks would fail.
    let store = Arc::new(FailingAppends::default());
    let app = state(store.clone());
    let buyer = Actor {
        id: Uuid::now_v7(),
        role: Role::Buyer,
    };

    // Act: the checkout, its retry, and the same key from another request at once.
    let first = super::checkout::run(&app, checkout_of(buyer, "k1")).await;
    let appends_after_first = store.appends.load(std::sync::atomic::Ordering::SeqCst);
    let (again, other) = tokio::join!(
        super::checkout::run(&app, checkout_of(buyer, "k1")),
        super::checkout::run(&app, checkout_of(buyer, "k1")),
    );

    // Assert: one append holds the claim and the answer, and every request gets that answer.
    let refused = pasar_events::types::CheckoutOutcome::Rejected {
        reason: pasar_events::types::CheckoutRejection::CartIsEmpty,
    };
    assert_eq!(first.unwrap(), refused);
    assert_eq!(again.unwrap(), refused);
    assert_eq!(other.unwrap(), refused);
    assert_eq!(appends_after_first, 1);
    let checkout_id = super::exec::derive_id(&["checkout", &buyer.id.to_string(), "k1"]);
    let stream = streams::checkout(checkout_id);
    assert_eq!(
        event_types(store.as_ref(), &stream).await,
        ["CheckoutStarted", "CheckoutAnswered"]
    );
}
