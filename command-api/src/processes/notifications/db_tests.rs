//! The send record and the facts on a fresh PostgreSQL database.

use uuid::Uuid;

use super::facts;
use super::sends::{self, Claim};
use super::templates::{Locale, MailKind};
use crate::processes::MIGRATIONS;

/// A freshly migrated database: its pool and URL (to drop it).
async fn database() -> (deadpool_postgres::Pool, String) {
    let url = format!(
        "postgres://postgres@127.0.0.1:5432/pasar_test_notify_{}",
        Uuid::new_v4().simple()
    );
    let backend = pasar_events::select::Backend::Postgres;
    let (_, pool) = pasar_events::select::connect(&backend, &url, 2)
        .await
        .unwrap();
    pasar_events::runtime::migrate(&pool, &[MIGRATIONS])
        .await
        .unwrap();
    (pool, url)
}

/// (state, attempts) of each event's buyer mail in the send record.
async fn states(pool: &deadpool_postgres::Pool) -> std::collections::HashMap<Uuid, (String, i32)> {
    let client = pool.get().await.unwrap();
    let rows = client
        .query(
            "SELECT event_id, state, attempts FROM notification_sends
             WHERE kind <> 'seller_order_to_ship'",
            &[],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect()
}

#[tokio::test]
async fn a_mail_is_claimed_once_retried_after_a_failure_and_never_resent_after_a_crash() {
    // Arrange
    let (pool, url) = database().await;
    let claim = |event: Uuid, kind: MailKind| {
        let pool = pool.clone();
        async move { sends::claim(&pool, event, kind, "ani@pasar.test", "id@pasar.test").await }
    };
    let (sent, failed, crashed) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());

    // Act and assert: sent, then found sent.
    assert_eq!(claim(sent, MailKind::OrderPaid).await.unwrap(), Claim::Send);
    sends::sent(&pool, sent, MailKind::OrderPaid).await.unwrap();
    assert_eq!(
        claim(sent, MailKind::OrderPaid).await.unwrap(),
        Claim::AlreadySent
    );
    assert_eq!(
        claim(sent, MailKind::SellerOrderToShip).await.unwrap(),
        Claim::Send,
        "another kind of the same event is another mail"
    );
    // Refused by a server that is down: claimed again on the retry.
    assert_eq!(
        claim(failed, MailKind::OrderPlaced).await.unwrap(),
        Claim::Send
    );
    sends::failed(&pool, failed, MailKind::OrderPlaced, "connection refused")
        .await
        .unwrap();
    assert_eq!(
        claim(failed, MailKind::OrderPlaced).await.unwrap(),
        Claim::Send
    );
    // Claimed by an attempt that died before recording: uncertain, for good.
    assert_eq!(
        claim(crashed, MailKind::OrderShipped).await.unwrap(),
        Claim::Send
    );
    for _ in 0..2 {
        assert_eq!(
            claim(crashed, MailKind::OrderShipped).await.unwrap(),
            Claim::Uncertain
        );
    }
    let state = states(&pool).await;
    assert_eq!(state[&sent], ("sent".to_owned(), 1));
    assert_eq!(state[&failed], ("sending".to_owned(), 2));
    assert_eq!(state[&crashed], ("uncertain".to_owned(), 1));
    pasar_service::testing::drop_database(&url).await;
}

#[tokio::test]
async fn stock_falling_to_its_threshold_is_low_once_per_fall() {
    // Arrange: a product with the default threshold (5).
    let (pool, url) = database().await;
    let client = pool.get().await.unwrap();
    let (product, seller) = (Uuid::now_v7(), Uuid::now_v7());
    facts::record_products(&client, &[listed(product, seller, "KAOS-1")])
        .await
        .unwrap();
    let mut lows = Vec::new();

    // Act: received 5 (not a fall), 10, then down to 6, 5, 3, up to 8, down to 4.
    for available in [5, 10, 6, 5, 3, 8, 4] {
        let low = facts::stock_moved(&client, product, available)
            .await
            .unwrap();
        lows.push(low.map(|l| (l.available, l.threshold)));
    }

    // Assert
    assert_eq!(
        lows,
        [None, None, None, Some((5, 5)), None, None, Some((4, 5))]
    );
    facts::set_threshold(&client, product, 8).await.unwrap();
    let low = facts::stock_moved(&client, product, 10).await.unwrap();
    assert_eq!(low, None);
    let low = facts::stock_moved(&client, product, 8).await.unwrap();
    assert_eq!(low.map(|l| l.threshold), Some(8), "the seller's threshold");
    drop(client);
    pasar_service::testing::drop_database(&url).await;
}

#[tokio::test]
async fn a_batch_moves_levels_in_memory_and_writes_them_once() {
    // Arrange: two products with the default threshold (5), both at 10.
    let (pool, url) = database().await;
    let client = pool.get().await.unwrap();
    let (a, b, seller) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (product, sku) in [(a, "A-1"), (b, "B-1")] {
        facts::record_products(&client, &[listed(product, seller, sku)])
            .await
            .unwrap();
        facts::stock_moved(&client, product, 10).await.unwrap();
    }
    let mut levels = facts::StockLevels::default();

    // Act: one batch takes a to 7, 4, 2 and b to 9, then flushes.
    let mut lows = Vec::new();
    for (product, available) in [(a, 7), (a, 4), (b, 9), (a, 2)] {
        let low = levels.moved(&client, product, available).await.unwrap();
        lows.push(low.map(|l| l.available));
    }
    let before_flush = stored_level(&client, a).await;
    levels.flush(&client).await.unwrap();

    // Assert: one fall, nothing written before the flush, the last levels after it.
    assert_eq!(lows, [None, Some(4), None, None]);
    assert_eq!(before_flush, Some(10));
    assert_eq!(stored_level(&client, a).await, Some(2));
    assert_eq!(stored_level(&client, b).await, Some(9));
    drop(client);
    pasar_service::testing::drop_database(&url).await;
}

#[tokio::test]
async fn a_batch_records_its_listings_together_and_reads_their_levels_together() {
    // Arrange: three products listed in one batch; one of them listed again (a retried batch)
    // under another name, which keeps the row as it is.
    let (pool, url) = database().await;
    let client = pool.get().await.unwrap();
    let seller = Uuid::now_v7();
    let (a, b, c, unknown) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let batch = [
        listed(a, seller, "A-1"),
        listed(b, seller, "B-1"),
        listed(c, seller, "C-1"),
    ];
    facts::record_products(&client, &batch).await.unwrap();
    let mut again = listed(a, seller, "A-1");
    again.name = "Renamed by a retry".into();
    facts::record_products(&client, &[again]).await.unwrap();

    // Act: the next batch reads all four levels at once, then moves a and b and changes a's row.
    let mut levels = facts::StockLevels::default();
    levels.load(&client, &[a, b, unknown, a]).await.unwrap();
    let mut lows = Vec::new();
    for (product, available) in [(a, 10), (b, 8), (a, 4), (unknown, 1), (b, 2)] {
        let low = levels.moved(&client, product, available).await.unwrap();
        lows.push(low.map(|l| (l.name, l.available)));
    }
    levels.forget(&client, a).await.unwrap();
    let (a_forgotten, b_unflushed) = (
        stored_level(&client, a).await,
        stored_level(&client, b).await,
    );
    levels.flush(&client).await.unwrap();

    // Assert: a fall each for a and b (a's under its first name), none for a product the
    // processor does not know; a's level written when it was forgotten, b's at the flush, and
    // c, untouched, still has no stock.
    assert_eq!(
        lows,
        [
            None,
            None,
            Some(("Kaos".to_owned(), 4)),
            None,
            Some(("Kaos".to_owned(), 2))
        ]
    );
    assert_eq!((a_forgotten, b_unflushed), (Some(4), None));
    assert_eq!(stored_level(&client, b).await, Some(2));
    assert_eq!(stored_level(&client, c).await, None);
    drop(client);
    pasar_service::testing::drop_database(&url).await;
}

fn listed(product_id: Uuid, seller_id: Uuid, sku: &str) -> facts::Listed {
    facts::Listed {
        product_id,
        seller_id,
        sku: sku.to_owned(),
        name: "Kaos".to_owned(),
    }
}

async fn stored_level(client: &deadpool_postgres::Object, product: Uuid) -> Option<i64> {
    client
        .query_one(
            "SELECT available FROM notification_products WHERE product_id = $1",
            &[&product],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn recipients_are_indonesian_until_they_choose_english() {
    // Arrange
    let (pool, url) = database().await;
    let client = pool.get().await.unwrap();
    let ani = Uuid::now_v7();
    facts::record_customer(&client, ani, "ani@pasar.test", "Ani")
        .await
        .unwrap();

    // Act and assert
    let before = facts::recipient(&client, ani).await.unwrap().unwrap();
    assert_eq!(before.locale, Locale::Id);
    facts::set_locale(&client, ani, Locale::En).await.unwrap();
    facts::record_customer(&client, ani, "ani@pasar.test", "Ani S.")
        .await
        .unwrap();
    let after = facts::recipient(&client, ani).await.unwrap().unwrap();
    assert_eq!(
        (after.locale, after.full_name.as_str()),
        (Locale::En, "Ani S.")
    );
    facts::forget_customer(&client, ani).await.unwrap();
    assert_eq!(facts::recipient(&client, ani).await.unwrap(), None);
    drop(client);
    pasar_service::testing::drop_database(&url).await;
}
