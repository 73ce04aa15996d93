//! Typed events with plausible values.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pasar_events::types::{
    Money, OrderEvent, OrderLine, PaymentEvent, ProductEvent, ShippingAddress,
};
use uuid::Uuid;

pub fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 10, minute, 0).unwrap()
}

pub fn product_listed(product_id: Uuid, seller_id: Uuid, price: i64) -> ProductEvent {
    ProductEvent::ProductListed {
        product_id,
        seller_id,
        sku: format!("SKU-{}", &product_id.simple().to_string()[..8]),
        name: "Kopi Gayo 250g".into(),
        description: "Arabica from Aceh".into(),
        price: Money::idr(price),
        category_id: Some(Uuid::from_u128(7)),
        brand: Some("Gayo".into()),
        weight_grams: 250,
        condition: pasar_events::types::ProductCondition::New,
        listed_at: at(0),
    }
}

pub struct PlacedOrder {
    pub order_id: Uuid,
    pub payment_id: Uuid,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub product_id: Uuid,
}

impl PlacedOrder {
    pub fn new() -> Self {
        PlacedOrder {
            order_id: Uuid::new_v4(),
            payment_id: Uuid::new_v4(),
            buyer_id: Uuid::new_v4(),
            seller_id: Uuid::new_v4(),
            product_id: Uuid::new_v4(),
        }
    }

    /// Two units at 50 000 plus 10 000 shipping.
    pub fn placed(&self) -> OrderEvent {
        OrderEvent::OrderPlaced {
            order_id: self.order_id,
            checkout_id: Uuid::from_u128(99),
            payment_id: self.payment_id,
            buyer_id: self.buyer_id,
            seller_id: self.seller_id,
            lines: vec![OrderLine {
                product_id: self.product_id,
                sku: "KOPI-250".into(),
                name: "Kopi Gayo 250g".into(),
                unit_price: Money::idr(50_000),
                quantity: 2,
                line_total: Money::idr(100_000),
            }],
            subtotal: Money::idr(100_000),
            shipping_cost: Money::idr(10_000),
            total: Money::idr(110_000),
            shipping_address: ShippingAddress {
                recipient: "Siti".into(),
                phone: "+62811000000".into(),
                address: "Jl. Merdeka 1".into(),
                city: "Bandung".into(),
                postal_code: "40111".into(),
                country_code: "ID".into(),
                destination_id: None,
            },
            placed_at: at(5),
            expires_at: at(5) + Duration::hours(24),
        }
    }

    pub fn payment_initiated(&self) -> PaymentEvent {
        PaymentEvent::PaymentInitiated {
            payment_id: self.payment_id,
            checkout_id: Uuid::from_u128(99),
            buyer_id: self.buyer_id,
            order_ids: vec![self.order_id],
            gross_amount: Money::idr(110_000),
            snap_token: "snap-token".into(),
            redirect_url: "https://app.sandbox.midtrans.com/snap/v4/redirection/snap-token".into(),
            initiated_at: at(6),
        }
    }
}

pub fn settled() -> PaymentEvent {
    PaymentEvent::PaymentSettled {
        transaction_id: "tx-1".into(),
        amount: Money::idr(110_000),
        payment_type: Some("bank_transfer".into()),
        settled_at: at(20),
    }
}
