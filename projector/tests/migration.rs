//! Databases created by the previous release (plain tables in `rm`, one checkpoint row per
//! projection) are migrated in place to versioned read models.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::GenericClient;
use pasar_events::postgres::PgEventStore;
use pasar_events::types::{DomainEvent, StockEvent, streams};
use pasar_events::{EventStore, ExpectedVersion, Metadata, Position};
use pasar_projector::projections::Catalog;
use pasar_projector::{Projection, Projector, RebuildOptions, checkpoint};
use serde_json::Value;
use uuid::Uuid;

use crate::support::TestDb;
use crate::support::fixtures::product_listed;

/// The previous release's read-model schema: migration 001 only.
async fn previous_layout(client: &impl GenericClient) {
    client
        .batch_execute(&format!(
            "CREATE SCHEMA rm;
             CREATE TABLE rm.schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now());
             {}
             INSERT INTO rm.schema_migrations (version, name) VALUES (1, 'read_models');",
            include_str!("../migrations/001_read_models.sql")
        ))
        .await
        .unwrap();
}

async fn append<E: DomainEvent>(store: &PgEventStore, stream: &str, event: E) -> Position {
    let new = vec![event.to_new_event(Uuid::new_v4(), Metadata::default())];
    let appended = store
        .append(stream, ExpectedVersion::Any, new)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.head().await.unwrap() < appended.position {
        assert!(Instant::now() < deadline, "the log never became readable");
        store
            .wait_for_events(Position::START, Duration::from_millis(200))
            .await;
    }
    appended.position
}

async fn relkind(client: &impl GenericClient, relation: &str) -> String {
    client
        .query_one(
            "SELECT relkind::text FROM pg_class WHERE oid = $1::text::regclass",
            &[&relation],
        )
        .await
        .unwrap()
        .get(0)
}

async fn the_product(client: &impl GenericClient) -> Value {
    client
        .query_one("SELECT to_jsonb(p) FROM rm.products p", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_database_in_the_previous_layout_is_migrated_in_place() {
    // Arrange: the previous layout, with a product and a checkpoint written as the previous
    // release wrote them (its handlers ran the same statements against `rm.products`; run
    // unqualified with search_path = rm they write exactly the same rows).
    let db = TestDb::create().await;
    let store = PgEventStore::connect(&db.url).await.unwrap();
    let pool = pasar_events::postgres::pool(&db.url, 4).unwrap();
    let mut client = pool.get().await.unwrap();
    previous_layout(&client).await;
    let product = Uuid::new_v4();
    let listed = append(
        &store,
        &streams::product(product),
        product_listed(product, Uuid::new_v4(), 12_000),
    )
    .await;
    let tx = client.transaction().await.unwrap();
    tx.batch_execute("SET LOCAL search_path TO rm")
        .await
        .unwrap();
    for event in store.read_all(Position::START, 10).await.unwrap() {
        Catalog.apply(&tx, &event).await.unwrap();
    }
    tx.execute(
        "INSERT INTO rm.projection_checkpoints (name, txid, global) VALUES ('catalog', $1, $2)",
        &[&(listed.txid as i64), &listed.global],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let projected = the_product(&client).await;

    // Act
    let projector = Projector::new(Arc::new(store.clone()), pool.clone())
        .await
        .unwrap();

    // Assert: the same rows behind the same names, which are now views over version 1.
    assert_eq!(relkind(&client, "rm.products").await, "v");
    assert_eq!(relkind(&client, "rm.projection_checkpoints").await, "v");
    assert_eq!(relkind(&client, "rm_catalog_v1.products").await, "r");
    assert_eq!(the_product(&client).await, projected);
    assert_eq!(
        checkpoint::load(&client, "catalog").await.unwrap(),
        listed,
        "the checkpoint carried over"
    );
    let caught_up = projector.catch_up().await.unwrap();
    assert_eq!(
        caught_up.projections["catalog"].events, 0,
        "nothing the previous release projected is applied again"
    );
    assert_eq!(
        caught_up.projections["carts"].events, 1,
        "a projection without a checkpoint starts at the beginning of the log"
    );
    let received = StockEvent::StockReceived {
        quantity: 4,
        on_hand: 4,
        available: 4,
    };
    append(&store, &streams::stock(product), received).await;
    projector.catch_up().await.unwrap();
    let live = the_product(&client).await;
    assert_eq!(
        live["available"], 4,
        "the migrated version keeps projecting"
    );
    projector
        .rebuild("catalog", &RebuildOptions::default())
        .await
        .unwrap();
    assert_eq!(
        the_product(&client).await,
        live,
        "a rebuild reproduces the migrated rows"
    );
}

#[tokio::test]
async fn an_additive_change_reaches_the_live_and_building_versions_and_the_views() {
    // Arrange: version 1 live, version 2 being built.
    let h = crate::support::Harness::new().await;
    let mut client = h.pool.get().await.unwrap();
    pasar_projector::registry::begin_building(&mut client, &Catalog)
        .await
        .unwrap();

    // Act: what a later read-model migration would run.
    client
        .execute(
            "SELECT rm.alter_projection_tables('catalog', 'ALTER TABLE products ADD COLUMN note text')",
            &[],
        )
        .await
        .unwrap();

    // Assert
    for relation in [
        "rm.products",
        "rm_catalog_v1.products",
        "rm_catalog_v2.products",
    ] {
        let has_note: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = $1::text::regclass AND attname = 'note' AND NOT attisdropped)",
                &[&relation],
            )
            .await
            .unwrap()
            .get(0);
        assert!(has_note, "{relation} has the new column");
    }
    let search_path: String = client
        .query_one("SHOW search_path", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        search_path, "\"$user\", public",
        "the caller's search_path is kept"
    );
}
