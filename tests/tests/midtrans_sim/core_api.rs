use serde_json::{Value, json};

use super::support::{Client, Receiver, assert_midtrans_time, assert_signed, sim_with};

const CANNOT_MODIFY: &str = "Merchant cannot modify the status of the transaction";

fn refund_body(key: &str, amount: i64) -> Value {
    json!({ "refund_key": key, "amount": amount, "reason": "item out of stock" })
}

#[tokio::test]
async fn status_is_404_until_a_payment_method_is_chosen_then_the_full_object() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    client.snap_create("ORDER-20", 150000).await;

    let (before, not_found) = client.status("ORDER-20").await;
    let (unknown, _) = client.status("NO-SUCH-ORDER").await;
    sim.set_status("ORDER-20", "pending", None).await.unwrap();
    let (pending_status, pending) = client.status("ORDER-20").await;
    sim.pay("ORDER-20").await.unwrap();
    let (after, settled) = client.status("ORDER-20").await;
    let by_transaction_id = client
        .status(settled["transaction_id"].as_str().unwrap())
        .await
        .1;

    assert_eq!((before, unknown), (404, 404));
    assert_eq!(not_found["status_code"], "404");
    assert_eq!(not_found["status_message"], "Transaction doesn't exist.");
    assert_eq!(pending_status, 200);
    assert_eq!(
        (
            pending["status_code"].as_str(),
            pending["transaction_status"].as_str()
        ),
        (Some("201"), Some("pending"))
    );
    assert_midtrans_time(&pending["expiry_time"]);
    assert_eq!(after, 200);
    assert_eq!(settled["status_code"], "200");
    assert_eq!(settled["status_message"], "Success, transaction is found");
    assert_eq!(settled["transaction_status"], "settlement");
    assert_eq!(settled["gross_amount"], "150000.00");
    assert_eq!(settled["currency"], "IDR");
    assert_eq!(settled["va_numbers"][0]["bank"], "bca");
    assert_midtrans_time(&settled["transaction_time"]);
    assert_midtrans_time(&settled["settlement_time"]);
    assert_signed(&settled);
    assert_eq!(by_transaction_id, settled);
    assert_eq!(
        hook.received().len(),
        2,
        "pending is already chosen, pay only settles"
    );
}

#[tokio::test]
async fn an_armed_failure_makes_the_next_status_call_answer_500() {
    let sim = sim_with(None).await;
    let client = Client::new(&sim);
    sim.fail_next_status();

    let (first, body) = client.status("ORDER-21").await;
    let (second, _) = client.status("ORDER-21").await;

    assert_eq!(first, 500);
    assert_eq!(body["status_code"], "500");
    assert_eq!(second, 404);
}

#[tokio::test]
async fn cancel_and_expire_change_pending_orders_and_notify() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    for id in ["ORDER-22", "ORDER-23"] {
        client.snap_create(id, 10000).await;
        sim.set_status(id, "pending", None).await.unwrap();
    }

    let (cancel_http, cancelled) = client.post("/v2/ORDER-22/cancel", json!({}), &[]).await;
    let (expire_http, expired) = client.post("/v2/ORDER-23/expire", json!({}), &[]).await;
    let (again_http, again) = client.post("/v2/ORDER-23/cancel", json!({}), &[]).await;
    let (unpaid_http, _) = {
        client.snap_create("ORDER-24", 10000).await;
        client.post("/v2/ORDER-24/expire", json!({}), &[]).await
    };

    assert_eq!(
        (cancel_http, cancelled["status_code"].as_str()),
        (200, Some("200"))
    );
    assert_eq!(cancelled["transaction_status"], "cancel");
    assert_eq!(
        (expire_http, expired["status_code"].as_str()),
        (200, Some("407"))
    );
    assert_eq!(expired["transaction_status"], "expire");
    assert_eq!(again_http, 412);
    assert_eq!(
        again,
        json!({ "status_code": "412", "status_message": CANNOT_MODIFY })
    );
    assert_eq!(
        unpaid_http, 404,
        "no transaction exists before a payment method is chosen"
    );
    let bodies = hook.wait_for(4).await;
    let cancel_note = bodies
        .iter()
        .find(|b| b["transaction_status"] == "cancel")
        .unwrap();
    let expire_note = bodies
        .iter()
        .find(|b| b["transaction_status"] == "expire")
        .unwrap();
    assert_eq!(
        cancel_note["status_code"], "202",
        "the documented cancel notification carries 202"
    );
    assert_eq!(expire_note["status_code"], "407");
    assert_signed(cancel_note);
    assert_signed(expire_note);
}

#[tokio::test]
async fn challenged_card_payments_can_be_approved_or_denied_once() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    for id in ["ORDER-25", "ORDER-26"] {
        client.snap_create(id, 250000).await;
        sim.set_status(id, "capture", Some("challenge"))
            .await
            .unwrap();
    }

    let (approve_http, approved) = client.post("/v2/ORDER-25/approve", json!({}), &[]).await;
    let (deny_http, denied) = client.post("/v2/ORDER-26/deny", json!({}), &[]).await;
    let (twice_http, twice) = client.post("/v2/ORDER-25/approve", json!({}), &[]).await;

    assert_eq!(approve_http, 200);
    assert_eq!(
        (
            approved["transaction_status"].as_str(),
            approved["fraud_status"].as_str()
        ),
        (Some("capture"), Some("accept"))
    );
    assert_eq!(deny_http, 200);
    assert_eq!(
        (
            denied["transaction_status"].as_str(),
            denied["fraud_status"].as_str()
        ),
        (Some("deny"), Some("deny"))
    );
    assert_eq!(twice_http, 412);
    assert_eq!(twice["status_code"], "412");
    let bodies = hook.wait_for(4).await;
    assert_eq!(bodies[0]["payment_type"], "credit_card");
    assert_eq!(bodies[0]["fraud_status"], "challenge");
    assert!(
        bodies
            .iter()
            .any(|b| b["transaction_status"] == "deny" && b["status_code"] == "202")
    );
}

#[tokio::test]
async fn refunds_are_partial_or_full_only_when_settled_and_keyed() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    client.snap_create("ORDER-27", 100000).await;
    sim.set_status("ORDER-27", "capture", Some("accept"))
        .await
        .unwrap();

    let (early_http, _) = client
        .post("/v2/ORDER-27/refund", refund_body("r1", 40000), &[])
        .await;
    sim.set_status("ORDER-27", "settlement", None)
        .await
        .unwrap();
    let (partial_http, partial) = client
        .post("/v2/ORDER-27/refund", refund_body("r1", 40000), &[])
        .await;
    let (replay_http, replay) = client
        .post("/v2/ORDER-27/refund", refund_body("r1", 40000), &[])
        .await;
    let (dup_http, dup) = client
        .post("/v2/ORDER-27/refund", refund_body("r1", 1000), &[])
        .await;
    let (too_much_http, _) = client
        .post("/v2/ORDER-27/refund", refund_body("r2", 60001), &[])
        .await;
    let (full_http, full) = client
        .post("/v2/ORDER-27/refund", json!({ "refund_key": "r2" }), &[])
        .await;

    assert_eq!(early_http, 412, "a capture is not settled yet");
    assert_eq!(partial_http, 200);
    assert_eq!(
        partial["status_message"],
        "Success, refund request is approved"
    );
    assert_eq!(partial["transaction_status"], "partial_refund");
    assert_eq!(partial["refund_amount"], "40000.00");
    assert_eq!(
        (replay_http, &replay["refund_chargeback_id"]),
        (200, &partial["refund_chargeback_id"])
    );
    assert_eq!((dup_http, dup["status_code"].as_str()), (406, Some("406")));
    assert_eq!(too_much_http, 414);
    assert_eq!(full_http, 200);
    assert_eq!(
        (
            full["transaction_status"].as_str(),
            full["refund_amount"].as_str()
        ),
        (Some("refund"), Some("60000.00"))
    );
    // capture, settlement, then two notifications per refund (without, then with bank_confirmed_at).
    let bodies = hook.wait_for(6).await;
    let refunds: Vec<&Value> = bodies.iter().filter(|b| b["refunds"].is_array()).collect();
    assert_eq!(refunds.len(), 4);
    assert!(refunds[0]["refunds"][0]["bank_confirmed_at"].is_null());
    assert_midtrans_time(&refunds[1]["refunds"][0]["bank_confirmed_at"]);
    assert_eq!(refunds[3]["refund_amount"], "100000.00");
    refunds.iter().for_each(|b| assert_signed(b));
}

#[tokio::test]
async fn bank_transfers_cannot_be_refunded_through_the_api() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    client.snap_create("ORDER-28", 10000).await;
    sim.pay("ORDER-28").await.unwrap();

    let (http, body) = client
        .post("/v2/ORDER-28/refund", refund_body("r1", 10000), &[])
        .await;
    sim.set_core_errors_as_http_200(true);
    let (http_200, body_200) = client.post("/v2/ORDER-28/cancel", json!({}), &[]).await;

    assert_eq!(http, 412);
    assert_eq!(body["status_code"], "412");
    assert_eq!(http_200, 200, "the knob moves the error into the body only");
    assert_eq!(
        body_200,
        json!({ "status_code": "412", "status_message": CANNOT_MODIFY })
    );
    assert_eq!(sim.transaction("ORDER-28").unwrap().status, "settlement");
}

#[tokio::test]
async fn gopay_payments_can_be_refunded_through_the_api() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let client = Client::new(&sim);
    client.snap_create("ORDER-29", 54000).await;

    let answered = sim.pay_gopay("ORDER-29").await.unwrap();
    let (http, body) = client
        .post("/v2/ORDER-29/refund", refund_body("late-1", 54000), &[])
        .await;

    assert_eq!(answered, 200);
    let bodies = hook.wait_for(4).await;
    let statuses: Vec<&str> = bodies
        .iter()
        .map(|b| b["transaction_status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "settlement", "refund", "refund"]);
    assert!(bodies.iter().all(|b| b["payment_type"] == "gopay"));
    assert!(bodies.iter().all(|b| b.get("va_numbers").is_none()));
    bodies.iter().for_each(assert_signed);
    assert_eq!(http, 200, "{body}");
    assert_eq!(body["transaction_status"], "refund");
    assert_eq!(body["refund_key"], "late-1");
}
