//! The orders' reads, for the query API: buyer, seller and admin listings (newest first, keyset
//! pagination) and one order. Payment status is part of the rows: this projection keeps it.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::slices::query::Filter;

const COLUMNS: &str = "id, status, buyer_id, seller_id, lines, subtotal, shipping_cost, total, currency, \
                       shipping_address, payment_id, payment_status, refund_status, refunded_amount, payment_refund, courier, tracking_number, placed_at, \
                       updated_at, expires_at, placed_txid, placed_global";

/// Every order status the rows can hold.
pub const STATUSES: &[&str] = &[
    "awaiting_payment",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "expired",
    "refunded",
];

/// Every refund status an order can show (see [`Order::refund_status`]).
pub const REFUND_STATUSES: &[&str] = &["required", "refunded", "owed"];

/// An order as served; amounts in minor units of `currency`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: Uuid,
    /// One of [`STATUSES`].
    #[schema(example = "awaiting_payment")]
    pub status: String,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    /// `[{product_id, sku, name, unit_price, quantity, line_total}]`
    #[schema(value_type = Vec<OrderLineView>)]
    pub lines: Value,
    #[schema(example = 150000)]
    pub subtotal: i64,
    #[schema(example = 0)]
    pub shipping_cost: i64,
    #[schema(example = 150000)]
    pub total: i64,
    #[schema(example = "IDR")]
    pub currency: String,
    #[schema(value_type = ShippingAddressView)]
    pub shipping_address: Value,
    pub payment_id: Uuid,
    /// `initiated|pending|settled|failed|amount_mismatch|reversed`, `null` before any
    /// payment event was projected.
    pub payment_status: Option<String>,
    /// The refund of a payment that settled after its orders had closed, when their stock
    /// could not be reserved again: `required` (asked of Midtrans), `refunded`, or `owed`
    /// (Midtrans cannot refund this payment method: the shop owes the buyer the money).
    /// `null` otherwise.
    pub refund_status: Option<String>,
    /// What went back to the buyer so far (minor units).
    pub refunded_amount: i64,
    /// Midtrans' latest refund notification for the payment (which may cover this order and
    /// the other orders of its checkout): `{status: refund|partial_refund, amount (everything
    /// refunded from the payment so far, rupiah), bank_confirmed_at (as Midtrans sends it,
    /// null until the bank confirmed), notified_at}`; `null` before any.
    #[schema(value_type = Option<PaymentRefundView>)]
    pub payment_refund: Option<Value>,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Log position of its placement: the key of the newest-first order.
    #[serde(skip)]
    pub placed: (i64, i64),
}

/// Midtrans' latest refund notification on an order's payment (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[schema(as = PaymentRefund)]
pub struct PaymentRefundView {
    /// `refund` (all of it) or `partial_refund`.
    #[schema(example = "partial_refund")]
    pub status: String,
    /// Everything refunded from the payment so far, in rupiah.
    #[schema(example = 50000)]
    pub amount: Option<i64>,
    /// When the bank confirmed the latest refund, as Midtrans sends it (Asia/Jakarta); `null`
    /// until it did.
    #[schema(example = "2026-11-30 10:15:00")]
    pub bank_confirmed_at: Option<String>,
    pub notified_at: DateTime<Utc>,
}

/// An order line as the `lines` column holds it (for the query API's OpenAPI document).
#[derive(utoipa::ToSchema)]
#[schema(as = OrderLine)]
pub struct OrderLineView {
    pub product_id: Uuid,
    #[schema(example = "KOPI-001")]
    pub sku: String,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: String,
    #[schema(example = 75000)]
    pub unit_price: i64,
    #[schema(example = 2)]
    pub quantity: i64,
    #[schema(example = 150000)]
    pub line_total: i64,
}

/// The shipping address as the `shipping_address` column holds it.
#[derive(utoipa::ToSchema)]
#[schema(as = ShippingAddress)]
pub struct ShippingAddressView {
    #[schema(example = "Ani Lestari")]
    pub recipient: String,
    #[schema(example = "081234567890")]
    pub phone: String,
    #[schema(example = "Jl. Merdeka 1")]
    pub address: String,
    #[schema(example = "Jakarta")]
    pub city: String,
    #[schema(example = "10110")]
    pub postal_code: String,
    #[schema(example = "ID")]
    pub country_code: String,
    /// The RajaOngkir location shipping was quoted to; absent when shipping was not quoted.
    #[schema(example = 12045)]
    pub destination_id: Option<u32>,
}

impl Order {
    fn from_row(row: &Row) -> Self {
        Order {
            id: row.get("id"),
            status: row.get("status"),
            buyer_id: row.get("buyer_id"),
            seller_id: row.get("seller_id"),
            lines: row.get("lines"),
            subtotal: row.get("subtotal"),
            shipping_cost: row.get("shipping_cost"),
            total: row.get("total"),
            currency: row.get("currency"),
            shipping_address: row.get("shipping_address"),
            payment_id: row.get("payment_id"),
            payment_status: row.get("payment_status"),
            refund_status: row.get("refund_status"),
            refunded_amount: row.get::<_, Option<i64>>("refunded_amount").unwrap_or(0),
            payment_refund: row.get("payment_refund"),
            courier: row.get("courier"),
            tracking_number: row.get("tracking_number"),
            placed_at: row.get("placed_at"),
            updated_at: row.get("updated_at"),
            expires_at: row.get("expires_at"),
            placed: (row.get("placed_txid"), row.get("placed_global")),
        }
    }
}

/// Which orders a listing shows.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub buyer: Option<Uuid>,
    pub seller: Option<Uuid>,
    /// One of [`STATUSES`].
    pub status: Option<String>,
    /// One of [`REFUND_STATUSES`].
    pub refund: Option<String>,
    /// After the order placed at this log position (keyset pagination).
    pub after: Option<(i64, i64)>,
}

/// Up to `limit` orders matching `filter`, newest first.
pub async fn list(
    client: &impl GenericClient,
    filter: &OrderFilter,
    limit: i64,
) -> Result<Vec<Order>, tokio_postgres::Error> {
    let mut sql = Filter::default();
    if let Some(buyer) = filter.buyer {
        sql.add("buyer_id = ?", buyer);
    }
    if let Some(seller) = filter.seller {
        sql.add("seller_id = ?", seller);
    }
    if let Some(status) = &filter.status {
        sql.add("status = ?", status.clone());
    }
    if let Some(refund) = &filter.refund {
        sql.add("refund_status = ?", refund.clone());
    }
    if let Some((txid, global)) = filter.after {
        sql.add_pair("(placed_txid, placed_global) < (?1, ?2)", txid, global);
    }
    let limit_param = sql.push_limit(limit);
    let text = format!(
        "SELECT {COLUMNS} FROM rm.orders{} ORDER BY placed_txid DESC, placed_global DESC LIMIT {limit_param}",
        sql.where_sql()
    );
    let rows = client.query(&text, &sql.params()).await?;
    Ok(rows.iter().map(Order::from_row).collect())
}

/// One order, whoever may see it (the caller checks).
pub async fn order(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Order>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM rm.orders WHERE id = $1"),
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(Order::from_row))
}
