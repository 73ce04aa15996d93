//! Snap `expiry`, the simulator's clock and the slow-expire switch.

use std::time::{Duration, Instant};

use pasar_tests::midtrans_sim::SimError;
use serde_json::{Value, json};

use super::support::{Client, Receiver, assert_midtrans_time, assert_signed, sim_with};

fn create_body(order_id: &str, expiry: Option<Value>) -> Value {
    let mut body = json!({
        "transaction_details": { "order_id": order_id, "gross_amount": 10000 },
        "item_details": [{ "id": "SKU-1", "price": 10000, "quantity": 1, "name": "Kaos" }],
    });
    if let Some(expiry) = expiry {
        body["expiry"] = expiry;
    }
    body
}

async fn show(sim_base: &str, order_id: &str) -> Value {
    reqwest::get(format!("{sim_base}/_sim/transactions/{order_id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_create_without_expiry_is_accepted_but_flagged_for_tests() {
    let sim = sim_with(None).await;
    let client = Client::new(&sim);
    let expiry =
        json!({ "start_time": "2026-01-15 10:00:00 +0700", "unit": "minutes", "duration": 15 });

    let (without, _) = client
        .post("/snap/v1/transactions", create_body("ORDER-40", None), &[])
        .await;
    let (with, _) = client
        .post(
            "/snap/v1/transactions",
            create_body("ORDER-41", Some(expiry)),
            &[],
        )
        .await;

    assert_eq!((without, with), (201, 201));
    let (flagged, recorded) = (
        show(&sim.base_url(), "ORDER-40").await,
        show(&sim.base_url(), "ORDER-41").await,
    );
    assert_eq!(flagged["expiry_missing"], true);
    assert_eq!(flagged["expiry"], Value::Null);
    assert_eq!(recorded["expiry_missing"], false);
    assert_eq!(
        recorded["expiry"],
        json!({ "start_time": "2026-01-15 10:00:00 +0700", "unit": "minutes", "duration": 15, "seconds": 900 })
    );
}

#[tokio::test]
async fn a_malformed_expiry_is_a_validation_error() {
    let sim = sim_with(None).await;
    let client = Client::new(&sim);
    let cases = [
        json!({ "unit": "second", "duration": 30 }),
        json!({ "unit": "minute", "duration": 0 }),
        json!({ "start_time": "yesterday", "unit": "hour", "duration": 1 }),
    ];

    for (i, expiry) in cases.into_iter().enumerate() {
        let order_id = format!("ORDER-5{i}");
        let (status, body) = client
            .post(
                "/snap/v1/transactions",
                create_body(&order_id, Some(expiry)),
                &[],
            )
            .await;

        assert_eq!(status, 400, "{body}");
        assert!(
            body["error_messages"][0]
                .as_str()
                .unwrap()
                .starts_with("expiry.")
        );
        assert!(sim.transaction(&order_id).is_none());
    }
}

#[tokio::test]
async fn a_pending_payment_past_its_expiry_expires_with_a_notification_and_cannot_be_paid() {
    // Arrange
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    let expiry = json!({ "unit": "minute", "duration": 10 });
    client
        .post(
            "/snap/v1/transactions",
            create_body("ORDER-60", Some(expiry)),
            &[],
        )
        .await;
    sim.set_status("ORDER-60", "pending", None).await.unwrap();
    let pending = hook.bodies()[0].clone();

    // Act
    let early = sim.advance_clock(Duration::from_secs(9 * 60)).await;
    let expired = sim.advance_clock(Duration::from_secs(60)).await;
    let paid = sim.pay("ORDER-60").await.unwrap_err();

    // Assert
    assert!(early.is_empty(), "the window is still open after 9 minutes");
    assert_eq!(expired, ["ORDER-60"]);
    let tx = sim.transaction("ORDER-60").unwrap();
    assert_eq!(
        pending["expiry_time"],
        json!(tx.expiry_time),
        "pending shows the Snap deadline"
    );
    assert_midtrans_time(&pending["expiry_time"]);
    assert_eq!(tx.status, "expire");
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 2, "pending, expire, and no settlement");
    assert_eq!(bodies[1]["transaction_status"], "expire");
    assert_eq!(bodies[1]["status_code"], "407");
    assert_signed(&bodies[1]);
    assert!(matches!(
        paid.downcast_ref(),
        Some(SimError::IllegalTransition { .. })
    ));
    let (_, status) = client.status("ORDER-60").await;
    assert_eq!(status["transaction_status"], "expire");
}

#[tokio::test]
async fn a_snap_page_past_its_start_time_window_cannot_choose_a_payment_method() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    let start = (chrono::Utc::now() + chrono::Duration::hours(7))
        .format("%Y-%m-%d %H:%M:%S +0700")
        .to_string();
    let expiry = json!({ "start_time": start, "unit": "minute", "duration": 5 });
    client
        .post(
            "/snap/v1/transactions",
            create_body("ORDER-61", Some(expiry)),
            &[],
        )
        .await;

    let expired = sim.advance_clock(Duration::from_secs(5 * 60)).await;
    let paid = sim.pay("ORDER-61").await.unwrap_err();

    assert!(
        expired.is_empty(),
        "Midtrans has no transaction to expire yet"
    );
    assert!(matches!(
        paid.downcast_ref(),
        Some(SimError::PaymentWindowClosed(_))
    ));
    assert_eq!(sim.transaction("ORDER-61").unwrap().status, "created");
    assert_eq!(client.status("ORDER-61").await.0, 404);
    assert!(hook.bodies().is_empty());
}

#[tokio::test]
async fn the_clock_control_endpoint_expires_over_http() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    let expiry = json!({ "unit": "hour", "duration": 1 });
    client
        .post(
            "/snap/v1/transactions",
            create_body("ORDER-62", Some(expiry)),
            &[],
        )
        .await;
    sim.set_status("ORDER-62", "pending", None).await.unwrap();

    let answer: Value = reqwest::Client::new()
        .post(format!("{}/_sim/clock/advance", sim.base_url()))
        .json(&json!({ "seconds": 3600 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(answer, json!({ "expired": ["ORDER-62"] }));
    assert_eq!(hook.bodies()[1]["transaction_status"], "expire");
}

#[tokio::test]
async fn a_slow_expire_lets_a_settlement_in_first_and_then_answers_412() {
    // Arrange
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    client.snap_create("ORDER-63", 10000).await;
    sim.set_status("ORDER-63", "pending", None).await.unwrap();
    let delay = Duration::from_secs(2);
    let set = reqwest::Client::new()
        .put(format!("{}/_sim/delay/expire", sim.base_url()))
        .json(&json!({ "millis": delay.as_millis() }))
        .send()
        .await
        .unwrap();

    // Act
    let started = Instant::now();
    let expire = client.post("/v2/ORDER-63/expire", json!({}), &[]);
    let pay = async {
        let answered = sim.pay("ORDER-63").await.unwrap();
        (answered, started.elapsed())
    };
    let ((expire_http, expire_body), (paid, paid_after)) = tokio::join!(expire, pay);

    // Assert
    assert_eq!(set.status().as_u16(), 204);
    assert_eq!(paid, 200);
    assert!(
        paid_after < delay,
        "the settlement did not wait for the slow expire"
    );
    assert!(
        started.elapsed() >= delay,
        "expire answered before its delay"
    );
    assert_eq!(expire_http, 412);
    assert_eq!(expire_body["status_code"], "412");
    assert_eq!(sim.transaction("ORDER-63").unwrap().status, "settlement");
}
