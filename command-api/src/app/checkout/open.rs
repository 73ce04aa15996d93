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

/// Takes one of `buyer_id`'s `limit` open-checkout slots for the running checkout `hold_id`
/// until `until`, or answers `false` when they are all taken. Counting and taking happen under
/// a per-buyer transaction lock, so simultaneous checkouts of one buyer (with different keys,
/// on any instance) can never exceed the cap. The hold row counts like an open checkout; the
/// checkout replaces it with its payment's row when it answers ([`opened`], [`release`]), and a
/// crashed checkout's hold simply expires.
pub async fn hold(
    pool: &deadpool_postgres::Pool,
    buyer_id: Uuid,
    hold_id: Uuid,
    limit: u32,
    until: DateTime<Utc>,
) -> Result<bool, AppError> {
    let mut client = pool.get().await.map_err(unavailable)?;
    let tx = client.transaction().await.map_err(unavailable)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('pasar.checkout_open.' || $1::text, 0))",
        &[&buyer_id.to_string()],
    )
    .await
    .map_err(unavailable)?;
    let open: i64 = tx
        .query_one(
            "SELECT count(*) FROM checkout_open
             WHERE buyer_id = $1 AND expires_at > now() AND payment_id <> $2",
            &[&buyer_id, &hold_id],
        )
        .await
        .map_err(unavailable)?
        .get(0);
    if open >= i64::from(limit) {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO checkout_open (payment_id, buyer_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (payment_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
        &[&hold_id, &buyer_id, &until],
    )
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(true)
}

/// Gives back the running checkout's hold (its payment's own row, if any, stays). Best effort:
/// a hold left behind expires on its own.
pub async fn release(pool: &deadpool_postgres::Pool, hold_id: Uuid) {
    let released = match pool.get().await {
        Ok(client) => client
            .execute(
                "DELETE FROM checkout_open WHERE payment_id = $1",
                &[&hold_id],
            )
            .await
            .map(|_| ()),
        Err(e) => {
            tracing::warn!(error = %e, "could not give back a checkout hold; it will expire");
            return;
        }
    };
    if let Err(e) = released {
        tracing::warn!(error = %e, "could not give back a checkout hold; it will expire");
    }
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
