//! The soak's short form: the same load, chaos and checks as `pasar-bench soak`, for
//! `SOAK_SECONDS` (default 60). It restarts the machine's PostgreSQL and NATS, so it is a test
//! binary of its own (cargo runs test binaries one after another) with a single test.
//! `SOAK_RESTARTS=0` leaves PostgreSQL and NATS alone (kills of the services still happen).

use std::time::Duration;

use pasar_tests::soak::{Options, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_books_balance_after_kills_restarts_and_unruly_notifications() {
    // Arrange
    let seconds = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let restarts = std::env::var("SOAK_RESTARTS").map_or(true, |v| v != "0");
    let options = Options {
        buyers: 20,
        sellers: 4,
        kill_every: Duration::from_secs(15),
        restart_postgres: restarts,
        restart_nats: restarts,
        ..Options::full(Duration::from_secs(seconds))
    };

    // Act
    let report = run(options).await.expect("the soak ran");

    // Assert
    println!("{}", report.render());
    assert!(report.load.placed > 0, "no checkout succeeded: {report:?}");
    assert!(report.load.paid > 0, "nothing was paid: {report:?}");
    assert!(report.passed(), "{}", report.render());
}
