//! Typed events with plausible values.

use chrono::{Duration, TimeZone, Utc};
use pasar_events::Position;
use pasar_events::types::{
    Money, OrderEvent, OrderLine, ProductEvent, ShippingAddress, StockEvent, streams,
};
use uuid::Uuid;

use super::TestApp;

pub struct NewProduct {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub price: i64,
    pub category_id: Option<Uuid>,
    pub name: String,
}

impl NewProduct {
    pub fn new(seller_id: Uuid, price: i64) -> Self {
        NewProduct {
            id: Uuid::new_v4(),
            seller_id,
            price,
            category_id: None,
            name: format!("Produk {price}"),
        }
    }

    pub fn in_category(mut self, category_id: Uuid) -> Self {
        self.category_id = Some(category_id);
        self
    }

    pub fn listed(&self) -> ProductEvent {
        ProductEvent::ProductListed {
            product_id: self.id,
            seller_id: self.seller_id,
            sku: format!("SKU-{}", &self.id.simple().to_string()[..8]),
            name: self.name.clone(),
            description: "Buatan lokal".into(),
            price: Money::idr(self.price),
            category_id: self.category_id,
            brand: Some("Lokal".into()),
            weight_grams: 500,
            condition: pasar_events::types::ProductCondition::New,
            listed_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        }
    }
}

impl TestApp {
    /// Lists a product and, if `stock > 0`, receives that much stock for it. Returns the
    /// position of the last event written (a consistency token).
    pub async fn list_product(&self, product: &NewProduct, stock: i64) -> Position {
        let listed = self
            .append(&streams::product(product.id), &[product.listed()])
            .await;
        if stock == 0 {
            return listed;
        }
        let received = StockEvent::StockReceived {
            quantity: stock,
            on_hand: stock,
            available: stock,
        };
        self.append(&streams::stock(product.id), &[received]).await
    }

    /// Places an order of `quantity` units of a product at `unit_price`; returns its id.
    pub async fn place_order(
        &self,
        buyer_id: Uuid,
        seller_id: Uuid,
        unit_price: i64,
        quantity: i64,
    ) -> Uuid {
        let order_id = Uuid::new_v4();
        let placed_at = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        let line_total = unit_price * quantity;
        let placed = OrderEvent::OrderPlaced {
            order_id,
            checkout_id: Uuid::new_v4(),
            payment_id: Uuid::new_v4(),
            buyer_id,
            seller_id,
            lines: vec![OrderLine {
                product_id: Uuid::new_v4(),
                sku: "SKU-1".into(),
                name: "Batik tulis".into(),
                unit_price: Money::idr(unit_price),
                quantity,
                line_total: Money::idr(line_total),
            }],
            subtotal: Money::idr(line_total),
            shipping_cost: Money::idr(9_000),
            total: Money::idr(line_total + 9_000),
            shipping_address: ShippingAddress {
                recipient: "Budi".into(),
                phone: "+62812000000".into(),
                address: "Jl. Malioboro 5".into(),
                city: "Yogyakarta".into(),
                postal_code: "55271".into(),
                country_code: "ID".into(),
                destination_id: None,
            },
            placed_at,
            expires_at: placed_at + Duration::hours(24),
        };
        self.append(&streams::order(order_id), &[placed]).await;
        order_id
    }
}
