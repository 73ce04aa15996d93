//! Email notifications through a real SMTP server (aiosmtpd, [`sink`]): who gets which mail,
//! in which language, with amounts in rupiah; the SMTP server down, then up; the command API
//! killed between the server's acceptance and the record.

mod helpers;
mod outages;
mod sink;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Listed, address, buy, listed_product, order_id, payment_id};
use helpers::{
    assert_each_mail_once, choose_english, email_of, mail_env, post, reference, rupiah,
    seller_email,
};
use sink::SmtpSink;
/// A seller's product of Rp 1.250.000 with 10 units and a low-stock threshold of 9, whose name
/// would be markup if the HTML did not escape it, and a buyer.
struct Shop {
    listed: Listed,
    seller_email: String,
    buyer: String,
    buyer_email: String,
}

async fn shop(stack: &Stack) -> Shop {
    let listed = listed_product(stack, 1_250_000, 10).await;
    let path = format!("/v1/products/{}", listed.product_id);
    let edit = json!({ "name": "Kaos <b>Polos</b> & Co", "low_stock_threshold": 9 });
    let (status, body, _) = stack
        .command(Method::PATCH, &path, Some(&listed.seller_token), Some(edit))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (buyer_id, buyer) = stack.register("buyer").await;
    Shop {
        seller_email: seller_email(stack, listed.product_id).await,
        buyer_email: email_of(stack, buyer_id).await,
        listed,
        buyer,
    }
}

/// The buyer's mail about `order` (costing `total` in all), as placed: text and escaped HTML.
fn assert_placed_mail(mail: &Value, order: &str, total: i64) {
    let reference = reference(order);
    assert_eq!(
        mail["subject"],
        format!("Pesanan {reference} berhasil dibuat")
    );
    assert_eq!(mail["from"], "Pasar <no-reply@pasar.test>");
    assert!(
        mail["to"].as_str().unwrap().contains("Test buyer"),
        "{mail}"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(text.starts_with("Halo Test buyer"), "{text}");
    assert!(
        text.contains("2 x Kaos <b>Polos</b> & Co: Rp 2.500.000"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Total: {}", rupiah(total))),
        "{text}"
    );
    assert!(text.contains(order), "{text}");
    let html = mail["html"].as_str().unwrap();
    assert!(
        html.contains("Kaos &lt;b&gt;Polos&lt;&#x2f;b&gt; &amp; Co"),
        "{html}"
    );
    assert!(!html.contains("<b>Polos"), "{html}");
    let id = mail["message_id"].as_str().unwrap();
    assert!(
        id.starts_with('<') && id.ends_with(".order_placed@pasar.test>"),
        "{id}"
    );
}

/// Pays `placed` with GoPay (refundable), ships, delivers and refunds Rp 100.000 of it,
/// waiting for each step's mail: (paid, to ship, shipped, delivered, refunded).
async fn walk_the_order(stack: &Stack, sink: &SmtpSink, shop: &Shop, placed: &Value) -> [Value; 5] {
    let (order, buyer) = (order_id(placed), &shop.buyer_email);
    let reference = reference(&order);
    let admin = stack.admin_token().await;
    assert_eq!(stack.sim.pay_gopay(&payment_id(placed)).await.unwrap(), 200);
    let paid = sink.wait_for(buyer, "Pembayaran").await;
    let to_ship = sink
        .wait_for(&shop.seller_email, &format!("Pesanan {reference}"))
        .await;
    let base = format!("/v1/orders/{order}");
    let shipment = json!({ "courier": "JNE REG", "tracking_number": "JNE0012345678" });
    let seller = &shop.listed.seller_token;
    let (status, body) = post(stack, &format!("{base}/shipments"), seller, shipment).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shipped = sink
        .wait_for(buyer, &format!("Pesanan {reference} sedang"))
        .await;
    let (status, body) = post(stack, &format!("{base}/delivery"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let delivered = sink
        .wait_for(buyer, &format!("Pesanan {reference} telah"))
        .await;
    let url = format!("{}{base}/refunds", stack.command_url);
    let refund = json!({ "amount": 100_000, "reason": "barang rusak" });
    let key = [("idempotency-key", "r1")];
    let (status, body, _) = stack
        .send(Method::POST, url, Some(&admin), Some(refund), &key)
        .await;
    assert!(status.is_success(), "{status} {body}");
    let refunded = sink.wait_for(buyer, "Dana").await;
    [paid, to_ship, shipped, delivered, refunded]
}

/// The mails of `walk_the_order`: (paid, to ship, shipped, delivered, refunded).
fn assert_later_mails(shop: &Shop, order: &str, total: i64, mails: [Value; 5]) {
    let [paid, to_ship, shipped, delivered, refunded] = mails;
    let reference = reference(order);
    assert_eq!(
        paid["subject"],
        format!("Pembayaran pesanan {reference} diterima")
    );
    assert!(
        paid["text"].as_str().unwrap().contains(&rupiah(total)),
        "{paid}"
    );
    assert_eq!(
        to_ship["subject"],
        format!("Pesanan {reference} sudah dibayar: segera kirim")
    );
    assert_eq!(to_ship["rcpt_tos"], json!([shop.seller_email]));
    let ship_text = to_ship["text"].as_str().unwrap();
    assert!(
        ship_text.contains("2 x Kaos <b>Polos</b> & Co"),
        "{ship_text}"
    );
    let recipient = address()["recipient"].as_str().unwrap().to_owned();
    assert!(
        ship_text.contains(&format!("Penerima: {recipient}")),
        "{ship_text}"
    );
    let shipped_text = shipped["text"].as_str().unwrap();
    assert!(
        shipped_text.contains("Nomor resi: JNE0012345678"),
        "{shipped}"
    );
    assert!(
        shipped["html"].as_str().unwrap().contains("JNE0012345678"),
        "{shipped}"
    );
    assert!(
        delivered["subject"]
            .as_str()
            .unwrap()
            .ends_with("telah sampai"),
        "{delivered}"
    );
    let refund_subject = format!("Dana Rp 100.000 untuk pesanan {reference} dikembalikan");
    assert_eq!(refunded["subject"], refund_subject);
}

#[tokio::test]
async fn buyers_and_sellers_are_mailed_each_step_of_an_order_in_indonesian_with_rupiah() {
    // Arrange
    let sink = SmtpSink::started().await;
    let stack = Stack::start_with(&mail_env(&sink.url())).await.unwrap();
    let shop = shop(&stack).await;

    // Act 1: two units ordered (stock 10 → 8, below 9).
    let (status, placed) = buy(&stack, &shop.buyer, shop.listed.product_id, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let (order, total) = (
        order_id(&placed),
        placed["orders"][0]["total"].as_i64().unwrap(),
    );

    // Assert: the buyer's order, the seller's low stock.
    assert_placed_mail(
        &sink.wait_for(&shop.buyer_email, "Pesanan").await,
        &order,
        total,
    );
    let low = sink.wait_for(&shop.seller_email, "Stok menipis").await;
    assert_eq!(low["subject"], "Stok menipis: Kaos <b>Polos</b> & Co");
    assert!(
        low["text"].as_str().unwrap().contains("tinggal 8 unit"),
        "{low}"
    );

    // Act 2
    let [paid, to_ship, shipped, delivered, refunded] =
        walk_the_order(&stack, &sink, &shop, &placed).await;

    // Assert: each step's mail, to the right person, with its figures.
    assert_later_mails(
        &shop,
        &order,
        total,
        [paid, to_ship, shipped, delivered, refunded],
    );
    assert_eq!(
        sink.mails_to(&shop.buyer_email).len(),
        5,
        "{:#?}",
        sink.mails()
    );
    assert_eq!(
        sink.mails_to(&shop.seller_email).len(),
        2,
        "{:#?}",
        sink.mails()
    );
    assert_each_mail_once(&sink);
}

#[tokio::test]
async fn a_buyer_who_chose_english_gets_english_mails() {
    // Arrange
    let sink = SmtpSink::started().await;
    let stack = Stack::start_with(&mail_env(&sink.url())).await.unwrap();
    let listed = listed_product(&stack, 75_000, 5).await;
    let (buyer_id, buyer) = stack.register("buyer").await;
    let buyer_email = email_of(&stack, buyer_id).await;
    choose_english(&stack, &buyer).await;

    // Act: ordered, then cancelled before payment.
    let (status, placed) = buy(&stack, &buyer, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = order_id(&placed);
    let (status, body) = post(
        &stack,
        &format!("/v1/orders/{order}/cancel"),
        &buyer,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Assert
    let reference = reference(&order);
    let mail = sink.wait_for(&buyer_email, "Order").await;
    assert_eq!(mail["subject"], format!("Order {reference} placed"));
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .starts_with("Hello Test buyer"),
        "{mail}"
    );
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("1 x Kaos Polos: Rp 75.000"),
        "{mail}"
    );
    let cancelled = sink
        .wait_for(&buyer_email, &format!("Order {reference} cancelled"))
        .await;
    let total = placed["orders"][0]["total"].as_i64().unwrap();
    assert!(
        cancelled["text"].as_str().unwrap().contains(&rupiah(total)),
        "{cancelled}"
    );
}

#[tokio::test]
async fn a_settled_wallet_top_up_is_mailed_to_its_owner_once() {
    // Arrange
    let sink = SmtpSink::started().await;
    let stack = Stack::start_with(&mail_env(&sink.url())).await.unwrap();
    let (buyer_id, buyer) = stack.register("buyer").await;
    let buyer_email = email_of(&stack, buyer_id).await;

    // Act: a top-up of Rp 150.000, paid, and its settlement delivered twice.
    let key = uuid::Uuid::new_v4().to_string();
    let (status, started) = crate::wallet::ask_top_up(&stack, Some(&buyer), 150_000, &key).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let payment = started["id"].as_str().unwrap();
    assert_eq!(stack.sim.pay(payment).await.unwrap(), 200);
    crate::wallet::wallet_reads(&stack, &buyer, 150_000).await;
    assert_eq!(stack.sim.resend_last(payment).await.unwrap(), 200);

    // Assert: one mail, in Indonesian, with the amount in rupiah.
    let mail = sink.wait_for(&buyer_email, "Isi saldo").await;
    assert!(
        mail["subject"].as_str().unwrap().contains("Rp 150.000"),
        "{mail}"
    );
    assert_each_mail_once(&sink);
    assert_eq!(sink.mails_to(&buyer_email).len(), 1, "one mail: the top-up");
}
