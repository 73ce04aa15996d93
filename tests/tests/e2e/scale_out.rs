//! Several instances of each service on one database: one active instance per processor (the
//! leader lock), the others standing by, and a kill -9 of the active one handed over to a
//! standby within seconds, with nothing lost or applied twice.

use std::time::{Duration, Instant};

use pasar_tests::pg_cluster::PgCluster;
use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{listed_product, one_unit_ordered, until_paid};

/// How long the issue allows from the kill of the active instance to the standby's work.
const HANDOVER: Duration = Duration::from_secs(5);

/// Waits (up to 20 s) until the instance at `url` reports `processor` active (or standing by).
async fn until_active(stack: &Stack, url: &str, processor: &str, active: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let gauges = stack.active_processors(url).await;
        if gauges
            .iter()
            .any(|(name, a)| name == processor && *a == active)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url}: {processor} never became active={active}; gauges {gauges:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_standby_projector_takes_over_a_killed_one_and_nothing_is_lost_or_applied_twice() {
    // Arrange: two projectors and two query APIs; the first projector holds every slice.
    let mut stack = Stack::start().await.unwrap();
    let first = stack.projector_url.clone();
    until_active(&stack, &first, "catalog", true).await;
    let standby = stack
        .start_instance("projector", "projector-2")
        .await
        .unwrap();
    until_active(&stack, &standby, "catalog", false).await;
    stack.query_url = stack
        .start_instance("query-api", "query-api-2")
        .await
        .unwrap();
    let listed = listed_product(&stack, 15_000, 10).await;
    let receipts = format!("/v1/inventory/{}/receipts", listed.product_id);
    let receive = json!({ "quantity": 5 });

    // Act: kill -9 the active projector, then write.
    stack.kill("projector");
    let killed = Instant::now();
    let (status, body, token) = stack
        .command(
            Method::POST,
            &receipts,
            Some(&listed.seller_token),
            Some(receive),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Assert: the standby holds the slice within the bound, and the write is read through
    // the second query API, once (a double-applied receipt would read 20).
    until_active(&stack, &standby, "catalog", true).await;
    let handover = killed.elapsed();
    let product = format!("/v1/products/{}", listed.product_id);
    let (status, read) = stack.query(&product, None, token.as_deref()).await;
    eprintln!(
        "projector handover: standby active {handover:?} after the kill, the write read {:?} after it",
        killed.elapsed()
    );
    assert!(handover < HANDOVER, "handover took {handover:?}");
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["available"], 15, "each receipt counted once: {read}");
}

#[tokio::test]
async fn a_payment_is_handled_by_the_standby_command_api_after_the_active_one_is_killed() {
    // Arrange: a second command API; the first one hosts the order flow; an unpaid order.
    let mut stack = Stack::start().await.unwrap();
    let first = stack.command_url.clone();
    until_active(&stack, &first, "order-flow", true).await;
    let second = stack
        .start_instance("command-api", "command-api-2")
        .await
        .unwrap();
    until_active(&stack, &second, "order-flow", false).await;
    let (listed, buyer, payment, order) = one_unit_ordered(&stack).await;

    // Act: kill -9 the first command API; Midtrans now reaches the second one.
    stack.kill("command-api");
    let killed = Instant::now();
    stack.command_url = second.clone();
    stack
        .sim
        .set_notification_url(&format!("{second}/v1/webhooks/midtrans"));
    assert_eq!(stack.sim.pay(&payment).await.unwrap(), 200);

    // Assert: the standby's order flow marks the order paid and commits the unit, once.
    until_paid(&stack, &buyer, &order, listed.product_id, 4).await;
    eprintln!(
        "reactor handover: the order read paid {:?} after the kill",
        killed.elapsed()
    );
    until_active(&stack, &second, "order-flow", true).await;
    let commits = crate::support::count(&stack, "ReservationCommitted").await;
    assert_eq!(commits, 1, "the paid line is committed once");
}

#[tokio::test]
async fn a_query_api_on_a_streaming_replica_reads_its_own_writes_exactly() {
    // Arrange: a throw-away primary and its hot standby; the stack writes the primary, a
    // second query API reads the standby.
    let primary = PgCluster::primary().unwrap();
    let replica = primary.replica().unwrap();
    let mut stack = Stack::start_on(&primary.url(), &[]).await.unwrap();
    let database = stack.database_url.rsplit('/').next().unwrap().to_owned();
    let replica_url = format!("{}/{database}", replica.url());
    let (client, connection) = tokio_postgres::connect(&replica_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let in_recovery: bool = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(in_recovery, "the replica is a standby");
    let env = [("QUERY_DATABASE_URL", replica_url.clone())];
    stack.query_url = stack
        .start_instance_with("query-api", "query-api-replica", &env)
        .await
        .unwrap();
    let (listed, buyer, _payment, order) = one_unit_ordered(&stack).await;

    // Act: a write on the primary, read at once through the replica with its token.
    let receipts = format!("/v1/inventory/{}/receipts", listed.product_id);
    let (status, body, token) = stack
        .command(
            Method::POST,
            &receipts,
            Some(&listed.seller_token),
            Some(json!({ "quantity": 7 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let product = format!("/v1/products/{}", listed.product_id);
    let (status, read) = stack.query(&product, None, token.as_deref()).await;

    // Assert: the token waited for the replica's own checkpoint (5 - 1 reserved + 7); search
    // and the order's history (read from the replicated log) work there too.
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["available"], 11, "{read}");
    let (status, hits) = stack
        .query("/v1/search?q=kaos", None, token.as_deref())
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    let found = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == listed.product_id.to_string());
    assert_eq!(found.map(|h| &h["available"]), Some(&json!(11)), "{hits}");
    let history = format!("/v1/orders/{order}/history");
    let (status, events) = stack.query(&history, Some(&buyer), None).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert!(
        events["events"].as_array().is_some_and(|e| !e.is_empty()),
        "{events}"
    );
}

#[tokio::test]
async fn the_mixed_benchmark_runs_in_its_short_form() {
    let options = pasar_tests::bench::mixed::Options {
        products: 12,
        clients: 4,
        duration: Duration::from_secs(2),
    };
    let report = pasar_tests::bench::mixed::run(options).await.unwrap();
    pasar_tests::bench::mixed::print(&report);
    for class in &report.classes {
        assert!(
            class.requests > 0,
            "no {} requests were answered",
            class.name
        );
        assert_eq!(class.errors, 0, "{} requests failed", class.name);
    }
    assert_eq!(report.usage.len(), 6, "every instance is measured");
    assert!(
        report.usage.iter().all(|u| u.rss_mb > 0.0),
        "every instance was running"
    );
}
