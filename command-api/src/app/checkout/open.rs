//! Open checkouts per buyer, for the cap on unpaid checkouts (`checkout_open`, migration
//! `002`). A checkout adds its row when it answers; the order-flow processor removes it when
//! the payment settles or fails or its orders close; rows past their expiry never count.

use chrono::{DateTime, Utc};
use pasar_domain::payment::Payment;
use uuid::Uuid;

use crate::app::{AppError, Dependency};

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: Dependency::Database,
        detail: e.to_string(),
    }
}

/// Unpaid, unexpired checkouts of `buyer_id`.
pub async fn count(pool: &deadpool_postgres::Pool, buyer_id: Uuid) -> Result<i64, AppError> {
    let client = pool.get().await.map_err(unavailable)?;
    let row = client
        .query_one(
            "SELECT count(*) FROM checkout_open WHERE buyer_id = $1 AND expires_at > now()",
            &[&buyer_id],
        )
        .await
        .map_err(unavailable)?;
    Ok(row.get(0))
}

/// Records `payment` as an open checkout until `expires_at` (idempotent).
pub async fn opened(
    pool: &deadpool_postgres::Pool,
    payment: &Payment,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let client = pool.get().await.map_err(unavailable)?;
    client
        .execute(
            "INSERT INTO checkout_open (payment_id, buyer_id, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (payment_id) DO NOTHING",
            &[&payment.payment_id, &payment.buyer_id, &expires_at],
        )
        .await
        .map_err(unavailable)?;
    Ok(())
}
