//! The command API's Midtrans client against the simulator: the calls the shop depends on,
//! their typed outcomes, and that notifications are acted on through the status API.

use std::time::Duration;

use chrono::Utc;
use pasar_command_api::midtrans::{
    ClientSettings, ExpireOutcome, ExpiryDecision, Item, Midtrans, MidtransError, PaymentOutcome,
    RefundOutcome, RefundRequest, SignedNotification, SnapExpiry, SnapRequest, StatusLookup,
    TransactionState, VerifyError,
};
use pasar_tests::midtrans_sim::MidtransSim;
use serde_json::{Value, json};

use super::support::{KEY, Receiver, sim_with};

fn client_with(sim: &MidtransSim, key: &str, verify: bool) -> Midtrans {
    Midtrans::with_settings(ClientSettings {
        server_key: key.to_owned(),
        snap_url: sim.base_url(),
        api_url: sim.base_url(),
        verify_with_status_api: verify,
    })
    .unwrap()
}

fn client(sim: &MidtransSim) -> Midtrans {
    client_with(sim, KEY, true)
}

fn items(gross: i64) -> Vec<Item> {
    vec![Item {
        id: "SKU-1".into(),
        name: "Kaos Polos".into(),
        price: gross,
        quantity: 1,
    }]
}

async fn create(client: &Midtrans, order_id: &str, gross: i64) {
    let items = items(gross);
    let request = SnapRequest {
        order_id,
        gross_amount: gross,
        items: &items,
        customer: json!({ "first_name": "Budi" }),
        expiry: SnapExpiry::new(Utc::now(), Duration::from_secs(3600)),
    };
    client.create_snap_transaction(&request).await.unwrap();
}

fn notification(body: &Value) -> SignedNotification {
    SignedNotification::parse(body.to_string().as_bytes()).unwrap()
}

async fn found(client: &Midtrans, id: &str) -> pasar_command_api::midtrans::TransactionStatus {
    match client.fetch_status(id).await.unwrap() {
        StatusLookup::Found(status) => *status,
        StatusLookup::NotFound => panic!("{id} not found"),
    }
}

#[tokio::test]
async fn snap_create_sends_the_payment_timeout_as_expiry() {
    let sim = sim_with(None).await;
    let midtrans = client(&sim);

    create(&midtrans, "ORDER-70", 10000).await;
    let legacy = midtrans
        .create_snap("ORDER-71", 10000, &items(10000), json!({}))
        .await
        .unwrap();

    let tx = sim.transaction("ORDER-70").unwrap();
    assert!(!tx.expiry_missing);
    let expiry = tx.expiry.unwrap();
    assert_eq!((expiry.unit.as_str(), expiry.duration), ("minute", 60));
    assert!(expiry.start_time.unwrap().ends_with("+0700"));
    assert!(!legacy.token.is_empty());
    assert!(
        sim.transaction("ORDER-71").unwrap().expiry_missing,
        "the compatibility call sends none, and the simulator says so"
    );
}

#[tokio::test]
async fn snap_failures_keep_midtrans_text_out_of_display() {
    let sim = sim_with(None).await;
    let midtrans = client(&sim);
    create(&midtrans, "ORDER-72", 10000).await;
    sim.fail_next_snap_create();

    let failed = midtrans
        .create_snap("ORDER-73", 10000, &items(10000), json!({}))
        .await
        .unwrap_err();
    let duplicate = midtrans
        .create_snap("ORDER-72", 10000, &items(10000), json!({}))
        .await
        .unwrap_err();

    assert!(matches!(failed, MidtransError::Refused { status: 500, .. }));
    assert!(failed.is_transient());
    assert!(matches!(
        duplicate,
        MidtransError::Refused { status: 400, .. }
    ));
    assert!(!duplicate.is_transient());
    assert!(duplicate.is_duplicate_order_id());
    assert!(!failed.is_duplicate_order_id());
    for (error, upstream) in [
        (&failed, "internal server error"),
        (&duplicate, "has already been taken"),
    ] {
        assert!(format!("{error:?}").contains(upstream), "{error:?}");
        assert!(!error.to_string().contains(upstream));
        assert!(!error.client_message().contains(upstream));
    }
}

#[tokio::test]
async fn a_wrong_key_or_a_dead_endpoint_is_an_error_that_never_shows_the_key() {
    let sim = sim_with(None).await;
    let wrong = client_with(&sim, "SB-Mid-server-WRONG-KEY", true);
    let base = sim.base_url();

    let refused = wrong.fetch_status("ORDER-74").await.unwrap_err();
    sim.stop().await;
    let dead = Midtrans::with_settings(ClientSettings {
        server_key: KEY.into(),
        snap_url: base.clone(),
        api_url: base,
        verify_with_status_api: true,
    })
    .unwrap()
    .fetch_status("ORDER-74")
    .await
    .unwrap_err();

    assert!(matches!(
        refused,
        MidtransError::Refused { status: 401, .. }
    ));
    assert!(
        matches!(dead, MidtransError::Unreachable { .. }),
        "{dead:?}"
    );
    for error in [&refused, &dead] {
        let shown = format!("{error:?} {error}");
        assert!(
            !shown.contains("WRONG-KEY") && !shown.contains(KEY),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn status_is_typed_from_not_found_to_paid_and_a_failure_is_transient() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    create(&midtrans, "ORDER-75", 150000).await;

    let before = midtrans.fetch_status("ORDER-75").await.unwrap();
    sim.set_status("ORDER-75", "pending", None).await.unwrap();
    let pending = found(&midtrans, "ORDER-75").await;
    sim.pay("ORDER-75").await.unwrap();
    let settled = found(&midtrans, "ORDER-75").await;
    sim.fail_next_status();
    let failed = midtrans.fetch_status("ORDER-75").await.unwrap_err();

    assert_eq!(before, StatusLookup::NotFound);
    assert_eq!(pending.outcome(), PaymentOutcome::AwaitingPayment);
    assert_eq!(pending.status_code, "201");
    assert_eq!(settled.transaction_status, TransactionState::Settlement);
    assert_eq!(settled.outcome(), PaymentOutcome::Paid);
    assert_eq!(settled.gross_amount, "150000.00");
    assert_eq!(settled.payment_type.as_deref(), Some("bank_transfer"));
    assert!(matches!(failed, MidtransError::Refused { status: 500, .. }));
    assert!(failed.is_transient());
}

#[tokio::test]
async fn expire_reports_not_found_and_not_expirable_instead_of_success() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    for id in ["ORDER-76", "ORDER-77", "ORDER-78"] {
        create(&midtrans, id, 10000).await;
    }
    sim.set_status("ORDER-76", "pending", None).await.unwrap();
    sim.pay("ORDER-77").await.unwrap();

    let pending = midtrans.expire_transaction("ORDER-76").await.unwrap();
    let again = midtrans.expire_transaction("ORDER-76").await.unwrap();
    let settled = midtrans.expire_transaction("ORDER-77").await.unwrap();
    let unchosen = midtrans.expire_transaction("ORDER-78").await.unwrap();
    let legacy = midtrans.expire("ORDER-77").await.unwrap_err();

    assert_eq!(pending, ExpireOutcome::Expired);
    assert_eq!(again, ExpireOutcome::NotExpirable);
    assert_eq!(settled, ExpireOutcome::NotExpirable);
    assert_eq!(
        found(&midtrans, "ORDER-77").await.outcome(),
        PaymentOutcome::Paid
    );
    assert_eq!(unchosen, ExpireOutcome::NotFound);
    assert_eq!(legacy.status(), Some(412));
}

#[tokio::test]
async fn refunds_are_keyed_and_refused_where_the_method_does_not_allow_them() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    create(&midtrans, "ORDER-79", 100000).await;
    create(&midtrans, "ORDER-80", 100000).await;
    create(&midtrans, "ORDER-89", 100000).await;
    sim.pay_card("ORDER-79").await.unwrap();
    sim.pay_gopay("ORDER-89").await.unwrap();
    sim.pay("ORDER-80").await.unwrap();
    let request = |amount| RefundRequest {
        refund_key: "ORDER-79-late".into(),
        amount,
        reason: "paid after the order expired".into(),
    };

    let first = midtrans.refund("ORDER-79", &request(None)).await.unwrap();
    let retried = midtrans.refund("ORDER-79", &request(None)).await.unwrap();
    let other_amount = midtrans
        .refund("ORDER-79", &request(Some(5)))
        .await
        .unwrap();
    let bank_transfer = midtrans.refund("ORDER-80", &request(None)).await.unwrap();
    let unknown = midtrans.refund("ORDER-81", &request(None)).await.unwrap();
    let gopay = midtrans.refund("ORDER-89", &request(None)).await.unwrap();

    let refunded = RefundOutcome::Refunded {
        refund_key: "ORDER-79-late".into(),
        refund_amount: "100000.00".into(),
        transaction_status: "refund".into(),
    };
    assert_eq!(first, refunded);
    assert_eq!(retried, refunded, "a retry with the same key refunds once");
    assert_eq!(sim.transaction("ORDER-79").unwrap().refunds.len(), 1);
    assert_eq!(other_amount, RefundOutcome::DuplicateRefundKey);
    assert_eq!(bank_transfer, RefundOutcome::NotRefundable);
    assert_eq!(unknown, RefundOutcome::NotFound);
    assert!(matches!(gopay, RefundOutcome::Refunded { .. }), "{gopay:?}");
    assert_eq!(
        found(&midtrans, "ORDER-79").await.outcome(),
        PaymentOutcome::Refunded
    );
}

#[tokio::test]
async fn a_settlement_replayed_as_deny_is_resolved_from_the_status_api() {
    // Arrange
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    create(&midtrans, "ORDER-82", 54000).await;
    sim.pay("ORDER-82").await.unwrap();
    let mut tampered = hook.bodies()[1].clone();
    assert_eq!(tampered["transaction_status"], "settlement");
    tampered["transaction_status"] = json!("deny");
    tampered["fraud_status"] = json!("deny");
    let tampered = notification(&tampered);

    // Act
    let confirmed = midtrans.verify_notification(&tampered).await.unwrap();
    let unverified = client_with(&sim, KEY, false)
        .verify_notification(&tampered)
        .await
        .unwrap();

    // Assert
    assert!(tampered.signature_matches(KEY), "the status is not signed");
    assert_eq!(confirmed.transaction_status, TransactionState::Settlement);
    assert_eq!(confirmed.outcome(), PaymentOutcome::Paid);
    assert_eq!(
        unverified.outcome(),
        PaymentOutcome::Failed,
        "why MIDTRANS_VERIFY_STATUS must stay on"
    );
}

#[tokio::test]
async fn notifications_that_cannot_be_confirmed_are_typed_errors_to_retry() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    create(&midtrans, "ORDER-83", 30000).await;
    sim.pay("ORDER-83").await.unwrap();
    let genuine = notification(&hook.bodies()[1]);
    sim.send_notification("ORDER-83", "settlement", Some("1.00"))
        .await
        .unwrap();
    let cheap = notification(&hook.bodies()[2]);
    let never_created = notification(&sim.notification_body("ORDER-84", "settlement"));
    let mut forged = genuine.clone();
    forged.signature_key = "0".repeat(128);

    sim.fail_next_status();
    let unavailable = midtrans.verify_notification(&genuine).await.unwrap_err();
    let amount = midtrans.verify_notification(&cheap).await.unwrap_err();
    let unknown = midtrans
        .verify_notification(&never_created)
        .await
        .unwrap_err();
    let bad_signature = midtrans.verify_notification(&forged).await.unwrap_err();
    let fine = midtrans.verify_notification(&genuine).await.unwrap();

    assert!(
        matches!(unavailable, VerifyError::Unavailable(_)),
        "{unavailable:?}"
    );
    assert!(
        matches!(&amount, VerifyError::GrossAmountMismatch { notified, confirmed }
            if notified == "1.00" && confirmed == "30000.00"),
        "{amount:?}"
    );
    assert!(
        matches!(unknown, VerifyError::UnknownTransaction),
        "{unknown:?}"
    );
    assert!(matches!(bad_signature, VerifyError::BadSignature));
    assert!(
        [&unavailable, &amount, &unknown]
            .iter()
            .all(|e| e.should_retry())
    );
    assert!(!bad_signature.should_retry());
    assert!(!unavailable.to_string().contains("internal server error"));
    assert_eq!(fine.outcome(), PaymentOutcome::Paid);
}

#[tokio::test]
async fn closing_an_unpaid_order_expires_only_what_midtrans_will_not_take_any_more() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    for id in ["ORDER-85", "ORDER-86", "ORDER-87"] {
        create(&midtrans, id, 10000).await;
    }
    sim.set_status("ORDER-85", "pending", None).await.unwrap();
    sim.pay("ORDER-86").await.unwrap();

    let pending = midtrans.close_unpaid("ORDER-85", false).await.unwrap();
    let settled = midtrans.close_unpaid("ORDER-86", false).await.unwrap();
    let page_open = midtrans.close_unpaid("ORDER-87", false).await.unwrap();
    let page_closed = midtrans.close_unpaid("ORDER-87", true).await.unwrap();

    assert_eq!(pending, ExpiryDecision::ExpireOrder);
    assert!(
        matches!(&settled, ExpiryDecision::ActOnStatus(s) if s.outcome() == PaymentOutcome::Paid),
        "{settled:?}"
    );
    assert_eq!(page_open, ExpiryDecision::TryLater);
    assert_eq!(page_closed, ExpiryDecision::ExpireOrder);
}

#[tokio::test]
async fn a_settlement_during_a_slow_expire_is_acted_on_not_expired() {
    let hook = Receiver::start().await;
    let sim = sim_with(Some(&hook)).await;
    let midtrans = client(&sim);
    create(&midtrans, "ORDER-88", 10000).await;
    sim.set_status("ORDER-88", "pending", None).await.unwrap();
    sim.set_expire_delay(Duration::from_secs(2));

    let (decision, paid) =
        tokio::join!(midtrans.close_unpaid("ORDER-88", true), sim.pay("ORDER-88"));

    assert_eq!(paid.unwrap(), 200);
    assert!(
        matches!(&decision.unwrap(), ExpiryDecision::ActOnStatus(s)
            if s.transaction_status == TransactionState::Settlement),
        "the late settlement wins over the timeout"
    );
    assert_eq!(sim.transaction("ORDER-88").unwrap().status, "settlement");
}
