//! The `/_sim` knobs: injected 5xx, forced 429, the quota, latency, empty couriers, the call
//! log and reset, through the Rust handle and over HTTP.

use std::time::{Duration, Instant};

use serde_json::json;

use super::support::{KEY, control, cost, get, search, sim, sim_with_quota};

const PROVINCES: &str = "/api/v1/destination/province";

#[tokio::test]
async fn fail_next_answers_500_in_the_envelope_then_recovers() {
    let sim = sim().await;
    sim.fail_next(2, 500);

    let first = get(&sim, PROVINCES, Some(KEY)).await;
    let second = get(&sim, PROVINCES, Some(KEY)).await;
    let third = get(&sim, PROVINCES, Some(KEY)).await;

    first.assert_failed(500);
    second.assert_failed(500);
    assert_eq!(third.status, 200);
}

#[tokio::test]
async fn a_gateway_failure_is_an_html_page() {
    let sim = sim().await;
    assert_eq!(
        control(&sim, "POST", "/_sim/fail-next", json!({ "status": 503 })).await,
        204
    );

    let answer = get(&sim, PROVINCES, Some(KEY)).await;

    assert_eq!(answer.status, 503);
    assert!(
        answer
            .body
            .as_str()
            .unwrap()
            .contains("503 Service Unavailable")
    );
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn injected_failures_come_before_the_key_check() {
    let sim = sim().await;
    sim.fail_next(1, 502);

    assert_eq!(get(&sim, PROVINCES, None).await.status, 502);
}

#[tokio::test]
async fn a_forced_429_carries_retry_after_only_when_asked() {
    let sim = sim().await;
    assert_eq!(
        control(
            &sim,
            "POST",
            "/_sim/rate-limit",
            json!({ "count": 1, "retry_after": 30 })
        )
        .await,
        204
    );

    let limited = get(&sim, PROVINCES, Some(KEY)).await;
    sim.rate_limit_next(1, None);
    let limited_again = get(&sim, PROVINCES, Some(KEY)).await;
    let after = get(&sim, PROVINCES, Some(KEY)).await;

    limited.assert_failed(429);
    assert_eq!(limited.headers["retry-after"], "30");
    limited_again.assert_failed(429);
    assert!(!limited_again.headers.contains_key("retry-after"));
    assert_eq!(after.status, 200);
}

#[tokio::test]
async fn a_used_up_quota_answers_429_until_it_is_set_again() {
    let sim = sim_with_quota(Some(2)).await;

    let wrong_key = get(&sim, PROVINCES, Some("wrong")).await;
    let first = get(&sim, PROVINCES, Some(KEY)).await;
    let second = search(&sim, "search=medan").await;
    let third = get(&sim, PROVINCES, Some(KEY)).await;
    assert_eq!(
        control(&sim, "PUT", "/_sim/quota", json!({ "limit": 1 })).await,
        204
    );
    let after_reset = get(&sim, PROVINCES, Some(KEY)).await;

    wrong_key.assert_failed(400);
    assert_eq!((first.status, second.status), (200, 200));
    third.assert_failed(429);
    assert_eq!(after_reset.status, 200);
}

#[tokio::test]
async fn latency_delays_every_api_call() {
    let sim = sim().await;
    assert_eq!(
        control(&sim, "PUT", "/_sim/latency", json!({ "millis": 300 })).await,
        204
    );

    let started = Instant::now();
    let answer = get(&sim, PROVINCES, Some(KEY)).await;

    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn an_empty_courier_adds_no_rows() {
    let sim = sim().await;
    let form = |courier| {
        vec![
            ("origin", "17373"),
            ("destination", "35190"),
            ("weight", "1000"),
            ("courier", courier),
        ]
    };
    assert_eq!(
        control(
            &sim,
            "PUT",
            "/_sim/couriers/jne/empty",
            json!({ "empty": true })
        )
        .await,
        204
    );

    let only_jne = cost(&sim, &form("jne")).await.rows();
    let with_pos = cost(&sim, &form("jne:pos")).await.rows();
    sim.set_courier_empty("jne", false);
    let back = cost(&sim, &form("jne")).await.rows();

    assert!(only_jne.is_empty());
    assert!(!with_pos.is_empty() && with_pos.iter().all(|r| r["code"] == "pos"));
    assert_eq!(back.len(), 3);
}

#[tokio::test]
async fn the_call_log_records_api_calls_without_the_key() {
    let sim = sim().await;

    search(&sim, "search=gambir").await;
    get(&sim, PROVINCES, None).await;
    let calls = reqwest::get(format!("{}/_sim/calls", sim.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let log = sim.calls();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[0].path,
        "/api/v1/destination/domestic-destination?search=gambir"
    );
    assert_eq!(
        (log[0].method.as_str(), log[0].key_present, log[0].status),
        ("GET", true, 200)
    );
    assert_eq!((log[1].key_present, log[1].status), (false, 401));
    assert!(!calls.contains(KEY));
    assert!(calls.contains("domestic-destination"));
}

#[tokio::test]
async fn reset_clears_knobs_and_the_log() {
    let sim = sim_with_quota(Some(1)).await;
    sim.fail_next(3, 500);
    get(&sim, PROVINCES, Some(KEY)).await.assert_failed(500);
    // Were reset to leave this in place, the calls below would take a minute.
    sim.set_latency(Duration::from_secs(60));

    assert_eq!(control(&sim, "POST", "/_sim/reset", json!({})).await, 204);
    let first = get(&sim, PROVINCES, Some(KEY)).await;
    let over_quota = get(&sim, PROVINCES, Some(KEY)).await;

    assert_eq!(first.status, 200);
    over_quota.assert_failed(429);
    assert_eq!(sim.calls().len(), 2);
}

#[tokio::test]
async fn controls_refuse_values_they_cannot_apply() {
    let sim = sim().await;

    assert_eq!(
        control(&sim, "POST", "/_sim/fail-next", json!({ "status": 404 })).await,
        422
    );
    assert_eq!(
        control(
            &sim,
            "PUT",
            "/_sim/couriers/fedex/empty",
            json!({ "empty": true })
        )
        .await,
        422
    );
}
