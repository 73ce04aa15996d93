use chrono::{TimeZone, Utc};
use pasar_events::types::{CustomerEvent, Role, streams};
use pasar_projector::slices::sellers::queries;
use uuid::Uuid;

use crate::support::Harness;

fn registered(id: Uuid, role: Role) -> CustomerEvent {
    CustomerEvent::CustomerRegistered {
        customer_id: id,
        email: format!("{id}@example.com"),
        full_name: "Budi".into(),
        role,
        password_hash: "$argon2id$secret".into(),
        registered_at: Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap(),
    }
}

fn profile(store_name: &str, origin_id: u32) -> CustomerEvent {
    CustomerEvent::StoreProfileSet {
        store_name: store_name.into(),
        description: "Arabika".into(),
        origin_id,
        origin_label: format!("PLACE {origin_id}"),
        set_at: Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn sellers_show_their_latest_store_profile_and_buyers_are_not_sellers() {
    // Arrange
    let h = Harness::new().await;
    let (seller, bare, buyer) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());

    // Act
    h.append(
        &streams::customer(seller),
        &[
            registered(seller, Role::Seller),
            profile("Toko Lama", 1),
            profile("Kopi Gayo Asli", 17_473),
        ],
    )
    .await;
    h.append(&streams::customer(bare), &[registered(bare, Role::Seller)])
        .await;
    h.append(&streams::customer(buyer), &[registered(buyer, Role::Buyer)])
        .await;
    h.project().await;
    // A replay of the same events changes nothing (the version guard).
    h.rewind_checkpoints().await;
    h.project().await;

    // Assert
    let client = h.pool.get().await.unwrap();
    let store = queries::store(&client, seller).await.unwrap().unwrap();
    assert_eq!(store.store_name.as_deref(), Some("Kopi Gayo Asli"));
    assert_eq!(store.origin_id, Some(17_473));
    assert_eq!(store.origin_label.as_deref(), Some("PLACE 17473"));
    assert_eq!(store.active_products, 0);
    let bare_store = queries::store(&client, bare).await.unwrap().unwrap();
    assert_eq!(bare_store.store_name, None);
    assert!(queries::store(&client, buyer).await.unwrap().is_none());
    assert!(
        queries::store(&client, Uuid::new_v4())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        h.count("SELECT count(*) FROM rm.sellers WHERE role = 'buyer'")
            .await,
        1,
        "a buyer's row only records the role"
    );
}
