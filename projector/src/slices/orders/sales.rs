//! A seller's sales, for the seller dashboard: revenue over recent days, the orders waiting to
//! be shipped, and the best-selling products. An order counts as a sale once paid (paid,
//! shipped, delivered or completed), at its placing time, less what was refunded of it.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use uuid::Uuid;

/// Statuses of an order that sold.
const SOLD: &str = "status IN ('paid', 'shipped', 'delivered', 'completed')";

/// Revenue and order count over one window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SalesWindow {
    /// Orders placed in the window that were paid.
    #[schema(example = 4)]
    pub orders: i64,
    /// Their goods (subtotals, shipping excluded) less refunds, in rupiah.
    #[schema(example = 310000)]
    pub revenue: i64,
    /// Units sold.
    #[schema(example = 6)]
    pub units: i64,
}

/// Sales today (since midnight Asia/Jakarta), over the last 7 and the last 30 days.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sales {
    pub today: SalesWindow,
    pub last_7_days: SalesWindow,
    pub last_30_days: SalesWindow,
}

/// A paid order waiting for its shipment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderToShip {
    pub id: Uuid,
    pub placed_at: DateTime<Utc>,
    #[schema(example = 150000)]
    pub total: i64,
    #[schema(example = 2)]
    pub units: i64,
}

/// A product by what it sold over the last 30 days.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopProduct {
    pub product_id: Uuid,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: String,
    #[schema(example = 12)]
    pub units: i64,
    #[schema(example = 900000)]
    pub revenue: i64,
}

/// Most orders to ship and top products listed.
pub const DASHBOARD_LIST: i64 = 20;

pub async fn sales(
    client: &impl GenericClient,
    seller: Uuid,
    now: DateTime<Utc>,
) -> Result<Sales, tokio_postgres::Error> {
    let row = client
        .query_one(
            &format!(
                "WITH sold AS (
                     SELECT placed_at, GREATEST(subtotal - COALESCE(refunded_amount, 0), 0) AS revenue,
                            (SELECT COALESCE(sum((l->>'quantity')::bigint), 0)
                             FROM jsonb_array_elements(lines) l) AS units
                     FROM rm.orders
                     WHERE seller_id = $1 AND {SOLD} AND placed_at > $2::timestamptz - interval '30 days')
                 SELECT
                     count(*) FILTER (WHERE placed_at >= date_trunc('day', $2::timestamptz AT TIME ZONE 'Asia/Jakarta') AT TIME ZONE 'Asia/Jakarta') AS today_orders,
                     COALESCE(sum(revenue) FILTER (WHERE placed_at >= date_trunc('day', $2::timestamptz AT TIME ZONE 'Asia/Jakarta') AT TIME ZONE 'Asia/Jakarta'), 0)::bigint AS today_revenue,
                     COALESCE(sum(units) FILTER (WHERE placed_at >= date_trunc('day', $2::timestamptz AT TIME ZONE 'Asia/Jakarta') AT TIME ZONE 'Asia/Jakarta'), 0)::bigint AS today_units,
                     count(*) FILTER (WHERE placed_at > $2::timestamptz - interval '7 days') AS week_orders,
                     COALESCE(sum(revenue) FILTER (WHERE placed_at > $2::timestamptz - interval '7 days'), 0)::bigint AS week_revenue,
                     COALESCE(sum(units) FILTER (WHERE placed_at > $2::timestamptz - interval '7 days'), 0)::bigint AS week_units,
                     count(*) AS month_orders,
                     COALESCE(sum(revenue), 0)::bigint AS month_revenue,
                     COALESCE(sum(units), 0)::bigint AS month_units
                 FROM sold"
            ),
            &[&seller, &now],
        )
        .await?;
    let window = |prefix: &str| SalesWindow {
        orders: row.get(format!("{prefix}_orders").as_str()),
        revenue: row.get(format!("{prefix}_revenue").as_str()),
        units: row.get(format!("{prefix}_units").as_str()),
    };
    Ok(Sales {
        today: window("today"),
        last_7_days: window("week"),
        last_30_days: window("month"),
    })
}

/// How many paid orders wait for a shipment, and the oldest of them.
pub async fn to_ship(
    client: &impl GenericClient,
    seller: Uuid,
) -> Result<(i64, Vec<OrderToShip>), tokio_postgres::Error> {
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM rm.orders WHERE seller_id = $1 AND status = 'paid'",
            &[&seller],
        )
        .await?
        .get(0);
    let rows = client
        .query(
            "SELECT id, placed_at, total,
                    (SELECT COALESCE(sum((l->>'quantity')::bigint), 0)
                     FROM jsonb_array_elements(lines) l)::bigint AS units
             FROM rm.orders WHERE seller_id = $1 AND status = 'paid'
             ORDER BY placed_at, id LIMIT $2",
            &[&seller, &DASHBOARD_LIST],
        )
        .await?;
    let oldest = rows
        .iter()
        .map(|row| OrderToShip {
            id: row.get("id"),
            placed_at: row.get("placed_at"),
            total: row.get("total"),
            units: row.get("units"),
        })
        .collect();
    Ok((count, oldest))
}

/// The products that sold the most units over the last 30 days.
pub async fn top_products(
    client: &impl GenericClient,
    seller: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<TopProduct>, tokio_postgres::Error> {
    let rows = client
        .query(
            &format!(
                "SELECT (l->>'product_id')::uuid AS product_id, max(l->>'name') AS name,
                        sum((l->>'quantity')::bigint)::bigint AS units,
                        sum((l->>'line_total')::bigint)::bigint AS revenue
                 FROM rm.orders, jsonb_array_elements(lines) l
                 WHERE seller_id = $1 AND {SOLD} AND placed_at > $2::timestamptz - interval '30 days'
                 GROUP BY 1
                 ORDER BY units DESC, revenue DESC, product_id
                 LIMIT $3"
            ),
            &[&seller, &now, &DASHBOARD_LIST],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| TopProduct {
            product_id: row.get("product_id"),
            name: row.get("name"),
            units: row.get("units"),
            revenue: row.get("revenue"),
        })
        .collect())
}
