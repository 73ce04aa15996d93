//! Read-model migrations run on the one migration mechanism of `pasar_events::migrate`.
//!
//! (The previous release's in-place upgrade from plain `rm` tables to versioned read models is
//! gone with its migrations: issue 6 restarted the read-model schema cleanly, no production
//! data having existed; see `migrations/001_read_model_registry.sql`.)

use pasar_projector::slices::Catalog;

#[tokio::test]
async fn every_schema_is_recorded_once_in_the_one_history_table() {
    // Arrange: a projector migrated the database at start-up.
    let h = crate::support::Harness::new().await;

    // Act: a second start migrates again.
    pasar_projector::migrate::migrate(&h.pool).await.unwrap();

    // Assert
    let client = h.pool.get().await.unwrap();
    let owners: Vec<(String, i64)> = client
        .query(
            "SELECT owner, count(*) FROM pasar_migrations GROUP BY owner ORDER BY owner",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        owners,
        [
            (
                "event_store".to_owned(),
                steps(pasar_events::postgres::MIGRATIONS)
            ),
            (
                "read_models".to_owned(),
                steps(pasar_projector::migrate::MIGRATIONS)
            ),
            (
                "runtime".to_owned(),
                steps(pasar_events::runtime::checkpoint::MIGRATIONS)
            )
        ]
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

/// How many steps a migration set has (each recorded once).
fn steps(set: pasar_events::runtime::Migrations) -> i64 {
    set.steps.len() as i64
}
