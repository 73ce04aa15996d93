//! The wallets' reads, for the query API: a buyer's balance and a page of movements, newest
//! first.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// A wallet's balance (zero for a buyer whose wallet never moved).
#[derive(Debug, Clone)]
pub struct Balance {
    pub balance: i64,
    pub currency: String,
}

/// One movement of money.
#[derive(Debug, Clone)]
pub struct Movement {
    /// `top_up`, `order_refund`, `payment_refund`, `checkout_payment`, `checkout_return`.
    pub kind: String,
    /// Rupiah: positive for a credit, negative for a debit.
    pub amount: i64,
    /// The balance after it.
    pub balance: i64,
    pub reference_id: Uuid,
    pub at: DateTime<Utc>,
    /// Its log position, the page's cursor.
    pub position: (i64, i64),
}

pub async fn balance(
    client: &impl GenericClient,
    customer_id: Uuid,
) -> Result<Balance, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT balance, currency FROM rm.wallets WHERE customer_id = $1",
            &[&customer_id],
        )
        .await?;
    Ok(row.map_or_else(
        || Balance {
            balance: 0,
            currency: "IDR".into(),
        },
        |row| Balance {
            balance: row.get("balance"),
            currency: row.get("currency"),
        },
    ))
}

/// At most `limit` movements, newest first, after `after` (a previous page's last position).
pub async fn movements(
    client: &impl GenericClient,
    customer_id: Uuid,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<Movement>, tokio_postgres::Error> {
    let (txid, global) = after.unwrap_or((i64::MAX, i64::MAX));
    let rows = client
        .query(
            "SELECT kind, amount, balance, reference_id, at, txid, global
             FROM rm.wallet_movements
             WHERE customer_id = $1 AND (txid, global) < ($2, $3)
             ORDER BY txid DESC, global DESC LIMIT $4",
            &[&customer_id, &txid, &global, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Movement {
            kind: row.get("kind"),
            amount: row.get("amount"),
            balance: row.get("balance"),
            reference_id: row.get("reference_id"),
            at: row.get("at"),
            position: (row.get("txid"), row.get("global")),
        })
        .collect())
}
