use std::time::Duration;

use pasar_tests::midtrans_sim::{RetrySchedule, SimError, signature_key};
use serde_json::json;

use super::support::{
    Client, KEY, Receiver, assert_midtrans_time, assert_signed, eventually, sim_with,
};

#[tokio::test]
async fn paying_sends_signed_pending_then_settlement_notifications() {
    // Arrange
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    Client::new(&sim).snap_create("ORDER-10", 150000).await;

    // Act
    let answered = sim.pay("ORDER-10").await.unwrap();

    // Assert
    assert_eq!(answered, 200);
    let received = hook.received();
    assert_eq!(received.len(), 2);
    for r in &received {
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(r.headers["accept"], "application/json");
        assert_eq!(r.headers["user-agent"], "Veritrans");
        assert_signed(&r.body);
        assert_eq!(r.body["status_message"], "midtrans payment notification");
        assert_eq!(r.body["payment_type"], "bank_transfer");
        assert_eq!(r.body["va_numbers"][0]["bank"], "bca");
        assert_eq!(r.body["gross_amount"], "150000.00");
        assert_eq!(r.body["order_id"], "ORDER-10");
        assert_midtrans_time(&r.body["transaction_time"]);
    }
    let (pending, settlement) = (&received[0].body, &received[1].body);
    assert_eq!(
        (
            pending["transaction_status"].as_str(),
            pending["status_code"].as_str()
        ),
        (Some("pending"), Some("201"))
    );
    assert_midtrans_time(&pending["expiry_time"]);
    assert_eq!(pending["payment_amounts"], json!([]));
    assert_eq!(settlement["transaction_status"], "settlement");
    assert_eq!(settlement["status_code"], "200");
    assert_eq!(settlement["fraud_status"], "accept");
    assert_midtrans_time(&settlement["settlement_time"]);
    assert_eq!(settlement["payment_amounts"][0]["amount"], "150000.00");
    assert_eq!(pending["transaction_id"], settlement["transaction_id"]);
    assert_eq!(sim.transaction("ORDER-10").unwrap().status, "settlement");
}

#[tokio::test]
async fn illegal_transitions_are_rejected_and_change_nothing() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    Client::new(&sim).snap_create("ORDER-11", 10000).await;
    sim.pay("ORDER-11").await.unwrap();

    let back_to_pending = sim
        .set_status("ORDER-11", "pending", None)
        .await
        .unwrap_err();
    let expire_settled = sim
        .set_status("ORDER-11", "expire", None)
        .await
        .unwrap_err();
    let settle_unpaid = {
        Client::new(&sim).snap_create("ORDER-12", 10000).await;
        sim.set_status("ORDER-12", "settlement", None)
            .await
            .unwrap_err()
    };

    let illegal =
        |e: &anyhow::Error| matches!(e.downcast_ref(), Some(SimError::IllegalTransition { .. }));
    assert!(illegal(&back_to_pending), "{back_to_pending}");
    assert!(illegal(&expire_settled), "{expire_settled}");
    assert!(illegal(&settle_unpaid), "{settle_unpaid}");
    assert_eq!(sim.transaction("ORDER-11").unwrap().status, "settlement");
    assert_eq!(sim.transaction("ORDER-12").unwrap().status, "created");
    assert_eq!(
        hook.received().len(),
        2,
        "no notification for a rejected move"
    );
    let unknown = sim.pay("NOPE").await.unwrap_err();
    assert!(matches!(
        unknown.downcast_ref(),
        Some(SimError::UnknownOrder(_))
    ));
}

#[tokio::test]
async fn duplicates_and_out_of_order_notifications_can_be_sent() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    Client::new(&sim).snap_create("ORDER-13", 20000).await;
    sim.pay("ORDER-13").await.unwrap();

    sim.resend_last("ORDER-13").await.unwrap();
    sim.send_notification("ORDER-13", "pending", None)
        .await
        .unwrap();
    sim.send_notification("ORDER-13", "settlement", Some("1.00"))
        .await
        .unwrap();

    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 5);
    assert_eq!(bodies[2], bodies[1], "resend is a byte-for-byte duplicate");
    assert_eq!(bodies[3]["transaction_status"], "pending");
    assert_eq!(bodies[3]["status_code"], "201");
    assert_signed(&bodies[3]);
    assert_eq!(bodies[4]["gross_amount"], "1.00");
    assert_signed(&bodies[4]);
    assert_eq!(
        sim.transaction("ORDER-13").unwrap().status,
        "settlement",
        "forged notifications change nothing"
    );
}

#[tokio::test]
async fn notification_body_builds_a_signed_body_without_sending_it() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    Client::new(&sim).snap_create("ORDER-14", 30000).await;
    sim.set_status("ORDER-14", "pending", None).await.unwrap();

    let body = sim.notification_body("ORDER-14", "settlement");
    let unknown = sim.notification_body("NEVER-CREATED", "settlement");

    assert_eq!(body["gross_amount"], "30000.00");
    assert_eq!(body["status_code"], "200");
    assert_eq!(
        body["signature_key"],
        signature_key("ORDER-14", "200", "30000.00", KEY)
    );
    assert_signed(&unknown);
    assert_eq!(hook.received().len(), 1);
}

#[tokio::test]
async fn the_webhook_answer_is_reported_and_no_url_is_an_error() {
    let hook = Receiver::start().await;
    let sim = sim_with(None).await;
    Client::new(&sim).snap_create("ORDER-15", 10000).await;

    let no_url = sim
        .set_status("ORDER-15", "pending", None)
        .await
        .unwrap_err();
    sim.set_notification_url(&hook.url);
    hook.answer_with(&[500]);
    let answered = sim
        .set_status("ORDER-15", "settlement", None)
        .await
        .unwrap();

    assert!(matches!(
        no_url.downcast_ref(),
        Some(SimError::NoNotificationUrl)
    ));
    assert_eq!(answered, 500);
    assert_eq!(sim.transaction("ORDER-15").unwrap().status, "settlement");
}

#[tokio::test]
async fn notification_headers_on_create_override_or_append_urls() {
    let (dashboard, extra, replacement) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let sim = sim_with(Some(&dashboard)).await;
    let client = Client::new(&sim);
    let body =
        |id: &str| json!({ "transaction_details": { "order_id": id, "gross_amount": 5000 } });
    client
        .post(
            "/snap/v1/transactions",
            body("ORDER-16"),
            &[("X-Append-Notification", &extra.url)],
        )
        .await;
    let both = format!("{}, {}", replacement.url, extra.url);
    client
        .post(
            "/snap/v1/transactions",
            body("ORDER-17"),
            &[("X-Override-Notification", &both)],
        )
        .await;

    sim.pay("ORDER-16").await.unwrap();
    sim.pay("ORDER-17").await.unwrap();

    let orders = |r: &Receiver| {
        r.bodies()
            .iter()
            .map(|b| b["order_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(orders(&dashboard), ["ORDER-16", "ORDER-16"]);
    assert_eq!(
        orders(&extra),
        ["ORDER-16", "ORDER-16", "ORDER-17", "ORDER-17"]
    );
    assert_eq!(orders(&replacement), ["ORDER-17", "ORDER-17"]);
}

#[tokio::test]
async fn failed_notifications_are_retried_on_the_injected_schedule() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    sim.set_retry_schedule(Some(RetrySchedule::fixed(vec![
        Duration::from_millis(10);
        5
    ])));
    Client::new(&sim).snap_create("ORDER-18", 10000).await;
    hook.answer_with(&[503, 404]);

    let first = sim.set_status("ORDER-18", "pending", None).await.unwrap();

    assert_eq!(first, 503);
    let bodies = hook.wait_for(3).await;
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "retries resend the same body"
    );
    let attempts = || -> Vec<_> {
        let tx = sim.transaction("ORDER-18").unwrap();
        tx.deliveries
            .iter()
            .map(|d| (d.attempt, d.http_status))
            .collect()
    };
    eventually(|| attempts().len() == 3).await;
    assert_eq!(attempts(), [(0, Some(503)), (1, Some(404)), (2, Some(200))]);
}

#[tokio::test]
async fn the_control_endpoint_pays_an_order_over_http() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    Client::new(&sim).snap_create("ORDER-19", 10000).await;

    let resp = reqwest::Client::new()
        .post(format!("{}/_sim/transactions/ORDER-19/pay", sim.base_url()))
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "order_id": "ORDER-19", "transaction_status": "settlement", "webhook_status": 200 })
    );
    assert_eq!(hook.received().len(), 2);
}

#[tokio::test]
async fn temporary_redirects_are_followed_with_the_same_body() {
    let hook = Receiver::start().await;
    let target = hook.url.clone();
    let moved = axum::Router::new().route(
        "/old-hook",
        axum::routing::post(move || {
            let target = target.clone();
            async move {
                (
                    axum::http::StatusCode::TEMPORARY_REDIRECT,
                    [("location", target)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let old_url = format!("http://{}/old-hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, moved).await.unwrap() });
    let sim = sim_with(None).await;
    sim.set_notification_url(&old_url);
    Client::new(&sim).snap_create("ORDER-30", 10000).await;

    let answered = sim.pay("ORDER-30").await.unwrap();

    assert_eq!(answered, 200);
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 2);
    assert_signed(&bodies[1]);
}
