use serde_json::{Value, json};

use super::*;

/// The fields every kind's templates use, with a name that would be markup if unescaped.
fn sample(kind: MailKind) -> Value {
    let line = json!({ "name": "Kaos <b>Polos</b> & Co", "quantity": 2, "line_total": 1_250_000 });
    let mut data = json!({
        "name": "Ani <script>alert(1)</script>",
        "order_id": "0193a1b2-0000-7000-8000-00000000abcd",
        "order_ref": "0000ABCD",
    });
    let fields = match kind {
        MailKind::OrderPlaced => json!({
            "lines": [line], "subtotal": 1_250_000, "shipping_cost": 18_000, "total": 1_268_000,
            "pay_before": "30-11-2026 14:05 WIB",
        }),
        MailKind::OrderPaid | MailKind::OrderCancelled => json!({ "total": 1_268_000 }),
        MailKind::OrderShipped => {
            json!({ "courier": "JNE REG", "tracking_number": "JNE0012345678" })
        }
        MailKind::OrderDelivered => json!({}),
        MailKind::OrderRefunded | MailKind::WalletToppedUp => json!({ "amount": 250_000 }),
        MailKind::SellerOrderToShip => json!({
            "lines": [line], "total": 1_268_000, "recipient": "Budi", "city": "Bandung",
        }),
        MailKind::SellerLowStock => json!({
            "product_name": "Kaos <b>Polos</b> & Co", "sku": "KAOS-1", "available": 3, "threshold": 5,
        }),
    };
    data.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    data
}

#[test]
fn rupiah_groups_thousands_with_dots() {
    assert_eq!(rupiah(0), "Rp 0");
    assert_eq!(rupiah(999), "Rp 999");
    assert_eq!(rupiah(1_000), "Rp 1.000");
    assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
    assert_eq!(rupiah(12_345_678_901), "Rp 12.345.678.901");
    assert_eq!(rupiah(-75_000), "-Rp 75.000");
}

#[test]
fn every_kind_renders_in_every_locale_and_html_escapes_what_users_wrote() {
    let templates = Templates::new().unwrap();
    for kind in MailKind::ALL {
        for locale in Locale::ALL {
            let mail = templates
                .render(kind, locale, &sample(kind))
                .unwrap_or_else(|e| panic!("{kind:?} {locale:?}: {e:#}"));
            assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'));
            assert!(!mail.html.contains("<script>"), "{kind:?}: {}", mail.html);
            assert!(!mail.html.contains("<b>Polos"), "{kind:?}: {}", mail.html);
            assert!(
                mail.html.contains("&lt;script&gt;"),
                "{kind:?}: {}",
                mail.html
            );
            assert!(
                mail.text.contains("Ani <script>alert(1)</script>"),
                "plain text is not escaped: {}",
                mail.text
            );
        }
    }
}

#[test]
fn mails_are_indonesian_by_default_and_english_by_choice() {
    let templates = Templates::new().unwrap();
    let data = sample(MailKind::OrderPlaced);
    let id = templates
        .render(MailKind::OrderPlaced, Locale::default(), &data)
        .unwrap();
    assert_eq!(id.subject, "Pesanan 0000ABCD berhasil dibuat");
    assert!(id.text.starts_with("Halo Ani"), "{}", id.text);
    assert!(id.text.contains("Total: Rp 1.268.000"), "{}", id.text);
    assert!(id.text.contains("Ongkos kirim: Rp 18.000"), "{}", id.text);
    assert!(id.html.contains("Rp 1.250.000"), "{}", id.html);
    let en = templates
        .render(MailKind::OrderPlaced, Locale::En, &data)
        .unwrap();
    assert_eq!(en.subject, "Order 0000ABCD placed");
    assert!(en.text.contains("Shipping: Rp 18.000"), "{}", en.text);
    let refund = templates
        .render(
            MailKind::OrderRefunded,
            Locale::Id,
            &sample(MailKind::OrderRefunded),
        )
        .unwrap();
    assert_eq!(
        refund.subject,
        "Dana Rp 250.000 untuk pesanan 0000ABCD dikembalikan"
    );
}

#[test]
fn a_missing_field_is_an_error_not_an_empty_string() {
    let templates = Templates::new().unwrap();
    let mut data = sample(MailKind::OrderShipped);
    data.as_object_mut().unwrap().remove("tracking_number");
    assert!(
        templates
            .render(MailKind::OrderShipped, Locale::Id, &data)
            .is_err()
    );
}

#[test]
fn locales_parse_from_codes_and_tags() {
    assert_eq!(Locale::parse("id"), Some(Locale::Id));
    assert_eq!(Locale::parse("en-US"), Some(Locale::En));
    assert_eq!(Locale::parse("EN"), Some(Locale::En));
    assert_eq!(Locale::parse("fr"), None);
}
