//! Operator tools: `projector status`, `rebuild`, `drop-retired` and `events`, through the
//! real binary where the command line itself is what is tested.

use pasar_events::types::{StockEvent, streams};
use pasar_projector::registry;
use pasar_projector::slices::Catalog;
use serde_json::Value;
use uuid::Uuid;

use crate::crash::PROJECTOR;
use crate::support::Harness;
use crate::support::fixtures::product_listed;
use crate::support::workload::{append_shop, dump};

/// Runs the binary against the harness's database; returns (success, stdout, stderr).
async fn projector(h: &Harness, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(PROJECTOR)
        .args(args)
        .env("DATABASE_URL", &h.db.url)
        .env("NATS_URL", "nats://127.0.0.1:4222")
        .env("PUBLISHER_ENABLED", "false")
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("the projector binary (cargo build --workspace --bins)");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn status_shows_version_state_position_and_lag_of_live_and_building_versions() {
    // Arrange: everything projected, then a rebuild of the catalog registered but not run.
    let h = Harness::new().await;
    append_shop(&h, 3).await;
    let caught_up = h.project().await;
    let events = h.count("SELECT count(*) FROM es_events").await;
    registry::begin_building(&mut h.pool.get().await.unwrap(), &Catalog)
        .await
        .unwrap();

    // Act
    let report = pasar_projector::status_report(&h.config("127.0.0.1:0"))
        .await
        .unwrap();

    // Assert
    let line = |name: &str, state: &str| {
        report
            .lines()
            .find(|l| l.starts_with(name) && l.contains(state))
            .unwrap_or_else(|| panic!("no {state} line for {name} in\n{report}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let live = line("catalog", "live");
    let position = caught_up.position("catalog").unwrap().to_string();
    assert_eq!(
        &live[..5],
        ["catalog", "1", "live", &position, "0"],
        "{report}"
    );
    assert_eq!(live[5], "0.0", "no lag in seconds when caught up: {report}");
    let building = line("catalog", "building");
    assert_eq!(
        &building[..5],
        ["catalog", "2", "building", "0-0", &events.to_string()],
        "{report}"
    );
    for name in ["carts", "orders", "payments"] {
        line(name, "live");
    }
}

#[tokio::test]
async fn the_command_line_rebuilds_drops_retired_versions_and_prints_a_stream() {
    // Arrange
    let h = Harness::new().await;
    append_shop(&h, 5).await;
    let product = Uuid::new_v4();
    h.append(
        &streams::product(product),
        &[product_listed(product, Uuid::new_v4(), 3_000)],
    )
    .await;
    let received = StockEvent::StockReceived {
        quantity: 3,
        on_hand: 3,
        available: 3,
    };
    h.append(&streams::stock(product), &[received]).await;
    h.project().await;
    let before = dump(&h).await;

    // Act
    let rebuilt = projector(&h, &["rebuild", "--all", "--keep-retired"]).await;
    let status = projector(&h, &["status"]).await;
    let dropped = projector(&h, &["drop-retired"]).await;
    let refused = projector(&h, &["rebuild", "publisher"]).await;
    let events = projector(&h, &["events", &streams::stock(product)]).await;

    // Assert
    assert!(rebuilt.0, "{rebuilt:?}");
    for name in ["catalog", "carts", "orders", "payments"] {
        let line = format!("{name}: version 2 is live at ");
        assert!(rebuilt.1.contains(&line), "{}", rebuilt.1);
        let kept = format!("{name}: dropped version 1 (schema rm_{name}_v1)");
        assert!(dropped.1.contains(&kept), "{}", dropped.1);
    }
    assert!(
        rebuilt
            .1
            .contains("tables kept until `projector drop-retired`")
    );
    assert!(status.0 && status.1.contains("catalog") && status.1.contains(" live "));
    assert!(
        !refused.0,
        "rebuilding the publisher must fail: {refused:?}"
    );
    assert!(
        refused.2.contains("no projection named publisher"),
        "{}",
        refused.2
    );
    assert_eq!(dump(&h).await, before);
    let lines: Vec<Value> = events
        .1
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", events.1);
    let event = &lines[0];
    assert_eq!(event["stream"], streams::stock(product));
    assert_eq!(event["version"], 1);
    assert_eq!(event["type"], "StockReceived");
    assert_eq!(event["schema_version"], 1);
    assert_eq!(event["data"]["on_hand"], 3);
    for field in ["event_id", "position", "metadata", "recorded_at"] {
        assert!(!event[field].is_null(), "{field} in {event}");
    }
}
