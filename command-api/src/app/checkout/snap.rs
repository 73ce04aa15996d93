//! Starting a checkout's payment: the Snap transaction (its items and customer) and the
//! payment stream's `PaymentInitiated`.

use chrono::Utc;
use pasar_domain::order::Order;
use pasar_domain::payment::{Payment, PaymentCommand};
use pasar_events::types::{CheckoutRejection, Money, streams};
use serde_json::json;
use uuid::Uuid;

use super::attempt::Attempt;
use super::record::Plan;
use super::steps::{PricedLine, Shipping};
use crate::app::AppError;
use crate::app::exec::start_stream;
use crate::app::shipping::choose::Chosen;
use crate::midtrans::{Item, SnapExpiry, SnapRequest};

impl Attempt<'_> {
    /// Snap's `item_details` (summing to the gross amount: every line, and one shipping line
    /// per order that ships) and `customer_details`.
    fn snap_details(
        &self,
        lines: &[PricedLine],
        orders: &[Order],
        shipping: &Shipping,
    ) -> (Vec<Item>, serde_json::Value) {
        let mut items: Vec<Item> = lines
            .iter()
            .map(|p| Item {
                id: p.line.sku.clone(),
                name: p.line.name.clone(),
                price: p.line.unit_price.amount,
                quantity: p.line.quantity,
            })
            .collect();
        for order in orders {
            if let Some(chosen) = shipping.get(&order.seller_id) {
                items.push(shipping_item(order.order_id, chosen, order.shipping_cost));
            }
        }
        let address = self.address.as_shipping();
        let customer = json!({
            "first_name": address.recipient,
            "phone": address.phone,
            "shipping_address": {
                "first_name": address.recipient, "phone": address.phone, "address": address.address,
                "city": address.city, "postal_code": address.postal_code, "country_code": "IDN",
            },
        });
        (items, customer)
    }

    /// Creates the Snap transaction (Midtrans `order_id` = this attempt's payment id) whose page
    /// closes with the orders (`expiry`), and records the payment as initiated. A refusal or
    /// failure of Midtrans is the rejection [`CheckoutRejection::PaymentNotStarted`] (502).
    pub(super) async fn start_payment(
        &self,
        orders: &[Order],
        lines: &[PricedLine],
        shipping: &Shipping,
        plan: &Plan,
        expiry: SnapExpiry,
    ) -> Result<Result<Payment, CheckoutRejection>, AppError> {
        let Ok(gross) = orders
            .iter()
            .try_fold(Money::idr(0), |sum, o| sum.checked_add(o.total))
        else {
            return Ok(Err(CheckoutRejection::InvalidTotal));
        };
        let (mut items, customer) = self.snap_details(lines, orders, shipping);
        let gross = self.snap_part(gross, &mut items);
        let payment_id = plan.payment_id;
        let midtrans_order_id = payment_id.to_string();
        let request = SnapRequest {
            order_id: &midtrans_order_id,
            gross_amount: gross.amount,
            items: &items,
            customer,
            expiry,
        };
        let snap = match self.state.midtrans.create_snap_transaction(&request).await {
            Ok(snap) => snap,
            Err(e) => {
                // A duplicate means an earlier create of this very attempt went through, but
                // its token is lost with the request that died: nobody can open that page, and
                // it closes at `expiry`. This attempt gives everything back like any failure.
                let duplicate = e.is_duplicate_order_id();
                tracing::warn!(error = ?e, duplicate, checkout = %self.checkout_id, "Snap transaction not created");
                return Ok(Err(CheckoutRejection::PaymentNotStarted));
            }
        };
        crate::crash::point("checkout.snap_created");
        let command = PaymentCommand::Initiate {
            payment_id,
            checkout_id: self.checkout_id,
            buyer_id: self.buyer.id,
            order_ids: orders.iter().map(|o| o.order_id).collect(),
            gross_amount: gross,
            snap_token: snap.token,
            redirect_url: snap.redirect_url,
            now: Utc::now(),
        };
        let stream = streams::payment(payment_id);
        let ids = self.ids("pay", payment_id);
        // Like the orders' streams, the payment's is this attempt's own.
        let store = &self.state.store;
        let outcome = start_stream::<Payment>(store, &stream, &command, ids, self.metadata).await?;
        Ok(Ok(outcome.state))
    }
}

/// The Snap item for one order's shipping: id `SHIP-` and the order id's first 8 hex digits,
/// name the courier and service (Snap cuts names at 50 characters), price the order's cost.
fn shipping_item(order_id: Uuid, chosen: &Chosen, cost: Money) -> Item {
    let simple = order_id.simple().to_string();
    let name: String = format!(
        "Shipping {} {}",
        chosen.courier.to_uppercase(),
        chosen.service
    )
    .chars()
    .take(50)
    .collect();
    Item {
        id: format!("SHIP-{}", &simple[..8]),
        name,
        price: cost.amount,
        quantity: 1,
    }
}
