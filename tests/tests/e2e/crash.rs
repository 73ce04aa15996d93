use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    address, assert_paid_orders_hold_their_reservations, checkout, count, listed_product,
    payment_id, with_shipping,
};

/// The consistency token of the newest event in the log.
async fn log_head(stack: &Stack) -> String {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query_one(
            "SELECT transaction_id::text || '-' || global_position FROM es_events
             ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// What the sweeper sees and who holds the log back, for a failure message.
async fn diagnose(stack: &Stack) -> String {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut out = String::new();
    for (title, sql) in [
        (
            "open reservations",
            "SELECT product_id::text || ' ' || order_id::text || ' ' || expires_at::text FROM reactor_open_reservations",
        ),
        (
            "checkpoints",
            "SELECT row_to_json(c)::text FROM processor_checkpoints c",
        ),
        (
            "sessions",
            "SELECT coalesce(state, '') || ' xmin=' || coalesce(backend_xmin::text, '') || ' xid=' || coalesce(backend_xid::text, '') || ' since=' || coalesce(xact_start::text, '') || ' wait=' || coalesce(wait_event_type || ':' || wait_event, '') || ' ' || left(query, 120) FROM pg_stat_activity WHERE datname = current_database()",
        ),
        (
            "orders",
            "SELECT stream_id || ' ' || string_agg(event_type, ',' ORDER BY stream_version) FROM es_events WHERE stream_id LIKE 'order-%' OR stream_id LIKE 'payment-%' GROUP BY stream_id",
        ),
    ] {
        out.push_str(&format!("{title}:\n"));
        for row in client.query(sql, &[]).await.unwrap() {
            out.push_str(&format!("  {}\n", row.get::<_, String>(0)));
        }
    }
    out
}

#[tokio::test]
async fn killing_the_command_api_mid_checkout_leaks_no_stock_and_the_projections_catch_up() {
    // Arrange: 10 buyers with one unit each in their carts; unpaid orders expire after 2 s.
    // A checkout unanswered for 1 s is taken to have died, so the retry below resumes it.
    let mut stack = Stack::start_with(&[
        ("PAYMENT_TIMEOUT_SECS", "2"),
        ("EXPIRY_SWEEP_MS", "200"),
        ("CHECKOUT_IN_FLIGHT_SECS", "1"),
    ])
    .await
    .unwrap();
    let listed = listed_product(&stack, 10_000, 50).await;
    let mut buyers = Vec::new();
    for _ in 0..10 {
        let (_, token) = stack.register("buyer").await;
        let item = json!({ "product_id": listed.product_id, "quantity": 1 });
        let (status, _, _) = stack
            .command(Method::POST, "/v1/cart/items", Some(&token), Some(item))
            .await;
        assert_eq!(status, StatusCode::OK);
        buyers.push(token);
    }

    // Act: all check out at once; SIGKILL the command API as soon as reservations are landing.
    let command_url = stack.command_url.clone();
    let http = stack.http.clone();
    let mut bodies = Vec::new();
    for (i, token) in buyers.iter().enumerate() {
        let body = json!({ "shipping_address": address() });
        bodies.push(with_shipping(&stack, token, &format!("crash-{i}"), body).await);
    }
    let attempts: Vec<_> = buyers
        .iter()
        .zip(bodies)
        .enumerate()
        .map(|(i, (token, body))| {
            let (http, url, token) = (
                http.clone(),
                format!("{command_url}/v1/checkout"),
                token.clone(),
            );
            tokio::spawn(async move {
                let _ = http
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", format!("crash-{i}"))
                    .json(&body)
                    .send()
                    .await;
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&stack, "StockReserved").await == 0 {
        assert!(Instant::now() < deadline, "no reservation was ever made");
        tokio::task::yield_now().await;
    }
    stack.kill("command-api");
    for attempt in attempts {
        let _ = attempt.await;
    }
    let reserved_at_crash = count(&stack, "StockReserved").await;
    eprintln!(
        "at the crash: {reserved_at_crash} reserved, {} orders placed, {} checkouts answered",
        count(&stack, "OrderPlaced").await,
        count(&stack, "CheckoutAnswered").await
    );
    stack.restart("command-api").await.unwrap();

    // Assert: every reservation, whatever step its checkout died at, is released (nothing was
    // paid), the orders that were placed end expired, and the read side, read at the head of
    // the log, shows the full stock again.
    assert!(reserved_at_crash >= 1);
    // A checkout killed after its Snap transaction was created (`PaymentInitiated`) but before
    // it answered can still hand that page out to a retry with the same key, so the sweeper
    // leaves the order alone until the page closes: Snap pages live at least a minute, however
    // short the payment timeout. The bound covers that minute.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (reserved, released) = (
            count(&stack, "StockReserved").await,
            count(&stack, "ReservationReleased").await,
        );
        let placed = count(&stack, "OrderPlaced").await;
        let closed = count(&stack, "OrderExpired").await + count(&stack, "OrderCancelled").await;
        if reserved == released && placed == closed {
            break;
        }
        if Instant::now() >= deadline {
            panic!(
                "after the crash: {reserved} reserved, {released} released, {placed} placed, {closed} closed\n{}",
                diagnose(&stack).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let head = log_head(&stack).await;
    let (status, product) = stack
        .query(
            &format!("/v1/products/{}", listed.product_id),
            None,
            Some(&head),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{product}");
    assert_eq!(product["available"], 50);

    // A retry with the same key, once the first attempt is no longer in flight, finishes the
    // checkout (resumed as a new attempt, or the recorded answer when the first one answered).
    let (status, body) = checkout(
        &stack,
        &buyers[0],
        "crash-0",
        json!({ "shipping_address": address() }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let payment = body["payment"]["id"].as_str().unwrap().to_owned();
    let _ = stack.sim.pay(&payment).await;

    // Assert: once the log settles, each paid line was committed exactly once from its own
    // reservation, and every reservation ended committed or released.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (reserved, released, committed) = (
            count(&stack, "StockReserved").await,
            count(&stack, "ReservationReleased").await,
            count(&stack, "ReservationCommitted").await,
        );
        if reserved == released + committed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{reserved} reserved, {released} released, {committed} committed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_paid_orders_hold_their_reservations(&stack).await;
}

/// A checkout of one unit from each of two sellers whose command API dies (abort, as kill -9)
/// at `point`; the command API comes back, and the buyer retries with the same key until the
/// first attempt is no longer in flight. Wanted at every point: the retry finishes the checkout
/// (one order per seller, one payment) or answers what was recorded; once paid, every line is
/// committed exactly once from its own reservation, nothing else stays reserved, and each
/// product is down exactly one unit.
async fn a_checkout_killed_at(point: &str) {
    // Arrange
    let mut stack =
        Stack::start_with(&[("PASAR_CRASH_AT", point), ("CHECKOUT_IN_FLIGHT_SECS", "1")])
            .await
            .unwrap();
    let products = [
        listed_product(&stack, 25_000, 3).await,
        listed_product(&stack, 40_000, 3).await,
    ];
    let (_, buyer) = stack.register("buyer").await;
    for listed in &products {
        let item = json!({ "product_id": listed.product_id, "quantity": 1 });
        let (status, body, _) = stack
            .command(Method::POST, "/v1/cart/items", Some(&buyer), Some(item))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let request = json!({ "shipping_address": address() });
    let sent_body = with_shipping(&stack, &buyer, "killed", request.clone()).await;

    // Act: the first request dies with the command API at `point`.
    let sent = stack
        .http
        .post(format!("{}/v1/checkout", stack.command_url))
        .bearer_auth(&buyer)
        .header("idempotency-key", "killed")
        .json(&sent_body)
        .send()
        .await;
    assert!(
        sent.is_err(),
        "{point}: the command API answered {sent:?} instead of crashing"
    );
    stack.unset_env("PASAR_CRASH_AT");
    stack.restart("command-api").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, placed) = loop {
        let (status, body) = checkout(&stack, &buyer, "killed", request.clone()).await;
        let in_flight = status == StatusCode::CONFLICT && body["title"] == "Checkout in progress";
        if !in_flight || Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Assert: the retry answers the whole checkout, and paying it settles cleanly.
    assert_eq!(status, StatusCode::CREATED, "{point}: {placed}");
    assert_eq!(
        placed["orders"].as_array().map(Vec::len),
        Some(2),
        "{point}: {placed}"
    );
    let (again_status, again) = checkout(&stack, &buyer, "killed", request).await;
    assert_eq!(again_status, StatusCode::CREATED, "{point}: {again}");
    assert_eq!(
        again["payment"]["id"], placed["payment"]["id"],
        "{point}: {again}"
    );
    stack.sim.pay(&payment_id(&placed)).await.unwrap();
    for order in placed["orders"].as_array().unwrap() {
        let path = format!("/v1/orders/{}", order["id"].as_str().unwrap());
        stack
            .eventually(&path, Some(&buyer), |o| o["status"] == "paid")
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (reserved, released, committed) = (
            count(&stack, "StockReserved").await,
            count(&stack, "ReservationReleased").await,
            count(&stack, "ReservationCommitted").await,
        );
        if committed == 2 && reserved == released + committed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{point}: {reserved} reserved, {released} released, {committed} committed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_paid_orders_hold_their_reservations(&stack).await;
    let head = log_head(&stack).await;
    for listed in &products {
        let path = format!("/v1/products/{}", listed.product_id);
        let (status, product) = stack.query(&path, None, Some(&head)).await;
        assert_eq!(status, StatusCode::OK, "{product}");
        assert_eq!(product["available"], 2, "{point}: {product}");
    }
}

macro_rules! killed_at {
    ($($test:ident => $point:literal),* $(,)?) => {$(
        #[tokio::test]
        async fn $test() {
            a_checkout_killed_at($point).await;
        }
    )*};
}

killed_at! {
    a_checkout_killed_after_its_claim_is_finished_by_the_retry => "checkout.claimed",
    a_checkout_killed_after_its_plan_is_finished_by_the_retry => "checkout.planned",
    a_checkout_killed_after_one_reservation_is_finished_by_the_retry => "checkout.line_reserved",
    a_checkout_killed_after_its_reservations_is_finished_by_the_retry => "checkout.reserved",
    a_checkout_killed_after_one_order_is_finished_by_the_retry => "checkout.order_placed",
    a_checkout_killed_after_its_orders_is_finished_by_the_retry => "checkout.placed",
    a_checkout_killed_after_creating_the_snap_page_is_finished_by_the_retry => "checkout.snap_created",
    a_checkout_killed_after_starting_the_payment_is_finished_by_the_retry => "checkout.payment_initiated",
    a_checkout_killed_after_checking_out_the_cart_is_finished_by_the_retry => "checkout.cart_checked_out",
    a_checkout_killed_before_answering_answers_the_recorded_outcome => "checkout.answered",
}
