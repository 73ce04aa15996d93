//! The real `projector` binary, killed with SIGKILL in the middle of a batch, resumes from its
//! last committed checkpoint: no event applied twice, none skipped.

use std::process::Stdio;
use std::time::{Duration, Instant};

use pasar_events::EventStore;
use pasar_projector::{BATCH_SIZE, RebuildOptions};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::support::Harness;
use crate::support::workload::{append_stock_churn, dump, stock_figures};

/// The binary cargo builds next to this test binary (`target/<profile>/projector`, the
/// `current_exe()/../../projector` path); cargo builds it before integration tests run.
pub const PROJECTOR: &str = env!("CARGO_BIN_EXE_projector");

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `projector run` against `database_url`, serving HTTP on `port`; killed if dropped.
fn spawn_projector(database_url: &str, port: u16) -> Child {
    Command::new(PROJECTOR)
        .arg("run")
        .env("DATABASE_URL", database_url)
        .env("PROJECTOR_ADDR", format!("127.0.0.1:{port}"))
        .env("NATS_URL", "nats://127.0.0.1:4222")
        // Never into the shared PASAR_EVENTS stream of the local NATS.
        .env("PUBLISHER_ENABLED", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the projector binary (cargo build --workspace --bins)")
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Product rows whose stock figures do not match exactly the stock events up to the catalog
/// checkpoint: a row written by a batch that did not commit, or one missing from a batch that
/// did.
const ROWS_OFF_CHECKPOINT: &str = "
    WITH cp AS (
        SELECT txid::text::xid8 AS txid, global FROM rm.projection_checkpoints
        WHERE name = 'catalog'
    ), covered AS (
        SELECT substring(stream_id FROM 7)::uuid AS id, max(stream_version) AS version
        FROM es_events, cp
        WHERE stream_id LIKE 'stock-%' AND (transaction_id, global_position) <= (cp.txid, cp.global)
        GROUP BY stream_id
    )
    SELECT count(*) FROM covered c FULL JOIN rm.products p ON p.id = c.id
    WHERE COALESCE(p.stock_version, 0) IS DISTINCT FROM COALESCE(c.version, 0)";

/// `pasar_projection_events_total{projection="<name>"}` from the projector's /metrics.
async fn events_applied(port: u16, projection: &str) -> u64 {
    let body = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("pasar_projection_events_total{{projection=\"{projection}\"}} ");
    body.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_mid_batch_resumes_without_applying_an_event_twice() {
    // Arrange: a stock-heavy log whose final figures the test knows (about 5 000 events).
    let h = Harness::new().await;
    let expected = append_stock_churn(&h, 120, 40).await;
    h.wait_readable().await;
    let head = h.store.head().await.unwrap();
    let tag = format!("pasar_crash_{}", Uuid::new_v4().simple());
    let url = format!("{}?application_name={tag}", h.db.url);
    let batch_open = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{tag}'
         AND backend_xid IS NOT NULL AND query LIKE '%products%'"
    );

    // Act: SIGKILL while a catalog batch has written rows but not committed, after a random
    // number of committed batches.
    let committed = 1 + (Uuid::new_v4().as_u128() % 5) as i64 * BATCH_SIZE as i64;
    let mut first = spawn_projector(&url, free_port());
    eventually("the catalog has committed some batches", async || {
        h.checkpoint("catalog").await.global >= committed
    })
    .await;
    eventually("a catalog batch is open", async || {
        h.count(&batch_open).await > 0
    })
    .await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let at_kill = h.checkpoint("catalog").await;
    let off = h.count(ROWS_OFF_CHECKPOINT).await;
    let pending = h
        .count(&format!(
            "SELECT count(*) FROM es_events
             WHERE (transaction_id, global_position) > ('{}'::xid8, {})",
            at_kill.txid, at_kill.global
        ))
        .await;
    let port = free_port();
    let mut second = spawn_projector(&url, port);
    eventually("the restarted projector caught up", async || {
        let mut all = true;
        for name in ["catalog", "carts", "orders", "payments"] {
            all &= h.checkpoint(name).await == head;
        }
        all
    })
    .await;
    let applied = events_applied(port, "catalog").await;
    second.start_kill().unwrap();
    second.wait().await.unwrap();

    // Assert
    eprintln!(
        "killed at {at_kill} (head {head}); the restart applied {applied} of {pending} pending events"
    );
    assert!(
        at_kill < head,
        "killed mid-way (checkpoint {at_kill}, head {head})"
    );
    assert_eq!(
        off, 0,
        "at the kill, the rows matched the committed checkpoint exactly"
    );
    assert_eq!(
        applied, pending as u64,
        "the restart applied exactly the events after the checkpoint, none twice"
    );
    assert_eq!(stock_figures(&h).await, expected);
    let resumed = dump(&h).await;
    for name in h.projector.names() {
        h.projector
            .rebuild(name, &RebuildOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(dump(&h).await, resumed, "equal to a catch-up from scratch");
}
