//! Which mails an event gives, to whom, with which fields: the order's buyer for each step of
//! their order, its seller when it is paid (ship it), a product's seller when its stock runs
//! low, and a wallet's owner when a top-up lands. Reads and feeds [`super::facts`] through the
//! batch transaction; renders nothing (the templates do).

use chrono::{DateTime, FixedOffset, Utc};
use deadpool_postgres::GenericClient;
use pasar_events::types::{OrderEvent, OrderLine};
use serde_json::{Value, json};
use tokio_postgres::Error;
use uuid::Uuid;

use super::facts::{self, LowStock, OrderFacts, Recipient};
use super::templates::MailKind;

/// One mail to send: its kind, its recipient and the template's fields (without `name`,
/// which comes from the recipient).
#[derive(Debug, Clone)]
pub struct Mail {
    pub kind: MailKind,
    pub to: Recipient,
    pub data: Value,
}

impl Mail {
    /// The template's fields: `data` with the recipient's name.
    pub fn fields(&self) -> Value {
        let mut fields = self.data.clone();
        if let Some(map) = fields.as_object_mut() {
            map.insert("name".into(), Value::String(self.to.full_name.clone()));
        }
        fields
    }
}

/// The mails of an order event (recording the order when it is placed).
pub async fn order_mails(
    db: &impl GenericClient,
    order_id: Uuid,
    event: OrderEvent,
) -> Result<Vec<Mail>, Error> {
    if matches!(event, OrderEvent::OrderPlaced { .. }) {
        return placed(db, order_id, event).await;
    }
    let Some(order) = facts::order(db, order_id).await? else {
        return Ok(Vec::new());
    };
    let (kind, fields) = match event {
        OrderEvent::OrderPaid { .. } => {
            let paid = json!({ "total": order.total });
            let mut mails = to_buyer(db, order_id, &order, MailKind::OrderPaid, paid).await?;
            mails.extend(to_seller(db, order_id, &order).await?);
            return Ok(mails);
        }
        OrderEvent::OrderShipped {
            courier,
            tracking_number,
            ..
        } => (
            MailKind::OrderShipped,
            json!({ "courier": courier, "tracking_number": tracking_number }),
        ),
        OrderEvent::OrderDelivered { .. } => (MailKind::OrderDelivered, json!({})),
        OrderEvent::OrderCancelled { .. } => {
            (MailKind::OrderCancelled, json!({ "total": order.total }))
        }
        OrderEvent::OrderRefunded { amount, .. } => {
            (MailKind::OrderRefunded, json!({ "amount": amount.amount }))
        }
        _ => return Ok(Vec::new()),
    };
    to_buyer(db, order_id, &order, kind, fields).await
}

/// Records a placed order and composes the buyer's mail about it.
async fn placed(
    db: &impl GenericClient,
    order_id: Uuid,
    event: OrderEvent,
) -> Result<Vec<Mail>, Error> {
    let OrderEvent::OrderPlaced {
        buyer_id,
        seller_id,
        lines,
        subtotal,
        shipping_cost,
        total,
        shipping_address,
        expires_at,
        ..
    } = event
    else {
        return Ok(Vec::new());
    };
    let order = OrderFacts {
        buyer_id,
        seller_id,
        lines,
        total: total.amount,
        shipping_address,
    };
    facts::record_order(db, order_id, &order).await?;
    let fields = json!({
        "lines": lines_of(&order.lines),
        "subtotal": subtotal.amount,
        "shipping_cost": shipping_cost.amount,
        "total": total.amount,
        "pay_before": jakarta_time(expires_at),
    });
    to_buyer(db, order_id, &order, MailKind::OrderPlaced, fields).await
}

/// The seller's mail about a product whose stock fell to its threshold.
pub async fn low_stock_mail(db: &impl GenericClient, low: LowStock) -> Result<Option<Mail>, Error> {
    let Some(seller) = facts::recipient(db, low.seller_id).await? else {
        return Ok(None);
    };
    Ok(Some(Mail {
        kind: MailKind::SellerLowStock,
        to: seller,
        data: json!({
            "product_name": low.name,
            "sku": low.sku,
            "available": low.available,
            "threshold": low.threshold,
        }),
    }))
}

/// The owner's mail about a wallet top-up of `amount` rupiah that settled (the wallet's
/// `WalletCredited` from a top-up; the wallet stream's id is its owner's).
pub async fn wallet_topped_up(
    db: &impl GenericClient,
    owner_id: Uuid,
    amount: i64,
) -> Result<Option<Mail>, Error> {
    let Some(owner) = facts::recipient(db, owner_id).await? else {
        return Ok(None);
    };
    Ok(Some(Mail {
        kind: MailKind::WalletToppedUp,
        to: owner,
        data: json!({ "amount": amount }),
    }))
}

async fn to_buyer(
    db: &impl GenericClient,
    order_id: Uuid,
    order: &OrderFacts,
    kind: MailKind,
    mut fields: Value,
) -> Result<Vec<Mail>, Error> {
    let Some(buyer) = facts::recipient(db, order.buyer_id).await? else {
        return Ok(Vec::new());
    };
    add_order_reference(&mut fields, order_id);
    Ok(vec![Mail {
        kind,
        to: buyer,
        data: fields,
    }])
}

async fn to_seller(
    db: &impl GenericClient,
    order_id: Uuid,
    order: &OrderFacts,
) -> Result<Option<Mail>, Error> {
    let Some(seller) = facts::recipient(db, order.seller_id).await? else {
        return Ok(None);
    };
    let mut fields = json!({
        "lines": lines_of(&order.lines),
        "total": order.total,
        "recipient": order.shipping_address.recipient,
        "city": order.shipping_address.city,
    });
    add_order_reference(&mut fields, order_id);
    Ok(Some(Mail {
        kind: MailKind::SellerOrderToShip,
        to: seller,
        data: fields,
    }))
}

fn lines_of(lines: &[OrderLine]) -> Value {
    lines
        .iter()
        .map(|line| {
            json!({
                "name": line.name,
                "quantity": line.quantity,
                "line_total": line.line_total.amount,
            })
        })
        .collect()
}

/// The order's id, and the short reference subjects use: its last eight hex digits (the
/// random part of a v7 id; the first ones are a timestamp shared by orders of one moment).
fn add_order_reference(fields: &mut Value, order_id: Uuid) {
    let simple = order_id.simple().to_string().to_uppercase();
    let reference = simple[simple.len() - 8..].to_owned();
    if let Some(map) = fields.as_object_mut() {
        map.insert("order_id".into(), Value::String(order_id.to_string()));
        map.insert("order_ref".into(), Value::String(reference));
    }
}

/// A moment as Western Indonesian Time (UTC+7), where most buyers are: `30-11-2026 14:05 WIB`.
fn jakarta_time(at: DateTime<Utc>) -> String {
    let wib = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    format!("{} WIB", at.with_timezone(&wib).format("%d-%m-%Y %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_referred_to_by_the_random_end_of_its_id() {
        let mut fields = json!({});
        let id: Uuid = "0193a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b".parse().unwrap();
        add_order_reference(&mut fields, id);
        assert_eq!(fields["order_ref"], "3E4F5A6B");
        assert_eq!(fields["order_id"], id.to_string());
    }

    #[test]
    fn deadlines_are_shown_in_western_indonesian_time() {
        let at: DateTime<Utc> = "2026-11-30T07:05:00Z".parse().unwrap();
        assert_eq!(jakarta_time(at), "30-11-2026 14:05 WIB");
    }
}
