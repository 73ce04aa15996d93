//! `projector rebuild`: the next version is built beside the live one and swapped in without
//! readers ever seeing an error or an empty read model, and it reproduces the live one exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::streams::{self, Category};
use pasar_projector::slices::{Catalog, Write};
use pasar_projector::{Projection, ProjectorError, RebuildOptions, registry};
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;
use uuid::Uuid;

use crate::support::Harness;
use crate::support::fixtures::product_listed;
use crate::support::workload::{append_shop, dump};

/// Reads the way the query API does, in a loop, until told to stop; returns how many rounds
/// it made and every problem it saw (an error, or fewer rows than were there at the start).
fn keep_reading(
    url: String,
    products: i64,
    orders: i64,
    stop: Arc<AtomicBool>,
) -> JoinHandle<(u64, Vec<String>)> {
    tokio::spawn(async move {
        let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(connection);
        // Prepared once and reused across the swap, as a pooled connection's cache would.
        let newest = client
            .prepare(
                "SELECT id, status, total FROM rm.orders
                 ORDER BY placed_txid DESC, placed_global DESC LIMIT 20",
            )
            .await
            .unwrap();
        let (mut rounds, mut problems) = (0, Vec::new());
        while !stop.load(Ordering::Relaxed) {
            rounds += 1;
            match client
                .query_one(
                    "SELECT count(*) FROM rm.products WHERE status IS NOT NULL",
                    &[],
                )
                .await
            {
                Ok(row) if row.get::<_, i64>(0) >= products => {}
                Ok(row) => problems.push(format!("{} products", row.get::<_, i64>(0))),
                Err(e) => problems.push(format!("products: {e}")),
            }
            match client.query(&newest, &[]).await {
                Ok(rows) if rows.len() as i64 >= orders.min(20) => {}
                Ok(rows) => problems.push(format!("{} newest orders", rows.len())),
                Err(e) => problems.push(format!("orders: {e}")),
            }
        }
        (rounds, problems)
    })
}

/// Lists a product every few milliseconds and waits until the read model shows it, until told
/// to stop; returns how many it listed and the longest wait. A live version that stopped
/// projecting during the rebuild would make a wait time out.
fn keep_listing(h: Arc<Harness>, stop: Arc<AtomicBool>) -> JoinHandle<(usize, Duration)> {
    tokio::spawn(async move {
        let (mut listed, mut longest) = (0, Duration::ZERO);
        while !stop.load(Ordering::Relaxed) {
            let product = Uuid::new_v4();
            h.append(
                &streams::product(product),
                &[product_listed(product, Uuid::new_v4(), 5_000)],
            )
            .await;
            let appended = Instant::now();
            while h.row("rm.products", product).await.is_none() {
                assert!(
                    appended.elapsed() < Duration::from_secs(15),
                    "a product listed during the rebuild was never projected"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            listed += 1;
            longest = longest.max(appended.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (listed, longest)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_see_no_error_and_no_empty_result_while_every_projection_is_rebuilt() {
    // Arrange: a projected shop, the projector service running, readers and a writer busy.
    let h = Arc::new(Harness::new().await);
    let orders = append_shop(&h, 250).await as i64;
    h.project().await;
    let products = h
        .count("SELECT count(*) FROM rm.products WHERE status IS NOT NULL")
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop_service, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(pasar_projector::run(
        h.config("127.0.0.1:0"),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| keep_reading(h.db.url.clone(), products, orders, Arc::clone(&stop)))
        .collect();
    let writer = keep_listing(Arc::clone(&h), Arc::clone(&stop));

    // Act
    let started = Instant::now();
    let mut rebuilt = Vec::new();
    for name in h.projector.names() {
        let options = RebuildOptions::default();
        rebuilt.push(h.projector.rebuild(name, &options).await.unwrap());
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);

    // Assert
    for reader in readers {
        let (rounds, problems) = reader.await.unwrap();
        assert!(problems.is_empty(), "readers saw {problems:?}");
        assert!(rounds > 20, "readers kept reading ({rounds} rounds)");
    }
    let (listed, longest) = writer.await.unwrap();
    assert!(listed > 0, "products were listed during the rebuild");
    eprintln!(
        "rebuilt {} projections over {} events in {elapsed:?}; {listed} products listed meanwhile, longest wait {longest:?}",
        rebuilt.len(),
        rebuilt.iter().map(|r| r.events).sum::<u64>()
    );
    for r in &rebuilt {
        assert_eq!(
            (r.version, r.replaced, r.dropped),
            (2, Some(1), true),
            "{r:?}"
        );
    }
    for (name, version, state, dropped) in h.versions().await {
        let expected = if version == 1 {
            ("retired", true)
        } else {
            ("live", false)
        };
        assert_eq!((state.as_str(), dropped), expected, "{name} v{version}");
    }
    assert_eq!(
        h.count("SELECT count(*) FROM rm.products WHERE status IS NOT NULL")
            .await,
        products + listed as i64,
        "the new version has everything, including what was listed during the rebuild"
    );
    // The running service projects into the new version without a restart.
    let product = Uuid::new_v4();
    h.append(
        &streams::product(product),
        &[product_listed(product, Uuid::new_v4(), 7_000)],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while h.row("rm.products", product).await.is_none() {
        assert!(
            Instant::now() < deadline,
            "the service did not follow the swap"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        h.count("SELECT count(*) FROM rm_catalog_v2.products WHERE status IS NOT NULL")
            .await,
        products + listed as i64 + 1
    );
    stop_service.send(()).unwrap();
    service.await.unwrap().unwrap();
}

#[tokio::test]
async fn rebuilding_every_projection_from_zero_reproduces_the_read_models_row_for_row() {
    // Arrange
    let h = Harness::new().await;
    append_shop(&h, 60).await;
    h.project().await;
    let before = dump(&h).await;
    for (table, rows) in &before {
        assert!(!rows.is_empty(), "{table} has rows to compare");
    }

    // Act
    let options = RebuildOptions {
        keep_retired: true,
        ..RebuildOptions::default()
    };
    for name in h.projector.names() {
        let rebuilt = h.projector.rebuild(name, &options).await.unwrap();
        assert_eq!((rebuilt.version, rebuilt.dropped), (2, false));
    }

    // Assert: every column of every row, nothing excluded.
    assert_eq!(dump(&h).await, before);
    assert_eq!(
        h.rows("rm_orders_v1.orders").await,
        h.rows("rm_orders_v2.orders").await,
        "the kept retired version is untouched"
    );
    let mut client = h.pool.get().await.unwrap();
    let dropped = registry::drop_retired(&mut client, None).await.unwrap();
    assert_eq!(dropped.len(), 5, "{dropped:?}");
    assert_eq!(
        h.count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rm\\_%\\_v1'")
            .await,
        0
    );
    assert_eq!(dump(&h).await, before);
}

#[tokio::test]
async fn a_rebuild_that_stopped_half_way_resumes_its_version() {
    // Arrange: version 2 registered and partly filled, as a rebuild killed mid-way leaves it.
    let h = Harness::new().await;
    append_shop(&h, 10).await;
    h.project().await;
    let before = dump(&h).await;
    let building = {
        let mut client = h.pool.get().await.unwrap();
        registry::begin_building(&mut client, &Catalog)
            .await
            .unwrap()
    };
    let product = Uuid::new_v4();
    h.pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO rm_catalog_v2.products (id, updated_at) VALUES ($1, now())",
            &[&product],
        )
        .await
        .unwrap();

    // Act
    let rebuilt = h
        .projector
        .rebuild("catalog", &RebuildOptions::default())
        .await
        .unwrap();

    // Assert
    assert_eq!((building.version, rebuilt.version), (2, 2));
    assert!(
        h.row("rm.products", product).await.is_some(),
        "the half-built version was continued, not started over"
    );
    let client = h.pool.get().await.unwrap();
    client
        .execute("DELETE FROM rm.products WHERE id = $1", &[&product])
        .await
        .unwrap();
    assert_eq!(dump(&h).await, before);
}

/// Stands for anything with side effects: it does not declare itself replay-safe.
struct Mailer;

#[async_trait]
impl Projection for Mailer {
    fn name(&self) -> &'static str {
        "mailer"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Order]
    }

    fn writes(&self, _: &RecordedEvent, _: &mut Vec<Write>) -> Result<(), ProjectorError> {
        Ok(())
    }
}

#[tokio::test]
async fn only_replay_safe_projections_are_ever_rebuilt() {
    let h = Harness::new().await;
    let registered = h.versions().await;

    let publisher = h
        .projector
        .rebuild("publisher", &RebuildOptions::default())
        .await
        .unwrap_err();

    let mailer = h
        .projector
        .rebuild_projection(Arc::new(Mailer), &RebuildOptions::default())
        .await
        .unwrap_err();

    assert!(
        matches!(publisher, ProjectorError::UnknownProjection(_)),
        "{publisher}"
    );
    assert!(!Mailer.replay_safe(), "side effects are opt-out by default");
    assert!(
        matches!(&mailer, ProjectorError::NotReplaySafe(name) if name == "mailer"),
        "{mailer}"
    );
    assert_eq!(h.versions().await, registered, "nothing was registered");
}
